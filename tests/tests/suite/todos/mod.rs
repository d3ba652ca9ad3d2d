//! Todos: reading them (filters, orders, paging), who sees which, every mutation, and
//! their history.

mod history;
mod mutations;
mod reads;
mod visibility;

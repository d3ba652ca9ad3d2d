//! Todos: reading them (filters, orders, paging), who sees which, their statistics, every
//! mutation, and their history.

mod history;
mod mutations;
mod reads;
mod stats;
mod visibility;

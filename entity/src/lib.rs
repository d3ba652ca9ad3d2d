//! SeaORM entities of the todo server, one module per table.
//!
//! The entities are the declared shape of the database; the `migration` crate evolves
//! the real one, and the tests check that the two agree (our `drizzle-kit check`).
//! Table and column names follow the seed's (snake_case). Every timestamp is UTC.

pub mod indexes;
pub mod login_failure;
pub mod prelude;
pub mod session;
pub mod tag;
pub mod todo;
pub mod todo_handover;
pub mod todo_history;
pub mod todo_tag;
pub mod user;
pub mod user_preferences;

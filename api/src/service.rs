//! Domain operations: validation, transactions and visibility rules, in one place. Plain
//! async functions over a SeaORM connection; they never see GraphQL types.

pub mod admin;
pub mod auth;
pub mod history;
pub mod login_throttle;
pub mod page;
pub mod password;
pub mod preferences;
pub mod retry;
pub mod search;
pub mod tag;
pub mod todo_list;
pub mod todo_write;
pub mod token;
pub mod transfer;
pub mod user;
pub mod validate;
pub mod viewer;

use chrono::{DateTime, SubsecRound, Utc};

/// The current time, cut to microseconds: PostgreSQL keeps no more, and the same precision
/// on SQLite keeps timestamps (and the cursors built from them) identical on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

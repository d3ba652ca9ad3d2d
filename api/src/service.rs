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
pub mod session_checks;
pub mod session_sweep;
pub mod tag;
pub mod todo;
pub mod token;
pub mod user;
pub mod validate;
pub mod viewer;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction that will write. On SQLite it takes the write lock at once (BEGIN
/// IMMEDIATE), waiting for it up to the busy timeout: a deferred transaction that reads
/// first and another writer commits meanwhile cannot upgrade, and fails at its first write
/// without waiting. PostgreSQL ignores the mode.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The current time, cut to microseconds: PostgreSQL keeps no more, and the same precision
/// on SQLite keeps timestamps (and the cursors built from them) identical on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

//! Retrying a transaction that lost a race it could not wait out: a serialization failure or
//! a deadlock on PostgreSQL, "database is locked" on SQLite. At most three attempts, with
//! exponential backoff and jitter, then a clear CONFLICT.

use std::{future::Future, time::Duration};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sea_orm::{DbErr, RuntimeErr, sqlx};

use crate::error::{Error, Result};

/// Attempts before giving up.
pub const ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(20);

/// Runs `attempt` until it succeeds, fails for a reason a retry cannot fix, or has failed
/// [`ATTEMPTS`] times.
pub async fn with_retry<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    for n in 1..=ATTEMPTS {
        match attempt().await {
            Err(Error::Database(err)) if is_transient(&err) => {
                tracing::debug!(attempt = n, error = %err, "transaction lost a race; retrying");
                if n < ATTEMPTS {
                    let backoff = BASE_BACKOFF * 2_u32.pow(n - 1);
                    let jitter = Duration::from_millis(u64::from(OsRng.next_u32() % 20));
                    tokio::time::sleep(backoff + jitter).await;
                }
            }
            other => return other,
        }
    }
    Err(Error::Conflict(
        "The change collided with others and could not be applied; try again.".to_owned(),
    ))
}

/// Serialization failure (40001) and deadlock (40P01) on PostgreSQL; busy (5) or locked (6)
/// on SQLite, extended codes included.
pub fn is_transient(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Exec(e) | DbErr::Query(e) | DbErr::Conn(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return false;
    };
    let sqlx::Error::Database(db_err) = sqlx_err.as_ref() else {
        return false;
    };
    let Some(code) = db_err.code() else {
        return false;
    };
    match code.as_ref() {
        "40001" | "40P01" => true,
        sqlite => sqlite
            .parse::<i32>()
            .is_ok_and(|c| matches!(c & 0xff, 5 | 6)),
    }
}

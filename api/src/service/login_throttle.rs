//! Log-in throttling: after too many failed log-ins for one login name, or from one
//! address, within the window, further attempts are refused (RATE_LIMITED) until the
//! oldest counted failure leaves the window. Refused attempts check no password, so
//! guessing is capped at the limit per window whatever the attacker's speed or number of
//! parallel attempts: each attempt is counted before its password is checked.
//!
//! Failures are rows in `login_failures`, so every instance sharing the database counts
//! the same ones. A successful log-in forgets its login name's failures.

use entity::login_failure;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
    sea_query::{Expr, ExprTrait},
};

use super::now;
use crate::{
    config::RateLimitConfig,
    error::{Error, Result},
};

/// Who is trying: the login name as typed (any case) and the client's address.
#[derive(Debug, Clone)]
pub struct Attempt {
    login: String,
    ip: String,
}

impl Attempt {
    /// An attempt at `login` from `ip`; login names compare trimmed and without case, as
    /// emails do.
    pub fn new(login: &str, ip: std::net::IpAddr) -> Self {
        Self {
            login: login.trim().to_lowercase(),
            ip: ip.to_string(),
        }
    }
}

/// Counts the attempt as a failure before its password is checked, then refuses it
/// (removing that count again) when its login name or address is over the limit. Counting
/// first, in a transaction that attempts on the same name or address take in turn, is what
/// makes the limit exact under concurrent guesses: the first `limit` reach a password
/// check and every later one is refused, however many arrive at once. A failed check
/// leaves the count in place; a successful one [`forget`]s it.
pub async fn begin(
    db: &DatabaseConnection,
    limits: &RateLimitConfig,
    attempt: &Attempt,
) -> Result<()> {
    if limits.login_max_failures == 0 && limits.login_max_failures_per_ip == 0 {
        return Ok(());
    }
    let txn = super::begin_write(db).await?;
    // SQLite's write lock already orders the attempts; PostgreSQL takes a lock per login
    // name and per address, always in that order, so two attempts cannot wait on each other.
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext('login:' || $1)), \
                    pg_advisory_xact_lock(hashtext('ip:' || $2))",
            [attempt.login.clone().into(), attempt.ip.clone().into()],
        ))
        .await?;
    }
    let refusal = count_and_decide(&txn, limits, attempt).await?;
    txn.commit().await?;
    match refusal {
        None => Ok(()),
        Some(retry_after_secs) => {
            crate::metrics::rate_limited("login");
            Err(Error::LoginThrottled { retry_after_secs })
        }
    }
}

/// Within [`begin`]'s transaction: forgets failures that left the window, counts this
/// attempt, and says how long to wait when that puts it over a limit (uncounting it then).
async fn count_and_decide(
    txn: &DatabaseTransaction,
    limits: &RateLimitConfig,
    attempt: &Attempt,
) -> Result<Option<u64>> {
    let now = now();
    let cutoff = now - limits.login_window();
    login_failure::Entity::delete_many()
        .filter(login_failure::COLUMN.created_at.lte(cutoff))
        .exec(txn)
        .await?;
    let counted = login_failure::ActiveModel {
        login: Set(attempt.login.clone()),
        ip: Set(attempt.ip.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let by_login = (
        login_failure::COLUMN.login,
        &attempt.login,
        limits.login_max_failures,
    );
    let by_ip = (
        login_failure::COLUMN.ip,
        &attempt.ip,
        limits.login_max_failures_per_ip,
    );
    for (column, value, max) in [by_login, by_ip] {
        if max == 0 {
            continue;
        }
        let (count, oldest): (i64, Option<chrono::DateTime<chrono::Utc>>) =
            login_failure::Entity::find()
                .select_only()
                .column_as(Expr::col(login_failure::Column::Id).count(), "count")
                .column_as(Expr::col(login_failure::Column::CreatedAt).min(), "oldest")
                .filter(column.eq(value.as_str()))
                .filter(login_failure::COLUMN.created_at.gt(cutoff))
                .into_tuple()
                .one(txn)
                .await?
                .unwrap_or((0, None));
        // This attempt is among the count: it may be the limit-th, not one more.
        if count > i64::from(max) {
            // A refused attempt checks no password, so it is no failure to count.
            login_failure::Entity::delete_by_id(counted.id)
                .exec(txn)
                .await?;
            let free_at = oldest.unwrap_or(now) + limits.login_window();
            let wait = Ord::max((free_at - now).num_seconds(), 1);
            return Ok(Some(u64::try_from(wait).unwrap_or(1)));
        }
    }
    Ok(None)
}

/// Forgets the login name's failures after it logged in.
pub async fn forget(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::COLUMN.login.eq(attempt.login.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

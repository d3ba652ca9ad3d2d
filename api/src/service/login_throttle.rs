//! Log-in throttling that stops guessing without locking the owner out. Failures are
//! counted per account (whichever of its username or email was typed; an unknown name by
//! the name) and per address (IPv6 by its /64), with three limits:
//!
//! - per (account, address): a few guesses, then that address is refused for that account;
//! - per address: a client guessing many accounts is refused altogether;
//! - per account, from all addresses: a higher bound on what a botnet may try, which does
//!   not hold for the addresses where the account has a live session, so that an attacker
//!   guessing from elsewhere cannot keep the owner out of their own devices.
//!
//! Refused attempts check no password, so guessing stays within the limits whatever the
//! attacker's speed or number of parallel attempts: each attempt is counted before its
//! password is checked. Failures are rows in `login_failures`, so every instance sharing
//! the database counts the same ones. A successful log-in forgets the failures of its
//! account from its address.

use entity::{login_failure, session};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Statement,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};

use super::now;
use crate::{
    config::RateLimitConfig,
    error::{Error, Result},
    rate_limit::network_text,
};

/// Who is trying: the account and the client's address, as they are counted.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// `user:<id>`, or `name:<typed>` for a name no account has.
    account: String,
    /// The existing user tried, if any.
    user_id: Option<i32>,
    ip: String,
}

impl Attempt {
    /// An attempt at the existing user `user_id` from `ip`, whatever name was typed.
    pub fn for_user(user_id: i32, ip: std::net::IpAddr) -> Self {
        Self {
            account: format!("user:{user_id}"),
            user_id: Some(user_id),
            ip: network_text(ip),
        }
    }

    /// An attempt at a name no account has, from `ip`; names compare trimmed and without
    /// case, as emails do.
    pub fn for_unknown(login: &str, ip: std::net::IpAddr) -> Self {
        Self {
            account: format!("name:{}", login.trim().to_lowercase()),
            user_id: None,
            ip: network_text(ip),
        }
    }

    /// The address as sessions record it.
    pub fn address(&self) -> &str {
        &self.ip
    }
}

/// Counts the attempt as a failure before its password is checked, then refuses it
/// (removing that count again) when it is over a limit. Counting first, in a transaction
/// that attempts on the same account or address take in turn, is what makes the limits
/// exact under concurrent guesses: the first `limit` reach a password check and every
/// later one is refused, however many arrive at once. A failed check leaves the count in
/// place; a successful one [`forget`]s it.
pub async fn begin(
    db: &DatabaseConnection,
    limits: &RateLimitConfig,
    attempt: &Attempt,
) -> Result<()> {
    if limits.login_max_failures == 0
        && limits.login_max_failures_per_ip == 0
        && limits.login_max_failures_per_account == 0
    {
        return Ok(());
    }
    let txn = super::begin_write(db).await?;
    // SQLite's write lock already orders the attempts; PostgreSQL takes a lock per account
    // and per address, always in that order, so two attempts cannot wait on each other.
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext('login:' || $1)), \
                    pg_advisory_xact_lock(hashtext('ip:' || $2))",
            [attempt.account.clone().into(), attempt.ip.clone().into()],
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

/// Which failures a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Pair,
    Address,
    Account,
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
        login: Set(attempt.account.clone()),
        ip: Set(attempt.ip.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let scopes = [
        (Scope::Pair, limits.login_max_failures),
        (Scope::Address, limits.login_max_failures_per_ip),
        (Scope::Account, limits.login_max_failures_per_account),
    ];
    for (scope, max) in scopes {
        if max == 0 {
            continue;
        }
        let by_account = login_failure::COLUMN.login.eq(attempt.account.as_str());
        let by_address = login_failure::COLUMN.ip.eq(attempt.ip.as_str());
        let condition: SimpleExpr = match scope {
            Scope::Pair => by_account.and(by_address),
            Scope::Address => by_address,
            Scope::Account => by_account,
        };
        let (count, oldest): (i64, Option<chrono::DateTime<chrono::Utc>>) =
            login_failure::Entity::find()
                .select_only()
                .column_as(Expr::col(login_failure::Column::Id).count(), "count")
                .column_as(Expr::col(login_failure::Column::CreatedAt).min(), "oldest")
                .filter(condition)
                .filter(login_failure::COLUMN.created_at.gt(cutoff))
                .into_tuple()
                .one(txn)
                .await?
                .unwrap_or((0, None));
        // This attempt is among the count: it may be the limit-th, not one more.
        if count <= i64::from(max) {
            continue;
        }
        if scope == Scope::Account && is_owners_address(txn, attempt).await? {
            continue;
        }
        // A refused attempt checks no password, so it is no failure to count.
        login_failure::Entity::delete_by_id(counted.id)
            .exec(txn)
            .await?;
        let free_at = oldest.unwrap_or(now) + limits.login_window();
        let wait = Ord::max((free_at - now).num_seconds(), 1);
        return Ok(Some(u64::try_from(wait).unwrap_or(1)));
    }
    Ok(None)
}

/// Whether the account has a live session started from the attempt's address: asked only
/// once the account is over its limit, so ordinary attempts cost no statement for it.
async fn is_owners_address(txn: &DatabaseTransaction, attempt: &Attempt) -> Result<bool> {
    let Some(user_id) = attempt.user_id else {
        return Ok(false);
    };
    let sessions = session::Entity::find()
        .filter(session::COLUMN.user_id.eq(user_id))
        .filter(session::COLUMN.ip.eq(attempt.ip.as_str()))
        .filter(session::COLUMN.expires_at.gt(now()))
        .count(txn)
        .await?;
    Ok(sessions > 0)
}

/// Forgets the account's failures from the attempt's address after it logged in there.
/// Those from other addresses stay: the owner's success must not hand an attacker
/// elsewhere fresh guesses.
pub async fn forget(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::COLUMN.login.eq(attempt.account.as_str()))
        .filter(login_failure::COLUMN.ip.eq(attempt.ip.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

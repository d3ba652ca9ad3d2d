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
    ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
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
/// first is what makes the limit hold under concurrent guesses: each one sees the others,
/// so no more than the limit reach a password check in a window, however many arrive at
/// once. A failed check leaves the count in place; a successful one [`forget`]s it.
pub async fn begin(
    db: &impl ConnectionTrait,
    limits: &RateLimitConfig,
    attempt: &Attempt,
) -> Result<()> {
    if limits.login_max_failures == 0 && limits.login_max_failures_per_ip == 0 {
        return Ok(());
    }
    let now = now();
    let cutoff = now - limits.login_window();
    login_failure::Entity::delete_many()
        .filter(login_failure::COLUMN.created_at.lte(cutoff))
        .exec(db)
        .await?;
    let counted = login_failure::ActiveModel {
        login: Set(attempt.login.clone()),
        ip: Set(attempt.ip.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
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
                .one(db)
                .await?
                .unwrap_or((0, None));
        // This attempt is among the count: it may be the limit-th, not one more.
        if count > i64::from(max) {
            // A refused attempt checks no password, so it is no failure to count.
            login_failure::Entity::delete_by_id(counted.id)
                .exec(db)
                .await?;
            let free_at = oldest.unwrap_or(now) + limits.login_window();
            let wait = Ord::max((free_at - super::now()).num_seconds(), 1);
            crate::metrics::rate_limited("login");
            return Err(Error::LoginThrottled {
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
            });
        }
    }
    Ok(())
}

/// Forgets the login name's failures after it logged in.
pub async fn forget(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::COLUMN.login.eq(attempt.login.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

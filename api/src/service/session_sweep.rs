//! Deletes expired sessions on a schedule (`--session-sweep-secs`), so that a server that
//! runs for years does not keep every token it ever issued. One task per server, started
//! with its state and stopped when the last clone of the state goes.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::service::auth::delete_expired_sessions;

/// The running sweep; aborted when dropped.
#[derive(Debug)]
pub struct SweepTask(tokio::task::AbortHandle);

impl Drop for SweepTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts deleting expired sessions every `every`, the first time at once; `None` when
/// `every` is zero (sweeping turned off).
pub fn spawn(db: DatabaseConnection, every: Duration) -> Option<SweepTask> {
    if every.is_zero() {
        return None;
    }
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        // A sweep that overran (a slow database) is not made up for with a burst.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // Every instance sweeps; the statements delete the same rows and cannot conflict
            // beyond one of them finding nothing left.
            match delete_expired_sessions(&db).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "expired sessions deleted"),
                Err(err) => tracing::warn!(%err, "deleting expired sessions failed; retried later"),
            }
        }
    });
    Some(SweepTask(task.abort_handle()))
}

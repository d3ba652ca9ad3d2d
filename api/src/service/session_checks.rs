//! Re-checking the sessions of this instance's sockets and subscriptions against the
//! database, for what no notice told: a logout sent while the LISTEN connection was down
//! (after each reconnect), and, every `--ws-session-check-secs`, a session that expired,
//! a user deactivated by hand, or a role changed by `api admin` on SQLite (another process,
//! which cannot reach this one's hub). One statement per check (per 500 sessions).

use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::viewer::live_sessions;
use crate::events::{Events, Hub, Notice, listener};

/// Ends the subscriptions and closes the sockets whose session is gone, expired or
/// deactivated, or whose user's role is no longer the one the socket was opened with.
/// Should the check itself fail, everything stays as it was until the next one; it is
/// logged.
pub async fn check_sessions(db: &DatabaseConnection, hub: &Hub) {
    let sockets = hub.sockets().sessions();
    let mut held = hub.session_ids();
    held.extend(sockets.iter().map(|(id, _)| *id));
    held.sort_unstable();
    held.dedup();
    if held.is_empty() {
        return;
    }
    match live_sessions(db, &held).await {
        Ok(live) => {
            for session_id in held.into_iter().filter(|id| !live.contains_key(id)) {
                hub.dispatch(&Notice::SessionEnded { session_id });
            }
            hub.sockets().end_unless(&live);
        }
        Err(err) => tracing::warn!(error = %err, "cannot re-check the sockets' sessions"),
    }
}

/// The check after the LISTEN connection is back (see [`listener::Resync`]): notices sent
/// while it was down, logouts among them, never reached this instance.
pub fn resync(db: DatabaseConnection, events: &Events) -> listener::Resync {
    let hub = events.hub().clone();
    Box::new(move || {
        let (db, hub) = (db.clone(), hub.clone());
        Box::pin(async move { check_sessions(&db, &hub).await })
    })
}

/// The periodic check; dropping it stops the task.
pub struct CheckTask(tokio::task::AbortHandle);

impl Drop for CheckTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Checks the sessions of `events`' sockets every `every`.
pub fn spawn(db: DatabaseConnection, events: &Events, every: Duration) -> CheckTask {
    let hub = events.hub().clone();
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            check_sessions(&db, &hub).await;
        }
    });
    CheckTask(task.abort_handle())
}

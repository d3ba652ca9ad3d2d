//! The one LISTEN connection of an instance on PostgreSQL: it receives every instance's
//! notices and hands them to this instance's hub. When the connection drops it reconnects
//! with exponential backoff and jitter; meanwhile /readyz reports it down. Notices sent
//! while it is down are lost (PostgreSQL keeps none for absent listeners): subscribers
//! resume with the next todo event, and, so that a logout is never among the lost, every
//! reconnect checks the sessions of this instance's sockets and subscribers against the
//! database (`checks`) and ends those that are no longer valid.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use async_graphql::futures_util::future::BoxFuture;
use sea_orm::sqlx::postgres::PgListener;

use super::{CHANNEL, Events, Hub, notice};

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The running listener; dropping it stops the task and closes its connection.
pub struct ListenerTask(tokio::task::AbortHandle);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What to do after a reconnect, for the notices that may have been missed meanwhile:
/// re-check the sessions of this instance's sockets (`service::session_checks`).
pub type Resync = Box<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// Starts listening on `database_url` for `events`' hub; `resync` runs after each
/// reconnect.
pub fn spawn(database_url: String, events: &Events, resync: Resync) -> ListenerTask {
    let hub = events.hub().clone();
    let listening = events.listening_flag();
    let task = tokio::spawn(async move { run(&database_url, &hub, &listening, &resync).await });
    ListenerTask(task.abort_handle())
}

async fn run(database_url: &str, hub: &Hub, listening: &AtomicBool, resync: &Resync) {
    let mut backoff = FIRST_BACKOFF;
    let mut reconnecting = false;
    loop {
        match listen(database_url).await {
            Ok(mut listener) => {
                listening.store(true, Ordering::Relaxed);
                backoff = FIRST_BACKOFF;
                tracing::info!(channel = CHANNEL, "listening for events");
                // Listening again before the check, so that a logout after it is heard.
                if reconnecting {
                    resync().await;
                }
                reconnecting = true;
                // `try_recv` answers `None` when the connection is lost; reconnecting is
                // ours to do, with backoff.
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            for notice in notice::unpack(notification.payload()) {
                                hub.dispatch(&notice);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("event listener lost its connection");
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(%err, "event listener failed");
                            break;
                        }
                    }
                }
                listening.store(false, Ordering::Relaxed);
            }
            Err(err) => tracing::warn!(%err, ?backoff, "event listener cannot connect"),
        }
        let jitter = Duration::from_millis(u64::from(OsRng.next_u32() % 100));
        tokio::time::sleep(backoff + jitter).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn listen(database_url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Keeps [`ListenerTask`] alive as long as any clone of the state.
pub type SharedListener = Arc<ListenerTask>;

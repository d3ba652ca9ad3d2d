//! Whether the database is reachable, as this instance last saw it. While it is known to be
//! down, requests are answered at once (503, Retry-After) instead of each waiting out the
//! pool's acquire timeout to fail anyway: clients and load balancers see a fast failure,
//! and waiting requests do not fill every place in flight.
//!
//! On PostgreSQL a probe task pings the server at a fixed interval over a connection of its
//! own (through the pool, a busy pool would look like an outage), and at once when a request
//! suspects one (an internal error): an outage is known within about one ping's timeout, a
//! recovery within one interval. An SQLite file lives in the process and is never down.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sea_orm::sqlx::{Connection, postgres::PgConnection};
use tokio::sync::Notify;

/// Seconds a client is told to wait while the database is down: the probe looks again
/// sooner than that.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The shared view of the database's health; cheap to clone.
#[derive(Clone)]
pub struct DbHealth {
    inner: Arc<Inner>,
    _probe: Option<Arc<ProbeTask>>,
}

#[derive(Default)]
struct Inner {
    down: AtomicBool,
    suspected: Notify,
}

/// The running probe; dropping the last [`DbHealth`] stops it.
struct ProbeTask(tokio::task::AbortHandle);

impl Drop for ProbeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl DbHealth {
    /// A database that is always there: an SQLite file.
    pub fn embedded() -> Self {
        Self {
            inner: Arc::new(Inner::default()),
            _probe: None,
        }
    }

    /// Starts probing the PostgreSQL server at `database_url` every `interval`; a ping that
    /// takes longer than `timeout` counts as a failure (a network partition answers nothing).
    pub fn probe_postgres(database_url: String, interval: Duration, timeout: Duration) -> Self {
        let inner = Arc::new(Inner::default());
        let task = tokio::spawn(probe(database_url, inner.clone(), interval, timeout));
        Self {
            inner,
            _probe: Some(Arc::new(ProbeTask(task.abort_handle()))),
        }
    }

    /// The database did not answer the last probe.
    pub fn is_down(&self) -> bool {
        self.inner.down.load(Ordering::Relaxed)
    }

    /// A request failed in a way an outage would explain: probe now rather than at the next
    /// interval.
    pub fn suspect(&self) {
        self.inner.suspected.notify_one();
    }
}

async fn probe(database_url: String, inner: Arc<Inner>, interval: Duration, timeout: Duration) {
    let mut connection = None;
    loop {
        let reachable =
            match tokio::time::timeout(timeout, ping(&database_url, &mut connection)).await {
                Ok(reachable) => reachable,
                Err(_) => {
                    // Cut off mid-way, the connection's state is unknown: start afresh.
                    connection = None;
                    false
                }
            };
        let was_down = inner.down.swap(!reachable, Ordering::Relaxed);
        match (was_down, reachable) {
            (false, false) => tracing::error!("the database is unreachable: refusing requests"),
            (true, true) => tracing::info!("the database is reachable again"),
            _ => {}
        }
        // Suspicions while a probe ran are answered by the next one, not by a burst.
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = inner.suspected.notified(), if reachable => {}
        }
    }
}

/// One round trip over the probe's connection, opening it first if need be. A connection that
/// fails is replaced once before the database counts as down: a connection cut (by a
/// restart of a proxy, say) is not an outage.
async fn ping(database_url: &str, connection: &mut Option<PgConnection>) -> bool {
    if let Some(open) = connection.as_mut() {
        match open.ping().await {
            Ok(()) => return true,
            Err(err) => {
                tracing::debug!(%err, "database probe's connection failed; reconnecting");
                *connection = None;
            }
        }
    }
    match PgConnection::connect(database_url).await {
        Ok(mut opened) => {
            let answered = opened.ping().await.is_ok();
            *connection = answered.then_some(opened);
            answered
        }
        Err(err) => {
            tracing::debug!(%err, "database probe could not connect");
            false
        }
    }
}

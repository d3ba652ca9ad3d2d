//! The execution policy, in one place for every transport: an operation runs only while
//! the database is up and a place in flight is free (refused at once otherwise: answering
//! 503 beats queueing until timeouts), then in its turn (see [`turns`](super::turns)),
//! within the request timeout, with its SQL statements counted and stopped at that
//! deadline. HTTP runs a request's operations through [`Gate::run`]; a WebSocket's
//! operation, whose subscription works once per event, through the [`Pace`] that
//! [`Gate::pace`] gives it.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{pace::Pace, turns::Turns};
use crate::{
    config::HttpConfig,
    db::{
        health::{DbHealth, RETRY_AFTER_SECS},
        statements::StatementCounter,
    },
    error::Error,
    rate_limit::{ClientKey, RateLimiter},
};

/// How long a client refused for lack of places in flight should wait.
const BUSY_RETRY_SECS: u64 = 1;

/// The policy of one instance; cheap to clone.
#[derive(Clone)]
pub struct Gate {
    db_health: DbHealth,
    /// Places for operations in flight; `None` without a limit.
    in_flight: Option<Arc<Semaphore>>,
    turns: Turns,
    timeout: Duration,
}

/// A place in flight: hold it until the operation's answer is built. None without a limit.
pub struct Place(Option<OwnedSemaphorePermit>);

/// What [`Gate::run`] gives back: the work's output, or the timeout's error, and how many
/// statements it executed either way.
pub struct Ran<T> {
    /// The work's output, or [`Error::Timeout`].
    pub outcome: Result<T, Error>,
    /// SQL statements executed.
    pub statements: u32,
}

impl Gate {
    /// The policy `http` configures (`--max-in-flight`, `--max-executing`, the request
    /// timeout), refusing while `db_health` says the database is down.
    pub fn new(http: &HttpConfig, db_health: DbHealth) -> Self {
        Self {
            db_health,
            in_flight: (http.max_in_flight > 0)
                .then(|| Arc::new(Semaphore::new(http.max_in_flight))),
            turns: Turns::new(http.max_executing),
            timeout: http.request_timeout(),
        }
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A place in flight, or why there is none: the database is known to be down
    /// ([`Error::DatabaseDown`]) or every place is taken ([`Error::Busy`]).
    pub fn enter(&self) -> Result<Place, Error> {
        if self.db_health.is_down() {
            return Err(Error::DatabaseDown {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        match self.in_flight.clone().map(Semaphore::try_acquire_owned) {
            Some(Err(_)) => {
                crate::metrics::rate_limited("busy");
                Err(Error::Busy {
                    retry_after_secs: BUSY_RETRY_SECS,
                })
            }
            Some(Ok(slot)) => Ok(Place(Some(slot))),
            None => Ok(Place(None)),
        }
    }

    /// Runs `work` in its turn and within the timeout, counting its statements (the
    /// counter it is given is the one its loaders must count on too).
    pub async fn run<T, Work>(&self, work: impl FnOnce(StatementCounter) -> Work) -> Ran<T>
    where
        Work: Future<Output = T>,
    {
        let counter = StatementCounter::until(std::time::Instant::now() + self.timeout);
        let in_turn = {
            let work = work(counter.clone());
            async {
                let _turn = self.turns.wait().await;
                work.await
            }
        };
        let outcome = tokio::time::timeout(self.timeout, counter.scope(in_turn))
            .await
            .map_err(|_| {
                tracing::warn!(timeout_secs = self.timeout.as_secs(), "request timed out");
                Error::Timeout(self.timeout.as_secs())
            });
        Ran {
            outcome,
            statements: counter.get(),
        }
    }

    /// The pace of a socket's operation: it holds `place` until its first piece of work
    /// ends, and charges each later one (a subscription's events) to `client`.
    pub fn pace(&self, place: Place, client: Option<(RateLimiter, ClientKey)>) -> Pace {
        let pace = Pace::new(self.turns.clone(), self.timeout, client);
        pace.hold_slot(place.0);
        pace
    }

    /// Asks the database probe to look now rather than at its next interval: an operation
    /// failed as it would if the database were gone.
    pub fn suspect_outage(&self) {
        self.db_health.suspect();
    }
}

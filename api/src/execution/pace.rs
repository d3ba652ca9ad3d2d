//! How one operation on a WebSocket takes its share of the server, like a request over
//! HTTP: a place among those in flight while it runs, a turn to execute
//! (`http::turns`), and the request timeout. A query or a mutation runs once; a
//! subscription runs once per event, and holds nothing between events: each event waits
//! for its turn, is charged to the session's rate limit (the subscription's cost), and is
//! resolved within the timeout, counted from its arrival.
//!
//! The socket's executor (`http::ws`) starts the clock and watches it around the whole
//! operation; the subscription resolver, which alone knows when it waits and when an
//! event arrives, calls [`Pace::idle`] and [`Pace::begin`].

use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{
    sync::{OwnedSemaphorePermit, watch},
    time::Instant,
};

use super::turns::{Turn, Turns};
use crate::{
    db::statements::StatementCounter,
    rate_limit::{ClientKey, RateLimiter, RetryAfter},
};

/// What the operation holds while it runs.
#[derive(Default)]
struct Held {
    turn: Option<Turn>,
    slot: Option<OwnedSemaphorePermit>,
}

/// One socket operation's turns, clock and charges; in its request data.
pub struct Pace {
    turns: Turns,
    timeout: Duration,
    charge: Option<(RateLimiter, ClientKey)>,
    held: Mutex<Held>,
    /// When the current piece of work began; `None` while waiting for an event.
    started: watch::Sender<Option<Instant>>,
    /// The operation's statements, stopped at the current piece of work's deadline.
    statements: StatementCounter,
}

impl Pace {
    /// An operation held to `turns` and `timeout`, whose events are charged to `client`.
    pub fn new(turns: Turns, timeout: Duration, charge: Option<(RateLimiter, ClientKey)>) -> Self {
        Self {
            turns,
            timeout,
            charge,
            held: Mutex::default(),
            started: watch::Sender::new(None),
            statements: StatementCounter::default(),
        }
    }

    /// The operation's statements: run its work in their scope, so that SQLite stops them
    /// at the timeout as it stops a request's.
    pub fn statements(&self) -> &StatementCounter {
        &self.statements
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timeout each piece of work has.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Keeps `slot` (a place in flight) until the operation waits or ends.
    pub fn hold_slot(&self, slot: Option<OwnedSemaphorePermit>) {
        self.held().slot = slot;
    }

    /// Starts a piece of work: its clock now, then its turn, in order of arrival.
    pub async fn begin(&self) {
        let now = Instant::now();
        self.started.send_replace(Some(now));
        self.statements
            .stop_at(Some((now + self.timeout).into_std()));
        let turn = self.turns.wait().await;
        self.held().turn = turn;
    }

    /// The piece of work is done: its turn goes to the next, its clock stops.
    pub fn finish(&self) {
        self.held().turn = None;
        self.started.send_replace(None);
        self.statements.stop_at(None);
    }

    /// The operation waits (a subscription, for its next event): it holds no turn and no
    /// place in flight, and no clock runs.
    pub fn idle(&self) {
        let mut held = self.held();
        held.turn = None;
        held.slot = None;
        self.started.send_replace(None);
        self.statements.stop_at(None);
    }

    /// Charges `points` to the session's rate limit; how long to wait if it is spent.
    pub async fn charge(&self, points: u64) -> Result<(), RetryAfter> {
        match &self.charge {
            Some((limiter, client)) => limiter.charge(client, points.max(1)).await,
            None => Ok(()),
        }
    }

    /// Resolves once the current piece of work has run longer than the timeout; never
    /// while the operation waits.
    pub async fn expired(&self) {
        let mut started = self.started.subscribe();
        loop {
            let at = *started.borrow_and_update();
            match at {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at + self.timeout) => return,
                        changed = started.changed() => {
                            if changed.is_err() {
                                return;
                            }
                        }
                    }
                }
                // The sender lives as long as `self`: `changed` fails only if it is gone.
                None => {
                    if started.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "in a test, a failed expectation is the failure"
)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_clock_and_the_turn_are_held_only_while_working() {
        let turns = Turns::new(1);
        let pace = Pace::new(turns.clone(), Duration::from_millis(50), None);
        pace.begin().await;
        tokio::time::timeout(Duration::from_secs(5), pace.expired())
            .await
            .expect("the work runs out of time");
        pace.idle();
        let waiting = tokio::time::timeout(Duration::from_millis(200), pace.expired()).await;
        assert!(waiting.is_err(), "no clock runs while waiting for an event");
        let other = Pace::new(turns, Duration::from_secs(1), None);
        tokio::time::timeout(Duration::from_secs(5), other.begin())
            .await
            .expect("the one turn was given back");
    }
}

//! Turns to execute: at most so many GraphQL operations run at once, the rest wait in order
//! of arrival (within their request timeout). On a few cores, more operations at once add
//! no throughput, only memory (each holds the response it is building) and latency (each
//! shares the cores with every other). The in-flight limit (`--max-in-flight`) is the
//! other bound: how many may wait at all before the server answers 503.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The turns of one instance; cheap to clone.
#[derive(Clone, Debug)]
pub struct Turns(Arc<Semaphore>);

/// One operation's turn; it ends when dropped.
pub struct Turn(#[allow(dead_code, reason = "held for its drop")] OwnedSemaphorePermit);

impl Turns {
    /// `at_once` operations at a time (at least one).
    pub fn new(at_once: usize) -> Self {
        Self(Arc::new(Semaphore::new(at_once.max(1))))
    }

    /// Waits for a turn; tokio's semaphore is fair, so turns go in order of arrival.
    pub async fn wait(&self) -> Option<Turn> {
        // The semaphore is never closed; were it, the operation would run without a turn.
        self.0.clone().acquire_owned().await.ok().map(Turn)
    }
}

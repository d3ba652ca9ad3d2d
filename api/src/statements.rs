//! Counts the SQL statements each request executes, so that "no N+1" is measured, not hoped
//! for: the count is logged with every request and, when configured, sent back in the
//! `x-sql-statements` response header (the tests and the benchmark read it).
//!
//! The counter is task-local: SeaORM's metric callback runs inside the future that executes
//! the statement, so it finds the counter of the request that future belongs to. DataLoader
//! batches run in tasks of their own; `Loaders` spawns them inside the same scope.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

tokio::task_local! {
    static CURRENT: Arc<AtomicU32>;
}

/// One request's statement count.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU32>);

impl StatementCounter {
    /// Statements executed so far within [`StatementCounter::scope`].
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Runs `future` with this counter counting its statements.
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> + use<F> {
        CURRENT.scope(self.0.clone(), future)
    }
}

/// Called by the connection for every statement it executes.
pub(crate) fn record() {
    // Outside a request (migrations, start-up) there is no counter: nothing to do.
    let _ = CURRENT.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
}

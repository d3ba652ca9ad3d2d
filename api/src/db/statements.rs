//! Counts the SQL statements each request executes, so that "no N+1" is measured, not hoped
//! for: the count is logged with every request and, when configured, sent back in the
//! `x-sql-statements` response header (the tests and the benchmark read it).
//!
//! The counter is task-local: SeaORM's metric callback runs inside the future that executes
//! the statement, so it finds the counter of the request that future belongs to. DataLoader
//! batches run in tasks of their own; `Loaders` spawns them inside the same scope.
//!
//! The same scope carries the request's deadline, so that an SQLite connection handed to
//! the request stops its statements there (see `db::bound_sqlite_statements`): sqlx-sqlite
//! lets a statement run on when its future is dropped at the request timeout.

use std::{
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU32, Ordering},
    },
    time::Instant,
};

tokio::task_local! {
    static CURRENT: StatementCounter;
}

/// One request's statement count, and when its statements must stop.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter {
    count: Arc<AtomicU32>,
    /// Shared, so that it can move: a socket's subscription has a deadline per event.
    deadline: Arc<Mutex<Option<Instant>>>,
}

impl StatementCounter {
    /// A counter whose statements stop at `deadline` (on SQLite; PostgreSQL's own
    /// statement_timeout does it there).
    pub fn until(deadline: Instant) -> Self {
        let counter = Self::default();
        counter.stop_at(Some(deadline));
        counter
    }

    /// From now on, statements that start stop at `deadline`; `None`: they run to the end.
    pub fn stop_at(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner) = deadline;
    }

    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Statements executed so far within [`StatementCounter::scope`].
    pub fn get(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    /// Runs `future` with this counter counting its statements.
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> + use<F> {
        CURRENT.scope(self.clone(), future)
    }
}

/// Called by the connection for every statement it executes.
pub(crate) fn record() {
    // Outside a request (migrations, start-up) there is no counter: nothing to do.
    let _ = CURRENT.try_with(|counter| counter.count.fetch_add(1, Ordering::Relaxed));
}

/// The counter of the operation the current task works for, if any: a DataLoader batch
/// spawned from it counts (and stops) with it.
pub(crate) fn current() -> Option<StatementCounter> {
    CURRENT.try_with(StatementCounter::clone).ok()
}

/// When the statements of the current request must stop; `None` outside a request, whose
/// statements (migrations, background work) run to the end.
pub(crate) fn deadline() -> Option<Instant> {
    CURRENT.try_with(StatementCounter::deadline).ok().flatten()
}

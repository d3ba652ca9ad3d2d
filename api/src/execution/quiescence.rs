//! Deterministic batching. async-graphql's DataLoader runs a batch a fixed delay after its
//! first key; resolving a long list can take longer than that (a list of more than 32 items
//! is resolved over several polls, since `FuturesUnordered` yields to the scheduler), and
//! the batch then splits, costing extra statements. So batches also wait until the request
//! is idle: not being polled and not scheduled to be. By then every sibling has registered
//! its key, which is what "one statement per level" needs.
//!
//! A batch that has its rows hands them to the waiting fields one by one, and the request
//! may be polled (on another thread) in between: fields that got their rows register the
//! next level's keys while their siblings still wait for theirs. So from the moment a
//! batch's query returns until its task ends, the request counts as busy too
//! ([`Delivering`]).

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll, Wake, Waker},
};

use tokio::sync::Notify;

/// Whether a request's future is busy, and a way to wait until it is not.
#[derive(Debug, Default)]
pub struct RequestActivity {
    state: Mutex<State>,
    idle: Notify,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    polling: bool,
    scheduled: bool,
    /// Batches handing out their rows.
    delivering: usize,
}

impl RequestActivity {
    fn update(&self, change: impl FnOnce(&mut State)) -> State {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state);
        *state
    }

    fn is_idle(&self) -> bool {
        let state = self.update(|_| {});
        !state.polling && !state.scheduled && state.delivering == 0
    }

    /// Completes once the request is neither being polled nor scheduled to be.
    pub async fn until_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.is_idle() {
                return;
            }
            notified.await;
        }
    }
}

tokio::task_local! {
    /// The batch task being run, if any: set by [`run_batch`].
    static BATCH: Arc<Delivering>;
}

/// One batch task's mark: whether its rows are being handed out.
#[derive(Debug)]
pub struct Delivering {
    activity: Arc<RequestActivity>,
    marked: std::sync::atomic::AtomicBool,
}

impl Drop for Delivering {
    fn drop(&mut self) {
        if *self.marked.get_mut() {
            self.activity.update(|s| s.delivering -= 1);
            self.activity.idle.notify_waiters();
        }
    }
}

/// Runs a DataLoader batch of the request once the request is idle; the request stays busy
/// while the batch delivers its rows.
pub async fn run_batch(activity: Arc<RequestActivity>, batch: impl Future<Output = ()>) {
    activity.until_idle().await;
    let mark = Arc::new(Delivering {
        activity,
        marked: std::sync::atomic::AtomicBool::new(false),
    });
    BATCH.scope(mark, batch).await;
}

/// Called by a loader when its query has returned, before the DataLoader hands out the rows.
pub fn rows_loaded() {
    let _ = BATCH.try_with(|mark| {
        if !mark.marked.swap(true, std::sync::atomic::Ordering::AcqRel) {
            mark.activity.update(|s| s.delivering += 1);
        }
    });
}

/// Runs `future`, recording its activity in `activity`.
pub fn track<F: Future>(activity: Arc<RequestActivity>, future: F) -> Tracked<F> {
    Tracked {
        future: Box::pin(future),
        activity,
    }
}

/// A future whose polls and wake-ups are recorded.
pub struct Tracked<F: Future> {
    future: Pin<Box<F>>,
    activity: Arc<RequestActivity>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let activity = self.activity.clone();
        activity.update(|s| {
            s.polling = true;
            s.scheduled = false;
        });
        let waker = Waker::from(Arc::new(RecordingWaker {
            activity: activity.clone(),
            inner: cx.waker().clone(),
        }));
        let result = self.future.as_mut().poll(&mut Context::from_waker(&waker));
        activity.update(|s| s.polling = false);
        activity.idle.notify_waiters();
        result
    }
}

/// Marks the request scheduled before waking it.
struct RecordingWaker {
    activity: Arc<RequestActivity>,
    inner: Waker,
}

impl Wake for RecordingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.activity.update(|s| s.scheduled = true);
        self.inner.wake_by_ref();
    }
}

//! Stopping with a deadline. On the stop signal axum closes the listener at once (new
//! connections are refused) and lets requests in flight finish; this bounds how long they
//! get, so that one stuck request (a lock wait, a database that stopped answering) cannot
//! keep a deployment from completing.

use std::{future::Future, time::Duration};

use tokio::{net::TcpListener, sync::oneshot};

use crate::{error::Result, state::AppState};

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every request in flight finished.
    Drained,
    /// Requests were still running when the timeout passed; they were abandoned.
    TimedOut,
}

/// Serves `app(state)` on `listener` until `signal` completes, then waits up to `timeout`
/// for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    signal: impl Future<Output = ()> + Send + 'static,
    timeout: Duration,
) -> Result<Stopped> {
    let (signalled, on_signal) = oneshot::channel::<()>();
    let graceful = async move {
        signal.await;
        let _ = signalled.send(());
    };
    let deadline = async move {
        // The sender only goes away unsent if the server stopped first, and then this
        // branch no longer matters.
        if on_signal.await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(timeout).await;
    };
    tokio::select! {
        result = super::serve(listener, state, graceful) => result.map(|()| Stopped::Drained),
        () = deadline => {
            tracing::warn!(
                timeout_secs = timeout.as_secs(),
                "requests still running after the shutdown timeout: abandoning them"
            );
            Ok(Stopped::TimedOut)
        }
    }
}

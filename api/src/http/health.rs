//! Liveness and readiness probes for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode};

use crate::state::AppState;

/// The process is up and serving HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; 503 when it does not, so that a load balancer stops sending
/// traffic here until it does.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

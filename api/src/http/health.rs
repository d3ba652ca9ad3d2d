//! Liveness and readiness probes for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode};

use crate::state::AppState;

/// The process is up and serving HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and, on PostgreSQL, the event listener is connected; 503 when not,
/// so that a load balancer stops sending traffic here (and subscribers reconnect elsewhere)
/// until both are back.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // Ready when requests are served: while the probe sees the database down they are not.
    if state.db_health.is_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if let Err(err) = state.db.ping().await {
        tracing::warn!(%err, "readiness check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if !state.events.is_listening() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "event listener not connected",
        );
    }
    (StatusCode::OK, "ready")
}

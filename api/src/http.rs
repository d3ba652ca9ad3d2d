//! The HTTP surface: routes, the per-request span, and serving with graceful shutdown.

mod client;
mod graphiql;
mod graphql;

mod health;
pub mod metrics;
pub mod shutdown;
mod ws;

use std::future::Future;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    routing::get,
};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::{
    error::{Error, Result},
    state::AppState,
};

/// The whole router; tests serve exactly this.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    if state.http.graphiql {
        router = router
            .route("/", get(graphiql::page))
            .route("/graphiql/{file}", get(graphiql::asset));
    }
    router
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    // The route's pattern, not the raw URI: bounded cardinality, no query text.
                    let path = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or(request.uri().path(), MatchedPath::as_str);
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %path,
                        sql_statements = tracing::field::Empty,
                        operation = tracing::field::Empty,
                        cost = tracing::field::Empty,
                    )
                })
                .on_request(())
                .on_response(
                    |response: &axum::response::Response,
                     latency: std::time::Duration,
                     _: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            duration_ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    },
                ),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ws::intercept,
        ))
        .layer(DefaultBodyLimit::max(state.http.body_limit_bytes))
        .layer(axum::middleware::from_fn(crate::metrics::request_scope))
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` completes; requests in flight then
/// finish before this returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    // The peer address feeds rate limits and log-in throttling of anonymous clients.
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|err| Error::Internal(format!("server failed: {err}")))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

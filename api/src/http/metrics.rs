//! The metrics listener: `GET /metrics` on the `--metrics-listen` address, apart from the
//! public listener, so that only what can reach that address (a scraper on the internal
//! network) sees the server's internals.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    config::TelemetryConfig,
    error::{Error, Result},
    metrics::PoolSample,
    state::AppState,
};

/// How often recorded histogram samples are folded into buckets between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The Prometheus text exposition format's media type.
const CONTENT_TYPE_PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A running metrics listener; dropping it stops it.
pub struct MetricsServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// The address it listens on (the real port when `--metrics-listen` gave port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `--metrics-listen` and serves `/metrics` there for `state`'s server until the
/// returned [`MetricsServer`] is dropped; `None` when metrics are off.
pub async fn start(config: &TelemetryConfig, state: &AppState) -> Result<Option<MetricsServer>> {
    let (Some(addr), Some(metrics)) = (config.metrics_listen, state.metrics.clone()) else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|err| Error::Internal(format!("cannot listen on {addr} for metrics: {err}")))?;
    let addr = listener
        .local_addr()
        .map_err(|err| Error::Internal(format!("metrics listener: {err}")))?;
    let router = Router::new()
        .route("/metrics", get(render))
        .with_state(state.clone());
    let task = tokio::spawn(async move {
        let upkeep = async {
            let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                interval.tick().await;
                metrics.upkeep();
            }
        };
        tokio::select! {
            served = axum::serve(listener, router) => {
                if let Err(err) = served {
                    tracing::error!(%err, "the metrics listener failed");
                }
            }
            () = upkeep => {}
        }
    });
    tracing::info!("serving metrics on http://{addr}/metrics");
    Ok(Some(MetricsServer { addr, task }))
}

/// GET /metrics.
async fn render(State(state): State<AppState>) -> Response {
    let Some(metrics) = &state.metrics else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let text = metrics.render(pool_sample(&state.db), state.events.hub().len());
    ([(CONTENT_TYPE, CONTENT_TYPE_PROMETHEUS)], text).into_response()
}

/// The pool's connections now; `None` for a connection that is not an sqlx pool.
fn pool_sample(db: &DatabaseConnection) -> Option<PoolSample> {
    // The pool getters panic on the other backend, hence the check first.
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return None,
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Some(PoolSample {
        in_use: size.saturating_sub(idle),
        idle,
    })
}

//! The state every HTTP handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use crate::{
    config::{Config, HttpConfig, SubscriptionConfig},
    db,
    error::Result,
    events::{Events, HubLimits, SocketLimits, checks, listener},
    graphql::{AppData, build_schema, executor::ApiSchema, limits::QueryLimits},
    http::{Documents, turns::Turns},
    metrics::Metrics,
    rate_limit::RateLimiter,
    service::{page::PageLimits, password::Passwords},
};

/// Cheap to clone: the pool and the schema are handles.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema with its app-wide data.
    pub schema: ApiSchema,
    /// How long loaders gather keys.
    pub dataloader_delay: std::time::Duration,
    /// Whether responses carry the `x-sql-statements` header.
    pub expose_sql_statement_count: bool,
    /// Live updates: publishing and this instance's subscribers.
    pub events: Events,
    /// WebSocket and subscription limits.
    pub subscriptions: SubscriptionConfig,
    /// GraphQL-over-HTTP settings (batching, limits).
    pub http: HttpConfig,
    /// Persisted queries or trusted documents.
    pub documents: Documents,
    /// Slots for GraphQL requests in flight; `None` without a limit.
    pub in_flight: Option<Arc<Semaphore>>,
    /// Turns to execute: how many operations run at once.
    pub turns: Turns,
    /// Prometheus metrics; `None` when `--metrics-listen` is not set.
    pub metrics: Option<Metrics>,
    /// The rate limits in cost points (the one `QueryLimits` charges), for what a socket
    /// charges outside an operation's admission: its subscriptions' events.
    pub rate_limiter: RateLimiter,
    /// The periodic re-check of open sockets' sessions; it stops with the last clone.
    _session_checks: Arc<checks::CheckTask>,
    /// The LISTEN connection on PostgreSQL; it stops when the last clone of the state goes.
    _listener: Option<Arc<listener::ListenerTask>>,
}

impl AppState {
    /// Connects to the database, runs pending migrations unless told not to, and builds the
    /// schema.
    pub async fn new(config: &Config) -> Result<Self> {
        let db = db::connect(config).await?;
        if config.no_migrate {
            tracing::info!("pending migrations not run (--no-migrate)");
        } else {
            db::migrate(&db).await?;
        }
        let page_limits = PageLimits {
            default: config.page_size_default,
            max: config.page_size_max,
        };
        let events = Events::new(
            &db,
            HubLimits {
                queue: config.subscriptions.subscriber_queue,
                max_subscriptions: config.subscriptions.max_subscriptions,
                max_subscriptions_per_user: config.subscriptions.max_subscriptions_per_user,
                max_subscriptions_per_address: config.subscriptions.max_subscriptions_per_address,
                sockets: SocketLimits {
                    per_user: config.subscriptions.max_sockets_per_user,
                    per_address: config.subscriptions.max_sockets_per_address,
                },
            },
        );
        let listener = events.through_postgres().then(|| {
            Arc::new(listener::spawn(
                config.database_url.clone(),
                db.clone(),
                &events,
            ))
        });
        let rate_limiter = RateLimiter::new(&config.rate_limits);
        let session_checks = Arc::new(checks::spawn(
            db.clone(),
            &events,
            config.subscriptions.ws_session_check(),
        ));
        let limits = QueryLimits::new(
            config.limits.clone(),
            config.page_size_default,
            rate_limiter.clone(),
            crate::graphql::executor::pricing_registry(),
        );
        let data = AppData {
            db: db.clone(),
            passwords: Passwords::new().await?,
            auth: config.auth.clone(),
            page_limits,
            events: events.clone(),
            rate_limits: config.rate_limits.clone(),
        };
        let schema = build_schema(data, limits, config.limits.introspection);
        Ok(Self {
            db,
            schema,
            dataloader_delay: std::time::Duration::from_millis(config.dataloader_delay_ms),
            expose_sql_statement_count: config.expose_sql_statement_count,
            events,
            subscriptions: config.subscriptions.clone(),
            http: config.http.clone(),
            documents: Documents::new(&config.documents)?,
            in_flight: (config.http.max_in_flight > 0)
                .then(|| Arc::new(Semaphore::new(config.http.max_in_flight))),
            turns: Turns::new(config.http.max_executing),
            metrics: config.telemetry.metrics_listen.map(|_| Metrics::install()),
            rate_limiter,
            _session_checks: session_checks,
            _listener: listener,
        })
    }
}

//! The state every HTTP handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    config::{Config, HttpConfig, LimitsConfig, SubscriptionConfig},
    db::{self, health::DbHealth},
    error::Result,
    events::{Events, HubLimits, SocketLimits, listener},
    execution::{
        documents::Documents, gate::Gate, limits::QueryLimits, prepared::PreparedDocuments,
    },
    metrics::Metrics,
    rate_limit::RateLimiter,
    schema::{Api, AppData, build_schema, compiled::CompiledOperations},
    service::{page::PageLimits, password::Passwords, session_checks},
};

/// Cheap to clone: the pool and the schema are handles.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Whether the database answers, as the last probe saw.
    pub db_health: DbHealth,
    /// The GraphQL schema with its app-wide data.
    pub schema: Api,
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
    /// Limits on one GraphQL document, for the checks made before it is parsed.
    pub limits: LimitsConfig,
    /// Documents parsed before (the schema's limits hold the same cache).
    pub prepared: Arc<PreparedDocuments>,
    /// Plans of the operations the compiled path answers; `None` when it is off.
    pub compiled: Option<Arc<CompiledOperations>>,
    /// Page sizes, for the compiled path's arguments.
    pub page_limits: PageLimits,
    /// The rate limiter (the schema's limits hold the same buckets), for what is charged
    /// outside an operation's admission: requests refused before they reach the schema, and
    /// a socket's subscription events.
    pub rate_limiter: RateLimiter,
    /// What every operation passes before it runs: the database up, a place in flight, its
    /// turn, the timeout.
    pub gate: Gate,
    /// Prometheus metrics; `None` when `--metrics-listen` is not set.
    pub metrics: Option<Metrics>,
    /// The periodic re-check of open sockets' sessions; it stops with the last clone.
    _session_checks: Arc<session_checks::CheckTask>,
    /// The LISTEN connection on PostgreSQL; it stops when the last clone of the state goes.
    _listener: Option<Arc<listener::ListenerTask>>,
    /// Deletes expired sessions on a schedule; stops with the last clone of the state.
    _session_sweep: Option<Arc<crate::service::session_sweep::SweepTask>>,
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
                &events,
                session_checks::resync(db.clone(), &events),
            ))
        });
        let rate_limiter = RateLimiter::new(&config.rate_limits)
            .shared_through(&config.redis)
            .await?;
        let session_checks = Arc::new(session_checks::spawn(
            db.clone(),
            &events,
            config.subscriptions.ws_session_check(),
        ));
        let prepared = Arc::new(PreparedDocuments::new(
            config.documents.prepared_documents,
            config.documents.prepared_documents_bytes,
        ));
        let limits = QueryLimits::new(
            config.limits.clone(),
            config.page_size_default,
            rate_limiter.clone(),
            crate::schema::pricing_registry(),
            prepared.clone(),
        );
        let data = AppData {
            db: db.clone(),
            passwords: Passwords::new().await?,
            auth: config.auth.clone(),
            page_limits,
            events: events.clone(),
            rate_limits: config.rate_limits.clone(),
            rate_limiter: rate_limiter.clone(),
        };
        let session_sweep = crate::service::session_sweep::spawn(
            db.clone(),
            std::time::Duration::from_secs(config.auth.session_sweep_secs),
        )
        .map(Arc::new);
        let schema = build_schema(data, limits, config.limits.introspection);
        let db_health = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            DbHealth::probe_postgres(
                config.database_url.clone(),
                config.pool.probe_interval(),
                config.pool.acquire_timeout(),
            )
        } else {
            DbHealth::embedded()
        };
        let gate = Gate::new(&config.http, db_health.clone());
        Ok(Self {
            db,
            db_health,
            schema,
            dataloader_delay: std::time::Duration::from_millis(config.dataloader_delay_ms),
            expose_sql_statement_count: config.expose_sql_statement_count,
            events,
            subscriptions: config.subscriptions.clone(),
            http: config.http.clone(),
            documents: Documents::new(&config.documents, &config.limits)?,
            limits: config.limits.clone(),
            prepared,
            compiled: config
                .documents
                .compiled_operations
                .then(|| {
                    CompiledOperations::new(
                        config.documents.prepared_documents,
                        config.documents.prepared_documents_bytes,
                    )
                })
                .flatten()
                .map(Arc::new),
            page_limits,
            rate_limiter,
            gate,
            metrics: config.telemetry.metrics_listen.map(|_| Metrics::install()),
            _session_checks: session_checks,
            _listener: listener,
            _session_sweep: session_sweep,
        })
    }
}

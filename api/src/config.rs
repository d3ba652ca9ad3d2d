//! The server's configuration: one typed struct, read once from flags and environment
//! variables, then passed down. `api --help` documents every field. Each section of
//! settings is a struct of its own, flattened into [`Config`], in a file of its own.

mod auth;
mod command;
mod documents;
mod http;
mod limits;
mod pool;
mod rate_limit;
mod redis;
mod shutdown;
mod subscription;
mod telemetry;

use std::net::SocketAddr;

use clap::{Args, Parser};

pub use self::{
    auth::AuthConfig,
    command::{AdminCommand, Cli, Command},
    documents::DocumentsConfig,
    http::HttpConfig,
    limits::LimitsConfig,
    pool::PoolConfig,
    rate_limit::RateLimitConfig,
    redis::RedisConfig,
    shutdown::ShutdownConfig,
    subscription::SubscriptionConfig,
    telemetry::TelemetryConfig,
};

/// The embedded SQLite file used when DATABASE_URL is not set, so that a fresh checkout runs
/// with no database server (shared with the migration CLI).
pub use migration::DEFAULT_DATABASE_URL;

/// Everything the server can be told. Each field has a flag and an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database to use: `postgres://user:pass@host/db` or `sqlite://path?mode=rwc`.
    /// Default: the SQLite file `todo.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub listen: SocketAddr,

    /// Do not run pending migrations at start.
    #[arg(long, env = "NO_MIGRATE", global = true)]
    pub no_migrate: bool,

    /// Send each response's SQL statement count in an `x-sql-statements` header (for tests
    /// and benchmarks; it tells clients about the server's internals, so it is off by default).
    #[arg(long, env = "EXPOSE_SQL_STATEMENT_COUNT", global = true)]
    pub expose_sql_statement_count: bool,

    /// Connection pool settings.
    #[command(flatten)]
    pub pool: PoolConfig,

    /// Page size of a connection when the client gives neither `first` nor `last`.
    #[arg(long, env = "PAGE_SIZE_DEFAULT", default_value_t = 20, global = true)]
    pub page_size_default: u64,

    /// Largest `first` or `last` a client may ask for.
    #[arg(long, env = "PAGE_SIZE_MAX", default_value_t = 100, global = true)]
    pub page_size_max: u64,

    /// Milliseconds a DataLoader batch waits for more keys once the request is idle. Batches
    /// already wait until the request has registered every key it can (see
    /// `execution::quiescence`), so the default adds no latency.
    #[arg(long, env = "DATALOADER_DELAY_MS", default_value_t = 0, global = true)]
    pub dataloader_delay_ms: u64,

    /// Authentication settings.
    #[command(flatten)]
    pub auth: AuthConfig,

    /// Live update (subscription) settings.
    #[command(flatten)]
    pub subscriptions: SubscriptionConfig,

    /// GraphQL-over-HTTP settings.
    #[command(flatten)]
    pub http: HttpConfig,

    /// Limits on what one operation may ask for (depth, aliases, cost, ...).
    #[command(flatten)]
    pub limits: LimitsConfig,

    /// Rate limits in cost points, and log-in throttling.
    #[command(flatten)]
    pub rate_limits: RateLimitConfig,

    /// Redis, to share the rate limits' budgets between instances.
    #[command(flatten)]
    pub redis: RedisConfig,

    /// Persisted queries and trusted documents.
    #[command(flatten)]
    pub documents: DocumentsConfig,

    /// Shutdown settings.
    #[command(flatten)]
    pub shutdown: ShutdownConfig,

    /// Logging and metrics settings.
    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

impl Config {
    /// The configuration from the environment and defaults alone (no flags); tests start
    /// from it and set what they need.
    pub fn defaults() -> Self {
        // Parsing an empty command line cannot fail: every field has a default.
        match Cli::try_parse_from(["api"]) {
            Ok(cli) => cli.config,
            Err(err) => unreachable!("defaults must parse: {err}"),
        }
    }
}

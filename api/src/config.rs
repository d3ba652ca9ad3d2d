//! The server's configuration: one typed struct, read once from flags and environment
//! variables, then passed down. `api --help` documents every field.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

/// The embedded SQLite file used when DATABASE_URL is not set, so that a fresh checkout runs
/// with no database server (shared with the migration CLI).
pub use migration::DEFAULT_DATABASE_URL;

/// The `api` command line.
#[derive(Debug, Parser)]
#[command(name = "api", version, about = "GraphQL server for todo applications")]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server settings (also accepted before the subcommand).
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands of `api`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (the default).
    Serve,
    /// Load a sample (two users, a few hundred todos with tags, due dates and history) and
    /// print the demo user's login. Replaces an earlier sample.
    SeedDemo,
    /// Load the benchmark's data set (`tests/bench/`) into an empty database: N users with
    /// their todos, tags shared by all, and the admin `bench_admin`. The same data on every
    /// run for the same sizes.
    SeedBench {
        /// Users to create (besides the admin).
        #[arg(long, default_value_t = 2_000)]
        users: u32,
        /// Todos per user.
        #[arg(long, default_value_t = 25)]
        todos_per_user: u32,
        /// Tags shared by all todos.
        #[arg(long, default_value_t = 100)]
        tags: u32,
    },
    /// Print the GraphQL schema (SDL) to stdout; `schema.graphql` at the repository root is
    /// its output. Needs no database.
    ExportSchema {
        /// Write to this file instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Manage the admin role: `api admin grant <username>`, `api admin revoke <username>`.
    Admin {
        /// What to change.
        #[command(subcommand)]
        action: AdminCommand,
    },
}

/// The subcommands of `api admin`. Both are idempotent; an unknown username is an error
/// (exit status 1).
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Make the user an admin: they see everyone's todos and manage tags.
    Grant {
        /// The user's username.
        username: String,
    },
    /// Make the admin a plain user again.
    Revoke {
        /// The user's username.
        username: String,
    },
}

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
    /// `graphql::loaders::quiescence`), so the default adds no latency.
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

/// Settings of the database connection pool.
#[derive(Debug, Clone, Args)]
pub struct PoolConfig {
    /// Most connections the pool opens.
    #[arg(
        long = "db-max-connections",
        env = "DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub max_connections: u32,

    /// Connections the pool keeps open even when idle.
    #[arg(
        long = "db-min-connections",
        env = "DB_MIN_CONNECTIONS",
        default_value_t = 1,
        global = true
    )]
    pub min_connections: u32,

    /// Seconds a request waits for a free connection before failing.
    #[arg(
        long = "db-acquire-timeout",
        env = "DB_ACQUIRE_TIMEOUT",
        default_value_t = 5,
        global = true
    )]
    pub acquire_timeout_secs: u64,

    /// Seconds an idle connection above the minimum stays open.
    #[arg(
        long = "db-idle-timeout",
        env = "DB_IDLE_TIMEOUT",
        default_value_t = 600,
        global = true
    )]
    pub idle_timeout_secs: u64,

    /// Milliseconds between checks that the database (PostgreSQL) answers, over a connection
    /// of their own; while it does not, requests are refused at once with 503 and Retry-After
    /// instead of each waiting out the acquire timeout. A check that takes longer than the
    /// acquire timeout counts as a failure.
    #[arg(
        long = "db-probe-interval-ms",
        env = "DB_PROBE_INTERVAL_MS",
        default_value_t = 1_000,
        global = true
    )]
    pub probe_interval_ms: u64,

    /// Check a connection with a round trip before handing it out (the seed's pool_pre_ping).
    #[arg(
        long = "db-test-before-acquire",
        env = "DB_TEST_BEFORE_ACQUIRE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub test_before_acquire: bool,
}

impl PoolConfig {
    /// The acquire timeout as a duration.
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.acquire_timeout_secs)
    }

    /// The interval of the database probe as a duration.
    pub fn probe_interval(&self) -> Duration {
        Duration::from_millis(self.probe_interval_ms)
    }

    /// The idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

/// Settings of sign-up, log-in and sessions.
#[derive(Debug, Clone, Args)]
pub struct AuthConfig {
    /// Days a session token stays valid after log-in.
    #[arg(long, env = "SESSION_TTL_DAYS", default_value_t = 30, global = true)]
    pub session_ttl_days: u32,

    /// Seconds between two deletions of expired sessions, by a task the server starts
    /// (0: never; expired tokens are refused either way).
    #[arg(
        long,
        env = "SESSION_SWEEP_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub session_sweep_secs: u64,
}

impl AuthConfig {
    /// The session lifetime.
    pub fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.session_ttl_days))
    }
}

/// Settings of `todoEvents` subscriptions over WebSocket.
#[derive(Debug, Clone, Args)]
pub struct SubscriptionConfig {
    /// Seconds a WebSocket client has to send connection_init before it is closed (4408).
    #[arg(
        long,
        env = "WS_INIT_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub ws_init_timeout_secs: u64,

    /// Events one subscriber may have waiting; one that falls further behind is closed with
    /// an error instead of being buffered without limit.
    #[arg(long, env = "SUBSCRIBER_QUEUE", default_value_t = 256, global = true)]
    pub subscriber_queue: usize,

    /// Open subscriptions allowed on one WebSocket connection.
    #[arg(
        long,
        env = "MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 20,
        global = true
    )]
    pub max_subscriptions_per_connection: usize,

    /// Open subscriptions allowed on this server instance.
    #[arg(
        long,
        env = "MAX_SUBSCRIPTIONS",
        default_value_t = 10_000,
        global = true
    )]
    pub max_subscriptions: usize,

    /// Open WebSockets one user may have on this server instance (counted when the socket
    /// authenticates); one more is closed with 4429. 0 turns the limit off.
    #[arg(
        long,
        env = "MAX_SOCKETS_PER_USER",
        default_value_t = 20,
        global = true
    )]
    pub max_sockets_per_user: usize,

    /// Open WebSockets one client address (IPv6: its /64) may have on this server instance,
    /// authenticated or not; one more upgrade is refused with 429. 0 turns the limit off.
    #[arg(
        long,
        env = "MAX_SOCKETS_PER_ADDRESS",
        default_value_t = 100,
        global = true
    )]
    pub max_sockets_per_address: usize,

    /// Open subscriptions one user may have on this server instance, over all their
    /// sockets; one more is refused with RATE_LIMITED. 0 turns the limit off.
    #[arg(
        long,
        env = "MAX_SUBSCRIPTIONS_PER_USER",
        default_value_t = 100,
        global = true
    )]
    pub max_subscriptions_per_user: usize,

    /// Open subscriptions one client address (IPv6: its /64) may have on this server
    /// instance; one more is refused with RATE_LIMITED. 0 turns the limit off.
    #[arg(
        long,
        env = "MAX_SUBSCRIPTIONS_PER_ADDRESS",
        default_value_t = 500,
        global = true
    )]
    pub max_subscriptions_per_address: usize,

    /// Seconds between checks of every open socket's session against the database: a
    /// session deleted, expired, deactivated or given another role by a change that sent no
    /// notice (an `UPDATE` by hand; `api admin` on SQLite, which runs in another process)
    /// closes its sockets with 4401 by the next check. Operations on a socket re-check their
    /// session anyway.
    #[arg(
        long,
        env = "WS_SESSION_CHECK_SECS",
        default_value_t = 30,
        global = true
    )]
    pub ws_session_check_secs: u64,
}

impl SubscriptionConfig {
    /// The connection_init deadline as a duration.
    pub fn ws_init_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_init_timeout_secs)
    }

    /// How often open sockets' sessions are re-checked (at least every second).
    pub fn ws_session_check(&self) -> Duration {
        Duration::from_secs(self.ws_session_check_secs.max(1))
    }
}

/// Settings of the GraphQL-over-HTTP endpoint (`/graphql`).
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Most GraphQL requests one POST may carry as a JSON array (a batch); 0 turns batching
    /// off, and a batch is then refused with 400. Batching is not part of the
    /// GraphQL-over-HTTP spec, hence opt-in. Every operation of a batch is to count against
    /// the cost limits (depth, complexity, rate) that later hardening adds, so that a batch
    /// cannot multiply what one request may cost.
    #[arg(long, env = "BATCH_MAX", default_value_t = 0, global = true)]
    pub batch_max: usize,

    /// Largest request body accepted, in bytes; a larger one is refused with 413.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub body_limit_bytes: usize,

    /// Seconds a GraphQL request may run before it is stopped (503). On PostgreSQL the same
    /// bound is the connections' statement_timeout, so the database stops working too.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// GraphQL requests this instance runs at once; more are refused at once with 503 and
    /// Retry-After, rather than queued until they time out (0: no limit).
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 512, global = true)]
    pub max_in_flight: usize,

    /// GraphQL queries and mutations this instance executes at once (default: twice its
    /// CPU cores); the others in flight wait their turn in order of arrival, within the
    /// request timeout. More at once than the cores can run adds only memory and latency.
    #[arg(long, env = "MAX_EXECUTING", default_value_t = twice_the_cores(), global = true)]
    pub max_executing: usize,

    /// Take the client's IP address from this header (e.g. X-Forwarded-For; its last
    /// entry) instead of the TCP peer: set it when a proxy you run sits in front, never
    /// otherwise, since clients can write any header.
    #[arg(long, env = "CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// Serve GraphiQL at `/` (turn off in production with `--graphiql false`).
    #[arg(
        long,
        env = "GRAPHIQL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub graphiql: bool,
}

/// Two operations per core: one runs while the other waits for the database.
fn twice_the_cores() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

impl HttpConfig {
    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

/// Limits on one GraphQL document, checked before anything executes; a document over one
/// is refused with TOO_COMPLEX.
#[derive(Debug, Clone, Args)]
pub struct LimitsConfig {
    /// Longest query text accepted, in bytes. Checked before the document is parsed, on
    /// every way in (HTTP, WebSocket, APQ registration, the trusted-documents manifest).
    #[arg(long, env = "MAX_QUERY_LENGTH", default_value_t = 32 * 1024, global = true)]
    pub max_query_length: usize,

    /// Most tokens in a query text (names, values, punctuators; commas and comments do not
    /// count), checked before it is parsed. Apollo Router's default; large generated
    /// documents have a few thousand.
    #[arg(
        long,
        env = "MAX_QUERY_TOKENS",
        default_value_t = 15_000,
        global = true
    )]
    pub max_query_tokens: usize,

    /// Deepest nesting of brackets, braces and parentheses together in a query text
    /// (outside strings and comments), checked before it is parsed: the parser and the
    /// validator recurse once per level, so this is what keeps a small document from
    /// overflowing the stack. Selection sets alone may not nest past 32 anyway.
    #[arg(long, env = "MAX_QUERY_NESTING", default_value_t = 64, global = true)]
    pub max_query_nesting: usize,

    /// Most bytes an operation's variables may take once copied to every place the
    /// document uses them (each variable's size in memory times its uses), checked before
    /// validation: async-graphql copies a variable at each use, so one large string used
    /// thousands of times would otherwise take gigabytes.
    #[arg(
        long,
        env = "MAX_VARIABLE_BYTES",
        default_value_t = 4 * 1024 * 1024,
        global = true
    )]
    pub max_variable_bytes: u64,

    /// Deepest nesting of fields in an operation.
    #[arg(long, env = "MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Most aliased fields in an operation (fragments counted where they are used).
    #[arg(long, env = "MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,

    /// Most directives in an operation (fragments counted where they are used).
    #[arg(long, env = "MAX_DIRECTIVES", default_value_t = 50, global = true)]
    pub max_directives: usize,

    /// Deepest nesting of fragment spreads (a fragment that spreads a fragment that ...).
    #[arg(long, env = "MAX_FRAGMENT_DEPTH", default_value_t = 8, global = true)]
    pub max_fragment_depth: usize,

    /// Most fields an operation selects once its fragments are expanded (a fragment counts
    /// each time it is spread): a few bytes of fragments spread into each other many times
    /// would otherwise make the executor walk billions of fields that cost nothing.
    #[arg(long, env = "MAX_FIELDS", default_value_t = 2_000, global = true)]
    pub max_fields: usize,

    /// Largest cost of an operation: the number of nodes it may return, each connection
    /// counting its page size times its parents' page sizes.
    #[arg(long, env = "MAX_COST", default_value_t = 10_000, global = true)]
    pub max_cost: u64,

    /// Largest response, in bytes of JSON: lists stop growing once their items have taken
    /// this much, and the operation ends with TOO_COMPLEX (`responseBytes`, `limit`).
    /// Cost bounds how many nodes a response holds; this bounds their size.
    #[arg(
        long,
        env = "MAX_RESPONSE_BYTES",
        default_value_t = 8 * 1024 * 1024,
        global = true
    )]
    pub max_response_bytes: usize,

    /// What each mutation field costs, on top of what its selection returns.
    #[arg(long, env = "MUTATION_COST", default_value_t = 10, global = true)]
    pub mutation_cost: u64,

    /// Answer introspection queries (`__schema`, `__type`); turn off in production with
    /// `--introspection false` when clients are built from schema.graphql.
    #[arg(
        long,
        env = "INTROSPECTION",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub introspection: bool,
}

/// Rate limits: token buckets of cost points, per token for signed-in requests and per
/// client IP for anonymous ones, refilled evenly over the window. Each instance counts its
/// own; log-in failures are counted in the database, so they hold across instances.
#[derive(Debug, Clone, Args)]
pub struct RateLimitConfig {
    /// Cost points a signed-in client may spend per window (0: no limit).
    #[arg(
        long = "rate-limit-points",
        env = "RATE_LIMIT_POINTS",
        default_value_t = 50_000,
        global = true
    )]
    pub points: u64,

    /// Cost points an anonymous client (one IP address) may spend per window (0: no limit).
    #[arg(
        long = "rate-limit-anonymous-points",
        env = "RATE_LIMIT_ANONYMOUS_POINTS",
        default_value_t = 10_000,
        global = true
    )]
    pub anonymous_points: u64,

    /// Length of the rate-limit window, in seconds.
    #[arg(
        long = "rate-limit-window-secs",
        env = "RATE_LIMIT_WINDOW_SECS",
        default_value_t = 60,
        global = true
    )]
    pub window_secs: u64,

    /// Clients whose buckets are remembered at once; beyond it, full buckets are forgotten
    /// first, so memory stays bounded.
    #[arg(
        long = "rate-limit-max-clients",
        env = "RATE_LIMIT_MAX_CLIENTS",
        default_value_t = 100_000,
        global = true
    )]
    pub max_clients: usize,

    /// Failed log-ins for one account (whatever name or email was typed; unknown names by
    /// the name) from one address (IPv6: its /64) within the log-in window before further
    /// attempts for that account from that address are refused (0: no limit).
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5, global = true)]
    pub login_max_failures: u32,

    /// Failed log-ins for one account from all addresses within the log-in window before
    /// further attempts for it are refused (0: no limit), except from addresses where the
    /// account has a live session: an attacker guessing from elsewhere does not lock the
    /// owner out of their own devices, while a botnet's guesses stay bounded.
    #[arg(
        long,
        env = "LOGIN_MAX_FAILURES_PER_ACCOUNT",
        default_value_t = 100,
        global = true
    )]
    pub login_max_failures_per_account: u32,

    /// Successful log-ins from one address (IPv6: its /64) per hour; beyond it log-ins from
    /// there are refused (RATE_LIMITED) before any password is checked (0: no limit).
    #[arg(long, env = "LOG_INS_PER_HOUR", default_value_t = 60, global = true)]
    pub log_ins_per_hour: u32,

    /// Sign-ups from one address (IPv6: its /64) per hour; beyond it signUp is refused
    /// (RATE_LIMITED) before the password is hashed (0: no limit).
    #[arg(long, env = "SIGN_UPS_PER_HOUR", default_value_t = 10, global = true)]
    pub sign_ups_per_hour: u32,

    /// Cost points that signUp and logIn take from the client's rate limit on top of their
    /// operation's cost: each hashes a password (Argon2, 19 MiB), far more work than a
    /// query of the same cost.
    #[arg(long, env = "PASSWORD_POINTS", default_value_t = 500, global = true)]
    pub password_points: u64,

    /// Failed log-ins from one IP address (IPv6: its /64) within the log-in window before
    /// further attempts from it are refused (0: no limit).
    #[arg(
        long,
        env = "LOGIN_MAX_FAILURES_PER_IP",
        default_value_t = 20,
        global = true
    )]
    pub login_max_failures_per_ip: u32,

    /// The log-in throttling window, in seconds.
    #[arg(
        long,
        env = "LOGIN_WINDOW_SECS",
        default_value_t = 15 * 60,
        global = true
    )]
    pub login_window_secs: u64,
}

impl RateLimitConfig {
    /// The rate-limit window as a duration.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }

    /// The log-in throttling window.
    pub fn login_window(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.login_window_secs).unwrap_or(i64::MAX))
    }
}

/// Persisted queries: Apollo's automatic persisted queries (APQ), or a fixed list of
/// trusted documents.
#[derive(Debug, Clone, Args)]
pub struct DocumentsConfig {
    /// Documents remembered for automatic persisted queries (least recently used are
    /// forgotten first); 0 turns APQ off.
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1000, global = true)]
    pub apq_cache_size: usize,

    /// Most bytes of document text the APQ cache holds (least recently used are forgotten
    /// first), so that its memory is bounded whatever the documents' sizes.
    #[arg(
        long,
        env = "APQ_CACHE_BYTES",
        default_value_t = 8 * 1024 * 1024,
        global = true
    )]
    pub apq_cache_bytes: usize,

    /// Run only the operations of this manifest: a JSON object of hash → document, as
    /// Relay's persisted-query output and graphql-codegen's client preset write. Anything
    /// else is refused, introspection included, and APQ registration is off.
    #[arg(long, env = "TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<PathBuf>,
}

/// Settings of stopping on SIGTERM or Ctrl-C.
#[derive(Debug, Clone, Args)]
pub struct ShutdownConfig {
    /// Seconds requests in flight get to finish once a stop signal arrives; the process then
    /// exits even if some still run, so that a stuck request cannot hold up a deployment.
    #[arg(
        long = "shutdown-timeout-secs",
        env = "SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub timeout_secs: u64,
}

impl ShutdownConfig {
    /// The shutdown timeout as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// Settings of logs and metrics.
#[derive(Debug, Clone, Args)]
pub struct TelemetryConfig {
    /// Log line format: `text` for people, `json` (one object per line) for log collectors.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value_t = crate::telemetry::LogFormat::Text,
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,

    /// Serve Prometheus metrics at `/metrics` on this address, a listener apart from the
    /// public one so that metrics stay internal. Off when unset.
    #[arg(long, env = "METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,
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

//! Settings of the database connection pool.

use std::time::Duration;

use clap::Args;

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

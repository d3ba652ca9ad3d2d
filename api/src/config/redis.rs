//! Sharing the rate limits' cost budgets through Redis.

use std::time::Duration;

use clap::Args;

/// Redis, where the cost budgets of the rate limits live when several instances must share
/// them. Unset, each instance counts its own (the default).
#[derive(Debug, Clone, Args)]
pub struct RedisConfig {
    /// Redis to keep the rate limits' cost budgets in (`redis://[:password@]host:port[/db]`),
    /// so that they hold across every instance that uses it. Off when unset: each instance
    /// counts its own. While Redis does not answer, each instance falls back to its own
    /// buckets (see README).
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// What the name of every key this server writes to Redis begins with, so that several
    /// deployments (or tests) can share one Redis without sharing budgets.
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "todo:", global = true)]
    pub redis_key_prefix: String,

    /// Milliseconds a charge waits for Redis before the instance falls back to its own
    /// buckets; a request is never delayed by more than this when Redis goes away.
    #[arg(long, env = "REDIS_TIMEOUT_MS", default_value_t = 50, global = true)]
    pub redis_timeout_ms: u64,
}

impl RedisConfig {
    /// How long one call to Redis may take.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.redis_timeout_ms.max(1))
    }
}

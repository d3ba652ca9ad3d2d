//! Settings of sign-up, log-in and sessions.

use clap::Args;

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

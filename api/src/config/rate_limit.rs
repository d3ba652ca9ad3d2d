//! Rate limits and log-in throttling.

use std::time::Duration;

use clap::Args;

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

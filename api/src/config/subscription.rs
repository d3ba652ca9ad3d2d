//! Settings of subscriptions and WebSockets.

use std::time::Duration;

use clap::Args;

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

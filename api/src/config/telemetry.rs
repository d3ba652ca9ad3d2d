//! Settings of logs and metrics.

use std::net::SocketAddr;

use clap::Args;

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

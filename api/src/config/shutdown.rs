//! Settings of stopping.

use std::time::Duration;

use clap::Args;

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

//! Logging through `tracing`: RUST_LOG picks what is shown.

use tracing_subscriber::EnvFilter;

/// What is logged when RUST_LOG is not set: the server's own events and one line per
/// request, without the database driver's statement log (RUST_LOG=info,sqlx=info shows it).
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Installs the global subscriber. Call once, from `main`.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

//! Logging through `tracing`: RUST_LOG picks what is shown, `--log-format` how.
//!
//! Every HTTP request logs one `response` line inside its `request` span, whose fields say
//! what an operator asks about a GraphQL request: `operation` (its name, see
//! `crate::metrics::operation_name`; a batch's names joined by commas), `cost`
//! (`extensions.cost.requested` of the response; empty when the response has none),
//! `sql_statements`, and the line's own `duration_ms`.
//! Variables, documents and headers are never logged: they hold passwords and tokens.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// What is logged when RUST_LOG is not set: the server's own events and one line per
/// request, without the database driver's statement log (RUST_LOG=info,sqlx=info shows it).
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (the event's,
    /// `message` included) and `span` (the fields of the request span, when inside one).
    Json,
}

/// Installs the global subscriber, writing to stdout in `format`. Call once, from `main`.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        // The current span carries the request's fields; the list of all spans would only
        // repeat them.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

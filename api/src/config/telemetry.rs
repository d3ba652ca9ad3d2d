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

    /// Export traces over OTLP (HTTP, protobuf) to the collector at this base URL, e.g.
    /// `http://127.0.0.1:4318` (spans go to `<url>/v1/traces`): one span per GraphQL
    /// operation and one per SQL statement, continuing the trace of an incoming
    /// `traceparent` header. Plain `http://` only: run the collector beside the server. Off
    /// when unset.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_parser = otlp_endpoint,
        global = true
    )]
    pub otlp_endpoint: Option<String>,

    /// The `service.name` of the exported spans.
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        default_value = "todo-api",
        global = true
    )]
    pub otel_service_name: String,
}

/// An OTLP endpoint the exporter can reach: `http://`, since the server links no TLS client
/// for it (a collector beside the server forwards over TLS).
fn otlp_endpoint(value: &str) -> Result<String, String> {
    let rest = value.strip_prefix("http://").ok_or_else(|| {
        format!("{value:?} is not an http:// URL (https is not supported: run a collector beside the server)")
    })?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{value:?} has no host"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::otlp_endpoint;

    #[test]
    fn an_otlp_endpoint_is_a_plain_http_base_url() {
        assert_eq!(
            otlp_endpoint("http://collector:4318/").as_deref(),
            Ok("http://collector:4318")
        );
        assert!(otlp_endpoint("https://collector:4318").is_err());
        assert!(otlp_endpoint("collector:4318").is_err());
        assert!(otlp_endpoint("http://").is_err());
        assert!(otlp_endpoint("http:///v1/traces").is_err());
    }
}

//! Logging through `tracing`: RUST_LOG picks what is shown, `--log-format` how.
//!
//! Every HTTP request logs one `response` line inside its `request` span, whose fields say
//! what an operator asks about a GraphQL request: `operation` (its name, see
//! `crate::metrics::operation_name`; a batch's names joined by commas), `cost`
//! (`extensions.cost.requested` of the response; empty when the response has none),
//! `sql_statements`, and the line's own `duration_ms`.
//! Variables, documents and headers are never logged: they hold passwords and tokens.
//!
//! With `--otlp-endpoint`, traces are exported over OTLP too (see [`Traces`]): the spans of
//! [`TRACE_TARGET`] (one per GraphQL operation, [`operation_span`]) and SeaORM's span per
//! SQL statement, and nothing else (no span per field, no log events). Those spans are never
//! logged, and cost nothing when traces are off: no layer is interested in them.

use axum::http::HeaderMap;
use clap::ValueEnum;
use opentelemetry::{
    Context, KeyValue,
    propagation::{Extractor, TextMapPropagator},
    trace::{Link, SpanKind, TraceContextExt, TraceId, TracerProvider},
};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{Sampler, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample},
};
use tracing::{Metadata, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{FilterExt, filter_fn},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

use crate::{config::TelemetryConfig, error::Error};

/// The target of the spans that exist only to be exported as traces.
pub const TRACE_TARGET: &str = "api::trace";

/// Where SeaORM's statement spans come from (its `tracing-spans` feature).
const STATEMENT_SPAN_TARGET: &str = "sea_orm::database";

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

/// Installs the global subscriber, writing logs to stdout in `format`, without traces.
/// Call once, from `main`.
pub fn init(format: LogFormat) {
    install(format, None);
}

/// Installs the global subscriber as [`init`] does, and the trace exporter when
/// `config.otlp_endpoint` is set. Call once, from `main`, inside the tokio runtime (the
/// exporter's batches are sent from a task of it).
pub fn init_with_traces(config: &TelemetryConfig) -> Result<Traces, Error> {
    let provider = config
        .otlp_endpoint
        .as_deref()
        .map(|endpoint| tracer_provider(endpoint, &config.otel_service_name))
        .transpose()?;
    install(config.log_format, provider.as_ref());
    if let Some(endpoint) = &config.otlp_endpoint {
        tracing::info!(%endpoint, "exporting traces over OTLP");
    }
    Ok(Traces { provider })
}

fn install(format: LogFormat, traces: Option<&SdkTracerProvider>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // The trace spans would become the current span of log lines, hiding the request's.
    let logs = filter.and(filter_fn(|metadata| !is_traced_span(metadata)));
    let fmt = tracing_subscriber::fmt::layer();
    let logs = match format {
        LogFormat::Text => fmt.with_filter(logs).boxed(),
        // The current span carries the request's fields; the list of all spans would only
        // repeat them.
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(logs)
            .boxed(),
    };
    let traces = traces.map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("api"))
            // The span's own duration is what an operator reads; the rest is noise per span.
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_location(false)
            .with_target(false)
            .with_level(false)
            // Spans only: a log event would become an event of every span it happens in.
            .with_filter(filter_fn(is_traced_span))
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .init();
}

/// Whether `metadata` is of a span exported as part of a trace.
fn is_traced_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span()
        && metadata.level() <= &tracing::Level::INFO
        && (metadata.target() == TRACE_TARGET
            || metadata.target().starts_with(STATEMENT_SPAN_TARGET))
}

/// The exporter: batches of spans sent over OTLP/HTTP from a task of the tokio runtime.
fn tracer_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, Error> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        // A URL given in code is used as it is; OTEL_EXPORTER_OTLP_ENDPOINT is the base URL.
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .build()
        .map_err(|err| Error::Internal(format!("cannot build the OTLP exporter: {err}")))?;
    let batches =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(batches)
        .with_sampler(Sampler::ParentBased(Box::new(ServedRequests)))
        .with_resource(
            Resource::builder_empty()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

/// Starts a trace only at what the server serves (an operation's span, of kind server): a
/// statement outside any operation (the database probe, the session sweep) would otherwise
/// be a trace of its own every few seconds. Below a root, the parent decides
/// ([`Sampler::ParentBased`]), as it does for an incoming `traceparent`.
#[derive(Debug, Clone)]
struct ServedRequests;

impl ShouldSample for ServedRequests {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _trace_id: TraceId,
        _name: &str,
        span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: if *span_kind == SpanKind::Server {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: parent_context
                .map(|cx| cx.span().span_context().trace_state().clone())
                .unwrap_or_default(),
        }
    }
}

/// The trace exporter, if any; [`Traces::shutdown`] sends the spans still in its batch.
#[must_use = "spans still batched are lost unless `shutdown` is called"]
pub struct Traces {
    provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// Exports the spans not sent yet and stops the exporter.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK blocks the calling thread until its batch task (on this runtime) is done.
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(%err, "exporting the last spans failed"),
            Err(err) => tracing::warn!(%err, "exporting the last spans failed"),
        }
    }
}

/// The span of one GraphQL operation (or batch of them, over HTTP), exported when traces
/// are on, in the trace of the `traceparent` in `headers` if there is one. Its name and
/// fields are set once known ([`crate::http`] and the socket's executor do it): `otel.name`
/// (`query TodoList`), `graphql.operation.name`, `graphql.operation.type`,
/// `graphql.operation.cost`, `graphql.operation.sql_statements`,
/// `graphql.operation.outcome` (`ok` or the first error's code), and `otel.status_code`
/// (`ERROR` when that code is INTERNAL). A disabled span when traces are off, for which
/// nothing here does any work.
pub fn operation_span(headers: Option<&HeaderMap>) -> tracing::Span {
    let span = tracing::info_span!(
        target: TRACE_TARGET,
        "graphql operation",
        otel.name = Empty,
        otel.kind = "server",
        otel.status_code = Empty,
        graphql.operation.name = Empty,
        graphql.operation.type = Empty,
        graphql.operation.cost = Empty,
        graphql.operation.sql_statements = Empty,
        graphql.operation.outcome = Empty,
    );
    if let Some(headers) = headers
        && !span.is_disabled()
    {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        if parent.span().span_context().is_valid() {
            // Cannot fail: the span is new and enabled, so the layer has not started it.
            let _ = span.set_parent(parent);
        }
    }
    span
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

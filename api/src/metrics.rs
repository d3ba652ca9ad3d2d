//! Prometheus metrics, served at `/metrics` on a listener of their own (`--metrics-listen`).
//!
//! The series:
//!
//! | Series | Type | Labels | What |
//! |---|---|---|---|
//! | `todo_api_graphql_requests_total` | counter | `operation`, `outcome` | GraphQL requests; `outcome` is `ok` or the first error's `extensions.code` |
//! | `todo_api_graphql_request_duration_seconds` | histogram | `operation` | time from reading the request to the answer (a batch: `operation="batch"`) |
//! | `todo_api_graphql_sql_statements` | histogram | `operation` | SQL statements one HTTP request executed |
//! | `todo_api_db_pool_connections` | gauge | `state` (`in_use`, `idle`) | the pool's connections, sampled at scrape time |
//! | `todo_api_subscriptions_open` | gauge | | open `todoEvents` subscriptions on this instance, sampled at scrape time |
//! | `todo_api_rate_limited_total` | counter | `kind` | requests refused by a rate limit (see [`rate_limited`]) |
//! | `todo_api_prepared_documents_total` | counter | `result` (`reused`, `parsed`) | documents taken parsed from the cache of prepared documents, or parsed (see `execution::prepared`) |
//! | `todo_api_compiled_operations_total` | counter | `result` (`written`, `generic`) | operations with a plan that the compiled path answered, or gave back to the generic path (see `schema::compiled`) |
//! | `todo_api_rate_limit_redis_total` | counter | `result` (`ok`, `fallback`) | rate-limit charges Redis answered, and those this instance's own buckets answered because Redis did not (`--redis-url` only) |
//!
//! `operation` is bounded: see [`operation_name`] and [`MAX_OPERATIONS`].
//!
//! The `metrics` facade records into one global recorder per process, installed once by
//! the first server that has metrics on ([`Metrics::install`]); every server keeps a handle
//! to it in its state and renders that handle from its own route. One recorder per process
//! is what production has (one server per process); the tests, which start many servers in
//! one process, share it and tell their requests apart by operation name. A recorder per
//! server would need every recording call to carry the server's state, including the rate
//! limiters' calls deep in the services.

use std::{
    cell::Cell,
    collections::HashSet,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::Duration,
};

use ::metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use axum::{extract::Request, middleware::Next, response::Response};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Requests by operation and outcome.
pub const REQUESTS: &str = "todo_api_graphql_requests_total";
/// Request latency.
pub const REQUEST_DURATION: &str = "todo_api_graphql_request_duration_seconds";
/// SQL statements per request.
pub const SQL_STATEMENTS: &str = "todo_api_graphql_sql_statements";
/// Pool connections by state.
pub const DB_CONNECTIONS: &str = "todo_api_db_pool_connections";
/// Open subscriptions.
pub const SUBSCRIPTIONS: &str = "todo_api_subscriptions_open";
/// Rate-limit rejections by kind.
pub const RATE_LIMITED: &str = "todo_api_rate_limited_total";
/// Documents reused parsed, or parsed.
pub const PREPARED_DOCUMENTS: &str = "todo_api_prepared_documents_total";
/// See [`compiled_operation`].
pub const COMPILED_OPERATIONS: &str = "todo_api_compiled_operations_total";
/// Rate-limit charges by whether Redis answered them.
pub const RATE_LIMIT_REDIS: &str = "todo_api_rate_limit_redis_total";

/// Distinct operation names one server labels series with; later new names count as
/// `other`. Names are the client's to choose, and every name is a new series.
pub const MAX_OPERATIONS: usize = 100;

/// The longest operation name used as a label or logged.
const MAX_NAME_LEN: usize = 64;

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const STATEMENT_BUCKETS: [f64; 11] = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0, 144.0];

/// The process's recorder: the `metrics` facade accepts one, once.
static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// Makes setting the sampled gauges and rendering one step, so that two servers of one
/// process (tests) scraped at once each render their own samples.
static SCRAPE: Mutex<()> = Mutex::new(());

tokio::task_local! {
    /// Whether [`rate_limited`] was called while serving the current HTTP request.
    static RATE_LIMIT_REPORTED: Cell<bool>;
}

/// A server's view of the metrics: the process's recorder and the operation names this
/// server has used as labels. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    operations: Arc<Mutex<HashSet<String>>>,
}

impl Metrics {
    /// Installs the process's recorder unless an earlier server did, and returns a view of
    /// it for one server.
    pub fn install() -> Self {
        let handle = RECORDER.get_or_init(|| {
            let recorder = build_recorder();
            let handle = recorder.handle();
            if let Err(err) = ::metrics::set_global_recorder(recorder) {
                tracing::warn!(%err, "another metrics recorder is installed; /metrics stays empty");
            }
            describe();
            // Present from the start, so that a dashboard or alert sees 0 rather than no data.
            for kind in ["request", "login"] {
                counter!(RATE_LIMITED, "kind" => kind).absolute(0);
            }
            handle
        });
        Self {
            handle: handle.clone(),
            operations: Arc::default(),
        }
    }

    /// The `operation` label for `name` (as [`operation_name`] gives it): itself while this
    /// server has labelled fewer than [`MAX_OPERATIONS`] names, `other` after that.
    pub fn operation_label<'a>(&self, name: &'a str) -> &'a str {
        let mut operations = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if operations.contains(name) || operations.len() < MAX_OPERATIONS {
            if !operations.contains(name) {
                operations.insert(name.to_owned());
            }
            name
        } else {
            "other"
        }
    }

    /// Counts one GraphQL request of `operation` (a label) that ended with `outcome`.
    pub fn count_request(&self, operation: &str, outcome: &str) {
        counter!(REQUESTS, "operation" => operation.to_owned(), "outcome" => outcome.to_owned())
            .increment(1);
    }

    /// Records one HTTP request's latency and SQL statement count.
    pub fn observe_request(&self, operation: &str, duration: Duration, statements: u32) {
        histogram!(REQUEST_DURATION, "operation" => operation.to_owned())
            .record(duration.as_secs_f64());
        histogram!(SQL_STATEMENTS, "operation" => operation.to_owned())
            .record(f64::from(statements));
    }

    /// The Prometheus text exposition, with the gauges sampled now.
    pub fn render(&self, pool: Option<PoolSample>, subscriptions: usize) -> String {
        let _scrape = SCRAPE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pool {
            gauge!(DB_CONNECTIONS, "state" => "in_use").set(pool.in_use as f64);
            gauge!(DB_CONNECTIONS, "state" => "idle").set(pool.idle as f64);
        }
        gauge!(SUBSCRIPTIONS).set(subscriptions as f64);
        self.handle.render()
    }

    /// Drains recorded histogram samples into their buckets; without it they pile up
    /// between scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// The connection pool's state at one moment.
#[derive(Debug, Clone, Copy)]
pub struct PoolSample {
    /// Connections handed out.
    pub in_use: usize,
    /// Connections waiting in the pool.
    pub idle: usize,
}

/// Counts one request refused by a rate limit. Rate limiters call this where they refuse,
/// with `kind` naming the limit: `request` (cost points per token or IP), `login` (log-in
/// throttling), or another short constant (it becomes a label value, so never user input).
/// A RATE_LIMITED answer of `/graphql` whose refusal was not counted this way is counted
/// as `other`, so the series is complete even where a limiter does not call this.
/// Does nothing when metrics are off.
pub fn rate_limited(kind: &str) {
    let _ = RATE_LIMIT_REPORTED.try_with(|reported| reported.set(true));
    counter!(RATE_LIMITED, "kind" => kind.to_owned()).increment(1);
}

/// Counts a document taken parsed from the cache (`reused`) or parsed. Does nothing when
/// metrics are off.
pub fn prepared_document(reused: bool) {
    let result = if reused { "reused" } else { "parsed" };
    counter!(PREPARED_DOCUMENTS, "result" => result).increment(1);
}

/// Counts one operation the compiled path had a plan for: `written` when it answered,
/// `generic` when it gave the operation back (see `schema::compiled`).
pub fn compiled_operation(written: bool) {
    let result = if written { "written" } else { "generic" };
    counter!(COMPILED_OPERATIONS, "result" => result).increment(1);
}

/// Counts one rate-limit charge made with `--redis-url` set: `ok` when Redis answered it,
/// `fallback` when this instance's own buckets did because Redis did not (or is being left
/// alone after it did not). Does nothing when metrics are off.
pub fn rate_limit_redis(result: &'static str) {
    counter!(RATE_LIMIT_REDIS, "result" => result).increment(1);
}

/// Whether [`rate_limited`] was called while serving the current HTTP request.
pub(crate) fn rate_limit_reported() -> bool {
    RATE_LIMIT_REPORTED.try_with(Cell::get).unwrap_or_default()
}

/// Router middleware: serves a request in a scope that remembers whether [`rate_limited`]
/// was called for it, so that its RATE_LIMITED answer is not counted twice.
pub async fn request_scope(request: Request, next: Next) -> Response {
    RATE_LIMIT_REPORTED
        .scope(Cell::new(false), next.run(request))
        .await
}

/// The name an operation is labelled and logged with: the name when it is 1 to 64
/// characters of `[A-Za-z0-9_]` (what a GraphQL name is, bar length), `anonymous` when
/// there is none, `other` otherwise.
pub fn operation_name(name: Option<&str>) -> &str {
    match name {
        None => "anonymous",
        Some(name)
            if !name.is_empty()
                && name.len() <= MAX_NAME_LEN
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            name
        }
        Some(_) => "other",
    }
}

/// The `outcome` label: `ok`, or an error code when it looks like one of ours (`[A-Z_]`,
/// at most 32 characters), `other` otherwise.
pub fn outcome_label(code: &str) -> &str {
    if code == "ok"
        || !code.is_empty()
            && code.len() <= 32
            && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        code
    } else {
        "other"
    }
}

/// The recorder, with real histograms (buckets), which Prometheus can aggregate across
/// instances, rather than the exporter's default per-instance summaries.
fn build_recorder() -> PrometheusRecorder {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), &LATENCY_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Full(SQL_STATEMENTS.to_owned()),
                &STATEMENT_BUCKETS,
            )
        });
    match builder {
        Ok(builder) => builder.build_recorder(),
        // Only an empty bucket list is refused, and ours are constants.
        Err(err) => {
            tracing::warn!(%err, "histogram buckets refused: recording summaries");
            PrometheusBuilder::new().build_recorder()
        }
    }
}

/// HELP lines.
fn describe() {
    describe_counter!(
        REQUESTS,
        "GraphQL requests by operation name and outcome (ok or the first error's code)"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer a GraphQL HTTP request"
    );
    describe_histogram!(
        SQL_STATEMENTS,
        Unit::Count,
        "SQL statements executed by one GraphQL HTTP request"
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Database pool connections by state (in_use, idle)"
    );
    describe_gauge!(
        SUBSCRIPTIONS,
        "Open todoEvents subscriptions on this instance"
    );
    describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by kind");
    describe_counter!(
        PREPARED_DOCUMENTS,
        "Documents taken parsed from the cache of prepared documents (reused), or parsed"
    );
    describe_counter!(
        COMPILED_OPERATIONS,
        "Operations with a plan answered by the compiled path (written), or given back to the \
         generic path (generic)"
    );
    describe_counter!(
        RATE_LIMIT_REDIS,
        "Rate-limit charges answered by Redis (ok) or, while it does not answer, by this \
         instance's own buckets (fallback)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded_labels() {
        assert_eq!(operation_name(None), "anonymous");
        assert_eq!(operation_name(Some("ListTodos_2")), "ListTodos_2");
        assert_eq!(operation_name(Some(&"a".repeat(64))), "a".repeat(64));
        assert_eq!(operation_name(Some(&"a".repeat(65))), "other");
        assert_eq!(operation_name(Some("")), "other");
        assert_eq!(operation_name(Some("drop table\"}")), "other");
        assert_eq!(outcome_label("ok"), "ok");
        assert_eq!(outcome_label("RATE_LIMITED"), "RATE_LIMITED");
        assert_eq!(outcome_label("weird code"), "other");
    }

    #[test]
    fn a_server_labels_a_bounded_number_of_operations() {
        let metrics = Metrics::install();
        let names: Vec<String> = (0..=MAX_OPERATIONS).map(|n| format!("Op{n}")).collect();
        for name in &names[..MAX_OPERATIONS] {
            assert_eq!(metrics.operation_label(name), name);
        }
        assert_eq!(metrics.operation_label(&names[MAX_OPERATIONS]), "other");
        // Names labelled before stay themselves.
        assert_eq!(metrics.operation_label("Op0"), "Op0");
    }

    #[tokio::test]
    async fn a_reported_rate_limit_is_remembered_for_the_request() {
        assert!(
            !rate_limit_reported(),
            "outside a request: nothing reported"
        );
        let reported = RATE_LIMIT_REPORTED.scope(Cell::new(false), async {
            let before = rate_limit_reported();
            rate_limited("login");
            (before, rate_limit_reported())
        });
        assert_eq!(reported.await, (false, true));
    }
}

//! What each GraphQL HTTP request tells operators: its operation names, cost and statement
//! count as fields of the request's span (so they are on its log line), the same on its
//! operation span (`crate::telemetry::operation_span`, exported as a trace), and the metrics
//! series of `crate::metrics`. Nothing of the request's variables or document is kept.

use std::time::{Duration, Instant};

use async_graphql::{
    Value,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use tracing::field::display;

use super::{
    Answer, Refusal,
    params::{Prepared, Requests},
};
use crate::{metrics, state::AppState};

/// One HTTP request's operations, from before they run until they are answered.
pub struct Observed {
    started: Instant,
    /// One name per GraphQL request, as `metrics::operation_name` gives it.
    names: Vec<String>,
    /// One type per GraphQL request, once its document is parsed.
    types: Vec<Option<OperationType>>,
}

impl Observed {
    /// Starts observing `requests`, named by their `operationName`s for now.
    pub fn new(requests: &Requests<async_graphql::Request>) -> Self {
        let names: Vec<String> = each(requests)
            .map(|request| metrics::operation_name(request.operation_name.as_deref()).to_owned())
            .collect();
        Self {
            started: Instant::now(),
            types: vec![None; names.len()],
            names,
        }
    }

    /// Reads the operations' types from their parsed documents, and names requests sent
    /// without an `operationName` after their only operation.
    pub fn name_from_documents(&mut self, prepared: &mut Requests<Prepared>) {
        let requests = match prepared {
            Requests::Single(one) => std::slice::from_mut(one),
            Requests::Batch(many) => many.as_mut_slice(),
        };
        for ((name, ty), prepared) in self.names.iter_mut().zip(&mut self.types).zip(requests) {
            let Prepared::Execute(request) = prepared else {
                continue;
            };
            let operation_name = request.operation_name.clone();
            // Parsed already by `params::prepare` unless it is not GraphQL at all.
            let Ok(document) = request.parsed_query() else {
                continue;
            };
            *ty = operation_type(document, operation_name.as_deref());
            if operation_name.is_none() {
                *name = metrics::operation_name(only_operation_name(document)).to_owned();
            }
        }
    }

    /// Records the answer: the request span's `operation` and `cost` fields, the
    /// operation span's fields, and the metrics.
    pub fn finish(
        self,
        state: &AppState,
        outcome: Result<&Requests<Answer>, &Refusal>,
        statements: u32,
        operation: &tracing::Span,
    ) {
        let (outcomes, cost): (Vec<&str>, Option<u64>) = match outcome {
            Ok(responses) => {
                let outcomes = each(responses).map(answer_outcome).collect();
                let costs = each(responses).filter_map(answer_cost);
                (outcomes, costs.reduce(u64::saturating_add))
            }
            Err(refusal) => (vec![refusal.error.code(); self.names.len()], None),
        };
        let span = tracing::Span::current();
        // Displayed rather than debug-formatted: `operation=LogIn cost=`, no quotes.
        span.record("operation", display(self.names.join(",")));
        match cost {
            Some(cost) => span.record("cost", cost),
            None => span.record("cost", display("")),
        };
        if !operation.is_disabled() {
            Self::record_operation(operation, &outcomes, cost, statements);
        }
        if outcomes.contains(&"RATE_LIMITED") && !metrics::rate_limit_reported() {
            metrics::rate_limited("other");
        }
        if let Some(metrics) = &state.metrics {
            record(
                metrics,
                &self.names,
                &outcomes,
                self.started.elapsed(),
                statements,
            );
        }
    }
}

impl Observed {
    /// Names the operation span, which must be done before it is first entered (the name
    /// of a started span is fixed): `query TodoList`, or `batch` for a batch, whose fields
    /// list the operations' names and types in order, comma-separated.
    pub fn name_operation(&self, span: &tracing::Span) {
        if span.is_disabled() {
            return;
        }
        let types: Vec<&str> = self.types.iter().map(|ty| type_name(*ty)).collect();
        let name = match (self.names.as_slice(), types.as_slice()) {
            ([name], [ty]) => format!("{ty} {name}"),
            _ => "batch".to_owned(),
        };
        span.record("otel.name", name);
        span.record("graphql.operation.name", display(self.names.join(",")));
        span.record("graphql.operation.type", display(types.join(",")));
    }

    /// The operation span's fields once it is answered.
    fn record_operation(
        span: &tracing::Span,
        outcomes: &[&str],
        cost: Option<u64>,
        statements: u32,
    ) {
        if let Some(cost) = cost {
            // As i64: tracing-opentelemetry exports a u64 as text.
            span.record(
                "graphql.operation.cost",
                i64::try_from(cost).unwrap_or(i64::MAX),
            );
        }
        span.record("graphql.operation.sql_statements", i64::from(statements));
        span.record("graphql.operation.outcome", display(outcomes.join(",")));
        if outcomes.contains(&"INTERNAL") {
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// The type of the operation `name` selects in `document` (its only one when `None`).
pub fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| operation.node.ty)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values()
            .next()
            .map(|operation| operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// `query`, `mutation`, `subscription`, or `unknown` when the document did not say.
pub fn type_name(ty: Option<OperationType>) -> &'static str {
    match ty {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

fn record(
    metrics: &metrics::Metrics,
    names: &[String],
    outcomes: &[&str],
    duration: Duration,
    statements: u32,
) {
    for (name, outcome) in names.iter().zip(outcomes) {
        let operation = metrics.operation_label(name);
        metrics.count_request(operation, metrics::outcome_label(outcome));
    }
    let operation = match names {
        [one] => metrics.operation_label(one),
        _ => "batch",
    };
    metrics.observe_request(operation, duration, statements);
}

/// The requests of one HTTP request, one by one.
fn each<T>(requests: &Requests<T>) -> std::slice::Iter<'_, T> {
    match requests {
        Requests::Single(one) => std::slice::from_ref(one).iter(),
        Requests::Batch(many) => many.iter(),
    }
}

/// The name of a document's operation when it has exactly one, as async-graphql then runs
/// it without an `operationName`.
fn only_operation_name(document: &ExecutableDocument) -> Option<&str> {
    match &document.operations {
        DocumentOperations::Single(_) => None,
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.as_str())
        }
        DocumentOperations::Multiple(_) => None,
    }
}

/// Names a socket's operation span (`crate::telemetry::operation_span`) before it runs:
/// `document` parsed, `name` its `operationName`.
pub fn record_socket_operation(
    span: &tracing::Span,
    document: &ExecutableDocument,
    name: Option<&str>,
) {
    let ty = type_name(operation_type(document, name));
    let name = metrics::operation_name(name.or_else(|| only_operation_name(document)));
    span.record("otel.name", format!("{ty} {name}"));
    span.record("graphql.operation.name", name);
    span.record("graphql.operation.type", ty);
}

/// Records an answer of a socket's operation (a subscription's every event) on its span:
/// its cost, the statements so far, and its outcome unless an earlier answer `failed`
/// (that one stays, and `failed` says so from now on).
pub fn record_socket_answer(
    span: &tracing::Span,
    response: &async_graphql::Response,
    statements: u32,
    failed: &mut bool,
) {
    if let Some(cost) = requested_cost(response) {
        // As i64: tracing-opentelemetry exports a u64 as text.
        span.record(
            "graphql.operation.cost",
            i64::try_from(cost).unwrap_or(i64::MAX),
        );
    }
    span.record("graphql.operation.sql_statements", i64::from(statements));
    if *failed {
        return;
    }
    let outcome = outcome_of(response);
    span.record("graphql.operation.outcome", outcome);
    if outcome == "INTERNAL" {
        span.record("otel.status_code", "ERROR");
    }
    *failed = outcome != "ok";
}

/// `ok`, or the code of the response's first error.
fn answer_outcome(answer: &Answer) -> &str {
    answer.executed().map_or("ok", outcome_of)
}

fn outcome_of(response: &async_graphql::Response) -> &str {
    let Some(error) = response.errors.first() else {
        return "ok";
    };
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => code,
        _ => "other",
    }
}

/// `extensions.cost.requested` of a response, when the server's cost analysis set it.
fn answer_cost(answer: &Answer) -> Option<u64> {
    match answer {
        Answer::Executed(response) => requested_cost(response),
        Answer::Written { cost, .. } => Some(*cost),
    }
}

/// `extensions.cost.requested` of a response, when the server's cost analysis set it.
fn requested_cost(response: &async_graphql::Response) -> Option<u64> {
    let Some(Value::Object(cost)) = response.extensions.get("cost") else {
        return None;
    };
    match cost.get("requested") {
        Some(Value::Number(requested)) => requested.as_u64(),
        _ => None,
    }
}

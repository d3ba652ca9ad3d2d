//! What each GraphQL HTTP request tells operators: its operation names, cost and statement
//! count as fields of the request's span (so they are on its log line), and the metrics
//! series of `crate::metrics`. Nothing of the request's variables or document is kept.

use std::time::{Duration, Instant};

use async_graphql::{
    Value,
    parser::types::{DocumentOperations, ExecutableDocument},
};
use tracing::field::display;

use super::{
    Refusal,
    params::{Prepared, Requests},
};
use crate::{metrics, state::AppState};

/// One HTTP request's operations, from before they run until they are answered.
pub struct Observed {
    started: Instant,
    /// One name per GraphQL request, as `metrics::operation_name` gives it.
    names: Vec<String>,
}

impl Observed {
    /// Starts observing `requests`, named by their `operationName`s for now.
    pub fn new(requests: &Requests<async_graphql::Request>) -> Self {
        let names = each(requests)
            .map(|request| metrics::operation_name(request.operation_name.as_deref()).to_owned())
            .collect();
        Self {
            started: Instant::now(),
            names,
        }
    }

    /// Names requests sent without an `operationName` after their only operation, once
    /// their documents are parsed.
    pub fn name_from_documents(&mut self, prepared: &mut Requests<Prepared>) {
        let requests = match prepared {
            Requests::Single(one) => std::slice::from_mut(one),
            Requests::Batch(many) => many.as_mut_slice(),
        };
        for (name, prepared) in self.names.iter_mut().zip(requests) {
            if let Prepared::Execute(request) = prepared
                && request.operation_name.is_none()
                // Parsed already by `params::prepare` unless it is not GraphQL at all.
                && let Ok(document) = request.parsed_query()
            {
                *name = metrics::operation_name(only_operation_name(document)).to_owned();
            }
        }
    }

    /// Records the answer: the span's `operation` and `cost` fields, and the metrics.
    pub fn finish(
        self,
        state: &AppState,
        outcome: Result<&Requests<async_graphql::Response>, &Refusal>,
        statements: u32,
    ) {
        let (outcomes, cost): (Vec<&str>, Option<u64>) = match outcome {
            Ok(responses) => {
                let outcomes = each(responses).map(outcome_of).collect();
                let costs = each(responses).filter_map(requested_cost);
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

/// `ok`, or the code of the response's first error.
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
fn requested_cost(response: &async_graphql::Response) -> Option<u64> {
    let Some(Value::Object(cost)) = response.extensions.get("cost") else {
        return None;
    };
    match cost.get("requested") {
        Some(Value::Number(requested)) => requested.as_u64(),
        _ => None,
    }
}

//! Limits on what one operation may ask for, checked before anything executes. First, on
//! the document's text, before anything parses it: its length, tokens and nesting (a
//! linear scan, `scan.rs`), and the bytes its variables take once copied to each use (all
//! TOO_COMPLEX). Then, on the parsed document: depth, aliases, directives, fragment
//! nesting and cost (TOO_COMPLEX), then the client's rate limit in cost points
//! (RATE_LIMITED). Every response tells the client what its operation cost, in
//! `extensions.cost`; a refused request costs a point, so that a flood of them is
//! throttled like any other.
//!
//! One place for all of it, so that every way in (HTTP, batches, WebSocket) is held to the
//! same limits: each operation of a batch is measured and charged on its own.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Data, ErrorExtensionValues, Name, Request, Response, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
    registry::Registry,
};

use super::{
    cost::{self, Measure, Pricing},
    error_codes::too_complex,
    prepared::PreparedDocuments,
    screen::screen,
};
use crate::{
    config::LimitsConfig,
    error::Error,
    rate_limit::{ClientKey, RateLimiter},
};

/// How deeply selection sets may nest at all, whatever the depth limit: async-graphql's own
/// default (`limit_recursive_depth`), checked here first so that no walk over the document
/// recurses further.
const RECURSIVE_DEPTH: usize = 32;

/// The limits, the rate limiter and the schema's types, shared by all requests.
pub struct QueryLimits {
    limits: LimitsConfig,
    default_page: u64,
    rate_limiter: RateLimiter,
    /// The schema's types, to tell connections from other fields.
    registry: Registry,
    /// Documents parsed before.
    prepared: Arc<PreparedDocuments>,
}

/// What the limits priced an admitted operation at; in its request data, for the
/// subscription resolver, which charges every event the same.
#[derive(Debug, Clone, Copy)]
pub struct AdmittedCost(pub u64);

/// What [`QueryLimits::admit`] decided about one request.
#[derive(Debug, Default)]
pub struct Admission {
    /// What the operation costs; `None` when no operation could be chosen (async-graphql's
    /// validation then says why) or the document did not parse.
    pub cost: Option<u64>,
    /// Why it must not run, if it must not.
    pub refusal: Option<ServerError>,
}

impl QueryLimits {
    /// Limits from `limits` for the schema described by `registry`; connections without
    /// `first`/`last` cost `default_page`. Documents are parsed through `prepared`.
    pub fn new(
        limits: LimitsConfig,
        default_page: u64,
        rate_limiter: RateLimiter,
        registry: Registry,
        prepared: Arc<PreparedDocuments>,
    ) -> Self {
        Self {
            limits,
            default_page,
            rate_limiter,
            registry,
            prepared,
        }
    }

    /// Checks `request` against every limit, its text before it is parsed (if that has not
    /// been done), then charges its cost to the client's rate limit: a refused request
    /// costs a point.
    pub async fn admit(&self, request: &mut Request, session: Option<&Data>) -> Admission {
        let client = client_key(&request.data).or_else(|| session.and_then(client_key));
        let (cost, refusal) = match self.measure(request) {
            Ok(Some(measure)) => (Some(measure.cost), self.check(&measure).err()),
            // No operation to choose: async-graphql's validation says why.
            Ok(None) => (None, None),
            Err(refusal) => (None, Some(refusal)),
        };
        let Some(key) = client else {
            return Admission { cost, refusal };
        };
        // Even a free or refused operation uses the server: it costs at least a point.
        let points = match (cost, &refusal) {
            (Some(cost), None) => cost.max(1),
            _ => 1,
        };
        match self.rate_limiter.charge(&key, points).await {
            Ok(()) => Admission { cost, refusal },
            Err(wait) => {
                crate::metrics::rate_limited("request");
                Admission {
                    cost,
                    refusal: Some(rate_limited(wait.secs())),
                }
            }
        }
    }

    /// The operation's measure, once its text and variables pass [`screen`] and it parses;
    /// `None` when no operation can be chosen.
    fn measure(&self, request: &mut Request) -> Result<Option<Measure>, ServerError> {
        let tokens = screen(&self.limits, &request.query, &request.variables)?;
        self.prepared.parse(request, tokens)?;
        // Set aside while the document is borrowed, rather than copied: they may be large.
        let variables = std::mem::take(&mut request.variables);
        let measure = self.measure_parsed(request, &variables);
        request.variables = variables;
        measure
    }

    fn measure_parsed(
        &self,
        request: &mut Request,
        variables: &Variables,
    ) -> Result<Option<Measure>, ServerError> {
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query()?;
        check_recursive_depth(document)?;
        let pricing = Pricing {
            registry: &self.registry,
            variables,
            default_page: self.default_page,
            mutation_cost: self.limits.mutation_cost,
        };
        Ok(cost::measure(document, operation_name.as_deref(), &pricing))
    }

    /// The limits' settings.
    pub fn config(&self) -> &LimitsConfig {
        &self.limits
    }

    /// Tells the client what its operation cost, in `extensions.cost`.
    pub fn report(&self, response: &mut Response, cost: Option<u64>) {
        if let Some(cost) = cost {
            response.extensions.insert(
                "cost".to_owned(),
                Value::from_json(serde_json::json!({
                    "requested": cost,
                    "limit": self.limits.max_cost,
                }))
                .unwrap_or_default(),
            );
        }
    }

    fn check(&self, measure: &Measure) -> Result<(), ServerError> {
        let limits = &self.limits;
        if measure.introspection && !limits.introspection {
            // Without this, async-graphql answers `__schema: null` and no error at all.
            let error = Error::Forbidden(
                "introspection is turned off on this server: build clients from its \
                 published schema (schema.graphql)",
            );
            return Err(super::error_codes::server_error(&error));
        }
        let over = |what: &str, actual: usize, limit: usize| {
            (actual > limit).then(|| {
                too_complex(
                    format!("the operation has {what} {actual}; the limit is {limit}"),
                    [(what, actual as u64), ("limit", limit as u64)],
                )
            })
        };
        let refusal = over("depth", measure.depth, limits.max_depth)
            .or_else(|| over("aliases", measure.aliases, limits.max_aliases))
            .or_else(|| over("directives", measure.directives, limits.max_directives))
            .or_else(|| over("fields", measure.fields, limits.max_fields))
            .or_else(|| {
                over(
                    "fragmentDepth",
                    measure.fragment_depth,
                    limits.max_fragment_depth,
                )
            })
            .or_else(|| {
                (measure.cost > limits.max_cost).then(|| {
                    too_complex(
                        format!(
                            "the operation may return {} nodes; the limit is {}: ask for \
                             smaller pages (first/last)",
                            measure.cost, limits.max_cost
                        ),
                        [("cost", measure.cost), ("limit", limits.max_cost)],
                    )
                })
            });
        match refusal {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// A request refused before it reached [`QueryLimits::admit`] (by the HTTP layer: an
/// unknown persisted query, a missing variable, a document over a limit) still costs
/// `client` a point; once its bucket is empty, the refusal is RATE_LIMITED instead.
pub async fn charge_refusal(
    rate_limiter: &RateLimiter,
    client: &ClientKey,
    refusal: ServerError,
) -> ServerError {
    match rate_limiter.charge(client, 1).await {
        Ok(()) => refusal,
        Err(wait) => {
            crate::metrics::rate_limited("request");
            rate_limited(wait.secs())
        }
    }
}

/// A RATE_LIMITED error; the HTTP layer turns `retryAfter` into 429 and Retry-After.
fn rate_limited(retry_after: u64) -> ServerError {
    let mut error = ServerError::new(
        format!("rate limit exceeded: retry in {retry_after} s"),
        None,
    );
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "RATE_LIMITED");
    extensions.set("retryAfter", retry_after);
    error.extensions = Some(extensions);
    error
}

/// The client that pays: the rate-limit key the HTTP layer attached to the request, or the
/// WebSocket layer to the connection.
fn client_key(data: &Data) -> Option<ClientKey> {
    data.get(&std::any::TypeId::of::<ClientKey>())
        .and_then(|data| data.downcast_ref::<ClientKey>())
        .cloned()
}

/// Selection sets nested deeper than [`RECURSIVE_DEPTH`] are refused (TOO_COMPLEX), as
/// async-graphql would refuse them. Each fragment is measured once: following every spread
/// anew would let a small document of fragments spreading each other many times cost
/// billions of steps.
fn check_recursive_depth(document: &ExecutableDocument) -> Result<(), ServerError> {
    let mut fragments = HashMap::new();
    let mut visiting = Vec::new();
    for (_, operation) in document.operations.iter() {
        let set = &operation.node.selection_set.node;
        if nesting(document, set, 0, &mut fragments, &mut visiting).is_err() {
            return Err(too_complex(
                format!(
                    "The recursion depth of the query cannot be greater than `{RECURSIVE_DEPTH}`"
                ),
                [("limit", RECURSIVE_DEPTH as u64)],
            ));
        }
    }
    Ok(())
}

/// Nested deeper than [`RECURSIVE_DEPTH`] (or through a fragment cycle, which validation
/// refuses anyway).
struct TooDeep;

/// How many levels of selection sets `set`, itself at depth `at`, holds below it.
/// `fragments` remembers each fragment's nesting once measured; `visiting` the fragments
/// being measured.
fn nesting<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    at: usize,
    fragments: &mut HashMap<&'a Name, usize>,
    visiting: &mut Vec<&'a Name>,
) -> Result<usize, TooDeep> {
    if at > RECURSIVE_DEPTH {
        return Err(TooDeep);
    }
    let mut deepest = 0;
    for selection in &set.items {
        let inner = match &selection.node {
            Selection::Field(field) if field.node.selection_set.node.items.is_empty() => 0,
            Selection::Field(field) => {
                1 + nesting(
                    document,
                    &field.node.selection_set.node,
                    at + 1,
                    fragments,
                    visiting,
                )?
            }
            Selection::InlineFragment(inline) => {
                1 + nesting(
                    document,
                    &inline.node.selection_set.node,
                    at + 1,
                    fragments,
                    visiting,
                )?
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let below = match fragments.get(name) {
                    Some(&below) => below,
                    None if visiting.contains(&name) => return Err(TooDeep),
                    None => {
                        let Some(fragment) = document.fragments.get(name) else {
                            continue;
                        };
                        visiting.push(name);
                        let below = nesting(
                            document,
                            &fragment.node.selection_set.node,
                            at + 1,
                            fragments,
                            visiting,
                        )?;
                        visiting.pop();
                        fragments.insert(name, below);
                        below
                    }
                };
                1 + below
            }
        };
        if at + inner > RECURSIVE_DEPTH {
            return Err(TooDeep);
        }
        deepest = deepest.max(inner);
    }
    Ok(deepest)
}

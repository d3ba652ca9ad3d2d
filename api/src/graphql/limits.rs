//! Limits on what one operation may ask for, checked on its document before anything
//! executes: query length, depth, aliases, directives, fragment nesting and cost (all
//! TOO_COMPLEX), then the client's rate limit in cost points (RATE_LIMITED). Every response
//! tells the client what its operation cost, in `extensions.cost`.
//!
//! One place for all of it, so that every way in (HTTP, batches, WebSocket) is held to the
//! same limits: each operation of a batch is measured and charged on its own.

use std::sync::{Arc, Mutex};

use async_graphql::{
    ErrorExtensionValues, Request, Response, ServerError, ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextRequest,
    },
    parser::types::ExecutableDocument,
};

use super::cost::{self, Measure, Pricing};
use crate::{
    config::LimitsConfig,
    error::Error,
    rate_limit::{ClientKey, RateLimiter},
};

/// The extension factory; holds the limits and the rate limiter shared by all requests.
pub struct QueryLimits(Arc<Shared>);

struct Shared {
    limits: LimitsConfig,
    default_page: u64,
    rate_limiter: RateLimiter,
}

impl QueryLimits {
    /// Limits from `limits`; connections without `first`/`last` cost `default_page`.
    pub fn new(limits: LimitsConfig, default_page: u64, rate_limiter: RateLimiter) -> Self {
        Self(Arc::new(Shared {
            limits,
            default_page,
            rate_limiter,
        }))
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            shared: self.0.clone(),
            operation_name: Mutex::default(),
            cost: Mutex::default(),
        })
    }
}

/// One request's view: the operation it names, and its cost once measured.
struct LimitsExtension {
    shared: Arc<Shared>,
    operation_name: Mutex<Option<String>>,
    cost: Mutex<Option<u64>>,
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        if let Some(cost) = *lock(&self.cost) {
            response.extensions.insert(
                "cost".to_owned(),
                Value::from_json(serde_json::json!({
                    "requested": cost,
                    "limit": self.shared.limits.max_cost,
                }))
                .unwrap_or_default(),
            );
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let max = self.shared.limits.max_query_length;
        if request.query.len() > max {
            return Err(too_complex(
                format!("the query is longer than {max} bytes"),
                [
                    ("length", request.query.len() as u64),
                    ("limit", max as u64),
                ],
            ));
        }
        lock(&self.operation_name).clone_from(&request.operation_name);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(nesting)?;
        let operation_name = lock(&self.operation_name).clone();
        let pricing = Pricing {
            registry: &ctx.schema_env.registry,
            variables,
            default_page: self.shared.default_page,
            mutation_cost: self.shared.limits.mutation_cost,
        };
        // No operation to choose: async-graphql's validation says why.
        let Some(measure) = cost::measure(&document, operation_name.as_deref(), &pricing) else {
            return Ok(document);
        };
        *lock(&self.cost) = Some(measure.cost);
        self.check(&measure)?;
        if let Some(key) = ctx.data_opt::<ClientKey>() {
            // Even a free operation uses the server: it costs at least a point.
            let points = measure.cost.max(1);
            if let Err(wait) = self.shared.rate_limiter.charge(key, points) {
                crate::metrics::rate_limited("request");
                return Err(rate_limited(wait.secs()));
            }
        }
        Ok(document)
    }
}

impl LimitsExtension {
    fn check(&self, measure: &Measure) -> ServerResult<()> {
        let limits = &self.shared.limits;
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Poisoned only if a hook panicked; the value is a plain option either way.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A TOO_COMPLEX error with the figures that explain it.
fn too_complex<'a>(
    message: String,
    figures: impl IntoIterator<Item = (&'a str, u64)>,
) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "TOO_COMPLEX");
    for (name, value) in figures {
        extensions.set(name, value);
    }
    error.extensions = Some(extensions);
    error
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

/// async-graphql's own nesting limit (selection sets nested deeper than the schema's
/// recursive depth, checked while parsing) is a TOO_COMPLEX refusal too.
fn nesting(mut error: ServerError) -> ServerError {
    if error.message.contains("recursion") {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", "TOO_COMPLEX");
    }
    error
}

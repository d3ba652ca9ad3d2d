//! The schema as every transport runs it (HTTP, batches, WebSocket): each operation is
//! checked against the limits before it runs, and every error of every response gets its
//! code, in one place.
//!
//! Not async-graphql extensions: with any extension installed, async-graphql sends every
//! field of every response through the extension chain, which cost a quarter of the CPU
//! of a large nested query (BENCHMARKS.md). These hooks only need the request and the
//! response.

use std::sync::Arc;

use async_graphql::{
    Data, Executor, OutputType, Request, Response, SubscriptionType,
    futures_util::{StreamExt, stream::BoxStream},
    registry::Registry,
};

use super::{
    AppSchema, error_codes::code_errors, limits::QueryLimits, mutation::MutationRoot,
    query::QueryRoot, subscription::SubscriptionRoot,
};

/// What the limits priced an admitted operation at; in its request data, for the
/// subscription resolver, which charges every event the same.
#[derive(Debug, Clone, Copy)]
pub struct AdmittedCost(pub u64);

/// The schema held to its limits; cheap to clone.
#[derive(Clone)]
pub struct ApiSchema {
    schema: AppSchema,
    limits: Arc<QueryLimits>,
}

impl ApiSchema {
    /// `schema`, held to `limits`.
    pub fn new(schema: AppSchema, limits: QueryLimits) -> Self {
        Self {
            schema,
            limits: Arc::new(limits),
        }
    }
}

impl Executor for ApiSchema {
    async fn execute(&self, mut request: Request) -> Response {
        let admission = self.limits.admit(&mut request, None);
        let mut response = match admission.refusal {
            Some(refusal) => Response::from_errors(vec![refusal]),
            None => self.schema.execute(request).await,
        };
        self.limits.report(&mut response, admission.cost);
        code_errors(&mut response);
        response
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let admission = self.limits.admit(&mut request, session_data.as_deref());
        let cost = admission.cost;
        if let Some(cost) = cost {
            // A subscription charges each of its events this much again.
            request.data.insert(AdmittedCost(cost));
        }
        let responses = match admission.refusal {
            Some(refusal) => async_graphql::futures_util::stream::once(async move {
                Response::from_errors(vec![refusal])
            })
            .boxed(),
            None => self
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default()),
        };
        let limits = self.limits.clone();
        responses
            .map(move |mut response| {
                limits.report(&mut response, cost);
                code_errors(&mut response);
                response
            })
            .boxed()
    }
}

/// The schema's types as the limits price them: what async-graphql's own registry holds,
/// built the same way (which async-graphql does not expose).
pub fn pricing_registry() -> Registry {
    let mut registry = Registry {
        query_type: <QueryRoot as OutputType>::type_name().into_owned(),
        mutation_type: Some(<MutationRoot as OutputType>::type_name().into_owned()),
        subscription_type: Some(<SubscriptionRoot as SubscriptionType>::type_name().into_owned()),
        ..Registry::default()
    };
    <QueryRoot as OutputType>::create_type_info(&mut registry);
    <MutationRoot as OutputType>::create_type_info(&mut registry);
    <SubscriptionRoot as SubscriptionType>::create_type_info(&mut registry);
    registry
}

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
    Data, Executor, ObjectType, OutputType, Request, Response, Schema, SubscriptionType,
    futures_util::{StreamExt, stream::BoxStream},
    registry::Registry,
};

use super::{
    error_codes::code_errors,
    input_bounds,
    introspection::{Corrections, unused_scalars},
    limits::QueryLimits,
    response_budget::ResponseBudget,
    root_order::RootOrder,
};

/// The schema held to its limits; cheap to clone. Generic over the schema's roots so that
/// execution does not import the domain's types (`schema::Api` names the one in use).
pub struct ApiSchema<Query, Mutation, Subscription> {
    schema: Schema<Query, Mutation, Subscription>,
    limits: Arc<QueryLimits>,
    bounds: Arc<Bounds>,
}

/// What bounds inputs and responses besides the limits on documents.
struct Bounds {
    /// The schema's types, to follow arguments into input objects.
    registry: Registry,
    /// Most IDs `nodes(ids:)` takes (the largest page).
    max_ids: usize,
    /// Most bytes a response may take.
    max_response_bytes: usize,
    /// The built-in scalars the schema does not use, which introspection must not list.
    unused_scalars: Vec<&'static str>,
}

// Derived Clone would require the roots to be Clone; only handles are cloned.
impl<Query, Mutation, Subscription> Clone for ApiSchema<Query, Mutation, Subscription> {
    fn clone(&self) -> Self {
        Self {
            schema: self.schema.clone(),
            limits: self.limits.clone(),
            bounds: self.bounds.clone(),
        }
    }
}

impl<Query, Mutation, Subscription> ApiSchema<Query, Mutation, Subscription>
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
    Subscription: SubscriptionType + 'static,
{
    /// `schema`, held to `limits`; `nodes(ids:)` takes at most `max_ids` IDs.
    pub fn new(
        schema: Schema<Query, Mutation, Subscription>,
        limits: QueryLimits,
        max_ids: usize,
    ) -> Self {
        let registry = pricing_registry::<Query, Mutation, Subscription>();
        let bounds = Bounds {
            unused_scalars: unused_scalars(&registry),
            registry,
            max_ids,
            max_response_bytes: limits.config().max_response_bytes,
        };
        Self {
            schema,
            limits: Arc::new(limits),
            bounds: Arc::new(bounds),
        }
    }

    /// Admits `request` (see [`QueryLimits::admit`]), then checks its inputs against their
    /// bounds, before validation copies any of them. An input past its bound is the error
    /// reported even when the operation is also too complex (an input the schema refuses is
    /// not worth pricing: 70,000 IDs are BAD_USER_INPUT on `ids`, not a cost of 70,000),
    /// but not instead of other refusals.
    async fn admit(&self, request: &mut Request, session: Option<&Data>) -> (Option<u64>, Refused) {
        let admission = self.limits.admit(request, session).await;
        // Only a document the admission measured has been parsed, and nothing else may be
        // parsed here (the admission's checks on the text come first): an admitted one, or
        // one refused for its cost.
        let over_cost = admission.refusal.as_ref().is_some_and(|refusal| {
            refusal.extensions.as_ref().is_some_and(|extensions| {
                extensions.get("code") == Some(&async_graphql::Value::from("TOO_COMPLEX"))
                    && extensions.get("cost").is_some()
            })
        });
        if admission.cost.is_none() || admission.refusal.is_some() && !over_cost {
            return (admission.cost, admission.refusal);
        }
        // Taken out and put back so that the document can be read beside them: variables
        // are never copied.
        let variables = std::mem::take(&mut request.variables);
        let operation_name = request.operation_name.take();
        let checked = match request.parsed_query() {
            Ok(document) => input_bounds::check(
                &self.bounds.registry,
                self.bounds.max_ids,
                document,
                operation_name.as_deref(),
                &variables,
            )
            .err(),
            // async-graphql reports it when it parses again.
            Err(_) => None,
        };
        request.variables = variables;
        request.operation_name = operation_name;
        (admission.cost, checked.or(admission.refusal))
    }

    /// What the answer to an admitted `request` needs correcting: introspection (see
    /// [`Corrections`]) and the order of the root fields (see [`RootOrder`]); its document
    /// was parsed by the admission.
    fn corrections(&self, request: &mut Request) -> (Corrections, RootOrder) {
        let variables = std::mem::take(&mut request.variables);
        let operation_name = request.operation_name.take();
        let corrections = match request.parsed_query() {
            Ok(document) => (
                Corrections::plan(
                    document,
                    operation_name.as_deref(),
                    &variables,
                    &self.bounds.unused_scalars,
                ),
                RootOrder::plan(document, operation_name.as_deref(), &variables),
            ),
            Err(_) => Default::default(),
        };
        request.variables = variables;
        request.operation_name = operation_name;
        corrections
    }

    fn budget(&self) -> ResponseBudget {
        ResponseBudget::new(self.bounds.max_response_bytes)
    }
}

/// Why a request must not run, if it must not.
type Refused = Option<async_graphql::ServerError>;

impl<Query, Mutation, Subscription> ApiSchema<Query, Mutation, Subscription>
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
    Subscription: SubscriptionType + 'static,
{
    /// Admits `request` as [`Executor::execute`] does: its cost (if it has one) when it may
    /// run, else the response that refuses it. For a caller that may answer it another
    /// way (`schema::compiled`) before [`Self::execute_admitted`].
    pub async fn admit_request(&self, request: &mut Request) -> Result<Option<u64>, Response> {
        let (cost, refusal) = self.admit(request, None).await;
        match refusal {
            Some(refusal) => Err(self.finish(Response::from_errors(vec![refusal]), cost)),
            None => Ok(cost),
        }
    }

    /// Runs an admitted `request` of `cost`.
    pub async fn execute_admitted(&self, mut request: Request, cost: Option<u64>) -> Response {
        let (corrections, root_order) = self.corrections(&mut request);
        let mut response = self.schema.execute(request.data(self.budget())).await;
        corrections.apply(&mut response.data, &self.bounds.unused_scalars);
        root_order.apply(&mut response.data);
        self.finish(response, cost)
    }

    fn finish(&self, mut response: Response, cost: Option<u64>) -> Response {
        self.limits.report(&mut response, cost);
        code_errors(&mut response);
        response
    }

    /// The largest cost an operation may have (`extensions.cost.limit`).
    pub fn max_cost(&self) -> u64 {
        self.limits.config().max_cost
    }

    /// The most bytes a response may take.
    pub fn max_response_bytes(&self) -> usize {
        self.bounds.max_response_bytes
    }
}

impl<Query, Mutation, Subscription> Executor for ApiSchema<Query, Mutation, Subscription>
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
    Subscription: SubscriptionType + 'static,
{
    async fn execute(&self, mut request: Request) -> Response {
        match self.admit_request(&mut request).await {
            Ok(cost) => self.execute_admitted(request, cost).await,
            Err(refused) => refused,
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        // The admission may ask Redis for the client's budget: the stream starts with it.
        let this = self.clone();
        async_graphql::futures_util::stream::once(async move {
            this.admitted_stream(request, session_data).await
        })
        .flatten()
        .boxed()
    }
}

impl<Query, Mutation, Subscription> ApiSchema<Query, Mutation, Subscription>
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
    Subscription: SubscriptionType + 'static,
{
    /// What [`Executor::execute_stream`] answers, once `request` is admitted (or refused).
    async fn admitted_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let (cost, refusal) = self.admit(&mut request, session_data.as_deref()).await;
        if let Some(cost) = cost {
            // A subscription charges each of its events this much again.
            request.data.insert(super::limits::AdmittedCost(cost));
        }
        let budget = self.budget();
        let (corrections, root_order) = if refusal.is_none() {
            self.corrections(&mut request)
        } else {
            Default::default()
        };
        let responses = match refusal {
            Some(refusal) => async_graphql::futures_util::stream::once(async move {
                Response::from_errors(vec![refusal])
            })
            .boxed(),
            None => self.schema.execute_stream_with_session_data(
                request.data(budget.clone()),
                session_data.unwrap_or_default(),
            ),
        };
        let limits = self.limits.clone();
        let bounds = self.bounds.clone();
        responses
            .map(move |mut response| {
                corrections.apply(&mut response.data, &bounds.unused_scalars);
                root_order.apply(&mut response.data);
                // Each event of a subscription is an answer of its own, built only once the
                // previous one has been handed on.
                budget.reset();
                limits.report(&mut response, cost);
                code_errors(&mut response);
                response
            })
            .boxed()
    }
}

/// The schema's types as the limits price them: what async-graphql's own registry holds,
/// built the same way (which async-graphql does not expose).
pub fn pricing_registry<Query, Mutation, Subscription>() -> Registry
where
    Query: OutputType,
    Mutation: OutputType,
    Subscription: SubscriptionType,
{
    let mut registry = Registry {
        query_type: <Query as OutputType>::type_name().into_owned(),
        mutation_type: Some(<Mutation as OutputType>::type_name().into_owned()),
        subscription_type: Some(<Subscription as SubscriptionType>::type_name().into_owned()),
        ..Registry::default()
    };
    <Query as OutputType>::create_type_info(&mut registry);
    <Mutation as OutputType>::create_type_info(&mut registry);
    <Subscription as SubscriptionType>::create_type_info(&mut registry);
    registry
}

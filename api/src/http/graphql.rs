//! The GraphQL endpoint, by the GraphQL-over-HTTP spec
//! (<https://graphql.github.io/graphql-over-http/draft/>): negotiates the response type,
//! reads the request from a GET's query string or a POST's JSON body, refuses what must not
//! run, then authenticates, attaches request-scoped data (viewer, loaders), executes, and
//! counts the SQL statements it took.

mod negotiate;
pub(super) mod observe;
mod params;
mod reply;

use std::{net::IpAddr, sync::Arc};

use async_graphql::{Executor, ServerError};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header::RETRY_AFTER},
    response::Response,
};
use tracing::Instrument;

use self::{
    negotiate::MediaType,
    params::{Prepared, Requests},
};
use crate::{
    db::statements::StatementCounter,
    error::Error,
    execution::{
        error_codes::server_error,
        limits::charge_refusal,
        quiescence::{RequestActivity, track},
    },
    rate_limit::ClientKey,
    schema::{
        compiled::{CompiledOperations, Known, Plan, Run},
        loaders::Loaders,
    },
    service::{self, viewer::Viewer},
    state::AppState,
};

/// GET /graphql: a query from the URL's `query`, `variables` (JSON-encoded) and
/// `operationName`. Mutations and subscriptions are refused with 405 before anything runs,
/// since a GET must be safe (links, prefetching and caches repeat GETs).
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let Some(media) = negotiate::response_type(request.headers()) else {
        return reply::not_acceptable();
    };
    let client_ip = super::client::client_ip(&state, &request);
    match params::from_query_string(request.uri()) {
        Ok(graphql) => {
            let from = Client {
                headers: request.headers(),
                ip: client_ip,
            };
            serve(&state, from, Requests::Single(graphql), true, media).await
        }
        Err(refusal) => reply::refusal(refusal, media),
    }
}

/// POST /graphql: an `application/json` body holding one request object, or an array of
/// them when batching is configured (`--batch-max`).
pub async fn post(State(state): State<AppState>, mut request: Request) -> Response {
    let Some(media) = negotiate::response_type(request.headers()) else {
        return reply::not_acceptable();
    };
    if let Err(refusal) = negotiate::require_json_body(request.headers()) {
        return reply::refusal(refusal, media);
    }
    let ip = super::client::client_ip(&state, &request);
    let headers = std::mem::take(request.headers_mut());
    // Through the extractor, so that the router's body size limit applies.
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) => {
            let refusal = Refusal::new(rejection.status(), rejection.body_text());
            return reply::refusal(refusal, media);
        }
    };
    match params::from_body(&body, state.http.batch_max) {
        Ok(requests) => {
            let from = Client {
                headers: &headers,
                ip,
            };
            serve(&state, from, requests, false, media).await
        }
        Err(refusal) => reply::refusal(refusal, media),
    }
}

/// A request answered at the HTTP level, before or instead of GraphQL: the status and the
/// error saying why (its `extensions.code` is the error's).
pub struct Refusal {
    status: StatusCode,
    error: Error,
}

impl Refusal {
    /// A refusal with `status`, the client's fault (BAD_USER_INPUT).
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: Error::BadUserInput {
                field: None,
                message: message.into(),
            },
        }
    }

    /// 400: the body or query string is not a GraphQL request.
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// A GraphQL request error (BAD_USER_INPUT) found before execution.
fn request_error(message: impl Into<String>) -> ServerError {
    server_error(&Error::BadUserInput {
        field: None,
        message: message.into(),
    })
}

/// Who sent a request: its headers (for the token) and its address (for rate limits).
#[derive(Clone, Copy)]
struct Client<'a> {
    headers: &'a HeaderMap,
    ip: IpAddr,
}

/// Checks, executes and answers the requests through the execution policy
/// ([`Gate`](crate::execution::gate::Gate)), counting their SQL statements.
async fn serve(
    state: &AppState,
    from: Client<'_>,
    requests: Requests<async_graphql::Request>,
    read_only: bool,
    media: MediaType,
) -> Response {
    let mut observed = observe::Observed::new(&requests);
    // Its statements' spans are its children: the work below runs inside it.
    let operation = crate::telemetry::operation_span(Some(from.headers));
    // Held until the answer is built.
    let _place = match state.gate.enter() {
        Ok(place) => place,
        Err(error) => {
            let retry_after_secs = error.retry_after();
            let refusal = Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error,
            };
            observed.name_operation(&operation);
            observed.finish(state, Err(&refusal), 0, &operation);
            let reply = reply::refusal(refusal, media);
            return match retry_after_secs {
                Some(seconds) => with_retry_after(reply, seconds),
                None => reply,
            };
        }
    };
    let mut prepared = match prepare(state, requests, read_only) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            observed.name_operation(&operation);
            observed.finish(state, Err(&refusal), 0, &operation);
            return reply::refusal(refusal, media);
        }
    };
    observed.name_from_documents(&mut prepared);
    observed.name_operation(&operation);
    let activity = Arc::new(RequestActivity::default());
    let ran = state
        .gate
        .run(|counter| {
            let activity = activity.clone();
            track(activity.clone(), async move {
                execute(state, from, prepared, &counter, &activity).await
            })
        })
        .instrument(operation.clone())
        .await;
    let outcome = ran.outcome.unwrap_or_else(|error| {
        Err(Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error,
        })
    });
    if suspects_an_outage(&outcome) {
        state.gate.suspect_outage();
    }
    let statements = ran.statements;
    tracing::Span::current().record("sql_statements", statements);
    observed.finish(state, outcome.as_ref(), statements, &operation);
    let compiled = matches!(&outcome, Ok(answers) if answers.any(|answer| matches!(answer, Answer::Written { .. })));
    let mut response = match outcome {
        Ok(Requests::Single(response)) => {
            let retry_after = retry_after(&response);
            let reply = reply::result(response, media);
            rate_limited(reply, retry_after)
        }
        Ok(Requests::Batch(responses)) => {
            // 429 only when nothing ran: a client retries a 429 whole, and would repeat the
            // operations of the batch that did run. Otherwise each refused operation says so
            // in its own errors, beside the others' results.
            let retry_after: Option<Vec<u64>> = responses.iter().map(retry_after).collect();
            let retry_after = retry_after.and_then(|seconds| seconds.into_iter().max());
            rate_limited(reply::batch(responses, media), retry_after)
        }
        Err(refusal) => reply::refusal(refusal, media),
    };
    if state.expose_sql_statement_count {
        response
            .headers_mut()
            .insert("x-sql-statements", HeaderValue::from(statements));
        if compiled {
            response
                .headers_mut()
                .insert("x-compiled-operation", HeaderValue::from(1));
        }
    }
    response
}

/// Resolves persisted documents, then runs the HTTP checks on each request.
fn prepare(
    state: &AppState,
    requests: Requests<async_graphql::Request>,
    read_only: bool,
) -> Result<Requests<Prepared>, Refusal> {
    requests.try_map(|request| match state.documents.resolve(request) {
        Ok(request) => params::prepare(request, read_only, &state.limits, &state.prepared),
        Err(error) => Ok(Prepared::Rejected(error)),
    })
}

/// Whether the requests failed as they would if the database were gone: an internal error
/// (the probe then looks at once rather than at its next interval).
fn suspects_an_outage(outcome: &Result<Requests<Answer>, Refusal>) -> bool {
    let internal = |answer: &Answer| {
        answer.executed().is_some_and(|response| {
            response.errors.iter().any(|error| {
                error.extensions.as_ref().and_then(|e| e.get("code"))
                    == Some(&async_graphql::Value::from("INTERNAL"))
            })
        })
    };
    match outcome {
        Ok(Requests::Single(response)) => internal(response),
        Ok(Requests::Batch(responses)) => responses.iter().any(internal),
        Err(refusal) => refusal.error.is_internal(),
    }
}

/// The longest `extensions.retryAfter` of the response's RATE_LIMITED errors.
fn retry_after(answer: &Answer) -> Option<u64> {
    answer
        .executed()?
        .errors
        .iter()
        .filter_map(|error| error.extensions.as_ref())
        .filter(|extensions| {
            matches!(extensions.get("code"), Some(async_graphql::Value::String(code)) if code == "RATE_LIMITED")
        })
        .filter_map(|extensions| match extensions.get("retryAfter") {
            Some(async_graphql::Value::Number(seconds)) => seconds.as_u64(),
            _ => None,
        })
        .max()
}

/// A rate-limited answer is a 429 with Retry-After, whatever the media type.
fn rate_limited(mut response: Response, retry_after: Option<u64>) -> Response {
    if let Some(seconds) = retry_after {
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response = with_retry_after(response, seconds);
    }
    response
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Authenticates once, then runs the requests one after the other (a batch's mutations
/// keep their order), each with its own loaders.
async fn execute(
    state: &AppState,
    from: Client<'_>,
    prepared: Requests<Prepared>,
    counter: &StatementCounter,
    activity: &Arc<RequestActivity>,
) -> Result<Requests<Answer>, Refusal> {
    let viewer = match super::client::bearer_header(from.headers) {
        // An unknown or expired token leaves the request anonymous: queries answer what
        // anyone may see, and mutations that need a user say UNAUTHENTICATED.
        Some(token) => service::auth::authenticate(&state.db, token)
            .await
            .map_err(|error| Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                error,
            })?,
        None => None,
    };
    let key = match &viewer {
        Some(viewer) => ClientKey::Session(viewer.session_id),
        None => ClientKey::Ip(from.ip),
    };
    let run = |prepared| {
        execute_one(
            state,
            prepared,
            viewer.as_ref(),
            key.clone(),
            from.ip,
            counter,
            activity,
        )
    };
    Ok(match prepared {
        Requests::Single(prepared) => Requests::Single(run(prepared).await),
        Requests::Batch(batch) => {
            let mut responses = Vec::with_capacity(batch.len());
            for prepared in batch {
                responses.push(run(prepared).await);
            }
            Requests::Batch(responses)
        }
    })
}

async fn execute_one(
    state: &AppState,
    prepared: Prepared,
    viewer: Option<&Viewer>,
    key: ClientKey,
    ip: IpAddr,
    counter: &StatementCounter,
    activity: &Arc<RequestActivity>,
) -> Answer {
    let mut request = match prepared {
        Prepared::Execute(request) => *request,
        Prepared::Rejected(error) => {
            let error = charge_refusal(&state.rate_limiter, &key, error).await;
            return Answer::Executed(async_graphql::Response::from_errors(vec![error]));
        }
    };
    request = request.data(Loaders::new(
        &state.db,
        viewer,
        counter,
        activity,
        state.dataloader_delay,
    ));
    request = request.data(key).data(crate::schema::context::ClientIp(ip));
    if let Some(viewer) = viewer {
        request = request.data(viewer.clone());
    }
    let Some(compiled) = &state.compiled else {
        return Answer::Executed(state.schema.execute(request).await);
    };
    match compiled.known(&request) {
        Known::Plan(plan) => execute_compiled(state, &plan, request, viewer).await,
        Known::NotCompilable => Answer::Executed(state.schema.execute(request).await),
        Known::Unknown => {
            let text = request.query.clone();
            let name = request.operation_name.clone();
            let response = state.schema.execute(request).await;
            compiled.learn(&text, name.as_deref(), &response, &state.prepared);
            Answer::Executed(response)
        }
    }
}

/// Admits `request` as any, then answers it by its `plan`, or through the generic path
/// when the plan gives it back.
async fn execute_compiled(
    state: &AppState,
    plan: &Plan,
    mut request: async_graphql::Request,
    viewer: Option<&Viewer>,
) -> Answer {
    let cost = match state.schema.admit_request(&mut request).await {
        Ok(cost) => cost,
        Err(refused) => return Answer::Executed(refused),
    };
    let run = Run {
        db: &state.db,
        viewer,
        limits: state.page_limits,
        max_response_bytes: state.schema.max_response_bytes(),
        cost: (cost.unwrap_or_default(), state.schema.max_cost()),
    };
    if let Some(cost) = cost
        && let Some(body) = CompiledOperations::run(plan, &request, run).await
    {
        crate::metrics::compiled_operation(true);
        return Answer::Written { body, cost };
    }
    crate::metrics::compiled_operation(false);
    Answer::Executed(state.schema.execute_admitted(request, cost).await)
}

/// The answer to one GraphQL request.
pub enum Answer {
    /// async-graphql's response (the generic path, and every error).
    Executed(async_graphql::Response),
    /// The JSON of a response without errors, written by the compiled path
    /// (`schema::compiled`), and the operation's cost.
    Written {
        /// The response's JSON.
        body: Vec<u8>,
        /// What the operation cost.
        cost: u64,
    },
}

impl Answer {
    /// async-graphql's response, if the generic path answered.
    pub(super) fn executed(&self) -> Option<&async_graphql::Response> {
        match self {
            Self::Executed(response) => Some(response),
            Self::Written { .. } => None,
        }
    }
}

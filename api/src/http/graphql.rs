//! The GraphQL endpoint, by the GraphQL-over-HTTP spec
//! (<https://graphql.github.io/graphql-over-http/draft/>): negotiates the response type,
//! reads the request from a GET's query string or a POST's JSON body, refuses what must not
//! run, then authenticates, attaches request-scoped data (viewer, loaders), executes, and
//! counts the SQL statements it took.

mod negotiate;
mod observe;
mod params;
mod reply;

use std::sync::Arc;

use async_graphql::{ErrorExtensionValues, ServerError};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header::AUTHORIZATION},
    response::Response,
};

use self::{
    negotiate::MediaType,
    params::{Prepared, Requests},
};
use crate::{
    error::Error,
    graphql::loaders::{
        Loaders,
        quiescence::{RequestActivity, track},
    },
    service::{self, viewer::Viewer},
    state::AppState,
    statements::StatementCounter,
};

/// GET /graphql: a query from the URL's `query`, `variables` (JSON-encoded) and
/// `operationName`. Mutations and subscriptions are refused with 405 before anything runs,
/// since a GET must be safe (links, prefetching and caches repeat GETs).
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let Some(media) = negotiate::response_type(request.headers()) else {
        return reply::not_acceptable();
    };
    match params::from_query_string(request.uri()) {
        Ok(graphql) => {
            serve(
                &state,
                request.headers(),
                Requests::Single(graphql),
                true,
                media,
            )
            .await
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
        Ok(requests) => serve(&state, &headers, requests, false, media).await,
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

/// The GraphQL error for one of our errors, coded as `graphql::error_codes` codes the
/// errors of execution (this one never passes through the schema).
fn server_error(error: &Error) -> ServerError {
    let mut server_error = ServerError::new(error.to_string(), None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", error.code());
    server_error.extensions = Some(extensions);
    server_error
}

/// A GraphQL request error (BAD_USER_INPUT) found before execution.
fn request_error(message: impl Into<String>) -> ServerError {
    server_error(&Error::BadUserInput {
        field: None,
        message: message.into(),
    })
}

/// Checks, executes and answers the requests, counting their SQL statements.
async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    requests: Requests<async_graphql::Request>,
    read_only: bool,
    media: MediaType,
) -> Response {
    let mut observed = observe::Observed::new(&requests);
    let mut prepared = match requests.try_map(|request| params::prepare(request, read_only)) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            observed.finish(state, Err(&refusal), 0);
            return reply::refusal(refusal, media);
        }
    };
    observed.name_from_documents(&mut prepared);
    let counter = StatementCounter::default();
    let activity = Arc::new(RequestActivity::default());
    let execution = execute(state, headers, prepared, &counter, &activity);
    let outcome = counter.scope(track(activity.clone(), execution)).await;
    let statements = counter.get();
    tracing::Span::current().record("sql_statements", statements);
    observed.finish(state, outcome.as_ref(), statements);
    let mut response = match outcome {
        Ok(Requests::Single(response)) => reply::result(response, media),
        Ok(Requests::Batch(responses)) => reply::batch(responses, media),
        Err(refusal) => reply::refusal(refusal, media),
    };
    if state.expose_sql_statement_count {
        response
            .headers_mut()
            .insert("x-sql-statements", HeaderValue::from(statements));
    }
    response
}

/// Authenticates once, then runs the requests one after the other (a batch's mutations
/// keep their order), each with its own loaders.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    prepared: Requests<Prepared>,
    counter: &StatementCounter,
    activity: &Arc<RequestActivity>,
) -> Result<Requests<async_graphql::Response>, Refusal> {
    let viewer = match bearer_token(headers) {
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
    let run = |prepared| execute_one(state, prepared, viewer.as_ref(), counter, activity);
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
    counter: &StatementCounter,
    activity: &Arc<RequestActivity>,
) -> async_graphql::Response {
    let mut request = match prepared {
        Prepared::Execute(request) => *request,
        Prepared::Rejected(error) => return async_graphql::Response::from_errors(vec![error]),
    };
    request = request.data(Loaders::new(
        &state.db,
        viewer,
        counter,
        activity,
        state.dataloader_delay,
    ));
    if let Some(viewer) = viewer {
        request = request.data(viewer.clone());
    }
    state.schema.execute(request).await
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 7235).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

//! HTTP responses of the GraphQL endpoint: status codes, media types and bodies, by the
//! GraphQL-over-HTTP spec.

use async_graphql::ServerError;
use axum::{
    body::Body,
    http::{
        HeaderValue, StatusCode,
        header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, VARY},
    },
    response::{IntoResponse, Response},
};
use serde_json::Value as Json;

use super::{Answer, Refusal, negotiate::MediaType, server_error};

/// The answer to one GraphQL request.
///
/// A request that did not execute (a syntax or validation error, an operation that cannot
/// be chosen, bad variables) has no `data` entry; with `application/graphql-response+json`
/// it is a 400, with `application/json` a 200 (the spec's legacy rule). A request that
/// executed is a 200, even when fields failed or an error nulled the whole `data`.
pub fn result(answer: Answer, media: MediaType) -> Response {
    let response = match answer {
        Answer::Executed(response) => response,
        Answer::Written { body, .. } => return json_response(StatusCode::OK, body, media),
    };
    let executed = executed(&response);
    let status = match media {
        MediaType::GraphqlResponse if !executed => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let cache_control = response
        .is_ok()
        .then(|| response.cache_control.value())
        .flatten()
        .and_then(|value| HeaderValue::from_str(&value).ok());
    let headers = response.http_headers.clone();
    let Some(body) = body(response, executed) else {
        return internal(media);
    };
    let mut reply = json_response(status, body, media);
    if let Some(cache_control) = cache_control {
        reply.headers_mut().insert(CACHE_CONTROL, cache_control);
    }
    reply.headers_mut().extend(headers);
    reply
}

/// The answers to a batch, in its order: always a 200, each entry shaped as
/// [`result`] shapes it, so that one failing request does not hide the others' results.
pub fn batch(answers: Vec<Answer>, media: MediaType) -> Response {
    let mut headers = axum::http::HeaderMap::new();
    let mut bodies = vec![b'['];
    for (n, answer) in answers.into_iter().enumerate() {
        let body = match answer {
            Answer::Written { body, .. } => body,
            Answer::Executed(response) => {
                headers.extend(response.http_headers.clone());
                let executed = executed(&response);
                let Some(body) = body(response, executed) else {
                    return internal(media);
                };
                body
            }
        };
        if n > 0 {
            bodies.push(b',');
        }
        bodies.extend_from_slice(&body);
    }
    bodies.push(b']');
    let mut reply = json_response(StatusCode::OK, bodies, media);
    reply.headers_mut().extend(headers);
    reply
}

/// A request refused before GraphQL ran, with one error saying why.
pub fn refusal(refusal: Refusal, media: MediaType) -> Response {
    if refusal.error.is_internal() {
        tracing::error!(error = ?refusal.error, "request failed");
    }
    let mut reply = errors(refusal.status, server_error(&refusal.error), media);
    if refusal.status == StatusCode::METHOD_NOT_ALLOWED {
        reply
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    reply
}

/// 406: the client accepts no type we can answer with, so it gets the legacy one.
pub fn not_acceptable() -> Response {
    let error = super::request_error(
        "the Accept header allows neither application/graphql-response+json nor \
         application/json",
    );
    errors(StatusCode::NOT_ACCEPTABLE, error, MediaType::Json)
}

/// Whether the request executed. async-graphql answers a request it could not run with
/// `Response::from_errors`: `data` null and errors without a path. One that ran has data,
/// or, when an error reached the root through non-null fields, errors with paths.
fn executed(response: &async_graphql::Response) -> bool {
    response.data != async_graphql::Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|error| !error.path.is_empty())
}

/// The JSON of a response; without `data` when it did not execute (the GraphQL spec's
/// request errors), where async-graphql would write `"data": null`.
///
/// Serialized straight to bytes: a large result goes through no intermediate JSON tree.
fn body(response: async_graphql::Response, executed: bool) -> Option<Vec<u8>> {
    let bytes = if executed {
        serde_json::to_vec(&response)
    } else {
        serde_json::to_value(&response).and_then(|value| match value {
            Json::Object(mut fields) => {
                fields.remove("data");
                serde_json::to_vec(&fields)
            }
            other => serde_json::to_vec(&other),
        })
    };
    bytes
        .inspect_err(|err| tracing::error!(%err, "cannot serialize a GraphQL response"))
        .ok()
}

fn errors(status: StatusCode, error: ServerError, media: MediaType) -> Response {
    match body(async_graphql::Response::from_errors(vec![error]), false) {
        Some(body) => json_response(status, body, media),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

fn internal(media: MediaType) -> Response {
    let error = server_error(&crate::error::Error::Internal(String::new()));
    errors(StatusCode::INTERNAL_SERVER_ERROR, error, media)
}

fn json_response(status: StatusCode, body: Vec<u8>, media: MediaType) -> Response {
    let mut reply = (status, Body::from(body)).into_response();
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, media.content_type());
    // The body's type depends on Accept: caches must key on it.
    headers.insert(VARY, HeaderValue::from_static("accept"));
    reply
}

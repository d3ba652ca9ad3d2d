//! The GraphQL endpoint: authenticates the request, attaches request-scoped data, executes.

use async_graphql::{ErrorExtensionValues, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State,
    http::{HeaderMap, header::AUTHORIZATION},
};

use crate::{service, state::AppState};

/// POST and GET /graphql.
pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let mut request = request.into_inner();
    if let Some(token) = bearer_token(&headers) {
        // An unknown or expired token leaves the request anonymous: queries answer what
        // anyone may see, and mutations that need a user say UNAUTHENTICATED.
        match service::auth::authenticate(&state.db, token).await {
            Ok(Some(viewer)) => request = request.data(viewer),
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = ?err, "authentication failed");
                let mut error = ServerError::new("internal error", None);
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", err.code());
                error.extensions = Some(extensions);
                return async_graphql::Response::from_errors(vec![error]).into();
            }
        }
    }
    state.schema.execute(request).await.into()
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 7235).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

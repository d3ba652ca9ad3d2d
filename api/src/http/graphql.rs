//! The GraphQL endpoint: authenticates the request, attaches request-scoped data (viewer,
//! loaders), executes, and counts the SQL statements it took.

use async_graphql::{ErrorExtensionValues, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header::AUTHORIZATION},
    response::{IntoResponse, Response},
};

use std::sync::Arc;

use crate::{
    graphql::loaders::{
        Loaders,
        quiescence::{RequestActivity, track},
    },
    service,
    state::AppState,
    statements::StatementCounter,
};

/// POST and GET /graphql.
pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let counter = StatementCounter::default();
    let activity = Arc::new(RequestActivity::default());
    let execution = execute(&state, &headers, request, &counter, &activity);
    let response = counter.scope(track(activity.clone(), execution)).await;
    let statements = counter.get();
    tracing::Span::current().record("sql_statements", statements);
    let mut response = response.into_response();
    if state.expose_sql_statement_count {
        response
            .headers_mut()
            .insert("x-sql-statements", HeaderValue::from(statements));
    }
    response
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: GraphQLRequest,
    counter: &StatementCounter,
    activity: &Arc<RequestActivity>,
) -> GraphQLResponse {
    let mut request = request.into_inner();
    let viewer = match bearer_token(headers) {
        // An unknown or expired token leaves the request anonymous: queries answer what
        // anyone may see, and mutations that need a user say UNAUTHENTICATED.
        Some(token) => match service::auth::authenticate(&state.db, token).await {
            Ok(viewer) => viewer,
            Err(err) => {
                tracing::error!(error = ?err, "authentication failed");
                let mut error = ServerError::new("internal error", None);
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", err.code());
                error.extensions = Some(extensions);
                return async_graphql::Response::from_errors(vec![error]).into();
            }
        },
        None => None,
    };
    request = request.data(Loaders::new(
        &state.db,
        viewer.as_ref(),
        counter,
        activity,
        state.dataloader_delay,
    ));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
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

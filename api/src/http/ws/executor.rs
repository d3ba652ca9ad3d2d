//! The schema as the socket runs it. Before each operation the socket's session is checked
//! again (one statement, as HTTP authenticates each request): a session that ended, expired
//! or changed closes the socket instead of running anything. Then the operation's document
//! is resolved as over HTTP (APQ hashes; in trusted-documents mode, only the manifest's
//! operations run), and the schema's own limits apply (length first, before anything parses
//! the document). Each operation takes a place among those in flight, and runs in turns and
//! within the request timeout ([`Pace`]): a query or mutation once, a subscription once per
//! event, holding nothing while it waits for the next.

use std::{any::TypeId, sync::Arc};

use async_graphql::{
    Data, Executor, Response, ServerError, Value,
    futures_util::{StreamExt, stream, stream::BoxStream},
};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

use super::frames::Refusals;
use crate::{
    error::Error,
    events::SessionEnd,
    execution::{
        documents::Documents, error_codes::server_error, gate::Gate, pace::Pace,
        screen::screen_text,
    },
    http::graphql::observe,
    rate_limit::{ClientKey, RateLimiter},
    schema::Api,
    service::viewer::Viewer,
    state::AppState,
};

/// One connection's executor.
#[derive(Clone)]
pub struct SocketExecutor {
    schema: Api,
    documents: Documents,
    gate: Gate,
    rate_limiter: RateLimiter,
    db: DatabaseConnection,
    refusals: Refusals,
    /// What a document must pass before it is parsed (for the trace's operation type).
    limits: crate::config::LimitsConfig,
}

impl SocketExecutor {
    /// The executor of a connection of `state`'s server, flagging its refusals on
    /// `refusals`.
    pub fn new(state: &AppState, refusals: Refusals) -> Self {
        Self {
            schema: state.schema.clone(),
            documents: state.documents.clone(),
            gate: state.gate.clone(),
            rate_limiter: state.rate_limiter.clone(),
            db: state.db.clone(),
            refusals,
            limits: state.limits.clone(),
        }
    }

    /// Everything before the operation runs: a place in flight (as over HTTP), the
    /// session, the document. The response stream and its pace, or why the operation is
    /// refused.
    async fn open(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
        span: &tracing::Span,
    ) -> Result<(BoxStream<'static, Response>, Arc<Pace>), ServerError> {
        let place = self.gate.enter().map_err(|error| server_error(&error))?;
        if let Some(data) = session_data.as_deref() {
            self.check_session(data).await?;
        }
        let mut request = self.documents.resolve(request)?;
        // Parsed once, and only after the checks that come before parsing: the schema
        // runs the document parsed here.
        if !span.is_disabled() && screen_text(&self.limits, &request.query).is_ok() {
            let name = request.operation_name.clone();
            if let Ok(document) = request.parsed_query() {
                observe::record_socket_operation(span, document, name.as_deref());
            }
        }
        let client = session_data
            .as_deref()
            .and_then(data_of::<ClientKey>)
            .cloned();
        let pace = Arc::new(self.gate.pace(
            place,
            client.map(|client| (self.rate_limiter.clone(), client)),
        ));
        let request = request.data(pace.clone());
        Ok((self.schema.execute_stream(request, session_data), pace))
    }

    /// Refuses (UNAUTHENTICATED) when the socket's session is no longer what it was when
    /// the socket opened, and then ends it, which closes the socket with 4401.
    async fn check_session(&self, data: &Data) -> Result<(), ServerError> {
        let Some(viewer) = data_of::<Viewer>(data) else {
            return Ok(());
        };
        let end = data_of::<Arc<SessionEnd>>(data);
        let ended = || {
            server_error(&Error::Unauthenticated(
                "The session has ended; sign in again.",
            ))
        };
        if end.is_some_and(|end| end.has_ended()) {
            return Err(ended());
        }
        match viewer.is_current(&self.db).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                if let Some(end) = end {
                    end.end();
                }
                Err(ended())
            }
            Err(err) => Err(server_error(&err)),
        }
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> Response {
        // async-graphql's WebSocket only streams; this is what a single answer would be.
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        let refusals = self.refusals.clone();
        // No traceparent here: each operation on a socket starts a trace of its own.
        let operation = crate::telemetry::operation_span(None);
        // Not inside the span yet: it is named once the document is resolved, and the name
        // of a started span is fixed. (So the session check's statement is not traced.)
        let opening = {
            let operation = operation.clone();
            async move { this.open(request, session_data, &operation).await }
        };
        stream::once(opening)
            .flat_map(move |opened| match opened {
                Ok((responses, pace)) => {
                    paced(responses, pace, refusals.clone(), operation.clone())
                }
                Err(refusal) => {
                    let refusals = refusals.clone();
                    if !operation.is_disabled() {
                        let answer = Response::from_errors(vec![refusal.clone()]);
                        observe::record_socket_answer(&operation, &answer, 0, &mut false);
                    }
                    stream::once(async move {
                        refusals.flag();
                        Response::from_errors(vec![refusal])
                    })
                    .boxed()
                }
            })
            .boxed()
    }
}

/// Where a paced stream is.
struct Paced {
    responses: BoxStream<'static, Response>,
    pace: Arc<Pace>,
    refusals: Refusals,
    first: bool,
    done: bool,
    /// The operation's span (`crate::telemetry::operation_span`), which ends with it.
    span: tracing::Span,
    /// Whether an answer failed: the span's outcome is that one's.
    failed: bool,
}

/// `responses`, each within its turn and timeout: the first from the start, each later one
/// (a subscription's events) from its event's arrival, which the resolver marks. A
/// response that runs past the timeout is replaced by the timeout's error, and ends the
/// operation. A first response refused before execution is flagged for the `error`
/// message.
fn paced(
    responses: BoxStream<'static, Response>,
    pace: Arc<Pace>,
    refusals: Refusals,
    span: tracing::Span,
) -> BoxStream<'static, Response> {
    let state = Paced {
        responses,
        pace,
        refusals,
        first: true,
        done: false,
        span,
        failed: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let first = std::mem::replace(&mut state.first, false);
        let Paced {
            responses,
            pace,
            span,
            ..
        } = &mut state;
        // In the operation's statement scope, whose deadline each piece of work sets, so
        // that SQLite stops its statements at the timeout too.
        let work = pace
            .statements()
            .clone()
            .scope(async {
                if first {
                    pace.begin().await;
                }
                responses.next().await
            })
            .instrument(span.clone());
        let next = tokio::select! {
            next = work => Some(next),
            () = pace.expired() => None,
        };
        match next {
            Some(Some(response)) => {
                state.pace.finish();
                if !state.span.is_disabled() {
                    let statements = state.pace.statements().get();
                    observe::record_socket_answer(
                        &state.span,
                        &response,
                        statements,
                        &mut state.failed,
                    );
                }
                if first && !executed(&response) {
                    state.refusals.flag();
                }
                Some((response, state))
            }
            Some(None) => {
                state.pace.idle();
                None
            }
            None => {
                state.pace.idle();
                state.done = true;
                let timeout = state.pace.timeout().as_secs();
                let response = Response::from_errors(vec![server_error(&Error::Timeout(timeout))]);
                Some((response, state))
            }
        }
    })
    .boxed()
}

/// Whether the operation executed: async-graphql answers one it could not run (parse,
/// validation, a limit) with `data` null and errors without a path, as the HTTP layer
/// reads it too.
fn executed(response: &Response) -> bool {
    response.data != Value::Null
        || response.errors.is_empty()
        || response.errors.iter().any(|error| !error.path.is_empty())
}

/// The `T` in `data`, if any.
fn data_of<T: Send + Sync + 'static>(data: &Data) -> Option<&T> {
    data.get(&TypeId::of::<T>())
        .and_then(|value| value.downcast_ref::<T>())
}

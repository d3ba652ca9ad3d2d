//! Subscriptions over WebSocket at /graphql, with the graphql-transport-ws subprotocol (and
//! the legacy graphql-ws one). async-graphql speaks the protocols; this module adds what a
//! server owes its clients around them: authentication in connection_init (no, bad or
//! expired token → close 4401), a deadline for connection_init (→ 4408), and the
//! connection's subscription limit.

use std::{
    net::IpAddr,
    str::FromStr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Data, Executor,
    futures_util::{SinkExt, StreamExt, future, stream, stream::BoxStream},
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage},
    parser::types::OperationType,
};
use axum::{
    extract::{
        FromRequestParts, Request, State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use tokio::sync::Semaphore;

use crate::{
    error::Error,
    graphql::{
        cost::select_operation,
        error_codes::server_error,
        executor::ApiSchema,
        loaders::{Loaders, quiescence::RequestActivity},
        subscription::ConnectionSubscriptions,
    },
    http::{ClientIp, Documents, turns::Turns},
    rate_limit::ClientKey,
    service,
    state::AppState,
    statements::StatementCounter,
};

/// Close code for a missing, bad or expired token (graphql-transport-ws: Unauthorized).
const UNAUTHORIZED: u16 = 4401;
/// Close code for no connection_init in time.
const INIT_TIMEOUT: u16 = 4408;
/// Close code for a server-side failure.
const INTERNAL: u16 = 1011;
/// What async-graphql closes with when connection_init is refused.
const INIT_REFUSED: u16 = 1002;

/// Takes WebSocket upgrades of /graphql (the same path as HTTP, as clients expect) before
/// they reach the HTTP handlers; everything else passes on.
pub async fn intercept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/graphql" && is_upgrade(request.headers()) {
        upgrade(state, request).await
    } else {
        next.run(request).await
    }
}

/// Whether `headers` ask to switch this request to a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the WebSocket of a GraphQL subscription client.
pub async fn upgrade(state: AppState, request: Request) -> Response {
    let ip = super::graphql::client_ip(&state, &request);
    let (mut parts, _body) = request.into_parts();
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return (
            StatusCode::BAD_REQUEST,
            "Use the graphql-transport-ws (or graphql-ws) WebSocket subprotocol.",
        )
            .into_response();
    };
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade
            .protocols(ALL_WEBSOCKET_PROTOCOLS)
            .on_upgrade(move |socket| serve(socket, state, protocol, ip)),
        Err(rejection) => rejection.into_response(),
    }
}

/// What happened in connection_init, for the close code if it failed.
#[derive(Default)]
struct Handshake {
    started: AtomicBool,
    accepted: AtomicBool,
    refusal: Mutex<Option<u16>>,
}

impl Handshake {
    fn refuse(&self, code: u16) {
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some(code);
    }

    fn refusal(&self) -> Option<u16> {
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn serve(socket: WebSocket, state: AppState, protocol: WebSocketProtocols, ip: IpAddr) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let handshake = Arc::new(Handshake::default());
    let init = {
        let handshake = handshake.clone();
        let state = state.clone();
        move |params: serde_json::Value| async move {
            handshake.started.store(true, Ordering::Relaxed);
            let data = connection_data(&state, &params, ip).await;
            match &data {
                Ok(_) => handshake.accepted.store(true, Ordering::Relaxed),
                Err((code, _)) => handshake.refuse(*code),
            }
            data.map_err(|(_, message)| async_graphql::Error::new(message))
        }
    };
    let executor = SocketExecutor {
        schema: state.schema.clone(),
        documents: state.documents.clone(),
        in_flight: state.in_flight.clone(),
        turns: state.turns.clone(),
        timeout: state.http.request_timeout(),
    };
    let messages =
        async_graphql::http::WebSocket::new(executor, input, protocol).on_connection_init(init);
    tokio::pin!(messages);
    let deadline = tokio::time::sleep(state.subscriptions.ws_init_timeout());
    tokio::pin!(deadline);
    loop {
        let message = tokio::select! {
            message = messages.next() => match message {
                Some(message) => to_frame(message, &handshake),
                None => break,
            },
            () = &mut deadline, if !handshake.started.load(Ordering::Relaxed) => {
                close(INIT_TIMEOUT, "Connection initialisation timeout")
            }
        };
        let last = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
}

/// The schema as the socket runs it: each operation's document is resolved as over HTTP
/// first (APQ hashes; in trusted-documents mode, only the manifest's operations run), then
/// the schema's own limits apply. A query or mutation is held to HTTP's limits on requests
/// too: it takes a place among those in flight and is stopped at the request timeout. A
/// subscription is not a request: it lasts, within the subscription limits.
#[derive(Clone)]
struct SocketExecutor {
    schema: ApiSchema,
    documents: Documents,
    in_flight: Option<Arc<Semaphore>>,
    turns: Turns,
    timeout: Duration,
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        match self.documents.resolve(request) {
            Ok(request) => self.schema.execute(request).await,
            Err(refusal) => async_graphql::Response::from_errors(vec![refusal]),
        }
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let refused = |error: &Error| {
            let response = async_graphql::Response::from_errors(vec![server_error(error)]);
            stream::once(future::ready(response)).boxed()
        };
        let request = match self.documents.resolve(request) {
            Ok(request) => request,
            Err(refusal) => {
                return stream::once(future::ready(async_graphql::Response::from_errors(vec![
                    refusal,
                ])))
                .boxed();
            }
        };
        if is_subscription(&request) {
            return self.schema.execute_stream(request, session_data);
        }
        let slot = match self.in_flight.clone().map(Semaphore::try_acquire_owned) {
            Some(Err(_)) => {
                return refused(&Error::Busy {
                    retry_after_secs: 1,
                });
            }
            Some(Ok(slot)) => Some(slot),
            None => None,
        };
        let timeout = self.timeout;
        let turns = self.turns.clone();
        let responses = self.schema.execute_stream(request, session_data);
        let in_turn = async move {
            let _turn = turns.wait().await;
            responses.into_future().await
        };
        stream::once(async move {
            let _slot = slot;
            match tokio::time::timeout(timeout, in_turn).await {
                Ok((Some(response), _)) => response,
                Ok((None, _)) => async_graphql::Response::default(),
                Err(_) => async_graphql::Response::from_errors(vec![server_error(
                    &Error::Timeout(timeout.as_secs()),
                )]),
            }
        })
        .boxed()
    }
}

/// Whether `request` runs a subscription (a document that does not parse is not one: the
/// schema refuses it in the usual way).
fn is_subscription(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = select_operation(&document, request.operation_name.as_deref());
    operation.is_some_and(|operation| operation.ty == OperationType::Subscription)
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

/// async-graphql's message as a frame, with the close codes of graphql-transport-ws for a
/// refused or missing connection_init.
fn to_frame(message: WsMessage, handshake: &Handshake) -> Message {
    match message {
        WsMessage::Text(text) => Message::Text(text.into()),
        WsMessage::Close(INIT_REFUSED, reason) if handshake.refusal().is_some() => {
            close(handshake.refusal().unwrap_or(UNAUTHORIZED), &reason)
        }
        // A subscribe before the connection was acknowledged.
        WsMessage::Close(INTERNAL, _) if !handshake.accepted.load(Ordering::Relaxed) => {
            close(UNAUTHORIZED, "Unauthorized")
        }
        WsMessage::Close(code, reason) => close(code, &reason),
    }
}

/// The connection's data once its token checks out: the viewer, loaders bound to that
/// viewer (they cache nothing, so later events never see stale rows), and the connection's
/// subscription limit. Otherwise the close code and the reason.
async fn connection_data(
    state: &AppState,
    params: &serde_json::Value,
    ip: IpAddr,
) -> Result<Data, (u16, String)> {
    let token = ["authorization", "Authorization"]
        .iter()
        .find_map(|key| params.get(key)?.as_str())
        .and_then(bearer);
    let Some(token) = token else {
        return Err((
            UNAUTHORIZED,
            "Unauthorized: send connectionParams {\"authorization\": \"Bearer <token>\"}".into(),
        ));
    };
    let viewer = match service::auth::authenticate(&state.db, token).await {
        Ok(Some(viewer)) => viewer,
        Ok(None) => {
            return Err((
                UNAUTHORIZED,
                "Unauthorized: unknown or expired token".into(),
            ));
        }
        Err(err) => {
            tracing::error!(error = ?err, "WebSocket authentication failed");
            return Err((INTERNAL, "Internal error".into()));
        }
    };
    let mut data = Data::default();
    data.insert(Loaders::new(
        &state.db,
        Some(&viewer),
        &StatementCounter::default(),
        &Arc::new(RequestActivity::default()),
        state.dataloader_delay,
    ));
    data.insert(ConnectionSubscriptions::new(
        state.subscriptions.max_subscriptions_per_connection,
    ));
    // Operations over the socket are charged to the session, as over HTTP.
    data.insert(ClientKey::Session(viewer.session_id));
    // A logIn over the socket is throttled by the client's address, as over HTTP.
    data.insert(ClientIp(ip));
    data.insert(viewer);
    Ok(data)
}

/// The token of `Bearer <token>` (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

//! Subscriptions over WebSocket at /graphql, with the graphql-transport-ws subprotocol (and
//! the legacy graphql-ws one). async-graphql speaks the protocols; this module adds what a
//! server owes its clients around them: authentication in connection_init (no, bad or
//! expired token → close 4401), a deadline for connection_init (→ 4408), caps on sockets
//! per address (→ 429 before the upgrade) and per user (→ 4429), messages no larger than
//! an HTTP body (→ 1009, refused from the frame's header, before it is read), and a socket
//! that follows its session: once the session is logged out, expires, or its user is
//! deactivated or given another role, on any instance, the socket closes with 4401.

mod executor;
mod frames;

use std::{
    net::IpAddr,
    str::FromStr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use async_graphql::{
    Data,
    futures_util::{SinkExt, StreamExt, future},
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols},
};
use axum::{
    extract::{
        FromRequestParts, Request, State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};

use self::{
    executor::SocketExecutor,
    frames::{Frames, close},
};
use crate::{
    db::statements::StatementCounter,
    events::{Owner, SessionEnd, Socket},
    execution::quiescence::RequestActivity,
    rate_limit::ClientKey,
    schema::{context::ClientIp, loaders::Loaders, subscription::ConnectionSubscriptions},
    service,
    state::AppState,
};

/// Close code for a missing, bad or expired token, and for a session that ended
/// (graphql-transport-ws: Unauthorized).
const UNAUTHORIZED: u16 = 4401;
/// Close code for no connection_init in time.
const INIT_TIMEOUT: u16 = 4408;
/// Close code for a user over their number of sockets.
const TOO_MANY_SOCKETS: u16 = 4429;
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
    let ip = super::client::client_ip(&state, &request);
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
    // Counted from the upgrade on, so that sockets that never authenticate count too.
    let Some(place) = state.events.hub().sockets().open(ip) else {
        crate::metrics::rate_limited("socket");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "10")],
            "This address has as many WebSockets open as it may; close one first.",
        )
            .into_response();
    };
    // No message, and no frame, larger than an HTTP body: tungstenite refuses one from its
    // header, before reading or buffering it.
    let limit = state.http.body_limit_bytes;
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade
            .protocols(ALL_WEBSOCKET_PROTOCOLS)
            .max_message_size(limit)
            .max_frame_size(limit)
            .on_upgrade(move |socket| serve(socket, state, protocol, ip, place)),
        Err(rejection) => rejection.into_response(),
    }
}

/// What happened in connection_init, for the close code if it failed, and the session the
/// socket serves once it succeeded.
#[derive(Default)]
struct Handshake {
    started: AtomicBool,
    accepted: AtomicBool,
    refusal: Mutex<Option<u16>>,
    session: Mutex<Option<(Arc<SessionEnd>, DateTime<Utc>)>>,
}

impl Handshake {
    fn refuse(&self, code: u16) {
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some(code);
    }

    fn refusal(&self) -> Option<u16> {
        *self.refusal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn signed_in(&self, end: Arc<SessionEnd>, expires_at: DateTime<Utc>) {
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some((end, expires_at));
    }

    fn session(&self) -> Option<(Arc<SessionEnd>, DateTime<Utc>)> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Resolves once the session of `session` has ended or expired; never before sign-in.
async fn session_over(session: Option<(Arc<SessionEnd>, DateTime<Utc>)>) {
    let Some((end, expires_at)) = session else {
        return future::pending().await;
    };
    let expiry = (expires_at - Utc::now()).to_std().unwrap_or_default();
    tokio::select! {
        () = end.ended() => {}
        () = tokio::time::sleep(expiry) => end.end(),
    }
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    protocol: WebSocketProtocols,
    ip: IpAddr,
    place: Socket,
) {
    let place = Arc::new(place);
    let (mut sink, stream) = socket.split();
    let frames = Frames::new(protocol);
    let input = {
        let frames = frames.clone();
        stream
            .take_while(move |message| {
                if let Err(err) = message {
                    frames.read_failed(err);
                }
                future::ready(message.is_ok())
            })
            .filter_map(|message| {
                future::ready(match message {
                    Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                    Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                    _ => None,
                })
            })
    };
    let handshake = Arc::new(Handshake::default());
    let init = {
        let handshake = handshake.clone();
        let state = state.clone();
        // The socket keeps its own handle: its place is given back when it closes.
        let place = place.clone();
        move |params: serde_json::Value| async move {
            handshake.started.store(true, Ordering::Relaxed);
            match connection_data(&state, &params, ip, &place).await {
                Ok((data, end, expires_at)) => {
                    handshake.signed_in(end, expires_at);
                    handshake.accepted.store(true, Ordering::Relaxed);
                    Ok(data)
                }
                Err((code, message)) => {
                    handshake.refuse(code);
                    Err(async_graphql::Error::new(message))
                }
            }
        }
    };
    let executor = SocketExecutor::new(&state, frames.refusals());
    let messages =
        async_graphql::http::WebSocket::new(executor, input, protocol).on_connection_init(init);
    tokio::pin!(messages);
    let deadline = tokio::time::sleep(state.subscriptions.ws_init_timeout());
    tokio::pin!(deadline);
    loop {
        let message = tokio::select! {
            // Messages first: an operation refused because its session ended is answered
            // before the socket closes for it.
            biased;
            message = messages.next() => match message {
                Some(message) => match frames.to_frame(message, &handshake) {
                    Some(frame) => frame,
                    None => continue,
                },
                None => match frames.read_failure() {
                    Some((code, reason)) => close(code, reason),
                    None => break,
                },
            },
            () = &mut deadline, if !handshake.started.load(Ordering::Relaxed) => {
                close(INIT_TIMEOUT, "Connection initialisation timeout")
            }
            () = session_over(handshake.session()) => {
                close(UNAUTHORIZED, "Unauthorized: the session has ended; sign in again")
            }
        };
        let last = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
}

/// The connection's data once its token checks out: the viewer, loaders bound to that
/// viewer (they cache nothing, so later events never see stale rows), the connection's
/// subscription limit and its session switch; with the switch and the session's expiry.
/// Otherwise the close code and the reason.
async fn connection_data(
    state: &AppState,
    params: &serde_json::Value,
    ip: IpAddr,
    place: &Socket,
) -> Result<(Data, Arc<SessionEnd>, DateTime<Utc>), (u16, String)> {
    let token = ["authorization", "Authorization"]
        .iter()
        .find_map(|key| params.get(key)?.as_str())
        .and_then(super::client::bearer);
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
    let owner = Owner {
        user_id: viewer.user_id,
        session_id: viewer.session_id,
        role: viewer.role,
    };
    let end = place.sign_in(owner).map_err(|err| {
        crate::metrics::rate_limited("socket");
        (TOO_MANY_SOCKETS, err.to_string())
    })?;
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
    data.insert(end.clone());
    let expires_at = viewer.session_expires_at;
    data.insert(viewer);
    Ok((data, end, expires_at))
}

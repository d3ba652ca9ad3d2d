//! async-graphql's messages as WebSocket frames, with what its protocol module does not do:
//! the close codes of graphql-transport-ws for a refused or missing connection_init and for
//! an unreadable frame, and an `error` message (its payload the GraphQL errors, and no
//! `complete` after it) for an operation refused before it executed, where async-graphql
//! would send `next` and `complete`.
//!
//! async-graphql gives its executor no message id, so the executor flags a refusal as it
//! hands it over ([`Refusals`]); async-graphql turns that response into the very next
//! message it yields, which is then rewritten here.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use async_graphql::http::{WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message};
use serde_json::{Value, json};

use super::{Handshake, INIT_REFUSED, INTERNAL, UNAUTHORIZED};

/// Close code for a message or frame larger than allowed.
const TOO_BIG: u16 = 1009;
/// Close code for a frame that breaks the WebSocket protocol.
const PROTOCOL_ERROR: u16 = 1002;
/// Close code for a text frame that is not UTF-8.
const NOT_UTF8: u16 = 1007;
/// Most refused operations awaiting their swallowed `complete` that one connection keeps.
const MAX_ERRORED: usize = 1_024;

/// Set by the executor when the response it hands over was refused before execution.
#[derive(Clone, Default)]
pub struct Refusals(Arc<AtomicBool>);

impl Refusals {
    /// The next message async-graphql yields is a refusal.
    pub fn flag(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::AcqRel)
    }
}

/// One connection's rewriting of messages; cheap to clone.
#[derive(Clone)]
pub struct Frames {
    protocol: WebSocketProtocols,
    refusals: Refusals,
    /// Operations answered with `error`, whose `complete` must not follow.
    errored: Arc<Mutex<HashSet<String>>>,
    /// The close frame owed for a frame that could not be read.
    failure: Arc<Mutex<Option<(u16, &'static str)>>>,
}

impl Frames {
    /// For a connection speaking `protocol`.
    pub fn new(protocol: WebSocketProtocols) -> Self {
        Self {
            protocol,
            refusals: Refusals::default(),
            errored: Arc::default(),
            failure: Arc::default(),
        }
    }

    /// The flag the executor raises.
    pub fn refusals(&self) -> Refusals {
        self.refusals.clone()
    }

    /// Notes why reading failed: a frame over the size limit (refused from its header,
    /// never read), a broken frame, text that is not UTF-8. A dropped connection needs no
    /// close frame.
    pub fn read_failed(&self, err: &axum::Error) {
        let cause = std::error::Error::source(err)
            .and_then(|source| source.downcast_ref::<tungstenite::Error>());
        let failure = match cause {
            Some(tungstenite::Error::Capacity(_)) => Some((TOO_BIG, "Message too big")),
            Some(tungstenite::Error::Protocol(_)) => Some((PROTOCOL_ERROR, "Protocol error")),
            Some(tungstenite::Error::Utf8(_)) => Some((NOT_UTF8, "Text is not UTF-8")),
            _ => None,
        };
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = failure;
    }

    /// The close code and reason owed after a failed read, if any.
    pub fn read_failure(&self) -> Option<(u16, &'static str)> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// async-graphql's `message` as the frame to send; `None` when nothing is to be sent.
    pub fn to_frame(&self, message: WsMessage, handshake: &Handshake) -> Option<Message> {
        Some(match message {
            WsMessage::Text(text) => return self.text(text),
            WsMessage::Close(INIT_REFUSED, reason) if handshake.refusal().is_some() => {
                close(handshake.refusal().unwrap_or(UNAUTHORIZED), &reason)
            }
            // A subscribe before the connection was acknowledged.
            WsMessage::Close(INTERNAL, _) if !handshake.accepted.load(Ordering::Relaxed) => {
                close(UNAUTHORIZED, "Unauthorized")
            }
            WsMessage::Close(code, reason) => close(code, &reason),
        })
    }

    fn text(&self, text: String) -> Option<Message> {
        let refused = self.refusals.take();
        if refused
            && self.protocol == WebSocketProtocols::GraphQLWS
            && let Some((id, error)) = as_error(&text)
        {
            let mut errored = self.errored();
            // Each entry goes with the `complete` that follows at once; only an id reused
            // before that could leave one behind, so a bound this loose never bites.
            if errored.len() >= MAX_ERRORED {
                errored.clear();
            }
            errored.insert(id);
            return Some(Message::Text(error.into()));
        }
        // A `complete` is a few bytes; only those are read back.
        if text.starts_with(r#"{"type":"complete""#)
            && let Ok(message) = serde_json::from_str::<Value>(&text)
            && let Some(id) = message["id"].as_str()
            && self.errored().remove(id)
        {
            return None;
        }
        Some(Message::Text(text.into()))
    }

    fn errored(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.errored.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `{"type":"next","id":…,"payload":{"errors":[…]}}` as graphql-transport-ws's
/// `{"type":"error","id":…,"payload":[…]}`, with its id. A refusal is small: reading it back
/// costs little.
fn as_error(text: &str) -> Option<(String, String)> {
    let message: Value = serde_json::from_str(text).ok()?;
    let id = message["id"].as_str()?.to_owned();
    let errors = message["payload"]["errors"].as_array()?;
    let error = json!({ "type": "error", "id": id, "payload": errors });
    Some((id, error.to_string()))
}

/// A close frame.
pub fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

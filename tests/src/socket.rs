//! A graphql-transport-ws client for tests of the WebSocket: connect, authenticate, send
//! and read protocol messages.

use std::time::Duration;

use async_graphql::futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

/// How long to wait for a message that must come.
pub const ARRIVES: Duration = Duration::from_secs(5);

/// A graphql-transport-ws client.
pub struct Client {
    /// The socket itself, for what the methods do not cover.
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// The upgrade, or the HTTP status it was refused with.
    pub async fn try_connect(http_url: &str) -> Result<Self, u16> {
        let url = http_url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a WebSocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        match connect_async(request).await {
            Ok((socket, _)) => Ok(Self { socket }),
            Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(err) => panic!("the upgrade failed: {err}"),
        }
    }

    /// The upgrade, which must succeed.
    pub async fn connect(http_url: &str) -> Self {
        Self::try_connect(http_url).await.expect("the upgrade")
    }

    /// Sends one protocol message.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends connection_init with `token`; the server's answer.
    pub async fn init(&mut self, token: &str) -> Value {
        self.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        self.next(ARRIVES)
            .await
            .expect("an answer to connection_init")
    }

    /// Connects and authenticates with `token`.
    pub async fn authenticated(http_url: &str, token: &str) -> Self {
        let mut client = Self::connect(http_url).await;
        let ack = client.init(token).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    /// The next protocol message within `wait` (a close as `{"type":"close","code":…}`);
    /// `None` if none came.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match frame.ok()? {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(message);
                }
                Message::Close(frame) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    return Some(json!({ "type": "close", "code": code }));
                }
                _ => {}
            }
        }
    }

    /// Sends `payload` as operation `id`; its first answer.
    pub async fn run(&mut self, id: &str, payload: Value) -> Value {
        self.send(json!({ "type": "subscribe", "id": id, "payload": payload }))
            .await;
        self.next(ARRIVES).await.expect("an answer")
    }
}

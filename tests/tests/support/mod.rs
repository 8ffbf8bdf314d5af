//! Shared helpers for the end-to-end tests: a real server on 127.0.0.1 (port 0) and a small
//! WebSocket client over tokio-tungstenite whose every receive is bounded by a timeout.

// Each test crate (`chat`, `basics`) uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something that must arrive.
pub const WAIT: Duration = Duration::from_secs(5);

/// How long a test waits to show that nothing (more) arrives.
pub const QUIET: Duration = Duration::from_millis(200);

/// Serves `app` on 127.0.0.1 with a free port, in a spawned task; returns the address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("axum::serve");
    });
    addr
}

/// `ws://ADDR/PATH`.
pub fn url(addr: SocketAddr, path: &str) -> String {
    format!("ws://{addr}{path}")
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client for tests. Every receive has a timeout of [`WAIT`], so a missing message
/// fails the test instead of hanging it.
pub struct Client {
    ws: Ws,
    name: String,
}

impl Client {
    /// Connects to `url`; panics when the handshake fails or takes longer than [`WAIT`].
    pub async fn connect(url: &str) -> Client {
        let (ws, _response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("{url}: the WebSocket handshake timed out"))
            .unwrap_or_else(|e| panic!("{url}: the WebSocket handshake failed: {e}"));
        Client {
            ws,
            name: url.to_owned(),
        }
    }

    /// Sends `value` as one JSON text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.send(Message::text(value.to_string())).await;
    }

    /// Sends `text` as one text frame, as is.
    pub async fn send_text(&mut self, text: &str) {
        self.send(Message::text(text)).await;
    }

    /// Sends `bytes` as one binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.send(Message::binary(bytes)).await;
    }

    /// Sends one raw frame or message, e.g. a ping or a fragment built with
    /// `tungstenite::protocol::frame::Frame`.
    pub async fn send_raw(&mut self, message: Message) {
        self.send(message).await;
    }

    async fn send(&mut self, message: Message) {
        let name = &self.name;
        tokio::time::timeout(WAIT, self.ws.send(message))
            .await
            .unwrap_or_else(|_| panic!("{name}: sending timed out"))
            .unwrap_or_else(|e| panic!("{name}: sending failed: {e}"));
    }

    /// Receives the next text frame and parses it as JSON. Panics on a timeout, on any other
    /// frame, on the end of the stream and on text that is not JSON.
    pub async fn recv_json(&mut self) -> Value {
        self.recv_json_within(WAIT).await
    }

    /// [`Client::recv_json`] with another timeout.
    pub async fn recv_json_within(&mut self, limit: Duration) -> Value {
        let text = self.recv_text_within(limit).await;
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{}: the server sent text that is not JSON ({e}): {text}",
                self.name
            )
        })
    }

    /// Receives the next text frame as it is (to look at the raw JSON, such as repeated keys
    /// that parsing would merge).
    #[allow(dead_code)]
    pub async fn recv_text(&mut self) -> String {
        self.recv_text_within(WAIT).await
    }

    async fn recv_text_within(&mut self, limit: Duration) -> String {
        let name = &self.name;
        match next_frame(&mut self.ws, limit).await {
            Err(()) => panic!("{name}: no message within {limit:?}"),
            Ok(None) => panic!("{name}: the connection ended while a message was expected"),
            Ok(Some(Message::Text(text))) => text.as_str().to_owned(),
            Ok(Some(other)) => panic!("{name}: expected a JSON text frame, got {other:?}"),
        }
    }

    /// Receives the next frame, which must be a binary frame, and returns its bytes.
    pub async fn recv_binary(&mut self) -> Vec<u8> {
        let name = &self.name;
        match next_frame(&mut self.ws, WAIT).await {
            Err(()) => panic!("{name}: no message within {WAIT:?}"),
            Ok(None) => panic!("{name}: the connection ended while a message was expected"),
            Ok(Some(Message::Binary(bytes))) => bytes.to_vec(),
            Ok(Some(other)) => panic!("{name}: expected a binary frame, got {other:?}"),
        }
    }

    /// Waits for a pong and returns its payload. Panics on a timeout, the end of the stream and
    /// any frame other than ping and pong.
    pub async fn recv_pong(&mut self) -> Vec<u8> {
        let name = &self.name;
        let ws = &mut self.ws;
        let next = async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Pong(payload))) => return payload.to_vec(),
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(other)) => panic!("{name}: expected a pong, got {other:?}"),
                    Some(Err(e)) => {
                        panic!("{name}: the connection failed while waiting for a pong: {e}")
                    }
                    None => panic!("{name}: the connection ended while waiting for a pong"),
                }
            }
        };
        tokio::time::timeout(WAIT, next)
            .await
            .unwrap_or_else(|_| panic!("{name}: no pong within {WAIT:?}"))
    }

    /// Receives the next frame, which must be JSON text (`Ok`) or a close frame (`Err` with its
    /// code and reason). Panics on a timeout, the end of the stream and any other frame.
    pub async fn recv_json_or_close(&mut self) -> Result<Value, Option<(u16, String)>> {
        let name = &self.name;
        match next_frame(&mut self.ws, WAIT).await {
            Err(()) => panic!("{name}: nothing within {WAIT:?}"),
            Ok(None) => panic!("{name}: the connection ended without a close frame"),
            Ok(Some(Message::Text(text))) => Ok(serde_json::from_str(text.as_str())
                .unwrap_or_else(|e| {
                    panic!("{name}: the server sent text that is not JSON ({e}): {text}")
                })),
            Ok(Some(Message::Close(frame))) => {
                Err(frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned())))
            }
            Ok(Some(other)) => panic!("{name}: expected JSON or a close frame, got {other:?}"),
        }
    }

    /// Every text frame (parsed as JSON) until the stream ends, and the close frame if one came.
    /// Panics if this takes longer than [`WAIT`] or a binary frame arrives.
    pub async fn drain(&mut self) -> (Vec<Value>, Option<Option<(u16, String)>>) {
        let name = &self.name;
        let mut texts = Vec::new();
        loop {
            match next_frame(&mut self.ws, WAIT).await {
                Err(()) => panic!("{name}: the stream did not end within {WAIT:?}"),
                Ok(None) => return (texts, None),
                Ok(Some(Message::Text(text))) => texts.push(
                    serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {text}")),
                ),
                Ok(Some(Message::Close(frame))) => {
                    let close = frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()));
                    // Read on, so the answer to the close frame goes out; then the stream ends.
                    while let Ok(Some(_)) = next_frame(&mut self.ws, WAIT).await {}
                    return (texts, Some(close));
                }
                Ok(Some(other)) => panic!("{name}: unexpected frame {other:?}"),
            }
        }
    }

    /// Asserts that nothing arrives within [`QUIET`] (and that the connection is still open).
    pub async fn assert_silent(&mut self) {
        let name = &self.name;
        match next_frame(&mut self.ws, QUIET).await {
            Err(()) => {}
            Ok(None) => panic!("{name}: the connection ended, expected it to stay open and quiet"),
            Ok(Some(frame)) => panic!("{name}: expected nothing, got {frame:?}"),
        }
    }

    /// Receives the next frame, which must be a close frame: its code and reason, or `None`
    /// for a close frame without a payload.
    pub async fn recv_close(&mut self) -> Option<(u16, String)> {
        let name = &self.name;
        match next_frame(&mut self.ws, WAIT).await {
            Err(()) => panic!("{name}: no close frame within {WAIT:?}"),
            Ok(None) => panic!("{name}: the connection ended without a close frame"),
            Ok(Some(Message::Close(frame))) => {
                frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()))
            }
            Ok(Some(other)) => panic!("{name}: expected a close frame, got {other:?}"),
        }
    }

    /// Asserts that the stream ends within [`WAIT`] with no further frame. Reading also sends
    /// the answer to a close frame the server sent.
    pub async fn assert_ended(&mut self) {
        let name = &self.name;
        match next_frame(&mut self.ws, WAIT).await {
            Err(()) => panic!("{name}: the connection did not end within {WAIT:?}"),
            Ok(None) => {}
            Ok(Some(frame)) => panic!("{name}: expected the end of the stream, got {frame:?}"),
        }
    }

    /// Closes the connection normally and waits for the server's side of the handshake.
    /// Returns every text frame that arrived in the meantime (it should usually be empty).
    pub async fn close(mut self) -> Vec<Value> {
        let name = self.name.clone();
        tokio::time::timeout(WAIT, self.ws.close(None))
            .await
            .unwrap_or_else(|_| panic!("{name}: sending the close frame timed out"))
            .unwrap_or_else(|e| panic!("{name}: sending the close frame failed: {e}"));
        let mut late = Vec::new();
        loop {
            match next_frame(&mut self.ws, WAIT).await {
                Err(()) => panic!("{name}: the server did not finish the closing handshake"),
                Ok(None) | Ok(Some(Message::Close(_))) => return late,
                Ok(Some(Message::Text(text))) => late.push(
                    serde_json::from_str(text.as_str())
                        .unwrap_or_else(|_| Value::String(text.to_string())),
                ),
                Ok(Some(other)) => panic!("{name}: unexpected frame while closing: {other:?}"),
            }
        }
    }
}

/// The next frame other than ping and pong, waiting at most `limit`.
///
/// - `Err(())`: nothing arrived in time;
/// - `Ok(None)`: the stream ended (or the connection failed);
/// - `Ok(Some(frame))`: a text, binary or close frame.
async fn next_frame(ws: &mut Ws, limit: Duration) -> Result<Option<Message>, ()> {
    let next = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(frame)) => return Some(frame),
                Some(Err(_)) | None => return None,
            }
        }
    };
    tokio::time::timeout(limit, next).await.map_err(|_| ())
}

/// Asserts that `value` is an error message with `code`: exactly the keys `type`, `code`,
/// `message` and `errors` (no `id`), `type` is `"error"`, `message` is a non-empty string, and
/// `errors` is a list of violations, each with exactly `path`, `kind` and `message` (strings).
/// Returns the violations.
pub fn assert_error(value: &Value, code: &str) -> Vec<Value> {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("expected an error object, got {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "errors", "message", "type"],
        "error keys of {value}"
    );
    assert_eq!(value["type"], "error", "{value}");
    assert_eq!(value["code"], code, "{value}");
    let message = value["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "the error has no message: {value}");
    let errors = value["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("`errors` is not a list: {value}"))
        .clone();
    for violation in &errors {
        let object = violation
            .as_object()
            .unwrap_or_else(|| panic!("a violation is not an object: {value}"));
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["kind", "message", "path"],
            "violation keys in {value}"
        );
        assert!(
            object.values().all(Value::is_string),
            "violation fields must be strings: {value}"
        );
    }
    errors
}

/// Asserts that `errors` has a violation at `path` of `kind`.
pub fn assert_violation(errors: &[Value], path: &str, kind: &str) {
    assert!(
        errors
            .iter()
            .any(|v| v["path"] == path && v["kind"] == kind),
        "expected a violation at {path:?} of kind {kind:?}, got {}",
        Value::Array(errors.to_vec())
    );
}

/// Asserts that `text` is an RFC 3339 date-time within a minute of now.
pub fn assert_rfc3339_now(text: &Value) {
    use socketsundso::codegen::chrono::{DateTime, Utc};

    let s = text
        .as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 string, got {text}"));
    let time = DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not an RFC 3339 date-time: {e}"));
    let skew = Utc::now().signed_duration_since(time).num_seconds().abs();
    assert!(skew < 60, "{s} is {skew} s away from now");
}

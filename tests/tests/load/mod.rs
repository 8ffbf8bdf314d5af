//! Shared by the load tests (`burst.rs`, `slow_consumers.rs`): the chat example's server in this
//! process, and raw tokio-tungstenite clients on real sockets (127.0.0.1, port 0).

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chat_example::{Chat, ROUTE, api};
use futures_util::{SinkExt as _, StreamExt as _};
use socketsundso::{Hub, Settings};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Serves the chat API with `settings` on 127.0.0.1 (a free port); returns its address and hub.
pub async fn chat_server(settings: Settings) -> (SocketAddr, Hub) {
    let hub = Hub::new();
    let endpoint = api::Server::new(Chat::default())
        .endpoint()
        .settings(settings)
        .hub(hub.clone());
    let app = axum::Router::new().route(ROUTE, endpoint.into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("axum::serve") });
    (addr, hub)
}

/// A client with a small read buffer, as a load generator would have.
pub async fn connect(addr: SocketAddr, room: &str, id: usize) -> Ws {
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let url = format!("ws://{addr}/room/{room}/{id}");
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(&url, Some(config), true),
    )
    .await
    .unwrap_or_else(|_| panic!("{url}: handshake timed out"))
    .unwrap_or_else(|e| panic!("{url}: handshake failed: {e}"));
    joined(ws, id).await
}

/// Waits for the client's own join: then it is in the room (the handshake completes before the
/// server's `on_connect` has run).
async fn joined(mut ws: Ws, id: usize) -> Ws {
    let own = format!(r#"{{"type":"join","client_id":{id}}}"#);
    match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.as_str() == own => ws,
        other => panic!("client {id}: expected its own join, got {other:?}"),
    }
}

/// A client whose socket takes little before the server's writes to it block: it stands for a
/// client that stops reading (without its kernel buffers hiding megabytes).
pub async fn connect_stalled(addr: SocketAddr, room: &str, id: usize) -> Ws {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(addr).await.expect("connect");
    let url = format!("ws://{addr}/room/{room}/{id}");
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .expect("handshake");
    joined(ws, id).await
}

/// Reads until `count` chat messages arrived (ignoring joins and leaves); checks that their
/// texts are `0`, `1`, … in order. Returns how many arrived.
pub async fn read_messages<S, E>(ws: &mut S, count: usize, limit: Duration) -> usize
where
    S: futures_util::Stream<Item = Result<Message, E>> + Unpin,
{
    let deadline = Instant::now() + limit;
    let mut next = 0;
    while next < count {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(frame))) => frame,
            _ => break,
        };
        let Message::Text(text) = frame else { continue };
        let text = text.as_str();
        if !text.starts_with(r#"{"type":"message""#) {
            continue;
        }
        // `"msg":"N"`, or `"msg":"N …"` with padding
        let expected = format!(r#""msg":"{next}"#);
        let found = text.find(&expected).map(|at| &text[at + expected.len()..]);
        assert!(
            found.is_some_and(|rest| rest.starts_with(['"', ' '])),
            "expected message {next}, got {text}"
        );
        next += 1;
    }
    next
}

/// Sends `count` chat messages `0`, `1`, … (padded with `pad`) without waiting for anything.
pub async fn send_messages<S>(sink: &mut S, count: usize, pad: &str)
where
    S: futures_util::Sink<Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    for n in 0..count {
        let text = format!(r#"{{"type":"message","msg":"{n}{pad}"}}"#);
        sink.feed(Message::text(text)).await.expect("send");
    }
    sink.flush().await.expect("flush");
}

//! End to end over a real socket: an axum server with a hand-written service, and
//! tokio-tungstenite clients.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketsundso::{ConnectionId, Context, Endpoint, HandlerError, Hub, Incoming, Reject, Service};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

// ---------------------------------------------------------------- service

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hello {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Say {
    text: String,
}

enum ClientMessage {
    Hello(Hello),
    Say(Say),
}

impl Incoming for ClientMessage {
    const TAG_FIELD: &'static str = "type";
    const TAGS: &'static [&'static str] = &["hello", "say"];

    fn deserialize_payload<'de, D>(tag: &str, payload: D) -> Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        match tag {
            "hello" => Hello::deserialize(payload).map(Self::Hello),
            "say" => Say::deserialize(payload).map(Self::Say),
            other => Err(serde::de::Error::unknown_variant(other, Self::TAGS)),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage {
    Welcome {
        room: Option<String>,
        user: Option<String>,
        client_id: ConnectionId,
    },
    Message {
        sender: String,
        text: String,
    },
}

struct Chat;

impl socketsundso::Outgoing for ServerMessage {}

impl Service for Chat {
    type Incoming = ClientMessage;
    type Outgoing = ServerMessage;

    async fn on_connect(&self, ctx: &Context<ServerMessage>) -> Result<(), Reject> {
        if ctx.param("user") == Some("mallory") {
            return Err(Reject::policy("banned"));
        }
        if let Some(room) = ctx.param("room") {
            ctx.join(room);
        }
        Ok(())
    }

    async fn on_disconnect(&self, _ctx: &Context<ServerMessage>) {}

    async fn handle(
        &self,
        ctx: &Context<ServerMessage>,
        message: ClientMessage,
    ) -> Result<Option<ServerMessage>, HandlerError> {
        match message {
            ClientMessage::Hello(Hello {}) => Ok(Some(ServerMessage::Welcome {
                room: ctx.param("room").map(str::to_owned),
                user: ctx.param("user").map(str::to_owned),
                client_id: ctx.id(),
            })),
            ClientMessage::Say(Say { text }) => {
                let Some(room) = ctx.param("room") else {
                    return Err(HandlerError::invalid("", "join a room first"));
                };
                let sender = ctx.param("user").unwrap_or("anonymous").to_owned();
                ctx.broadcast(room, ServerMessage::Message { sender, text })
                    .await;
                Ok(None)
            }
        }
    }
}

// ---------------------------------------------------------------- harness

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

async fn server() -> (SocketAddr, Hub) {
    let endpoint = Endpoint::new(Chat);
    let hub = endpoint.hub_handle();
    let small = endpoint.clone().max_message_size(1024).max_frame_size(1024);
    let app = axum::Router::new()
        .route("/", endpoint.clone().into_method_router())
        .route("/room/{room}/{user}", endpoint.into_method_router())
        .route("/small", small.into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hub)
}

async fn connect(addr: SocketAddr, path: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
        .await
        .expect("connect");
    ws
}

async fn next(ws: &mut Ws) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("timed out")
        .expect("stream ended")
        .expect("read failed")
}

async fn json(ws: &mut Ws) -> Value {
    match next(ws).await {
        Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON"),
        other => panic!("expected text, got {other:?}"),
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

async fn close_frame(ws: &mut Ws) -> (u16, String) {
    match next(ws).await {
        Message::Close(Some(frame)) => (frame.code.into(), frame.reason.as_str().to_owned()),
        other => panic!("expected close, got {other:?}"),
    }
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn reply_and_path_params() {
    let (addr, _) = server().await;
    let mut ws = connect(addr, "/room/lobby/alice").await;
    send(&mut ws, r#"{"type":"hello"}"#).await;
    let reply = json(&mut ws).await;
    assert_eq!(reply["type"], "welcome");
    assert_eq!(reply["room"], "lobby");
    assert_eq!(reply["user"], "alice");

    // a route without parameters, and percent-decoding
    let mut root = connect(addr, "/").await;
    send(&mut root, r#"{"type":"hello"}"#).await;
    let reply = json(&mut root).await;
    assert_eq!(
        (reply["room"].clone(), reply["user"].clone()),
        (Value::Null, Value::Null)
    );
    let mut odd = connect(addr, "/room/a%20b/%C3%A9").await;
    send(&mut odd, r#"{"type":"hello"}"#).await;
    let reply = json(&mut odd).await;
    assert_eq!(
        (reply["room"].as_str(), reply["user"].as_str()),
        (Some("a b"), Some("é"))
    );
}

#[tokio::test]
async fn error_shapes_and_the_connection_stays_open() {
    let (addr, _) = server().await;
    let mut ws = connect(addr, "/room/lobby/bob").await;
    let cases: [(&str, Value); 6] = [
        (
            "nope",
            json!({"type":"error","code":"invalid_json",
                   "message":"the message is not JSON: expected ident at line 1 column 2","errors":[]}),
        ),
        (
            "[1]",
            json!({"type":"error","code":"not_an_object",
                   "message":"the message must be a JSON object, not an array",
                   "errors":[{"path":"","kind":"type","message":"expected an object"}]}),
        ),
        (
            r#"{"text":"hi"}"#,
            json!({"type":"error","code":"missing_tag","message":"the message has no `type` field",
                   "errors":[{"path":"/type","kind":"required","message":"missing field `type`"}]}),
        ),
        (
            r#"{"type":"shout"}"#,
            json!({"type":"error","code":"unknown_tag",
                   "message":"unknown message type `shout`; expected one of: `hello`, `say`",
                   "errors":[{"path":"/type","kind":"invalid","message":"unknown message type `shout`"}]}),
        ),
        (
            r#"{"type":"say","text":"hi","sender":"eve"}"#,
            json!({"type":"error","code":"validation_failed",
                   "message":"validation failed: /sender: unknown field `sender`, expected `text`",
                   "errors":[{"path":"/sender","kind":"unknown_field",
                              "message":"unknown field `sender`, expected `text`"}]}),
        ),
        (
            r#"{"type":"say"}"#,
            json!({"type":"error","code":"validation_failed",
                   "message":"validation failed: /text: missing field `text`",
                   "errors":[{"path":"/text","kind":"required","message":"missing field `text`"}]}),
        ),
    ];
    for (input, expected) in cases {
        send(&mut ws, input).await;
        assert_eq!(json(&mut ws).await, expected, "{input}");
    }
    ws.send(Message::binary(vec![0u8, 1, 2])).await.unwrap();
    assert_eq!(
        json(&mut ws).await,
        json!({"type":"error","code":"unsupported_frame",
               "message":"binary frames are not supported; send JSON text frames","errors":[]})
    );
    // pings are answered, and the connection still works
    ws.send(Message::Ping(vec![7u8].into())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong(vec![7u8].into()));
    send(&mut ws, r#"{"type":"hello"}"#).await;
    assert_eq!(json(&mut ws).await["user"], "bob");
}

#[tokio::test]
async fn broadcast_reaches_the_room() {
    let (addr, hub) = server().await;
    let mut alice = connect(addr, "/room/lobby/alice").await;
    let mut bob = connect(addr, "/room/lobby/bob").await;
    let mut carol = connect(addr, "/room/other/carol").await;
    // wait until all three have joined
    for ws in [&mut alice, &mut bob, &mut carol] {
        send(ws, r#"{"type":"hello"}"#).await;
        json(ws).await;
    }
    assert_eq!(hub.room_members("lobby").len(), 2);
    assert_eq!(hub.rooms(), ["lobby", "other"]);

    send(&mut alice, r#"{"type":"say","text":"hi all"}"#).await;
    let expected = json!({"type":"message","sender":"alice","text":"hi all"});
    assert_eq!(json(&mut alice).await, expected);
    assert_eq!(json(&mut bob).await, expected);
    // carol is in another room
    send(&mut carol, r#"{"type":"hello"}"#).await;
    assert_eq!(json(&mut carol).await["type"], "welcome");

    // a client that leaves is removed, and an empty room disappears
    carol.close(None).await.unwrap();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, carol.next()).await {}
    for _ in 0..200 {
        if hub.rooms() == ["lobby"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hub.rooms(), ["lobby"]);
    assert_eq!(hub.connection_count(), 2);
}

#[tokio::test]
async fn rejected_connections_get_a_close_frame() {
    let (addr, hub) = server().await;
    let mut ws = connect(addr, "/room/lobby/mallory").await;
    assert_eq!(close_frame(&mut ws).await, (1008, "banned".to_owned()));
    assert!(matches!(
        tokio::time::timeout(WAIT, ws.next()).await.unwrap(),
        None | Some(Err(_))
    ));
    assert_eq!(hub.connection_count(), 0);
}

#[tokio::test]
async fn oversized_messages_get_too_large_and_1009() {
    let (addr, _) = server().await;
    let mut ws = connect(addr, "/small").await;
    send(&mut ws, r#"{"type":"hello"}"#).await;
    assert_eq!(json(&mut ws).await["type"], "welcome");
    let big = format!(r#"{{"type":"say","text":"{}"}}"#, "x".repeat(2000));
    send(&mut ws, &big).await;
    let error = json(&mut ws).await;
    assert_eq!(error["code"], "too_large");
    assert_eq!(error["message"], "the message is too large (2024 > 1024)");
    let (code, reason) = close_frame(&mut ws).await;
    assert_eq!(code, u16::from(CloseCode::Size));
    assert_eq!(reason, "message too big");
}

#[tokio::test]
async fn client_close_completes_the_handshake() {
    let (addr, hub) = server().await;
    let mut ws = connect(addr, "/").await;
    send(&mut ws, r#"{"type":"hello"}"#).await;
    json(&mut ws).await;
    ws.close(None).await.unwrap();
    // the server answers with a close frame, then the stream ends
    let mut saw_close = false;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(WAIT, ws.next()).await {
        saw_close |= matches!(message, Message::Close(_));
    }
    assert!(saw_close);
    for _ in 0..200 {
        if hub.connection_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hub.connection_count(), 0);
}

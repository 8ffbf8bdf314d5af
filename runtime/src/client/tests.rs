//! The client against a scripted server on an in-memory socket: what a real server of the API
//! never sends (messages that break the document, binary frames, odd close handshakes).

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::*;

/// What the client sends: `{"type":"ask","n":…}`.
#[derive(Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
enum Out {
    #[serde(rename = "ask")]
    Ask(Ask),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    n: u32,
}

impl Incoming for Out {
    const TAG_FIELD: &'static str = "type";
    const TAGS: &'static [&'static str] = &["ask"];
    const ID_FIELD: Option<&'static str> = Some("id");

    fn deserialize_payload<'de, D: serde::Deserializer<'de>>(
        tag: &str,
        payload: D,
    ) -> Result<Self, D::Error> {
        match tag {
            "ask" => Ask::deserialize(payload).map(Out::Ask),
            other => Err(serde::de::Error::unknown_variant(other, Self::TAGS)),
        }
    }
}

/// What the server sends: `{"type":"answer","n":…}`.
#[derive(Debug, PartialEq)]
enum In {
    Answer(Answer),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    n: u32,
}

impl Incoming for In {
    const TAG_FIELD: &'static str = "type";
    const TAGS: &'static [&'static str] = &["answer"];
    const ID_FIELD: Option<&'static str> = Some("id");

    fn deserialize_payload<'de, D: serde::Deserializer<'de>>(
        tag: &str,
        payload: D,
    ) -> Result<Self, D::Error> {
        match tag {
            "answer" => Answer::deserialize(payload).map(In::Answer),
            other => Err(serde::de::Error::unknown_variant(other, Self::TAGS)),
        }
    }
}

type Server = WebSocketStream<DuplexStream>;

/// A client connected to a scripted server.
async fn pair(settings: Settings) -> (Connection<Out, In>, Events<In>, Server) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
    let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
    let (connection, events) = Connection::from_stream(client, settings);
    (connection, events, server)
}

/// The next text frame the server gets, as JSON.
async fn read(server: &mut Server) -> Value {
    loop {
        match timeout(Duration::from_secs(5), server.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                return serde_json::from_str(text.as_str()).expect("JSON");
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn write(server: &mut Server, text: &str) {
    server.send(Message::text(text)).await.expect("sent");
}

async fn event(events: &mut Events<In>) -> Result<In, ClientError> {
    timeout(Duration::from_secs(5), events.next())
        .await
        .expect("in time")
        .expect("open")
}

fn decode_error(result: Result<In, ClientError>) -> ErrorMessage {
    match result {
        Err(ClientError::Decode(error)) => *error,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn replies_find_their_requests_and_the_rest_are_events() {
    let (connection, mut events, mut server) = pair(Settings::default()).await;
    let request = tokio::spawn({
        let connection = connection.clone();
        async move { connection.request(Out::Ask(Ask { n: 1 })).await }
    });
    let asked = read(&mut server).await;
    assert_eq!(asked["type"], "ask");
    assert_eq!(asked["n"], 1);
    // The id goes right after the tag.
    let id = asked["id"].clone();
    assert!(id.is_u64(), "{asked}");
    write(&mut server, r#"{"type":"answer","n":5}"#).await;
    write(
        &mut server,
        &format!(r#"{{"type":"answer","id":{id},"n":6}}"#),
    )
    .await;
    let reply = request.await.expect("the task").expect("a reply");
    assert_eq!(reply, In::Answer(Answer { n: 6 }));
    assert_eq!(
        event(&mut events).await.expect("a message"),
        In::Answer(Answer { n: 5 })
    );
    // An error object with the id fails the request; without one it is an event.
    let request = tokio::spawn({
        let connection = connection.clone();
        async move { connection.request(Out::Ask(Ask { n: 2 })).await }
    });
    let id = read(&mut server).await["id"].clone();
    write(
        &mut server,
        &format!(
            r#"{{"type":"error","id":{id},"code":"handler_error","message":"no","errors":[]}}"#
        ),
    )
    .await;
    write(
        &mut server,
        r#"{"type":"error","code":"unknown_tag","message":"what?","errors":[]}"#,
    )
    .await;
    match request.await.expect("the task") {
        Err(ClientError::Server(error)) => {
            assert_eq!(
                (&*error.code, error.message.as_str()),
                ("handler_error", "no")
            );
            assert_eq!(error.id, Some(id));
        }
        other => panic!("expected the server's error, got {other:?}"),
    }
    match event(&mut events).await {
        Err(ClientError::Server(error)) => assert_eq!(error.code, "unknown_tag"),
        other => panic!("expected the server's error, got {other:?}"),
    }
}

#[tokio::test]
async fn messages_that_break_the_document_are_decode_errors() {
    let (connection, mut events, mut server) = pair(Settings::default()).await;
    write(&mut server, r#"{"type":"answer","n":"five"}"#).await;
    let error = decode_error(event(&mut events).await);
    assert_eq!(error.code, "validation_failed");
    assert_eq!(
        (error.errors[0].path.as_str(), &*error.errors[0].kind),
        ("/n", "type")
    );
    write(&mut server, r#"{"type":"shout"}"#).await;
    assert_eq!(decode_error(event(&mut events).await).code, "unknown_tag");
    write(&mut server, "not JSON").await;
    assert_eq!(decode_error(event(&mut events).await).code, "invalid_json");
    server
        .send(Message::Binary(Bytes::from_static(b"\x00")))
        .await
        .expect("sent");
    assert_eq!(
        decode_error(event(&mut events).await).code,
        "unsupported_frame"
    );
    // A bad reply fails its request.
    let request = tokio::spawn({
        let connection = connection.clone();
        async move { connection.request(Out::Ask(Ask { n: 3 })).await }
    });
    let id = read(&mut server).await["id"].clone();
    write(&mut server, &format!(r#"{{"type":"answer","id":{id}}}"#)).await;
    match request.await.expect("the task") {
        Err(ClientError::Decode(error)) => {
            assert_eq!(error.errors[0].path, "/n");
            assert_eq!(error.errors[0].kind, "required");
            assert_eq!(error.id, Some(id));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_close_frame_fails_waiting_requests_with_its_code_and_reason() {
    // This server never closes the socket after its close frame: the client waits that long.
    let settings = Settings::new().close_timeout(Duration::from_millis(200));
    let (connection, mut events, mut server) = pair(settings).await;
    let request = tokio::spawn({
        let connection = connection.clone();
        async move { connection.request(Out::Ask(Ask { n: 1 })).await }
    });
    read(&mut server).await;
    server
        .send(Message::Close(Some(CloseFrame {
            code: 4001.into(),
            reason: "maintenance".into(),
        })))
        .await
        .expect("sent");
    let expected = Closed {
        code: Some(4001),
        reason: "maintenance".to_owned(),
    };
    match request.await.expect("the task") {
        Err(ClientError::Closed(closed)) => assert_eq!(closed, expected),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert!(events.next().await.is_none());
    assert_eq!(connection.closed(), Some(expected));
    // The client answered the close frame.
    let answer = timeout(Duration::from_secs(5), server.next()).await;
    assert!(
        matches!(answer, Ok(Some(Ok(Message::Close(_))))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn close_gives_up_on_a_server_that_does_not_answer() {
    let limit = Duration::from_millis(100);
    let (connection, mut events, mut server) = pair(Settings::new().close_timeout(limit)).await;
    let started = std::time::Instant::now();
    connection.close().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(events.next().await.is_none());
    // The server got the close frame (and never answered it).
    let frame = timeout(Duration::from_secs(5), server.next()).await;
    match frame {
        Ok(Some(Ok(Message::Close(Some(frame))))) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected a close frame, got {other:?}"),
    }
    match connection.send(Out::Ask(Ask { n: 1 })).await {
        Err(ClientError::Closed(closed)) => assert_eq!(closed.code, Some(1000)),
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let (connection, _events, mut server) = pair(Settings::default()).await;
    let clone = connection.clone();
    drop(connection);
    clone
        .send(Out::Ask(Ask { n: 9 }))
        .await
        .expect("still open");
    assert_eq!(read(&mut server).await["n"], 9);
    drop(clone);
    let frame = timeout(Duration::from_secs(5), server.next()).await;
    assert!(
        matches!(frame, Ok(Some(Ok(Message::Close(Some(_)))))),
        "{frame:?}"
    );
}

#[tokio::test]
async fn the_check_can_be_turned_off() {
    let (connection, _events, mut server) = pair(Settings::new().check_outgoing(false)).await;
    connection
        .send_text(r#"{"type":"ask","n":-1}"#)
        .await
        .expect("sent unchecked");
    assert_eq!(read(&mut server).await["n"], -1);
    let (connection, _events, _server) = pair(Settings::default()).await;
    match connection.send_text(r#"{"type":"ask","n":-1}"#).await {
        Err(ClientError::Invalid(error)) => assert_eq!(error.errors[0].path, "/n"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

impl Check for Answer {
    fn check(&self) -> bool {
        self.n < 100
    }
}

#[tokio::test]
async fn shared_tags_are_told_apart_by_content() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Text {
        text: String,
    }
    impl Check for Text {
        fn check(&self) -> bool {
            true
        }
    }
    #[derive(Debug, PartialEq)]
    enum Shared {
        Answer(Answer),
        Text(Text),
    }
    let decode = |text: &str| {
        let mut de = serde_json::Deserializer::from_str(text);
        one_of::<_, Shared>(
            &mut de,
            &[
                |v| candidate::<Answer>(v).map(Shared::Answer),
                |v| candidate::<Text>(v).map(Shared::Text),
            ],
        )
    };
    assert_eq!(
        decode(r#"{"n":1}"#).expect("an answer"),
        Shared::Answer(Answer { n: 1 })
    );
    assert_eq!(
        decode(r#"{"text":"hi"}"#).expect("a text"),
        Shared::Text(Text { text: "hi".into() })
    );
    // A value that deserializes but breaks its checks is not that message.
    let error = decode(r#"{"n":500}"#).expect_err("neither");
    assert!(error.to_string().contains("breaks its schema"), "{error}");
}

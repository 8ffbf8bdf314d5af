//! The fuzz targets' properties (`fuzz/`, run with cargo-fuzz on nightly) as proptest properties
//! in the ordinary suite, which CI runs on stable:
//!
//! - **decoder:** any text, decoded as a frame of a generated API with nested, constrained types
//!   (`fixtures/composite.yaml`: unique enum arrays, maps with bounds, a discriminated `oneOf`
//!   with nested `oneOf`s; `fixtures/bench.yaml`: constrained strings, numbers and arrays of
//!   objects), is accepted or answered with one documented error code; the error's JSON reads
//!   back; every violation's path is a JSON Pointer. Never a panic.
//! - **frames → messages:** any bytes written after the upgrade, through the WebSocket layer and
//!   the runtime's connection loop (`serve_connection`, the same code as a server), get only
//!   documented answers: error objects with documented codes, replies, pongs, and close frames
//!   with valid codes; the connection always ends (when the client stops), and never panics.
//! - **spec loader:** documents made by mutating real AsyncAPI documents (the official examples
//!   and the fixtures, copied into the repo) either generate, or fail with located spec errors
//!   (never an internal error), and never panic.

mod guarded;
mod raw;

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, Stream};
use proptest::prelude::*;
use serde_json::{Value, json};
use socketsundso::{ErrorMessage, Incoming, Settings};
use socketsundso_tests::{bench, composite};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self as tungstenite};

/// The codes a decoding error may have.
const DECODE_CODES: &[&str] = &[
    "invalid_json",
    "not_an_object",
    "missing_tag",
    "unknown_tag",
    "validation_failed",
];

/// Every code the runtime documents (`ErrorCode::ALL`), and the handlers' own of the test API.
fn documented(code: &str) -> bool {
    socketsundso::ErrorCode::ALL
        .iter()
        .any(|c| c.as_str() == code)
}

// ---------------------------------------------------------------------------------------------
// The decoder

/// Decodes `text` as `T`; checks the outcome.
fn check_decode<T: Incoming>(text: &str) -> Result<(), TestCaseError> {
    match socketsundso::decode::<T>(text) {
        Ok(_) => Ok(()),
        Err(error) => {
            prop_assert!(
                DECODE_CODES.contains(&error.code.as_ref()),
                "undocumented code {} for {text:?}",
                error.code
            );
            prop_assert!(!error.message.is_empty());
            for violation in &error.errors {
                prop_assert!(
                    violation.path.is_empty() || violation.path.starts_with('/'),
                    "not a JSON Pointer: {:?}",
                    violation.path
                );
                prop_assert!(!violation.kind.is_empty() && !violation.message.is_empty());
            }
            let wire = error.to_json_tagged(T::TAG_FIELD);
            let back = ErrorMessage::from_json_tagged(&wire, T::TAG_FIELD);
            prop_assert_eq!(
                back.as_ref(),
                Some(&error),
                "the error does not read back: {}",
                wire
            );
            Ok(())
        }
    }
}

fn check_all(text: &str) -> Result<(), TestCaseError> {
    check_decode::<composite::ClientMessage>(text)?;
    check_decode::<bench::ClientMessage>(text)
}

/// Field names and tags of the two APIs, so that generated objects reach deep into them.
const KEYS: &[&str] = &[
    "type",
    "id",
    "colors",
    "prio",
    "optmap",
    "inner",
    "shape",
    "kind",
    "r",
    "sub",
    "k",
    "v",
    "w",
    "side",
    "nullarr",
    "nullobj",
    "q",
    "intbounds",
    "f32",
    "i64opt",
    "order_id",
    "account",
    "symbol",
    "quantity",
    "price",
    "priority",
    "placed_at",
    "legs",
    "venue",
    "ratio",
    "note",
];
const STRINGS: &[&str] = &[
    "m",
    "order",
    "cancel",
    "circle",
    "square",
    "x",
    "y",
    "red",
    "green",
    "blue",
    "buy",
    "sell",
    "BTC-USD",
    "2024-01-01T00:00:00Z",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "",
    "\u{0}",
    "🦀",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-10i64..10).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(STRINGS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// A message-like object: usually a known tag first, then generated fields.
fn message_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["m", "order", "cancel", "nope", ""][..]),
        prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..8),
        any::<bool>(),
    )
        .prop_map(|(tag, fields, tag_first)| {
            let mut parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
                .collect();
            let tag = format!(r#""type":{}"#, Value::from(tag));
            if tag_first {
                parts.insert(0, tag);
            } else {
                parts.push(tag);
            }
            format!("{{{}}}", parts.join(","))
        })
}

/// Valid messages of both APIs, to mutate.
fn valid_texts() -> Vec<String> {
    vec![
        r#"{"type":"m","colors":["red"],"prio":[1,3],"optmap":{"inner":{"a":5}},"shape":{"kind":"circle","r":1.5,"sub":{"k":"y","w":[1,2]}},"nullarr":null,"nullobj":{"q":2},"intbounds":2,"f32":1.5,"i64opt":-3}"#.to_owned(),
        r#"{"type":"m","shape":{"kind":"square","side":3}}"#.to_owned(),
        r#"{"type":"order","order_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","account":"acct-1","symbol":"BTC-USD","side":"buy","quantity":10,"price":101.5,"priority":3,"placed_at":"2024-01-01T00:00:00Z","legs":[{"venue":"x","ratio":1}],"note":"n"}"#.to_owned(),
        r#"{"type":"cancel","order_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","id":7}"#.to_owned(),
    ]
}

/// A valid message with a few characters replaced, inserted or removed.
fn mutated_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(valid_texts()),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4),
    )
        .prop_map(|(text, edits)| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, op, c) in edits {
                let i = at.index(chars.len() + 1);
                match op {
                    0 if i < chars.len() => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_text_decodes_or_gets_a_documented_error(text in any::<String>()) {
        check_all(&text)?;
    }

    #[test]
    fn message_like_objects_decode_or_get_a_documented_error(text in message_text()) {
        check_all(&text)?;
    }

    #[test]
    fn mutated_messages_decode_or_get_a_documented_error(text in mutated_text()) {
        check_all(&text)?;
    }
}

#[test]
fn the_valid_messages_are_valid() {
    for text in valid_texts() {
        let ok = socketsundso::decode::<composite::ClientMessage>(&text).is_ok()
            || socketsundso::decode::<bench::ClientMessage>(&text).is_ok();
        assert!(ok, "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Frames → messages, through the WebSocket layer and the connection loop

/// tokio-tungstenite's server side of an in-memory socket, as the runtime's loop takes it (axum
/// messages), with the runtime's WebSocket settings (axum does the same over hyper).
struct Adapter(WebSocketStream<DuplexStream>);

fn to_axum(message: tungstenite::Message) -> Message {
    match message {
        tungstenite::Message::Text(text) => Message::Text(Utf8Bytes::from(text.as_str())),
        tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
        tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
        tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
        tungstenite::Message::Close(frame) => Message::Close(frame.map(|f| CloseFrame {
            code: f.code.into(),
            reason: Utf8Bytes::from(f.reason.as_str()),
        })),
        // Never read: tungstenite yields raw frames only to writers.
        tungstenite::Message::Frame(_) => Message::Binary(Default::default()),
    }
}

fn to_tungstenite(message: Message) -> tungstenite::Message {
    match message {
        Message::Text(text) => tungstenite::Message::text(text.as_str()),
        Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
        Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
        Message::Close(frame) => {
            tungstenite::Message::Close(frame.map(|f| tungstenite::protocol::CloseFrame {
                code: f.code.into(),
                reason: f.reason.as_str().into(),
            }))
        }
    }
}

impl Stream for Adapter {
    type Item = Result<Message, String>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|m| m.map(|m| m.map(to_axum).map_err(|e| e.to_string())))
    }
}

impl Sink<Message> for Adapter {
    type Error = String;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_ready(cx)
            .map_err(|e| e.to_string())
    }
    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), String> {
        Pin::new(&mut self.0)
            .start_send(to_tungstenite(item))
            .map_err(|e| e.to_string())
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_flush(cx)
            .map_err(|e| e.to_string())
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_close(cx)
            .map_err(|e| e.to_string())
    }
}

/// The tags of the replies of the test API.
const REPLIES: &[&str] = &["echoed", "identity", "measured", "slept"];

/// Writes `bytes` to a connection served by the runtime's loop, ends the client's writing, and
/// reads everything the server sends until it ends the connection. Checks every frame.
async fn through_the_loop(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let counts = Arc::new(guarded::Counts::default());
    let service = Arc::new(socketsundso_tests::semantics::Server::new(guarded::Api {
        counts: Arc::clone(&counts),
    }));
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(16 * 1024))
        .max_frame_size(Some(16 * 1024));
    let socket = WebSocketStream::from_raw_socket(server, Role::Server, Some(config)).await;
    let settings = Settings::default()
        .close_timeout(Duration::from_millis(100))
        .handler_timeout(Duration::from_millis(500));
    let task = tokio::spawn(socketsundso::serve_connection(
        service,
        socketsundso::Hub::new(),
        vec![("user".to_owned(), "fuzz".to_owned())],
        Adapter(socket),
        settings,
    ));
    let writer = async {
        let _ = client.write_all(&bytes).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let _ = client.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .map_err(|_| TestCaseError::fail("the server did not end the connection"))?;
    let ended = tokio::time::timeout(Duration::from_secs(10), task).await;
    prop_assert!(
        matches!(ended, Ok(Ok(()))),
        "the connection task panicked or hung: {ended:?}"
    );
    prop_assert_eq!(counts.connects(), counts.disconnects());

    let mut rest = &out[..];
    while !rest.is_empty() {
        let Some((frame, used)) = raw::decode_frame(rest) else {
            return Err(TestCaseError::fail(format!(
                "the server sent a partial frame: {rest:?}"
            )));
        };
        rest = &rest[used..];
        match frame.opcode {
            raw::TEXT => {
                let value: Value = serde_json::from_slice(&frame.payload)
                    .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
                let tag = value["type"].as_str().unwrap_or_default();
                if tag == "error" {
                    let code = value["code"].as_str().unwrap_or_default();
                    prop_assert!(documented(code), "undocumented code in {}", value);
                } else {
                    prop_assert!(REPLIES.contains(&tag), "unexpected {}", value);
                }
            }
            raw::PONG | raw::PING => {}
            raw::CLOSE => {
                let (code, _) = raw::close_payload(&frame.payload);
                prop_assert!(
                    (1000..=1003).contains(&code)
                        || (1007..=1011).contains(&code)
                        || (3000..=4999).contains(&code),
                    "close code {code}"
                );
            }
            other => return Err(TestCaseError::fail(format!("server frame opcode {other}"))),
        }
    }
    Ok(())
}

/// One client frame: weighted towards what parses, with room for what does not.
fn client_frame() -> impl Strategy<Value = Vec<u8>> {
    let payload = prop_oneof![
        4 => prop::sample::select(vec![
            r#"{"type":"echo","text":"hi"}"#.to_owned(),
            r#"{"type":"echo","id":3,"text":"sleep:700"}"#.to_owned(),
            r#"{"type":"measure","value":5}"#.to_owned(),
            r#"{"type":"whoami"}"#.to_owned(),
            r#"{"type":"panic"}"#.to_owned(),
            r#"{"type":"fail"}"#.to_owned(),
            r#"{"type":"sleep","millis":1}"#.to_owned(),
        ]).prop_map(String::into_bytes),
        2 => message_text().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => (0usize..20_000).prop_map(|n| vec![b' '; n]),
    ];
    (
        prop::bool::weighted(0.9),
        prop::sample::select(&[0u8, 0, 0, 0, 0, 0, 1, 2, 4][..]),
        prop::sample::select(&[0x1u8, 0x1, 0x1, 0x1, 0x0, 0x2, 0x8, 0x9, 0xA, 0x3, 0xB][..]),
        payload,
        prop::bool::weighted(0.95),
    )
        .prop_map(|(fin, rsv, opcode, payload, masked)| {
            raw::encode_frame(fin, rsv, opcode, &payload, masked)
        })
}

fn client_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(client_frame(), 0..8).prop_map(|frames| frames.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn any_bytes_after_the_upgrade_get_only_documented_answers(bytes in client_bytes()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(through_the_loop(bytes))?;
    }
}

// ---------------------------------------------------------------------------------------------
// The spec loader

/// The seed documents: the official AsyncAPI examples and the fixtures (copies in the repo).
fn seeds() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["asyncapi/3.0.0", "asyncapi/2.6.0", "fixtures"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            })
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(&path) {
                seeds.push((path.display().to_string(), text));
            }
        }
    }
    assert!(seeds.len() >= 40, "{} seed documents", seeds.len());
    seeds
}

/// A line-level or character-level edit of a document.
#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(prop::sample::Index),
    DuplicateLine(prop::sample::Index),
    SwapLines(prop::sample::Index, prop::sample::Index),
    /// Replaces what follows the first `: ` of a line.
    ReplaceValue(prop::sample::Index, String),
    InsertChar(prop::sample::Index, char),
    Truncate(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let value = prop::sample::select(vec![
        "null",
        "[]",
        "{}",
        "'#/components/messages/nope'",
        "{$ref: '#'}",
        "-1",
        "1e400",
        "true",
        "object",
        "string",
        "integer",
        "array",
        "'x'",
        "*anchor",
        "&anchor x",
        "!!binary aGk=",
        "receive",
        "send",
        "'{room}'",
        "3.0.0",
        "2.6.0",
        "~",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::DeleteLine),
        any::<prop::sample::Index>().prop_map(Edit::DuplicateLine),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<prop::sample::Index>(), value).prop_map(|(a, v)| Edit::ReplaceValue(a, v)),
        (any::<prop::sample::Index>(), any::<char>()).prop_map(|(a, c)| Edit::InsertChar(a, c)),
        any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for edit in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match edit {
            Edit::DeleteLine(i) => {
                lines.remove(i.index(n));
            }
            Edit::DuplicateLine(i) => {
                let line = lines[i.index(n)].clone();
                lines.insert(i.index(n), line);
            }
            Edit::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
            Edit::ReplaceValue(i, value) => {
                let line = &mut lines[i.index(n)];
                if let Some(at) = line.find(": ") {
                    line.truncate(at + 2);
                    line.push_str(value);
                }
            }
            Edit::InsertChar(i, c) => {
                let line = &mut lines[i.index(n)];
                let mut chars: Vec<char> = line.chars().collect();
                let at = (i.index(n) * 7) % (chars.len() + 1);
                chars.insert(at, *c);
                *line = chars.into_iter().collect();
            }
            Edit::Truncate(i) => lines.truncate(i.index(n)),
        }
    }
    lines.join("\n")
}

/// Generates from `text` (`validate` runs the whole generator, formatting included, and keeps
/// every error); checks that it generates or fails with located spec errors only.
fn check_spec(name: &str, text: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ext = if name.ends_with(".json") {
        "json"
    } else {
        "yaml"
    };
    let path = dir.path().join(format!("spec.{ext}"));
    std::fs::write(&path, text).expect("writing the document");
    let report = socketsundso_codegen::Config::new(&path).validate();
    for error in &report.errors {
        prop_assert!(
            !matches!(error, socketsundso_codegen::Error::Internal { .. }),
            "internal error for a mutation of {name}: {error}"
        );
        if let Some(location) = error.location() {
            prop_assert!(
                location.file.ends_with(format!("spec.{ext}")) || location.file.exists(),
                "{error}"
            );
        }
        prop_assert!(!error.to_string().is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn mutated_documents_generate_or_get_located_errors(
        seed in prop::sample::select(seeds()),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let (name, text) = seed;
        check_spec(&name, &apply(&text, &edits))?;
    }

    #[test]
    fn arbitrary_yaml_gets_located_errors(text in "(asyncapi: [23]\\.[0-6]\\.0\n)?[ -~\n]{0,300}") {
        check_spec("arbitrary.yaml", &text)?;
    }
}

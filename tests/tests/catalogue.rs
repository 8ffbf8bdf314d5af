//! The bad-input catalogue: what a client on the open internet can send, each case on a fresh
//! connection to a real server (the `semantics` API on 127.0.0.1, default settings), written as
//! raw bytes on a `TcpStream` after a hand-made upgrade. Each case asserts the exact documented
//! outcome (README, "Bad input"): the error code (and the violation's path and kind where there
//! is one), the reply of an input that is valid after all, or the close code where the WebSocket
//! protocol demands a close. Where the connection stays open, the same connection must then
//! answer a valid message. No case may panic the server (a panic hook counts them).

mod guarded;
mod raw;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use raw::{BINARY, CLOSE, CONTINUATION, Frame, Next, PING, PONG, Raw, TEXT, describe};
use serde_json::{Value, json};

/// What a case expects.
#[derive(Debug, Clone)]
enum Expect {
    /// An error message with this code (no violation checked); the connection stays open.
    Error(&'static str),
    /// A `validation_failed` error with a violation at this path of this kind; stays open.
    Violation(&'static str, &'static str),
    /// An error with this code and this correlation id; stays open.
    ErrorWithId(&'static str, Value),
    /// Valid after all: this reply; stays open.
    Reply(Value),
    /// A close frame with this code, then the end of the stream.
    Close(u16),
    /// A `too_large` error, then close code 1009.
    TooLarge,
    /// Pongs (at least one) and no error; stays open.
    Pongs,
    /// Nothing at all; stays open.
    Silence,
}

struct Case {
    name: &'static str,
    /// The bytes to write (frames, masked unless the case says otherwise).
    bytes: Vec<u8>,
    expect: Expect,
}

fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw::encode_frame(fin, rsv, opcode, payload, true)
}

fn text(s: &str) -> Vec<u8> {
    frame(true, 0, TEXT, s.as_bytes())
}

fn text_bytes(b: &[u8]) -> Vec<u8> {
    frame(true, 0, TEXT, b)
}

fn case(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        expect,
    }
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut cases = vec![
        // ---- not JSON
        case(
            "truncated JSON",
            text(r#"{"type":"echo","text":"hi"#),
            Error("invalid_json"),
        ),
        case("empty text frame", text(""), Error("invalid_json")),
        case("only whitespace", text(" \n\t "), Error("invalid_json")),
        case(
            "trailing garbage",
            text(r#"{"type":"echo","text":"a"} x"#),
            Error("invalid_json"),
        ),
        case(
            "two objects in one frame",
            text(r#"{"type":"echo","text":"a"}{}"#),
            Error("invalid_json"),
        ),
        case(
            "byte order mark",
            text("\u{feff}{\"type\":\"echo\",\"text\":\"a\"}"),
            Error("invalid_json"),
        ),
        case(
            "comment",
            text(r#"{"type":"echo",/* hi */"text":"a"}"#),
            Error("invalid_json"),
        ),
        case(
            "single quotes",
            text("{'type':'echo','text':'a'}"),
            Error("invalid_json"),
        ),
        case(
            "NaN",
            text(r#"{"type":"measure","value":NaN}"#),
            Error("invalid_json"),
        ),
        case(
            "Infinity",
            text(r#"{"type":"measure","value":Infinity}"#),
            Error("invalid_json"),
        ),
        case(
            "number beyond f64",
            text(r#"{"type":"measure","value":1e400}"#),
            Error("invalid_json"),
        ),
        case(
            "raw control character in a string",
            text_bytes(b"{\"type\":\"echo\",\"text\":\"a\x01b\"}"),
            Error("invalid_json"),
        ),
        case(
            "raw NUL in a string",
            text_bytes(b"{\"type\":\"echo\",\"text\":\"a\x00b\"}"),
            Error("invalid_json"),
        ),
        case(
            "lone surrogate escape",
            text(r#"{"type":"echo","text":"\ud800"}"#),
            Error("invalid_json"),
        ),
        case(
            "100,000 levels of nesting",
            text(&nested(100_000)),
            Error("invalid_json"),
        ),
        case(
            "100,000 levels of nesting in a field",
            text(&format!(r#"{{"type":"echo","text":{}}}"#, nested(100_000))),
            Error("invalid_json"),
        ),
        case(
            "100,000 levels of objects",
            text(&format!(
                "{}{}",
                r#"{"a":"#.repeat(100_000),
                "}".repeat(100_000)
            )),
            Error("invalid_json"),
        ),
        // ---- JSON, but not an object
        case(
            "top-level array",
            text(r#"[{"type":"echo","text":"a"}]"#),
            Error("not_an_object"),
        ),
        case(
            "top-level string",
            text(r#""echo""#),
            Error("not_an_object"),
        ),
        case("top-level number", text("42"), Error("not_an_object")),
        case("top-level null", text("null"), Error("not_an_object")),
        case("top-level true", text("true"), Error("not_an_object")),
        // ---- the tag
        case("no tag", text(r#"{"text":"a"}"#), Error("missing_tag")),
        case("empty object", text("{}"), Error("missing_tag")),
        case(
            "tag is a number",
            text(r#"{"type":5,"text":"a"}"#),
            Error("missing_tag"),
        ),
        case(
            "tag is null",
            text(r#"{"type":null,"text":"a"}"#),
            Error("missing_tag"),
        ),
        case(
            "tag is an array",
            text(r#"{"type":["echo"],"text":"a"}"#),
            Error("missing_tag"),
        ),
        case(
            "tag is an object",
            text(r#"{"type":{"echo":1},"text":"a"}"#),
            Error("missing_tag"),
        ),
        case("empty tag", text(r#"{"type":""}"#), Error("unknown_tag")),
        case(
            "unknown tag",
            text(r#"{"type":"nope"}"#),
            Error("unknown_tag"),
        ),
        case(
            "unicode tag",
            text(r#"{"type":"échø 🦀"}"#),
            Error("unknown_tag"),
        ),
        case(
            "tag with NUL",
            text(r#"{"type":"echo\u0000","text":"a"}"#),
            Error("unknown_tag"),
        ),
        case(
            "tag in another case",
            text(r#"{"type":"ECHO","text":"a"}"#),
            Error("unknown_tag"),
        ),
        case(
            "very long tag (100,000 characters)",
            text(&format!(r#"{{"type":"{}"}}"#, "x".repeat(100_000))),
            Error("unknown_tag"),
        ),
        case(
            "tag repeated",
            text(r#"{"type":"echo","type":"echo","text":"a"}"#),
            Violation("/type", "duplicate_field"),
        ),
        case(
            "unknown tag keeps the id",
            text(r#"{"type":"nope","id":7}"#),
            ErrorWithId("unknown_tag", json!(7)),
        ),
        // ---- the payload
        case(
            "duplicate key",
            text(r#"{"type":"echo","text":"a","text":"b"}"#),
            Violation("/text", "duplicate_field"),
        ),
        case(
            "unknown field",
            text(r#"{"type":"echo","text":"a","extra":true}"#),
            Violation("/extra", "unknown_field"),
        ),
        case(
            "missing field",
            text(r#"{"type":"echo"}"#),
            Violation("/text", "required"),
        ),
        case(
            "field of the wrong type",
            text(r#"{"type":"echo","text":5}"#),
            Violation("/text", "type"),
        ),
        case(
            "string beyond maxLength (21 characters)",
            text(r#"{"type":"echo","text":"abcdefghijklmnopqrstu"}"#),
            Violation("/text", "max_length"),
        ),
        case(
            "string of 100,000 characters (maxLength 20)",
            text(&format!(
                r#"{{"type":"echo","text":"{}"}}"#,
                "a".repeat(100_000)
            )),
            Violation("/text", "max_length"),
        ),
        case(
            "integer below its minimum",
            text(r#"{"type":"measure","value":-1}"#),
            Violation("/value", "minimum"),
        ),
        case(
            "huge integer",
            text(r#"{"type":"measure","value":123456789012345678901234567890}"#),
            Violation("/value", "maximum"),
        ),
        case(
            "huge negative integer",
            text(r#"{"type":"measure","value":-123456789012345678901234567890}"#),
            Violation("/value", "minimum"),
        ),
        case(
            "fraction for an integer",
            text(r#"{"type":"measure","value":1.5}"#),
            Violation("/value", "type"),
        ),
        case(
            "a handler panic",
            text(r#"{"type":"panic"}"#),
            Error("internal"),
        ),
        // ---- valid after all
        case(
            "NUL escaped in a string",
            text(r#"{"type":"echo","text":"a\u0000b"}"#),
            Reply(json!({"type":"echoed","text":"a\u{0}b"})),
        ),
        case(
            "escaped tag",
            text(r#"{"type":"\u0065cho","text":"hi"}"#),
            Reply(json!({"type":"echoed","text":"hi"})),
        ),
        case(
            "tag not first",
            text(r#"{"text":"hi","type":"echo"}"#),
            Reply(json!({"type":"echoed","text":"hi"})),
        ),
        case(
            "surrogate pair escape",
            text(r#"{"type":"echo","text":"\ud83e\udd80"}"#),
            Reply(json!({"type":"echoed","text":"🦀"})),
        ),
        case(
            "20 emoji (maxLength counts characters)",
            text(&format!(
                r#"{{"type":"echo","text":"{}"}}"#,
                "🦀".repeat(20)
            )),
            Reply(json!({"type":"echoed","text":"🦀".repeat(20)})),
        ),
        case(
            "a float id far out comes back exactly",
            text(r#"{"type":"echo","id":-1.4871251532186122e+268,"text":"id"}"#),
            Reply(json!({"type":"echoed","id":-1.4871251532186122e268,"text":"id"})),
        ),
        case(
            "1.0 is an integer",
            text(r#"{"type":"measure","value":1.0}"#),
            Reply(json!({"type":"measured","value":1})),
        ),
        // ---- frames
        case(
            "binary frame",
            frame(true, 0, BINARY, br#"{"type":"echo","text":"a"}"#),
            Error("unsupported_frame"),
        ),
        case(
            "empty binary frame",
            frame(true, 0, BINARY, b""),
            Error("unsupported_frame"),
        ),
        case(
            "invalid UTF-8 in a text frame",
            text_bytes(b"{\"type\":\"echo\",\"text\":\"\xff\xfe\"}"),
            Close(1007),
        ),
        case(
            "fragmented message (3 frames)",
            [
                frame(false, 0, TEXT, br#"{"type":"ec"#),
                frame(false, 0, CONTINUATION, br#"ho","text""#),
                frame(true, 0, CONTINUATION, br#":"parts"}"#),
            ]
            .concat(),
            Reply(json!({"type":"echoed","text":"parts"})),
        ),
        case(
            "a character split across fragments",
            [
                frame(false, 0, TEXT, b"{\"type\":\"echo\",\"text\":\"\xc3"),
                frame(true, 0, CONTINUATION, b"\xa9\"}"),
            ]
            .concat(),
            Reply(json!({"type":"echoed","text":"é"})),
        ),
        case(
            "a ping between fragments",
            [
                frame(false, 0, TEXT, br#"{"type":"echo","#),
                frame(true, 0, PING, b"between"),
                frame(true, 0, CONTINUATION, br#""text":"pinged"}"#),
            ]
            .concat(),
            Reply(json!({"type":"echoed","text":"pinged"})),
        ),
        case(
            "continuation without a start",
            frame(true, 0, CONTINUATION, b"{}"),
            Close(1002),
        ),
        case(
            "a new message inside a fragmented one",
            [
                frame(false, 0, TEXT, br#"{"type":"#),
                text(r#"{"type":"echo","text":"a"}"#),
            ]
            .concat(),
            Close(1002),
        ),
        case(
            "a close frame inside a fragmented message",
            [
                frame(false, 0, TEXT, br#"{"type":"echo","#),
                frame(true, 0, CLOSE, &1000u16.to_be_bytes()),
            ]
            .concat(),
            Close(1000),
        ),
        case(
            "unmasked client frame",
            raw::encode_frame(true, 0, TEXT, br#"{"type":"echo","text":"a"}"#, false),
            Close(1002),
        ),
        case(
            "reserved bit 1",
            frame(true, 0b100, TEXT, br#"{"type":"echo","text":"a"}"#),
            Close(1002),
        ),
        case(
            "reserved bit 2",
            frame(true, 0b010, TEXT, br#"{"type":"echo","text":"a"}"#),
            Close(1002),
        ),
        case(
            "reserved bit 3",
            frame(true, 0b001, TEXT, br#"{"type":"echo","text":"a"}"#),
            Close(1002),
        ),
        case(
            "reserved data opcode 0x3",
            frame(true, 0, 0x3, b"{}"),
            Close(1002),
        ),
        case(
            "reserved data opcode 0x7",
            frame(true, 0, 0x7, b"{}"),
            Close(1002),
        ),
        case(
            "reserved control opcode 0xB",
            frame(true, 0, 0xB, b""),
            Close(1002),
        ),
        case(
            "reserved control opcode 0xF",
            frame(true, 0, 0xF, b""),
            Close(1002),
        ),
        case(
            "ping with 126 bytes",
            frame(true, 0, PING, &[b'p'; 126]),
            Close(1002),
        ),
        case(
            "fragmented ping",
            frame(false, 0, PING, b"half"),
            Close(1002),
        ),
        case(
            "close frame with a 1-byte payload",
            frame(true, 0, CLOSE, &[3]),
            Close(1002),
        ),
        case(
            "close frame with code 999",
            frame(true, 0, CLOSE, &999u16.to_be_bytes()),
            Close(1002),
        ),
        case(
            "close frame whose reason is not UTF-8",
            frame(true, 0, CLOSE, &[0x03, 0xE8, 0xff, 0xfe]),
            Close(1007),
        ),
        case("unsolicited pong", frame(true, 0, PONG, b"hi"), Silence),
        case(
            "ping flood (10,000 pings)",
            frame(true, 0, PING, b"flood").repeat(10_000),
            Pongs,
        ),
        case(
            "frame header of 100 MB (the payload never sent)",
            [
                vec![0x81],
                raw::length_header(100 * 1024 * 1024, true),
                vec![1, 2, 3, 4],
            ]
            .concat(),
            TooLarge,
        ),
        case(
            "frame header with the length's top bit set",
            [
                vec![0x81],
                raw::length_header(1 << 63, true),
                vec![1, 2, 3, 4],
            ]
            .concat(),
            TooLarge,
        ),
        case(
            "fragments over the message limit (2 × 600 kB)",
            [
                frame(false, 0, TEXT, &[b' '; 600 * 1024]),
                frame(true, 0, CONTINUATION, &[b' '; 600 * 1024]),
            ]
            .concat(),
            TooLarge,
        ),
    ];
    cases.sort_by_key(|c| matches!(c.expect, Expect::Close(_) | Expect::TooLarge));
    cases
}

/// The valid message each open connection must still answer, and its reply.
const PROBE: &str = r#"{"type":"echo","text":"still here"}"#;

async fn still_answers(c: &mut Raw, name: &str) {
    c.text(PROBE).await;
    assert_eq!(
        c.json().await,
        json!({"type":"echoed","text":"still here"}),
        "{name}: the connection does not answer a valid message afterwards"
    );
}

async fn check(addr: std::net::SocketAddr, case: &Case) {
    let name = case.name;
    let mut c = Raw::connect(addr, "/ws/catalogue").await;
    c.write(&case.bytes).await;
    match &case.expect {
        Expect::Error(code) => {
            let error = c.json().await;
            assert_eq!(error["type"], "error", "{name}: {error}");
            assert_eq!(error["code"], *code, "{name}: {error}");
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{name}: {error}"
            );
            assert!(error["errors"].is_array(), "{name}: {error}");
        }
        Expect::Violation(path, kind) => {
            let error = c.json().await;
            assert_eq!(error["code"], "validation_failed", "{name}: {error}");
            let found = error["errors"]
                .as_array()
                .is_some_and(|v| v.iter().any(|v| v["path"] == *path && v["kind"] == *kind));
            assert!(found, "{name}: expected {path} {kind} in {error}");
        }
        Expect::ErrorWithId(code, id) => {
            let error = c.json().await;
            assert_eq!(error["code"], *code, "{name}: {error}");
            assert_eq!(&error["id"], id, "{name}: {error}");
        }
        Expect::Reply(reply) => {
            assert_eq!(&c.json().await, reply, "{name}");
        }
        Expect::Close(code) => {
            let (got, reason) = c.close_frame().await;
            assert_eq!(got, *code, "{name}: close reason {reason:?}");
            c.ended().await;
            return;
        }
        Expect::TooLarge => {
            let error = c.json().await;
            assert_eq!(error["code"], "too_large", "{name}: {error}");
            assert_eq!(c.close_frame().await.0, 1009, "{name}");
            c.ended().await;
            return;
        }
        Expect::Pongs => {
            let mut pongs = 0;
            c.text(PROBE).await;
            loop {
                match c.next_within(raw::WAIT).await {
                    Next::Frame(Frame { opcode: PONG, .. }) => pongs += 1,
                    Next::Frame(Frame {
                        opcode: TEXT,
                        payload,
                        ..
                    }) => {
                        let reply: Value = serde_json::from_slice(&payload).expect("JSON");
                        assert_eq!(
                            reply,
                            json!({"type":"echoed","text":"still here"}),
                            "{name}"
                        );
                        break;
                    }
                    other => panic!(
                        "{name}: expected pongs and the reply, got {}",
                        describe(&other)
                    ),
                }
            }
            assert!(pongs >= 1, "{name}: no pong");
            eprintln!("{name}: {pongs} pongs for 10,000 pings");
            return;
        }
        Expect::Silence => {
            let next = c.next_within(Duration::from_millis(200)).await;
            assert_eq!(next, Next::Nothing, "{name}: {}", describe(&next));
        }
    }
    still_answers(&mut c, name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_its_documented_outcome() {
    let panics = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorded = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The test's own assertions are failures, reported below; anything else is the server.
        if !info
            .location()
            .is_some_and(|l| l.file().starts_with("tests/tests/"))
        {
            recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(info.to_string());
        }
        default_hook(info);
    }));

    let server = guarded::start(|endpoint| endpoint).await;
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let count = cases.len();
    let mut failed = Vec::new();
    for case in cases {
        let name = case.name;
        let addr = server.addr;
        if tokio::spawn(async move { check(addr, &case).await })
            .await
            .is_err()
        {
            failed.push(name);
        }
    }
    let _ = std::panic::take_hook();
    assert!(
        failed.is_empty(),
        "{} of {count} cases failed: {failed:#?}",
        failed.len()
    );

    let unexpected: Vec<String> = panics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|p| !p.contains("the panic handler panics on purpose"))
        .cloned()
        .collect();
    assert!(
        unexpected.is_empty(),
        "the server panicked: {unexpected:#?}"
    );
    // Every connection ended: each one's on_disconnect ran.
    guarded::eventually("every connection ended", || {
        server.endpoint.stats().connections == 0
    })
    .await;
    assert_eq!(server.counts.connects(), count);
    assert_eq!(server.counts.disconnects(), count);
    eprintln!("{count} cases, each with its documented outcome");
}

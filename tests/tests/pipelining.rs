//! Pipelining on a real socket: a client that sends many messages before it reads gets every
//! reply in order (the server defers a reply's flush while the next message is already there);
//! a reply never waits for a slow handler that comes after it; and a client that stops sending
//! (half-closes) still gets the replies to what it sent.

mod guarded;
mod raw;

use std::time::{Duration, Instant};

use raw::{Frame, Raw, TEXT};
use serde_json::{Value, json};

fn echo(text: &str) -> Vec<u8> {
    raw::encode_frame(
        true,
        0,
        TEXT,
        json!({"type": "echo", "text": text}).to_string().as_bytes(),
        true,
    )
}

fn echoed(text: &str) -> Value {
    json!({"type": "echoed", "text": text})
}

#[tokio::test]
async fn a_thousand_pipelined_messages_get_their_replies_in_order() {
    let server = guarded::start(|e| e).await;
    let mut c = Raw::connect(server.addr, "/ws/pipeline").await;
    let burst: Vec<u8> = (0..1000).flat_map(|i| echo(&format!("m{i}"))).collect();
    c.write(&burst).await;
    for i in 0..1000 {
        assert_eq!(c.json().await, echoed(&format!("m{i}")));
    }
}

#[tokio::test]
async fn a_reply_does_not_wait_for_the_slow_handler_after_it() {
    let server = guarded::start(|e| e).await;
    let mut c = Raw::connect(server.addr, "/ws/pipeline").await;
    let started = Instant::now();
    c.write(&[echo("first"), echo("sleep:1500")].concat()).await;
    assert_eq!(c.json().await, echoed("first"));
    let first = started.elapsed();
    assert!(
        first < Duration::from_millis(1000),
        "the first reply took {first:?}"
    );
    assert_eq!(c.json().await, echoed("sleep:1500"));
}

/// Sends `messages` after the 101 (as a real client does), with `pause` between each, then
/// half-closes and reads to the end: the texts of the replies.
async fn half_close_after(
    server: &guarded::Running,
    messages: &[&str],
    pause: Duration,
) -> Vec<Value> {
    let mut c = Raw::connect(server.addr, "/ws/half").await;
    for (i, text) in messages.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        c.write(&echo(text)).await;
    }
    c.shutdown_write().await;
    let mut texts = Vec::new();
    loop {
        match c.next_within(raw::WAIT).await {
            raw::Next::Frame(Frame {
                opcode: TEXT,
                payload,
                ..
            }) => texts.push(serde_json::from_slice::<Value>(&payload).expect("JSON")),
            raw::Next::Frame(_) => {}
            raw::Next::Eof => return texts,
            raw::Next::Nothing => panic!("the server did not end the connection; got {texts:?}"),
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_sending_still_gets_its_replies() {
    let server = guarded::start(|e| e).await;
    // Frames that ride with the upgrade request, in the server's HTTP read buffer.
    let mut stream = raw::tcp(None, server.addr).await;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream
        .write_all(raw::upgrade_request(server.addr, "/ws/half", "").as_bytes())
        .await
        .expect("the upgrade request");
    stream
        .write_all(&[echo("a"), echo("b"), echo("c")].concat())
        .await
        .expect("the messages");
    stream.shutdown().await.expect("half-close");
    let mut out = Vec::new();
    tokio::time::timeout(raw::WAIT, stream.read_to_end(&mut out))
        .await
        .expect("the server ends the connection")
        .expect("reading");
    let head_end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the 101 response")
        + 4;
    let mut rest = &out[head_end..];
    let mut texts = Vec::new();
    while let Some((frame, used)) = raw::decode_frame(rest) {
        rest = &rest[used..];
        if let Frame {
            opcode: TEXT,
            payload,
            ..
        } = frame
        {
            texts.push(serde_json::from_slice::<Value>(&payload).expect("JSON"));
        }
    }
    assert_eq!(texts, [echoed("a"), echoed("b"), echoed("c")]);

    // Frames sent after the 101, as every real client does, then a half-close.
    let none = Duration::ZERO;
    assert_eq!(half_close_after(&server, &["x"], none).await, [echoed("x")]);
    assert_eq!(
        half_close_after(&server, &["x", "y"], none).await,
        [echoed("x"), echoed("y")]
    );
    assert_eq!(
        half_close_after(&server, &["x", "sleep:300"], none).await,
        [echoed("x"), echoed("sleep:300")]
    );
    assert_eq!(
        half_close_after(&server, &["sleep:300", "x"], none).await,
        [echoed("sleep:300"), echoed("x")]
    );
    assert_eq!(
        half_close_after(&server, &["sleep:300"], none).await,
        [echoed("sleep:300")]
    );
    // A pause between the messages: each reply has been flushed before the next comes.
    assert_eq!(
        half_close_after(&server, &["x", "y"], Duration::from_millis(100)).await,
        [echoed("x"), echoed("y")]
    );
}

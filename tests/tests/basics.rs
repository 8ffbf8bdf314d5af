//! End to end: the basics example (`examples/basics`) on a real socket, route `/`.
//!
//! Request/reply pairs: `ping` → `pong`, `message` → `reply`, `time` → `time`, `echo` → `echo`,
//! `goodbye` → `reply` and then a normal close.

mod support;

use serde_json::{Value, json};
use support::{Client, assert_error, assert_rfc3339_now, assert_violation, serve, url};

/// A client connected to a fresh basics server.
async fn client() -> Client {
    let addr = serve(basics_example::app()).await;
    Client::connect(&url(addr, basics_example::ROUTE)).await
}

/// Asserts that `value` is an object with exactly `keys`.
fn assert_keys(value: &Value, keys: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {value}"));
    let mut got: Vec<&str> = object.keys().map(String::as_str).collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "keys of {value}");
}

#[tokio::test]
async fn ping_gets_pong_with_the_time() {
    let mut c = client().await;
    c.send_json(&json!({"type": "ping"})).await;
    let pong = c.recv_json().await;
    assert_keys(&pong, &["type", "time"]);
    assert_eq!(pong["type"], "pong");
    assert_rfc3339_now(&pong["time"]);
    c.assert_silent().await;
}

#[tokio::test]
async fn message_gets_reply() {
    let mut c = client().await;
    c.send_json(&json!({"type": "message", "msg": "hello"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "reply", "msg": "hello"})
    );
    c.send_json(&json!({"type": "message", "msg": ""})).await;
    assert_eq!(c.recv_json().await, json!({"type": "reply", "msg": ""}));
    c.assert_silent().await;
}

#[tokio::test]
async fn time_gets_now() {
    let mut c = client().await;
    c.send_json(&json!({"type": "time"})).await;
    let now = c.recv_json().await;
    assert_keys(&now, &["type", "now"]);
    assert_eq!(now["type"], "time");
    assert_rfc3339_now(&now["now"]);
}

#[tokio::test]
async fn echo_sends_the_same_object_back() {
    let mut c = client().await;
    let echo = json!({"type": "echo", "message": "hi there"});
    c.send_json(&echo).await;
    assert_eq!(c.recv_json().await, echo);
}

#[tokio::test]
async fn echo_keeps_unicode_and_escapes() {
    let mut c = client().await;
    // Written by hand, so the escapes are on the wire as the client typed them.
    c.send_text(r#"{"type":"echo","message":"a\"b\\\u00e9🎉"}"#)
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echo", "message": "a\"b\\é🎉"})
    );
    // Control characters and a surrogate pair written as escapes.
    c.send_text(r#"{"type":"echo","message":"tab\tnl\n\u0000\ud83c\udf89"}"#)
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echo", "message": "tab\tnl\n\u{0}🎉"})
    );
}

#[tokio::test]
async fn tag_not_first_still_works() {
    let mut c = client().await;
    c.send_text(r#"{"message":"x","type":"echo"}"#).await;
    assert_eq!(c.recv_json().await, json!({"type": "echo", "message": "x"}));
    c.send_text(r#"{"msg":"later tag","type":"message"}"#).await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "reply", "msg": "later tag"})
    );
}

#[tokio::test]
async fn goodbye_replies_then_closes_normally() {
    let mut c = client().await;
    c.send_json(&json!({"type": "goodbye"})).await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "reply", "msg": "goodbye"})
    );
    let (code, reason) = c.recv_close().await.expect("the close frame has a code");
    assert_eq!(code, 1000, "normal closure");
    assert_eq!(reason, "goodbye");
    c.assert_ended().await;
}

#[tokio::test]
async fn messages_after_goodbye_in_the_same_burst_get_no_reply() {
    let mut c = client().await;
    // The server may or may not read the second message before it closes; either way the
    // first thing after the reply is the close frame, never an echo.
    c.send_json(&json!({"type": "goodbye"})).await;
    c.send_json(&json!({"type": "echo", "message": "too late"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "reply", "msg": "goodbye"})
    );
    assert_eq!(c.recv_close().await.map(|(code, _)| code), Some(1000));
    c.assert_ended().await;
}

#[tokio::test]
async fn unknown_field_is_rejected() {
    let mut c = client().await;
    c.send_json(&json!({"type": "ping", "extra": 1})).await;
    let error = c.recv_json().await;
    let errors = assert_error(&error, "validation_failed");
    assert_violation(&errors, "/extra", "unknown_field");
    // Still open and working.
    c.send_json(&json!({"type": "message", "msg": "still here"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "reply", "msg": "still here"})
    );
}

#[tokio::test]
async fn a_bad_goodbye_does_not_close() {
    let mut c = client().await;
    c.send_json(&json!({"type": "goodbye", "now": true})).await;
    let errors = assert_error(&c.recv_json().await, "validation_failed");
    assert_violation(&errors, "/now", "unknown_field");
    c.send_json(&json!({"type": "time", "now": "2026-01-01T00:00:00Z"}))
        .await;
    let errors = assert_error(&c.recv_json().await, "validation_failed");
    assert_violation(&errors, "/now", "unknown_field");
    // Still open: the handler never ran.
    c.send_json(&json!({"type": "ping"})).await;
    assert_eq!(c.recv_json().await["type"], "pong");
}

#[tokio::test]
async fn escapes_in_the_tag_are_decoded() {
    let mut c = client().await;
    // `\u0074ype` is `type`, `ech\u006f` is `echo`.
    c.send_text(r#"{"\u0074ype":"ech\u006f","message":"escaped tag"}"#)
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echo", "message": "escaped tag"})
    );
    c.send_text(r#"  {  "type" : "echo" , "message" : "spaced"  }  "#)
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echo", "message": "spaced"})
    );
}

#[tokio::test]
async fn wrong_type_and_missing_field_are_rejected() {
    let mut c = client().await;
    c.send_json(&json!({"type": "echo", "message": ["x"]}))
        .await;
    let errors = assert_error(&c.recv_json().await, "validation_failed");
    assert_violation(&errors, "/message", "type");

    c.send_json(&json!({"type": "echo"})).await;
    let errors = assert_error(&c.recv_json().await, "validation_failed");
    assert_violation(&errors, "/message", "required");

    // A server-to-client message type is not something the server receives.
    c.send_json(&json!({"type": "pong", "time": "2026-01-01T00:00:00Z"}))
        .await;
    let errors = assert_error(&c.recv_json().await, "unknown_tag");
    assert_violation(&errors, "/type", "invalid");

    c.send_json(&json!({"type": "echo", "message": "ok"})).await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echo", "message": "ok"})
    );
}

#[tokio::test]
async fn replies_come_back_in_order() {
    let mut c = client().await;
    for i in 0..20 {
        c.send_json(&json!({"type": "echo", "message": format!("m{i}")}))
            .await;
        c.send_json(&json!({"type": "ping"})).await;
    }
    for i in 0..20 {
        assert_eq!(
            c.recv_json().await,
            json!({"type": "echo", "message": format!("m{i}")})
        );
        assert_eq!(c.recv_json().await["type"], "pong");
    }
    c.assert_silent().await;
}

#[tokio::test]
async fn clients_are_independent() {
    let addr = serve(basics_example::app()).await;
    let mut a = Client::connect(&url(addr, "/")).await;
    let mut b = Client::connect(&url(addr, "/")).await;
    a.send_json(&json!({"type": "message", "msg": "from a"}))
        .await;
    assert_eq!(
        a.recv_json().await,
        json!({"type": "reply", "msg": "from a"})
    );
    b.assert_silent().await;
    // One client's goodbye does not close the other.
    a.send_json(&json!({"type": "goodbye"})).await;
    assert_eq!(
        a.recv_json().await,
        json!({"type": "reply", "msg": "goodbye"})
    );
    assert_eq!(a.recv_close().await.map(|(code, _)| code), Some(1000));
    b.send_json(&json!({"type": "ping"})).await;
    assert_eq!(b.recv_json().await["type"], "pong");
}

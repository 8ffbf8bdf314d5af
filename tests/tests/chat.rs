//! End to end: the chat example (`examples/chat`), the seed's chat protocol, on a real socket.
//!
//! Route `/room/{room_id}/{client_id}`:
//! - on connect, `join` goes to everyone in the room, the new client too;
//! - on disconnect, `leave` goes to the others;
//! - `message` is broadcast to the room with its `sender`;
//! - `whisper` goes only to its recipient; an unknown recipient is a `validation_failed` error
//!   at `/to`.
//!
//! Also every error case of the runtime's wire contract, each followed by a check that the
//! connection still works, and the example binary itself.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use support::{Client, WAIT, assert_error, assert_violation, serve, url};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Starts a chat server; returns its address.
async fn server() -> SocketAddr {
    serve(chat_example::app()).await
}

/// Connects client `id` to `room` and receives its own join.
async fn join(addr: SocketAddr, room: &str, id: i64) -> Client {
    let mut client = Client::connect(&url(addr, &format!("/room/{room}/{id}"))).await;
    assert_eq!(
        client.recv_json().await,
        join_of(id),
        "{room}/{id}: own join"
    );
    client
}

fn join_of(id: i64) -> Value {
    json!({"type": "join", "client_id": id})
}

fn leave_of(id: i64) -> Value {
    json!({"type": "leave", "client_id": id})
}

fn said(sender: i64, msg: &str) -> Value {
    json!({"type": "message", "sender": sender, "msg": msg})
}

fn whispered(from: i64, msg: &str) -> Value {
    json!({"type": "whisper", "from": from, "msg": msg})
}

/// Sends a message and checks that it comes back: the connection is open and working.
async fn assert_still_works(client: &mut Client, sender: i64) {
    client
        .send_json(&json!({"type": "message", "msg": "still here"}))
        .await;
    assert_eq!(client.recv_json().await, said(sender, "still here"));
}

// ------------------------------------------------------------------ join and leave

#[tokio::test]
async fn join_goes_to_everyone_including_the_new_client() {
    let addr = server().await;
    let mut first = join(addr, "r", 1).await;
    let mut second = join(addr, "r", 2).await;
    assert_eq!(first.recv_json().await, join_of(2));
    first.assert_silent().await;
    second.assert_silent().await;
}

#[tokio::test]
async fn leave_goes_to_the_others_and_the_leaver_gets_nothing_more() {
    let addr = server().await;
    let mut stays = join(addr, "r", 1).await;
    let leaver = join(addr, "r", 2).await;
    assert_eq!(stays.recv_json().await, join_of(2));
    let late = leaver.close().await;
    assert!(
        late.is_empty(),
        "the leaver got messages while leaving: {late:?}"
    );
    assert_eq!(stays.recv_json().await, leave_of(2));
    stays.assert_silent().await;
}

#[tokio::test]
async fn leave_is_sent_when_the_connection_just_drops() {
    let addr = server().await;
    let mut stays = join(addr, "r", 1).await;
    let leaver = join(addr, "r", 2).await;
    assert_eq!(stays.recv_json().await, join_of(2));
    // No closing handshake: the TCP connection goes away.
    drop(leaver);
    assert_eq!(stays.recv_json().await, leave_of(2));
    stays.assert_silent().await;
}

#[tokio::test]
async fn the_same_client_id_can_reconnect_after_leaving() {
    let addr = server().await;
    let mut stays = join(addr, "r", 1).await;
    let leaver = join(addr, "r", 2).await;
    assert_eq!(stays.recv_json().await, join_of(2));
    leaver.close().await;
    // Once the others have seen the leave, client 2 is gone from the room.
    assert_eq!(stays.recv_json().await, leave_of(2));
    let mut back = join(addr, "r", 2).await;
    assert_eq!(stays.recv_json().await, join_of(2));
    back.assert_silent().await;
    stays.assert_silent().await;
}

#[tokio::test]
async fn an_empty_room_disappears() {
    let addr = server().await;
    let alone = join(addr, "empty", 7).await;
    alone.close().await;
    // Nobody is left to see the leave, so the only sign that the room is gone is that client 7
    // may connect again. Until the server has finished with the old connection it refuses the
    // id (1008, "already in room"); retry until it is accepted.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut back = loop {
        let mut client = Client::connect(&url(addr, "/room/empty/7")).await;
        let first = client.recv_json_or_close().await;
        match first {
            Ok(message) => {
                assert_eq!(message, join_of(7), "the first message after reconnecting");
                break client;
            }
            Err(Some((1008, reason))) if reason.contains("already") => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "client 7 was still refused after {WAIT:?}: {reason}"
                );
            }
            Err(other) => panic!("unexpected close when reconnecting: {other:?}"),
        }
    };
    // Only its own join: nothing left over from the old room.
    back.assert_silent().await;
    // A new client in that room sees only its own join, and the returning client sees it.
    let mut newcomer = join(addr, "empty", 8).await;
    assert_eq!(back.recv_json().await, join_of(8));
    newcomer.assert_silent().await;
}

#[tokio::test]
async fn a_taken_client_id_is_refused() {
    let addr = server().await;
    let mut first = join(addr, "r", 1).await;
    let mut dup = Client::connect(&url(addr, "/room/r/1")).await;
    let (code, reason) = dup.recv_close().await.expect("a close code");
    assert_eq!(code, 1008, "policy violation");
    assert!(reason.contains("already"), "reason: {reason}");
    dup.assert_ended().await;
    // The refused connection neither joined nor left the room.
    first.assert_silent().await;
    assert_still_works(&mut first, 1).await;
}

#[tokio::test]
async fn a_long_refusal_reason_is_cut_at_a_character_boundary() {
    let addr = server().await;
    // The reason names the room: "client 1 is already in room ééé…", far over the 123 bytes a
    // close reason may have, and made of two-byte characters.
    let room = "%C3%A9".repeat(100);
    let _first = join(addr, &room, 1).await;
    let mut dup = Client::connect(&url(addr, &format!("/room/{room}/1"))).await;
    let (code, reason) = dup.recv_close().await.expect("a close code");
    assert_eq!(code, 1008);
    assert!(reason.len() <= 123, "{} bytes: {reason}", reason.len());
    assert!(
        reason.starts_with("client 1 is already in room éé"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_same_client_id_may_be_in_two_rooms() {
    let addr = server().await;
    let mut a = join(addr, "a", 1).await;
    let mut b = join(addr, "b", 1).await;
    a.assert_silent().await;
    b.send_json(&json!({"type": "message", "msg": "in b"}))
        .await;
    assert_eq!(b.recv_json().await, said(1, "in b"));
    a.assert_silent().await;
}

#[tokio::test]
async fn a_non_integer_client_id_is_refused() {
    let addr = server().await;
    let mut c = Client::connect(&url(addr, "/room/r/abc")).await;
    let (code, reason) = c.recv_close().await.expect("a close code");
    assert_eq!(code, 1008, "policy violation");
    assert!(reason.contains("client_id"), "reason: {reason}");
    c.assert_ended().await;
}

// ------------------------------------------------------------------ message and whisper

#[tokio::test]
async fn message_goes_to_the_whole_room_and_no_other() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    let mut elsewhere = join(addr, "other", 3).await;

    a.send_json(&json!({"type": "message", "msg": "hello room"}))
        .await;
    assert_eq!(a.recv_json().await, said(1, "hello room"));
    assert_eq!(b.recv_json().await, said(1, "hello room"));
    elsewhere.assert_silent().await;
    a.assert_silent().await;
    b.assert_silent().await;
}

#[tokio::test]
async fn whisper_reaches_only_its_recipient() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    let mut c = join(addr, "r", 3).await;
    assert_eq!(a.recv_json().await, join_of(3));
    assert_eq!(b.recv_json().await, join_of(3));

    a.send_json(&json!({"type": "whisper", "to": 2, "msg": "psst"}))
        .await;
    assert_eq!(b.recv_json().await, whispered(1, "psst"));
    a.assert_silent().await;
    b.assert_silent().await;
    c.assert_silent().await;
}

#[tokio::test]
async fn whisper_to_oneself_arrives_once() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "whisper", "to": 1, "msg": "note to self"}))
        .await;
    assert_eq!(a.recv_json().await, whispered(1, "note to self"));
    a.assert_silent().await;
}

#[tokio::test]
async fn whisper_to_an_unknown_client_is_an_error() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "whisper", "to": 99, "msg": "anyone?"}))
        .await;
    let error = a.recv_json().await;
    let errors = assert_error(&error, "validation_failed");
    assert_violation(&errors, "/to", "invalid");
    assert_eq!(
        error,
        json!({
            "type": "error",
            "code": "validation_failed",
            "message": "validation failed",
            "errors": [{"path": "/to", "kind": "invalid", "message": "recipient not found"}],
        })
    );
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn whisper_to_a_client_that_left_is_an_error() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    b.close().await;
    assert_eq!(a.recv_json().await, leave_of(2));
    a.send_json(&json!({"type": "whisper", "to": 2, "msg": "still there?"}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_eq!(
        errors,
        [json!({"path": "/to", "kind": "invalid", "message": "recipient not found"})]
    );
}

#[tokio::test]
async fn whisper_does_not_cross_rooms() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut elsewhere = join(addr, "other", 2).await;
    a.send_json(&json!({"type": "whisper", "to": 2, "msg": "hello?"}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_eq!(
        errors,
        [json!({"path": "/to", "kind": "invalid", "message": "recipient not found"})]
    );
    elsewhere.assert_silent().await;
}

#[tokio::test]
async fn a_message_with_a_sender_field_is_rejected() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    a.send_json(&json!({"type": "message", "msg": "spoofed", "sender": 2}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/sender", "unknown_field");
    b.assert_silent().await;
    assert_still_works(&mut a, 1).await;
    assert_eq!(b.recv_json().await, said(1, "still here"));
}

#[tokio::test]
async fn three_clients_in_one_room() {
    let addr = server().await;
    let mut c1 = join(addr, "trio", 1).await;
    let mut c2 = join(addr, "trio", 2).await;
    assert_eq!(c1.recv_json().await, join_of(2));
    let mut c3 = join(addr, "trio", 3).await;
    assert_eq!(c1.recv_json().await, join_of(3));
    assert_eq!(c2.recv_json().await, join_of(3));

    // Each client says two things. What one sender says arrives in order; different senders
    // may interleave.
    for (client, id) in [(&mut c1, 1), (&mut c2, 2), (&mut c3, 3)] {
        for n in 0..2 {
            client
                .send_json(&json!({"type": "message", "msg": format!("{id}:{n}")}))
                .await;
        }
    }
    for client in [&mut c1, &mut c2, &mut c3] {
        let mut got = Vec::new();
        for _ in 0..6 {
            got.push(client.recv_json().await);
        }
        for sender in 1..=3 {
            let from_sender: Vec<&Value> = got.iter().filter(|m| m["sender"] == sender).collect();
            assert_eq!(
                from_sender,
                [
                    &said(sender, &format!("{sender}:0")),
                    &said(sender, &format!("{sender}:1"))
                ],
                "all received: {got:?}"
            );
        }
        client.assert_silent().await;
    }
}

#[tokio::test]
async fn fifty_messages_arrive_in_order() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    for n in 0..50 {
        a.send_json(&json!({"type": "message", "msg": format!("#{n}")}))
            .await;
    }
    for n in 0..50 {
        let expected = said(1, &format!("#{n}"));
        assert_eq!(a.recv_json().await, expected, "sender, message {n}");
        assert_eq!(b.recv_json().await, expected, "other, message {n}");
    }
    a.assert_silent().await;
    b.assert_silent().await;
}

// ------------------------------------------------------------------ the runtime's error contract

#[tokio::test]
async fn not_json_is_invalid_json() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    for text in [
        "hello",
        "{\"type\":",
        "",
        "{\"type\":\"message\",\"msg\":\"x\"} trailing",
    ] {
        a.send_text(text).await;
        let errors = assert_error(&a.recv_json().await, "invalid_json");
        assert!(errors.is_empty(), "{text:?}: {errors:?}");
        assert_still_works(&mut a, 1).await;
    }
}

#[tokio::test]
async fn json_that_is_not_an_object_is_not_an_object() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    for text in ["[1,2]", "\"x\"", "42", "null", "true"] {
        a.send_text(text).await;
        let errors = assert_error(&a.recv_json().await, "not_an_object");
        assert_violation(&errors, "", "type");
        assert_still_works(&mut a, 1).await;
    }
}

#[tokio::test]
async fn a_missing_tag_is_missing_tag() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"msg": "no type"})).await;
    let errors = assert_error(&a.recv_json().await, "missing_tag");
    assert_violation(&errors, "/type", "required");
    assert_still_works(&mut a, 1).await;

    a.send_json(&json!({})).await;
    let errors = assert_error(&a.recv_json().await, "missing_tag");
    assert_violation(&errors, "/type", "required");

    // A tag that is not a string counts as missing.
    a.send_json(&json!({"type": 5, "msg": "x"})).await;
    let errors = assert_error(&a.recv_json().await, "missing_tag");
    assert_violation(&errors, "/type", "type");
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn an_unknown_tag_is_unknown_tag() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "shout", "msg": "HEY"})).await;
    let error = a.recv_json().await;
    let errors = assert_error(&error, "unknown_tag");
    assert_violation(&errors, "/type", "invalid");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("message") && message.contains("whisper"),
        "the error lists the known tags: {message}"
    );
    assert_still_works(&mut a, 1).await;

    // `join` is a message the server sends, not one it receives.
    a.send_json(&json!({"type": "join", "client_id": 1})).await;
    assert_error(&a.recv_json().await, "unknown_tag");
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn a_wrong_type_is_validation_failed() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "message", "msg": 5})).await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/msg", "type");
    assert_still_works(&mut a, 1).await;

    a.send_json(&json!({"type": "whisper", "to": "two", "msg": "x"}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/to", "type");
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn a_missing_field_is_validation_failed() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "message"})).await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/msg", "required");
    assert_still_works(&mut a, 1).await;

    a.send_json(&json!({"type": "whisper", "msg": "to whom?"}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/to", "required");
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn every_violation_is_reported_together() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_json(&json!({"type": "whisper", "to": "two", "msg": 5, "extra": true}))
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/to", "type");
    assert_violation(&errors, "/msg", "type");
    assert_violation(&errors, "/extra", "unknown_field");
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[tokio::test]
async fn a_binary_frame_is_unsupported_frame() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_binary(br#"{"type":"message","msg":"as bytes"}"#.to_vec())
        .await;
    let errors = assert_error(&a.recv_json().await, "unsupported_frame");
    assert!(errors.is_empty(), "{errors:?}");
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn deeply_nested_json_gets_an_error_not_a_crash() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    a.send_text(&format!(r#"{{"type":"message","msg":{nested}}}"#))
        .await;
    let error = a.recv_json().await;
    let code = error["code"].as_str().unwrap_or_default();
    assert!(
        code == "invalid_json" || code == "validation_failed",
        "{error}"
    );
    assert_error(&error, code);
    a.send_text(&format!(
        r#"{{"msg":"x","extra":{nested},"type":"message"}}"#
    ))
    .await;
    let error = a.recv_json().await;
    let code = error["code"].as_str().unwrap_or_default().to_owned();
    assert_error(&error, &code);
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn duplicate_keys_are_rejected() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    // The fast path (tag first) reads `message`, then fails on the second `type`; the slow path
    // must not let the last `type` win and deliver a whisper.
    a.send_text(r#"{"type":"message","type":"whisper","to":2,"msg":"which one?"}"#)
        .await;
    b.assert_silent().await;
    let reply = a.recv_json().await;
    assert_eq!(
        reply["type"], "error",
        "a duplicated tag was accepted: {reply}"
    );
    a.send_text(r#"{"type":"message","msg":"first","msg":"second"}"#)
        .await;
    let reply = a.recv_json().await;
    assert_eq!(
        reply["type"], "error",
        "a duplicated field was accepted: {reply}"
    );
    b.assert_silent().await;
}

#[tokio::test]
async fn a_bad_message_is_not_broadcast() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    a.send_text("not json").await;
    a.send_json(&json!({"type": "message", "msg": 5})).await;
    a.send_binary(vec![1, 2, 3]).await;
    assert_error(&a.recv_json().await, "invalid_json");
    assert_error(&a.recv_json().await, "validation_failed");
    assert_error(&a.recv_json().await, "unsupported_frame");
    b.assert_silent().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_too_large_and_closes_with_1009() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    // The default limit is 1 MiB.
    let big = "x".repeat(1024 * 1024 + 1);
    a.send_json(&json!({"type": "message", "msg": big})).await;
    assert_error(&a.recv_json().await, "too_large");
    assert_eq!(a.recv_close().await.map(|(code, _)| code), Some(1009));
    // The others see the sender leave, and never its message.
    assert_eq!(b.recv_json().await, leave_of(1));
    b.assert_silent().await;
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    let frame = Frame::message(vec![b'"', 0xff, 0xfe, b'"'], OpCode::Data(Data::Text), true);
    a.send_raw(Message::Frame(frame)).await;
    assert_eq!(a.recv_close().await.map(|(code, _)| code), Some(1007));
    assert_eq!(b.recv_json().await, leave_of(1));
}

#[tokio::test]
async fn a_number_out_of_range_is_validation_failed() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    // client ids are int64
    a.send_text(r#"{"type":"whisper","to":9223372036854775808,"msg":"x"}"#)
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], "/to");
    // a float is not an integer
    a.send_text(r#"{"type":"whisper","to":1.5,"msg":"x"}"#)
        .await;
    let errors = assert_error(&a.recv_json().await, "validation_failed");
    assert_violation(&errors, "/to", "type");
    assert_still_works(&mut a, 1).await;
}

// ------------------------------------------------------------------ frames and sizes

#[tokio::test]
async fn pings_are_answered_and_do_not_disturb_messages() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    a.send_raw(Message::Ping(b"are you there".to_vec().into()))
        .await;
    assert_eq!(a.recv_pong().await, b"are you there");
    a.assert_silent().await;
    assert_still_works(&mut a, 1).await;
}

#[tokio::test]
async fn a_fragmented_message_is_reassembled() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let text = json!({"type": "message", "msg": "in three parts"}).to_string();
    let (first, rest) = text.split_at(10);
    let (second, third) = rest.split_at(10);
    let parts = [
        Frame::message(first.to_owned(), OpCode::Data(Data::Text), false),
        Frame::message(second.to_owned(), OpCode::Data(Data::Continue), false),
        Frame::message(third.to_owned(), OpCode::Data(Data::Continue), true),
    ];
    for part in parts {
        a.send_raw(Message::Frame(part)).await;
    }
    assert_eq!(a.recv_json().await, said(1, "in three parts"));
    a.assert_silent().await;
}

#[tokio::test]
async fn a_message_larger_than_the_read_buffer_is_read_whole() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let mut b = join(addr, "r", 2).await;
    assert_eq!(a.recv_json().await, join_of(2));
    // Far more than the 4 KiB read buffer, with multi-byte characters across its boundaries.
    let big: String = "héllo wörld 🎉 ".repeat(10_000);
    a.send_json(&json!({"type": "message", "msg": big})).await;
    assert_eq!(a.recv_json().await, said(1, &big));
    assert_eq!(b.recv_json().await, said(1, &big));
}

#[tokio::test]
async fn a_message_of_exactly_the_limit_is_accepted() {
    let addr = server().await;
    let mut a = join(addr, "r", 1).await;
    let limit = 1024 * 1024;
    let empty = json!({"type": "message", "msg": ""}).to_string();
    let msg = "y".repeat(limit - empty.len());
    let text = json!({"type": "message", "msg": msg}).to_string();
    assert_eq!(text.len(), limit);
    a.send_text(&text).await;
    assert_eq!(a.recv_json().await, said(1, &msg));
}

#[tokio::test]
async fn a_message_sent_right_before_closing_is_delivered_before_the_leave() {
    let addr = server().await;
    let mut stays = join(addr, "r", 1).await;
    let mut leaver = join(addr, "r", 2).await;
    assert_eq!(stays.recv_json().await, join_of(2));
    leaver
        .send_json(&json!({"type": "message", "msg": "bye all"}))
        .await;
    // The leaver's own copy may or may not reach it before the closing handshake ends.
    let late = leaver.close().await;
    assert!(
        late.is_empty() || late == [said(2, "bye all")],
        "the leaver got: {late:?}"
    );
    assert_eq!(stays.recv_json().await, said(2, "bye all"));
    assert_eq!(stays.recv_json().await, leave_of(2));
    stays.assert_silent().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_without_slowing_the_others() {
    let addr = server().await;
    let mut writer = join(addr, "r", 1).await;
    let mut slow = join(addr, "r", 2).await;
    assert_eq!(writer.recv_json().await, join_of(2));
    // `slow` reads nothing from here on. `writer` whispers to it in batches; after each batch a
    // probe message comes back to `writer`, so every answer to the batch has arrived by then.
    // Once more than the slow client's bound (4 MiB pending) waits for it, sending to it fails.
    let payload = "z".repeat(16 * 1024);
    let mut sent = 0_usize;
    let mut batches = 0;
    let mut left = false;
    let failures = loop {
        for _ in 0..64 {
            writer
                .send_json(&json!({"type": "whisper", "to": 2, "msg": format!("{sent} {payload}")}))
                .await;
            sent += 1;
        }
        let probe = format!("probe {batches}");
        writer
            .send_json(&json!({"type": "message", "msg": probe}))
            .await;
        let mut failures = 0;
        loop {
            let got = writer.recv_json().await;
            if got == said(1, &probe) {
                break;
            } else if got == leave_of(2) {
                left = true;
            } else {
                let errors = assert_error(&got, "validation_failed");
                assert_eq!(errors[0]["path"], "/to", "{got}");
                failures += 1;
            }
        }
        batches += 1;
        if failures > 0 {
            break failures;
        }
        assert!(sent < 20_000, "no overflow after {sent} whispers of 16 KiB");
    };
    assert!(
        failures > 0 && sent * payload.len() > 4 << 20,
        "overflowed after {sent}"
    );
    // The writer is not slowed down while the slow client is being dropped.
    let started = tokio::time::Instant::now();
    assert_still_works(&mut writer, 1).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "a round trip took {:?}",
        started.elapsed()
    );
    // The slow client leaves the room, within the close timeout (5 s).
    if !left {
        let got = writer.recv_json_within(2 * WAIT).await;
        assert_eq!(got, leave_of(2));
    }
    writer.assert_silent().await;
    // What reached the slow client is a prefix of what was sent to it, in order, then the
    // connection ends (with close code 1008 if the close frame got through).
    let (texts, close) = slow.drain().await;
    let mut next = 0;
    for text in &texts {
        if text["type"] == "whisper" {
            assert_eq!(text["from"], 1);
            let msg = text["msg"].as_str().unwrap_or_default();
            assert_eq!(msg, format!("{next} {payload}"), "whisper {next}");
            next += 1;
        } else {
            assert_eq!(text["type"], "message", "{text}");
        }
    }
    assert!(next < sent, "the slow client got all {sent} whispers");
    if let Some(close) = close {
        assert_eq!(close.map(|(code, _)| code), Some(1008));
    }
}

// ------------------------------------------------------------------ the example binary

/// `target/debug/chat`, next to the `deps` directory that holds this test executable.
fn chat_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable is in a directory");
    let profile = if deps.ends_with("deps") {
        deps.parent().expect("deps has a parent")
    } else {
        deps
    };
    let binary = profile.join(format!("chat{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: build the chat example first with `cargo build -p example-chat`",
        binary.display()
    );
    binary
}

#[tokio::test]
async fn the_chat_binary_serves_the_api() {
    let mut child = tokio::process::Command::new(chat_binary())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the chat binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr: SocketAddr = tokio::time::timeout(WAIT, async {
        let mut seen = Vec::new();
        loop {
            let Some(line) = lines.next_line().await.expect("reading stdout") else {
                panic!("the chat binary exited without logging its address; output: {seen:?}");
            };
            if let Some((_, rest)) = line.split_once("listening on ws://") {
                let addr = rest.split('/').next().unwrap_or_default();
                break addr
                    .parse()
                    .unwrap_or_else(|e| panic!("bad address {addr:?} in {line:?}: {e}"));
            }
            seen.push(line);
        }
    })
    .await
    .expect("the chat binary logs `listening on ws://…` within 5 s");
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");

    let mut client = Client::connect(&url(addr, "/room/lobby/1")).await;
    assert_eq!(client.recv_json().await, join_of(1));
    assert_still_works(&mut client, 1).await;

    child.kill().await.expect("kill the chat binary");
}

//! APIs shaped like real public WebSocket APIs, generated from the fixtures and compiled into
//! `socketsundso_tests::<fixture>`:
//!
//! - `jsonrpc`: the tag field is `method` and the correlation id is `id`;
//! - `kraken_like`: an inferred `event` tag, a `reqid` correlation id declared with
//!   `correlationId`, and a request whose reply is one of two messages;
//! - `nested_tag`: the tag inside a nested envelope (`header.type`);
//! - `v2_chat`, `v2_client_view`: AsyncAPI 2 documents, whose `publish`/`subscribe` decide which
//!   side receives what;
//! - `multi_file`: schemas spread over three files.
//!
//! Decoding goes through `socketsundso::decode`, as the runtime does; the JSON-RPC API is also
//! served on a real socket.

mod support;

use serde_json::{Value, json};
use socketsundso::{Decoded, ErrorMessage, Incoming};
use socketsundso_tests::{jsonrpc, kraken_like, multi_file, nested_tag, v2_chat, v2_client_view};

/// Decodes `value` as the server would, expecting success.
fn decode<T: Incoming>(value: Value) -> Decoded<T> {
    socketsundso::decode::<T>(&value.to_string())
        .unwrap_or_else(|e| panic!("{value} does not decode: {}", error_json(&e)))
}

/// Decodes `value`, expecting an error message with `code`; returns it.
fn decode_error<T: Incoming + std::fmt::Debug>(value: Value, code: &str) -> ErrorMessage {
    match socketsundso::decode::<T>(&value.to_string()) {
        Ok(decoded) => panic!("{value} decoded to {:?}", decoded.message),
        Err(error) => {
            assert_eq!(error.code, code, "{value}: {}", error_json(&error));
            error
        }
    }
}

fn error_json(error: &ErrorMessage) -> Value {
    serde_json::to_value(error).expect("an error message serializes")
}

/// Asserts that `error` lists a violation at `path` of `kind`.
fn assert_violation(error: &ErrorMessage, path: &str, kind: &str) {
    assert!(
        error
            .errors
            .iter()
            .any(|v| v.path == path && v.kind == kind),
        "expected a violation at {path:?} of kind {kind:?}, got {}",
        error_json(error)
    );
}

fn tags<T: Incoming>() -> Vec<&'static str> {
    let mut tags = T::TAGS.to_vec();
    tags.sort_unstable();
    tags
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC-like: `method` tag, `id` correlation

#[test]
fn jsonrpc_dispatches_on_method_and_returns_the_id() {
    assert_eq!(<jsonrpc::ClientMessage as Incoming>::TAG_FIELD, "method");
    assert_eq!(<jsonrpc::ClientMessage as Incoming>::ID_FIELD, Some("id"));
    assert_eq!(
        tags::<jsonrpc::ClientMessage>(),
        ["getTime", "subscribe", "unsubscribe"]
    );

    let decoded: Decoded<jsonrpc::ClientMessage> = decode(json!({
        "method": "subscribe",
        "id": 7,
        "params": {"channel": "ticker", "symbols": ["BTC/USD", "ETH/USD"]},
    }));
    assert_eq!(decoded.id, Some(json!(7)));
    let jsonrpc::ClientMessage::Subscribe(subscribe) = decoded.message else {
        panic!("expected subscribe, got {:?}", decoded.message);
    };
    assert_eq!(
        subscribe.params.channel,
        jsonrpc::SubscriptionChannel::Ticker
    );
    assert_eq!(subscribe.params.symbols.len(), 2);

    // The id can be any JSON value and come before the method (the slow path).
    let decoded: Decoded<jsonrpc::ClientMessage> =
        decode(json!({"id": "req-1", "method": "getTime"}));
    assert_eq!(decoded.id, Some(json!("req-1")));
    assert!(matches!(
        decoded.message,
        jsonrpc::ClientMessage::GetTime(_)
    ));

    // No id: a notification.
    let decoded: Decoded<jsonrpc::ClientMessage> = decode(json!({"method": "getTime"}));
    assert_eq!(decoded.id, None);
}

#[test]
fn jsonrpc_bad_methods_are_reported_at_method_with_the_id() {
    let error = decode_error::<jsonrpc::ClientMessage>(
        json!({"method": "launch", "id": 3, "params": {}}),
        "unknown_tag",
    );
    assert_violation(&error, "/method", "invalid");
    assert_eq!(error.id, Some(json!(3)));

    let error = decode_error::<jsonrpc::ClientMessage>(json!({"type": "getTime"}), "missing_tag");
    assert_violation(&error, "/method", "required");

    // `ticker` is a notification the server sends, not a request.
    decode_error::<jsonrpc::ClientMessage>(
        json!({"method": "ticker", "params": {"symbol": "BTC/USD", "bid": 1.0, "ask": 2.0}}),
        "unknown_tag",
    );

    let error = decode_error::<jsonrpc::ClientMessage>(
        json!({"method": "subscribe", "id": 4, "params": {"channel": "news", "symbols": []}}),
        "validation_failed",
    );
    assert_eq!(error.id, Some(json!(4)));
    assert_violation(&error, "/params/channel", "enum");
    assert_violation(&error, "/params/symbols", "min_items");
}

#[test]
fn jsonrpc_replies_and_notifications_carry_their_method() {
    let subscription = jsonrpc::Subscription {
        channel: jsonrpc::SubscriptionChannel::Trades,
        symbols: vec!["BTC/USD".parse().expect("a valid symbol")],
    };
    let reply = jsonrpc::ServerMessage::from(jsonrpc::SubscribeResult {
        result: subscription,
    });
    assert_eq!(
        serde_json::to_value(&reply).expect("serializes"),
        json!({"method": "subscribe", "result": {"channel": "trades", "symbols": ["BTC/USD"]}})
    );
    let ticker = jsonrpc::ServerMessage::from(jsonrpc::Ticker {
        params: jsonrpc::TickerParams {
            symbol: "ETH/USD".parse().expect("a valid symbol"),
            bid: 3000.5,
            ask: 3001.0,
        },
    });
    assert_eq!(
        serde_json::to_value(&ticker).expect("serializes")["method"],
        "ticker"
    );
}

// ---------------------------------------------------------------------------------------------
// Kraken-like: inferred `event` tag, `reqid` correlation, a reply enum

#[test]
fn kraken_like_infers_the_event_tag_and_takes_reqid_as_the_id() {
    use kraken_like::{ClientMessage, Subscribe, SubscribeSubscriptionName};

    assert_eq!(<ClientMessage as Incoming>::TAG_FIELD, "event");
    assert_eq!(<ClientMessage as Incoming>::ID_FIELD, Some("reqid"));
    assert_eq!(tags::<ClientMessage>(), ["ping", "subscribe"]);

    let decoded: Decoded<ClientMessage> = decode(json!({
        "event": "subscribe",
        "reqid": 42,
        "pair": ["XBT/USD", "XBT/EUR"],
        "subscription": {"name": "ticker"},
    }));
    assert_eq!(decoded.id, Some(json!(42)));
    let ClientMessage::Subscribe(subscribe) = decoded.message else {
        panic!("expected subscribe, got {:?}", decoded.message);
    };
    // `subscribe` does not declare `reqid`: its payload type has no such field (this pattern
    // names every field), and the id reaches only `Decoded::id`.
    let Subscribe { pair, subscription } = subscribe;
    assert_eq!(pair.len(), 2);
    assert_eq!(subscription.name, SubscribeSubscriptionName::Ticker);
    assert_eq!(subscription.depth, None);

    // The reqid is optional.
    let decoded: Decoded<ClientMessage> = decode(json!({
        "event": "subscribe", "pair": ["XBT/USD"], "subscription": {"name": "book", "depth": 10},
    }));
    assert_eq!(decoded.id, None);
}

#[test]
fn kraken_like_payload_that_declares_reqid_sees_it_too() {
    use kraken_like::ClientMessage;

    let decoded: Decoded<ClientMessage> = decode(json!({"event": "ping", "reqid": 5}));
    assert_eq!(decoded.id, Some(json!(5)));
    let ClientMessage::Ping(ping) = decoded.message else {
        panic!("expected ping, got {:?}", decoded.message);
    };
    assert_eq!(ping.reqid.map(u64::from), Some(5));

    let decoded: Decoded<ClientMessage> = decode(json!({"event": "ping"}));
    assert_eq!(decoded.id, None);
    assert_eq!(
        decoded.message,
        ClientMessage::Ping(kraken_like::Ping { reqid: None })
    );
}

#[test]
fn kraken_like_errors_name_the_event_field_and_carry_the_reqid() {
    use kraken_like::ClientMessage;

    let error = decode_error::<ClientMessage>(json!({"type": "ping", "reqid": 1}), "missing_tag");
    assert_violation(&error, "/event", "required");
    assert_eq!(error.id, Some(json!(1)));

    let error =
        decode_error::<ClientMessage>(json!({"event": "unsubscribe", "reqid": 2}), "unknown_tag");
    assert_violation(&error, "/event", "invalid");
    assert_eq!(error.id, Some(json!(2)));

    // Sent by the server only.
    decode_error::<ClientMessage>(json!({"event": "heartbeat"}), "unknown_tag");

    // `ping` declares `reqid` as an integer: its schema applies, and the error keeps the id.
    let error = decode_error::<ClientMessage>(
        json!({"event": "ping", "reqid": "five"}),
        "validation_failed",
    );
    assert_violation(&error, "/reqid", "type");
    assert_eq!(error.id, Some(json!("five")));

    let error = decode_error::<ClientMessage>(
        json!({"event": "subscribe", "reqid": 3, "pair": ["xbt-usd"], "subscription": {"name": "ticker", "depth": 7}}),
        "validation_failed",
    );
    assert_eq!(error.id, Some(json!(3)));
    assert_violation(&error, "/pair/0", "pattern");
    assert_violation(&error, "/subscription/depth", "enum");
}

#[test]
fn kraken_like_reply_enum_converts_into_server_message() {
    use kraken_like::{
        ServerMessage, SubscribeReply, SubscriptionRejected, SubscriptionStatus,
        SubscriptionStatusStatus,
    };

    let rejected = SubscribeReply::from(SubscriptionRejected {
        error_message: "Currency pair not supported".to_owned(),
    });
    let message = ServerMessage::from(rejected);
    assert!(matches!(message, ServerMessage::SubscriptionRejected(_)));
    assert_eq!(
        serde_json::to_value(&message).expect("serializes"),
        json!({"event": "subscriptionRejected", "errorMessage": "Currency pair not supported"})
    );

    let status = SubscribeReply::SubscriptionStatus(SubscriptionStatus {
        pair: Some("XBT/USD".parse().expect("a valid pair")),
        status: SubscriptionStatusStatus::Subscribed,
        channel_name: Some("ticker".to_owned()),
    });
    let message: ServerMessage = status.into();
    assert_eq!(
        serde_json::to_value(&message).expect("serializes"),
        json!({"event": "subscriptionStatus", "pair": "XBT/USD", "status": "subscribed", "channelName": "ticker"})
    );
}

// ---------------------------------------------------------------------------------------------
// Nested tag: `header.type`

#[test]
fn nested_tag_dispatches_on_header_type() {
    use nested_tag::ClientMessage;

    assert_eq!(<ClientMessage as Incoming>::TAG_FIELD, "header.type");
    assert_eq!(tags::<ClientMessage>(), ["chat.send", "chat.typing"]);

    let decoded: Decoded<ClientMessage> = decode(json!({
        "header": {"type": "chat.send", "seq": 1},
        "body": {"room": "lobby", "text": "hi"},
    }));
    let ClientMessage::Send(send) = decoded.message else {
        panic!("expected chat.send, got {:?}", decoded.message);
    };
    assert_eq!(u64::from(send.header.seq), 1);
    assert_eq!(send.body.room.as_str(), "lobby");
    assert_eq!(send.body.text.as_str(), "hi");
    // The nested tag stays part of the payload.
    assert_eq!(send.header.type_, json!("chat.send"));

    // The body first, the tag last.
    let decoded: Decoded<ClientMessage> = decode(json!({
        "body": {"room": "lobby"},
        "header": {"type": "chat.typing"},
    }));
    assert!(
        matches!(decoded.message, ClientMessage::Typing(_)),
        "{:?}",
        decoded.message
    );
}

#[test]
fn nested_tag_wrong_or_missing_tag_is_reported_at_header_type() {
    use nested_tag::ClientMessage;

    let error = decode_error::<ClientMessage>(
        json!({"header": {"type": "chat.delete", "seq": 1}, "body": {}}),
        "unknown_tag",
    );
    assert_violation(&error, "/header/type", "invalid");

    let error = decode_error::<ClientMessage>(
        json!({"header": {"seq": 1}, "body": {"room": "lobby", "text": "hi"}}),
        "missing_tag",
    );
    assert_violation(&error, "/header/type", "required");

    // No header at all, or a header that is not an object.
    for value in [
        json!({"body": {"room": "lobby", "text": "hi"}}),
        json!({"header": "chat.send", "body": {"room": "lobby", "text": "hi"}}),
    ] {
        let error = decode_error::<ClientMessage>(value, "missing_tag");
        assert_violation(&error, "/header/type", "required");
    }

    let error = decode_error::<ClientMessage>(
        json!({"header": {"type": 5, "seq": 1}, "body": {"room": "lobby", "text": "hi"}}),
        "missing_tag",
    );
    assert_violation(&error, "/header/type", "type");

    // A top-level `type` is not the tag.
    decode_error::<ClientMessage>(
        json!({"type": "chat.send", "header": {"seq": 1}, "body": {"room": "lobby", "text": "hi"}}),
        "missing_tag",
    );

    let error = decode_error::<ClientMessage>(
        json!({"header": {"type": "chat.send", "seq": -1}, "body": {"room": "", "text": "hi"}}),
        "validation_failed",
    );
    assert_violation(&error, "/header/seq", "minimum");
    assert_violation(&error, "/body/room", "min_length");
}

#[test]
fn nested_tag_server_messages_keep_their_envelope() {
    use nested_tag::{Ack, AckBody, AckHeader, ServerMessage};

    let ack = ServerMessage::from(Ack {
        header: AckHeader {
            type_: json!("chat.ack"),
            seq: 3.into(),
        },
        body: AckBody { accepted: true },
    });
    assert_eq!(
        serde_json::to_value(&ack).expect("serializes"),
        json!({"header": {"type": "chat.ack", "seq": 3}, "body": {"accepted": true}})
    );
}

// ---------------------------------------------------------------------------------------------
// AsyncAPI 2: direction

/// The tag of every variant of `v2_chat::ServerMessage`. The match is exhaustive: it breaks
/// when a message moves into or out of what the server sends.
fn v2_chat_server_tag(message: &v2_chat::ServerMessage) -> &'static str {
    match message {
        v2_chat::ServerMessage::Delivered(_) => "delivered",
        v2_chat::ServerMessage::Said(_) => "said",
        v2_chat::ServerMessage::HistoryPage(_) => "historyPage",
    }
}

#[test]
fn v2_publish_is_what_the_server_receives() {
    use v2_chat::{ClientMessage, Delivered, Line, Said, ServerMessage};

    // `publish` (a `oneOf` of two messages, and `history`): the client sends them.
    assert_eq!(tags::<ClientMessage>(), ["fetchHistory", "say", "whisper"]);
    let decoded: Decoded<ClientMessage> =
        decode(json!({"type": "whisper", "to": "bob", "text": "psst", "id": 1}));
    assert!(matches!(decoded.message, ClientMessage::Whisper(_)));
    assert_eq!(decoded.id, Some(json!(1)));
    let decoded: Decoded<ClientMessage> = decode(json!({"type": "say", "text": "hello"}));
    assert!(matches!(decoded.message, ClientMessage::Say(_)));
    let error = decode_error::<ClientMessage>(
        json!({"type": "fetchHistory", "limit": 1000}),
        "validation_failed",
    );
    assert_violation(&error, "/limit", "maximum");

    // `subscribe` and the replies: the server sends them, so a client cannot.
    for tag in ["said", "delivered", "historyPage"] {
        decode_error::<ClientMessage>(json!({"type": tag}), "unknown_tag");
    }
    let said = ServerMessage::from(Said {
        from: "alice".to_owned(),
        text: "hi".to_owned(),
    });
    assert_eq!(v2_chat_server_tag(&said), "said");
    assert_eq!(
        serde_json::to_value(&said).expect("serializes"),
        json!({"type": "said", "from": "alice", "text": "hi"})
    );
    let delivered = ServerMessage::from(Delivered {
        at: "2026-11-01T12:00:00Z".parse().expect("a date-time"),
    });
    assert_eq!(v2_chat_server_tag(&delivered), "delivered");
    let _: Line = Line {
        from: String::new(),
        text: String::new(),
    };
}

/// `x-socketsundso-reply` gives both branches of the `oneOf` the reply `delivered`, and
/// `x-socketsundso-blocking` makes `on_fetch_history` a plain function. This impl compiles only
/// with those signatures.
struct V2Chat;

impl v2_chat::Handler for V2Chat {
    async fn on_say(
        &self,
        _ctx: &v2_chat::Context,
        _message: v2_chat::Say,
    ) -> Result<v2_chat::Delivered, socketsundso::HandlerError> {
        Err(socketsundso::HandlerError::new("not served"))
    }

    async fn on_whisper(
        &self,
        _ctx: &v2_chat::Context,
        _message: v2_chat::Whisper,
    ) -> Result<v2_chat::Delivered, socketsundso::HandlerError> {
        Err(socketsundso::HandlerError::new("not served"))
    }

    fn on_fetch_history(
        &self,
        _ctx: &v2_chat::Context,
        _message: v2_chat::FetchHistory,
    ) -> Result<v2_chat::HistoryPage, socketsundso::HandlerError> {
        Ok(v2_chat::HistoryPage { lines: vec![] })
    }
}

#[test]
fn v2_chat_handler_has_the_declared_replies_and_blocking_handler() {
    let _route: axum::routing::MethodRouter = v2_chat::Server::new(V2Chat).into_route();
}

#[test]
fn v2_client_view_publish_means_the_server_sends() {
    use v2_client_view::{ClientMessage, Hello, Pong, PriceUpdate, ServerMessage};

    // `subscribe` in the client's view: what the server receives.
    assert_eq!(tags::<ClientMessage>(), ["ping", "watch"]);
    let decoded: Decoded<ClientMessage> = decode(json!({"type": "ping", "id": 9}));
    assert!(matches!(decoded.message, ClientMessage::Ping(_)));
    assert_eq!(decoded.id, Some(json!(9)));
    let decoded: Decoded<ClientMessage> = decode(json!({"type": "watch", "symbol": "AAPL"}));
    assert!(matches!(decoded.message, ClientMessage::Watch(_)));

    // `publish` in the client's view: what the server sends.
    for tag in ["hello", "pong", "price_update"] {
        decode_error::<ClientMessage>(json!({"type": tag}), "unknown_tag");
    }
    let all = [
        ServerMessage::from(Hello {
            server_version: None,
        }),
        ServerMessage::from(Pong { time: 1 }),
        ServerMessage::from(PriceUpdate {
            symbol: "AAPL".to_owned(),
            price: 1.5,
        }),
    ];
    let tags: Vec<Value> = all
        .iter()
        .map(|m| serde_json::to_value(m).expect("serializes")["type"].clone())
        .collect();
    assert_eq!(tags, [json!("hello"), json!("pong"), json!("price_update")]);
    for message in &all {
        // Exhaustive: exactly these three are sent.
        match message {
            ServerMessage::Hello(_) | ServerMessage::Pong(_) | ServerMessage::PriceUpdate(_) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-file: schemas from `shared/common.yaml` and `shared/more.yaml` are enforced

#[test]
fn multi_file_schemas_from_other_files_are_enforced() {
    use multi_file::{ClientMessage, Side};

    assert_eq!(tags::<ClientMessage>(), ["placeOrder"]);
    let decoded: Decoded<ClientMessage> = decode(json!({
        "type": "placeOrder",
        "order": {"symbol": "AAPL", "side": "buy", "quantity": 3, "limit": 10.5},
    }));
    let ClientMessage::PlaceOrder(place) = decoded.message;
    assert_eq!(place.order.side, Side::Buy);
    assert_eq!(place.order.quantity.get(), 3);

    let error = decode_error::<ClientMessage>(
        json!({"type": "placeOrder", "order": {"symbol": "AAPL", "side": "hold", "quantity": 0, "limit": 0}}),
        "validation_failed",
    );
    assert_violation(&error, "/order/side", "enum");
    assert_violation(&error, "/order/quantity", "minimum");
    assert_violation(&error, "/order/limit", "exclusive_minimum");
}

// ---------------------------------------------------------------------------------------------
// End to end: the JSON-RPC-like API on a real socket

struct Rpc;

impl jsonrpc::Handler for Rpc {
    async fn on_subscribe(
        &self,
        ctx: &jsonrpc::Context,
        message: jsonrpc::Subscribe,
    ) -> Result<jsonrpc::SubscribeResult, socketsundso::HandlerError> {
        // A notification first: it arrives before the reply, without an id.
        for symbol in &message.params.symbols {
            ctx.send(jsonrpc::Ticker {
                params: jsonrpc::TickerParams {
                    symbol: symbol.clone(),
                    bid: 100.0,
                    ask: 100.5,
                },
            })
            .map_err(|e| socketsundso::HandlerError::new(e.to_string()))?;
        }
        Ok(jsonrpc::SubscribeResult {
            result: message.params,
        })
    }

    async fn on_unsubscribe(
        &self,
        _ctx: &jsonrpc::Context,
        _message: jsonrpc::Unsubscribe,
    ) -> Result<jsonrpc::UnsubscribeResult, socketsundso::HandlerError> {
        Ok(jsonrpc::UnsubscribeResult { result: true })
    }

    async fn on_get_time(
        &self,
        _ctx: &jsonrpc::Context,
        _message: jsonrpc::GetTime,
    ) -> Result<jsonrpc::Time, socketsundso::HandlerError> {
        Ok(jsonrpc::Time {
            result: 1_700_000_000_000,
        })
    }
}

#[tokio::test]
async fn jsonrpc_end_to_end_the_reply_carries_the_request_id() {
    let router = axum::Router::new().route("/rpc", jsonrpc::Server::new(Rpc).into_route());
    let addr = support::serve(router).await;
    let mut client = support::Client::connect(&support::url(addr, "/rpc")).await;

    client
        .send_json(&json!({
            "method": "subscribe",
            "id": 7,
            "params": {"channel": "ticker", "symbols": ["BTC/USD"]},
        }))
        .await;
    let notification = client.recv_json().await;
    assert_eq!(
        notification,
        json!({"method": "ticker", "params": {"symbol": "BTC/USD", "bid": 100.0, "ask": 100.5}})
    );
    let reply = client.recv_json().await;
    assert_eq!(
        reply,
        json!({"method": "subscribe", "id": 7, "result": {"channel": "ticker", "symbols": ["BTC/USD"]}})
    );
    // The id comes right after the tag.
    let keys: Vec<&String> = reply.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["method", "id", "result"]);

    // A string id, and the id before the method.
    client
        .send_json(&json!({"id": "t-1", "method": "getTime"}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"method": "time", "id": "t-1", "result": 1_700_000_000_000_u64})
    );

    // No id, no id on the reply.
    client
        .send_json(&json!({"method": "unsubscribe", "params": {"channel": "ticker", "symbols": ["BTC/USD"]}}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"method": "unsubscribe", "result": true})
    );

    // An error keeps the id too, and the connection stays open.
    client
        .send_json(&json!({"method": "launch", "id": 8}))
        .await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "unknown_tag", "{error}");
    assert_eq!(error["id"], 8, "{error}");
    // Errors are tagged like every other message of this API: by `method`.
    assert_eq!(error["method"], "error", "{error}");
    assert!(error.get("type").is_none(), "{error}");

    client
        .send_json(&json!({"method": "getTime", "id": 9}))
        .await;
    assert_eq!(client.recv_json().await["id"], 9);
    assert!(client.close().await.is_empty());
}

/// A Kraken-like server: `ping` declares `reqid` in its payload, and so does the `pong` reply.
struct Kraken;

impl kraken_like::Handler for Kraken {
    async fn on_ping(
        &self,
        _ctx: &kraken_like::Context,
        message: kraken_like::Ping,
    ) -> Result<kraken_like::Pong, socketsundso::HandlerError> {
        // The payload sees `reqid` (it declares it), and the reply sets it itself.
        Ok(kraken_like::Pong {
            reqid: message.reqid,
        })
    }

    async fn on_subscribe(
        &self,
        _ctx: &kraken_like::Context,
        _message: kraken_like::Subscribe,
    ) -> Result<kraken_like::SubscribeReply, socketsundso::HandlerError> {
        Err(socketsundso::HandlerError::with_code(
            "unsupported",
            "no feeds here",
        ))
    }
}

#[tokio::test]
async fn kraken_like_end_to_end_a_reply_that_declares_reqid_carries_it_once() {
    let router = axum::Router::new().route("/ws", kraken_like::Server::new(Kraken).into_route());
    let addr = support::serve(router).await;
    let mut client = support::Client::connect(&support::url(addr, "/ws")).await;

    client.send_text(r#"{"event":"ping","reqid":42}"#).await;
    let reply = client.recv_text().await;
    assert_eq!(reply.matches("reqid").count(), 1, "{reply}");
    let reply: Value = serde_json::from_str(&reply).expect("JSON");
    assert_eq!(reply, json!({"event": "pong", "reqid": 42}));

    // An error of a message that does not declare `reqid` still carries it, tagged by `event`.
    client
        .send_json(&json!({"event": "subscribe", "reqid": 5, "pair": ["XBT/USD"], "subscription": {"name": "ticker"}}))
        .await;
    let error = client.recv_json().await;
    assert_eq!(error["event"], "error", "{error}");
    assert_eq!(
        error["reqid"],
        Value::Null,
        "the error's id is `id`: {error}"
    );
    assert_eq!(error["id"], 5, "{error}");
    assert!(client.close().await.is_empty());
}

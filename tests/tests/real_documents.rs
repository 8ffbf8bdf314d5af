//! Documents written the way real WebSocket APIs are described (`tests/asyncapi/socketsundso/`),
//! served for real on 127.0.0.1 with the code that `socketsundso-tests` compiles from their
//! conformance goldens:
//!
//! - `echo-service/`: a document spread over four files, whose operations name their messages
//!   through a channel's `$ref` into another file (`#/channels/echo/messages/echo`);
//! - `exchange.yaml`: a large exchange API whose channels repeat the same `subscribe`,
//!   `unsubscribe` and `subscriptionStatus` messages: one message each, one handler.

mod support;

use serde_json::{Value, json};
use socketsundso::HandlerError;
use socketsundso_tests::conformance_socketsundso_echo_service_asyncapi_yaml as echo;
use socketsundso_tests::conformance_socketsundso_exchange_yaml as exchange;
use support::{Client, serve, url};

/// Builds a generated type from JSON, as a handler might from its own data.
fn from_json<T: socketsundso::codegen::serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a value of the type")
}

// ---------------------------------------------------------------------------------------------
// The echo service: pointers through a channel's `$ref` into another file

struct Echo;

impl echo::Handler for Echo {
    async fn on_connect(&self, ctx: &echo::Context) -> Result<(), socketsundso::Reject> {
        let joined: echo::Joined =
            from_json(json!({"user": {"id": "u-17", "name": "Ada"}, "count": 1}));
        ctx.send(joined).expect("a greeting fits");
        Ok(())
    }

    async fn on_echo(
        &self,
        _ctx: &echo::Context,
        message: echo::Echo,
    ) -> Result<echo::Echoed, HandlerError> {
        Ok(echo::Echoed {
            at: "2024-05-01T10:00:00Z".parse().expect("a time"),
            text: message.text.to_string(),
        })
    }

    async fn on_who_is_here(
        &self,
        _ctx: &echo::Context,
        _message: echo::WhoIsHere,
    ) -> Result<echo::Here, HandlerError> {
        Ok(from_json(json!({"users": [{"id": "u-17", "name": "Ada"}]})))
    }
}

#[tokio::test]
async fn echo_service_spread_over_files_works_through_its_channel_refs() {
    let app = axum::Router::new().route("/echo", echo::Server::new(Echo).into_route());
    let mut client = Client::connect(&url(serve(app).await, "/echo")).await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "joined", "user": {"id": "u-17", "name": "Ada"}, "count": 1})
    );
    client
        .send_json(&json!({"type": "echo", "id": 1, "text": "hello"}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "echoed", "id": 1, "text": "hello", "at": "2024-05-01T10:00:00Z"})
    );
    client
        .send_json(&json!({"type": "whoIsHere", "id": 2}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "here", "id": 2, "users": [{"id": "u-17", "name": "Ada"}]})
    );
    // The schemas of the third file hold: `maxLength: 4096` from `messages.yaml`.
    client
        .send_json(&json!({"type": "echo", "id": 3, "text": "x".repeat(4097)}))
        .await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["id"], 3, "{error}");
    assert_eq!(error["errors"][0]["path"], "/text", "{error}");
    assert_eq!(error["errors"][0]["kind"], "max_length", "{error}");
    assert!(client.close().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The exchange: channels that repeat the same messages

struct Exchange;

impl exchange::Handler for Exchange {
    async fn on_subscribe(
        &self,
        ctx: &exchange::Context,
        message: exchange::Subscribe,
    ) -> Result<exchange::SubscriptionStatus, HandlerError> {
        let subscription = serde_json::to_value(&message.subscription).expect("serializes");
        let pair = message
            .pair
            .as_ref()
            .and_then(|pairs| pairs.first())
            .map(|pair| pair.to_string());
        let Some(pair) = pair else {
            return Ok(from_json(json!({
                "reqid": message.reqid, "status": "error",
                "errorMessage": "pair is required", "subscription": subscription,
            })));
        };
        if message.subscription.name == exchange::Feed::Ticker {
            let update: exchange::TickerUpdate = from_json(json!({
                "channelID": 340, "pair": pair,
                "bid": {"price": "64000.5", "volume": "0.25"},
                "ask": {"price": "64001.0", "volume": "1.5"},
                "last": "64000.9", "volume": "1520.33",
            }));
            ctx.send(update).expect("an update fits");
        }
        Ok(from_json(json!({
            "reqid": message.reqid, "channelID": 340,
            "channelName": subscription["name"], "pair": pair,
            "status": "subscribed", "subscription": subscription,
        })))
    }

    async fn on_unsubscribe(
        &self,
        _ctx: &exchange::Context,
        message: exchange::Unsubscribe,
    ) -> Result<exchange::SubscriptionStatus, HandlerError> {
        let subscription = serde_json::to_value(&message.subscription).expect("serializes");
        Ok(from_json(json!({
            "reqid": message.reqid, "channelName": subscription["name"],
            "status": "unsubscribed", "subscription": subscription,
        })))
    }

    async fn on_ping(
        &self,
        _ctx: &exchange::Context,
        message: exchange::Ping,
    ) -> Result<exchange::Pong, HandlerError> {
        Ok(exchange::Pong {
            reqid: message.reqid,
        })
    }
}

#[test]
fn exchange_channels_that_repeat_a_message_share_one_message() {
    use socketsundso::Incoming;
    // Eight channels list `subscribe` and `unsubscribe` again; the server receives three tags.
    assert_eq!(
        <exchange::ClientMessage as Incoming>::TAGS,
        ["subscribe", "unsubscribe", "ping"]
    );
}

#[tokio::test]
async fn exchange_one_subscribe_handler_serves_every_channel() {
    let app = axum::Router::new().route("/", exchange::Server::new(Exchange).into_route());
    let mut client = Client::connect(&url(serve(app).await, "/")).await;
    client
        .send_json(&json!({"event": "subscribe", "reqid": 7, "pair": ["XBT/USD"], "subscription": {"name": "ticker"}}))
        .await;
    // The update the handler pushed, then its result.
    assert_eq!(
        client.recv_json().await,
        json!({
            "event": "ticker", "channelID": 340, "pair": "XBT/USD",
            "bid": {"price": "64000.5", "volume": "0.25"}, "ask": {"price": "64001.0", "volume": "1.5"},
            "last": "64000.9", "volume": "1520.33",
        })
    );
    assert_eq!(
        client.recv_json().await,
        json!({
            "event": "subscriptionStatus", "reqid": 7, "channelID": 340, "channelName": "ticker",
            "pair": "XBT/USD", "status": "subscribed", "subscription": {"name": "ticker", "snapshot": true},
        })
    );
    // The book channel's `subscribe` is the same message.
    client
        .send_json(&json!({"event": "subscribe", "reqid": 8, "pair": ["XBT/EUR"], "subscription": {"name": "book", "depth": 25}}))
        .await;
    let status = client.recv_json().await;
    assert_eq!(status["channelName"], "book", "{status}");
    assert_eq!(status["reqid"], 8, "{status}");
    // A failure is the other branch of `subscriptionStatus`.
    client
        .send_json(&json!({"event": "subscribe", "reqid": 9, "subscription": {"name": "ohlc", "interval": 5}}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({
            "event": "subscriptionStatus", "reqid": 9, "status": "error", "errorMessage": "pair is required",
            "subscription": {"name": "ohlc", "interval": 5, "snapshot": true},
        })
    );
    client
        .send_json(&json!({"event": "subscribe", "reqid": 10, "pair": ["XBT/USD"], "subscription": {"name": "book", "depth": 7}}))
        .await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["path"], "/subscription/depth", "{error}");
    client
        .send_json(&json!({"event": "unsubscribe", "reqid": 11, "subscription": {"name": "book"}}))
        .await;
    assert_eq!(client.recv_json().await["status"], "unsubscribed");
    client
        .send_json(&json!({"event": "ping", "reqid": 12}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pong", "reqid": 12})
    );
    assert!(client.close().await.is_empty());
}

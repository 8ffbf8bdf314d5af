//! The market-data document (`tests/asyncapi/socketsundso/market-data.yaml`, written in the
//! style of public exchange feeds), served for real on 127.0.0.1 with the generated code that
//! `socketsundso-tests` compiles from its conformance golden.
//!
//! - A result whose payload is a `oneOf` of two closed objects, each fixing the `method` tag
//!   (Kraken's `subscriptionStatus`), is sent as it is in a debug build: the outgoing check puts
//!   the tag into each branch, not beside the `oneOf`.
//! - Messages without a tag: tickers pushed as a bare array, and the JSON strings `"ping"` and
//!   `"pong"`.

mod support;

use serde_json::{Value, json};
use socketsundso::HandlerError;
use socketsundso_tests::conformance_socketsundso_market_data_yaml as api;
use support::{Client, serve, url};

fn time(text: &str) -> api::Time {
    api::Time(text.parse().expect("an RFC 3339 time"))
}

struct Feed;

impl api::Handler for Feed {
    async fn on_subscribe(
        &self,
        ctx: &api::Context,
        message: api::Subscribe,
    ) -> Result<api::SubscriptionResult, HandlerError> {
        let symbol = &message.params.symbol[0];
        if symbol.starts_with("BTC/") {
            let tickers = api::Tickers(vec![api::Ticker {
                symbol: symbol.clone(),
                bid: 64000.5,
                ask: 64001.0,
                last: 64000.9,
                volume: 1520.33,
            }]);
            ctx.send(tickers).expect("a push fits");
        }
        let time_in = time("2024-05-01T10:00:00.000001Z");
        let time_out = time("2024-05-01T10:00:00.000312Z");
        Ok(if symbol.starts_with("BTC/") {
            api::SubscriptionResult::Variant0 {
                result: api::SubscriptionResultVariant0Result {
                    channel: message.params.channel,
                    symbol: symbol.clone(),
                },
                success: json!(true),
                time_in,
                time_out,
            }
        } else {
            api::SubscriptionResult::Variant1 {
                error: format!("Currency pair not supported {}", symbol.as_str()),
                success: json!(false),
                time_in,
                time_out,
            }
        })
    }

    async fn on_unsubscribe(
        &self,
        _ctx: &api::Context,
        _message: api::Unsubscribe,
    ) -> Result<api::UnsubscriptionResult, HandlerError> {
        // `success: true` without `result` fits neither branch: the debug build refuses it.
        Ok(api::UnsubscriptionResult::UnsubscriptionFailed {
            error: "not subscribed".into(),
            success: json!(true),
        })
    }

    async fn on_ping(
        &self,
        _ctx: &api::Context,
        _message: api::Ping,
    ) -> Result<api::Pong, HandlerError> {
        Ok(api::Pong::Pong)
    }
}

async fn connect() -> Client {
    let addr = serve(axum::Router::new().route("/v2", api::Server::new(Feed).into_route())).await;
    Client::connect(&url(addr, "/v2")).await
}

#[tokio::test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "it shows the outgoing check of debug builds"
)]
async fn a_result_that_is_a_one_of_of_closed_objects_is_sent_in_a_debug_build() {
    let mut client = connect().await;
    client
        .send_json(&json!({"method": "subscribe", "req_id": 1, "params": {"channel": "ticker", "symbol": ["BTC/USD"]}}))
        .await;
    // The tickers the handler pushed first: a bare array.
    assert_eq!(
        client.recv_json().await,
        json!([{"symbol": "BTC/USD", "bid": 64000.5, "ask": 64001.0, "last": 64000.9, "volume": 1520.33}])
    );
    assert_eq!(
        client.recv_json().await,
        json!({
            "method": "subscribe", "req_id": 1, "success": true,
            "result": {"channel": "ticker", "symbol": "BTC/USD"},
            "time_in": "2024-05-01T10:00:00.000001Z", "time_out": "2024-05-01T10:00:00.000312Z",
        })
    );
    client
        .send_json(&json!({"method": "subscribe", "req_id": 2, "params": {"channel": "book", "symbol": ["DOGE/XYZ"]}}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({
            "method": "subscribe", "req_id": 2, "success": false,
            "error": "Currency pair not supported DOGE/XYZ",
            "time_in": "2024-05-01T10:00:00.000001Z", "time_out": "2024-05-01T10:00:00.000312Z",
        })
    );
    // The check still refuses a result that fits no branch.
    client
        .send_json(&json!({"method": "unsubscribe", "req_id": 3, "params": {"channel": "book", "symbol": ["BTC/USD"]}}))
        .await;
    let error: Value = client.recv_json().await;
    assert_eq!(error["code"], "internal", "{error}");
    assert_eq!(error["id"], 3, "{error}");
    assert!(client.close().await.is_empty());
}

#[tokio::test]
async fn a_text_ping_gets_a_text_pong() {
    let mut client = connect().await;
    client.send_text(r#""ping""#).await;
    assert_eq!(client.recv_text().await, r#""pong""#);
    // Another string is not `"ping"`: its `const` says so.
    client.send_text(r#""PING""#).await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["kind"], "const", "{error}");
    // A number fits no message of this API.
    client.send_text("1").await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "not_an_object", "{error}");
    assert_eq!(
        error["message"],
        "the message must be a JSON object or one of: a string (`ping`), not a number"
    );
    assert!(client.close().await.is_empty());
}

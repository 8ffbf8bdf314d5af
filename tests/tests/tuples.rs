//! Tuple arrays end to end (`tests/fixtures/tuples.yaml`, an order-book feed): a price level
//! `[price, size]` inside a tagged message, a subscription `["subscribe", pair, depth]` written
//! with `prefixItems` (a message without a tag), and a trade pushed as a tuple. Each is accepted
//! and rejected with the exact JSON Pointer of every bad position, whichever decode path takes
//! it (the tag first: the fast path; the tag last: the slow path), and on a real socket.

mod support;

use serde_json::{Value, json};
use socketsundso::HandlerError;
use socketsundso_tests::tuples as api;
use support::{Client, serve, url};

fn decode(text: &str) -> Result<api::ClientMessage, Value> {
    socketsundso::decode::<api::ClientMessage>(text)
        .map(|d| d.message)
        .map_err(|e| serde_json::to_value(e).expect("serializes"))
}

/// `(path, kind)` of every violation of an error object.
fn violations(error: &Value) -> Vec<(String, String)> {
    error["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_owned(),
                v["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_tuple_in_a_tagged_message_takes_both_paths() {
    let tag_first = r#"{"type":"quote","bid":[64000.5,0.25],"ask":[64001.0,1.5]}"#;
    let tag_last = r#"{"bid":[64000.5,0.25],"ask":[64001.0,1.5],"type":"quote"}"#;
    for text in [tag_first, tag_last] {
        let Ok(api::ClientMessage::Quote(quote)) = decode(text) else {
            panic!("{text} does not decode");
        };
        assert_eq!(quote.bid.0, json!([64000.5, 0.25]));
        assert_eq!(quote.ask.0, json!([64001.0, 1.5]));
    }
}

#[test]
fn a_bad_tuple_is_rejected_with_every_position_on_both_paths() {
    let expected = [
        ("/ask", "min_items"),
        ("/bid/0", "exclusive_minimum"),
        ("/bid/1", "type"),
        ("/bid/2", "additional_items"),
    ];
    for text in [
        r#"{"type":"quote","bid":[0,"big",3],"ask":[1]}"#,
        r#"{"bid":[0,"big",3],"ask":[1],"type":"quote"}"#,
    ] {
        let error = decode(text).unwrap_err();
        assert_eq!(error["code"], "validation_failed", "{error}");
        let found = violations(&error);
        assert_eq!(
            found
                .iter()
                .map(|(p, k)| (p.as_str(), k.as_str()))
                .collect::<Vec<_>>(),
            expected,
            "{text}: {error}"
        );
    }
}

#[test]
fn a_tuple_message_written_with_prefix_items() {
    assert!(matches!(
        decode(r#"["subscribe","BTC/USD",25]"#),
        Ok(api::ClientMessage::Subscribe(_))
    ));
    assert!(matches!(
        decode(r#"["subscribe","ETH/EUR"]"#),
        Ok(api::ClientMessage::Subscribe(_))
    ));
    let error = decode(r#"["unsubscribe","btc/usd",30,"more"]"#).unwrap_err();
    assert_eq!(
        violations(&error),
        [
            ("/0".to_owned(), "const".to_owned()),
            ("/1".to_owned(), "pattern".to_owned()),
            ("/2".to_owned(), "enum".to_owned()),
            ("/3".to_owned(), "additional_items".to_owned()),
        ],
        "{error}"
    );
    let error = decode(r#"["subscribe"]"#).unwrap_err();
    assert_eq!(
        violations(&error),
        [("".to_owned(), "min_items".to_owned())],
        "{error}"
    );
}

struct Book;

impl api::Handler for Book {
    async fn on_quote(&self, ctx: &api::Context, message: api::Quote) -> Result<(), HandlerError> {
        let price = message.bid.0[0].to_string();
        let trade = json!([
            17,
            [[price, "0.25", "1714557600.1", "b"]],
            "trade",
            "BTC/USD"
        ]);
        ctx.send(api::Trade(trade))
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_subscribe(
        &self,
        ctx: &api::Context,
        message: api::Subscribe,
    ) -> Result<(), HandlerError> {
        // A trade that breaks its own tuple (a fifth position): debug builds refuse to send it.
        let trade = json!([17, [], "trade", message.0[1], "extra"]);
        ctx.send(api::Trade(trade))
            .map_err(|e| HandlerError::new(e.to_string()))
    }
}

#[tokio::test]
async fn tuples_on_a_real_socket() {
    let app = axum::Router::new().route("/book", api::Server::new(Book).into_route());
    let mut client = Client::connect(&url(serve(app).await, "/book")).await;
    client
        .send_text(r#"{"type":"quote","bid":[64000.5,0.25],"ask":[64001.0,1.5]}"#)
        .await;
    assert_eq!(
        client.recv_json().await,
        json!([
            17,
            [["64000.5", "0.25", "1714557600.1", "b"]],
            "trade",
            "BTC/USD"
        ])
    );
    client
        .send_text(r#"{"bid":[-1,0.25],"ask":[64001.0,1.5,2],"type":"quote"}"#)
        .await;
    let error = client.recv_json().await;
    assert_eq!(
        violations(&error),
        [
            ("/ask/2".to_owned(), "additional_items".to_owned()),
            ("/bid/0".to_owned(), "exclusive_minimum".to_owned()),
        ],
        "{error}"
    );
    if cfg!(debug_assertions) {
        client.send_text(r#"["subscribe","BTC/USD"]"#).await;
        let error = client.recv_json().await;
        assert_eq!(error["code"], "handler_error", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("/4"),
            "the outgoing check names the fifth position: {error}"
        );
    }
    assert!(client.close().await.is_empty());
}

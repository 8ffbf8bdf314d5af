//! Tuple arrays end to end (`tests/fixtures/tuples.yaml`, an order-book feed): a price level
//! `[price, size]` inside a tagged message, an order whose positions are a tuple, an object and
//! an inline tuple, a subscription `["subscribe", pair, depth]` written with `prefixItems` (a
//! message without a tag), and a trade pushed as a tuple. A tuple of fixed length is a Rust
//! tuple, each position of its own type; one with an optional tail stays a JSON value. Each is
//! accepted and rejected with the exact JSON Pointer of every bad position, whichever decode
//! path takes it (the tag first: the fast path; the tag last: the slow path), and on a real
//! socket.

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

/// The same message with its tag first (the fast path) and last (the slow path).
fn both_paths(tag: &str, rest: &str) -> [String; 2] {
    [
        format!(r#"{{"type":"{tag}",{rest}}}"#),
        format!(r#"{{{rest},"type":"{tag}"}}"#),
    ]
}

/// Decoding each of `texts` fails with exactly these `(path, kind)` violations.
fn assert_rejected(texts: &[String], expected: &[(&str, &str)]) {
    for text in texts {
        let error = decode(text).unwrap_err();
        assert_eq!(error["code"], "validation_failed", "{text}: {error}");
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
fn a_tuple_of_twelve_positions_is_a_rust_tuple() {
    let candle = r#"[1499040000000,"0.0163","0.8","0.0157","0.0159","148976.1",1499644799999,"2434.1",308,"1756.8","28.4","0"]"#;
    for text in both_paths(
        "quote",
        &format!(r#""bid":[1,1],"ask":[2,1],"candle":{candle}"#),
    ) {
        let Ok(api::ClientMessage::Quote(quote)) = decode(&text) else {
            panic!("{text} does not decode");
        };
        let candle = quote.candle.as_ref().expect("a candle");
        assert_eq!(candle.0.0, 1_499_040_000_000);
        assert_eq!(candle.0.4, "0.0159");
        assert_eq!(candle.0.8, 308);
        assert_eq!(candle.0.11, "0");
    }
    // A negative count (position 8) and a number where a string goes (position 1).
    assert_rejected(
        &both_paths(
            "quote",
            r#""bid":[1,1],"ask":[2,1],"candle":[0,"1","1","1","1","1",0,"1",-3,"1","1","1"]"#,
        ),
        &[("/candle/8", "minimum")],
    );
    assert_rejected(
        &both_paths(
            "quote",
            r#""bid":[1,1],"ask":[2,1],"candle":[0,1,"1","1","1","1",0,"1",3,"1","1","1"]"#,
        ),
        &[("/candle/1", "type")],
    );
}

#[test]
fn a_tuple_in_a_tagged_message_takes_both_paths() {
    for text in both_paths("quote", r#""bid":[64000.5,0.25],"ask":[64001,2]"#) {
        let Ok(api::ClientMessage::Quote(quote)) = decode(&text) else {
            panic!("{text} does not decode");
        };
        // A price level is a `(f64, f64)`: the price is `.0`, the size `.1`.
        assert_eq!(quote.bid.0.0, 64000.5);
        assert_eq!(quote.bid.0.1, 0.25);
        // Whole numbers are numbers too.
        assert_eq!(*quote.ask, (64001.0, 2.0));
        // And it goes out as the same tuple.
        assert_eq!(
            serde_json::to_value(&quote).unwrap(),
            json!({"bid": [64000.5, 0.25], "ask": [64001.0, 2.0]})
        );
    }
}

#[test]
fn a_tuple_of_a_tuple_an_object_and_an_inline_tuple() {
    for text in both_paths(
        "order",
        r#""entry":[[64000.5,0.25],{"id":"a1","qty":3},[0,60]]"#,
    ) {
        let Ok(api::ClientMessage::Order(order)) = decode(&text) else {
            panic!("{text} does not decode");
        };
        let (level, ticket, window) = &order.entry;
        assert_eq!(**level, (64000.5, 0.25));
        assert_eq!(&*ticket.id, "a1");
        assert_eq!(ticket.qty.get(), 3);
        assert_eq!(*window, (0, 60));
        assert_eq!(order.stop, None);
        assert!(order.legs.is_empty());
    }
    // Constraints that only the generated check sees on the fast path (serde reads these
    // values into their types): each position's bounds.
    assert_rejected(
        &both_paths("quote", r#""bid":[0,0.25],"ask":[1,-0.5]"#),
        &[("/ask/1", "minimum"), ("/bid/0", "exclusive_minimum")],
    );
    assert_rejected(
        &both_paths("order", r#""entry":[[1,2],{"id":"a","qty":1},[-1,86401]]"#),
        &[("/entry/2/0", "minimum"), ("/entry/2/1", "maximum")],
    );
    // Every position's own constraints, each with its path.
    assert_rejected(
        &both_paths(
            "order",
            r#""entry":[[0,0.25],{"id":"","qty":0},[-1,86401]]"#,
        ),
        &[
            ("/entry/0/0", "exclusive_minimum"),
            ("/entry/1/id", "min_length"),
            ("/entry/1/qty", "minimum"),
            ("/entry/2/0", "minimum"),
            ("/entry/2/1", "maximum"),
        ],
    );
}

#[test]
fn a_tuple_in_an_optional_field_and_in_a_list() {
    for text in both_paths(
        "order",
        r#""entry":[[1,2],{"id":"a","qty":1},[0,1]],"stop":[63000,1],"legs":[[1.5,2],[2.5,0]]"#,
    ) {
        let Ok(api::ClientMessage::Order(order)) = decode(&text) else {
            panic!("{text} does not decode");
        };
        assert_eq!(order.stop.as_deref(), Some(&(63000.0, 1.0)));
        assert_eq!(
            order.legs.iter().map(|leg| leg.0).collect::<Vec<_>>(),
            [(1.5, 2.0), (2.5, 0.0)]
        );
    }
    assert_rejected(
        &both_paths(
            "order",
            r#""entry":[[1,2],{"id":"a","qty":1},[0,1]],"stop":[0,1],"legs":[[1,1],[1,-1,3]]"#,
        ),
        &[
            ("/legs/1/1", "minimum"),
            ("/legs/1/2", "additional_items"),
            ("/stop/0", "exclusive_minimum"),
        ],
    );
    assert_rejected(
        &both_paths(
            "order",
            r#""entry":[[1,2],{"id":"a","qty":1},[0,1]],"stop":null"#,
        ),
        &[("/stop", "type")],
    );
}

#[test]
fn a_tuple_of_the_wrong_length_is_rejected_with_its_path_on_both_paths() {
    assert_rejected(
        &both_paths("quote", r#""bid":[64000.5],"ask":[64001,2,3]"#),
        &[("/ask/2", "additional_items"), ("/bid", "min_items")],
    );
    assert_rejected(
        &both_paths("quote", r#""bid":[],"ask":[1,2]"#),
        &[("/bid", "min_items")],
    );
    // A nested tuple too short, the outer one too long.
    assert_rejected(
        &both_paths("order", r#""entry":[[1,2],{"id":"a","qty":1},[5],[6]]"#),
        &[("/entry/2", "min_items"), ("/entry/3", "additional_items")],
    );
}

#[test]
fn a_wrong_type_at_a_position_is_rejected_with_its_path_on_both_paths() {
    assert_rejected(
        &both_paths("quote", r#""bid":[64000.5,"0.25"],"ask":{"price":1}"#),
        &[("/ask", "type"), ("/bid/1", "type")],
    );
    assert_rejected(
        &both_paths("order", r#""entry":[[1,2],[1],[0.5,true]]"#),
        &[
            ("/entry/1", "type"),
            ("/entry/2/0", "type"),
            ("/entry/2/1", "type"),
        ],
    );
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

/// A trade on channel 17: `[17, [[price, volume, time, side]], "trade", pair]`.
fn trade(price: f64, side: &str, pair: &str) -> api::Trade {
    api::Trade((
        17,
        vec![json!([price.to_string(), "0.25", "1714557600.1", side])],
        json!("trade"),
        pair.to_owned(),
    ))
}

impl api::Handler for Book {
    async fn on_quote(&self, ctx: &api::Context, message: api::Quote) -> Result<(), HandlerError> {
        let (price, _) = *message.bid;
        ctx.send(trade(price, "b", "BTC/USD"))
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_order(&self, ctx: &api::Context, message: api::Order) -> Result<(), HandlerError> {
        let (level, _, _) = message.entry;
        ctx.send(trade(level.0.0, "s", "ETH/EUR"))
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_subscribe(
        &self,
        ctx: &api::Context,
        message: api::Subscribe,
    ) -> Result<(), HandlerError> {
        // A trade that breaks its own tuple (a side that is neither `b` nor `s`): debug builds
        // refuse to send it.
        let pair = message.0[1].as_str().unwrap_or_default();
        ctx.send(trade(64000.5, "x", pair))
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
        .send_text(r#"{"type":"order","entry":[[1.5,2],{"id":"b","qty":1},[0,1]]}"#)
        .await;
    assert_eq!(
        client.recv_json().await,
        json!([
            17,
            [["1.5", "0.25", "1714557600.1", "s"]],
            "trade",
            "ETH/EUR"
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
            error["message"].as_str().unwrap().contains("/1/0/3"),
            "the outgoing check names the side's position: {error}"
        );
    }
    assert!(client.close().await.is_empty());
}

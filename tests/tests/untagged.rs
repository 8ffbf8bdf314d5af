//! Messages without a tag, told apart by their shape (`tests/fixtures/untagged.yaml`), end to
//! end on real sockets: the server receives arrays, strings, integers and untagged objects, and
//! sends integers, arrays and untagged objects; the generated Rust client sends and receives
//! them too. Decoding takes both paths: straight from the text (a value whose first byte names
//! its message) and through a parsed value (objects, and anything that fails).

mod support;

use serde_json::{Value, json};
use socketsundso::{HandlerError, Incoming};
use socketsundso_tests::client_untagged as client_api;
use socketsundso_tests::untagged as api;
use support::{Client, WAIT, serve, url};

struct Ingest;

impl api::Handler for Ingest {
    async fn on_samples(
        &self,
        ctx: &api::Context,
        message: api::Samples,
    ) -> Result<api::Ack, HandlerError> {
        let last = message.last().copied().unwrap_or_default();
        ctx.send(api::Readings(vec![api::ReadingsItem {
            sensor: "t1".into(),
            value: last,
        }]))
        .expect("a push fits");
        Ok(api::Ack(message.len() as u64))
    }

    async fn on_note(&self, ctx: &api::Context, message: api::Note) -> Result<(), HandlerError> {
        ctx.send(api::Alert {
            alert: format!("noted: {}", message.as_str()),
            level: api::AlertLevel::Info,
        })
        .expect("a push fits");
        Ok(())
    }

    async fn on_sequence(
        &self,
        ctx: &api::Context,
        message: api::Sequence,
    ) -> Result<(), HandlerError> {
        ctx.send(api::Ack(message.0)).expect("a push fits");
        Ok(())
    }

    async fn on_login(
        &self,
        _ctx: &api::Context,
        message: api::Login,
    ) -> Result<api::Welcome, HandlerError> {
        Ok(api::Welcome {
            session: format!("s-for-{}", message.user.as_str()),
        })
    }

    async fn on_resume(
        &self,
        _ctx: &api::Context,
        message: api::Resume,
    ) -> Result<api::Welcome, HandlerError> {
        Ok(api::Welcome {
            session: message.session.to_string(),
        })
    }

    async fn on_subscribe(
        &self,
        ctx: &api::Context,
        message: api::Subscribe,
    ) -> Result<(), HandlerError> {
        let readings = message
            .sensors
            .iter()
            .map(|sensor| api::ReadingsItem {
                sensor: sensor.clone(),
                value: 0.5,
            })
            .collect();
        ctx.send(api::Readings(readings)).expect("a push fits");
        Ok(())
    }
}

async fn server() -> std::net::SocketAddr {
    serve(axum::Router::new().route("/ingest", api::Server::new(Ingest).into_route())).await
}

fn decode(text: &str) -> Result<api::ClientMessage, Value> {
    socketsundso::decode::<api::ClientMessage>(text)
        .map(|d| d.message)
        .map_err(|e| serde_json::to_value(e).expect("serializes"))
}

#[test]
fn shapes_pick_the_message() {
    assert_eq!(
        decode("[20.5, 21, 20.75]"),
        Ok(api::ClientMessage::Samples(api::Samples(vec![
            20.5, 21.0, 20.75
        ])))
    );
    assert!(
        matches!(decode(r#""door open""#), Ok(api::ClientMessage::Note(n)) if n.as_str() == "door open")
    );
    assert_eq!(
        decode("  42 "),
        Ok(api::ClientMessage::Sequence(api::Sequence(42)))
    );
    // `1.0` is an integer, as JSON Schema says.
    assert_eq!(
        decode("7.0"),
        Ok(api::ClientMessage::Sequence(api::Sequence(7)))
    );
    // Objects without the tag field: the property each one requires picks it.
    assert!(matches!(
        decode(r#"{"user":"ada","password":"pw"}"#),
        Ok(api::ClientMessage::Login(_))
    ));
    assert!(matches!(
        decode(r#"{"session":"s-9"}"#),
        Ok(api::ClientMessage::Resume(_))
    ));
    // The tagged message is untouched.
    assert!(matches!(
        decode(r#"{"type":"subscribe","sensors":["t1"]}"#),
        Ok(api::ClientMessage::Subscribe(_))
    ));
    assert_eq!(
        <api::ClientMessage as Incoming>::TAGS,
        ["subscribe"],
        "only tagged messages have tags"
    );
}

#[test]
fn a_bad_untagged_message_gets_every_violation_with_its_path() {
    let error = decode(r#"[1, "two", 3, null]"#).unwrap_err();
    assert_eq!(error["code"], "validation_failed", "{error}");
    let paths: Vec<(&str, &str)> = error["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|v| (v["path"].as_str().unwrap(), v["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, [("/1", "type"), ("/3", "type")], "{error}");
    let error = decode("[]").unwrap_err();
    assert_eq!(error["errors"][0]["kind"], "min_items", "{error}");
    let error = decode(&format!("{:?}", "x".repeat(281))).unwrap_err();
    assert_eq!(error["errors"][0]["kind"], "max_length", "{error}");
    assert_eq!(error["errors"][0]["path"], "", "{error}");
    let error = decode("-3").unwrap_err();
    assert_eq!(error["errors"][0]["kind"], "minimum", "{error}");
    // A number that is not whole is still the integer message, and breaks its `type`.
    let error = decode("2.5").unwrap_err();
    assert_eq!(error["errors"][0]["kind"], "type", "{error}");
    // An object: its own violations, the id field taken out (and put on the error).
    let error = decode(r#"{"id":4,"user":"","password":"pw","admin":true}"#).unwrap_err();
    assert_eq!(error["id"], 4, "{error}");
    let paths: Vec<(&str, &str)> = error["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|v| (v["path"].as_str().unwrap(), v["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [("/admin", "unknown_field"), ("/user", "min_length")],
        "{error}"
    );
    let error = decode(r#"{"session":"x"}"#).unwrap_err();
    assert_eq!(error["errors"][0]["path"], "/session", "{error}");
    assert_eq!(error["errors"][0]["kind"], "pattern", "{error}");
}

#[test]
fn a_value_that_fits_no_shape_says_what_would() {
    let error = decode("true").unwrap_err();
    assert_eq!(error["code"], "not_an_object", "{error}");
    assert_eq!(
        error["message"],
        "the message must be a JSON object or one of: an array (`samples`), a string (`note`), an integer (`sequence`), not a boolean"
    );
    // An object with neither key property nor tag.
    let error = decode(r#"{"password":"pw"}"#).unwrap_err();
    assert_eq!(error["code"], "missing_tag", "{error}");
    // An object with the tag field is a tagged message, whatever else it has.
    let error = decode(r#"{"type":"login","user":"ada","password":"pw"}"#).unwrap_err();
    assert_eq!(error["code"], "unknown_tag", "{error}");
}

#[tokio::test]
async fn untagged_messages_go_both_ways_on_a_real_socket() {
    let addr = server().await;
    let mut client = Client::connect(&url(addr, "/ingest")).await;
    client.send_text("[20.5, 21.0, 20.75]").await;
    // The pushed array, then the reply: an integer, as it is.
    assert_eq!(
        client.recv_json().await,
        json!([{"sensor": "t1", "value": 20.75}])
    );
    assert_eq!(client.recv_text().await, "3");
    client.send_text(r#""door open""#).await;
    assert_eq!(
        client.recv_json().await,
        json!({"alert": "noted: door open", "level": "info"})
    );
    client.send_text("17").await;
    assert_eq!(client.recv_text().await, "17");
    // An untagged object that carries the id: the reply (tagged) gets it back.
    client
        .send_json(&json!({"id": 5, "user": "ada", "password": "pw"}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "welcome", "id": 5, "session": "s-for-ada"})
    );
    client.send_json(&json!({"session": "s-1"})).await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "welcome", "session": "s-1"})
    );
    client.send_text("[1, \"two\"]").await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["path"], "/1", "{error}");
    client.send_text("null").await;
    assert_eq!(client.recv_json().await["code"], "not_an_object");
    assert!(client.close().await.is_empty());
}

#[tokio::test]
async fn the_rust_client_sends_and_routes_untagged_messages() {
    let addr = server().await;
    let (client, mut events) = client_api::client::Client::connect(url(addr, "/ingest"))
        .await
        .expect("connects");
    let mut next = async || {
        tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an event in time")
            .expect("the connection is open")
            .expect("a message")
    };
    client
        .send_samples(client_api::Samples(vec![1.0, 2.0]))
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        client_api::ServerMessage::Readings(client_api::Readings(vec![client_api::ReadingsItem {
            sensor: "t1".into(),
            value: 2.0,
        }]))
    );
    assert_eq!(
        next().await,
        client_api::ServerMessage::Ack(client_api::Ack(2))
    );
    client
        .send_note("hello".parse().expect("a note"))
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        client_api::ServerMessage::Alert(client_api::Alert {
            alert: "noted: hello".into(),
            level: client_api::AlertLevel::Info,
        })
    );
    // An untagged object's request has no id to match a reply by: its reply is an event.
    client
        .send_resume(client_api::Resume {
            session: "s-3".parse().expect("a session"),
        })
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        client_api::ServerMessage::Welcome(client_api::Welcome {
            session: "s-3".into(),
        })
    );
    // A bad message never leaves the client: the error is the server's own.
    match client.send_samples(client_api::Samples(vec![])).await {
        Err(client_api::client::ClientError::Invalid(error)) => {
            assert_eq!(error.errors[0].kind, "min_items");
        }
        other => panic!("{other:?}"),
    }
    client.close().await;
}

// A document where no message has a tag, in either direction (`fixtures/untagged-only.yaml`):
// its code compiles under `#![deny(warnings)]` and clippy (the golden is a module of the tests
// library), the server tells every message apart by its shape, and sends an `allOf` of arrays.

mod only {
    use std::num::NonZeroU64;

    use serde_json::json;
    use socketsundso::HandlerError;
    use socketsundso_tests::untagged_only as api;

    pub struct Feed;

    fn seen(n: u64) -> api::Seen {
        api::Seen(NonZeroU64::new(n).expect("not zero"))
    }

    impl api::Handler for Feed {
        async fn on_ping(
            &self,
            _ctx: &api::Context,
            _message: api::Ping,
        ) -> Result<api::Pong, HandlerError> {
            Ok(api::Pong::Pong)
        }

        async fn on_subscribe(
            &self,
            ctx: &api::Context,
            message: api::Subscribe,
        ) -> Result<(), HandlerError> {
            let tickers: Vec<_> = message
                .0
                .iter()
                .map(|symbol| json!({"s": symbol, "p": 1.5}))
                .collect();
            ctx.send(api::Tickers(tickers.into()))
                .expect("an array of tickers fits");
            Ok(())
        }

        async fn on_login(
            &self,
            _ctx: &api::Context,
            message: api::Login,
        ) -> Result<api::State, HandlerError> {
            Ok(api::State {
                user: message.user,
                session: "s-1".into(),
            })
        }

        async fn on_resume(
            &self,
            _ctx: &api::Context,
            message: api::Resume,
        ) -> Result<api::State, HandlerError> {
            Ok(api::State {
                user: "ada".into(),
                session: message.session,
            })
        }

        async fn on_level(
            &self,
            _ctx: &api::Context,
            _message: api::Level,
        ) -> Result<api::Seen, HandlerError> {
            Ok(seen(1))
        }

        async fn on_pause(
            &self,
            _ctx: &api::Context,
            _message: api::Pause,
        ) -> Result<api::Seen, HandlerError> {
            Ok(seen(2))
        }

        async fn on_reset(
            &self,
            _ctx: &api::Context,
            _message: api::Reset,
        ) -> Result<api::Seen, HandlerError> {
            Ok(seen(3))
        }
    }

    pub async fn server() -> std::net::SocketAddr {
        super::serve(axum::Router::new().route("/feed", api::Server::new(Feed).into_route())).await
    }
}

#[tokio::test]
async fn a_server_without_any_tag_tells_every_message_apart_by_its_shape() {
    let addr = only::server().await;
    let mut client = Client::connect(&url(addr, "/feed")).await;
    client.send_text(r#""ping""#).await;
    assert_eq!(client.recv_text().await, r#""pong""#);
    // Another string is no ping: the payload is fixed to `"ping"`.
    client.send_text(r#""pang""#).await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["path"], "", "{error}");
    assert_eq!(error["errors"][0]["kind"], "const", "{error}");
    // An `allOf` of a shared array schema and a size limit goes out as an array.
    client.send_text(r#"["BTC-USD","ETH-USD"]"#).await;
    assert_eq!(
        client.recv_json().await,
        json!([{"s": "BTC-USD", "p": 1.5}, {"s": "ETH-USD", "p": 1.5}])
    );
    // Told apart by the property each requires; the `state` the server sends declares both,
    // but the server never reads it, so it does not make them ambiguous.
    client.send_json(&json!({"user": "ada"})).await;
    assert_eq!(
        client.recv_json().await,
        json!({"user": "ada", "session": "s-1"})
    );
    client.send_json(&json!({"session": "s-7"})).await;
    assert_eq!(
        client.recv_json().await,
        json!({"user": "ada", "session": "s-7"})
    );
    for (text, seen) in [("2.5", "1"), ("true", "2"), ("null", "3")] {
        client.send_text(text).await;
        assert_eq!(client.recv_text().await, seen, "{text}");
    }
    // A tag means nothing here: there is no tagged message, and the error names the shapes
    // the server does receive instead of an empty list of tags.
    client.send_json(&json!({"type": "ping"})).await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "unknown_tag", "{error}");
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.starts_with("unknown message type `ping`: this API receives no tagged messages; the message must be one of: "),
        "{error}"
    );
    for shape in [
        "an object with `user` (`login`)",
        "an object with `session` (`resume`)",
        "an array (`subscribe`)",
    ] {
        assert!(message.contains(shape), "{shape}: {error}");
    }
    assert!(!message.contains("expected one of"), "{error}");
    // An object that fits no message has no `type` field, but no message here has one either.
    client.send_json(&json!({})).await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "missing_tag", "{error}");
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.starts_with("no message fits this object: this API receives no tagged messages; the message must be one of: "),
        "{error}"
    );
    assert!(
        message.contains("an object with `user` (`login`)"),
        "{error}"
    );
    assert!(!message.contains("no `type` field"), "{error}");
    assert!(client.close().await.is_empty());
}

#[tokio::test]
async fn the_clients_send_an_untagged_message_only_as_itself() {
    use socketsundso_tests::client_untagged_only as feed;
    let addr = only::server().await;
    let (client, mut events) = feed::client::Client::connect(url(addr, "/feed"))
        .await
        .expect("connects");
    let mut next = async || {
        tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an event in time")
            .expect("the connection is open")
            .expect("a message")
    };
    let refused = |result: Result<(), feed::client::ClientError>| match result {
        Err(feed::client::ClientError::Invalid(error)) => {
            serde_json::to_value(&*error).expect("serializes")
        }
        other => panic!("sent: {other:?}"),
    };
    // NaN is `null` in JSON: that is a reset, not a level.
    let error = refused(client.send_level(feed::Level(f64::NAN)).await);
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["path"], "", "{error}");
    assert_eq!(error["errors"][0]["kind"], "type", "{error}");
    refused(client.send_level(feed::Level(f64::INFINITY)).await);
    // A value that is another message's shape is refused as this one's. (A payload fixed to
    // one string is an enum of that value: `feed::Ping::Ping` is the only ping there is.)
    let error = refused(client.send_reset(feed::Reset(json!(5))).await);
    assert_eq!(error["errors"][0]["kind"], "type", "{error}");
    // Nothing of that reached the server: the next event is the pong.
    client.send_ping(feed::Ping::Ping).await.expect("sends");
    assert_eq!(next().await, feed::ServerMessage::Pong(feed::Pong::Pong));
    client.send_level(feed::Level(0.5)).await.expect("sends");
    assert_eq!(
        next().await,
        feed::ServerMessage::Seen(feed::Seen(std::num::NonZeroU64::new(1).expect("one")))
    );
    client
        .send_resume(feed::Resume {
            session: "s-2".into(),
        })
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        feed::ServerMessage::State(feed::State {
            user: "ada".into(),
            session: "s-2".into(),
        })
    );
    client
        .send_subscribe(feed::Subscribe(vec!["BTC-USD".into()]))
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        feed::ServerMessage::Tickers(feed::Tickers(json!([{"s": "BTC-USD", "p": 1.5}])))
    );
    client.close().await;
}

/// A closed object whose `oneOf` adds a constraint per branch (`fixtures/oneof-closed.yaml`):
/// its enum has a variant per branch (not none), and what a handler returns goes out, checked
/// against the schema in this debug build.
#[tokio::test]
async fn a_closed_object_with_branches_can_be_sent() {
    use socketsundso_tests::oneof_closed as closed;
    struct Go;
    impl closed::Handler for Go {
        async fn on_go(
            &self,
            _ctx: &closed::Context,
            _message: closed::Go,
        ) -> Result<closed::Outcome, HandlerError> {
            Ok(closed::Outcome::Variant1 {
                error: "no luck".into(),
                ok: json!(false),
            })
        }
    }
    let addr = serve(axum::Router::new().route("/c", closed::Server::new(Go).into_route())).await;
    let mut client = Client::connect(&url(addr, "/c")).await;
    client.send_json(&json!({"type": "go"})).await;
    assert_eq!(
        client.recv_json().await,
        json!({"type": "outcome", "error": "no luck", "ok": false})
    );
    assert!(client.close().await.is_empty());
}

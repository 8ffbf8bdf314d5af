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

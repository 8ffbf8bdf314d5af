//! End to end: the generated Rust client (`tests/fixtures/client/example-*.rs`, generated from
//! the examples' documents with `Config::rust_client(true)`) against the real basics and chat
//! servers, on real sockets (127.0.0.1, port 0).
//!
//! The timeout, the dropped connection and the typed validation error need a server whose
//! handlers can be slow and whose schema has constraints: `tests/role.rs` has those.

mod support;

use futures_util::{FutureExt as _, StreamExt};
use socketsundso_tests::client_example_basics as basics;
use socketsundso_tests::client_example_chat as chat;
use support::{QUIET, WAIT, serve, url};

use basics::client::{Client, ClientError, Events, Settings};

/// A basics server, and a client connected to it.
async fn basics_client() -> (Client, Events) {
    let addr = serve(basics_example::app()).await;
    Client::connect(url(addr, basics_example::ROUTE))
        .await
        .expect("connects")
}

/// The next event, within [`WAIT`].
async fn next<S: std::fmt::Debug>(
    events: &mut socketsundso::client::Events<S>,
) -> Result<S, ClientError> {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event within the wait")
        .expect("the connection is open")
}

/// Asserts that no event arrives within [`QUIET`].
async fn assert_quiet<S: std::fmt::Debug>(events: &mut socketsundso::client::Events<S>) {
    if let Ok(event) = tokio::time::timeout(QUIET, events.next()).await {
        panic!("expected no event, got {event:?}");
    }
}

fn assert_now(time: &socketsundso::codegen::chrono::DateTime<socketsundso::codegen::chrono::Utc>) {
    let age = socketsundso::codegen::chrono::Utc::now() - *time;
    assert!(age.num_seconds().abs() < 60, "{time} is not now");
}

#[tokio::test]
async fn every_request_gets_its_typed_reply() {
    let (client, mut events) = basics_client().await;
    let pong: basics::Pong = client.request_ping(basics::Ping {}).await.expect("pong");
    assert_now(&pong.time);
    let reply = client
        .request_message(basics::Message {
            msg: "hello".into(),
        })
        .await
        .expect("reply");
    assert_eq!(
        reply,
        basics::Reply {
            msg: "hello".into()
        }
    );
    // `time` → `now`, whose tag is `time` too
    let now: basics::Now = client.request_time(basics::Time {}).await.expect("now");
    assert_now(&now.now);
    let echo = basics::Echo {
        message: "a\"b\\é🎉".into(),
    };
    assert_eq!(client.request_echo(echo.clone()).await.expect("echo"), echo);
    // Replies go to their requests, never to the events.
    assert_quiet(&mut events).await;

    // `goodbye` replies, then the server closes the connection normally.
    let bye = client
        .request_goodbye(basics::Goodbye {})
        .await
        .expect("reply");
    assert_eq!(bye.msg, "goodbye");
    let end = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("ends");
    assert!(end.is_none(), "the events end with the connection: {end:?}");
    let closed = client.connection().closed().expect("closed");
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (Some(1000), "goodbye")
    );
    match client.request_ping(basics::Ping {}).await {
        Err(ClientError::Closed(why)) => assert_eq!(why, closed),
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[tokio::test]
async fn sent_messages_get_their_replies_as_events_in_order() {
    let (client, mut events) = basics_client().await;
    client.send_ping(basics::Ping {}).await.expect("sent");
    client
        .send_message(basics::Message { msg: "one".into() })
        .await
        .expect("sent");
    client.send_time(basics::Time {}).await.expect("sent");
    client
        .send_echo(basics::Echo {
            message: "two".into(),
        })
        .await
        .expect("sent");
    client.send_goodbye(basics::Goodbye {}).await.expect("sent");
    match next(&mut events).await {
        Ok(basics::ServerMessage::Pong(pong)) => assert_now(&pong.time),
        other => panic!("expected a pong, got {other:?}"),
    }
    assert_eq!(
        next(&mut events).await.expect("a message"),
        basics::ServerMessage::Reply(basics::Reply { msg: "one".into() })
    );
    match next(&mut events).await {
        Ok(basics::ServerMessage::Now(now)) => assert_now(&now.now),
        other => panic!("expected the time, got {other:?}"),
    }
    assert_eq!(
        next(&mut events).await.expect("a message"),
        basics::ServerMessage::Echo(basics::Echo {
            message: "two".into()
        })
    );
    assert_eq!(
        next(&mut events).await.expect("a message"),
        basics::ServerMessage::Reply(basics::Reply {
            msg: "goodbye".into()
        })
    );
    assert!(events.next().await.is_none(), "closed after goodbye");
}

#[tokio::test]
async fn concurrent_requests_are_matched_by_their_ids() {
    let (client, mut events) = basics_client().await;
    let requests = (0..200).map(|i| {
        let client = client.clone();
        async move {
            let reply = client
                .request_message(basics::Message {
                    msg: format!("message {i}"),
                })
                .await
                .expect("reply");
            assert_eq!(reply.msg, format!("message {i}"));
        }
    });
    futures_util::future::join_all(requests).await;
    // Interleaved with messages that are not requests.
    client
        .send_message(basics::Message {
            msg: "event".into(),
        })
        .await
        .expect("sent");
    let echo = client
        .request_echo(basics::Echo {
            message: "request".into(),
        })
        .await
        .expect("echo");
    assert_eq!(echo.message, "request");
    assert_eq!(
        next(&mut events).await.expect("a message"),
        basics::ServerMessage::Reply(basics::Reply {
            msg: "event".into()
        })
    );
    assert_quiet(&mut events).await;
}

#[tokio::test]
async fn an_invalid_message_is_refused_with_the_servers_own_error_object() {
    let addr = serve(basics_example::app()).await;
    let (client, mut events) = Client::connect(url(addr, basics_example::ROUTE))
        .await
        .expect("connects");
    let bad = [
        r#"{"type":"message"}"#,
        r#"{"type":"message","msg":5,"extra":true}"#,
        r#"{"type":"shout"}"#,
        r#"{"msg":"no tag"}"#,
        r#"[1,2]"#,
        r#"{"type":"echo","message":"x","message":"y"}"#,
        r#"{"type":"ping","id":7,"x":1}"#,
    ];
    // A second client that sends them anyway, to see what the server says.
    let (unchecked, mut server_says) = Client::connect_with(
        url(addr, basics_example::ROUTE),
        Settings::new().check_outgoing(false),
    )
    .await
    .expect("connects");
    for text in bad {
        let refused = match client.connection().send_text(text).await {
            Err(ClientError::Invalid(error)) => *error,
            other => panic!("{text}: expected Invalid, got {other:?}"),
        };
        unchecked.connection().send_text(text).await.expect("sent");
        let answered = match next(&mut server_says).await {
            Err(ClientError::Server(error)) => *error,
            other => panic!("{text}: expected the server's error, got {other:?}"),
        };
        assert_eq!(refused, answered, "{text}");
        assert!(!refused.errors.is_empty() || refused.code == "invalid_json");
    }
    // Nothing reached the server: it would have answered each with an error, and since it
    // handles a connection's messages in order, those errors would have come before this reply.
    client.request_ping(basics::Ping {}).await.expect("pong");
    assert!(events.try_next().is_none(), "the server never saw them");
    assert_quiet(&mut events).await;
}

#[tokio::test]
async fn a_dropped_request_lets_its_late_reply_through_to_the_events() {
    let (client, mut events) = basics_client().await;
    // A request that stops waiting before its reply can possibly have come: polled once, then
    // dropped. (A zero timeout is not enough: its timer fires on the next millisecond tick, and
    // a fast server's reply can come first.)
    let gone = client
        .request_message(basics::Message { msg: "late".into() })
        .now_or_never();
    assert!(gone.is_none(), "the request cannot have been answered yet");
    assert_eq!(
        next(&mut events).await.expect("a message"),
        basics::ServerMessage::Reply(basics::Reply { msg: "late".into() })
    );
}

#[tokio::test]
async fn connecting_to_nothing_fails() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    match Client::connect(url(addr, "/")).await {
        Err(ClientError::Connect(_)) => {}
        other => panic!("expected a connect error, got {:?}", other.map(|_| ())),
    }
    // A server that refuses the upgrade (no such route).
    let addr = serve(basics_example::app()).await;
    match Client::connect(url(addr, "/nowhere")).await {
        Err(ClientError::Connect(e)) => assert!(e.to_string().contains("404"), "{e}"),
        other => panic!("expected a connect error, got {:?}", other.map(|_| ())),
    }
}

/// Connects chat client `id` to `room` and reads its own join.
async fn chat_client(
    addr: std::net::SocketAddr,
    room: &str,
    id: i64,
) -> (chat::client::Client, chat::client::Events) {
    let (client, mut events) =
        chat::client::Client::connect(url(addr, &format!("/room/{room}/{id}")))
            .await
            .expect("connects");
    assert_eq!(
        next(&mut events).await.expect("a message"),
        chat::ServerMessage::Join(chat::Join {
            client_id: id.into()
        }),
        "{room}/{id}: own join"
    );
    (client, events)
}

#[tokio::test]
async fn chat_every_message_type() {
    let addr = serve(chat_example::app()).await;
    let (one, mut one_events) = chat_client(addr, "lobby", 1).await;
    let (two, mut two_events) = chat_client(addr, "lobby", 2).await;
    assert_eq!(
        next(&mut one_events).await.expect("a message"),
        chat::ServerMessage::Join(chat::Join {
            client_id: 2.into()
        })
    );
    // `message`: to the whole room, with its sender
    one.send_message(chat::Message {
        msg: "hi all".into(),
    })
    .await
    .expect("sent");
    let said = chat::ServerMessage::ChatMessage(chat::ChatMessage {
        msg: "hi all".into(),
        sender: 1.into(),
    });
    assert_eq!(next(&mut one_events).await.expect("a message"), said);
    assert_eq!(next(&mut two_events).await.expect("a message"), said);
    // `whisper`: to its recipient only
    two.send_whisper(chat::Whisper {
        to: 1.into(),
        msg: "psst".into(),
    })
    .await
    .expect("sent");
    assert_eq!(
        next(&mut one_events).await.expect("a message"),
        chat::ServerMessage::WhisperDelivery(chat::WhisperDelivery {
            from: 2.into(),
            msg: "psst".into(),
        })
    );
    assert_quiet(&mut two_events).await;
    // an error that no request owns: a whisper to nobody
    one.send_whisper(chat::Whisper {
        to: 99.into(),
        msg: "anyone?".into(),
    })
    .await
    .expect("sent");
    match next(&mut one_events).await {
        Err(ClientError::Server(error)) => {
            assert_eq!(error.code, "validation_failed");
            assert_eq!(error.id, None);
            assert_eq!(error.errors.len(), 1);
            assert_eq!(
                (error.errors[0].path.as_str(), &*error.errors[0].kind),
                ("/to", "invalid")
            );
            assert_eq!(error.errors[0].message, "recipient not found");
        }
        other => panic!("expected the server's error, got {other:?}"),
    }
    // `leave`: when a client goes, the others hear it
    two.close().await;
    assert!(two_events.next().await.is_none(), "closed");
    assert_eq!(
        next(&mut one_events).await.expect("a message"),
        chat::ServerMessage::Leave(chat::Leave {
            client_id: 2.into()
        })
    );
    match two.send_message(chat::Message { msg: "?".into() }).await {
        Err(ClientError::Closed(closed)) => assert_eq!(closed.code, Some(1000)),
        other => panic!("expected Closed, got {other:?}"),
    }
    // Events is a Stream too.
    one.send_message(chat::Message { msg: "bye".into() })
        .await
        .expect("sent");
    let event = tokio::time::timeout(WAIT, StreamExt::next(&mut one_events))
        .await
        .expect("in time");
    assert!(
        matches!(event, Some(Ok(chat::ServerMessage::ChatMessage(_)))),
        "{event:?}"
    );
    assert_quiet(&mut one_events).await;
}

/// The README's snippet ("The Rust client"), as written there, against the basics server.
async fn readme_snippet(url: &str) -> Result<Vec<String>, ClientError> {
    use socketsundso_tests::client_example_basics as api;
    let mut printed = vec![];

    // --- from the README
    let (client, mut events) = Client::connect(url).await?;
    let pong: api::Pong = client.request_ping(api::Ping {}).await?; // the reply with the same id
    client
        .send_message(api::Message { msg: "hi".into() })
        .await?; // fire and forget
    // A bad message never leaves the client; the error is the one the server would send.
    match client.connection().send_text(r#"{"type":"message"}"#).await {
        Err(ClientError::Invalid(error)) => assert_eq!(error.errors[0].path, "/msg"),
        other => panic!("{other:?}"),
    }
    client.close().await;
    while let Some(event) = events.next().await {
        // everything else, until the connection has closed
        match event {
            Ok(api::ServerMessage::Reply(reply)) => printed.push(reply.msg), // "hi"
            Ok(other) => printed.push(format!("{other:?}")),
            Err(error) => printed.push(error.to_string()), // e.g. an error no request owns
        }
    }
    // --- end

    assert_now(&pong.time);
    Ok(printed)
}

#[tokio::test]
async fn the_readme_snippet_works() {
    let addr = serve(basics_example::app()).await;
    let printed = readme_snippet(&url(addr, basics_example::ROUTE))
        .await
        .expect("the snippet runs");
    assert_eq!(printed, ["hi"]);
}

mod kraken {
    //! A Kraken-like API (`tests/fixtures/kraken-like.yaml`): tagged by `event`, correlated by
    //! `reqid`, which some payloads declare themselves; `subscribe` replies with one of two
    //! messages. The server is the fixture's generated server, the client its generated client.

    use socketsundso::{HandlerError, Reject};
    use socketsundso_tests::client_kraken_like as api;
    use socketsundso_tests::kraken_like as server;

    use super::{ClientError, next, serve, url};

    struct Exchange;

    impl server::Handler for Exchange {
        async fn on_connect(&self, ctx: &server::Context) -> Result<(), Reject> {
            let _ = ctx.send(server::SystemStatus {
                connection_id: Some(7),
                status: server::SystemStatusStatus::Online,
                version: None,
            });
            Ok(())
        }

        async fn on_ping(
            &self,
            _ctx: &server::Context,
            message: server::Ping,
        ) -> Result<server::Pong, HandlerError> {
            // `pong` declares `reqid`: the handler puts it on.
            Ok(server::Pong {
                reqid: message.reqid,
            })
        }

        async fn on_subscribe(
            &self,
            _ctx: &server::Context,
            message: server::Subscribe,
        ) -> Result<server::SubscribeReply, HandlerError> {
            use server::SubscribeSubscriptionName as Name;
            match message.subscription.name {
                Name::Ticker => Ok(server::SubscriptionStatus {
                    channel_name: Some("ticker".into()),
                    pair: message.pair.first().cloned(),
                    status: server::SubscriptionStatusStatus::Subscribed,
                }
                .into()),
                Name::Trade => Err(HandlerError::new("trading is closed")),
                _ => Ok(server::SubscriptionRejected {
                    error_message: "not offered".into(),
                }
                .into()),
            }
        }
    }

    fn subscribe(name: api::SubscribeSubscriptionName) -> api::Subscribe {
        api::Subscribe {
            pair: vec!["XBT/USD".parse().expect("a pair")],
            subscription: api::SubscribeSubscription { depth: None, name },
        }
    }

    #[tokio::test]
    async fn another_tag_field_an_id_field_of_its_own_and_replies_of_several_kinds() {
        let app = axum::Router::new().route("/", server::Server::new(Exchange).into_route());
        let addr = serve(app).await;
        let (client, mut events) = api::client::Client::connect(url(addr, "/"))
            .await
            .expect("connects");
        assert_eq!(
            next(&mut events).await.expect("a message"),
            api::ServerMessage::SystemStatus(api::SystemStatus {
                connection_id: Some(7),
                status: api::SystemStatusStatus::Online,
                version: None,
            })
        );

        // `ping` declares `reqid`: the payload's own id correlates the request ...
        let pong = client
            .request_ping(api::Ping {
                reqid: Some(api::Reqid(42)),
            })
            .await
            .expect("pong");
        assert_eq!(pong.reqid, Some(api::Reqid(42)));
        // ... and without one, the client puts its own on.
        let pong = client
            .request_ping(api::Ping { reqid: None })
            .await
            .expect("pong");
        assert!(pong.reqid.is_some());
        // Two waiting requests cannot share an id.
        let (first, second) = tokio::join!(
            client.request_ping(api::Ping {
                reqid: Some(api::Reqid(5)),
            }),
            client.request_ping(api::Ping {
                reqid: Some(api::Reqid(5)),
            }),
        );
        assert_eq!(first.expect("pong").reqid, Some(api::Reqid(5)));
        match second {
            Err(ClientError::IdInUse(id)) => assert_eq!(id, 5),
            other => panic!("expected IdInUse, got {other:?}"),
        }

        // `subscribe` replies with one of two messages: the reply enum.
        use api::SubscribeSubscriptionName as Name;
        match client.request_subscribe(subscribe(Name::Ticker)).await {
            Ok(api::SubscribeReply::SubscriptionStatus(status)) => {
                assert_eq!(status.status, api::SubscriptionStatusStatus::Subscribed);
                assert_eq!(status.channel_name.as_deref(), Some("ticker"));
            }
            other => panic!("expected a status, got {other:?}"),
        }
        match client.request_subscribe(subscribe(Name::Book)).await {
            Ok(api::SubscribeReply::SubscriptionRejected(rejected)) => {
                assert_eq!(rejected.error_message, "not offered");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        // An error object tagged by the API's field (`{"event":"error",…}`).
        match client.request_subscribe(subscribe(Name::Trade)).await {
            Err(ClientError::Server(error)) => {
                assert_eq!(error.code, "handler_error");
                assert_eq!(error.message, "trading is closed");
                assert!(error.id.is_some());
            }
            other => panic!("expected the server's error, got {other:?}"),
        }
        // Refused before sending: `pair` needs an item; `depth` is one of a few values.
        let text = r#"{"event":"subscribe","pair":[],"subscription":{"name":"book","depth":7}}"#;
        match client.connection().send_text(text).await {
            Err(ClientError::Invalid(error)) => {
                let found: Vec<(&str, &str)> = error
                    .errors
                    .iter()
                    .map(|v| (v.path.as_str(), &*v.kind))
                    .collect();
                assert_eq!(
                    found,
                    [("/pair", "min_items"), ("/subscription/depth", "enum")]
                );
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        super::assert_quiet(&mut events).await;
    }
}

mod nested {
    //! A tag inside a nested envelope (`tests/fixtures/nested-tag.yaml`, tag field
    //! `header.type`): the tag stays in the payload, and error objects keep `type`.

    use socketsundso::HandlerError;
    use socketsundso::codegen::serde_json::json;
    use socketsundso_tests::client_nested_tag as api;
    use socketsundso_tests::nested_tag as server;

    use super::{ClientError, next, serve, url};

    struct Room;

    impl server::Handler for Room {
        async fn on_chat_send(
            &self,
            ctx: &server::Context,
            message: server::Send,
        ) -> Result<server::Ack, HandlerError> {
            let _ = ctx.send(server::Posted {
                header: server::PostedHeader {
                    type_: json!("chat.posted"),
                },
                body: server::PostedBody {
                    from: "me".into(),
                    room: message.body.room.to_string(),
                    text: message.body.text.to_string(),
                },
            });
            Ok(server::Ack {
                header: server::AckHeader {
                    seq: message.header.seq,
                    type_: json!("chat.ack"),
                },
                body: server::AckBody { accepted: true },
            })
        }

        async fn on_chat_typing(
            &self,
            _ctx: &server::Context,
            _message: server::Typing,
        ) -> Result<(), HandlerError> {
            Err(HandlerError::new("nobody is listening"))
        }
    }

    fn send(kind: &str, seq: u64) -> api::Send {
        api::Send {
            header: api::SendHeader {
                seq: api::Seq(seq),
                type_: json!(kind),
            },
            body: api::SendBody {
                room: "lobby".parse().expect("a room"),
                text: "hi".parse().expect("a text"),
            },
        }
    }

    #[tokio::test]
    async fn a_nested_tag() {
        let app = axum::Router::new().route("/chat", server::Server::new(Room).into_route());
        let addr = serve(app).await;
        let (client, mut events) = api::client::Client::connect(url(addr, "/chat"))
            .await
            .expect("connects");
        let ack = client
            .request_chat_send(send("chat.send", 3))
            .await
            .expect("ack");
        assert_eq!(ack.header.seq, api::Seq(3));
        assert!(ack.body.accepted);
        match next(&mut events).await {
            Ok(api::ServerMessage::Posted(posted)) => assert_eq!(posted.body.text, "hi"),
            other => panic!("expected the posted message, got {other:?}"),
        }
        // An error object no request owns: with a nested tag field it is tagged by `type`.
        client
            .send_chat_typing(api::Typing {
                header: api::TypingHeader {
                    type_: json!("chat.typing"),
                },
                body: api::TypingBody {
                    room: "lobby".into(),
                },
            })
            .await
            .expect("sent");
        match next(&mut events).await {
            Err(ClientError::Server(error)) => {
                assert_eq!(error.code, "handler_error");
                assert_eq!(error.message, "nobody is listening");
            }
            other => panic!("expected the server's error, got {other:?}"),
        }
        // The tag is a field of the payload here, so a typed message can carry a wrong one.
        match client.request_chat_send(send("chat.sned", 4)).await {
            Err(ClientError::Invalid(error)) => {
                assert_eq!(error.code, "unknown_tag");
                assert_eq!(error.errors[0].path, "/header/type");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        super::assert_quiet(&mut events).await;
    }
}

//! Which side a document describes (`x-socketsundso-role`), end to end.
//!
//! `tests/fixtures/role-client.yaml` writes an API down from the client's side (the client
//! `send`s `ping`, `divide` and `say`, with replies, and `receive`s `heard` and `notice`);
//! `role-server.yaml` is the same API written from the server's side. The server here is
//! generated from the server's document (`role_server`), the client from the client's document
//! (`client_role_client`, with `Config::rust_client(true)`), and they talk over a real socket.
//!
//! The same server also shows what the examples cannot: a typed message that breaks its schema
//! and is refused before it is sent, a request that times out, and a server that goes away
//! while requests wait.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use socketsundso::codegen::Incoming;
use socketsundso::{HandlerError, Reject};
use socketsundso_codegen::Config;
use socketsundso_codegen::extensions::Role;
use socketsundso_tests::client_role_client as api;
use socketsundso_tests::role_server as server;
use support::{QUIET, WAIT, serve, url};

use api::client::{Client, ClientError, Events, Settings};

/// The server's handlers: `ping` answers after `delay_ms`, `divide` divides (by zero is an
/// error), `say` is heard `times` times. Every client gets a `notice` when it connects.
#[derive(Default)]
struct Game {
    /// How many `say` messages reached the server.
    says: AtomicUsize,
}

impl server::Handler for Game {
    async fn on_connect(&self, ctx: &server::Context) -> Result<(), Reject> {
        let _ = ctx.send(server::Notice {
            text: "welcome".into(),
        });
        Ok(())
    }

    async fn on_ping(
        &self,
        _ctx: &server::Context,
        message: server::Ping,
    ) -> Result<server::Pong, HandlerError> {
        let delay = message.delay_ms.unwrap_or(0).unsigned_abs();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Ok(server::Pong { delayed_ms: delay })
    }

    async fn on_divide(
        &self,
        _ctx: &server::Context,
        message: server::Divide,
    ) -> Result<server::Quotient, HandlerError> {
        if message.b == 0.0 {
            return Err(HandlerError::invalid("/b", "division by zero"));
        }
        Ok(server::Quotient {
            value: message.a / message.b,
        })
    }

    async fn on_say(
        &self,
        ctx: &server::Context,
        message: server::Say,
    ) -> Result<(), HandlerError> {
        self.says.fetch_add(1, Ordering::SeqCst);
        for _ in 0..message.times.get() {
            let _ = ctx.send(server::Heard {
                text: message.text.clone(),
            });
        }
        Ok(())
    }
}

const ROUTE: &str = "/game";

fn app(game: Arc<Game>) -> axum::Router {
    axum::Router::new().route(ROUTE, server::Server::from_arc(game).into_route())
}

/// Connects with `settings` and reads the greeting.
async fn connect(addr: SocketAddr, settings: Settings) -> (Client, Events) {
    let (client, mut events) = Client::connect_with(url(addr, ROUTE), settings)
        .await
        .expect("connects");
    assert_eq!(
        next(&mut events).await.expect("a message"),
        api::ServerMessage::Notice(api::Notice {
            text: "welcome".into()
        })
    );
    (client, events)
}

async fn next(events: &mut Events) -> Result<api::ServerMessage, ClientError> {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event within the wait")
        .expect("the connection is open")
}

async fn assert_quiet(events: &mut Events) {
    if let Ok(event) = tokio::time::timeout(QUIET, events.next()).await {
        panic!("expected no event, got {event:?}");
    }
}

#[tokio::test]
async fn the_client_of_one_document_talks_to_the_server_of_the_other() {
    let addr = serve(app(Arc::default())).await;
    let (client, mut events) = connect(addr, Settings::default()).await;
    assert_eq!(
        client
            .request_ping(api::Ping::default())
            .await
            .expect("pong"),
        api::Pong { delayed_ms: 0 }
    );
    let quotient = client
        .request_divide(api::Divide { a: 7.0, b: 2.0 })
        .await
        .expect("quotient");
    assert_eq!(quotient, api::Quotient { value: 3.5 });
    client
        .send_say(api::Say {
            text: "hello".into(),
            times: 2.try_into().expect("not zero"),
        })
        .await
        .expect("sent");
    let heard = api::ServerMessage::Heard(api::Heard {
        text: "hello".into(),
    });
    assert_eq!(next(&mut events).await.expect("a message"), heard);
    assert_eq!(next(&mut events).await.expect("a message"), heard);
    assert_quiet(&mut events).await;
    client.close().await;
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn an_error_reply_fails_its_request_and_the_connection_goes_on() {
    let addr = serve(app(Arc::default())).await;
    let (client, mut events) = connect(addr, Settings::default()).await;
    match client.request_divide(api::Divide { a: 1.0, b: 0.0 }).await {
        Err(ClientError::Server(error)) => {
            assert_eq!(error.code, "validation_failed");
            assert!(error.id.is_some(), "the error carries the request's id");
            assert_eq!(error.errors.len(), 1);
            assert_eq!(error.errors[0].path, "/b");
            assert_eq!(error.errors[0].kind, "invalid");
            assert_eq!(error.errors[0].message, "division by zero");
        }
        other => panic!("expected the server's error, got {other:?}"),
    }
    let quotient = client
        .request_divide(api::Divide { a: 1.0, b: 4.0 })
        .await
        .expect("quotient");
    assert_eq!(quotient.value, 0.25);
    assert_quiet(&mut events).await;
}

#[tokio::test]
async fn a_typed_message_that_breaks_its_schema_is_refused_as_the_server_would_refuse_it() {
    let game = Arc::new(Game::default());
    let addr = serve(app(Arc::clone(&game))).await;
    let (client, mut events) = connect(addr, Settings::default()).await;
    // The same messages from a client that does not check, to see what the server says.
    let (unchecked, mut server_says) = connect(addr, Settings::new().check_outgoing(false)).await;

    // `times` is at most 3: the Rust type (a non-zero integer) does not say so, the schema does.
    let say = api::Say {
        text: "hi".into(),
        times: 5.try_into().expect("not zero"),
    };
    let refused = match client.send_say(say.clone()).await {
        Err(ClientError::Invalid(error)) => *error,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(refused.code, "validation_failed");
    assert_eq!(refused.errors.len(), 1);
    assert_eq!(
        (refused.errors[0].path.as_str(), &*refused.errors[0].kind),
        ("/times", "maximum")
    );
    unchecked.send_say(say).await.expect("sent unchecked");
    match next(&mut server_says).await {
        Err(ClientError::Server(answered)) => assert_eq!(*answered, refused),
        other => panic!("expected the server's error, got {other:?}"),
    }

    // A request: the error carries the id the request would have had, as the server's does
    // (both connections are fresh, so both count from the same number).
    let ping = api::Ping {
        delay_ms: Some(20_000),
    };
    let refused = match client.request_ping(ping.clone()).await {
        Err(ClientError::Invalid(error)) => *error,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(
        (refused.errors[0].path.as_str(), &*refused.errors[0].kind),
        ("/delay_ms", "maximum")
    );
    match unchecked.request_ping(ping).await {
        Err(ClientError::Server(answered)) => assert_eq!(*answered, refused),
        other => panic!("expected the server's error, got {other:?}"),
    }

    // What the serializer makes of a value counts, not the value: NaN is written as `null`.
    let divide = api::Divide {
        a: f64::NAN,
        b: 1.0,
    };
    let refused = match client.request_divide(divide.clone()).await {
        Err(ClientError::Invalid(error)) => *error,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(
        (refused.errors[0].path.as_str(), &*refused.errors[0].kind),
        ("/a", "type")
    );
    match unchecked.request_divide(divide).await {
        Err(ClientError::Server(answered)) => assert_eq!(*answered, refused),
        other => panic!("expected the server's error, got {other:?}"),
    }

    // Nothing of it reached the server from the checking client. The server handles a
    // connection's messages in order, so an error for any of them would have arrived before
    // this reply.
    client
        .request_ping(api::Ping::default())
        .await
        .expect("pong");
    assert!(events.try_next().is_none(), "the server never saw them");
    // No handler ran for an invalid message, from either client; a valid one gets through.
    assert_eq!(game.says.load(Ordering::SeqCst), 0);
    client
        .send_say(api::Say {
            text: "hi".into(),
            times: 1.try_into().expect("not zero"),
        })
        .await
        .expect("sent");
    assert_eq!(
        next(&mut events).await.expect("a message"),
        api::ServerMessage::Heard(api::Heard { text: "hi".into() })
    );
    assert_eq!(game.says.load(Ordering::SeqCst), 1);
    assert_quiet(&mut events).await;
}

#[tokio::test]
async fn a_request_times_out_and_its_late_reply_becomes_an_event() {
    let addr = serve(app(Arc::default())).await;
    let limit = Duration::from_millis(100);
    let (client, mut events) = connect(addr, Settings::new().request_timeout(limit)).await;
    let started = std::time::Instant::now();
    match client
        .request_ping(api::Ping {
            delay_ms: Some(2_000),
        })
        .await
    {
        Err(ClientError::Timeout(after)) => assert_eq!(after, limit),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // It did not wait for the reply (loose bound: the machine may be busy).
    assert!(started.elapsed() < Duration::from_millis(1_500));
    // The reply still comes, and no request owns it any more.
    assert_eq!(
        next(&mut events).await.expect("a message"),
        api::ServerMessage::Pong(api::Pong { delayed_ms: 2_000 })
    );
    // Fast requests still work on the same connection.
    client
        .request_ping(api::Ping::default())
        .await
        .expect("pong");
}

/// A server on a runtime of its own, so that the test can make it vanish with all its
/// connections (as a crashed process would) by shutting that runtime down.
struct Vanishing(Option<tokio::runtime::Runtime>);

impl Vanishing {
    fn serve(app: axum::Router) -> (SocketAddr, Self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local address");
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            axum::serve(listener, app).await.expect("axum::serve");
        });
        (addr, Self(Some(runtime)))
    }

    /// Drops every task of the server: its sockets close without a close frame.
    fn vanish(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Vanishing {
    fn drop(&mut self) {
        // A runtime may not be dropped inside another one, as a failing test would.
        self.vanish();
    }
}

#[tokio::test]
async fn pending_requests_fail_when_the_connection_drops() {
    let (addr, mut server) = Vanishing::serve(app(Arc::default()));
    let (client, mut events) = connect(addr, Settings::default()).await;
    // Three requests that the server will never answer in time.
    let pending: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .request_ping(api::Ping {
                        delay_ms: Some(10_000),
                    })
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dropped = std::time::Instant::now();
    server.vanish();
    for request in pending {
        match request.await.expect("the task") {
            Err(ClientError::Closed(closed)) => {
                assert_eq!(closed.code, None, "no close frame: {closed}");
            }
            other => panic!("expected Closed, got {other:?}"),
        }
    }
    assert!(
        dropped.elapsed() < Duration::from_secs(5),
        "the requests failed when the connection dropped, not at their timeout"
    );
    let end = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("ends");
    assert!(end.is_none(), "the events end: {end:?}");
    match client.request_ping(api::Ping::default()).await {
        Err(ClientError::Closed(_)) => {}
        other => panic!("expected Closed, got {other:?}"),
    }
    match client
        .send_say(api::Say {
            text: "anyone?".into(),
            times: 1.try_into().expect("not zero"),
        })
        .await
    {
        Err(ClientError::Closed(_)) => {}
        other => panic!("expected Closed, got {other:?}"),
    }
}

/// The generated code minus its first line, which names the document.
fn generated(spec: &str, role: Option<Role>, client: bool) -> String {
    let config = Config::new(format!("fixtures/{spec}")).rust_client(client);
    let config = match role {
        Some(role) => config.role(role),
        None => config,
    };
    let rust = config.generate().expect("generates").rust;
    rust.split_once('\n').expect("a header").1.to_owned()
}

#[test]
fn both_documents_generate_the_same_message_directions() {
    // Byte for byte the same server and client, whichever side the document was written from.
    for client in [false, true] {
        assert_eq!(
            generated("role-client.yaml", None, client),
            generated("role-server.yaml", None, client),
        );
    }
    // `--role` says the same as the document's setting.
    assert_eq!(
        generated("role-client.yaml", None, true),
        generated("role-client.yaml", Some(Role::Client), true),
    );
    // and the setting matters: read as a server's document, the directions flip.
    assert_ne!(
        generated("role-client.yaml", Some(Role::Server), false),
        generated("role-server.yaml", None, false),
    );

    // What the generated code says about the directions.
    type Received = api::ClientMessage;
    type Sent = api::ServerMessage;
    assert_eq!(<Received as Incoming>::TAGS, ["ping", "divide", "say"]);
    assert_eq!(
        <server::ClientMessage as Incoming>::TAGS,
        <Received as Incoming>::TAGS
    );
    let mut sent = <Sent as Incoming>::TAGS.to_vec();
    sent.sort_unstable();
    assert_eq!(sent, ["heard", "notice", "pong", "quotient"]);
}

//! End to end: the runtime's semantics on real sockets, with the API generated from
//! `fixtures/semantics.yaml` (the golden `fixtures/semantics.rs`, compiled into
//! `socketsundso_tests::semantics`), mounted at `/ws/{user}` on a router with state.
//!
//! - correlation ids: copied onto replies and onto every error a message causes;
//! - handler errors and panics (async and blocking): an error message, and the connection and
//!   the others stay usable;
//! - a blocking handler does not hold up other connections;
//! - per-connection state (`Context::set_state` / `state`) and the router's state
//!   (`Context::app_state`);
//! - `on_connect` refusing a connection with its own close code;
//! - debug builds check outgoing messages against their schema.

mod support;

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use serde_json::{Value, json};
use socketsundso::{HandlerError, Reject};
use socketsundso_tests::semantics::{
    Context, Echo, Echoed, Fail, Handler, Identity, Measure, Measured, Panic, Server, Sleep, Slept,
    Whoami,
};
use support::{Client, WAIT, assert_error, assert_violation, serve, url};

/// The route; `{user}` reaches handlers through `Context::param`.
const ROUTE: &str = "/ws/{user}";

/// The user that `on_connect` refuses.
const BLOCKED: &str = "blocked";
const REFUSED_CODE: u16 = 4001;
const REFUSED_REASON: &str = "user is blocked";

/// How long the blocking handler sleeps in the concurrency test.
const BLOCKING_SLEEP: Duration = Duration::from_millis(1000);

/// The router's state, read by `whoami` through `Context::app_state`.
#[derive(Clone)]
struct AppState {
    name: &'static str,
}

/// What `on_connect` stores for each connection.
struct ConnState {
    user: String,
    /// How many `whoami` this connection has sent.
    calls: AtomicU64,
}

struct Api {
    /// Where the blocking handler reports when it starts to sleep, if anyone listens.
    sleeping: Option<mpsc::UnboundedSender<Instant>>,
}

impl Handler for Api {
    async fn on_connect(&self, ctx: &Context) -> Result<(), Reject> {
        let user = ctx.param("user").unwrap_or_default().to_owned();
        if user == BLOCKED {
            return Err(Reject::new(REFUSED_CODE, REFUSED_REASON));
        }
        let state = ConnState {
            user,
            calls: AtomicU64::new(0),
        };
        ctx.set_state(state)
            .map_err(|_| Reject::new(1011, "the state was set twice"))
    }

    async fn on_echo(&self, _ctx: &Context, message: Echo) -> Result<Echoed, HandlerError> {
        Ok(Echoed {
            text: message.text.to_string(),
        })
    }

    async fn on_fail(&self, _ctx: &Context, message: Fail) -> Result<Echoed, HandlerError> {
        Err(match message.code {
            Some(code) => HandlerError::with_code(code, "failed on purpose"),
            None => HandlerError::new("failed on purpose"),
        })
    }

    async fn on_panic(&self, _ctx: &Context, _message: Panic) -> Result<Echoed, HandlerError> {
        panic!("the panic handler panics on purpose")
    }

    /// Blocking (`x-socketsundso-blocking: true`): runs on tokio's blocking pool.
    fn on_sleep(&self, _ctx: &Context, message: Sleep) -> Result<Slept, HandlerError> {
        if message.panic == Some(true) {
            panic!("the blocking handler panics on purpose");
        }
        let millis = u64::try_from(message.millis).expect("the schema says minimum 0");
        if let Some(sleeping) = &self.sleeping {
            // Nobody listening is fine.
            let _ = sleeping.send(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(millis));
        Ok(Slept { millis })
    }

    async fn on_whoami(&self, ctx: &Context, _message: Whoami) -> Result<Identity, HandlerError> {
        let state = ctx
            .state::<ConnState>()
            .ok_or_else(|| HandlerError::new("no connection state"))?;
        let app = ctx
            .app_state::<AppState>()
            .ok_or_else(|| HandlerError::new("no application state"))?;
        let calls = state.calls.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Identity {
            user: state.user.clone(),
            calls: NonZeroU64::new(calls).expect("at least 1"),
            app: app.name.to_owned(),
        })
    }

    /// Replies with the value as is: above 10 that breaks the reply's `maximum`.
    async fn on_measure(&self, _ctx: &Context, message: Measure) -> Result<Measured, HandlerError> {
        Ok(Measured {
            value: message.value,
        })
    }
}

/// Serves the API on a fresh port, on a router whose state is named `app`; returns the base
/// URL, to which the caller appends the user (`{base}/alice`).
async fn server(app: &'static str) -> String {
    server_with(app, Api { sleeping: None }).await
}

/// [`server`] with a given handler.
async fn server_with(app: &'static str, api: Api) -> String {
    let router = axum::Router::new()
        .route(ROUTE, Server::new(api).into_route())
        .with_state(AppState { name: app });
    let addr = serve(router).await;
    url(addr, "/ws")
}

async fn connect(base: &str, user: &str) -> Client {
    Client::connect(&format!("{base}/{user}")).await
}

/// A client of a fresh server, connected as `alice`.
async fn client() -> Client {
    connect(&server("semantics").await, "alice").await
}

/// Asserts that `value` is an error message with `code` and correlation id `id` (see
/// `support::assert_error` for the rest of the shape); returns its violations.
fn assert_error_with_id(value: &Value, code: &str, id: &Value) -> Vec<Value> {
    assert_eq!(value.get("id"), Some(id), "the error's id: {value}");
    let mut without_id = value.clone();
    without_id
        .as_object_mut()
        .expect("an object, since it has an id")
        .remove("id");
    assert_error(&without_id, code)
}

// ---------------------------------------------------------------------------------------------
// 1. Correlation ids
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn reply_carries_a_string_id() {
    let mut c = client().await;
    c.send_json(&json!({"type": "echo", "id": "abc", "text": "hi"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echoed", "id": "abc", "text": "hi"})
    );
}

#[tokio::test]
async fn reply_carries_a_numeric_id() {
    let mut c = client().await;
    for id in [json!(42), json!(0), json!(-7), json!(1.5), json!(u64::MAX)] {
        c.send_json(&json!({"type": "echo", "id": id, "text": "n"}))
            .await;
        assert_eq!(
            c.recv_json().await,
            json!({"type": "echoed", "id": id, "text": "n"}),
            "id {id}"
        );
    }
}

#[tokio::test]
async fn reply_without_id_has_no_id() {
    let mut c = client().await;
    c.send_json(&json!({"type": "echo", "text": "plain"})).await;
    let reply = c.recv_json().await;
    assert_eq!(reply, json!({"type": "echoed", "text": "plain"}));
    assert!(reply.get("id").is_none(), "{reply}");
}

#[tokio::test]
async fn id_is_found_when_the_tag_is_not_first() {
    // The slow path (tag not the first key) finds the id too.
    let mut c = client().await;
    c.send_text(r#"{"id":"late","text":"x","type":"echo"}"#)
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echoed", "id": "late", "text": "x"})
    );
}

#[tokio::test]
async fn invalid_message_error_carries_the_id() {
    let mut c = client().await;

    // A value out of its constraint (maxLength 20).
    c.send_json(&json!({"type": "echo", "id": "abc", "text": "x".repeat(21)}))
        .await;
    let errors = assert_error_with_id(&c.recv_json().await, "validation_failed", &json!("abc"));
    assert_violation(&errors, "/text", "max_length");

    // A missing field and an unknown one, with a numeric id.
    c.send_json(&json!({"type": "echo", "id": 7, "extra": true}))
        .await;
    let errors = assert_error_with_id(&c.recv_json().await, "validation_failed", &json!(7));
    assert_violation(&errors, "/text", "required");
    assert_violation(&errors, "/extra", "unknown_field");

    // An unknown tag.
    c.send_json(&json!({"type": "nope", "id": "u"})).await;
    let errors = assert_error_with_id(&c.recv_json().await, "unknown_tag", &json!("u"));
    assert_violation(&errors, "/type", "invalid");

    // A missing tag.
    c.send_json(&json!({"id": "m", "text": "hi"})).await;
    let errors = assert_error_with_id(&c.recv_json().await, "missing_tag", &json!("m"));
    assert_violation(&errors, "/type", "required");

    // Without an id, the error has none (`assert_error` insists on the exact keys).
    c.send_json(&json!({"type": "echo", "text": 5})).await;
    let errors = assert_error(&c.recv_json().await, "validation_failed");
    assert_violation(&errors, "/text", "type");

    // The connection is still fine.
    c.send_json(&json!({"type": "echo", "id": "ok", "text": "still here"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echoed", "id": "ok", "text": "still here"})
    );
}

#[tokio::test]
async fn handler_error_carries_the_id() {
    let mut c = client().await;

    c.send_json(&json!({"type": "fail", "id": "f1"})).await;
    assert_eq!(
        c.recv_json().await,
        json!({
            "type": "error",
            "id": "f1",
            "code": "handler_error",
            "message": "failed on purpose",
            "errors": []
        })
    );

    c.send_json(&json!({"type": "fail", "id": 9, "code": "forbidden"}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({
            "type": "error",
            "id": 9,
            "code": "forbidden",
            "message": "failed on purpose",
            "errors": []
        })
    );

    // Without an id: the same error, without `id`.
    c.send_json(&json!({"type": "fail"})).await;
    let errors = assert_error(&c.recv_json().await, "handler_error");
    assert!(errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Panics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn panic_is_internal_and_the_connection_survives() {
    let base = server("semantics").await;
    let mut a = connect(&base, "alice").await;
    let mut b = connect(&base, "bob").await;

    a.send_json(&json!({"type": "panic", "id": "p"})).await;
    let errors = assert_error_with_id(&a.recv_json().await, "internal", &json!("p"));
    assert!(errors.is_empty(), "no details of the panic on the wire");

    // The same connection still works, twice over (a second panic, then a reply).
    a.send_json(&json!({"type": "panic"})).await;
    assert_error(&a.recv_json().await, "internal");
    a.send_json(&json!({"type": "echo", "id": 1, "text": "after"}))
        .await;
    assert_eq!(
        a.recv_json().await,
        json!({"type": "echoed", "id": 1, "text": "after"})
    );

    // Another connection saw nothing and works.
    b.assert_silent().await;
    b.send_json(&json!({"type": "echo", "text": "bob"})).await;
    assert_eq!(
        b.recv_json().await,
        json!({"type": "echoed", "text": "bob"})
    );

    // And a new connection can still be made.
    let mut c = connect(&base, "carol").await;
    c.send_json(&json!({"type": "echo", "text": "carol"})).await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "echoed", "text": "carol"})
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Blocking handlers
// ---------------------------------------------------------------------------------------------

/// While connection A's blocking handler sleeps (`std::thread::sleep`, 1 s), connection B's
/// request is answered at once.
///
/// This runs on tokio's default test runtime, a single thread that runs the server and both
/// clients. That is on purpose: were the handler run inline on a runtime thread, that thread
/// and everything on it would stall for the whole sleep, B's reply could only come after it, and
/// the assertion against the instant the handler started sleeping (taken on the handler's own
/// thread) would fail. (On a runtime with several workers another worker could mask that.)
#[tokio::test]
async fn blocking_handler_does_not_delay_other_connections() {
    let (sleeping, mut started) = mpsc::unbounded_channel();
    let base = server_with(
        "semantics",
        Api {
            sleeping: Some(sleeping),
        },
    )
    .await;
    let mut a = connect(&base, "alice").await;
    let mut b = connect(&base, "bob").await;

    let millis = u64::try_from(BLOCKING_SLEEP.as_millis()).expect("small");
    a.send_json(&json!({"type": "sleep", "id": "a", "millis": millis}))
        .await;
    let a_reply = tokio::spawn(async move {
        let reply = a.recv_json().await;
        (reply, Instant::now())
    });

    // Once A's handler sleeps, ask on B.
    let a_sleeps = tokio::time::timeout(WAIT, started.recv())
        .await
        .expect("A's blocking handler starts within 5 s")
        .expect("the handler reports its start");
    let b_sent = Instant::now();
    b.send_json(&json!({"type": "echo", "id": "b", "text": "quick"}))
        .await;
    let b_reply = b.recv_json().await;
    let b_at = Instant::now();
    assert_eq!(
        b_reply,
        json!({"type": "echoed", "id": "b", "text": "quick"})
    );
    let b_round_trip = b_at - b_sent;
    assert!(
        b_round_trip < Duration::from_millis(500),
        "B's round trip took {b_round_trip:?} while A's blocking handler slept {BLOCKING_SLEEP:?}"
    );
    let b_after_sleep_start = b_at - a_sleeps;
    assert!(
        b_after_sleep_start < Duration::from_millis(500),
        "B's reply came {b_after_sleep_start:?} after A's handler began to sleep {BLOCKING_SLEEP:?}: \
         the sleep held up the runtime"
    );

    let (a_reply, a_at) = a_reply.await.expect("A's receiving task");
    assert_eq!(
        a_reply,
        json!({"type": "slept", "id": "a", "millis": millis})
    );
    assert!(b_at < a_at, "B's reply must arrive before A's");
    assert!(
        a_at - a_sleeps >= BLOCKING_SLEEP,
        "A's reply came {:?} after its handler began to sleep {BLOCKING_SLEEP:?}",
        a_at - a_sleeps
    );
}

#[tokio::test]
async fn blocking_handler_panic_is_internal_and_the_connection_survives() {
    let mut c = client().await;
    c.send_json(&json!({"type": "sleep", "id": 3, "millis": 0, "panic": true}))
        .await;
    let errors = assert_error_with_id(&c.recv_json().await, "internal", &json!(3));
    assert!(errors.is_empty());

    c.send_json(&json!({"type": "sleep", "id": 4, "millis": 10}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "slept", "id": 4, "millis": 10})
    );
}

#[tokio::test]
async fn blocking_handler_input_is_validated_first() {
    // The handler never runs for a bad message: `millis` above its maximum of 5000.
    let mut c = client().await;
    c.send_json(&json!({"type": "sleep", "id": "v", "millis": 60_000}))
        .await;
    let errors = assert_error_with_id(&c.recv_json().await, "validation_failed", &json!("v"));
    assert_violation(&errors, "/millis", "maximum");
}

// ---------------------------------------------------------------------------------------------
// 4. Per-connection state and application state
// ---------------------------------------------------------------------------------------------

async fn whoami(c: &mut Client) -> Value {
    c.send_json(&json!({"type": "whoami"})).await;
    c.recv_json().await
}

#[tokio::test]
async fn connection_state_is_per_connection() {
    let base = server("semantics").await;
    let mut a = connect(&base, "alice").await;
    let mut b = connect(&base, "bob").await;

    let identity = |user: &str, calls: u64| json!({"type": "identity", "user": user, "calls": calls, "app": "semantics"});
    assert_eq!(whoami(&mut a).await, identity("alice", 1));
    assert_eq!(whoami(&mut a).await, identity("alice", 2));
    assert_eq!(whoami(&mut b).await, identity("bob", 1));
    assert_eq!(whoami(&mut a).await, identity("alice", 3));
    assert_eq!(whoami(&mut b).await, identity("bob", 2));

    // A new connection of the same user starts afresh: the state is the connection's, not the
    // user's.
    let mut a2 = connect(&base, "alice").await;
    assert_eq!(whoami(&mut a2).await, identity("alice", 1));
}

#[tokio::test]
async fn app_state_comes_from_the_router() {
    let first = server("first-app").await;
    let second = server("second-app").await;
    let mut a = connect(&first, "alice").await;
    let mut b = connect(&second, "alice").await;
    assert_eq!(whoami(&mut a).await["app"], "first-app");
    assert_eq!(whoami(&mut b).await["app"], "second-app");
}

// ---------------------------------------------------------------------------------------------
// 5. Refusing a connection
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn on_connect_refusal_sends_its_close_code_and_reason() {
    let base = server("semantics").await;
    let mut refused = connect(&base, BLOCKED).await;
    assert_eq!(
        refused.recv_close().await,
        Some((REFUSED_CODE, REFUSED_REASON.to_owned()))
    );
    refused.assert_ended().await;

    // Others are still welcome.
    let mut c = connect(&base, "alice").await;
    c.send_json(&json!({"type": "echo", "text": "hi"})).await;
    assert_eq!(c.recv_json().await, json!({"type": "echoed", "text": "hi"}));
}

// ---------------------------------------------------------------------------------------------
// 6. Outgoing checks (debug builds)
// ---------------------------------------------------------------------------------------------

/// Debug builds check every outgoing message against its schema and send `internal` instead of
/// a message that breaks it. Release builds skip the check (it costs a second serialization and
/// a validation per message), so there the bad reply goes out as the handler returned it; the
/// test pins both.
#[tokio::test]
async fn debug_builds_replace_a_reply_that_breaks_its_schema() {
    let mut c = client().await;

    // Within the reply's maximum of 10: the reply goes out.
    c.send_json(&json!({"type": "measure", "id": "ok", "value": 10}))
        .await;
    assert_eq!(
        c.recv_json().await,
        json!({"type": "measured", "id": "ok", "value": 10})
    );

    // Valid input (maximum 100), but the reply breaks its own maximum of 10.
    c.send_json(&json!({"type": "measure", "id": "bad", "value": 50}))
        .await;
    let reply = c.recv_json().await;
    if cfg!(debug_assertions) {
        let errors = assert_error_with_id(&reply, "internal", &json!("bad"));
        assert!(errors.is_empty(), "no schema details on the wire: {reply}");
    } else {
        assert_eq!(reply, json!({"type": "measured", "id": "bad", "value": 50}));
    }

    // The connection is still usable.
    c.send_json(&json!({"type": "measure", "value": 0})).await;
    assert_eq!(c.recv_json().await, json!({"type": "measured", "value": 0}));
}

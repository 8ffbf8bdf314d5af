//! The connection loop over an in-memory transport (two channels), no network.

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use tokio::sync::mpsc;

use super::*;
use crate::{HandlerError, Reject, Settings};

// ---------------------------------------------------------------- the service under test

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Room {
    room: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Count {
    n: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct To {
    to: u64,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Debug)]
enum In {
    Echo(Text),
    Shout(Text),
    Notify(Count),
    Flood(Count),
    Panic(Empty),
    Fail(Empty),
    Bye(Empty),
    Join(Room),
    Leave(Room),
    Whisper(To),
    Silent(Empty),
    BlockingShout(Text),
}

impl Incoming for In {
    const TAG_FIELD: &'static str = "type";
    const TAGS: &'static [&'static str] = &[
        "echo",
        "shout",
        "notify",
        "flood",
        "panic",
        "fail",
        "bye",
        "join",
        "leave",
        "whisper",
        "silent",
        "blocking_shout",
    ];

    fn deserialize_payload<'de, D>(tag: &str, payload: D) -> Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        Ok(match tag {
            "echo" => Self::Echo(Text::deserialize(payload)?),
            "shout" => Self::Shout(Text::deserialize(payload)?),
            "notify" => Self::Notify(Count::deserialize(payload)?),
            "flood" => Self::Flood(Count::deserialize(payload)?),
            "panic" => Self::Panic(Empty::deserialize(payload)?),
            "fail" => Self::Fail(Empty::deserialize(payload)?),
            "bye" => Self::Bye(Empty::deserialize(payload)?),
            "join" => Self::Join(Room::deserialize(payload)?),
            "leave" => Self::Leave(Room::deserialize(payload)?),
            "whisper" => Self::Whisper(To::deserialize(payload)?),
            "silent" => Self::Silent(Empty::deserialize(payload)?),
            "blocking_shout" => Self::BlockingShout(Text::deserialize(payload)?),
            other => return Err(serde::de::Error::unknown_variant(other, Self::TAGS)),
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out {
    Echo { text: String },
    Said { from: ConnectionId, text: String },
    Note { n: usize },
    Done,
    Bye,
    Joined { client_id: ConnectionId },
    Left { client_id: ConnectionId },
    Rooms { rooms: Vec<String> },
}

#[derive(Default)]
struct TestService {
    connects: AtomicUsize,
    disconnects: AtomicUsize,
}

impl crate::Outgoing for Out {}

impl Service for TestService {
    type Incoming = In;
    type Outgoing = Out;

    async fn on_connect(&self, ctx: &Context<Out>) -> Result<(), Reject> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        if ctx.param("reject").is_some() {
            return Err(Reject::new(4001, "not welcome"));
        }
        if let Some(room) = ctx.param("room") {
            ctx.join(room);
            ctx.broadcast(
                room,
                Out::Joined {
                    client_id: ctx.id(),
                },
            )
            .await;
        }
        Ok(())
    }

    async fn on_disconnect(&self, ctx: &Context<Out>) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        for room in ctx.rooms() {
            ctx.broadcast_others(
                &room,
                Out::Left {
                    client_id: ctx.id(),
                },
            )
            .await;
        }
    }

    async fn handle(&self, ctx: &Context<Out>, message: In) -> Result<Option<Out>, HandlerError> {
        Ok(Some(match message {
            In::Echo(Text { text }) => Out::Echo { text },
            In::Shout(Text { text }) => {
                for room in ctx.rooms() {
                    ctx.broadcast(
                        &room,
                        Out::Said {
                            from: ctx.id(),
                            text: text.clone(),
                        },
                    )
                    .await;
                }
                return Ok(None);
            }
            In::Notify(Count { n }) => {
                for n in 1..=n {
                    ctx.send(Out::Note { n })
                        .map_err(|e| HandlerError::new(e.to_string()))?;
                }
                tokio::task::yield_now().await;
                Out::Done
            }
            In::Flood(Count { n }) => {
                for n in 1..=n {
                    for room in ctx.rooms() {
                        ctx.broadcast(&room, Out::Note { n }).await;
                    }
                }
                Out::Done
            }
            In::Panic(_) => panic!("handler panicked on purpose"),
            In::Fail(_) => return Err(HandlerError::invalid("/to", "recipient not found")),
            In::Bye(_) => {
                ctx.close(1000, "bye");
                Out::Bye
            }
            In::Join(Room { room }) => {
                ctx.join(&room);
                Out::Rooms { rooms: ctx.rooms() }
            }
            In::Leave(Room { room }) => {
                ctx.leave(&room);
                Out::Rooms { rooms: ctx.rooms() }
            }
            In::Whisper(To { to, text }) => {
                let target = ctx
                    .hub()
                    .room_members("r")
                    .into_iter()
                    .find(|id| id.get() == to)
                    .ok_or_else(|| HandlerError::invalid("/to", "recipient not found"))?;
                ctx.send_to(
                    target,
                    Out::Said {
                        from: ctx.id(),
                        text,
                    },
                )
                .map_err(|e| HandlerError::new(e.to_string()))?;
                return Ok(None);
            }
            In::Silent(_) => return Ok(None),
            In::BlockingShout(Text { text }) => {
                // What a generated blocking handler does: run on tokio's blocking threads, and
                // wait for the broadcast there.
                let ctx = ctx.clone();
                let queued = crate::codegen::run_blocking(move || {
                    let said = Out::Said {
                        from: ctx.id(),
                        text,
                    };
                    Ok(tokio::runtime::Handle::current().block_on(ctx.broadcast("r", said)))
                })
                .await?;
                Out::Note { n: queued }
            }
        }))
    }
}

// ---------------------------------------------------------------- the in-memory transport

/// Lets a test stop the server's writes, like a client that does not read.
#[derive(Default)]
struct Gate {
    blocked: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// Flushes that went through.
    flushes: AtomicUsize,
}

struct TestSocket {
    incoming: mpsc::UnboundedReceiver<Result<Message, String>>,
    outgoing: mpsc::UnboundedSender<Message>,
    gate: Arc<Gate>,
}

impl Stream for TestSocket {
    type Item = Result<Message, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx)
    }
}

impl TestSocket {
    fn poll_gate(&self, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        if self.gate.blocked.load(Ordering::SeqCst) {
            *self.gate.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

impl Sink<Message> for TestSocket {
    type Error = String;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        self.poll_gate(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), String> {
        self.outgoing.send(item).map_err(|_| "peer gone".to_owned())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        let ready = self.poll_gate(cx);
        if ready.is_ready() {
            self.gate.flushes.fetch_add(1, Ordering::SeqCst);
        }
        ready
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
}

struct Client {
    tx: mpsc::UnboundedSender<Result<Message, String>>,
    rx: mpsc::UnboundedReceiver<Message>,
    gate: Arc<Gate>,
    task: JoinHandle<()>,
}

const WAIT: Duration = Duration::from_secs(5);

impl Client {
    fn send(&self, text: &str) {
        self.tx
            .send(Ok(Message::Text(text.into())))
            .expect("server task gone");
    }

    fn send_json(&self, value: Value) {
        self.send(&value.to_string());
    }

    fn send_raw(&self, message: Message) {
        self.tx.send(Ok(message)).expect("server task gone");
    }

    async fn recv(&mut self) -> Message {
        timeout(WAIT, self.rx.recv())
            .await
            .expect("timed out waiting for a message")
            .expect("server hung up")
    }

    async fn json(&mut self) -> Value {
        match self.recv().await {
            Message::Text(text) => serde_json::from_str(text.as_str()).expect("server sent JSON"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn close_frame(&mut self) -> (u16, String) {
        match self.recv().await {
            Message::Close(Some(frame)) => (frame.code, frame.reason.as_str().to_owned()),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    /// Nothing arrives within a short while.
    async fn quiet(&mut self) {
        if let Ok(Some(m)) = timeout(Duration::from_millis(50), self.rx.recv()).await {
            panic!("expected nothing, got {m:?}");
        }
    }

    async fn finished(self) {
        timeout(WAIT, self.task)
            .await
            .expect("the connection did not end")
            .expect("the connection task panicked");
    }
}

fn test_settings() -> Settings {
    Settings::default().close_timeout(Duration::from_millis(300))
}

fn connect(service: &Arc<TestService>, hub: &Hub, params: &[(&str, &str)]) -> Client {
    connect_with(service, hub, params, test_settings())
}

fn connect_with(
    service: &Arc<TestService>,
    hub: &Hub,
    params: &[(&str, &str)],
    settings: Settings,
) -> Client {
    let (tx, incoming) = mpsc::unbounded_channel();
    let (outgoing, rx) = mpsc::unbounded_channel();
    let gate = Arc::new(Gate::default());
    let socket = TestSocket {
        incoming,
        outgoing,
        gate: Arc::clone(&gate),
    };
    let params = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let task = tokio::spawn(serve_connection(
        Arc::clone(service),
        hub.clone(),
        params,
        socket,
        settings,
    ));
    Client { tx, rx, gate, task }
}

fn setup() -> (Arc<TestService>, Hub) {
    (Arc::new(TestService::default()), Hub::new())
}

/// Waits until `cond` holds (state changes made by other tasks).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for: {what}");
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn replies_in_order() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    for i in 0..20 {
        c.send_json(json!({"type": "echo", "text": i.to_string()}));
    }
    for i in 0..20 {
        assert_eq!(
            c.json().await,
            json!({"type": "echo", "text": i.to_string()})
        );
    }
    // tag not first, then no reply at all
    c.send(r#"{"text":"late","type":"echo"}"#);
    c.send(r#"{"type":"silent"}"#);
    assert_eq!(c.json().await, json!({"type": "echo", "text": "late"}));
    c.quiet().await;
}

#[tokio::test]
async fn queued_messages_come_before_the_reply() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    c.send(r#"{"type":"notify","n":3}"#);
    c.send(r#"{"type":"echo","text":"after"}"#);
    assert_eq!(c.json().await, json!({"type": "note", "n": 1}));
    assert_eq!(c.json().await, json!({"type": "note", "n": 2}));
    assert_eq!(c.json().await, json!({"type": "note", "n": 3}));
    assert_eq!(c.json().await, json!({"type": "done"}));
    assert_eq!(c.json().await, json!({"type": "echo", "text": "after"}));
}

#[tokio::test]
async fn bad_input_gets_errors_and_the_connection_stays_open() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    let cases = [
        ("nope", "invalid_json"),
        ("[1,2]", "not_an_object"),
        (r#"{"text":"x"}"#, "missing_tag"),
        (r#"{"type":"sing"}"#, "unknown_tag"),
        (
            r#"{"type":"echo","text":"x","sender":1}"#,
            "validation_failed",
        ),
        (r#"{"type":"echo","text":1}"#, "validation_failed"),
    ];
    for (input, code) in cases {
        c.send(input);
        let e = c.json().await;
        assert_eq!(e["type"], "error", "{input}");
        assert_eq!(e["code"], code, "{input}");
        assert!(e["errors"].is_array(), "{input}");
        assert!(e.get("id").is_none(), "{input}");
    }
    c.send(r#"{"type":"fail"}"#);
    assert_eq!(
        c.json().await,
        json!({"type":"error","code":"validation_failed","message":"validation failed",
               "errors":[{"path":"/to","kind":"invalid","message":"recipient not found"}]})
    );
    c.send_raw(Message::Binary(vec![1, 2, 3].into()));
    assert_eq!(
        c.json().await,
        json!({"type":"error","code":"unsupported_frame",
               "message":"binary frames are not supported; send JSON text frames","errors":[]})
    );
    c.send_raw(Message::Ping(vec![1].into()));
    c.send_raw(Message::Pong(vec![1].into()));
    c.send(r#"{"type":"echo","text":"still here"}"#);
    assert_eq!(
        c.json().await,
        json!({"type": "echo", "text": "still here"})
    );
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_internal_error() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    c.send(r#"{"type":"panic"}"#);
    assert_eq!(
        c.json().await,
        json!({"type":"error","code":"internal","message":"internal error","errors":[]})
    );
    c.send(r#"{"type":"echo","text":"ok"}"#);
    assert_eq!(c.json().await, json!({"type": "echo", "text": "ok"}));
    assert_eq!(hub.connection_count(), 1);
}

#[tokio::test]
async fn close_after_the_reply() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    c.send(r#"{"type":"bye"}"#);
    c.send(r#"{"type":"echo","text":"never handled"}"#);
    assert_eq!(c.json().await, json!({"type": "bye"}));
    assert_eq!(c.close_frame().await, (1000, "bye".to_owned()));
    // the client answers the closing handshake
    c.send_raw(Message::Close(None));
    c.quiet().await;
    c.finished().await;
    assert_eq!(service.disconnects.load(Ordering::SeqCst), 1);
    assert_eq!(hub.connection_count(), 0);
}

#[tokio::test]
async fn close_without_an_answer_times_out() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    c.send(r#"{"type":"bye"}"#);
    assert_eq!(c.json().await, json!({"type": "bye"}));
    assert_eq!(c.close_frame().await.0, 1000);
    let Client { tx, task, .. } = c;
    timeout(WAIT, task).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(hub.connection_count(), 0);
}

#[tokio::test]
async fn on_connect_can_reject() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[("reject", "1")]);
    c.send(r#"{"type":"echo","text":"x"}"#);
    assert_eq!(c.close_frame().await, (4001, "not welcome".to_owned()));
    c.send_raw(Message::Close(None));
    c.finished().await;
    assert_eq!(service.connects.load(Ordering::SeqCst), 1);
    assert_eq!(service.disconnects.load(Ordering::SeqCst), 0);
    assert_eq!(hub.connection_count(), 0);
}

#[tokio::test]
async fn client_close_and_end_of_stream_end_the_connection() {
    let (service, hub) = setup();
    let c = connect(&service, &hub, &[]);
    c.send_raw(Message::Close(None));
    c.finished().await;
    let c = connect(&service, &hub, &[]);
    drop(c.tx);
    timeout(WAIT, c.task).await.unwrap().unwrap();
    let c = connect(&service, &hub, &[]);
    c.tx.send(Err("connection reset".into())).unwrap();
    c.finished().await;
    assert_eq!(service.disconnects.load(Ordering::SeqCst), 3);
    assert_eq!(hub.connection_count(), 0);
}

#[tokio::test]
async fn rooms_and_broadcast() {
    let (service, hub) = setup();
    let mut a = connect(&service, &hub, &[("room", "r")]);
    let a_id = json!(1);
    assert_eq!(a.json().await, json!({"type": "joined", "client_id": a_id}));
    let mut b = connect(&service, &hub, &[("room", "r")]);
    let b_id = json!(2);
    // joining is broadcast to the room, the new member included
    assert_eq!(a.json().await, json!({"type": "joined", "client_id": b_id}));
    assert_eq!(b.json().await, json!({"type": "joined", "client_id": b_id}));
    let ids = hub.room_members("r");
    assert_eq!(ids.len(), 2);
    assert_eq!(hub.rooms(), ["r"]);

    b.send(r#"{"type":"shout","text":"hi"}"#);
    let said = json!({"type": "said", "from": b_id, "text": "hi"});
    assert_eq!(a.json().await, said);
    assert_eq!(b.json().await, said);

    // whisper: only the recipient gets it; an unknown one is a validation error
    a.send(&format!(
        r#"{{"type":"whisper","to":{b_id},"text":"psst"}}"#
    ));
    assert_eq!(
        b.json().await,
        json!({"type": "said", "from": a_id, "text": "psst"})
    );
    a.send(r#"{"type":"whisper","to":99,"text":"psst"}"#);
    assert_eq!(a.json().await["errors"][0]["path"], "/to");
    a.quiet().await;

    a.send(r#"{"type":"join","room":"other"}"#);
    assert_eq!(
        a.json().await,
        json!({"type": "rooms", "rooms": ["other", "r"]})
    );
    assert_eq!(hub.rooms(), ["other", "r"]);

    // b leaves: a hears about it, and b is gone from the room
    drop(b.tx);
    timeout(WAIT, b.task).await.unwrap().unwrap();
    assert_eq!(a.json().await, json!({"type": "left", "client_id": b_id}));
    assert_eq!(hub.room_members("r"), [ids[0]]);

    a.send(r#"{"type":"leave","room":"r"}"#);
    assert_eq!(a.json().await, json!({"type": "rooms", "rooms": ["other"]}));
    a.send(r#"{"type":"leave","room":"other"}"#);
    assert_eq!(a.json().await, json!({"type": "rooms", "rooms": []}));
    assert!(hub.rooms().is_empty(), "empty rooms are removed");
    assert_eq!(hub.connection_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_handler_can_wait_for_a_broadcast() {
    let (service, hub) = setup();
    let mut a = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(a.json().await["type"], "joined");
    let mut b = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(a.json().await["type"], "joined");
    assert_eq!(b.json().await["type"], "joined");
    a.send(r#"{"type":"blocking_shout","text":"from a thread"}"#);
    let said = json!({"type": "said", "from": 1, "text": "from a thread"});
    assert_eq!(b.json().await, said);
    assert_eq!(a.json().await, said);
    assert_eq!(a.json().await, json!({"type": "note", "n": 2}));
}

/// What one `{"type":"note","n":N}` (N < 10) counts against the bound.
const NOTE: usize = r#"{"type":"note","n":1}"#.len() + crate::MESSAGE_OVERHEAD;

#[tokio::test]
async fn a_burst_that_fits_is_delivered_whole() {
    let (service, hub) = setup();
    let mut a = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(a.json().await["type"], "joined");
    let mut b = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(a.json().await["type"], "joined");
    assert_eq!(b.json().await["type"], "joined");
    // far more messages than the old 1024-message queue held, queued before anyone writes
    a.send(r#"{"type":"flood","n":5000}"#);
    for n in 1..=5000 {
        assert_eq!(b.json().await, json!({"type": "note", "n": n}));
    }
    for n in 1..=5000 {
        assert_eq!(a.json().await, json!({"type": "note", "n": n}));
    }
    assert_eq!(a.json().await, json!({"type": "done"}));
    assert_eq!(hub.metrics(), crate::Metrics::default());
}

#[tokio::test]
async fn too_many_pending_bytes_close_only_the_slow_connection() {
    let (service, hub) = setup();
    let small = test_settings().max_pending_bytes(4 * NOTE);
    let mut a = connect_with(&service, &hub, &[("room", "r")], small);
    assert_eq!(a.json().await["type"], "joined");
    let mut b = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(a.json().await["type"], "joined");
    assert_eq!(b.json().await["type"], "joined");

    // a's handler queues 9 messages for itself while its bound holds 4
    a.send(r#"{"type":"flood","n":9}"#);
    assert_eq!(
        a.close_frame().await,
        (1008, "slow consumer: too many pending bytes".to_owned())
    );
    // a slow consumer is not waited for
    a.finished().await;

    for n in 1..=9 {
        assert_eq!(b.json().await, json!({"type": "note", "n": n}));
    }
    assert_eq!(b.json().await["type"], "left");
    b.send(r#"{"type":"echo","text":"fine"}"#);
    assert_eq!(b.json().await, json!({"type": "echo", "text": "fine"}));
    assert_eq!(hub.connection_count(), 1);
    assert_eq!(hub.metrics().slow_closed_bytes, 1);
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped() {
    let (service, hub) = setup();
    let small = test_settings().max_pending_bytes(4 * NOTE);
    let mut slow = connect_with(&service, &hub, &[("room", "r")], small);
    assert_eq!(slow.json().await["type"], "joined");
    slow.gate.blocked.store(true, Ordering::SeqCst);
    let mut fast = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(fast.json().await["type"], "joined");

    // the slow connection's task is stuck writing while its queue fills up
    fast.send(r#"{"type":"flood","n":9}"#);
    for n in 1..=9 {
        assert_eq!(fast.json().await, json!({"type": "note", "n": n}));
    }
    assert_eq!(fast.json().await, json!({"type": "done"}));
    // it gives up within the close timeout, although the socket never unblocks
    timeout(WAIT, slow.task).await.unwrap().unwrap();
    assert_eq!(fast.json().await["type"], "left");
    eventually("the slow client is unregistered", || {
        hub.connection_count() == 1
    })
    .await;
    assert_eq!(hub.room_members("r").len(), 1);
    drop(slow.gate.waker.lock().unwrap().take());
}

#[tokio::test]
async fn a_write_that_misses_the_deadline_closes_the_connection() {
    let (service, hub) = setup();
    let deadline = test_settings().write_timeout(Duration::from_millis(200));
    let mut slow = connect_with(&service, &hub, &[("room", "r")], deadline);
    assert_eq!(slow.json().await["type"], "joined");
    slow.gate.blocked.store(true, Ordering::SeqCst);
    let mut fast = connect(&service, &hub, &[("room", "r")]);
    assert_eq!(fast.json().await["type"], "joined");
    // one message, far below the bound: only the deadline can tell
    fast.send(r#"{"type":"shout","text":"anyone?"}"#);
    assert_eq!(fast.json().await["type"], "said");
    timeout(WAIT, slow.task).await.unwrap().unwrap();
    assert_eq!(fast.json().await["type"], "left");
    assert_eq!(hub.metrics().slow_closed_timeout, 1);
    drop(slow.gate.waker.lock().unwrap().take());
}

#[tokio::test]
async fn drop_oldest_keeps_the_connection_and_the_newest_messages() {
    let (service, hub) = setup();
    let small = test_settings()
        .max_pending_bytes(4 * NOTE)
        .slow_consumer(crate::SlowConsumer::DropOldest);
    let mut slow = connect_with(&service, &hub, &[("room", "r")], small);
    assert_eq!(slow.json().await["type"], "joined");
    slow.gate.blocked.store(true, Ordering::SeqCst);
    let mut fast = connect(&service, &hub, &[("room", "r")]);
    fast.send(r#"{"type":"flood","n":9}"#);
    assert_eq!(fast.json().await["type"], "joined");
    for n in 1..=9 {
        assert_eq!(fast.json().await, json!({"type": "note", "n": n}));
    }
    assert_eq!(fast.json().await, json!({"type": "done"}));
    // the slow one reads again: the newest messages are there, in order, and it is open
    slow.gate.blocked.store(false, Ordering::SeqCst);
    if let Some(waker) = slow.gate.waker.lock().unwrap().take() {
        waker.wake();
    }
    let mut notes = Vec::new();
    loop {
        let m = slow.json().await;
        if m["type"] == "note" {
            notes.push(m["n"].as_u64().unwrap());
        }
        if m["n"] == 9 {
            break;
        }
    }
    assert!(notes.len() < 9, "some were dropped: {notes:?}");
    assert!(notes.is_sorted(), "{notes:?}");
    assert!(hub.metrics().dropped_messages > 0);
    slow.send(r#"{"type":"echo","text":"still open"}"#);
    assert_eq!(slow.json().await["text"], "still open");
}

#[tokio::test]
async fn back_pressure_makes_the_broadcast_wait() {
    let (service, hub) = setup();
    let small = test_settings()
        .max_pending_bytes(4 * NOTE)
        .slow_consumer(crate::SlowConsumer::BackPressure);
    let mut slow = connect_with(&service, &hub, &[("room", "r")], small.clone());
    assert_eq!(slow.json().await["type"], "joined");
    slow.gate.blocked.store(true, Ordering::SeqCst);
    let mut fast = connect_with(&service, &hub, &[("room", "r")], small);
    assert_eq!(fast.json().await["type"], "joined");
    fast.send(r#"{"type":"flood","n":9}"#);
    // the flood waits for the slow one: `done` does not come
    let mut seen = 0;
    while let Ok(Some(_)) = timeout(Duration::from_millis(200), fast.rx.recv()).await {
        seen += 1;
    }
    assert!(seen < 9, "the sender waits ({seen} arrived)");
    assert!(hub.metrics().backpressure_waits > 0);
    slow.gate.blocked.store(false, Ordering::SeqCst);
    if let Some(waker) = slow.gate.waker.lock().unwrap().take() {
        waker.wake();
    }
    // every message reaches both, nothing is dropped
    let mut notes = Vec::new();
    while notes.len() < 9 {
        let m = slow.json().await;
        if m["type"] == "note" {
            notes.push(m["n"].as_u64().unwrap());
        }
    }
    assert_eq!(notes, (1..=9).collect::<Vec<_>>());
    loop {
        if fast.json().await == json!({"type": "done"}) {
            break;
        }
    }
    assert_eq!(hub.metrics().dropped_messages, 0);
}

#[tokio::test]
async fn oversized_message_gets_too_large_and_1009() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    // what tungstenite reports through axum
    c.tx.send(Err(
        "Space limit exceeded: Message too long: 2000 > 1024".into()
    ))
    .unwrap();
    c.send(r#"{"type":"echo","text":"not read"}"#);
    assert_eq!(
        c.json().await,
        json!({"type":"error","code":"too_large",
               "message":"the message is too large (2000 > 1024)","errors":[]})
    );
    assert_eq!(c.close_frame().await, (1009, "message too big".to_owned()));
    c.quiet().await;
    c.finished().await;
    assert_eq!(service.disconnects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn protocol_errors_close_with_their_codes() {
    let (service, hub) = setup();
    for (error, code) in [
        ("UTF-8 encoding error: invalid utf-8 sequence", 1007),
        ("WebSocket protocol error: Reserved bits are non-zero", 1002),
    ] {
        let mut c = connect(&service, &hub, &[]);
        c.tx.send(Err(error.into())).unwrap();
        assert_eq!(c.close_frame().await.0, code);
        c.finished().await;
    }
}

#[test]
fn close_reasons_are_truncated_at_a_char_boundary() {
    assert_eq!(truncate_reason("short"), "short");
    let long = "é".repeat(100);
    let cut = truncate_reason(&long);
    assert!(cut.len() <= 123 && cut.len() == 122);
}

/// What an idle connection's task holds is mostly this future: the loop, its timer, and room for
/// the write of a reply (the handler's future is boxed while a message is handled). It was
/// 6.3 KiB when `async fn`s kept their arguments next to the locals those moved into, 3.4 KiB
/// with the handler's future inline, and 2.3 KiB with the state of a write (and its timer when
/// it blocks) and the rare answers (rate limit, read errors) inline; keep it within 1.75 KiB.
#[test]
fn a_connections_task_stays_small() {
    let (service, hub) = setup();
    let (_tx, incoming) = mpsc::unbounded_channel();
    let (outgoing, _rx) = mpsc::unbounded_channel();
    let socket = TestSocket {
        incoming,
        outgoing,
        gate: Arc::new(Gate::default()),
    };
    let ctx = Context::new(
        vec![],
        hub.clone(),
        hub.register(1, crate::SlowConsumer::Close),
    );
    let handler = std::mem::size_of_val(&service.handle(&ctx, In::Silent(Empty {})));
    let task = serve_connection(
        Arc::clone(&service),
        hub,
        vec![],
        socket,
        Settings::default(),
    );
    let size = std::mem::size_of_val(&task);
    eprintln!("the connection's future: {size} bytes (its handler's, boxed: {handler} bytes)");
    assert!(size <= 1792, "{size} bytes");
}

#[tokio::test]
async fn pipelined_replies_share_their_flushes() {
    let (service, hub) = setup();
    let mut c = connect(&service, &hub, &[]);
    // The client's first message, alone: its reply is flushed once the read would wait.
    c.send_json(json!({"type": "echo", "text": "alone"}));
    assert_eq!(c.json().await, json!({"type": "echo", "text": "alone"}));
    eventually("the lone reply was flushed", || {
        c.gate.flushes.load(Ordering::SeqCst) >= 1
    })
    .await;
    let before = c.gate.flushes.load(Ordering::SeqCst);
    // 200 messages already there when the loop reads: 200 replies, in order, in a few flushes
    // (at most 64 replies wait for one).
    for i in 0..200 {
        c.send_json(json!({"type": "echo", "text": format!("m{i}")}));
    }
    for i in 0..200 {
        assert_eq!(
            c.json().await,
            json!({"type": "echo", "text": format!("m{i}")})
        );
    }
    eventually("the last replies were flushed", || {
        c.gate.flushes.load(Ordering::SeqCst) > before
    })
    .await;
    let flushes = c.gate.flushes.load(Ordering::SeqCst) - before;
    assert!(
        (4..=10).contains(&flushes),
        "{flushes} flushes for 200 replies"
    );
    // The end of the client's stream flushes what waits.
    c.send_json(json!({"type": "echo", "text": "last"}));
    drop(c.tx);
    assert_eq!(
        timeout(WAIT, c.rx.recv()).await.expect("the last reply"),
        Some(Message::Text(r#"{"type":"echo","text":"last"}"#.into()))
    );
    timeout(WAIT, c.task)
        .await
        .expect("ended")
        .expect("no panic");
}

#[test]
fn correlation_id_takes_the_top_level_member_only() {
    assert_eq!(
        correlation_id(r#"{"type":"echo","text":"x","id":7}"#, "id"),
        Some(json!(7))
    );
    assert_eq!(
        correlation_id(r#"{"id":"a\"b","type":"echo"}"#, "id"),
        Some(json!("a\"b"))
    );
    // Nested ids and escaped keys are seen as what they are.
    assert_eq!(
        correlation_id(r#"{"payload":{"id":1},"\u0069d":{"n":[2]}}"#, "id"),
        Some(json!({"n": [2]}))
    );
    assert_eq!(correlation_id(r#"{"payload":{"id":1}}"#, "id"), None);
    // What comes after the id is not read.
    assert_eq!(correlation_id(r#"{"id":3,"rest":"#, "id"), Some(json!(3)));
    for text in [
        "", "[1]", "\"id\"", "null", "{\"id\"", "{\"a\":}", "{\"a\":1",
    ] {
        assert_eq!(correlation_id(text, "id"), None, "{text}");
    }
}

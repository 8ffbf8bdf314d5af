//! The Rust client (feature `client`): the other side of the same wire contract.
//!
//! Code generated with `Config::rust_client(true)` (`socketsundso generate --rust-client`) has a
//! `client` module whose `Client` wraps a [`Connection`] with one typed method per message:
//!
//! ```ignore
//! let (client, mut events) = api::client::Client::connect("ws://127.0.0.1:8080/").await?;
//! let pong: api::Pong = client.request_ping(api::Ping {}).await?;        // awaits the reply
//! client.send_message(api::Message { msg: "hi".into() }).await?;          // fire and forget
//! while let Some(event) = events.next().await {                           // everything else
//!     match event {
//!         Ok(api::ServerMessage::Reply(reply)) => println!("{}", reply.msg),
//!         Ok(other) => println!("{other:?}"),
//!         Err(error) => println!("{error}"),    // e.g. an error object no request owns
//!     }
//! }
//! client.close().await;
//! ```
//!
//! (`tests/tests/rust_client.rs` runs this against the real example servers.)
//!
//! ## What it does
//!
//! - **Sending.** [`Connection::send`] serializes a message (the enum adds the tag), checks it,
//!   and queues it for the socket. A writer task writes what is queued and flushes once per
//!   burst.
//! - **The same checks as the server.** Before a message is sent, the client runs the server's
//!   own decoding ([`decode`](crate::decode)) on the exact text it would send: the fast path
//!   (serde straight into the payload type, then the generated checks), and for a bad message
//!   the slow path that lists every violation. A message that fails is not sent; the request
//!   fails with [`ClientError::Invalid`], holding the very error object the server would have
//!   sent (same `code`, same `kind`s, same JSON Pointer paths). [`Settings::check_outgoing`]
//!   turns this off.
//! - **Requests.** [`Connection::request`] puts a fresh correlation id on the message (the
//!   API's id field, `id` by default, right after the tag), or uses the one the payload sets
//!   itself when its schema declares the field. The server copies the id onto the reply and
//!   onto any error the message causes, and the client hands that reply (or error, as
//!   [`ClientError::Server`]) to the waiting request. A request fails with
//!   [`ClientError::Timeout`] after [`Settings::request_timeout`], and with
//!   [`ClientError::Closed`] when the connection ends first.
//! - **Everything else** the server sends (pushed messages, broadcasts, errors that no request
//!   owns, replies that came after their request gave up) arrives on [`Events`], a `Stream` of
//!   `Result<ServerMessage, ClientError>`. It ends when the connection has closed.
//! - **Decoding** what the server sends is the runtime's two-step decoding too: generated code
//!   implements [`Incoming`] for `ServerMessage` when the client is generated, so replies and
//!   events are checked as strictly as the server checks its input. A message that does not
//!   match the document is a [`ClientError::Decode`] with the error object that says why.
//! - **Closing.** [`Connection::close`] sends a close frame and waits for the server's. When
//!   every clone of a `Connection` is dropped, the connection closes by itself.
//!
//! It runs on tokio-tungstenite, the WebSocket stack under axum's `ws`, with a small read
//! buffer (4 KiB). `ws://` URLs only: no TLS is built in.
//!
//! Without a correlation id field (`x-socketsundso-id-field: false`) replies cannot be matched
//! to requests: generated clients then have `send_*` methods only, and replies arrive on
//! [`Events`].

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, Stream, StreamExt as _};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::decode::{Decoded, decode};
use crate::error::{ErrorCode, ErrorMessage};
use crate::{Check, Incoming};

mod error;
mod settings;

pub use error::{ClientError, Closed};
pub use settings::Settings;
pub use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The tungstenite crate the client runs on, for building requests (headers) and for
/// [`Connection::from_stream`].
pub use tokio_tungstenite::tungstenite;

/// A reply, or the error that takes its place, on its way to the waiting request.
type Waiter<S> = oneshot::Sender<Result<S, ClientError>>;

/// An open connection to a server: sends messages and requests. `C` is what the server receives
/// (the generated `ClientMessage`), `S` what it sends (`ServerMessage`).
///
/// Cheap to clone; the clones share the connection, so several tasks can send and await
/// replies at once. The connection closes when [`Connection::close`] is called or every clone
/// is dropped. Messages that are not replies arrive on the [`Events`] returned with it.
pub struct Connection<C, S> {
    inner: Arc<Inner<S>>,
    _messages: PhantomData<fn(C)>,
}

impl<C, S> Clone for Connection<C, S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            _messages: PhantomData,
        }
    }
}

impl<C, S> fmt::Debug for Connection<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("closed", &self.inner.state.closed())
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// What the handles share; dropping the last handle drops `outbound`, which closes the
/// connection.
struct Inner<S> {
    outbound: mpsc::Sender<Outbound>,
    state: Arc<State<S>>,
    settings: Settings,
    next_id: AtomicU64,
}

/// What the handles and the reader task share.
struct State<S> {
    shared: Mutex<Shared<S>>,
    /// Set to `true` when the reader has ended: the connection is gone.
    done: watch::Sender<bool>,
    /// Tells the reader to stop: the closing handshake took too long.
    stop: Notify,
}

struct Shared<S> {
    /// Requests waiting for their reply, by the JSON text of their id.
    waiting: HashMap<String, Waiter<S>>,
    /// Set when the connection is closing or closed: new messages fail with it.
    closed: Option<Closed>,
}

impl<S> State<S> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared<S>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn closed(&self) -> Option<Closed> {
        self.lock().closed.clone()
    }

    fn take(&self, key: &str) -> Option<Waiter<S>> {
        self.lock().waiting.remove(key)
    }

    /// The connection has ended: fail every waiting request with `why`, and tell the writer.
    fn finish(&self, why: Closed) {
        self.fail_waiting(why);
        self.done.send_replace(true);
    }

    /// The connection is closing (or gone): no reply can come any more. Fails every waiting
    /// request, and every new message, with `why` (unless the connection was closing already).
    fn fail_waiting(&self, why: Closed) {
        let waiting = {
            let mut shared = self.lock();
            let why = shared.closed.get_or_insert(why).clone();
            std::mem::take(&mut shared.waiting)
                .into_values()
                .map(move |waiter| (waiter, why.clone()))
                .collect::<Vec<_>>()
        };
        for (waiter, why) in waiting {
            let _ = waiter.send(Err(ClientError::Closed(why)));
        }
    }
}

/// What the writer task writes.
enum Outbound {
    Frame(Message),
    Close,
}

/// Removes a request from the waiting ones when it stops waiting (reply, timeout, drop).
struct Pending<'a, S> {
    state: &'a State<S>,
    key: String,
}

impl<S> Drop for Pending<'_, S> {
    fn drop(&mut self) {
        self.state.lock().waiting.remove(&self.key);
    }
}

impl<C, S> Connection<C, S>
where
    C: Incoming + serde::Serialize,
    S: Incoming,
{
    /// Connects to `request` (a `ws://` URL as `&str` or `String`, or an `http::Request` with
    /// headers) and starts the connection's reader and writer tasks. Returns the connection and
    /// the stream of messages that are not replies.
    ///
    /// # Errors
    ///
    /// [`ClientError::Connect`] when the URL is bad, the TCP connection fails or the server
    /// refuses the WebSocket upgrade; [`ClientError::Timeout`] after
    /// [`Settings::connect_timeout`].
    pub async fn connect<R>(
        request: R,
        settings: Settings,
    ) -> Result<(Self, Events<S>), ClientError>
    where
        R: IntoClientRequest + Unpin,
    {
        let limit = settings.connect_timeout;
        let connecting = tokio_tungstenite::connect_async_with_config(
            request,
            Some(settings.websocket_config()),
            true,
        );
        let (ws, _response) = timeout(limit, connecting)
            .await
            .map_err(|_| ClientError::Timeout(limit))?
            .map_err(|e| ClientError::Connect(Box::new(e)))?;
        Ok(Self::from_stream(ws, settings))
    }

    /// Runs the client over a WebSocket that is already open (after a handshake of your own,
    /// or over another transport). The stream's own configuration stays as it is; `settings`
    /// supplies the rest. Must be called inside a tokio runtime: it spawns the reader and
    /// writer tasks.
    pub fn from_stream<T>(ws: WebSocketStream<T>, settings: Settings) -> (Self, Events<S>)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sink, stream) = ws.split();
        let (outbound, outbound_rx) = mpsc::channel(settings.send_queue);
        let (events, events_rx) = mpsc::channel(settings.event_queue);
        let state = Arc::new(State {
            shared: Mutex::new(Shared {
                waiting: HashMap::new(),
                closed: None,
            }),
            done: watch::Sender::new(false),
            stop: Notify::new(),
        });
        tokio::spawn(read_loop::<_, S>(
            stream,
            Arc::clone(&state),
            events,
            settings.close_timeout,
        ));
        tokio::spawn(write_loop(
            sink,
            outbound_rx,
            Arc::clone(&state),
            settings.clone(),
        ));
        let connection = Self {
            inner: Arc::new(Inner {
                outbound,
                state,
                settings,
                next_id: AtomicU64::new(1),
            }),
            _messages: PhantomData,
        };
        (connection, Events { rx: events_rx })
    }

    /// Sends `message` without waiting for a reply (fire and forget): checks it, then queues it
    /// for the socket. Waits only when the send queue is full. A reply, or an error the message
    /// causes, arrives on [`Events`].
    ///
    /// # Errors
    ///
    /// [`ClientError::Invalid`] when the message breaks its schema (it is not sent);
    /// [`ClientError::Closed`] when the connection is closed.
    pub async fn send(&self, message: C) -> Result<(), ClientError> {
        // A binary message goes out as a binary frame, its bytes as they are.
        if let Some(bytes) = message.to_binary() {
            return self.enqueue(Outbound::Frame(Message::Binary(bytes))).await;
        }
        let text = serde_json::to_string(&message).map_err(ClientError::Serialize)?;
        self.check_as(&text, message.untagged_index())?;
        self.enqueue(Outbound::Frame(Message::Text(text.into())))
            .await
    }

    /// Sends `message` with a correlation id and waits for the reply: the server's message
    /// with the same id, decoded as `S`.
    ///
    /// The id is the payload's own when its schema declares the id field and the message sets
    /// it; otherwise a number the connection counts up.
    ///
    /// # Errors
    ///
    /// - [`ClientError::Server`]: the server answered with an error object;
    /// - [`ClientError::Invalid`]: the message breaks its schema and was not sent;
    /// - [`ClientError::Decode`]: the reply does not match the document;
    /// - [`ClientError::Timeout`]: no reply within [`Settings::request_timeout`];
    /// - [`ClientError::Closed`]: the connection closed before the reply came;
    /// - [`ClientError::NoIdField`]: the API has no correlation id.
    pub async fn request(&self, message: C) -> Result<S, ClientError> {
        let field = C::ID_FIELD.ok_or(ClientError::NoIdField)?;
        let mut text = serde_json::to_string(&message).map_err(ClientError::Serialize)?;
        let id = match declared_id::<C>(&text, field) {
            Some(id) => id,
            None => {
                let id = Value::from(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
                text = crate::server::with_id(&text, field, &id);
                id
            }
        };
        self.check_as(&text, message.untagged_index())?;
        let key = id.to_string();
        let (tx, rx) = oneshot::channel();
        let state = &*self.inner.state;
        {
            let mut shared = state.lock();
            if let Some(closed) = &shared.closed {
                return Err(ClientError::Closed(closed.clone()));
            }
            if shared.waiting.contains_key(&key) {
                return Err(ClientError::IdInUse(id));
            }
            shared.waiting.insert(key.clone(), tx);
        }
        let _pending = Pending { state, key };
        // The time limit covers the wait for room in the send queue too: a server that stops
        // reading must not hold a request past it.
        let limit = self.inner.settings.request_timeout;
        let exchange = async {
            self.enqueue(Outbound::Frame(Message::Text(text.into())))
                .await?;
            match rx.await {
                Ok(result) => result,
                // The reader dropped the waiter without an answer: it has ended.
                Err(_) => Err(ClientError::Closed(self.closed_reason())),
            }
        };
        match timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout(limit)),
        }
    }

    /// Sends `text` as one text frame, exactly as it is: for messages built by hand. It is
    /// checked like every message (unless [`Settings::check_outgoing`] is off), so an invalid
    /// one fails with [`ClientError::Invalid`] and the error object the server would send;
    /// with the check off it goes out as it is, to test a server.
    ///
    /// # Errors
    ///
    /// As [`Connection::send`].
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), ClientError> {
        let text = text.into();
        self.check(&text)?;
        self.enqueue(Outbound::Frame(Message::Text(text.into())))
            .await
    }

    /// Checks `text` as the server will: with the server's decoding.
    fn check(&self, text: &str) -> Result<(), ClientError> {
        self.check_as(text, None)
    }

    /// [`Connection::check`] of a message that is `untagged` (its index into
    /// [`Incoming::UNTAGGED`]), if it has no tag: the server must read it as that message, not as
    /// another one that its value fits.
    fn check_as(&self, text: &str, untagged: Option<usize>) -> Result<(), ClientError> {
        if !self.inner.settings.check_outgoing {
            return Ok(());
        }
        let result = match untagged {
            Some(index) => crate::decode::decode_untagged_as::<C>(text, index).map(drop),
            None => decode::<C>(text).map(drop),
        };
        result.map_err(|error| ClientError::Invalid(Box::new(error)))
    }
}

impl<C, S> Connection<C, S> {
    /// Closes the connection: sends a close frame (code 1000) after the messages queued before
    /// it, and waits (up to [`Settings::close_timeout`]) for the server's close frame. Requests
    /// still waiting fail with [`ClientError::Closed`]; sending fails from now on. Closing twice
    /// does no harm.
    pub async fn close(&self) {
        {
            let mut shared = self.inner.state.lock();
            if shared.closed.is_none() {
                shared.closed = Some(Closed {
                    code: Some(1000),
                    reason: "closed by the client".to_owned(),
                });
            }
        }
        // Fails only when the writer is gone, and then the connection is closed already.
        let _ = self.inner.outbound.send(Outbound::Close).await;
        let mut done = self.inner.state.done.subscribe();
        let _ = timeout(
            self.inner.settings.close_timeout * 2,
            done.wait_for(|done| *done),
        )
        .await;
    }

    /// Why the connection is closed, or `None` while it is open (and not closing).
    pub fn closed(&self) -> Option<Closed> {
        self.inner.state.closed()
    }

    /// The settings the connection runs with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    async fn enqueue(&self, item: Outbound) -> Result<(), ClientError> {
        if let Some(closed) = self.inner.state.closed() {
            return Err(ClientError::Closed(closed));
        }
        self.inner
            .outbound
            .send(item)
            .await
            .map_err(|_| ClientError::Closed(self.closed_reason()))
    }

    fn closed_reason(&self) -> Closed {
        self.inner.state.closed().unwrap_or_else(|| Closed {
            code: None,
            reason: "the connection ended".to_owned(),
        })
    }
}

/// The id the payload sets itself, when some message's schema declares the id field and the
/// serialized message has a value there.
fn declared_id<C: Incoming>(text: &str, field: &str) -> Option<Value> {
    if !C::TAGS.iter().any(|tag| C::payload_declares_id(tag)) {
        return None;
    }
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    object.remove(field).filter(|id| !id.is_null())
}

/// The messages from the server that are not replies to a request: pushed messages and
/// broadcasts, errors that no request owns ([`ClientError::Server`]), messages that do not match
/// the document ([`ClientError::Decode`]), and replies that came after their request stopped
/// waiting. A `Stream`; it ends when the connection has closed.
///
/// Read it: while it is full (see [`Settings::event_queue`]) the client stops reading the
/// socket, replies included. Dropping it discards these messages.
pub struct Events<S> {
    rx: mpsc::Receiver<Result<S, ClientError>>,
}

impl<S> fmt::Debug for Events<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("queued", &self.rx.len())
            .finish()
    }
}

impl<S> Events<S> {
    /// The next message, or `None` when the connection has closed (after every message that
    /// came before the close).
    pub async fn next(&mut self) -> Option<Result<S, ClientError>> {
        self.rx.recv().await
    }

    /// The next message if one is there already, without waiting.
    pub fn try_next(&mut self) -> Option<Result<S, ClientError>> {
        self.rx.try_recv().ok()
    }
}

impl<S> Stream for Events<S> {
    type Item = Result<S, ClientError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// Reads the socket until it closes: hands replies to their requests and everything else to
/// the events.
async fn read_loop<T, S>(
    mut stream: SplitStream<WebSocketStream<T>>,
    state: Arc<State<S>>,
    events: mpsc::Sender<Result<S, ClientError>>,
    close_timeout: std::time::Duration,
) where
    T: AsyncRead + AsyncWrite + Unpin,
    S: Incoming,
{
    let why = loop {
        let frame = tokio::select! {
            biased;
            () = state.stop.notified() => break Closed {
                code: None,
                reason: "the server did not answer the close frame".to_owned(),
            },
            frame = stream.next() => frame,
        };
        match frame {
            Some(Ok(Message::Text(text))) => route(&state, &events, text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => {
                // The API's binary message (never a reply: it carries no id), or a frame the
                // document does not declare.
                let item = S::from_binary(bytes).ok_or_else(|| {
                    ClientError::Decode(Box::new(ErrorMessage::new(
                        ErrorCode::UnsupportedFrame,
                        "the server sent a binary frame; the API speaks JSON text frames",
                    )))
                });
                let _ = events.send(item).await;
            }
            Some(Ok(Message::Close(frame))) => {
                let closed = match frame {
                    Some(frame) => Closed {
                        code: Some(frame.code.into()),
                        reason: frame.reason.as_str().to_owned(),
                    },
                    None => Closed {
                        code: Some(1005),
                        reason: String::new(),
                    },
                };
                // No reply comes after a close frame.
                state.fail_waiting(closed.clone());
                // Reading on sends tungstenite's answering close frame, then sees the end.
                let rest = async { while let Some(Ok(_)) = stream.next().await {} };
                tokio::select! {
                    biased;
                    () = state.stop.notified() => {}
                    _ = timeout(close_timeout, rest) => {}
                }
                break closed;
            }
            Some(Ok(_)) => {} // pings are answered by tungstenite
            Some(Err(e)) => {
                break Closed {
                    code: None,
                    reason: e.to_string(),
                };
            }
            None => {
                break Closed {
                    code: None,
                    reason: "the connection ended".to_owned(),
                };
            }
        }
    };
    state.finish(why);
}

/// Decodes one text frame from the server and delivers it: to the request whose id it
/// carries, or else to the events.
async fn route<S: Incoming>(
    state: &State<S>,
    events: &mpsc::Sender<Result<S, ClientError>>,
    text: &str,
) {
    let (id, item) = match decode::<S>(text) {
        Ok(Decoded { message, id }) => (id, Ok(message)),
        Err(bad) => match ErrorMessage::from_json_tagged(text, S::TAG_FIELD) {
            Some(error) => (error.id.clone(), Err(ClientError::Server(Box::new(error)))),
            None => (bad.id.clone(), Err(ClientError::Decode(Box::new(bad)))),
        },
    };
    let item = match id.and_then(|id| state.take(&id.to_string())) {
        Some(waiter) => match waiter.send(item) {
            Ok(()) => return,
            // The request stopped waiting just now.
            Err(item) => item,
        },
        None => item,
    };
    // Nobody reads the events: drop them.
    let _ = events.send(item).await;
}

/// Writes what the handles queue, flushing once per burst, until the connection closes.
async fn write_loop<T>(
    mut sink: SplitSink<WebSocketStream<T>, Message>,
    mut outbound: mpsc::Receiver<Outbound>,
    state: Arc<State<impl Sized>>,
    settings: Settings,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut done = state.done.subscribe();
    loop {
        let item = tokio::select! {
            biased;
            item = outbound.recv() => item,
            // The reader has ended: nothing more can be sent.
            _ = done.wait_for(|done| *done) => return,
        };
        // `None`: every handle is gone, so close.
        let Some(Outbound::Frame(frame)) = item else {
            break;
        };
        if sink.feed(frame).await.is_err() {
            return;
        }
        let mut close = false;
        for _ in 0..settings.send_queue {
            match outbound.try_recv() {
                Ok(Outbound::Frame(frame)) => {
                    if sink.feed(frame).await.is_err() {
                        return;
                    }
                }
                Ok(Outbound::Close) => {
                    close = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
        if close {
            break;
        }
    }
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: Utf8Bytes::default(),
    };
    let limit = settings.close_timeout;
    if let Ok(Ok(())) = timeout(limit, sink.send(Message::Close(Some(frame)))).await
        && timeout(limit, done.wait_for(|done| *done)).await.is_ok()
    {
        return;
    }
    // The server did not answer in time: stop reading too.
    state.stop.notify_one();
}

/// One way to read a payload, for [`one_of`].
#[doc(hidden)]
pub type Candidate<S> = fn(&Value) -> Result<S, String>;

/// Decodes the payload of a tag that several server messages share: each candidate in turn
/// (document order), the first that deserializes and passes its checks wins. Generated
/// clients use it; a server can send such messages, and only the content tells them apart.
///
/// # Errors
///
/// The first candidate's error, when none fits.
#[doc(hidden)]
pub fn one_of<'de, D, S>(payload: D, candidates: &[Candidate<S>]) -> Result<S, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = <Value as serde::Deserialize>::deserialize(payload)?;
    let mut first = None;
    for candidate in candidates {
        match candidate(&value) {
            Ok(message) => return Ok(message),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(serde::de::Error::custom(
        first.unwrap_or_else(|| "no message fits".to_owned()),
    ))
}

/// One candidate of [`one_of`]: `value` as a `T` that passes its checks.
///
/// # Errors
///
/// serde's message, or that the value breaks its schema.
#[doc(hidden)]
pub fn candidate<T: serde::de::DeserializeOwned + Check>(value: &Value) -> Result<T, String> {
    let message = T::deserialize(value).map_err(|e| e.to_string())?;
    if message.check() {
        Ok(message)
    } else {
        Err("the message breaks its schema".to_owned())
    }
}

#[cfg(test)]
mod tests;

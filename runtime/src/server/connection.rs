//! The connection loop: one task per connection owns the socket, reads and handles messages in
//! order, and writes what its [`Outbox`] holds and the replies.
//!
//! The writer runs in the same task as the handlers, without a channel hop: between messages,
//! when the outbox wakes it, and *while a handler is waiting* (so a handler that awaits a
//! database, or a back-pressured broadcast to a room that includes its own connection, does not
//! stall this connection's own deliveries). Each write is a batch of up to [`BATCH`] bytes from
//! the outbox, then the reply if it is the last batch, then one flush, all within the write
//! timeout (see [`Settings::write_timeout`]). A reply to a message is not flushed at once when
//! the client's next message is already here: its flush waits until the read would wait (or a
//! handler does, or [`MAX_DEFERRED`] replies wait), so a pipelining client gets its replies in
//! one write.
//!
//! The limits that act on a running connection live here too: the message rate (a token bucket
//! per connection, checked before a message is decoded), the handler timeout, and one lazy timer
//! for the idle timeout and the pings (a frame only records when it came; the timer is set again
//! only when it fires). A graceful [`Shutdown`] queues a close request in the outbox, like
//! [`Context::close`]; when its deadline forces the connection, the outbox wakes the task, which
//! drops the handler that is running.

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{FutureExt as _, Sink, SinkExt as _, Stream, StreamExt as _};
use tokio::time::{Instant, timeout};

use super::Settings;
use super::endpoint::Identity;
use super::limits::{Bucket, Clock, Event, Rate, Shared, Slot, Tick};
use super::shutdown::{CLOSE_GOING_AWAY, Shutdown};
use crate::context::{Context, encode};
use crate::decode::{Decoded, decode};
use crate::error::{ErrorCode, ErrorMessage};
use crate::rooms::outbox::{Outbound, Outbox, Slow};
use crate::rooms::{ConnectionId, Hub};
use crate::{Incoming, Outgoing, Service};

/// Close code 1008, policy violation: used for a slow consumer.
const CLOSE_POLICY: u16 = 1008;
/// Close code 1009: a message was too big.
const CLOSE_TOO_BIG: u16 = 1009;
/// Close code 1011: the server failed.
const CLOSE_INTERNAL: u16 = 1011;
/// Close code 1002: protocol error.
const CLOSE_PROTOCOL: u16 = 1002;
/// Close code 1007: a text frame was not UTF-8.
const CLOSE_INVALID_PAYLOAD: u16 = 1007;

/// How many bytes of queued messages one write takes from the outbox before it flushes.
const BATCH: usize = 64 * 1024;

/// How many replies may wait for one flush. A reply's flush is deferred while the client's next
/// message is already here (a pipelining client gets its replies in one write, as the
/// references' servers cannot), and happens when the read would wait, when a handler waits,
/// before anything else is written, or after this many replies.
const MAX_DEFERRED: u32 = 64;

/// What the endpoint gives a connection besides its service, hub, route parameters and socket.
#[derive(Default)]
pub(crate) struct Extras {
    /// The connection's place in the endpoint's limits, held until it ends.
    pub(crate) slot: Option<Slot>,
    /// The axum router's state, for [`Context::app_state`].
    pub(crate) app_state: Option<Arc<dyn Any + Send + Sync>>,
    /// What the authentication hook returned, for [`Context::identity`].
    pub(crate) identity: Option<Identity>,
    /// The endpoint's counters.
    pub(crate) shared: Arc<Shared>,
    /// The shutdown the connection takes part in.
    pub(crate) shutdown: Option<Shutdown>,
}

/// Runs a future for at most `limit` (`Option<Duration>`, `None`: no limit); evaluates to `None`
/// if it took longer. A future that completes at its first poll (most handlers) gets no timer. A
/// macro rather than an `async fn`, so that the future is stored once, in place, in the caller's
/// state (an `async fn` keeps its argument and the pinned copy of it side by side).
macro_rules! within {
    ($limit:expr, $future:expr) => {{
        let mut future = std::pin::pin!($future);
        match $limit {
            None => Some(future.as_mut().await),
            Some(limit) => match future.as_mut().now_or_never() {
                Some(output) => Some(output),
                None => timeout(limit, future).await.ok(),
            },
        }
    }};
}

/// Serves one WebSocket connection until it ends.
///
/// This is what [`Endpoint`](crate::Endpoint) runs after the upgrade; call it directly to serve
/// any other transport that yields axum [`Message`]s.
///
/// 1. Registers the connection in `hub` and calls [`Service::on_connect`]. A [`Reject`](crate::Reject)
///    is sent as a close frame and ends the connection.
/// 2. Handles text frames in order, one at a time: decode, [`Service::handle`], reply. Every bad
///    input gets an error message (see [`ErrorCode`]) and the connection stays open, including
///    when a handler panics (`internal`). Messages queued for this connection (by its own
///    handler, or by others) are written before the reply, and flushed once per batch.
/// 3. When the client closes, the stream ends, a read fails, a handler calls
///    [`Context::close`], or the connection is found to be a slow consumer, the loop ends; then
///    [`Service::on_disconnect`] runs and the connection leaves its rooms.
///
/// A binary frame is the API's binary message, when it declares one ([`Incoming::from_binary`]);
/// otherwise it gets `unsupported_frame`. A binary reply goes out as a binary frame. Pings are
/// answered by the WebSocket layer. A message larger than the limits (binary or text) gets
/// `too_large` and close code 1009. The rate limit, the handler timeout, the idle timeout and the
/// pings of `settings` apply; the connection limits, the origin check and authentication belong
/// to the upgrade, which [`Endpoint`](crate::Endpoint) does.
pub fn serve_connection<S, W, E>(
    service: Arc<S>,
    hub: Hub,
    params: Vec<(String, String)>,
    socket: W,
    settings: Settings,
) -> impl Future<Output = ()>
where
    S: Service,
    W: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin + Send,
    <W as Sink<Message>>::Error: Display,
    E: Display,
{
    let setup = Setup {
        service,
        hub,
        params,
        settings: Arc::new(settings),
        extras: Extras::default(),
    };
    serve(Box::new(setup), socket)
}

/// Everything a connection needs besides its socket. Boxed once per connection, and used in
/// place: a connection's task holds each of these once (an `async fn` would keep its arguments
/// and the locals they move into side by side, for the connection's whole life).
pub(crate) struct Setup<S> {
    pub(crate) service: Arc<S>,
    pub(crate) hub: Hub,
    pub(crate) params: Vec<(String, String)>,
    /// Shared by the endpoint's connections.
    pub(crate) settings: Arc<Settings>,
    pub(crate) extras: Extras,
}

/// [`serve_connection`], with what the endpoint adds (see [`Extras`]).
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` would keep its arguments next to the locals they move into, for the \
              connection's whole life; the `async move` block uses the boxed setup and the socket \
              in place"
)]
pub(crate) fn serve<S, W, E>(mut setup: Box<Setup<S>>, mut socket: W) -> impl Future<Output = ()>
where
    S: Service,
    W: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin + Send,
    <W as Sink<Message>>::Error: Display,
    E: Display,
{
    async move {
        let setup = &mut *setup;
        let settings = &*setup.settings;
        let service = &*setup.service;
        let hub = &setup.hub;
        let shared = &*setup.extras.shared;
        let outbox = hub.register(settings.max_pending_bytes, settings.slow_consumer);
        let id = outbox.id();
        // Until this drops, the shutdown waits for the connection.
        let registered = setup.extras.shutdown.as_ref().map(|s| s.register(&outbox));
        let ctx = Context::<S::Outgoing>::new(
            std::mem::take(&mut setup.params),
            hub.clone(),
            Arc::clone(&outbox),
        )
        .with_app_state(setup.extras.app_state.take())
        .with_identity(setup.extras.identity.take());
        tracing::debug!(connection = %id, "connected");
        let mut conn = Conn {
            socket: &mut socket,
            outbox: &outbox,
            settings,
            shared,
            shutdown: registered.as_ref().map(|r| r.shutdown()),
            id,
            tag_field: <S::Incoming as Incoming>::TAG_FIELD,
            batch: Vec::new(),
            close: None,
            defer: false,
            unflushed: 0,
        };

        let limit = settings.handler_timeout;
        // One await each (no `within!`): the hook's future then shares its place in this task
        // with the loop's, instead of taking its own.
        let on_connect = AssertUnwindSafe(service.on_connect(&ctx)).catch_unwind();
        let connected = match limit {
            Some(limit) => timeout(limit, on_connect).await.ok(),
            None => Some(on_connect.await),
        };
        let accepted = match connected {
            Some(Ok(Ok(()))) => true,
            Some(Ok(Err(reject))) => {
                tracing::debug!(connection = %id, code = reject.code, reason = %reject.reason, "connection rejected");
                conn.close(reject.code, &reject.reason, true).await;
                false
            }
            Some(Err(panic)) => {
                tracing::error!(connection = %id, panic = panic_message(&*panic), "on_connect panicked");
                conn.close(CLOSE_INTERNAL, "internal error", true).await;
                false
            }
            None => {
                let total = shared.count(Event::HandlerTimeout);
                tracing::warn!(connection = %id, ?limit, total, "on_connect timed out");
                conn.close(CLOSE_INTERNAL, "timeout", false).await;
                false
            }
        };
        if accepted {
            conn.run(service, &ctx).await;
            drop(conn);
            let on_disconnect = AssertUnwindSafe(service.on_disconnect(&ctx)).catch_unwind();
            let disconnected = match limit {
                Some(limit) => timeout(limit, on_disconnect).await.ok(),
                None => Some(on_disconnect.await),
            };
            match disconnected {
                Some(Ok(())) => {}
                Some(Err(panic)) => {
                    tracing::error!(connection = %id, panic = panic_message(&*panic), "on_disconnect panicked");
                }
                None => {
                    let total = shared.count(Event::HandlerTimeout);
                    tracing::warn!(connection = %id, ?limit, total, "on_disconnect timed out");
                }
            }
        }
        hub.unregister(id);
        drop(registered);
        // Its place in the endpoint's limits is free again.
        drop(setup.extras.slot.take());
        tracing::debug!(connection = %id, "disconnected");
    }
}

/// What the loop does after a write.
enum Flow {
    Continue,
    /// Send a close frame, wait for the client's, and end.
    Close(u16, String),
    /// The connection is a slow consumer: close it with 1008 and end.
    Slow(Slow),
    /// Send a close frame and end, without waiting for the client's (it is abusive or gone).
    Drop(u16, &'static str),
    /// End now (the socket failed).
    Stop,
}

struct Conn<'a, W> {
    socket: &'a mut W,
    outbox: &'a Outbox,
    settings: &'a Settings,
    /// The endpoint's counters.
    shared: &'a Shared,
    /// The shutdown the connection takes part in, if any.
    shutdown: Option<&'a Shutdown>,
    id: ConnectionId,
    /// The API's tag field, which error messages use too.
    tag_field: &'static str,
    /// The batch being written (kept for its capacity).
    batch: Vec<Outbound>,
    /// A close request taken from the outbox: it takes effect after the current reply.
    close: Option<(u16, String)>,
    /// Set while a reply to a client's message is written: its flush may wait (see
    /// [`MAX_DEFERRED`]).
    defer: bool,
    /// Replies written since the last flush (they wait in the WebSocket layer's buffer).
    unflushed: u32,
}

impl<W, E> Conn<'_, W>
where
    W: Sink<Message> + Stream<Item = Result<Message, E>> + Unpin + Send,
    <W as Sink<Message>>::Error: Display,
    E: Display,
{
    async fn run<S: Service>(&mut self, service: &S, ctx: &Context<S::Outgoing>) {
        let outbox = self.outbox;
        let settings = self.settings;
        let shared = self.shared;
        let now = Instant::now();
        let mut bucket = settings.rate_limit.map(|limit| Bucket::new(limit, now));
        let mut clock = Clock::new(
            settings.ping_interval,
            settings.pong_timeout,
            settings.idle_timeout,
            now,
        );
        let timed = clock.enabled();
        let timer = tokio::time::sleep_until(clock.next().unwrap_or_else(far_future));
        tokio::pin!(timer);
        loop {
            // Replies wait for their flush while the next message is already here.
            let mut ready = None;
            if self.unflushed > 0 {
                match self.socket.next().now_or_never() {
                    Some(frame) => ready = Some(frame),
                    None => match self.flush_deferred().await {
                        Flow::Continue => {}
                        Flow::Slow(why) => {
                            self.close(CLOSE_POLICY, why.reason(), false).await;
                            return;
                        }
                        _ => return,
                    },
                }
            }
            let waiting = ready.is_none();
            // Reading first: while messages keep arriving, the outbox is still written before
            // every reply, so neither side starves.
            let flow = tokio::select! {
                biased;
                frame = async {
                    match ready.take() {
                        Some(frame) => frame,
                        None => self.socket.next().await,
                    }
                } => {
                    let now = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => {
                            clock.seen(now, true);
                            match self.rate(&mut bucket, now) {
                                Rate::Allowed => {
                                    // Boxed: the handler's state (the generated match over
                                    // every handler) lives on the heap while a message is
                                    // handled, not in every idle connection's task: one
                                    // allocation per message, about 1 KiB less per connection.
                                    let handled = {
                                        let mut handler = Box::pin(handle_text(
                                            service,
                                            ctx,
                                            text.as_str(),
                                            settings.handler_timeout,
                                            shared,
                                        ));
                                        self.while_writing(handler.as_mut()).await
                                    };
                                    if clock.times_idleness() {
                                        clock.handled(Instant::now());
                                    }
                                    match handled {
                                        Some((reply, Flow::Continue)) => self.write_reply(reply).await,
                                        Some((_, other)) => other,
                                        None => Flow::Drop(CLOSE_GOING_AWAY, "server shutting down"),
                                    }
                                }
                                Rate::Rejected => {
                                    // Not decoded, but its correlation id is looked for, so
                                    // that the client's request fails at once.
                                    let id = <S::Incoming as Incoming>::ID_FIELD
                                        .and_then(|field| correlation_id(text.as_str(), field));
                                    // Boxed, as below: a rare path, the largest state of the
                                    // loop otherwise.
                                    Box::pin(self.rate_limited(id)).await
                                }
                                Rate::Close => self.rate_limit_close(),
                            }
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            clock.seen(now, true);
                            match self.rate(&mut bucket, now) {
                                Rate::Allowed => match <S::Incoming as Incoming>::from_binary(bytes) {
                                    // The API's binary message: handled like any other.
                                    Some(message) => {
                                        let handled = {
                                            let mut handler = Box::pin(handle_message(
                                                service,
                                                ctx,
                                                message,
                                                None,
                                                settings.handler_timeout,
                                                shared,
                                            ));
                                            self.while_writing(handler.as_mut()).await
                                        };
                                        if clock.times_idleness() {
                                            clock.handled(Instant::now());
                                        }
                                        match handled {
                                            Some((reply, Flow::Continue)) => self.write_reply(reply).await,
                                            Some((_, other)) => other,
                                            None => Flow::Drop(CLOSE_GOING_AWAY, "server shutting down"),
                                        }
                                    }
                                    None => {
                                        let error = ErrorMessage::new(
                                            ErrorCode::UnsupportedFrame,
                                            "binary frames are not supported; send JSON text frames",
                                        );
                                        let text = error.to_json_tagged(self.tag_field);
                                        // Boxed: a rare path (see the rate limit's).
                                        Box::pin(self.write(Some(Message::Text(text.into())))).await
                                    }
                                },
                                Rate::Rejected => Box::pin(self.rate_limited(None)).await,
                                Rate::Close => self.rate_limit_close(),
                            }
                        }
                        Some(Ok(Message::Ping(_))) => {
                            clock.seen(now, false);
                            // The WebSocket layer has answered it already: an excess ping is
                            // only counted.
                            match self.rate(&mut bucket, now) {
                                Rate::Allowed | Rate::Rejected => Flow::Continue,
                                Rate::Close => self.rate_limit_close(),
                            }
                        }
                        Some(Ok(Message::Pong(_))) => {
                            clock.seen(now, false);
                            Flow::Continue
                        }
                        Some(Ok(Message::Close(frame))) => {
                            tracing::debug!(connection = %self.id, ?frame, "client closed");
                            // The WebSocket layer has queued the answering close frame: send it.
                            let _ = timeout(self.settings.close_timeout, self.socket.flush()).await;
                            return;
                        }
                        Some(Err(e)) => {
                            // Every reply to a message handled before the failure goes out
                            // first (at the end of the stream, the WebSocket layer reports an
                            // error, not the end).
                            if let Flow::Continue = self.flush_deferred().await {
                                // Boxed: a rare path (see the rate limit's).
                                Box::pin(self.read_failed(&e)).await;
                            }
                            return;
                        }
                        // The client stopped sending (it may still read): what waits goes out.
                        None => {
                            let _ = self.flush_deferred().await;
                            return;
                        }
                    }
                },
                () = outbox.ready(), if waiting => {
                    if self.forced() {
                        Flow::Drop(CLOSE_GOING_AWAY, "server shutting down")
                    } else {
                        self.write(None).await
                    }
                }
                () = &mut timer, if timed && waiting => {
                    let flow = match clock.tick(Instant::now()) {
                        Tick::Wait => Flow::Continue,
                        Tick::Ping => self.ping().await,
                        Tick::NoPong => {
                            let total = self.shared.count(Event::PongTimeout);
                            tracing::info!(connection = %self.id, timeout = ?settings.pong_timeout, total, "closed: no pong");
                            Flow::Drop(CLOSE_GOING_AWAY, "no pong")
                        }
                        Tick::Idle => {
                            let total = self.shared.count(Event::IdleClose);
                            tracing::info!(connection = %self.id, timeout = ?settings.idle_timeout, total, "closed: idle timeout");
                            Flow::Close(CLOSE_GOING_AWAY, "idle timeout".to_owned())
                        }
                    };
                    if let Some(next) = clock.next() {
                        timer.as_mut().reset(next);
                    }
                    flow
                }
            };
            match flow {
                Flow::Continue => {}
                Flow::Close(code, reason) => {
                    self.close(code, &reason, true).await;
                    return;
                }
                Flow::Slow(why) => {
                    // The client is not keeping up: do not wait for its answer.
                    self.close(CLOSE_POLICY, why.reason(), false).await;
                    return;
                }
                Flow::Drop(code, reason) => {
                    self.close(code, reason, false).await;
                    return;
                }
                Flow::Stop => return,
            }
        }
    }

    /// Whether the shutdown's deadline has forced this connection.
    fn forced(&self) -> bool {
        self.shutdown.is_some_and(Shutdown::is_forced)
    }

    /// What the rate limit says about a frame that came `now`.
    fn rate(&self, bucket: &mut Option<Bucket>, now: Instant) -> Rate {
        match bucket {
            None => Rate::Allowed,
            Some(bucket) => {
                let rate = bucket.take(now);
                if rate != Rate::Allowed {
                    let total = self.shared.count(Event::RateLimited);
                    tracing::debug!(connection = %self.id, total, "rate limited");
                }
                rate
            }
        }
    }

    /// Answers a message over the rate limit (with the correlation id it carried, if any).
    async fn rate_limited(&mut self, id: Option<serde_json::Value>) -> Flow {
        let message = match self.settings.rate_limit {
            Some(limit) => format!(
                "too many messages: at most {} a second, {} at once; this one was not handled",
                limit.per_second, limit.burst
            ),
            None => "too many messages".to_owned(),
        };
        let error = ErrorMessage::new(ErrorCode::RateLimited, message);
        let error = match id {
            Some(id) => error.with_id(id),
            None => error,
        };
        let text = error.to_json_tagged(self.tag_field);
        self.write(Some(Message::Text(text.into()))).await
    }

    /// Ends a connection that keeps going over its rate limit.
    fn rate_limit_close(&self) -> Flow {
        let total = self.shared.count(Event::RateLimitClose);
        tracing::info!(connection = %self.id, total, "closed: rate limit exceeded");
        Flow::Drop(CLOSE_POLICY, "rate limit exceeded")
    }

    /// Sends a ping, within the write timeout.
    async fn ping(&mut self) -> Flow {
        match timeout(
            self.settings.write_timeout,
            self.socket.send(Message::Ping(Bytes::new())),
        )
        .await
        {
            Ok(Ok(())) => Flow::Continue,
            Ok(Err(e)) => {
                tracing::debug!(connection = %self.id, error = %e, "could not send a ping");
                Flow::Stop
            }
            Err(_) => self.write_timed_out(),
        }
    }

    /// A write (or a ping) took longer than the write timeout: the connection is a slow
    /// consumer.
    fn write_timed_out(&self) -> Flow {
        let total = self.shared.count(Event::WriteTimeout);
        tracing::info!(connection = %self.id, timeout = ?self.settings.write_timeout, total, "slow consumer: a write timed out");
        self.outbox.mark_slow(Slow::Deadline);
        Flow::Slow(Slow::Deadline)
    }

    /// Runs a handler to completion, writing what the outbox gets meanwhile. A failed write
    /// stops the writing, never the handler. `None`: the shutdown's deadline forced the
    /// connection, and the handler was dropped.
    async fn while_writing<F: Future>(
        &mut self,
        mut handler: std::pin::Pin<&mut F>,
    ) -> Option<(F::Output, Flow)> {
        let outbox = self.outbox;
        let mut flow = Flow::Continue;
        if self.unflushed > 0 {
            // The earlier replies go out before this handler waits for anything.
            if let Some(output) = handler.as_mut().now_or_never() {
                return Some((output, flow));
            }
            flow = self.flush_deferred().await;
        }
        loop {
            tokio::select! {
                biased;
                output = handler.as_mut() => return Some((output, flow)),
                () = outbox.ready() => {
                    if self.forced() {
                        return None;
                    }
                    if matches!(flow, Flow::Continue) && self.close.is_none() {
                        flow = self.write_queued(None).await;
                    }
                }
            }
        }
    }

    /// [`Conn::write`] for the reply to a client's message: its flush may be deferred.
    async fn write_reply(&mut self, reply: Option<Message>) -> Flow {
        self.defer = true;
        let flow = self.write(reply).await;
        self.defer = false;
        flow
    }

    /// Flushes the replies that wait for it, within the write timeout.
    async fn flush_deferred(&mut self) -> Flow {
        if self.unflushed == 0 {
            return Flow::Continue;
        }
        self.unflushed = 0;
        match timeout(self.settings.write_timeout, self.socket.flush()).await {
            Ok(Ok(())) => Flow::Continue,
            Ok(Err(e)) => {
                tracing::warn!(connection = %self.id, error = %e, "write failed");
                Flow::Stop
            }
            Err(_) => self.write_timed_out(),
        }
    }

    /// Writes what is queued now, then `reply`; then a close request that came with them.
    async fn write(&mut self, reply: Option<Message>) -> Flow {
        match self.write_queued(reply).await {
            Flow::Continue => match self.close.take() {
                Some((code, reason)) => Flow::Close(code, reason),
                None => Flow::Continue,
            },
            other => other,
        }
    }

    /// Writes batches from the outbox until it is empty, what was pending at the start is
    /// written, or a close request is taken; then `reply`, if any, with the last batch. Messages
    /// queued meanwhile are left for the next round, so a steady stream of broadcasts cannot keep
    /// the loop from reading or a handler from running.
    async fn write_queued(&mut self, mut reply: Option<Message>) -> Flow {
        let outbox = self.outbox;
        let limit = self.settings.write_timeout;
        let mut budget = None;
        let mut spent = 0;
        loop {
            let (taken, more) = if self.close.is_some() {
                (0, false)
            } else {
                match outbox.take(&mut self.batch, BATCH) {
                    Ok(taken) => {
                        budget.get_or_insert(taken.pending);
                        (taken.bytes, taken.more)
                    }
                    Err(why) => return Flow::Slow(why),
                }
            };
            if self.batch.is_empty() && reply.is_none() {
                return Flow::Continue;
            }
            spent += taken;
            let last = !more || spent >= budget.unwrap_or(0);
            // Most writes complete at once: only a blocked one gets a timer and a watch for the
            // connection being found slow meanwhile.
            let written = {
                // Boxed, one allocation per write: the write's state (about 400 bytes) is not
                // kept in every idle connection's task.
                let mut write = Box::pin(self.write_batch(&mut reply, last));
                match write.as_mut().now_or_never() {
                    Some(result) => Ok(result),
                    // Boxed: the timer and the watch are in every connection's task only while
                    // a write is blocked (about 200 bytes less per idle connection).
                    None => match Box::pin(async {
                        tokio::select! {
                            biased;
                            written = timeout(limit, write) => Some(written),
                            () = outbox.slow_signal() => None,
                        }
                    })
                    .await
                    {
                        Some(written) => written,
                        None => return Flow::Slow(outbox.slow().unwrap_or(Slow::Bytes)),
                    },
                }
            };
            match written {
                Ok(Ok(last)) => {
                    let more = outbox.written(taken);
                    if last {
                        if more && self.close.is_none() {
                            // Left for the next round, after a look at the socket.
                            outbox.wake_writer();
                        }
                        return Flow::Continue;
                    }
                }
                Ok(Err(flow)) => return flow,
                Err(_) => return self.write_timed_out(),
            }
        }
    }

    /// Feeds the batch, then `reply` if this is the last batch (`last`, or a close request
    /// came), and flushes. Returns whether it was the last.
    async fn write_batch(&mut self, reply: &mut Option<Message>, last: bool) -> Result<bool, Flow> {
        let mut batch = std::mem::take(&mut self.batch);
        let mut result = Ok(());
        for item in batch.drain(..) {
            match item {
                Outbound::Text(text) => {
                    if result.is_ok() {
                        result = self.feed(Message::Text(text)).await;
                    }
                }
                Outbound::Binary(bytes) => {
                    if result.is_ok() {
                        result = self.feed(Message::Binary(bytes)).await;
                    }
                }
                // The first close request wins; it takes effect after the reply.
                Outbound::Close(code, reason) => {
                    self.close.get_or_insert((code, reason));
                }
            }
        }
        self.batch = batch;
        result?;
        let last = last || self.close.is_some();
        let mut deferred = false;
        if last && let Some(reply) = reply.take() {
            self.feed(reply).await?;
            deferred = self.defer && self.close.is_none() && self.unflushed < MAX_DEFERRED;
        }
        if deferred {
            // Flushed when the read would wait (see `run`).
            self.unflushed += 1;
            return Ok(last);
        }
        self.unflushed = 0;
        if let Err(e) = self.socket.flush().await {
            tracing::warn!(connection = %self.id, error = %e, "write failed");
            return Err(Flow::Stop);
        }
        Ok(last)
    }

    async fn feed(&mut self, message: Message) -> Result<(), Flow> {
        self.socket.feed(message).await.map_err(|e| {
            tracing::warn!(connection = %self.id, error = %e, "write failed");
            Flow::Stop
        })
    }

    /// A read failed. Messages too big get `too_large` and close code 1009; UTF-8 and
    /// protocol errors get 1007 and 1002. The socket is not read again: after an oversized frame
    /// header, reading on would buffer the very payload the limit is there to refuse.
    async fn read_failed(&mut self, error: &E) {
        let text = error.to_string();
        match classify_read_error(&text) {
            Some(ReadFailure::TooLarge(detail)) => {
                let total = self.shared.count(Event::TooLarge);
                tracing::info!(connection = %self.id, error = %text, total, "closed: message too large");
                let message = ErrorMessage::new(
                    ErrorCode::TooLarge,
                    format!("the message is too large ({detail})"),
                );
                if self
                    .feed(Message::Text(Utf8Bytes::from(
                        message.to_json_tagged(self.tag_field),
                    )))
                    .await
                    .is_ok()
                {
                    self.close(CLOSE_TOO_BIG, "message too big", false).await;
                }
            }
            Some(ReadFailure::InvalidUtf8) => {
                let total = self.shared.count(Event::ProtocolError);
                tracing::info!(connection = %self.id, error = %text, total, "closed: invalid UTF-8");
                self.close(CLOSE_INVALID_PAYLOAD, "invalid UTF-8", false)
                    .await;
            }
            Some(ReadFailure::Gone) => {
                tracing::debug!(connection = %self.id, "the client stopped sending");
            }
            Some(ReadFailure::Protocol) => {
                let total = self.shared.count(Event::ProtocolError);
                tracing::info!(connection = %self.id, error = %text, total, "closed: protocol error");
                self.close(CLOSE_PROTOCOL, "protocol error", false).await;
            }
            None => tracing::debug!(connection = %self.id, error = %text, "read failed"),
        }
    }

    /// Sends a close frame and, if `await_peer`, waits for the client's close frame (or the
    /// end of the stream), each bounded by the close timeout.
    async fn close(&mut self, code: u16, reason: &str, await_peer: bool) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(truncate_reason(reason)),
        };
        let limit = self.settings.close_timeout;
        match timeout(limit, self.socket.send(Message::Close(Some(frame)))).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(connection = %self.id, error = %e, "could not send close frame");
                return;
            }
            Err(_) => {
                let total = self.shared.count(Event::CloseTimeout);
                tracing::info!(connection = %self.id, timeout = ?limit, total, "close timeout: the close frame could not be sent");
                return;
            }
        }
        if !await_peer {
            return;
        }
        let outbox = self.outbox;
        let shutdown = self.shutdown;
        let wait = async {
            loop {
                tokio::select! {
                    message = self.socket.next() => match message {
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                        Some(Ok(_)) => {}
                    },
                    // The shutdown's deadline wakes the outbox: stop waiting then.
                    () = outbox.ready() => {
                        if shutdown.is_some_and(Shutdown::is_forced) {
                            return;
                        }
                    }
                }
            }
        };
        if timeout(limit, wait).await.is_err() {
            let total = self.shared.count(Event::CloseTimeout);
            tracing::info!(connection = %self.id, timeout = ?limit, total, "close timeout: no close frame from the client");
        }
    }
}

/// Decodes and handles one text frame; returns the frame to send back, if any. The reply and
/// every error carry the message's correlation id.
async fn handle_text<S: Service>(
    service: &S,
    ctx: &Context<S::Outgoing>,
    text: &str,
    limit: Option<Duration>,
    shared: &Shared,
) -> Option<Message> {
    let tag_field = <S::Incoming as Incoming>::TAG_FIELD;
    let Decoded { message, id } = match decode::<S::Incoming>(text) {
        Ok(decoded) => decoded,
        Err(error) => return Some(Message::Text(error.to_json_tagged(tag_field).into())),
    };
    handle_message(service, ctx, message, id, limit, shared).await
}

/// Handles one decoded message (with the correlation id it carried); returns the frame to send
/// back, if any: the reply (a binary one as a binary frame), or an error.
async fn handle_message<S: Service>(
    service: &S,
    ctx: &Context<S::Outgoing>,
    message: S::Incoming,
    id: Option<serde_json::Value>,
    limit: Option<Duration>,
    shared: &Shared,
) -> Option<Message> {
    let tag_field = <S::Incoming as Incoming>::TAG_FIELD;
    let error = |error: ErrorMessage| -> Message {
        let text = match &id {
            Some(id) => error.with_id(id.clone()),
            None => error,
        }
        .to_json_tagged(tag_field);
        Message::Text(text.into())
    };
    let Some(handled) = within!(
        limit,
        AssertUnwindSafe(service.handle(ctx, message)).catch_unwind()
    ) else {
        let total = shared.count(Event::HandlerTimeout);
        let limit = limit.unwrap_or_default();
        tracing::warn!(connection = %ctx.id(), ?limit, total, "handler timed out");
        return Some(error(ErrorMessage::new(
            ErrorCode::Timeout,
            format!("the handler did not finish within {limit:?}; it was stopped"),
        )));
    };
    match handled {
        Ok(Ok(None)) => None,
        Ok(Ok(Some(reply))) => match encode(&reply) {
            Ok(json) => Some(Message::Text(
                match (&id, <S::Incoming as Incoming>::ID_FIELD) {
                    (Some(id), Some(field)) if !reply.declares_id() => {
                        with_id(json.as_str(), field, id).into()
                    }
                    // The common case: the encoded text goes out as it is, without a copy.
                    _ => json,
                },
            )),
            // A binary reply: its bytes as they are (`encode` refuses to make text of them).
            Err(_) if let Some(bytes) = reply.binary() => Some(Message::Binary(bytes)),
            Err(e) => {
                tracing::error!(connection = %ctx.id(), error = %e, "the reply could not be sent");
                Some(error(ErrorMessage::new(
                    ErrorCode::Internal,
                    "internal error",
                )))
            }
        },
        Ok(Err(e)) => Some(error(e.into_error_message())),
        Err(panic) => {
            tracing::error!(
                connection = %ctx.id(),
                tag_field = <S::Incoming as Incoming>::TAG_FIELD,
                panic = panic_message(&*panic),
                "handler panicked"
            );
            Some(error(ErrorMessage::new(
                ErrorCode::Internal,
                "internal error",
            )))
        }
    }
}

/// An instant the timer of a connection without pings or idle timeout is set to (it is never
/// polled then).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Puts `"field": id` into a serialized reply object, right after its first member (the tag),
/// so the reply reads `{"type":"pong","id":7,...}`. The client puts a request's id on the same
/// way.
pub(crate) fn with_id(json: &str, field: &str, id: &serde_json::Value) -> String {
    let member = format!(
        "{}:{}",
        serde_json::Value::from(field),
        serde_json::to_string(id).unwrap_or_else(|_| "null".to_owned())
    );
    let Some(body) = json.strip_prefix('{') else {
        return json.to_owned();
    };
    if body.trim_start().starts_with('}') {
        return format!("{{{member}{body}");
    }
    match first_member_end(body) {
        Some(end) => format!("{{{},{member}{}", &body[..end], &body[end..]),
        None => format!("{{{member},{body}"),
    }
}

/// The end of the first `"key":"string"` member of an object body, if it has that shape (as a
/// serialized tagged enum does).
fn first_member_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = string_end(bytes, 0)?;
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    string_end(bytes, i)
}

/// The index just after the JSON string that starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The value of the top-level member `field` of a JSON object, without decoding the rest: the
/// members before it are skipped (parsed, not built), the ones after it are not read. `None` for
/// anything that is not an object, has no such member, or breaks before it.
pub(crate) fn correlation_id(text: &str, field: &str) -> Option<serde_json::Value> {
    use serde::de::{self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, Visitor};
    use std::fmt;

    /// Whether a key is `field` (compared without an allocation when it has no escapes).
    struct IsField<'f>(&'f str);
    impl<'de> DeserializeSeed<'de> for IsField<'_> {
        type Value = bool;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for IsField<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            Ok(v == self.0)
        }
    }

    /// Puts the value in its slot and stops there: the deserializer then fails (the object is
    /// not finished), which is ignored.
    struct Find<'f, 's>(&'f str, &'s mut Option<serde_json::Value>);
    impl<'de> Visitor<'de> for Find<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(found) = map.next_key_seed(IsField(self.0))? {
                if found {
                    *self.1 = Some(map.next_value()?);
                    return Ok(());
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }

    let mut id = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let _ = de.deserialize_map(Find(field, &mut id));
    id
}

enum ReadFailure<'a> {
    TooLarge(&'a str),
    /// The client ended the stream (or half-closed) without a close frame: nothing can be sent
    /// after it (the WebSocket layer has ended the connection).
    Gone,
    InvalidUtf8,
    Protocol,
}

/// Recognizes tungstenite's read errors by their text (the transport's error type is only known
/// to be `Display`). Pinned by the integration tests.
fn classify_read_error(text: &str) -> Option<ReadFailure<'_>> {
    if let Some(detail) = text.strip_prefix("Space limit exceeded: ") {
        let detail = detail.strip_prefix("Message too long: ").unwrap_or(detail);
        Some(ReadFailure::TooLarge(detail))
    } else if text.starts_with("UTF-8 encoding error") {
        Some(ReadFailure::InvalidUtf8)
    } else if text == "WebSocket protocol error: Connection reset without closing handshake" {
        Some(ReadFailure::Gone)
    } else if text.starts_with("WebSocket protocol error") {
        Some(ReadFailure::Protocol)
    } else {
        None
    }
}

/// A close reason may be at most 123 bytes; cut at a character boundary.
fn truncate_reason(reason: &str) -> &str {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason;
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

#[cfg(test)]
mod tests;

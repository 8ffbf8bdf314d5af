//! A connection's outbound queue, bounded by bytes, and the slow-consumer policies.
//!
//! Everyone who sends to a connection (its own handlers, broadcasts, other nodes) pushes into its
//! [`Outbox`]; the connection's own task takes batches out and writes them to the socket. A
//! broadcast pushes the same shared bytes into every receiver's outbox: one lock per receiver
//! for the push, no task or channel hop, and no lock is held while anything is written.
//!
//! **What makes a consumer slow** (as NATS judges it): not a burst, but
//! - more than [`Settings::max_pending_bytes`](crate::Settings::max_pending_bytes) bytes waiting
//!   to be written to it (queued, or taken by its writer but not yet written), or
//! - one write to its socket that has not completed within
//!   [`Settings::write_timeout`](crate::Settings::write_timeout) (the connection loop checks
//!   that one).
//!
//! Each message counts its length plus [`MESSAGE_OVERHEAD`] bytes (frame header and queue slot),
//! so that many tiny messages are bounded too. What happens to a connection over its bound is its
//! endpoint's [`SlowConsumer`] policy:
//!
//! | policy | the sender | the slow connection |
//! |---|---|---|
//! | [`Close`](SlowConsumer::Close) (default) | never waits | its queue is dropped and it is closed with 1008 |
//! | [`DropOldest`](SlowConsumer::DropOldest) | never waits | its oldest queued messages are dropped to make room; it stays open |
//! | [`BackPressure`](SlowConsumer::BackPressure) | `broadcast(..).await` waits for room | it gets everything, at its pace |
//!
//! Under back-pressure, senders that cannot wait (the synchronous `send`/`send_to`, messages from
//! other nodes) queue past the bound up to twice the bound; a connection past that is closed
//! as under `Close`. A write that misses the deadline closes the connection under every policy,
//! so a client that stops reading never holds a waiting sender longer than the write timeout.
//! Every slow close, dropped message and wait is counted in [`Metrics`](crate::Metrics) and
//! logged.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

use super::{ConnectionId, Counters};
use crate::error::Violation;

/// What a queued message costs beyond its length: its frame header and its queue slot.
pub const MESSAGE_OVERHEAD: usize = 32;

/// What happens to a connection that has more than
/// [`max_pending_bytes`](crate::Settings::max_pending_bytes) waiting to be written to it. See the
/// [module table](crate::Settings::slow_consumer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SlowConsumer {
    /// Drop its queue and close it with close code 1008 (`slow consumer`). Senders never wait.
    #[default]
    Close,
    /// Drop its oldest queued messages until the new one fits; it stays open. Senders never wait.
    DropOldest,
    /// Make `broadcast(..).await` wait until the message fits. Senders that cannot wait (the
    /// synchronous `send` and `send_to`, messages from other nodes) queue up to twice the
    /// bound; past that the connection is closed as under [`SlowConsumer::Close`].
    BackPressure,
}

/// Why a message could not be queued for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The connection is gone (or the id was never registered).
    Closed,
    /// The connection is a slow consumer and is being closed (close code 1008), or, under
    /// [`SlowConsumer::BackPressure`], a send that cannot wait found it full.
    Overflow,
    /// The connection is on another node, and the broadcast backend cannot reach it now (Redis
    /// is down).
    Unreachable,
    /// The message could not be serialized to JSON.
    Serialize(String),
    /// Debug builds only: the message breaks its schema (each violation's path is relative to
    /// the message).
    Schema(Vec<Violation>),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the connection is closed"),
            Self::Overflow => f.write_str("the connection is a slow consumer"),
            Self::Unreachable => f.write_str("the connection's node cannot be reached"),
            Self::Serialize(e) => write!(f, "the message could not be serialized: {e}"),
            Self::Schema(violations) => {
                f.write_str("the message breaks its schema:")?;
                for v in violations {
                    write!(
                        f,
                        " {}: {} ({});",
                        if v.path.is_empty() { "/" } else { &v.path },
                        v.message,
                        v.kind
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SendError {}

/// An item in a connection's outbound queue.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A serialized message.
    Text(Utf8Bytes),
    /// A binary message (only ever for its own connection: see `Context::send`).
    Binary(axum::body::Bytes),
    /// Close the connection with this code and reason.
    Close(u16, String),
}

impl Outbound {
    fn cost(&self) -> usize {
        match self {
            Self::Text(text) => cost(text),
            Self::Binary(bytes) => bytes.len() + MESSAGE_OVERHEAD,
            Self::Close(..) => 0,
        }
    }
}

/// What a message counts against the bound.
pub(crate) fn cost(text: &Utf8Bytes) -> usize {
    text.len() + MESSAGE_OVERHEAD
}

/// Why a connection was found slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slow {
    /// Over its pending-bytes bound.
    Bytes,
    /// A write missed the write timeout.
    Deadline,
}

impl Slow {
    /// The close frame's reason.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Bytes => "slow consumer: too many pending bytes",
            Self::Deadline => "slow consumer: write timed out",
        }
    }
}

/// What [`Outbox::take`] took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The bytes taken (as counted against the bound).
    pub(crate) bytes: usize,
    /// Whether more is queued.
    pub(crate) more: bool,
    /// The bytes pending before this take.
    pub(crate) pending: usize,
}

/// Why [`Outbox::push`] did not queue a message.
#[derive(Debug)]
pub(crate) enum Refused {
    Closed,
    Slow,
    /// Back-pressure: no room now; the message comes back to wait with.
    Full(Utf8Bytes),
}

impl From<Refused> for SendError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Closed => Self::Closed,
            Refused::Slow | Refused::Full(_) => Self::Overflow,
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Outbound>,
    /// Bytes queued plus bytes taken by the writer and not yet written.
    pending: usize,
    /// The connection has ended: nothing more is queued.
    closed: bool,
    /// Found slow: the writer closes the connection with 1008.
    slow: Option<Slow>,
    /// A sender waits for room (back-pressure).
    waiting: bool,
    /// Messages dropped for this connection under `DropOldest`.
    dropped: u64,
}

/// One connection's outbound queue (see the module docs).
pub(crate) struct Outbox {
    id: ConnectionId,
    limit: usize,
    policy: SlowConsumer,
    counters: Arc<Counters>,
    state: Mutex<State>,
    /// Wakes the writer: the queue became non-empty, or the connection was found slow.
    ready: Notify,
    /// Wakes a writer that is blocked on the socket when the connection is found slow.
    slow: Notify,
    /// Wakes senders that wait for room.
    room: Notify,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("id", &self.id)
            .field("limit", &self.limit)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    pub(crate) fn new(
        id: ConnectionId,
        limit: usize,
        policy: SlowConsumer,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            id,
            limit: limit.max(1),
            policy,
            counters,
            state: Mutex::default(),
            ready: Notify::new(),
            slow: Notify::new(),
            room: Notify::new(),
        }
    }

    pub(crate) fn id(&self) -> ConnectionId {
        self.id
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent between statements that can panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `text`. `can_wait`: the caller will wait for room under back-pressure (it gets
    /// [`Refused::Full`] then); callers that cannot wait queue up to twice the bound.
    pub(crate) fn push(&self, text: Utf8Bytes, can_wait: bool) -> Result<(), Refused> {
        self.push_item(Outbound::Text(text), can_wait)
    }

    /// Queues a binary message; it never waits, like [`Outbox::push`] without `can_wait`.
    pub(crate) fn push_binary(&self, bytes: axum::body::Bytes) -> Result<(), Refused> {
        self.push_item(Outbound::Binary(bytes), false)
    }

    fn push_item(&self, item: Outbound, can_wait: bool) -> Result<(), Refused> {
        let cost = item.cost();
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed);
        }
        if state.slow.is_some() {
            return Err(Refused::Slow);
        }
        if state.pending > 0 && state.pending + cost > self.limit {
            match self.policy {
                SlowConsumer::Close => {
                    self.found_slow(&mut state, Slow::Bytes);
                    return Err(Refused::Slow);
                }
                SlowConsumer::DropOldest => self.drop_oldest(&mut state, cost),
                SlowConsumer::BackPressure if can_wait => {
                    state.waiting = true;
                    // Only text waits (`push` with `can_wait`).
                    return Err(match item {
                        Outbound::Text(text) => Refused::Full(text),
                        _ => Refused::Slow,
                    });
                }
                SlowConsumer::BackPressure => {
                    if state.pending + cost > self.limit.saturating_mul(2) {
                        self.found_slow(&mut state, Slow::Bytes);
                        return Err(Refused::Slow);
                    }
                }
            }
        }
        let was_empty = state.queue.is_empty();
        state.queue.push_back(item);
        state.pending += cost;
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Queues `text`, waiting for room under back-pressure.
    pub(crate) async fn push_wait(&self, mut text: Utf8Bytes) -> Result<(), Refused> {
        let mut waited = false;
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            // Registered before the check, so a wake-up between the two is not lost.
            room.as_mut().enable();
            match self.push(text, true) {
                Err(Refused::Full(back)) => {
                    if !waited {
                        waited = true;
                        self.counters
                            .backpressure_waits
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(connection = %self.id, "back-pressure: waiting for a slow consumer");
                    }
                    text = back;
                    room.await;
                }
                other => return other,
            }
        }
    }

    /// Queues a close request; it takes effect after what is queued before it.
    pub(crate) fn push_close(&self, code: u16, reason: String) {
        let mut state = self.lock();
        if state.closed || state.slow.is_some() {
            return;
        }
        let was_empty = state.queue.is_empty();
        state.queue.push_back(Outbound::Close(code, reason));
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
    }

    fn drop_oldest(&self, state: &mut State, cost: usize) {
        let mut dropped = 0;
        let mut kept = VecDeque::new();
        while state.pending + cost > self.limit {
            match state.queue.pop_front() {
                Some(item @ (Outbound::Text(_) | Outbound::Binary(_))) => {
                    state.pending -= item.cost();
                    dropped += 1;
                }
                // A close request is kept, in order.
                Some(close @ Outbound::Close(..)) => kept.push_back(close),
                // The rest is in the writer's hands.
                None => break,
            }
        }
        while let Some(close) = kept.pop_back() {
            state.queue.push_front(close);
        }
        if dropped > 0 {
            if state.dropped == 0 {
                tracing::warn!(
                    connection = %self.id,
                    limit = self.limit,
                    "slow consumer: dropping its oldest messages"
                );
            }
            state.dropped += dropped;
            self.counters
                .dropped_messages
                .fetch_add(dropped, Ordering::Relaxed);
        }
    }

    fn found_slow(&self, state: &mut State, why: Slow) {
        state.slow = Some(why);
        let queued: usize = state.queue.iter().map(Outbound::cost).sum();
        state.pending -= queued;
        state.queue = VecDeque::new();
        match why {
            Slow::Bytes => &self.counters.slow_closed_bytes,
            Slow::Deadline => &self.counters.slow_closed_timeout,
        }
        .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            connection = %self.id,
            policy = ?self.policy,
            limit = self.limit,
            reason = why.reason(),
            "closing a slow consumer"
        );
        self.ready.notify_one();
        self.slow.notify_one();
        self.room.notify_waiters();
    }

    /// The writer missed the write timeout.
    pub(crate) fn mark_slow(&self, why: Slow) {
        let mut state = self.lock();
        if state.slow.is_none() && !state.closed {
            self.found_slow(&mut state, why);
        }
    }

    /// Whether the connection was found slow, and why.
    pub(crate) fn slow(&self) -> Option<Slow> {
        self.lock().slow
    }

    /// Waits until the queue may have become non-empty, or the connection was found slow.
    pub(crate) async fn ready(&self) {
        self.ready.notified().await;
    }

    /// Schedules the writer again (it left messages in the queue).
    pub(crate) fn wake_writer(&self) {
        self.ready.notify_one();
    }

    /// Waits until the connection is found slow.
    pub(crate) async fn slow_signal(&self) {
        self.slow.notified().await;
    }

    /// Moves queued items into `batch` until about `budget` bytes are taken, or a close request
    /// is. The bytes taken stay pending until [`Outbox::written`]. `Err` if the connection was
    /// found slow.
    pub(crate) fn take(&self, batch: &mut Vec<Outbound>, budget: usize) -> Result<Taken, Slow> {
        let mut state = self.lock();
        if let Some(why) = state.slow {
            return Err(why);
        }
        let pending = state.pending;
        let mut bytes = 0;
        while bytes < budget {
            let Some(item) = state.queue.pop_front() else {
                break;
            };
            bytes += item.cost();
            let close = matches!(item, Outbound::Close(..));
            batch.push(item);
            if close {
                break;
            }
        }
        Ok(Taken {
            bytes,
            more: !state.queue.is_empty(),
            pending,
        })
    }

    /// `bytes` taken by [`Outbox::take`] have been written. Returns whether more is queued.
    pub(crate) fn written(&self, bytes: usize) -> bool {
        let mut state = self.lock();
        state.pending = state.pending.saturating_sub(bytes);
        let more = !state.queue.is_empty();
        if state.waiting && state.pending <= self.limit / 2 {
            state.waiting = false;
            drop(state);
            self.room.notify_waiters();
        }
        more
    }

    /// Bytes waiting to be written.
    pub(crate) fn pending(&self) -> usize {
        self.lock().pending
    }

    /// The connection has ended: drop the queue and fail every sender from now on.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.queue = VecDeque::new();
        state.pending = 0;
        if state.dropped > 0 {
            tracing::info!(connection = %self.id, dropped = state.dropped, "slow consumer: messages dropped for it in all");
        }
        drop(state);
        self.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(limit: usize, policy: SlowConsumer) -> Outbox {
        Outbox::new(ConnectionId::new(1), limit, policy, Arc::default())
    }

    fn msg(n: usize) -> Utf8Bytes {
        Utf8Bytes::from("x".repeat(n))
    }

    fn texts(batch: &[Outbound]) -> Vec<usize> {
        batch
            .iter()
            .map(|item| match item {
                Outbound::Text(t) => t.len(),
                Outbound::Binary(b) => b.len(),
                Outbound::Close(..) => 0,
            })
            .collect()
    }

    #[test]
    fn a_burst_under_the_bound_is_queued() {
        let out = outbox(100 * (10 + MESSAGE_OVERHEAD), SlowConsumer::Close);
        for _ in 0..100 {
            out.push(msg(10), false).unwrap();
        }
        assert_eq!(out.pending(), 100 * (10 + MESSAGE_OVERHEAD));
        let mut batch = Vec::new();
        let taken = out.take(&mut batch, usize::MAX).unwrap();
        assert_eq!(batch.len(), 100);
        assert!(!taken.more);
        assert!(!out.written(taken.bytes));
        assert_eq!(out.pending(), 0);
    }

    #[test]
    fn close_policy_drops_the_queue_and_marks_slow() {
        let out = outbox(3 * (10 + MESSAGE_OVERHEAD), SlowConsumer::Close);
        for _ in 0..3 {
            out.push(msg(10), false).unwrap();
        }
        assert!(matches!(out.push(msg(10), false), Err(Refused::Slow)));
        assert_eq!(out.slow(), Some(Slow::Bytes));
        assert_eq!(out.pending(), 0, "the queue is dropped at once");
        assert!(matches!(out.push(msg(1), false), Err(Refused::Slow)));
        assert_eq!(out.counters.slow_closed_bytes.load(Ordering::Relaxed), 1);
        assert_eq!(out.take(&mut Vec::new(), 100), Err(Slow::Bytes));
    }

    #[test]
    fn a_single_message_over_the_bound_still_goes() {
        let out = outbox(10, SlowConsumer::Close);
        out.push(msg(1000), false).unwrap();
        assert!(out.slow().is_none());
    }

    #[test]
    fn drop_oldest_keeps_the_newest_and_close_requests() {
        let each = 10 + MESSAGE_OVERHEAD;
        let out = outbox(3 * each, SlowConsumer::DropOldest);
        out.push(msg(10), false).unwrap();
        out.push_close(1000, "bye".into());
        out.push(msg(10), false).unwrap();
        out.push(msg(10), false).unwrap();
        out.push(msg(9), false).unwrap();
        out.push(msg(8), false).unwrap();
        assert_eq!(out.pending(), 3 * each - 3);
        let mut batch = Vec::new();
        let taken = out.take(&mut batch, usize::MAX).unwrap();
        // the close request stops a batch
        assert_eq!(texts(&batch), [0]);
        assert!(taken.more);
        batch.clear();
        out.take(&mut batch, usize::MAX).unwrap();
        assert_eq!(texts(&batch), [10, 9, 8]);
        assert_eq!(out.counters.dropped_messages.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn back_pressure_refuses_waiters_and_caps_the_others() {
        let each = 10 + MESSAGE_OVERHEAD;
        let out = outbox(2 * each, SlowConsumer::BackPressure);
        out.push(msg(10), true).unwrap();
        out.push(msg(10), true).unwrap();
        assert!(matches!(out.push(msg(10), true), Err(Refused::Full(_))));
        // those that cannot wait go up to twice the bound
        out.push(msg(10), false).unwrap();
        out.push(msg(10), false).unwrap();
        assert!(matches!(out.push(msg(10), false), Err(Refused::Slow)));
        assert_eq!(out.slow(), Some(Slow::Bytes));
    }

    #[tokio::test]
    async fn back_pressure_waits_for_the_writer() {
        let each = 10 + MESSAGE_OVERHEAD;
        let out = Arc::new(outbox(2 * each, SlowConsumer::BackPressure));
        out.push(msg(10), true).unwrap();
        out.push(msg(10), true).unwrap();
        let sender = {
            let out = Arc::clone(&out);
            tokio::spawn(async move { out.push_wait(msg(10)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!sender.is_finished(), "the sender waits for room");
        let mut batch = Vec::new();
        let taken = out.take(&mut batch, usize::MAX).unwrap();
        out.written(taken.bytes);
        sender.await.unwrap().unwrap();
        assert_eq!(out.pending(), each);
        assert_eq!(out.counters.backpressure_waits.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn closing_wakes_waiting_senders() {
        let out = Arc::new(outbox(1, SlowConsumer::BackPressure));
        out.push(msg(10), true).unwrap();
        let sender = {
            let out = Arc::clone(&out);
            tokio::spawn(async move { out.push_wait(msg(10)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        out.close();
        assert!(matches!(sender.await.unwrap(), Err(Refused::Closed)));
    }
}

//! Rooms and broadcast: who is connected, who is in which room, and how a message reaches them,
//! on one node or across several.
//!
//! - [`Hub`] is the handle that endpoints and handlers share. It keeps this node's connections
//!   and rooms ([`local`]) and hands what crosses nodes to its [`Backend`].
//! - Every connection has an outbox (`outbox.rs`): its queue, bounded by bytes, where the
//!   slow-consumer policies ([`SlowConsumer`]) apply. The connection loop (`server/`) writes it.
//! - The default backend is [`InProcess`]: one node, nothing to set up.
//! - With the `redis` feature, `redis::Redis` carries broadcasts, direct sends and membership
//!   questions between nodes over Redis pub/sub.
//!
//! A broadcast is serialized once. This node's members get the same shared bytes pushed into
//! their outboxes (see [`crate::SlowConsumer`]); the backend publishes it once for all other
//! nodes, and each node delivers it to its own members.
//!
//! | question | answered for |
//! |---|---|
//! | [`Hub::members`], [`Context::members`](crate::Context::members) | every node (the backend asks the others) |
//! | [`Hub::room_members`], [`Hub::rooms`], [`Hub::connection_count`], [`Context::rooms`](crate::Context::rooms) | this node |
//! | the count a broadcast returns | this node's receivers |

pub mod local;
pub(crate) mod outbox;
#[cfg(feature = "redis")]
pub mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};

pub use local::LocalRooms;
use outbox::Outbox;
pub use outbox::{MESSAGE_OVERHEAD, SendError, SlowConsumer};

/// Identifies one connection. A hub numbers its connections 1, 2, 3, … and never reuses an id;
/// on a node of several (see [`Backend::node`]) the node's number is in the upper bits
/// (`node << 32 | n`), so ids are unique across nodes and stay below 2^53 (exact in
/// JavaScript). Serializes as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(u64);

impl ConnectionId {
    /// The id with this number, e.g. one a client sent back (`{"type":"whisper","to":3}`).
    /// A number that names no live connection is harmless: sending to it fails with
    /// [`SendError::Closed`].
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The numeric id.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The number of the node the connection lives on (0 on a single node).
    pub const fn node(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl From<ConnectionId> for u64 {
    fn from(id: ConnectionId) -> Self {
        id.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The counters behind [`Metrics`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) slow_closed_bytes: AtomicU64,
    pub(crate) slow_closed_timeout: AtomicU64,
    pub(crate) dropped_messages: AtomicU64,
    pub(crate) backpressure_waits: AtomicU64,
}

/// What a hub has counted since it was created (see [`Hub::metrics`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Connections closed as slow consumers because they had too many pending bytes.
    pub slow_closed_bytes: u64,
    /// Connections closed as slow consumers because a write missed the write timeout.
    pub slow_closed_timeout: u64,
    /// Messages dropped under [`SlowConsumer::DropOldest`].
    pub dropped_messages: u64,
    /// Sends that had to wait under
    /// [`SlowConsumer::BackPressure`].
    pub backpressure_waits: u64,
    /// Messages published to other nodes (the backend's).
    pub published: u64,
    /// Messages for other nodes that were lost because the backend was unreachable.
    pub publish_lost: u64,
    /// Messages received from other nodes.
    pub received: u64,
    /// Times the backend reconnected after losing its connection.
    pub backend_reconnects: u64,
}

impl Counters {
    fn snapshot(&self) -> Metrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            slow_closed_bytes: get(&self.slow_closed_bytes),
            slow_closed_timeout: get(&self.slow_closed_timeout),
            dropped_messages: get(&self.dropped_messages),
            backpressure_waits: get(&self.backpressure_waits),
            ..Metrics::default()
        }
    }
}

/// A boxed future, as [`Backend`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The broadcast layer between nodes: what one node cannot do alone.
///
/// [`Hub`] does everything local itself (its rooms, its connections' outboxes) and calls the
/// backend only for what crosses nodes. Two implementations come with the crate: [`InProcess`]
/// (one node; every method is a no-op) and, with the `redis` feature, `redis::Redis`.
///
/// Methods must not block: `publish` and `send_to` queue and return.
pub trait Backend: Send + Sync + 'static {
    /// This node's number, put into the upper bits of its connection ids. 0 for a single node.
    fn node(&self) -> u32;

    /// Called once, by [`Hub::with_backend`]: where messages from other nodes are delivered.
    fn attach(&self, local: LocalRooms);

    /// Carries a broadcast to `room` to the other nodes, which deliver it to their members.
    /// Called once per broadcast, after this node's members got it.
    fn publish(&self, room: &str, text: &Utf8Bytes);

    /// Sends `text` to connection `id`, which lives on another node.
    fn send_to(&self, id: ConnectionId, text: &Utf8Bytes) -> Result<(), SendError>;

    /// The members of `room` on the other nodes. Nodes that do not answer in time are left
    /// out.
    fn remote_members<'a>(&'a self, room: &'a str) -> BoxFuture<'a, Vec<ConnectionId>>;

    /// Adds the backend's own counters (published, lost, received, reconnects) to `metrics`.
    fn metrics(&self, metrics: &mut Metrics) {
        let _ = metrics;
    }
}

/// The in-process backend: a single node, so there is nothing to carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl Backend for InProcess {
    fn node(&self) -> u32 {
        0
    }

    fn attach(&self, _local: LocalRooms) {}

    fn publish(&self, _room: &str, _text: &Utf8Bytes) {}

    fn send_to(&self, _id: ConnectionId, _text: &Utf8Bytes) -> Result<(), SendError> {
        Err(SendError::Closed)
    }

    fn remote_members<'a>(&'a self, _room: &'a str) -> BoxFuture<'a, Vec<ConnectionId>> {
        Box::pin(std::future::ready(Vec::new()))
    }
}

struct Inner {
    local: LocalRooms,
    backend: Box<dyn Backend>,
}

/// The registry of live connections and rooms, and the way to the other nodes. Cheap to clone;
/// clones share the same state.
///
/// One hub is created per [`Endpoint`](crate::Endpoint) unless one is passed in with
/// [`Endpoint::hub`](crate::Endpoint::hub): endpoints that share a hub share rooms. For rooms
/// across processes, create it with [`Hub::with_backend`].
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("node", &self.node())
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// An empty hub, on one node ([`InProcess`]).
    pub fn new() -> Self {
        Self::with_backend(InProcess)
    }

    /// An empty hub that reaches other nodes through `backend`.
    pub fn with_backend(backend: impl Backend) -> Self {
        let local = LocalRooms::new(backend.node());
        backend.attach(local.clone());
        Self {
            inner: Arc::new(Inner {
                local,
                backend: Box::new(backend),
            }),
        }
    }

    /// This node's number (0 on a single node).
    pub fn node(&self) -> u32 {
        self.inner.local.node()
    }

    /// This node's connections and rooms.
    pub fn local(&self) -> &LocalRooms {
        &self.inner.local
    }

    /// The ids of this node's connections in `room`, sorted. Empty if the room does not exist.
    /// See [`Hub::members`] for every node's.
    pub fn room_members(&self, room: &str) -> Vec<ConnectionId> {
        self.inner.local.members(room)
    }

    /// The ids of the connections in `room` on every node, sorted. On one node this is
    /// [`Hub::room_members`]; with a backend it asks the other nodes, and leaves out those that
    /// do not answer in time.
    pub async fn members(&self, room: &str) -> Vec<ConnectionId> {
        let mut members = self.inner.local.members(room);
        if self.node() != 0 {
            members.extend(self.inner.backend.remote_members(room).await);
            members.sort_unstable();
            members.dedup();
        }
        members
    }

    /// The names of this node's rooms that have at least one member, sorted.
    pub fn rooms(&self) -> Vec<String> {
        self.inner.local.rooms()
    }

    /// How many connections this node has.
    pub fn connection_count(&self) -> usize {
        self.inner.local.connection_count()
    }

    /// Bytes waiting to be written to this node's connections, in all.
    pub fn pending_bytes(&self) -> usize {
        self.inner.local.pending_bytes()
    }

    /// What this hub has counted: slow consumers, dropped messages, waits, and its backend's
    /// traffic.
    pub fn metrics(&self) -> Metrics {
        let mut metrics = self.inner.local.counters().snapshot();
        self.inner.backend.metrics(&mut metrics);
        metrics
    }

    /// Registers a new connection with an outbox of `limit` bytes under `policy`.
    pub(crate) fn register(&self, limit: usize, policy: SlowConsumer) -> Arc<Outbox> {
        self.inner.local.register(limit, policy)
    }

    pub(crate) fn unregister(&self, id: ConnectionId) {
        self.inner.local.unregister(id);
    }

    pub(crate) fn join(&self, id: ConnectionId, room: &str) -> bool {
        self.inner.local.join(id, room)
    }

    pub(crate) fn leave(&self, id: ConnectionId, room: &str) -> bool {
        self.inner.local.leave(id, room)
    }

    pub(crate) fn rooms_of(&self, id: ConnectionId) -> Vec<String> {
        self.inner.local.rooms_of(id)
    }

    /// Queues `text` for connection `id`, on this node or another. Never waits.
    pub(crate) fn send_to(&self, id: ConnectionId, text: Utf8Bytes) -> Result<(), SendError> {
        if id.node() == self.node() {
            self.inner.local.send_to(id, text)
        } else {
            self.inner.backend.send_to(id, &text)
        }
    }

    /// Delivers `text` to every member of `room` but `except`, on every node. Waits for room
    /// where a receiver's policy is back-pressure. Returns how many of this node's connections
    /// it was queued for.
    pub(crate) async fn broadcast(
        &self,
        room: &str,
        text: Utf8Bytes,
        except: Option<ConnectionId>,
    ) -> usize {
        // Published first: the other nodes need not wait for this node's slow consumers.
        self.inner.backend.publish(room, &text);
        self.inner.local.deliver_wait(room, &text, except).await
    }
}

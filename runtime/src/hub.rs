//! Live connections and rooms, in process.
//!
//! Every connection has a bounded outbound queue (see
//! [`Settings::outbound_queue`](crate::Settings::outbound_queue)). Sending to a connection never
//! waits: a message goes into the queue with `try_send`, and the connection's own task writes it
//! to the socket. A broadcast is serialized once and the same bytes are shared by every receiver.
//!
//! **Slow clients.** When a connection's queue is full, that connection is marked as overflowed:
//! the message is dropped for it (and every later one), and its own task closes it with close code
//! 1008 and reason `outbound queue overflow`. If its task is stuck writing to a client that does
//! not read, the socket is dropped instead. So memory per connection stays bounded and a slow
//! client never slows down the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

use crate::context::SendError;

/// Identifies one connection of a [`Hub`]. A hub numbers its connections 1, 2, 3, … and never
/// reuses an id. Serializes as that number.
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

/// An item in a connection's outbound queue.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A serialized message.
    Text(Utf8Bytes),
    /// Close the connection with this code and reason.
    Close(u16, String),
}

/// State shared between a connection's task and everyone who sends to it.
#[derive(Debug, Default)]
pub(crate) struct ConnShared {
    /// Set once, when the queue was full.
    overflow: AtomicBool,
    /// Wakes the connection's task (for example while it waits on a blocked write) when
    /// `overflow` is set.
    pub(crate) wake: Notify,
}

/// The sending side of one connection's outbound queue.
#[derive(Debug, Clone)]
pub(crate) struct Handle {
    tx: mpsc::Sender<Outbound>,
    shared: Arc<ConnShared>,
}

impl Handle {
    /// Queues `item` without waiting.
    pub(crate) fn push(&self, item: Outbound) -> Result<(), SendError> {
        if self.shared.overflow.load(Ordering::Relaxed) {
            return Err(SendError::Overflow);
        }
        match self.tx.try_send(item) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.shared.overflow.swap(true, Ordering::AcqRel) {
                    self.shared.wake.notify_one();
                }
                Err(SendError::Overflow)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Closed),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<ConnShared> {
        &self.shared
    }
}

impl ConnShared {
    pub(crate) fn overflowed(&self) -> bool {
        self.overflow.load(Ordering::Acquire)
    }
}

struct Entry {
    handle: Handle,
    rooms: BTreeSet<String>,
}

#[derive(Default)]
struct Registry {
    connections: HashMap<ConnectionId, Entry>,
    rooms: HashMap<String, BTreeMap<ConnectionId, Handle>>,
}

#[derive(Default)]
struct Inner {
    next_id: AtomicU64,
    registry: Mutex<Registry>,
}

/// The registry of live connections and rooms. Cheap to clone; clones share the same state.
///
/// One hub is created per [`Endpoint`](crate::Endpoint) unless one is passed in with
/// [`Endpoint::hub`](crate::Endpoint::hub): endpoints that share a hub share rooms.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ids of the connections in `room`, sorted. Empty if the room does not exist.
    pub fn room_members(&self, room: &str) -> Vec<ConnectionId> {
        self.lock()
            .rooms
            .get(room)
            .map(|members| members.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The names of all rooms that have at least one member, sorted.
    pub fn rooms(&self) -> Vec<String> {
        let mut rooms: Vec<String> = self.lock().rooms.keys().cloned().collect();
        rooms.sort_unstable();
        rooms
    }

    /// How many connections are registered.
    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the whole registry would, so keep going.
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new connection with an outbound queue of `capacity` messages.
    pub(crate) fn register(
        &self,
        capacity: usize,
    ) -> (ConnectionId, Handle, mpsc::Receiver<Outbound>) {
        let id = ConnectionId(self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let (tx, rx) = mpsc::channel(capacity.clamp(1, tokio::sync::Semaphore::MAX_PERMITS));
        let handle = Handle {
            tx,
            shared: Arc::default(),
        };
        self.lock().connections.insert(
            id,
            Entry {
                handle: handle.clone(),
                rooms: BTreeSet::new(),
            },
        );
        (id, handle, rx)
    }

    /// Removes a connection from all its rooms and from the registry.
    pub(crate) fn unregister(&self, id: ConnectionId) {
        let mut registry = self.lock();
        let Some(entry) = registry.connections.remove(&id) else {
            return;
        };
        for room in entry.rooms {
            remove_member(&mut registry.rooms, &room, id);
        }
    }

    /// Adds `id` to `room`. Returns false if it was already a member or is not registered.
    pub(crate) fn join(&self, id: ConnectionId, room: &str) -> bool {
        let mut registry = self.lock();
        let registry = &mut *registry;
        let Some(entry) = registry.connections.get_mut(&id) else {
            return false;
        };
        if entry.rooms.contains(room) {
            return false;
        }
        entry.rooms.insert(room.to_owned());
        let handle = entry.handle.clone();
        match registry.rooms.get_mut(room) {
            Some(members) => {
                members.insert(id, handle);
            }
            None => {
                registry
                    .rooms
                    .insert(room.to_owned(), BTreeMap::from([(id, handle)]));
            }
        }
        true
    }

    /// Removes `id` from `room`; the room disappears with its last member. Returns false if it
    /// was not a member.
    pub(crate) fn leave(&self, id: ConnectionId, room: &str) -> bool {
        let mut registry = self.lock();
        let removed = registry
            .connections
            .get_mut(&id)
            .is_some_and(|entry| entry.rooms.remove(room));
        if removed {
            remove_member(&mut registry.rooms, room, id);
        }
        removed
    }

    /// The rooms `id` is in, sorted.
    pub(crate) fn rooms_of(&self, id: ConnectionId) -> Vec<String> {
        self.lock()
            .connections
            .get(&id)
            .map(|entry| entry.rooms.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Queues `item` for connection `id`.
    pub(crate) fn send_to(&self, id: ConnectionId, item: Outbound) -> Result<(), SendError> {
        let handle = self
            .lock()
            .connections
            .get(&id)
            .map(|entry| entry.handle.clone())
            .ok_or(SendError::Closed)?;
        handle.push(item)
    }

    /// Queues `text` for every member of `room` except `except`. Returns how many accepted it.
    pub(crate) fn broadcast(
        &self,
        room: &str,
        text: &Utf8Bytes,
        except: Option<ConnectionId>,
    ) -> usize {
        let registry = self.lock();
        let Some(members) = registry.rooms.get(room) else {
            return 0;
        };
        members
            .iter()
            .filter(|(id, _)| Some(**id) != except)
            .filter(|(_, handle)| handle.push(Outbound::Text(text.clone())).is_ok())
            .count()
    }
}

fn remove_member(
    rooms: &mut HashMap<String, BTreeMap<ConnectionId, Handle>>,
    room: &str,
    id: ConnectionId,
) {
    if let Some(members) = rooms.get_mut(room) {
        members.remove(&id);
        if members.is_empty() {
            rooms.remove(room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rx: &mut mpsc::Receiver<Outbound>) -> Option<String> {
        match rx.try_recv().ok()? {
            Outbound::Text(t) => Some(t.as_str().to_owned()),
            Outbound::Close(..) => None,
        }
    }

    #[test]
    fn rooms_come_and_go() {
        let hub = Hub::new();
        let (a, _, _ra) = hub.register(4);
        let (b, _, _rb) = hub.register(4);
        assert_eq!(hub.connection_count(), 2);
        assert!(hub.join(a, "x"));
        assert!(!hub.join(a, "x"));
        assert!(hub.join(b, "x"));
        assert!(hub.join(b, "a"));
        assert_eq!(hub.rooms(), ["a", "x"]);
        assert_eq!(hub.room_members("x"), [a, b]);
        assert_eq!(hub.rooms_of(b), ["a", "x"]);
        assert!(hub.leave(a, "x"));
        assert!(!hub.leave(a, "x"));
        assert_eq!(hub.room_members("x"), [b]);
        hub.unregister(b);
        assert!(hub.rooms().is_empty());
        assert!(hub.room_members("x").is_empty());
        assert_eq!(hub.connection_count(), 1);
        assert!(!hub.join(b, "y"), "unregistered connections cannot join");
    }

    #[test]
    fn broadcast_shares_and_counts() {
        let hub = Hub::new();
        let (a, _, mut ra) = hub.register(4);
        let (b, _, mut rb) = hub.register(4);
        hub.join(a, "r");
        hub.join(b, "r");
        let msg = Utf8Bytes::from("hi");
        assert_eq!(hub.broadcast("r", &msg, None), 2);
        assert_eq!(hub.broadcast("r", &msg, Some(a)), 1);
        assert_eq!(hub.broadcast("nobody", &msg, None), 0);
        assert_eq!(text(&mut ra).as_deref(), Some("hi"));
        assert_eq!(text(&mut ra), None);
        assert_eq!(text(&mut rb).as_deref(), Some("hi"));
        assert_eq!(text(&mut rb).as_deref(), Some("hi"));
    }

    #[test]
    fn overflow_marks_only_the_slow_receiver() {
        let hub = Hub::new();
        let (slow, slow_handle, _rs) = hub.register(2);
        let (fast, _, mut rf) = hub.register(8);
        hub.join(slow, "r");
        hub.join(fast, "r");
        let msg = Utf8Bytes::from("m");
        assert_eq!(hub.broadcast("r", &msg, None), 2);
        assert_eq!(hub.broadcast("r", &msg, None), 2);
        assert_eq!(hub.broadcast("r", &msg, None), 1);
        assert!(slow_handle.shared().overflowed());
        assert_eq!(
            hub.send_to(slow, Outbound::Text(msg.clone())),
            Err(SendError::Overflow)
        );
        for _ in 0..3 {
            assert!(text(&mut rf).is_some());
        }
        assert_eq!(
            hub.send_to(ConnectionId(999), Outbound::Text(msg)),
            Err(SendError::Closed)
        );
    }
}

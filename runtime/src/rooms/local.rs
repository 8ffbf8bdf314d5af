//! This node's connections and rooms.
//!
//! A room keeps its members as a shared, sorted list (`Arc<Vec<..>>`). A broadcast clones that
//! `Arc` under the registry lock and lets go of the lock before it pushes to anyone, so a
//! broadcast that waits (back-pressure) never blocks joins, leaves or other broadcasts. A join or
//! leave changes the list in place, or copies it once while a broadcast still holds it.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;

use super::outbox::{Outbox, Refused, SendError, SlowConsumer};
use super::{ConnectionId, Counters};

struct Entry {
    outbox: Arc<Outbox>,
    rooms: BTreeSet<String>,
}

type Members = Arc<Vec<Arc<Outbox>>>;

#[derive(Default)]
struct Registry {
    connections: HashMap<ConnectionId, Entry>,
    rooms: HashMap<String, Members>,
}

struct Inner {
    node: u32,
    next_id: AtomicU64,
    counters: Arc<Counters>,
    registry: Mutex<Registry>,
}

/// This node's connections and rooms: what a [`Hub`](super::Hub) keeps itself, and where a
/// [`Backend`](super::Backend) delivers messages from other nodes. Cheap to clone.
#[derive(Clone)]
pub struct LocalRooms {
    inner: Arc<Inner>,
}

impl fmt::Debug for LocalRooms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRooms")
            .field("node", &self.inner.node)
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

impl LocalRooms {
    pub(crate) fn new(node: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                node,
                next_id: AtomicU64::new(0),
                counters: Arc::default(),
                registry: Mutex::default(),
            }),
        }
    }

    /// This node's number.
    pub fn node(&self) -> u32 {
        self.inner.node
    }

    pub(crate) fn counters(&self) -> &Arc<Counters> {
        &self.inner.counters
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the whole registry would, so keep going.
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The ids of this node's connections in `room`, sorted.
    pub fn members(&self, room: &str) -> Vec<ConnectionId> {
        self.lock()
            .rooms
            .get(room)
            .map(|members| members.iter().map(|m| m.id()).collect())
            .unwrap_or_default()
    }

    /// The names of this node's rooms, sorted.
    pub fn rooms(&self) -> Vec<String> {
        let mut rooms: Vec<String> = self.lock().rooms.keys().cloned().collect();
        rooms.sort_unstable();
        rooms
    }

    /// How many connections this node has.
    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }

    /// Bytes waiting to be written to this node's connections, in all.
    pub fn pending_bytes(&self) -> usize {
        let outboxes: Vec<Arc<Outbox>> = self
            .lock()
            .connections
            .values()
            .map(|entry| Arc::clone(&entry.outbox))
            .collect();
        outboxes.iter().map(|outbox| outbox.pending()).sum()
    }

    /// Delivers a message from another node to this node's members of `room`. Never waits:
    /// under back-pressure, the receivers' bound is doubled (see
    /// [`SlowConsumer::BackPressure`]). Returns how many it was queued for.
    pub fn deliver(&self, room: &str, text: &Utf8Bytes) -> usize {
        let Some(members) = self.room(room) else {
            return 0;
        };
        members
            .iter()
            .filter(|outbox| outbox.push(text.clone(), false).is_ok())
            .count()
    }

    /// Delivers a message from another node to this node's connection `id`.
    pub fn deliver_to(&self, id: ConnectionId, text: Utf8Bytes) -> Result<(), SendError> {
        self.send_to(id, text)
    }

    fn room(&self, room: &str) -> Option<Members> {
        self.lock().rooms.get(room).map(Arc::clone)
    }

    /// Queues `text` for every member of `room` but `except`, waiting for room under
    /// back-pressure. Returns how many accepted it.
    pub(crate) async fn deliver_wait(
        &self,
        room: &str,
        text: &Utf8Bytes,
        except: Option<ConnectionId>,
    ) -> usize {
        let Some(members) = self.room(room) else {
            return 0;
        };
        let mut queued = 0;
        for outbox in members.iter() {
            if Some(outbox.id()) == except {
                continue;
            }
            let result = match outbox.push(text.clone(), true) {
                Err(Refused::Full(text)) => outbox.push_wait(text).await,
                other => other,
            };
            queued += usize::from(result.is_ok());
        }
        queued
    }

    /// Registers a new connection with an outbox bounded by `limit` bytes.
    pub(crate) fn register(&self, limit: usize, policy: SlowConsumer) -> Arc<Outbox> {
        let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let id = ConnectionId((u64::from(self.inner.node) << 32) | (n & 0xffff_ffff));
        let outbox = Arc::new(Outbox::new(
            id,
            limit,
            policy,
            Arc::clone(&self.inner.counters),
        ));
        self.lock().connections.insert(
            id,
            Entry {
                outbox: Arc::clone(&outbox),
                rooms: BTreeSet::new(),
            },
        );
        outbox
    }

    /// Removes a connection from all its rooms and from the registry, and closes its outbox.
    pub(crate) fn unregister(&self, id: ConnectionId) {
        let mut registry = self.lock();
        let Some(entry) = registry.connections.remove(&id) else {
            return;
        };
        for room in &entry.rooms {
            remove_member(&mut registry.rooms, room, id);
        }
        drop(registry);
        entry.outbox.close();
    }

    /// Adds `id` to `room`. Returns false if it was already a member or is not registered.
    pub(crate) fn join(&self, id: ConnectionId, room: &str) -> bool {
        let mut registry = self.lock();
        let registry = &mut *registry;
        let Some(entry) = registry.connections.get_mut(&id) else {
            return false;
        };
        if !entry.rooms.insert(room.to_owned()) {
            return false;
        }
        let outbox = Arc::clone(&entry.outbox);
        let members = registry.rooms.entry(room.to_owned()).or_default();
        let members = Arc::make_mut(members);
        // Ids only grow, so this is nearly always a push at the end.
        let at = members.partition_point(|m| m.id() < id);
        members.insert(at, outbox);
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

    /// Queues `text` for this node's connection `id`. Never waits.
    pub(crate) fn send_to(&self, id: ConnectionId, text: Utf8Bytes) -> Result<(), SendError> {
        let outbox = self
            .lock()
            .connections
            .get(&id)
            .map(|entry| Arc::clone(&entry.outbox))
            .ok_or(SendError::Closed)?;
        outbox.push(text, false).map_err(SendError::from)
    }
}

fn remove_member(rooms: &mut HashMap<String, Members>, room: &str, id: ConnectionId) {
    if let Some(members) = rooms.get_mut(room) {
        if let Ok(at) = members.binary_search_by_key(&id, |m| m.id()) {
            Arc::make_mut(members).remove(at);
        }
        if members.is_empty() {
            rooms.remove(room);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::outbox::Outbound;

    fn texts(outbox: &Outbox) -> Vec<String> {
        let mut batch = Vec::new();
        let taken = outbox.take(&mut batch, usize::MAX).unwrap();
        outbox.written(taken.bytes);
        batch
            .into_iter()
            .map(|item| match item {
                Outbound::Text(t) => t.as_str().to_owned(),
                Outbound::Binary(_) => "<binary>".to_owned(),
                Outbound::Close(..) => "<close>".to_owned(),
            })
            .collect()
    }

    fn register(rooms: &LocalRooms) -> Arc<Outbox> {
        rooms.register(1 << 20, SlowConsumer::Close)
    }

    #[test]
    fn rooms_come_and_go() {
        let hub = LocalRooms::new(0);
        let a = register(&hub).id();
        let b = register(&hub).id();
        assert_eq!((a.get(), b.get()), (1, 2));
        assert_eq!(hub.connection_count(), 2);
        assert!(hub.join(a, "x"));
        assert!(!hub.join(a, "x"));
        assert!(hub.join(b, "x"));
        assert!(hub.join(b, "a"));
        assert_eq!(hub.rooms(), ["a", "x"]);
        assert_eq!(hub.members("x"), [a, b]);
        assert_eq!(hub.rooms_of(b), ["a", "x"]);
        assert!(hub.leave(a, "x"));
        assert!(!hub.leave(a, "x"));
        assert_eq!(hub.members("x"), [b]);
        hub.unregister(b);
        assert!(hub.rooms().is_empty());
        assert!(hub.members("x").is_empty());
        assert_eq!(hub.connection_count(), 1);
        assert!(!hub.join(b, "y"), "unregistered connections cannot join");
    }

    #[test]
    fn ids_carry_the_node() {
        let hub = LocalRooms::new(7);
        let id = register(&hub).id();
        assert_eq!(id.get(), (7 << 32) | 1);
        assert_eq!(id.node(), 7);
    }

    #[tokio::test]
    async fn broadcast_shares_and_counts() {
        let hub = LocalRooms::new(0);
        let a = register(&hub);
        let b = register(&hub);
        hub.join(a.id(), "r");
        hub.join(b.id(), "r");
        let msg = Utf8Bytes::from("hi");
        assert_eq!(hub.deliver_wait("r", &msg, None).await, 2);
        assert_eq!(hub.deliver_wait("r", &msg, Some(a.id())).await, 1);
        assert_eq!(hub.deliver_wait("nobody", &msg, None).await, 0);
        assert_eq!(hub.deliver("r", &msg), 2);
        assert_eq!(texts(&a), ["hi", "hi"]);
        assert_eq!(texts(&b), ["hi", "hi", "hi"]);
        assert_eq!(
            hub.send_to(ConnectionId(999), msg.clone()),
            Err(SendError::Closed)
        );
        hub.unregister(a.id());
        assert_eq!(
            a.push(msg, false).err().map(SendError::from),
            Some(SendError::Closed)
        );
    }

    #[test]
    fn a_slow_receiver_is_marked_alone() {
        let hub = LocalRooms::new(0);
        let slow = hub.register(100, SlowConsumer::Close);
        let fast = register(&hub);
        hub.join(slow.id(), "r");
        hub.join(fast.id(), "r");
        let msg = Utf8Bytes::from("m".repeat(40));
        assert_eq!(hub.deliver("r", &msg), 2);
        assert_eq!(hub.deliver("r", &msg), 1);
        assert!(slow.slow().is_some());
        assert_eq!(
            hub.send_to(slow.id(), msg.clone()),
            Err(SendError::Overflow)
        );
        assert_eq!(texts(&fast).len(), 2);
        assert_eq!(hub.counters().slow_closed_bytes.load(Ordering::Relaxed), 1);
    }
}

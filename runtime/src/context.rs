//! The per-connection handle that handlers get.

use std::fmt;
use std::marker::PhantomData;

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;

use crate::hub::{ConnectionId, Handle, Hub, Outbound};

/// Why a message could not be queued for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The connection is gone (or the id was never registered).
    Closed,
    /// The connection's outbound queue is full: it is being closed as a slow client (close code
    /// 1008, `outbound queue overflow`).
    Overflow,
    /// The message could not be serialized to JSON.
    Serialize(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the connection is closed"),
            Self::Overflow => f.write_str("the connection's outbound queue overflowed"),
            Self::Serialize(e) => write!(f, "the message could not be serialized: {e}"),
        }
    }
}

impl std::error::Error for SendError {}

/// One connection, as seen by a handler: who it is, what its route's path parameters were, and
/// how to reach it and others.
///
/// Everything here is non-blocking: messages go into bounded per-connection queues (see
/// [`Hub`]) and are written by each connection's own task. Messages a handler sends to its own
/// connection arrive before that handler's reply.
pub struct Context<Out> {
    id: ConnectionId,
    params: Vec<(String, String)>,
    hub: Hub,
    handle: Handle,
    _out: PhantomData<fn(Out)>,
}

impl<Out> fmt::Debug for Context<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl<Out: Serialize> Context<Out> {
    pub(crate) fn new(
        id: ConnectionId,
        params: Vec<(String, String)>,
        hub: Hub,
        handle: Handle,
    ) -> Self {
        Self {
            id,
            params,
            hub,
            handle,
            _out: PhantomData,
        }
    }

    /// This connection's id.
    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// The value of the route's path parameter `name` (for the route `/room/{room_id}`,
    /// `param("room_id")`), percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// All path parameters of the route, in route order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Sends `msg` to this client. It is written before the reply of the handler that is
    /// running.
    pub fn send(&self, msg: impl Into<Out>) -> Result<(), SendError> {
        self.handle.push(Outbound::Text(serialize(&msg.into())?))
    }

    /// Sends `msg` to the connection `id` (which may be this one).
    pub fn send_to(&self, id: ConnectionId, msg: impl Into<Out>) -> Result<(), SendError> {
        let text = serialize(&msg.into())?;
        if id == self.id {
            return self.handle.push(Outbound::Text(text));
        }
        self.hub.send_to(id, Outbound::Text(text))
    }

    /// Joins `room` (created if needed). Joining a room twice is a no-op.
    pub fn join(&self, room: &str) {
        self.hub.join(self.id, room);
    }

    /// Leaves `room`. A room disappears when its last member leaves.
    pub fn leave(&self, room: &str) {
        self.hub.leave(self.id, room);
    }

    /// The rooms this connection is in, sorted.
    pub fn rooms(&self) -> Vec<String> {
        self.hub.rooms_of(self.id)
    }

    /// Sends `msg` to every member of `room`, this connection included if it is a member.
    /// The message is serialized once. Returns how many connections it was queued for (members
    /// whose queue overflowed are not counted).
    pub fn broadcast(&self, room: &str, msg: impl Into<Out>) -> usize {
        match serialize(&msg.into()) {
            Ok(text) => self.hub.broadcast(room, &text, None),
            Err(e) => {
                tracing::error!(connection = %self.id, room, error = %e, "broadcast not sent");
                0
            }
        }
    }

    /// Sends `msg` to every member of `room` except this connection. Returns how many
    /// connections it was queued for.
    pub fn broadcast_others(&self, room: &str, msg: impl Into<Out>) -> usize {
        match serialize(&msg.into()) {
            Ok(text) => self.hub.broadcast(room, &text, Some(self.id)),
            Err(e) => {
                tracing::error!(connection = %self.id, room, error = %e, "broadcast not sent");
                0
            }
        }
    }

    /// Closes this connection with `code` and `reason` once the reply of the running handler
    /// has been written. Messages that arrive afterwards are not handled.
    ///
    /// Use 1000 for a normal close, 4000–4999 for application codes.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        // If the queue is full, the connection is being closed as a slow client anyway.
        let _ = self.handle.push(Outbound::Close(code, reason.into()));
    }

    /// The hub this connection is registered in.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

fn serialize<T: Serialize>(msg: &T) -> Result<Utf8Bytes, SendError> {
    serde_json::to_string(msg)
        .map(Utf8Bytes::from)
        .map_err(|e| SendError::Serialize(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn context_is_send_and_sync() {
        assert_send_sync::<Context<serde_json::Value>>();
        assert_send_sync::<Context<std::rc::Rc<()>>>();
    }

    #[test]
    fn params() {
        let hub = Hub::new();
        let (id, handle, _rx) = hub.register(4);
        let ctx: Context<serde_json::Value> = Context::new(
            id,
            vec![("room".into(), "a b".into()), ("user".into(), "7".into())],
            hub,
            handle,
        );
        assert_eq!(ctx.param("room"), Some("a b"));
        assert_eq!(ctx.param("user"), Some("7"));
        assert_eq!(ctx.param("nope"), None);
        assert_eq!(ctx.params().len(), 2);
    }
}

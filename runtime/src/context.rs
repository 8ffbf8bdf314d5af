//! The per-connection handle that handlers get.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;

use crate::Outgoing;
use crate::error::Violation;
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
    /// Debug builds only: the message breaks its schema (each violation's path is relative to
    /// the message).
    Schema(Vec<Violation>),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the connection is closed"),
            Self::Overflow => f.write_str("the connection's outbound queue overflowed"),
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

/// One connection, as seen by a handler: who it is, what its route's path parameters were, and
/// how to reach it and others.
///
/// Everything here is non-blocking: messages go into bounded per-connection queues (see
/// [`Hub`]) and are written by each connection's own task. Messages a handler sends to its own
/// connection arrive before that handler's reply.
pub struct Context<Out> {
    id: ConnectionId,
    params: Arc<[(String, String)]>,
    hub: Hub,
    handle: Handle,
    /// Per-connection state, set once (usually in `on_connect`); shared by clones.
    state: Arc<OnceLock<Box<dyn Any + Send + Sync>>>,
    /// The axum router's state, if the route was mounted on a `Router` with state.
    app_state: Option<Arc<dyn Any + Send + Sync>>,
    _out: PhantomData<fn(Out)>,
}

impl<Out> Clone for Context<Out> {
    /// A second handle to the same connection (for a blocking handler or a spawned task).
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            params: Arc::clone(&self.params),
            hub: self.hub.clone(),
            handle: self.handle.clone(),
            state: Arc::clone(&self.state),
            app_state: self.app_state.clone(),
            _out: PhantomData,
        }
    }
}

impl<Out> fmt::Debug for Context<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl<Out: Outgoing> Context<Out> {
    pub(crate) fn new(
        id: ConnectionId,
        params: Vec<(String, String)>,
        hub: Hub,
        handle: Handle,
    ) -> Self {
        Self {
            id,
            params: params.into(),
            hub,
            handle,
            state: Arc::default(),
            app_state: None,
            _out: PhantomData,
        }
    }

    pub(crate) fn with_app_state(mut self, state: Option<Arc<dyn Any + Send + Sync>>) -> Self {
        self.app_state = state;
        self
    }

    /// Sets this connection's state, of a type of your choice. It can be set once, usually in
    /// `on_connect`; a second call returns the value back as `Err`.
    pub fn set_state<T: Any + Send + Sync>(&self, state: T) -> Result<(), T> {
        let mut slot = Some(state);
        self.state
            .get_or_init(|| Box::new(slot.take().expect("taken once")));
        match slot {
            None => Ok(()),
            Some(state) => Err(state),
        }
    }

    /// This connection's state, if it was set with [`Context::set_state`] and has type `T`.
    pub fn state<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.state.get().and_then(|s| s.downcast_ref())
    }

    /// The application state of the axum `Router` the route is mounted on
    /// (`Router::with_state`), if it has type `T`.
    pub fn app_state<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.app_state.as_deref().and_then(|s| s.downcast_ref())
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
        &self.params[..]
    }

    /// Sends `msg` to this client. It is written before the reply of the handler that is
    /// running.
    pub fn send(&self, msg: impl Into<Out>) -> Result<(), SendError> {
        self.handle.push(Outbound::Text(encode(&msg.into())?))
    }

    /// Sends `msg` to the connection `id` (which may be this one).
    pub fn send_to(&self, id: ConnectionId, msg: impl Into<Out>) -> Result<(), SendError> {
        let text = encode(&msg.into())?;
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
        match encode(&msg.into()) {
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
        match encode(&msg.into()) {
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

/// Serializes an outgoing message. Debug builds also check it against its schema (see
/// [`Outgoing::validator`]); release builds skip that.
pub(crate) fn encode<O: Outgoing>(msg: &O) -> Result<Utf8Bytes, SendError> {
    let text = serde_json::to_string(msg).map_err(|e| SendError::Serialize(e.to_string()))?;
    if cfg!(debug_assertions)
        && let Some(schema) = msg.validator()
    {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SendError::Serialize(e.to_string()))?;
        let violations = schema.validate(&value, "");
        if !violations.is_empty() {
            return Err(SendError::Schema(violations));
        }
    }
    Ok(Utf8Bytes::from(text))
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

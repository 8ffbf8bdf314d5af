//! The per-connection handle that handlers get.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;

use crate::Outgoing;
use crate::rooms::outbox::Outbox;
use crate::rooms::{ConnectionId, Hub, SendError};

/// One connection, as seen by a handler: who it is, what its route's path parameters were, and
/// how to reach it and others.
///
/// Messages go into each receiver's outbox, bounded by bytes (see
/// [`SlowConsumer`](crate::SlowConsumer)), and are written by each connection's own task.
/// Messages a handler sends to its own connection arrive before that handler's reply. Only the
/// broadcasts are `async`: they wait when a receiver's policy is back-pressure and it is full,
/// and complete at once otherwise.
pub struct Context<Out> {
    id: ConnectionId,
    params: Arc<[(String, String)]>,
    hub: Hub,
    outbox: Arc<Outbox>,
    /// Per-connection state, set once (usually in `on_connect`); shared by clones.
    state: Arc<OnceLock<Box<dyn Any + Send + Sync>>>,
    /// The axum router's state, if the route was mounted on a `Router` with state.
    app_state: Option<Arc<dyn Any + Send + Sync>>,
    /// What the endpoint's authentication hook returned for this connection.
    identity: Option<Arc<dyn Any + Send + Sync>>,
    _out: PhantomData<fn(Out)>,
}

impl<Out> Clone for Context<Out> {
    /// A second handle to the same connection (for a blocking handler or a spawned task).
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            params: Arc::clone(&self.params),
            hub: self.hub.clone(),
            outbox: Arc::clone(&self.outbox),
            state: Arc::clone(&self.state),
            app_state: self.app_state.clone(),
            identity: self.identity.clone(),
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
    pub(crate) fn new(params: Vec<(String, String)>, hub: Hub, outbox: Arc<Outbox>) -> Self {
        Self {
            id: outbox.id(),
            params: params.into(),
            hub,
            outbox,
            state: Arc::default(),
            app_state: None,
            identity: None,
            _out: PhantomData,
        }
    }

    pub(crate) fn with_app_state(mut self, state: Option<Arc<dyn Any + Send + Sync>>) -> Self {
        self.app_state = state;
        self
    }

    pub(crate) fn with_identity(mut self, identity: Option<Arc<dyn Any + Send + Sync>>) -> Self {
        self.identity = identity;
        self
    }

    /// Who this connection is, as the endpoint's authentication hook said
    /// ([`Endpoint::authenticate`](crate::Endpoint::authenticate)), if it has type `T`. `None`
    /// without a hook, or when `T` is not the type the hook returned.
    pub fn identity<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.identity.as_deref().and_then(|i| i.downcast_ref())
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
    /// running. Never waits: under back-pressure, this connection's bound is doubled for it
    /// (see [`SlowConsumer::BackPressure`](crate::SlowConsumer::BackPressure)).
    pub fn send(&self, msg: impl Into<Out>) -> Result<(), SendError> {
        let msg = msg.into();
        if let Some(bytes) = msg.binary() {
            return self.outbox.push_binary(bytes).map_err(SendError::from);
        }
        let text = encode(&msg)?;
        self.outbox.push(text, false).map_err(SendError::from)
    }

    /// Sends `msg` to the connection `id` (which may be this one, or, with a backend such as
    /// Redis, one on another node). Never waits, like [`Context::send`].
    ///
    /// For a connection on another node, `Ok` means the message was handed to the backend; if
    /// that connection is gone by the time it arrives, the message is dropped there.
    pub fn send_to(&self, id: ConnectionId, msg: impl Into<Out>) -> Result<(), SendError> {
        let msg = msg.into();
        if id == self.id
            && let Some(bytes) = msg.binary()
        {
            return self.outbox.push_binary(bytes).map_err(SendError::from);
        }
        let text = encode(&msg)?;
        if id == self.id {
            return self.outbox.push(text, false).map_err(SendError::from);
        }
        self.hub.send_to(id, text)
    }

    /// Joins `room` (created if needed). Joining a room twice is a no-op.
    pub fn join(&self, room: &str) {
        self.hub.join(self.id, room);
    }

    /// Leaves `room`. A room disappears when its last member leaves. A connection leaves all
    /// its rooms when it ends.
    pub fn leave(&self, room: &str) {
        self.hub.leave(self.id, room);
    }

    /// The rooms this connection is in, sorted.
    pub fn rooms(&self) -> Vec<String> {
        self.hub.rooms_of(self.id)
    }

    /// The members of `room` on every node, sorted (see [`Hub::members`]).
    pub async fn members(&self, room: &str) -> Vec<ConnectionId> {
        self.hub.members(room).await
    }

    /// Sends `msg` to every member of `room`, this connection included if it is a member, on
    /// every node. The message is serialized once, and its bytes are shared by all receivers.
    ///
    /// Completes at once unless a receiver on this node is full under
    /// [`SlowConsumer::BackPressure`](crate::SlowConsumer::BackPressure); then it waits until that
    /// receiver has room (or is closed for missing the write timeout). Returns how many of this
    /// node's connections it was queued for: slow consumers that are being closed are not
    /// counted, and neither are other nodes' members.
    ///
    /// A blocking handler (which runs on tokio's blocking threads) can wait for it with
    /// `tokio::runtime::Handle::current().block_on(ctx.broadcast(room, msg))`.
    pub fn broadcast<'a>(
        &'a self,
        room: &'a str,
        msg: impl Into<Out>,
    ) -> impl Future<Output = usize> + Send + 'a {
        self.broadcast_except(room, msg.into(), None)
    }

    /// Sends `msg` to every member of `room` except this connection, like
    /// [`Context::broadcast`].
    pub fn broadcast_others<'a>(
        &'a self,
        room: &'a str,
        msg: impl Into<Out>,
    ) -> impl Future<Output = usize> + Send + 'a {
        self.broadcast_except(room, msg.into(), Some(self.id))
    }

    fn broadcast_except<'a>(
        &'a self,
        room: &'a str,
        msg: Out,
        except: Option<ConnectionId>,
    ) -> impl Future<Output = usize> + Send + 'a {
        // Serialized now, so the future does not hold the message.
        let text = encode(&msg);
        async move {
            match text {
                Ok(text) => self.hub.broadcast(room, text, except).await,
                Err(e) => {
                    tracing::error!(connection = %self.id, room, error = %e, "broadcast not sent");
                    0
                }
            }
        }
    }

    /// Closes this connection with `code` and `reason` once the reply of the running handler
    /// has been written. Messages that arrive afterwards are not handled.
    ///
    /// Use 1000 for a normal close, 4000–4999 for application codes.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        self.outbox.push_close(code, reason.into());
    }

    /// The hub this connection is registered in.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

/// Serializes an outgoing message. Debug builds also check it against its schema (see
/// [`Outgoing::validator`]); release builds skip that.
pub(crate) fn encode<O: Outgoing>(msg: &O) -> Result<Utf8Bytes, SendError> {
    if msg.binary().is_some() {
        return Err(SendError::Serialize(
            "a binary message goes to its own connection only (a reply, or `ctx.send`); broadcasts and other connections get JSON text".to_owned(),
        ));
    }
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
        let outbox = hub.register(1024, crate::SlowConsumer::Close);
        let ctx: Context<serde_json::Value> = Context::new(
            vec![("room".into(), "a b".into()), ("user".into(), "7".into())],
            hub,
            outbox,
        );
        assert_eq!(ctx.param("room"), Some("a b"));
        assert_eq!(ctx.param("user"), Some("7"));
        assert_eq!(ctx.param("nope"), None);
        assert_eq!(ctx.params().len(), 2);
    }
}

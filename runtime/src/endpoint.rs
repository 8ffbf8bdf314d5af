//! axum integration: limits and buffers, and the route handler that upgrades to WebSocket.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::routing::MethodRouter;

use crate::Service;
use crate::connection::serve;
use crate::hub::Hub;

/// Buffers, limits and policies of a WebSocket endpoint.
///
/// | setting | default | why |
/// |---|---|---|
/// | [`read_buffer_size`](Self::read_buffer_size) | 4 KiB | tungstenite zero-fills its whole read buffer on every read; its 128 KiB default costs 136 KiB per idle connection and about 40% of throughput |
/// | [`write_buffer_size`](Self::write_buffer_size) | 8 KiB | a burst of queued messages is coalesced into writes of about this size; the runtime flushes once per burst anyway |
/// | [`max_message_size`](Self::max_message_size) | 1 MiB | larger messages end the connection (error `too_large`, close code 1009) |
/// | [`max_frame_size`](Self::max_frame_size) | 1 MiB | the same for a single frame; checked from the frame header, before the payload is read |
/// | [`outbound_queue`](Self::outbound_queue) | 1024 messages | a client that falls this far behind is closed (1008, `outbound queue overflow`) |
/// | [`close_timeout`](Self::close_timeout) | 5 s | how long a closing handshake may take before the socket is dropped |
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) read_buffer_size: usize,
    pub(crate) write_buffer_size: usize,
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) outbound_queue: usize,
    pub(crate) close_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_buffer_size: Self::DEFAULT_READ_BUFFER_SIZE,
            write_buffer_size: Self::DEFAULT_WRITE_BUFFER_SIZE,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            outbound_queue: Self::DEFAULT_OUTBOUND_QUEUE,
            close_timeout: Self::DEFAULT_CLOSE_TIMEOUT,
        }
    }
}

impl Settings {
    /// Default [`read_buffer_size`](Self::read_buffer_size): 4 KiB.
    pub const DEFAULT_READ_BUFFER_SIZE: usize = 4 * 1024;
    /// Default [`write_buffer_size`](Self::write_buffer_size): 8 KiB.
    pub const DEFAULT_WRITE_BUFFER_SIZE: usize = 8 * 1024;
    /// Default [`max_message_size`](Self::max_message_size): 1 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1024 * 1024;
    /// Default [`max_frame_size`](Self::max_frame_size): 1 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 1024 * 1024;
    /// Default [`outbound_queue`](Self::outbound_queue): 1024 messages.
    pub const DEFAULT_OUTBOUND_QUEUE: usize = 1024;
    /// Default [`close_timeout`](Self::close_timeout): 5 seconds.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

    /// The defaults (see the table on [`Settings`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Size of the buffer tungstenite reads the socket into, per connection. Default 4 KiB.
    ///
    /// Keep it small: tungstenite zero-fills the whole buffer on every read, so its own 128 KiB
    /// default costs about 136 KiB per idle connection and about 40% of throughput. Messages
    /// larger than the buffer are still read, in several reads.
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes;
        self
    }

    /// How many bytes of outgoing frames tungstenite collects before it writes them to the
    /// socket. Default 8 KiB.
    ///
    /// The runtime flushes once after each burst of messages (a reply and whatever was queued
    /// before it), so this only decides how a long burst is split into writes. The buffer keeps
    /// its capacity, so this much (plus the largest single message) stays allocated per busy
    /// connection. `0` writes every frame at once.
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        self.write_buffer_size = bytes;
        self
    }

    /// The largest message a client may send, in bytes, after reassembling its frames.
    /// Default 1 MiB.
    ///
    /// A larger message ends the connection: the client gets a `too_large` error message, then a
    /// close frame with code 1009 (message too big). The rest of the message is not read.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest single frame a client may send, in bytes. Default 1 MiB.
    ///
    /// Checked from the frame header, before the payload is buffered; handled like
    /// [`max_message_size`](Self::max_message_size).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// How many outgoing messages may wait for one connection. Default 1024.
    ///
    /// Sending never waits. When a connection's queue is full, the message is dropped for it
    /// and the connection is closed with close code 1008 (`outbound queue overflow`): memory stays
    /// bounded and a slow client never slows down anyone else.
    /// Values are clamped to `1..=`[`tokio::sync::Semaphore::MAX_PERMITS`].
    pub fn outbound_queue(mut self, messages: usize) -> Self {
        self.outbound_queue = messages.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// How long the runtime waits to write a close frame and for the client's answer to it
    /// before it drops the connection. Default 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    fn apply<F>(&self, ws: WebSocketUpgrade<F>) -> WebSocketUpgrade<F> {
        ws.read_buffer_size(self.read_buffer_size)
            .write_buffer_size(self.write_buffer_size)
            .max_message_size(self.max_message_size)
            .max_frame_size(self.max_frame_size)
    }
}

/// A [`Service`] ready to be mounted on an axum route.
///
/// ```no_run
/// # use socketsundso::{Endpoint, Service};
/// # fn mount<S: Service>(service: S) -> axum::Router {
/// let endpoint = Endpoint::new(service).outbound_queue(256);
/// axum::Router::new().route("/ws/{room}", endpoint.into_method_router())
/// # }
/// ```
pub struct Endpoint<S> {
    service: Arc<S>,
    hub: Hub,
    settings: Settings,
}

impl<S> Clone for Endpoint<S> {
    fn clone(&self) -> Self {
        Self {
            service: Arc::clone(&self.service),
            hub: self.hub.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("hub", &self.hub)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: Service> Endpoint<S> {
    /// An endpoint for `service`, with a new [`Hub`] and default [`Settings`].
    pub fn new(service: S) -> Self {
        Self::from_arc(Arc::new(service))
    }

    /// An endpoint for a shared `service`.
    pub fn from_arc(service: Arc<S>) -> Self {
        Self {
            service,
            hub: Hub::new(),
            settings: Settings::default(),
        }
    }

    /// Uses `hub` for connections and rooms (endpoints sharing a hub share rooms).
    pub fn hub(mut self, hub: Hub) -> Self {
        self.hub = hub;
        self
    }

    /// Replaces all settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// See [`Settings::read_buffer_size`].
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.read_buffer_size(bytes);
        self
    }

    /// See [`Settings::write_buffer_size`].
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.write_buffer_size(bytes);
        self
    }

    /// See [`Settings::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_message_size(bytes);
        self
    }

    /// See [`Settings::max_frame_size`].
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.settings = self.settings.max_frame_size(bytes);
        self
    }

    /// See [`Settings::outbound_queue`].
    pub fn outbound_queue(mut self, messages: usize) -> Self {
        self.settings = self.settings.outbound_queue(messages);
        self
    }

    /// See [`Settings::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.settings = self.settings.close_timeout(timeout);
        self
    }

    /// A handle to this endpoint's hub, e.g. to inspect rooms from elsewhere.
    pub fn hub_handle(&self) -> Hub {
        self.hub.clone()
    }

    /// The service.
    pub fn service(&self) -> &Arc<S> {
        &self.service
    }

    /// The settings.
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// A `GET` route handler that upgrades to WebSocket and serves the connection.
    ///
    /// The route's path parameters (for `/room/{room_id}`, `room_id`) reach handlers through
    /// [`Context::param`](crate::Context::param). Routes without parameters work too. The
    /// router's state (`Router::with_state`) reaches them through
    /// [`Context::app_state`](crate::Context::app_state).
    pub fn into_method_router<St>(self) -> MethodRouter<St>
    where
        St: Clone + Send + Sync + 'static,
    {
        let Self {
            service,
            hub,
            settings,
        } = self;
        axum::routing::get(
            move |State(state): State<St>, ws: WebSocketUpgrade, PathParams(params): PathParams| {
                let service = Arc::clone(&service);
                let hub = hub.clone();
                let settings = settings.clone();
                let state: Arc<dyn std::any::Any + Send + Sync> = Arc::new(state);
                async move {
                    settings.apply(ws).on_upgrade(move |socket| {
                        serve(service, hub, params, socket, settings, Some(state))
                    })
                }
            },
        )
    }
}

/// The route's path parameters, or none for a route without any.
struct PathParams(Vec<(String, String)>);

impl<St: Send + Sync> FromRequestParts<St> for PathParams {
    type Rejection = RawPathParamsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => Ok(Self(
                params
                    .iter()
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect(),
            )),
            Err(RawPathParamsRejection::MissingPathParams(_)) => Ok(Self(Vec::new())),
            Err(e) => Err(e),
        }
    }
}

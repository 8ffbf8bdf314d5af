//! Buffers, limits and policies of an endpoint.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;

use crate::rooms::SlowConsumer;

/// Buffers, limits and policies of a WebSocket endpoint.
///
/// | setting | default | why |
/// |---|---|---|
/// | [`read_buffer_size`](Self::read_buffer_size) | 4 KiB | tungstenite zero-fills its whole read buffer on every read; its 128 KiB default costs 136 KiB per idle connection and about 40% of throughput |
/// | [`write_buffer_size`](Self::write_buffer_size) | 8 KiB | a burst of queued messages is coalesced into writes of about this size; the runtime flushes once per burst anyway |
/// | [`max_message_size`](Self::max_message_size) | 1 MiB | larger messages end the connection (error `too_large`, close code 1009) |
/// | [`max_frame_size`](Self::max_frame_size) | 1 MiB | the same for a single frame; checked from the frame header, before the payload is read |
/// | [`max_pending_bytes`](Self::max_pending_bytes) | 4 MiB | a connection with more than this waiting to be written to it is a slow consumer |
/// | [`write_timeout`](Self::write_timeout) | 5 s | so is one whose socket does not take a write within this time |
/// | [`slow_consumer`](Self::slow_consumer) | [`SlowConsumer::Close`] | what happens to a slow consumer: closed with 1008, its oldest messages dropped, or its senders wait |
/// | [`close_timeout`](Self::close_timeout) | 5 s | how long a closing handshake may take before the socket is dropped |
/// | [`max_connections`](Self::max_connections) | 10,000 | more upgrades are refused with HTTP 503 |
/// | [`max_connections_per_ip`](Self::max_connections_per_ip) | off | more upgrades from one client address are refused with HTTP 429 |
/// | [`rate_limit`](Self::rate_limit) | off | excess messages get `rate_limited`; a connection that keeps going is closed with 1008 |
/// | [`handler_timeout`](Self::handler_timeout) | 30 s | a handler that takes longer is stopped; the client gets `timeout` |
/// | [`auth_timeout`](Self::auth_timeout) | 10 s | an authentication hook that takes longer is dropped; the upgrade is refused with HTTP 503 |
/// | [`idle_timeout`](Self::idle_timeout) | off | a connection that sends no message for this long is closed with 1001 |
/// | [`ping_interval`](Self::ping_interval) | 30 s | the server pings a connection that sent nothing for this long |
/// | [`pong_timeout`](Self::pong_timeout) | 20 s | a connection that does not answer a ping within this time is closed with 1001 |
/// | [`allowed_origins`](Self::allowed_origins) | any | a browser upgrade from another `Origin` is refused with HTTP 403 |
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) read_buffer_size: usize,
    pub(crate) write_buffer_size: usize,
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) max_pending_bytes: usize,
    pub(crate) write_timeout: Duration,
    pub(crate) slow_consumer: SlowConsumer,
    pub(crate) close_timeout: Duration,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_connections_per_ip: Option<usize>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) auth_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) pong_timeout: Duration,
    pub(crate) allowed_origins: Option<Arc<[String]>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_buffer_size: Self::DEFAULT_READ_BUFFER_SIZE,
            write_buffer_size: Self::DEFAULT_WRITE_BUFFER_SIZE,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_pending_bytes: Self::DEFAULT_MAX_PENDING_BYTES,
            write_timeout: Self::DEFAULT_WRITE_TIMEOUT,
            slow_consumer: SlowConsumer::default(),
            close_timeout: Self::DEFAULT_CLOSE_TIMEOUT,
            max_connections: Some(Self::DEFAULT_MAX_CONNECTIONS),
            max_connections_per_ip: None,
            rate_limit: None,
            handler_timeout: Some(Self::DEFAULT_HANDLER_TIMEOUT),
            auth_timeout: Self::DEFAULT_AUTH_TIMEOUT,
            idle_timeout: None,
            ping_interval: Some(Self::DEFAULT_PING_INTERVAL),
            pong_timeout: Self::DEFAULT_PONG_TIMEOUT,
            allowed_origins: None,
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
    /// Default [`max_pending_bytes`](Self::max_pending_bytes): 4 MiB.
    pub const DEFAULT_MAX_PENDING_BYTES: usize = 4 * 1024 * 1024;
    /// Default [`write_timeout`](Self::write_timeout): 5 seconds.
    pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default [`close_timeout`](Self::close_timeout): 5 seconds.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default [`max_connections`](Self::max_connections): 10,000.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
    /// Default [`handler_timeout`](Self::handler_timeout): 30 seconds.
    pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`auth_timeout`](Self::auth_timeout): 10 seconds (the handshake timeout's
    /// default).
    pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`ping_interval`](Self::ping_interval): 30 seconds.
    pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);
    /// Default [`pong_timeout`](Self::pong_timeout): 20 seconds.
    pub const DEFAULT_PONG_TIMEOUT: Duration = Duration::from_secs(20);

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

    /// How many bytes may wait to be written to one connection before it is a slow consumer.
    /// Default 4 MiB.
    ///
    /// Counted: every queued message's length plus
    /// [`MESSAGE_OVERHEAD`](crate::MESSAGE_OVERHEAD) bytes, including the batch its writer is
    /// writing. A burst of broadcasts is queued in full as long as it fits (2,000 chat messages
    /// are about 150 KB); what happens past the bound is the
    /// [`slow_consumer`](Self::slow_consumer) policy. A single message larger than the bound is
    /// still queued when nothing else is. Memory per connection stays within this bound (twice
    /// it under [`SlowConsumer::BackPressure`]).
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.max_pending_bytes = bytes.max(1);
        self
    }

    /// How long one write to a connection's socket may take (a batch of up to 64 KiB, then a
    /// flush) before the connection is a slow consumer. Default 5 s.
    ///
    /// A client that stops reading fills its TCP buffers and then blocks the writes to it; it
    /// is closed with 1008 (`slow consumer: write timed out`) under every policy, which also
    /// frees senders that wait for it under back-pressure.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// What happens to a slow consumer (see [`SlowConsumer`]). Default: it is closed with close
    /// code 1008, and senders never wait.
    pub fn slow_consumer(mut self, policy: SlowConsumer) -> Self {
        self.slow_consumer = policy;
        self
    }

    /// How long the runtime waits to write a close frame and for the client's answer to it
    /// before it drops the connection. Default 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// The most connections the endpoint serves at once; `None` for no limit. Default 10,000.
    ///
    /// An upgrade request beyond it gets HTTP 503 (Service Unavailable) and no upgrade. Clones
    /// of an [`Endpoint`](crate::Endpoint) share the count; separate endpoints count separately.
    /// Each idle connection costs about 10 KiB here, plus the kernel's socket buffers and one
    /// open file: raise the process's open-files limit (`ulimit -n`) with this setting.
    pub fn max_connections(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_connections = limit.into();
        self
    }

    /// The most connections from one client IP address at once; `None` (the default) for no
    /// limit.
    ///
    /// An upgrade request beyond it gets HTTP 429 (Too Many Requests). The client's address is
    /// the TCP peer's, which the endpoint knows when the server is started with
    /// [`serve`](crate::serve), or with axum's
    /// `into_make_service_with_connect_info::<SocketAddr>()`; without it the limit is not
    /// applied (and a warning is logged once). Behind a reverse proxy every client has the
    /// proxy's address: leave this off there.
    pub fn max_connections_per_ip(mut self, limit: impl Into<Option<usize>>) -> Self {
        self.max_connections_per_ip = limit.into();
        self
    }

    /// The message rate each connection may send (see [`RateLimit`]); `None` (the default) for
    /// no limit.
    ///
    /// Off by default: messages on one connection are handled one at a time and the next frame
    /// is read only after the last one is handled, so a flooding client is slowed down by TCP
    /// and never takes more than one handler at a time. A public server should set one, e.g.
    /// `RateLimit::per_second(100).burst(200)`.
    pub fn rate_limit(mut self, limit: impl Into<Option<RateLimit>>) -> Self {
        self.rate_limit = limit.into();
        self
    }

    /// How long a handler may take for one message; `None` for no limit. Default 30 s.
    ///
    /// A handler that takes longer is stopped (its future is dropped at its next `.await`),
    /// and the client gets a `timeout` error with the message's correlation id. The connection
    /// stays open and handles its next message. A blocking handler cannot be stopped: its
    /// thread runs on to its end, and its result is dropped.
    pub fn handler_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.handler_timeout = timeout.into();
        self
    }

    /// How long the authentication hook ([`Endpoint::authenticate`](crate::Endpoint::authenticate))
    /// may take for one upgrade request. Default 10 s.
    ///
    /// A hook that takes longer is dropped and the request is refused with HTTP 503
    /// (`authentication timed out`: the server, not the client's credentials, failed), counted in
    /// [`EndpointStats::auth_timeouts`](crate::EndpointStats::auth_timeouts) and logged. The
    /// request holds a [`max_connections`](Self::max_connections) slot while its hook runs. A
    /// hook still running when a graceful shutdown is triggered is dropped at once (HTTP 503,
    /// `server shutting down`).
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// How long a connection may go without sending a message; `None` (the default) for no
    /// limit.
    ///
    /// Only text and binary messages count; pings and pongs do not. An idle connection is
    /// closed with close code 1001 (`idle timeout`). Off by default: a client that only listens
    /// is quiet by design, and a dead peer is found by [`ping_interval`](Self::ping_interval).
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.idle_timeout = timeout.into();
        self
    }

    /// How often the server pings a connection that sent nothing meanwhile; `None` for no
    /// pings. Default 30 s.
    ///
    /// A connection that does not answer with a pong within
    /// [`pong_timeout`](Self::pong_timeout) is closed with close code 1001 (`no pong`), without
    /// waiting for the client's close frame: a peer that vanished (a laptop closed, a network
    /// gone) holds no memory for longer than the two together. Browsers and WebSocket client
    /// libraries answer pings by themselves.
    pub fn ping_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.ping_interval = interval.into();
        self
    }

    /// How long a ping may wait for its pong. Default 20 s. See
    /// [`ping_interval`](Self::ping_interval).
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// The browser origins allowed to connect, such as `https://chat.example.com`; `None` (the
    /// default) allows any.
    ///
    /// A request whose `Origin` header is not in the list (compared without regard to ASCII
    /// case) gets HTTP 403 and no upgrade. This stops other web sites from opening a connection
    /// with a visitor's cookies (cross-site WebSocket hijacking). Requests without an `Origin`
    /// header are allowed: browsers always send one, other clients need not, and they can set
    /// any value they like anyway. Authenticate them with
    /// [`Endpoint::authenticate`](crate::Endpoint::authenticate).
    pub fn allowed_origins<I, O>(mut self, origins: impl Into<Option<I>>) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.allowed_origins = origins
            .into()
            .map(|origins| origins.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the `Origin` header value `origin` may connect.
    pub(crate) fn origin_allowed(&self, origin: Option<&[u8]>) -> bool {
        match (&self.allowed_origins, origin) {
            (None, _) | (Some(_), None) => true,
            (Some(allowed), Some(origin)) => allowed
                .iter()
                .any(|a| a.as_bytes().eq_ignore_ascii_case(origin)),
        }
    }

    pub(crate) fn apply<F>(&self, ws: WebSocketUpgrade<F>) -> WebSocketUpgrade<F> {
        ws.read_buffer_size(self.read_buffer_size)
            .write_buffer_size(self.write_buffer_size)
            .max_message_size(self.max_message_size)
            .max_frame_size(self.max_frame_size)
    }
}

/// A token bucket for the messages of one connection: it holds up to
/// [`burst`](Self::burst) tokens and gains [`per_second`](Self::per_second) tokens a second;
/// each text or binary message and each ping takes one.
///
/// A message that finds the bucket empty is not decoded or handled; the client gets a
/// `rate_limited` error instead (an excess ping gets no error: the WebSocket layer has already
/// answered it). After [`close_after`](Self::close_after) such messages, counted from the last
/// time the bucket was full, the connection is closed with close code 1008 (`rate limit
/// exceeded`): a client that briefly sends too much and then pauses is warned, one that keeps
/// going is dropped.
///
/// ```
/// use socketsundso::{RateLimit, Settings};
///
/// let settings = Settings::default().rate_limit(RateLimit::per_second(100).burst(200));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub(crate) per_second: f64,
    pub(crate) burst: u32,
    pub(crate) close_after: u32,
}

impl RateLimit {
    /// Default [`close_after`](Self::close_after): 100 rejected messages.
    pub const DEFAULT_CLOSE_AFTER: u32 = 100;

    /// `messages` a second on average, with a burst of as many (at least 1), and the default
    /// [`close_after`](Self::close_after).
    pub fn per_second(messages: u32) -> Self {
        Self {
            per_second: f64::from(messages),
            burst: messages.max(1),
            close_after: Self::DEFAULT_CLOSE_AFTER,
        }
    }

    /// How many messages may arrive at once, after a pause (at least 1).
    pub fn burst(mut self, messages: u32) -> Self {
        self.burst = messages.max(1);
        self
    }

    /// How many `rate_limited` errors a connection gets before it is closed with close code
    /// 1008, counted from the last time its bucket was full. `0` never closes.
    pub fn close_after(mut self, rejected: u32) -> Self {
        self.close_after = rejected;
        self
    }
}

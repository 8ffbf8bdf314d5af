//! Buffers, limits and policies of an endpoint.

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

    pub(crate) fn apply<F>(&self, ws: WebSocketUpgrade<F>) -> WebSocketUpgrade<F> {
        ws.read_buffer_size(self.read_buffer_size)
            .write_buffer_size(self.write_buffer_size)
            .max_message_size(self.max_message_size)
            .max_frame_size(self.max_frame_size)
    }
}

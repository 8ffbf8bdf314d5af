//! The client's buffers, limits and timeouts.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Buffers, limits and timeouts of a [`Connection`](super::Connection).
///
/// | setting | default | why |
/// |---|---|---|
/// | [`request_timeout`](Self::request_timeout) | 30 s | how long a request waits for room in the send queue and for its reply |
/// | [`connect_timeout`](Self::connect_timeout) | 30 s | how long the TCP connect and the WebSocket handshake may take |
/// | [`check_outgoing`](Self::check_outgoing) | on | check every message against its schema before it is sent, as the server would |
/// | [`read_buffer_size`](Self::read_buffer_size) | 4 KiB | tungstenite zero-fills its whole read buffer before every read; its 128 KiB default costs about 40% of throughput |
/// | [`write_buffer_size`](Self::write_buffer_size) | 8 KiB | a burst of queued messages is coalesced into writes of about this size; the client flushes once per burst anyway |
/// | [`max_message_size`](Self::max_message_size) | 16 MiB | a larger message from the server ends the connection |
/// | [`max_frame_size`](Self::max_frame_size) | 16 MiB | the same for a single frame |
/// | [`send_queue`](Self::send_queue) | 1024 messages | how many messages may wait for the socket; sending waits when it is full |
/// | [`event_queue`](Self::event_queue) | 1024 messages | how many messages that are not replies may wait to be read from [`Events`](super::Events); reading the socket waits when it is full |
/// | [`close_timeout`](Self::close_timeout) | 5 s | how long a closing handshake may take |
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) check_outgoing: bool,
    pub(crate) read_buffer_size: usize,
    pub(crate) write_buffer_size: usize,
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) send_queue: usize,
    pub(crate) event_queue: usize,
    pub(crate) close_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            check_outgoing: true,
            read_buffer_size: Self::DEFAULT_READ_BUFFER_SIZE,
            write_buffer_size: Self::DEFAULT_WRITE_BUFFER_SIZE,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            send_queue: Self::DEFAULT_QUEUE,
            event_queue: Self::DEFAULT_QUEUE,
            close_timeout: Self::DEFAULT_CLOSE_TIMEOUT,
        }
    }
}

impl Settings {
    /// Default [`request_timeout`](Self::request_timeout): 30 seconds.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`connect_timeout`](Self::connect_timeout): 30 seconds.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default [`read_buffer_size`](Self::read_buffer_size): 4 KiB.
    pub const DEFAULT_READ_BUFFER_SIZE: usize = 4 * 1024;
    /// Default [`write_buffer_size`](Self::write_buffer_size): 8 KiB.
    pub const DEFAULT_WRITE_BUFFER_SIZE: usize = 8 * 1024;
    /// Default [`max_message_size`](Self::max_message_size): 16 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;
    /// Default [`max_frame_size`](Self::max_frame_size): 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
    /// Default [`send_queue`](Self::send_queue) and [`event_queue`](Self::event_queue): 1024
    /// messages.
    pub const DEFAULT_QUEUE: usize = 1024;
    /// Default [`close_timeout`](Self::close_timeout): 5 seconds.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

    /// The defaults (see the table on [`Settings`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a request waits for its reply before it fails with
    /// [`ClientError::Timeout`](super::ClientError::Timeout). Default 30 s.
    ///
    /// For one request, wrap it in `tokio::time::timeout` instead: a request that is dropped
    /// stops waiting, and its reply (if it still comes) goes to [`Events`](super::Events).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long connecting (TCP and the WebSocket handshake) may take. Default 30 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether every outgoing message is checked against its schema before it is sent.
    /// Default on.
    ///
    /// The check is the server's own decoding, run on the exact text that would be sent: a
    /// message that breaks its schema fails with
    /// [`ClientError::Invalid`](super::ClientError::Invalid), carrying the error object the
    /// server would have sent back, and never leaves the client. Turn it off only to send
    /// invalid messages on purpose (to test a server).
    pub fn check_outgoing(mut self, check: bool) -> Self {
        self.check_outgoing = check;
        self
    }

    /// Size of the buffer tungstenite reads the socket into. Default 4 KiB.
    ///
    /// Keep it small: tungstenite zero-fills the whole buffer before every read, so its own
    /// 128 KiB default costs about 40% of throughput. Larger messages are still read, in
    /// several reads.
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes;
        self
    }

    /// How many bytes of outgoing frames tungstenite collects before it writes them to the
    /// socket. Default 8 KiB. The client flushes after each burst of queued messages anyway.
    pub fn write_buffer_size(mut self, bytes: usize) -> Self {
        self.write_buffer_size = bytes;
        self
    }

    /// The largest message the server may send, in bytes. Default 16 MiB. A larger one ends
    /// the connection.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest single frame the server may send, in bytes. Default 16 MiB.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// How many outgoing messages may wait to be written. Default 1024. When the queue is full,
    /// sending waits (the socket is the bottleneck). At least 1.
    pub fn send_queue(mut self, messages: usize) -> Self {
        self.send_queue = messages.max(1);
        self
    }

    /// How many messages that are not replies may wait to be read from
    /// [`Events`](super::Events). Default 1024. When it is full, the client stops reading the
    /// socket until there is room, so a program that never reads its events stalls its replies
    /// too: read them, or drop the `Events` to discard them. At least 1.
    pub fn event_queue(mut self, messages: usize) -> Self {
        self.event_queue = messages.max(1);
        self
    }

    /// How long closing may take: writing the close frame and waiting for the server's.
    /// Default 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    pub(crate) fn websocket_config(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_size)
            .write_buffer_size(self.write_buffer_size)
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size))
    }
}

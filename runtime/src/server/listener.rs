//! The handshake timeout: a listener for `axum::serve` whose connections must send a complete
//! HTTP request head within a deadline, and [`serve`], which uses it.
//!
//! An endpoint sees a request only once its head has arrived, so a client that connects and then
//! sends nothing (or one byte a minute: "slowloris") holds a socket and a task that no endpoint
//! setting can reach, and axum's `serve` sets no timeout of its own. [`HandshakeListener`] wraps
//! each accepted stream: until the request head has been read (the blank line that ends it), a
//! read past the deadline fails, and hyper drops the connection. Once the response is a
//! `101 Switching Protocols`, the stream is a WebSocket and is never timed again. After any
//! other response (a web page, a refused upgrade), the next request head has the same deadline,
//! so an idle keep-alive connection is dropped too.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::connect_info::{Connected, IntoMakeServiceWithConnectInfo};
use axum::middleware::AddExtension;
use axum::serve::{IncomingStream, Listener, Serve, WithGracefulShutdown};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

use super::Shutdown;

/// Default [`HandshakeListener::handshake_timeout`]: 10 seconds.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener for `axum::serve` whose connections must send their HTTP request head within the
/// handshake timeout.
///
/// An endpoint sees a request only once its head has arrived, so a client that connects and then
/// sends nothing (or one byte a minute: "slowloris") holds a socket and a task that no endpoint
/// setting can reach, and axum's `serve` sets no timeout of its own. This listener wraps each
/// accepted stream: until the request head has been read (the blank line that ends it), a read
/// past the deadline fails, and hyper drops the connection. Once the response is a
/// `101 Switching Protocols` (also after a head with bare `\n` line ends, or an upgrade pipelined
/// behind another request), the stream is a WebSocket and is never timed again. After any other
/// response (a web page, a refused upgrade), the next request head has the same deadline, so an
/// idle keep-alive connection is dropped too. Each drop is counted ([`timed_out`](Self::timed_out))
/// and logged.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// use std::net::SocketAddr;
/// use std::time::Duration;
/// use socketsundso::{HandshakeListener, PeerAddr};
///
/// let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let listener = HandshakeListener::new(tcp).handshake_timeout(Duration::from_secs(5));
/// axum::serve(listener, app.into_make_service_with_connect_info::<PeerAddr>()).await
/// # }
/// ```
pub struct HandshakeListener<L = TcpListener> {
    inner: L,
    timeout: Duration,
    timed_out: Arc<AtomicU64>,
    shutdown: Option<Shutdown>,
}

impl<L> fmt::Debug for HandshakeListener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeListener")
            .field("timeout", &self.timeout)
            .field("timed_out", &self.timed_out.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<L: Listener> HandshakeListener<L> {
    /// Wraps `inner`, with the default handshake timeout (10 s).
    pub fn new(inner: L) -> Self {
        Self {
            inner,
            timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            timed_out: Arc::default(),
            shutdown: None,
        }
    }

    /// Ends the connections that are still sending their request head when `shutdown` is
    /// triggered (instead of at the handshake timeout), so that axum's graceful shutdown does
    /// not wait for them. [`serve_with_shutdown`] sets it.
    pub fn graceful_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// How long a connection may take to send its request head, from its accept or from the
    /// end of the previous response on it. Default 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A counter of the connections dropped by the handshake timeout so far (shared with the
    /// listener, so it can be read after the listener moved into `axum::serve`).
    pub fn timed_out(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.timed_out)
    }
}

impl<L: Listener> Listener for HandshakeListener<L> {
    type Io = HandshakeIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        let mut io = HandshakeIo::new(io, self.timeout, Arc::clone(&self.timed_out));
        if let Some(shutdown) = &self.shutdown {
            io.stop = Some(Box::pin(shutdown.triggered()));
        }
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client's address, as axum's connect info: what [`serve`] installs, and what
/// [`HandshakeListener`] offers to `into_make_service_with_connect_info::<PeerAddr>()`.
/// Endpoints read it (or axum's `ConnectInfo<SocketAddr>`) for
/// [`max_connections_per_ip`](crate::Settings::max_connections_per_ip) and for
/// [`UpgradeRequest::peer_addr`](crate::UpgradeRequest::peer_addr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

impl<L> Connected<IncomingStream<'_, HandshakeListener<L>>> for PeerAddr
where
    L: Listener<Addr = SocketAddr>,
{
    fn connect_info(stream: IncomingStream<'_, HandshakeListener<L>>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// What [`serve`] returns: axum's `Serve` (await it, or call `with_graceful_shutdown` first).
pub type Served = Serve<
    HandshakeListener<TcpListener>,
    IntoMakeServiceWithConnectInfo<Router, PeerAddr>,
    AddExtension<Router, ConnectInfo<PeerAddr>>,
>;

/// `axum::serve` with the handshake timeout (10 s, see [`HandshakeListener`]) and the client's
/// address known to every endpoint ([`PeerAddr`]).
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// socketsundso::serve(listener, app).await
/// # }
/// ```
pub fn serve(listener: TcpListener, app: Router) -> Served {
    axum::serve(
        HandshakeListener::new(listener),
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
}

/// [`serve`] with a graceful [`Shutdown`]: when it is triggered, the server stops accepting,
/// connections still sending their request head are dropped, an authentication hook in flight
/// is ended (HTTP 503), and the future returns once the HTTP requests in flight are answered
/// (upgraded WebSockets are then the shutdown's: call [`Shutdown::wait`] next). Give the
/// endpoints the same `Shutdown` ([`Endpoint::graceful_shutdown`](crate::Endpoint::graceful_shutdown)).
///
/// ```no_run
/// # async fn run(app: axum::Router, shutdown: socketsundso::Shutdown) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// // Something (a signal handler) calls shutdown.trigger() ...
/// socketsundso::serve_with_shutdown(listener, app, &shutdown).await?;
/// // ... then the WebSocket connections get 10 s to close.
/// let report = shutdown.wait(std::time::Duration::from_secs(10)).await;
/// # Ok(()) }
/// ```
#[allow(
    clippy::type_complexity,
    reason = "axum's type, spelled out so that callers can name it as they name `Served`"
)]
pub fn serve_with_shutdown(
    listener: TcpListener,
    app: Router,
    shutdown: &Shutdown,
) -> WithGracefulShutdown<
    HandshakeListener<TcpListener>,
    IntoMakeServiceWithConnectInfo<Router, PeerAddr>,
    AddExtension<Router, ConnectInfo<PeerAddr>>,
    impl Future<Output = ()> + Send + 'static,
> {
    axum::serve(
        HandshakeListener::new(listener).graceful_shutdown(shutdown.clone()),
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(shutdown.triggered())
}

/// Where a connection is in its HTTP exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request head. `started`: a byte other than `\r` or `\n` has come (hyper skips
    /// blank lines before a request line, so they end nothing); `matched` says how much of the
    /// blank line that ends the head has been seen (0: none, 1: a line end, 2: a line end and a
    /// `\r`). Lines may end with `\r\n` or a bare `\n`, as hyper accepts both.
    Head { started: bool, matched: u8 },
    /// The head is in; `matched` bytes of the response's `HTTP/1.1 101` have been written.
    Response { matched: u8 },
    /// Upgraded: no more timing.
    Open,
}

const SWITCHING: &[u8] = b"HTTP/1.1 101";

/// The start of a request head.
const HEAD: Phase = Phase::Head {
    started: false,
    matched: 0,
};

/// An accepted stream under the handshake timeout (see [`HandshakeListener`]).
pub struct HandshakeIo<T> {
    io: T,
    phase: Phase,
    /// The deadline of the request head being read; dropped once the stream is upgraded.
    deadline: Option<Pin<Box<Sleep>>>,
    timeout: Duration,
    timed_out: Arc<AtomicU64>,
    /// Resolves when the server shuts down (see [`HandshakeListener::graceful_shutdown`]);
    /// dropped once the stream is upgraded.
    stop: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<T> fmt::Debug for HandshakeIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeIo")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl<T> HandshakeIo<T> {
    fn new(io: T, timeout: Duration, timed_out: Arc<AtomicU64>) -> Self {
        Self {
            io,
            phase: HEAD,
            deadline: Some(Box::pin(tokio::time::sleep(timeout))),
            timeout,
            timed_out,
            stop: None,
        }
    }

    /// Bytes read: look for the end of the request head (a blank line, after `\r\n` or `\n`
    /// line ends; blank lines before the request line are skipped, as hyper skips them).
    fn read(&mut self, bytes: &[u8]) {
        let Phase::Head {
            mut started,
            mut matched,
        } = self.phase
        else {
            return;
        };
        for &b in bytes {
            if !started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                started = true;
            }
            matched = match (matched, b) {
                (1 | 2, b'\n') => {
                    self.phase = Phase::Response { matched: 0 };
                    return;
                }
                (_, b'\n') => 1,
                (1, b'\r') => 2,
                _ => 0,
            };
        }
        self.phase = Phase::Head { started, matched };
    }

    /// The next request head's time starts now.
    fn restart(&mut self) {
        if let Some(deadline) = &mut self.deadline {
            deadline.as_mut().reset(Instant::now() + self.timeout);
        }
    }

    /// Bytes written: a `101` response ends the timing, any other one starts the next head's
    /// (from its last byte, so a long response is never cut).
    fn wrote(&mut self, bytes: &[u8]) {
        let matched = match self.phase {
            Phase::Response { matched } => matched,
            // A write that starts with a whole `HTTP/1.1 101` while a head is being read: the
            // response to a request whose head end was not seen here (pipelined behind another
            // request, whose head end was). A WebSocket must never be timed.
            Phase::Head { .. } if bytes.starts_with(SWITCHING) => {
                self.open();
                return;
            }
            // Still writing the previous response: the next head's time starts at its end. What
            // has been read of the next head so far stays counted.
            Phase::Head { .. } => {
                self.restart();
                return;
            }
            Phase::Open => return,
        };
        let mut matched = matched;
        for &b in bytes {
            if b != SWITCHING[usize::from(matched)] {
                self.phase = HEAD;
                self.restart();
                return;
            }
            matched += 1;
            if usize::from(matched) == SWITCHING.len() {
                self.open();
                return;
            }
        }
        self.phase = Phase::Response { matched };
    }

    /// Upgraded: no more timing, and a shutdown no longer drops the stream here.
    fn open(&mut self) {
        self.phase = Phase::Open;
        self.deadline = None;
        self.stop = None;
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HandshakeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let (Phase::Head { .. }, Some(deadline)) = (this.phase, &mut this.deadline)
            && deadline.as_mut().poll(cx).is_ready()
        {
            let total = this.timed_out.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::info!(timeout = ?this.timeout, total, "handshake timed out: connection dropped");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete request head within the handshake timeout",
            )));
        }
        if let (Phase::Head { .. }, Some(stop)) = (this.phase, &mut this.stop)
            && stop.as_mut().poll(cx).is_ready()
        {
            tracing::debug!(
                "server shutting down: a connection still sending its request head is dropped"
            );
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server is shutting down",
            )));
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result
            && this.phase != Phase::Open
        {
            this.read(&buf.filled()[before..]);
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HandshakeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result
            && this.phase != Phase::Open
        {
            this.wrote(&buf[..n]);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(mut n)) = result
            && this.phase != Phase::Open
        {
            for buf in bufs {
                if n == 0 {
                    break;
                }
                let take = n.min(buf.len());
                this.wrote(&buf[..take]);
                n -= take;
            }
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io() -> HandshakeIo<()> {
        HandshakeIo {
            io: (),
            phase: HEAD,
            deadline: None,
            timeout: Duration::from_secs(1),
            timed_out: Arc::default(),
            stop: None,
        }
    }

    #[test]
    fn the_head_ends_at_a_blank_line_in_any_split() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 0..head.len() {
            let mut io = io();
            io.read(&head[..split]);
            assert!(matches!(io.phase, Phase::Head { .. }), "split at {split}");
            io.read(&head[split..]);
            assert_eq!(io.phase, Phase::Response { matched: 0 }, "split at {split}");
        }
        let mut io = io();
        io.read(b"GET / HTTP/1.1\r\n\r\r\n");
        assert!(matches!(io.phase, Phase::Head { .. }));
        io.read(b"\r\n");
        assert_eq!(io.phase, Phase::Response { matched: 0 });
    }

    #[test]
    fn bare_line_feeds_end_a_head_too() {
        for head in [
            &b"GET / HTTP/1.1\nHost: x\n\n"[..],
            b"GET / HTTP/1.1\r\nHost: x\r\n\n",
            b"GET / HTTP/1.1\nHost: x\n\r\n",
        ] {
            for split in 0..head.len() {
                let mut io = io();
                io.read(&head[..split]);
                assert!(matches!(io.phase, Phase::Head { .. }), "split at {split}");
                io.read(&head[split..]);
                assert_eq!(io.phase, Phase::Response { matched: 0 }, "split at {split}");
            }
        }
    }

    #[test]
    fn a_101_after_another_response_opens_too() {
        // Two pipelined requests: one head end seen, a 404, then the 101 of the second.
        let mut io = io();
        io.read(b"GET /nothing HTTP/1.1\r\n\r\nGET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        io.wrote(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(io.phase, HEAD);
        io.wrote(b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
        assert_eq!(io.phase, Phase::Open);
        // A body chunk after a response is still a response's end.
        let mut io = self::io();
        io.phase = Phase::Response { matched: 0 };
        io.wrote(b"HTTP/1.1 200 OK\r\n\r\n");
        io.wrote(b"Hello");
        assert_eq!(io.phase, HEAD);
    }

    #[test]
    fn a_101_opens_and_any_other_response_waits_for_the_next_head() {
        let mut io = io();
        io.phase = Phase::Response { matched: 0 };
        io.wrote(b"HTTP/1.1 10");
        io.wrote(b"1 Switching Protocols\r\n");
        assert_eq!(io.phase, Phase::Open);
        let mut io = self::io();
        io.phase = Phase::Response { matched: 0 };
        io.wrote(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(io.phase, HEAD);
    }

    #[test]
    fn blank_lines_before_the_request_line_end_nothing() {
        for blank in [&b"\r\n\r\n"[..], b"\n\n", b"\n\r\n", b"\r\n\n\r\n\r"] {
            let mut io = io();
            io.read(blank);
            assert_eq!(io.phase, HEAD, "{blank:?}");
            io.read(b"GET / HTTP/1.1\r\nHost: x\r\n");
            assert!(matches!(io.phase, Phase::Head { started: true, .. }));
            io.read(b"\r\n");
            assert_eq!(io.phase, Phase::Response { matched: 0 }, "{blank:?}");
        }
    }

    #[test]
    fn a_body_chunk_while_the_next_head_comes_neither_opens_nor_forgets_the_head() {
        // The 200's body goes out in pieces while the next request's head is half read.
        let mut io = io();
        io.read(b"GET /a HTTP/1.1\r\n\r\n");
        io.wrote(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        assert_eq!(io.phase, HEAD);
        io.read(b"GET /b HTTP/1.1\r\n");
        io.wrote(b"HTTP/1.1 10");
        io.wrote(b"1 is how this body starts");
        assert!(matches!(
            io.phase,
            Phase::Head {
                started: true,
                matched: 1
            }
        ));
        io.wrote(b"Hello");
        io.read(b"\r\n");
        assert_eq!(io.phase, Phase::Response { matched: 0 });
    }
}

//! Graceful shutdown: stop taking connections, let the handlers in flight finish and their
//! replies reach the client, close every connection with 1001, all within a deadline.
//!
//! A [`Shutdown`] is shared by the endpoints that use it ([`Endpoint::graceful_shutdown`]).
//! Each connection registers its outbox in it. [`Shutdown::trigger`] queues a close request
//! (1001, `server shutting down`) in every outbox: the connection's own task writes what was
//! queued before it and the reply of the handler that is running, then closes, as it does for
//! [`Context::close`](crate::Context::close). A connection that upgrades afterwards gets the
//! same request at once, and the endpoint refuses new upgrades with HTTP 503.
//!
//! [`Shutdown::wait`] waits until every connection has ended. At the deadline the rest are
//! forced: a handler still running is dropped, the close frame is sent without waiting for the
//! answer, and the socket is dropped. `on_disconnect` runs for every connection either way.
//!
//! [`Endpoint::graceful_shutdown`]: crate::Endpoint::graceful_shutdown

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::rooms::ConnectionId;
use crate::rooms::outbox::Outbox;

/// The close code every connection gets when the server shuts down: 1001, going away.
pub(crate) const CLOSE_GOING_AWAY: u16 = 1001;
/// Its reason.
const REASON: &str = "server shutting down";
/// How long [`Shutdown::wait`] waits for forced connections to end after the deadline.
const FORCE_GRACE: Duration = Duration::from_secs(1);

/// A graceful shutdown, shared by the endpoints that use it
/// ([`Endpoint::graceful_shutdown`](crate::Endpoint::graceful_shutdown)).
///
/// Each connection registers in it. [`Shutdown::trigger`] queues a close request (1001,
/// `server shutting down`) in every connection's outbox: the connection's own task writes what
/// was queued before it and the reply of the handler that is running, then closes, as it does for
/// [`Context::close`](crate::Context::close). A connection that upgrades afterwards gets the same
/// request at once, and the endpoint refuses new upgrades with HTTP 503.
///
/// [`Shutdown::wait`] waits until every connection has ended. At the deadline the rest are
/// forced: a handler still running is dropped, the close frame is sent without waiting for the
/// answer, and the socket is dropped. `on_disconnect` runs for every connection either way.
///
/// [`serve_with_shutdown`](crate::serve_with_shutdown) wires a `Shutdown` to the server and also
/// drops the connections still sending a request head when it is triggered; with plain
/// `serve(..).with_graceful_shutdown(..)`, as below, axum waits for those until the handshake
/// timeout (10 s).
///
/// ```no_run
/// # async fn run(
/// #     app: axum::Router,
/// #     shutdown: socketsundso::Shutdown,
/// #     ctrl_c: impl std::future::Future<Output = ()> + Send + 'static,
/// # ) -> std::io::Result<()> {
/// use std::time::Duration;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// // Stop accepting when the signal comes (Ctrl-C, say: tokio::signal::ctrl_c) ...
/// let signal = shutdown.clone();
/// socketsundso::serve(listener, app)
///     .with_graceful_shutdown(async move {
///         ctrl_c.await;
///         signal.trigger();
///     })
///     .await?;
/// // ... then let the WebSocket connections finish, 10 s at most.
/// let report = shutdown.wait(Duration::from_secs(10)).await;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    triggered: AtomicBool,
    /// How many connections were open when it was triggered.
    at_trigger: AtomicUsize,
    forced: AtomicBool,
    /// The live connections' outboxes.
    live: Mutex<HashMap<ConnectionId, Arc<Outbox>>>,
    /// Notified when the last live connection ends.
    idle: Notify,
    /// Notified (to every waiter) on the trigger.
    trigger: Notify,
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .field("connections", &self.connections())
            .finish()
    }
}

/// What [`Shutdown::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Connections that were open when the shutdown was triggered.
    pub connections: usize,
    /// Those still open at the deadline: their handlers were dropped and their sockets closed
    /// without waiting for the client's close frame.
    pub forced: usize,
    /// Those that had still not ended 1 s after the deadline (an
    /// `on_disconnect` that does not return, for example).
    pub abandoned: usize,
    /// How long the shutdown took.
    pub elapsed: Duration,
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} connection(s) closed in {:.1?}",
            self.connections, self.elapsed
        )?;
        if self.forced > 0 {
            write!(f, ", {} forced at the deadline", self.forced)?;
        }
        if self.abandoned > 0 {
            write!(f, ", {} still ending", self.abandoned)?;
        }
        Ok(())
    }
}

impl Shutdown {
    /// A shutdown that has not begun.
    pub fn new() -> Self {
        Self::default()
    }

    fn live(&self) -> MutexGuard<'_, HashMap<ConnectionId, Arc<Outbox>>> {
        self.inner.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Begins the shutdown: new upgrades are refused with HTTP 503, and every connection closes
    /// with 1001 after the reply of the handler it is running. Returns at once; calling it again
    /// does nothing.
    pub fn trigger(&self) {
        if self.inner.triggered.swap(true, Ordering::SeqCst) {
            return;
        }
        self.inner.trigger.notify_waiters();
        let live: Vec<Arc<Outbox>> = self.live().values().cloned().collect();
        self.inner.at_trigger.store(live.len(), Ordering::SeqCst);
        tracing::info!(connections = live.len(), "shutting down");
        for outbox in live {
            outbox.push_close(CLOSE_GOING_AWAY, REASON.to_owned());
        }
    }

    /// Whether [`Shutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::SeqCst)
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.live().len()
    }

    /// Triggers the shutdown (if that has not happened) and waits until every connection has
    /// ended, for at most `deadline`. Connections still open then are forced (see [`Shutdown`]);
    /// this waits up to 1 s more for them.
    pub async fn wait(&self, deadline: Duration) -> ShutdownReport {
        let started = Instant::now();
        self.trigger();
        let connections = self.inner.at_trigger.load(Ordering::SeqCst);
        let until = tokio::time::Instant::now() + deadline;
        let forced = if tokio::time::timeout_at(until, self.all_ended())
            .await
            .is_ok()
        {
            0
        } else {
            self.inner.forced.store(true, Ordering::SeqCst);
            // Each connection's task looks at `forced` when its outbox wakes it.
            let live: Vec<Arc<Outbox>> = self.live().values().cloned().collect();
            for outbox in &live {
                outbox.wake_writer();
            }
            let forced = live.len();
            tracing::warn!(
                forced,
                ?deadline,
                "shutdown deadline passed: dropping the connections still open"
            );
            forced
        };
        let abandoned = if forced > 0
            && tokio::time::timeout(FORCE_GRACE, self.all_ended())
                .await
                .is_err()
        {
            self.connections()
        } else {
            0
        };
        let report = ShutdownReport {
            connections,
            forced,
            abandoned,
            elapsed: started.elapsed(),
        };
        tracing::info!(%report, "shut down");
        report
    }

    /// Resolves once [`Shutdown::trigger`] has been called: hand it to axum's
    /// `with_graceful_shutdown` when something else triggers the shutdown.
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = Arc::clone(&self.inner);
        async move {
            let triggered = inner.trigger.notified();
            tokio::pin!(triggered);
            triggered.as_mut().enable();
            if !inner.triggered.load(Ordering::SeqCst) {
                triggered.await;
            }
        }
    }

    async fn all_ended(&self) {
        loop {
            let ended = self.inner.idle.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.live().is_empty() {
                return;
            }
            ended.await;
        }
    }

    /// Registers a connection until the returned guard drops. A connection that registers
    /// after the trigger gets its close request at once.
    pub(crate) fn register(&self, outbox: &Arc<Outbox>) -> Registered {
        self.live().insert(outbox.id(), Arc::clone(outbox));
        if self.is_triggered() {
            outbox.push_close(CLOSE_GOING_AWAY, REASON.to_owned());
        }
        Registered {
            shutdown: self.clone(),
            id: outbox.id(),
        }
    }

    /// Whether the deadline has forced the connections still open.
    pub(crate) fn is_forced(&self) -> bool {
        self.inner.forced.load(Ordering::SeqCst)
    }
}

/// A live connection in a [`Shutdown`]; leaves it when dropped.
pub(crate) struct Registered {
    shutdown: Shutdown,
    id: ConnectionId,
}

impl Registered {
    pub(crate) fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let empty = {
            let mut live = self.shutdown.live();
            live.remove(&self.id);
            // A map that held many connections gives its table back as they go, so that a
            // large table allocated late does not pin the memory below it.
            if live.capacity() > 64 && live.len() < live.capacity() / 4 {
                let keep = live.len() * 2;
                live.shrink_to(keep);
            }
            live.is_empty()
        };
        if empty {
            self.shutdown.inner.idle.notify_waiters();
        }
    }
}

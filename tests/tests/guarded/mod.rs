//! The API of the tests of limits, authentication, shutdown and bad input: the generated
//! `semantics` API (`fixtures/semantics.yaml`, mounted at `/ws/{user}`), served by
//! `socketsundso::serve` on 127.0.0.1 (a free port), so that the handshake timeout and the
//! client's address are in place as a user would have them.
//!
//! Its handlers: `echo` says the text back, after `sleep:<ms>` sleeps that long first (async);
//! `whoami` tells the identity the authentication hook gave (or the route's user); `sleep` blocks
//! its thread; `fail` and `panic` do what they say. Every `on_connect`, `on_disconnect` and
//! finished handler is counted.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use socketsundso::{Endpoint, HandlerError, Reject, Shutdown};
use socketsundso_tests::semantics::{
    Context, Echo, Echoed, Fail, Handler, Identity, Measure, Measured, Panic, Server, Sleep, Slept,
    Whoami,
};

/// The route.
pub const ROUTE: &str = "/ws/{user}";

/// What the handlers count.
#[derive(Debug, Default)]
pub struct Counts {
    pub connects: AtomicUsize,
    pub disconnects: AtomicUsize,
    /// Echo handlers that ran to their end (a stopped one does not count).
    pub echoes_finished: AtomicUsize,
}

impl Counts {
    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }
    pub fn disconnects(&self) -> usize {
        self.disconnects.load(Ordering::SeqCst)
    }
    pub fn echoes_finished(&self) -> usize {
        self.echoes_finished.load(Ordering::SeqCst)
    }
}

/// Who the authentication hook says a connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User(pub String);

pub struct Api {
    pub counts: Arc<Counts>,
}

impl Handler for Api {
    async fn on_connect(&self, _ctx: &Context) -> Result<(), Reject> {
        self.counts.connects.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn on_disconnect(&self, _ctx: &Context) {
        self.counts.disconnects.fetch_add(1, Ordering::SeqCst);
    }

    async fn on_echo(&self, _ctx: &Context, message: Echo) -> Result<Echoed, HandlerError> {
        let text = message.text.to_string();
        if let Some(ms) = text.strip_prefix("sleep:").and_then(|ms| ms.parse().ok()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        self.counts.echoes_finished.fetch_add(1, Ordering::SeqCst);
        Ok(Echoed { text })
    }

    async fn on_fail(&self, _ctx: &Context, _message: Fail) -> Result<Echoed, HandlerError> {
        Err(HandlerError::new("failed on purpose"))
    }

    async fn on_panic(&self, _ctx: &Context, _message: Panic) -> Result<Echoed, HandlerError> {
        panic!("the panic handler panics on purpose")
    }

    fn on_sleep(&self, _ctx: &Context, message: Sleep) -> Result<Slept, HandlerError> {
        let millis = u64::try_from(message.millis).unwrap_or(0);
        std::thread::sleep(Duration::from_millis(millis));
        Ok(Slept { millis })
    }

    async fn on_whoami(&self, ctx: &Context, _message: Whoami) -> Result<Identity, HandlerError> {
        let user = match ctx.identity::<User>() {
            Some(User(name)) => name.clone(),
            None => format!("(anonymous {})", ctx.param("user").unwrap_or_default()),
        };
        Ok(Identity {
            user,
            calls: NonZeroU64::MIN,
            app: "guarded".to_owned(),
        })
    }

    async fn on_measure(&self, _ctx: &Context, message: Measure) -> Result<Measured, HandlerError> {
        Ok(Measured {
            value: message.value.min(10),
        })
    }
}

/// A running server: its address, its endpoint (for `stats()` and the shutdown), its counts.
pub struct Running {
    pub addr: SocketAddr,
    pub endpoint: Endpoint<Server<Api>>,
    pub counts: Arc<Counts>,
    /// Ends when `socketsundso::serve` returns (after a graceful shutdown).
    pub served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn shutdown(&self) -> Shutdown {
        self.endpoint.shutdown_handle()
    }
}

/// Serves the API with the endpoint `configure` returns (from the default one), through
/// `socketsundso::serve`, whose graceful shutdown follows the endpoint's [`Shutdown`].
pub async fn start(
    configure: impl FnOnce(Endpoint<Server<Api>>) -> Endpoint<Server<Api>>,
) -> Running {
    let counts = Arc::new(Counts::default());
    let endpoint = configure(
        Server::new(Api {
            counts: Arc::clone(&counts),
        })
        .endpoint(),
    );
    let app = axum::Router::new().route(ROUTE, endpoint.clone().into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let stop = endpoint.shutdown_handle().triggered();
    let served = tokio::spawn(async move {
        socketsundso::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
    });
    Running {
        addr,
        endpoint,
        counts,
        served,
    }
}

/// Waits until `cond` holds (state that other tasks change), for at most 5 s.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

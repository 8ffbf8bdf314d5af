//! The server side: the axum endpoint that upgrades a request ([`Endpoint`]), its
//! [`Settings`] and limits, the per-connection loop ([`serve_connection`]), graceful
//! [`Shutdown`], and the listener with the handshake timeout ([`serve`], [`HandshakeListener`]).

mod connection;
mod endpoint;
mod limits;
mod listener;
mod settings;
mod shutdown;

pub use connection::serve_connection;
#[cfg(feature = "client")]
pub(crate) use connection::with_id;
pub use endpoint::{Endpoint, UpgradeRequest};
pub use limits::EndpointStats;
pub use listener::{
    DEFAULT_HANDSHAKE_TIMEOUT, HandshakeIo, HandshakeListener, PeerAddr, Served, serve,
    serve_with_shutdown,
};
pub use settings::{RateLimit, Settings};
pub use shutdown::{Shutdown, ShutdownReport};

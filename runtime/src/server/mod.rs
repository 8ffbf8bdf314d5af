//! The server side: the axum endpoint that upgrades a request ([`Endpoint`]), its
//! [`Settings`], and the per-connection loop ([`serve_connection`]).

mod connection;
mod endpoint;
mod settings;

pub use connection::serve_connection;
#[cfg(feature = "client")]
pub(crate) use connection::with_id;
pub use endpoint::Endpoint;
pub use settings::Settings;

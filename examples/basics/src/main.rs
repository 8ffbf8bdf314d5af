//! Runs the basics example server.
//!
//! Ctrl-C or SIGTERM shut it down gracefully: it stops accepting, lets the handlers in flight
//! finish, and closes every connection with 1001 (`server shutting down`) within 10 s.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use basics_example::{Basics, ROUTE, api};
use clap::Parser;
use socketsundso::Shutdown;

/// The basics example server of socketsundso.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

/// How long a shutdown waits for connections to close before it drops them.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let shutdown = Shutdown::new();
    let endpoint = api::Server::new(Basics)
        .endpoint()
        .graceful_shutdown(shutdown.clone());
    let app = axum::Router::new().route(ROUTE, endpoint.into_method_router());
    let signal = on_signal(shutdown.clone())?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!("basics example listening on ws://{address}{ROUTE}");
    // `serve` adds the handshake timeout; the server stops accepting on the signal ...
    socketsundso::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await?;
    // ... and the connections get until the deadline to finish.
    let report = shutdown.wait(SHUTDOWN_TIMEOUT).await;
    tracing::info!("basics example stopped: {report}");
    Ok(())
}

/// A future that resolves on Ctrl-C or SIGTERM, after it began the shutdown. The signal
/// handlers are installed now, before the server says it listens, so that a signal that comes
/// early is not the default one that ends the process at once.
fn on_signal(shutdown: Shutdown) -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C: shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
            }
            shutdown.trigger();
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("Ctrl-C: shutting down");
                shutdown.trigger();
            } else {
                std::future::pending::<()>().await;
            }
        })
    }
}

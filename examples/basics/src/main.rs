//! Runs the basics example server.
//!
//! Ctrl-C or SIGTERM shut it down gracefully: it stops accepting, lets the handlers in flight
//! finish, and closes every connection with 1001 (`server shutting down`) within 10 s.

use std::future::IntoFuture as _;
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
    on_signal(shutdown.clone())?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!("basics example listening on ws://{address}{ROUTE}");
    // `serve_with_shutdown` adds the handshake timeout; the server stops accepting when the
    // shutdown is triggered, and the connections get until the deadline to finish.
    let report = serve_until_shut_down(listener, app, &shutdown, SHUTDOWN_TIMEOUT).await?;
    tracing::info!("basics example stopped: {report}");
    Ok(())
}

/// Serves until the shutdown is triggered; then gives the HTTP requests in flight and the
/// WebSocket connections until `deadline` (from the trigger) to finish.
async fn serve_until_shut_down(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: &Shutdown,
    deadline: Duration,
) -> std::io::Result<socketsundso::ShutdownReport> {
    let serving = socketsundso::serve_with_shutdown(listener, app, shutdown).into_future();
    tokio::pin!(serving);
    tokio::select! {
        served = &mut serving => {
            served?;
            return Ok(shutdown.wait(deadline).await);
        }
        () = shutdown.triggered() => {}
    }
    let started = std::time::Instant::now();
    match tokio::time::timeout(deadline, serving).await {
        Ok(served) => served?,
        Err(_) => tracing::warn!("HTTP requests still in flight at the deadline: dropped"),
    }
    Ok(shutdown
        .wait(deadline.saturating_sub(started.elapsed()))
        .await)
}

/// Begins the shutdown on Ctrl-C or SIGTERM; a second one ends the process at once (status
/// 130). The signal handlers are installed now, before the server says it listens, so that a
/// signal that comes early is not the default one that ends the process at once.
fn on_signal(shutdown: Shutdown) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C: shutting down (again to stop at once)"),
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down (again to stop at once)"),
            }
            shutdown.trigger();
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::warn!("second signal: stopping now");
            std::process::exit(130);
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("Ctrl-C: shutting down (again to stop at once)");
                shutdown.trigger();
                if tokio::signal::ctrl_c().await.is_ok() {
                    tracing::warn!("second Ctrl-C: stopping now");
                    std::process::exit(130);
                }
            }
        });
    }
    Ok(())
}

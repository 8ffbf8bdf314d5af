//! Runs the chat example server.
//!
//! Ctrl-C or SIGTERM shut it down gracefully: it stops accepting, lets the handlers in flight
//! finish, and closes every connection with 1001 (`server shutting down`) within
//! `--shutdown-timeout`.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::time::Duration;

use chat_example::Tokens;
use clap::Parser;
use socketsundso::rooms::redis::Redis;
use socketsundso::{Hub, Shutdown};

/// The chat example server of socketsundso.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Share rooms with the other servers on this Redis (`redis://host:port`): this server
    /// becomes one node of several, and clients on any of them chat in the same rooms.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,

    /// Require a token: `SECRET=CLIENT_ID` lets whoever connects with `?token=SECRET` be that
    /// client, and nobody else. Repeat it for each client. Without any, anyone may connect as
    /// any client (the chat page sends no token).
    #[arg(long = "token", value_name = "SECRET=CLIENT_ID", value_parser = token)]
    tokens: Vec<(String, i64)>,

    /// How long a shutdown (Ctrl-C, SIGTERM) waits for connections to close before it drops
    /// them.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    shutdown_timeout: u64,
}

fn token(arg: &str) -> Result<(String, i64), String> {
    let (secret, id) = arg
        .split_once('=')
        .ok_or_else(|| format!("expected SECRET=CLIENT_ID, got {arg:?}"))?;
    let id = id
        .parse()
        .map_err(|_| format!("the client id in {arg:?} is not an integer"))?;
    if secret.is_empty() {
        return Err("the secret is empty".to_owned());
    }
    Ok((secret.to_owned(), id))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let hub = match &args.redis {
        Some(url) => {
            let redis = Redis::connect(url).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot use Redis at {url}: {e}"))
            })?;
            Hub::with_backend(redis)
        }
        None => Hub::new(),
    };
    let tokens: Tokens = args.tokens.iter().cloned().collect();
    let shutdown = Shutdown::new();
    let app = chat_example::app_with(hub.clone(), tokens, shutdown.clone());
    on_signal(shutdown.clone())?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    if let Some(url) = &args.redis {
        tracing::info!("node {} of the chat on {url}", hub.node());
    }
    if !args.tokens.is_empty() {
        tracing::info!(
            "{} client(s) may connect, each with its token",
            args.tokens.len()
        );
    }
    tracing::info!(
        "chat example listening on ws://{address}{}",
        chat_example::ROUTE
    );
    tracing::info!("chat page at http://{address}/");
    // `serve_with_shutdown` adds the handshake timeout and tells the endpoint each client's
    // address; it stops accepting when the shutdown is triggered.
    let deadline = Duration::from_secs(args.shutdown_timeout);
    let report = serve_until_shut_down(listener, app, &shutdown, deadline).await?;
    tracing::info!("chat example stopped: {report}");
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

//! Runs the chat example server.

use std::net::SocketAddr;

use clap::Parser;
use socketsundso::Hub;
use socketsundso::rooms::redis::Redis;

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
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    if let Some(url) = &args.redis {
        tracing::info!("node {} of the chat on {url}", hub.node());
    }
    tracing::info!(
        "chat example listening on ws://{address}{}",
        chat_example::ROUTE
    );
    tracing::info!("chat page at http://{address}/");
    axum::serve(listener, chat_example::app_with_hub(hub)).await
}

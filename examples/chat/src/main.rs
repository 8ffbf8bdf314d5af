//! Runs the chat example server.

use std::net::SocketAddr;

use clap::Parser;

/// The chat example server of socketsundso.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
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
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(
        "chat example listening on ws://{address}{}",
        chat_example::ROUTE
    );
    tracing::info!("chat page at http://{address}/");
    axum::serve(listener, chat_example::app()).await
}

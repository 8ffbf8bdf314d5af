//! `bench-server SERVER [--listen ADDR] [--redis URL]`: runs one benchmark server (`ours`,
//! `tokio-tungstenite` or `fastwebsockets`) and prints `listening ADDR` on stdout once it
//! accepts connections. The `bench` binary starts it pinned to a core with `taskset`.
//!
//! The runtime is tokio's multi-threaded one with as many workers as CPUs the process may use,
//! as `#[tokio::main]` would start it: one worker when pinned to one core.

use std::io::Write as _;
use std::net::SocketAddr;

use socketsundso_benches::servers::{self, Kind};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut kind = None;
    let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut redis = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                listen = args
                    .next()
                    .and_then(|a| a.parse().ok())
                    .unwrap_or_else(|| fail("--listen needs an address such as 127.0.0.1:0"));
            }
            "--redis" => redis = Some(args.next().unwrap_or_else(|| fail("--redis needs a URL"))),
            "-h" | "--help" => {
                println!(
                    "usage: bench-server ours|tokio-tungstenite|fastwebsockets [--listen ADDR] [--redis URL]"
                );
                return;
            }
            other => kind = Some(other.parse::<Kind>().unwrap_or_else(|e| fail(&e))),
        }
    }
    let kind =
        kind.unwrap_or_else(|| fail("which server? ours, tokio-tungstenite or fastwebsockets"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("listening {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        servers::serve(kind, listener, redis.as_deref()).await
    });
    if let Err(e) = result {
        fail(&format!("{kind}: {e}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("bench-server: {message}");
    std::process::exit(2);
}

//! Serves fixture APIs on real sockets for the JavaScript tests of the generated TypeScript
//! client: `fixture-servers --listen 127.0.0.1:0` prints `listening on ws://ADDR` and serves
//!
//! - `/ingest`: `fixtures/untagged.yaml`, messages without a tag in both directions.
//!
//! The handlers do what `tests/tests/untagged.rs` describes.

use std::net::SocketAddr;

use socketsundso::HandlerError;
use socketsundso_tests::untagged as ingest;

struct Ingest;

impl ingest::Handler for Ingest {
    async fn on_samples(
        &self,
        ctx: &ingest::Context,
        message: ingest::Samples,
    ) -> Result<ingest::Ack, HandlerError> {
        let last = message.last().copied().unwrap_or_default();
        let readings = ingest::Readings(vec![ingest::ReadingsItem {
            sensor: "t1".into(),
            value: last,
        }]);
        ctx.send(readings)
            .map_err(|e| HandlerError::new(e.to_string()))?;
        Ok(ingest::Ack(message.len() as u64))
    }

    async fn on_note(
        &self,
        ctx: &ingest::Context,
        message: ingest::Note,
    ) -> Result<(), HandlerError> {
        let alert = ingest::Alert {
            alert: format!("noted: {}", message.as_str()),
            level: ingest::AlertLevel::Info,
        };
        ctx.send(alert)
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_sequence(
        &self,
        ctx: &ingest::Context,
        message: ingest::Sequence,
    ) -> Result<(), HandlerError> {
        ctx.send(ingest::Ack(message.0))
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_login(
        &self,
        _ctx: &ingest::Context,
        message: ingest::Login,
    ) -> Result<ingest::Welcome, HandlerError> {
        Ok(ingest::Welcome {
            session: format!("s-for-{}", message.user.as_str()),
        })
    }

    async fn on_resume(
        &self,
        _ctx: &ingest::Context,
        message: ingest::Resume,
    ) -> Result<ingest::Welcome, HandlerError> {
        Ok(ingest::Welcome {
            session: message.session.to_string(),
        })
    }

    async fn on_subscribe(
        &self,
        ctx: &ingest::Context,
        message: ingest::Subscribe,
    ) -> Result<(), HandlerError> {
        let readings = message
            .sensors
            .iter()
            .map(|sensor| ingest::ReadingsItem {
                sensor: sensor.clone(),
                value: 0.5,
            })
            .collect();
        ctx.send(ingest::Readings(readings))
            .map_err(|e| HandlerError::new(e.to_string()))
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(addr)) => {
                listen = addr.parse().map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{addr}: {e}"))
                })?;
            }
            _ => {
                eprintln!("usage: fixture-servers [--listen ADDR]");
                std::process::exit(2);
            }
        }
    }
    tokio::runtime::Runtime::new()?.block_on(async move {
        let app = axum::Router::new().route("/ingest", ingest::Server::new(Ingest).into_route());
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "fixture servers listening on ws://{}",
            listener.local_addr()?
        );
        axum::serve(listener, app).await
    })
}

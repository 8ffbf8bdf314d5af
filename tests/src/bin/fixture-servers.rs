//! Serves fixture APIs on real sockets for the JavaScript tests of the generated TypeScript
//! client: `fixture-servers --listen 127.0.0.1:0` prints `listening on ws://ADDR` and serves
//!
//! - `/ingest`: `fixtures/untagged.yaml`, messages without a tag in both directions;
//! - `/feed`: `fixtures/untagged-only.yaml`, no message with a tag at all;
//! - `/v1/listen`: `asyncapi/socketsundso/speech.yaml`, binary frames both ways.
//!
//! The handlers do what `tests/tests/untagged.rs` and `tests/tests/speech.rs` describe (the
//! `/feed` one as the `only` module there).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use socketsundso::{Bytes, HandlerError};
use socketsundso_tests::conformance_socketsundso_speech_yaml as speech;
use socketsundso_tests::untagged as ingest;
use socketsundso_tests::untagged_only as feed;

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

/// Counts each connection's audio and reports it as an interim transcript; speaks in bytes.
struct Speech;

fn heard(ctx: &speech::Context) -> usize {
    ctx.state::<AtomicUsize>()
        .map_or(0, |n| n.load(Ordering::Relaxed))
}

impl speech::Handler for Speech {
    async fn on_connect(&self, ctx: &speech::Context) -> Result<(), socketsundso::Reject> {
        let _ = ctx.set_state(AtomicUsize::new(0));
        Ok(())
    }

    async fn on_audio(
        &self,
        ctx: &speech::Context,
        message: speech::Audio,
    ) -> Result<(), HandlerError> {
        if let Some(n) = ctx.state::<AtomicUsize>() {
            n.fetch_add(message.len(), Ordering::Relaxed);
        }
        let total = heard(ctx);
        let results = speech::Results {
            channel: speech::ResultsChannel {
                alternatives: vec![speech::ResultsChannelAlternativesItem {
                    transcript: format!("{total} bytes"),
                    confidence: 0.5,
                }],
            },
            duration: total as f64 / 32_000.0,
            is_final: false,
            start: 0.0,
        };
        ctx.send(results)
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_configure(
        &self,
        _ctx: &speech::Context,
        _message: speech::Configure,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn on_keep_alive(
        &self,
        _ctx: &speech::Context,
        _message: speech::KeepAlive,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn on_close_stream(
        &self,
        ctx: &speech::Context,
        _message: speech::CloseStream,
    ) -> Result<(), HandlerError> {
        let metadata = speech::Metadata {
            channels: std::num::NonZeroU64::MIN,
            duration: heard(ctx) as f64 / 32_000.0,
            request_id: "b8e9e8e2-7a3f-4c39-9d0e-6b1f0e1c2a3d"
                .parse()
                .map_err(|_| HandlerError::new("a UUID"))?,
        };
        ctx.send(metadata)
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_speak(
        &self,
        ctx: &speech::Context,
        message: speech::Speak,
    ) -> Result<speech::Speech, HandlerError> {
        let mut audio = b"ID3".to_vec();
        audio.extend_from_slice(message.text.as_bytes());
        ctx.send(speech::ServerMessage::Speech(Bytes::from_static(&[
            0xff, 0xfb,
        ])))
        .map_err(|e| HandlerError::new(e.to_string()))?;
        Ok(Bytes::from(audio))
    }
}

struct Feed;

fn seen(n: u64) -> Result<feed::Seen, HandlerError> {
    std::num::NonZeroU64::new(n)
        .map(feed::Seen)
        .ok_or_else(|| HandlerError::new("zero"))
}

impl feed::Handler for Feed {
    async fn on_ping(
        &self,
        _ctx: &feed::Context,
        _message: feed::Ping,
    ) -> Result<feed::Pong, HandlerError> {
        Ok(feed::Pong::Pong)
    }

    async fn on_subscribe(
        &self,
        ctx: &feed::Context,
        message: feed::Subscribe,
    ) -> Result<(), HandlerError> {
        let tickers: Vec<socketsundso::codegen::serde_json::Value> = message
            .0
            .iter()
            .map(|symbol| socketsundso::codegen::serde_json::json!({"s": symbol, "p": 1.5}))
            .collect();
        ctx.send(feed::Tickers(tickers.into()))
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_login(
        &self,
        _ctx: &feed::Context,
        message: feed::Login,
    ) -> Result<feed::State, HandlerError> {
        Ok(feed::State {
            user: message.user,
            session: "s-1".into(),
        })
    }

    async fn on_resume(
        &self,
        _ctx: &feed::Context,
        message: feed::Resume,
    ) -> Result<feed::State, HandlerError> {
        Ok(feed::State {
            user: "ada".into(),
            session: message.session,
        })
    }

    async fn on_level(
        &self,
        _ctx: &feed::Context,
        _message: feed::Level,
    ) -> Result<feed::Seen, HandlerError> {
        seen(1)
    }

    async fn on_pause(
        &self,
        _ctx: &feed::Context,
        _message: feed::Pause,
    ) -> Result<feed::Seen, HandlerError> {
        seen(2)
    }

    async fn on_reset(
        &self,
        _ctx: &feed::Context,
        _message: feed::Reset,
    ) -> Result<feed::Seen, HandlerError> {
        seen(3)
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
        let app = axum::Router::new()
            .route("/ingest", ingest::Server::new(Ingest).into_route())
            .route("/feed", feed::Server::new(Feed).into_route())
            .route("/v1/listen", speech::Server::new(Speech).into_route());
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "fixture servers listening on ws://{}",
            listener.local_addr()?
        );
        axum::serve(listener, app).await
    })
}

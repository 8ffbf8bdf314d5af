//! Binary frames: the speech document (`tests/asyncapi/socketsundso/speech.yaml`, in the style of
//! streaming speech APIs) served for real on 127.0.0.1. Raw audio goes up as binary frames next
//! to JSON control messages, transcripts come down as JSON, and `Speak` is answered with audio
//! as binary frames (pushed with `ctx.send`, and the reply). The generated Rust client sends and
//! receives the same frames, and the size limit holds for binary frames as for text.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use socketsundso::{Bytes, HandlerError};
use socketsundso_tests::client_speech as client_api;
use socketsundso_tests::conformance_socketsundso_speech_yaml as api;
use support::{Client, WAIT, serve, url};

/// Counts the audio of each connection and reports it as an interim transcript.
struct Speech;

fn heard(ctx: &api::Context) -> &AtomicUsize {
    ctx.state::<AtomicUsize>().expect("set in on_connect")
}

impl api::Handler for Speech {
    async fn on_connect(&self, ctx: &api::Context) -> Result<(), socketsundso::Reject> {
        let _ = ctx.set_state(AtomicUsize::new(0));
        Ok(())
    }

    async fn on_audio(&self, ctx: &api::Context, message: api::Audio) -> Result<(), HandlerError> {
        let total = heard(ctx).fetch_add(message.len(), Ordering::Relaxed) + message.len();
        let results = api::Results {
            channel: api::ResultsChannel {
                alternatives: vec![api::ResultsChannelAlternativesItem {
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
        _ctx: &api::Context,
        _message: api::Configure,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn on_keep_alive(
        &self,
        _ctx: &api::Context,
        _message: api::KeepAlive,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn on_close_stream(
        &self,
        ctx: &api::Context,
        _message: api::CloseStream,
    ) -> Result<(), HandlerError> {
        let total = heard(ctx).load(Ordering::Relaxed);
        let metadata = api::Metadata {
            channels: std::num::NonZeroU64::MIN,
            duration: total as f64 / 32_000.0,
            request_id: "b8e9e8e2-7a3f-4c39-9d0e-6b1f0e1c2a3d"
                .parse()
                .expect("a UUID"),
        };
        ctx.send(metadata)
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_speak(
        &self,
        ctx: &api::Context,
        message: api::Speak,
    ) -> Result<api::Speech, HandlerError> {
        // The audio in two frames: the first pushed, the second the reply.
        let mut audio = b"ID3".to_vec();
        audio.extend_from_slice(message.text.as_bytes());
        ctx.send(api::ServerMessage::Speech(Bytes::from_static(&[
            0xff, 0xfb,
        ])))
        .map_err(|e| HandlerError::new(e.to_string()))?;
        Ok(Bytes::from(audio))
    }
}

async fn server(max_message_size: usize) -> std::net::SocketAddr {
    let endpoint = api::Server::new(Speech)
        .endpoint()
        .max_message_size(max_message_size)
        .into_method_router();
    serve(axum::Router::new().route("/v1/listen", endpoint)).await
}

#[tokio::test]
async fn audio_goes_up_as_binary_frames_and_transcripts_come_down() {
    let mut client = Client::connect(&url(server(1 << 20).await, "/v1/listen")).await;
    client
        .send_json(&json!({"type": "Configure", "sample_rate": 16000, "interim_results": true}))
        .await;
    client.send_binary(vec![0; 3200]).await;
    let results = client.recv_json().await;
    assert_eq!(results["type"], "Results", "{results}");
    assert_eq!(
        results["channel"]["alternatives"][0]["transcript"],
        "3200 bytes"
    );
    client.send_binary(vec![1; 800]).await;
    assert_eq!(
        client.recv_json().await["channel"]["alternatives"][0]["transcript"],
        "4000 bytes"
    );
    // An empty frame is a binary message too.
    client.send_binary(vec![]).await;
    assert_eq!(
        client.recv_json().await["channel"]["alternatives"][0]["transcript"],
        "4000 bytes"
    );
    client.send_json(&json!({"type": "CloseStream"})).await;
    let metadata = client.recv_json().await;
    assert_eq!(metadata["type"], "Metadata", "{metadata}");
    assert_eq!(metadata["duration"], 0.125, "{metadata}");
    // JSON keeps its checks beside the binary frames.
    client
        .send_json(&json!({"type": "Configure", "sample_rate": 44100}))
        .await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["errors"][0]["path"], "/sample_rate", "{error}");
    assert!(client.close().await.is_empty());
}

#[tokio::test]
async fn speak_is_answered_with_binary_frames() {
    let mut client = Client::connect(&url(server(1 << 20).await, "/v1/listen")).await;
    client
        .send_json(&json!({"type": "Speak", "id": 9, "text": "Hello!"}))
        .await;
    // The pushed frame, then the reply: binary frames carry no id.
    assert_eq!(client.recv_binary().await, [0xff, 0xfb]);
    assert_eq!(client.recv_binary().await, b"ID3Hello!");
    assert!(client.close().await.is_empty());
}

#[tokio::test]
async fn a_binary_frame_over_the_size_limit_closes_the_connection() {
    let mut client = Client::connect(&url(server(1024).await, "/v1/listen")).await;
    client.send_binary(vec![0; 1000]).await;
    assert_eq!(client.recv_json().await["type"], "Results");
    client.send_binary(vec![0; 2048]).await;
    let error = client.recv_json().await;
    assert_eq!(error["code"], "too_large", "{error}");
    assert_eq!(client.recv_close().await.map(|c| c.0), Some(1009));
}

#[tokio::test]
async fn the_rust_client_streams_audio_and_gets_speech() {
    let addr = server(1 << 20).await;
    let (client, mut events) = client_api::client::Client::connect(url(addr, "/v1/listen"))
        .await
        .expect("connects");
    let mut next = async || {
        tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an event in time")
            .expect("the connection is open")
            .expect("a message")
    };
    client
        .send_audio(Bytes::from(vec![7; 640]))
        .await
        .expect("sends");
    let client_api::ServerMessage::Results(results) = next().await else {
        panic!("expected results");
    };
    assert_eq!(results.channel.alternatives[0].transcript, "640 bytes");
    client
        .send_speak(client_api::Speak {
            text: "Hi".parse().expect("a text"),
        })
        .await
        .expect("sends");
    assert_eq!(
        next().await,
        client_api::ServerMessage::Speech(Bytes::from_static(&[0xff, 0xfb]))
    );
    assert_eq!(
        next().await,
        client_api::ServerMessage::Speech(Bytes::from_static(b"ID3Hi"))
    );
    client.close().await;
}

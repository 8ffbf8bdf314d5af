//! Round trips through the generated Rust client, against the basics server on 127.0.0.1 in the
//! same process, next to the same exchange done by hand on tokio-tungstenite:
//!
//! - `raw_request`: one `echo` request with an id, written as JSON text and its reply parsed into
//!   a `serde_json::Value` (no checks, no typed decoding, no correlation): the baseline;
//! - `client_request`: `request_echo`: the outgoing check (the server's decoding, on the text
//!   it sends), the correlation id, the reply decoded and checked as strictly as the server
//!   decodes;
//! - `client_pipelined_100`: 100 `send_echo` in a row, then their 100 replies from the events
//!   (one flush per burst on the way out).
//!
//! `cargo bench -p socketsundso-tests --bench client` measures (release build);
//! `cargo test -p socketsundso-tests --benches` runs each once, as a test.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::{SinkExt as _, StreamExt as _};
use socketsundso_tests::client_example_basics as api;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn client(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            axum::serve(listener, basics_example::app())
                .await
                .expect("axum::serve");
        });
        format!("ws://{addr}{}", basics_example::ROUTE)
    });
    let (client, mut events) = runtime
        .block_on(api::client::Client::connect(url.as_str()))
        .expect("connects");
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (mut raw, _) = runtime
        .block_on(tokio_tungstenite::connect_async_with_config(
            url.as_str(),
            Some(config),
            true,
        ))
        .expect("connects");
    let echo = api::Echo {
        message: "hello, benchmark".into(),
    };

    let mut group = c.benchmark_group("client");
    let mut id = 0u64;
    group.bench_function("raw_request", |b| {
        b.iter(|| {
            id += 1;
            runtime.block_on(async {
                let text = format!(r#"{{"type":"echo","id":{id},"message":"hello, benchmark"}}"#);
                raw.send(Message::text(text)).await.expect("sent");
                let Some(Ok(Message::Text(reply))) = raw.next().await else {
                    panic!("no reply");
                };
                let reply: serde_json::Value = serde_json::from_str(reply.as_str()).expect("JSON");
                assert_eq!(reply["id"], id);
            });
        });
    });
    group.bench_function("client_request", |b| {
        b.iter(|| {
            let reply = runtime
                .block_on(client.request_echo(echo.clone()))
                .expect("echo");
            assert_eq!(reply, echo);
        });
    });
    group.bench_function("client_pipelined_100", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..100 {
                    client.send_echo(echo.clone()).await.expect("sent");
                }
                for _ in 0..100 {
                    let event = events.next().await.expect("open").expect("a message");
                    assert!(matches!(event, api::ServerMessage::Echo(_)));
                }
            });
        });
    });
    group.finish();
    runtime.block_on(client.close());
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = client
}
criterion_main!(benches);

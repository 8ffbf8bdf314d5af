//! Graceful shutdown on real sockets: the server stops accepting, the handlers in flight finish
//! and their replies reach the client, every connection is closed with 1001, all within a
//! deadline; at the deadline the rest are forced. `on_disconnect` runs for every connection.

mod guarded;
mod raw;

use std::time::{Duration, Instant};

use raw::{Frame, Next, Raw, TEXT, describe};
use serde_json::json;

/// Reads the close frame (1001, the shutdown's reason) after any text frames; returns the texts.
async fn closed_by_shutdown(c: &mut Raw) -> Vec<serde_json::Value> {
    let mut texts = Vec::new();
    loop {
        match c.next_data().await {
            Next::Frame(Frame {
                opcode: TEXT,
                payload,
                ..
            }) => texts.push(serde_json::from_slice(&payload).expect("JSON")),
            Next::Frame(Frame {
                opcode: raw::CLOSE,
                payload,
                ..
            }) => {
                assert_eq!(
                    raw::close_payload(&payload),
                    (1001, "server shutting down".to_owned())
                );
                return texts;
            }
            other => panic!(
                "expected the shutdown's close frame, got {}",
                describe(&other)
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_in_flight_finish_and_everyone_gets_1001() {
    let server = guarded::start(|e| e).await;
    let addr = server.addr;
    let mut busy = Raw::connect(addr, "/ws/busy").await;
    let mut idle: Vec<Raw> = Vec::new();
    for i in 0..3 {
        idle.push(Raw::connect(addr, &format!("/ws/idle{i}")).await);
    }
    guarded::eventually("4 connections", || server.counts.connects() == 4).await;
    busy.text(r#"{"type":"echo","id":"last","text":"sleep:600"}"#)
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let shutdown = server.shutdown();
    let started = Instant::now();
    let report = tokio::spawn(async move { shutdown.wait(Duration::from_secs(5)).await });

    // The idle ones are closed at once, and answer like clients do.
    for c in &mut idle {
        assert!(closed_by_shutdown(c).await.is_empty());
        c.send_close(1001).await;
        c.ended().await;
    }
    assert!(started.elapsed() < Duration::from_millis(400));
    // The busy one gets its reply first, then the close.
    let texts = closed_by_shutdown(&mut busy).await;
    assert_eq!(
        texts,
        [json!({"type":"echoed","id":"last","text":"sleep:600"})]
    );
    busy.send_close(1001).await;
    busy.ended().await;

    let report = report.await.expect("the shutdown task");
    assert_eq!(
        (report.connections, report.forced, report.abandoned),
        (4, 0, 0)
    );
    assert!(report.elapsed >= Duration::from_millis(400), "{report}");
    assert_eq!(server.counts.disconnects(), 4);
    assert_eq!(server.counts.echoes_finished(), 1);
    // The server stopped accepting, and `serve` returned.
    let served = tokio::time::timeout(Duration::from_secs(5), server.served)
        .await
        .expect("serve returned");
    assert!(matches!(served, Ok(Ok(()))), "{served:?}");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn the_deadline_forces_what_is_left() {
    let server = guarded::start(|e| e).await;
    let addr = server.addr;
    // One handler that would take 10 s, and one client that never answers the close frame.
    let mut slow = Raw::connect(addr, "/ws/slow").await;
    let mut deaf = Raw::connect(addr, "/ws/deaf").await;
    guarded::eventually("2 connections", || server.counts.connects() == 2).await;
    slow.text(r#"{"type":"echo","text":"sleep:10000"}"#).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let report = server.shutdown().wait(Duration::from_millis(500)).await;
    assert_eq!(
        (report.connections, report.forced, report.abandoned),
        (2, 2, 0),
        "{report}"
    );
    assert!(report.elapsed < Duration::from_secs(2), "{report}");
    // The deaf one got its close frame at once; the slow one at the deadline, without a reply.
    assert!(closed_by_shutdown(&mut deaf).await.is_empty());
    assert!(closed_by_shutdown(&mut slow).await.is_empty());
    slow.ended().await;
    deaf.ended().await;
    // Every on_disconnect ran; the dropped handler never finished.
    assert_eq!(server.counts.disconnects(), 2);
    assert_eq!(server.counts.echoes_finished(), 0);
}

#[tokio::test]
async fn upgrades_during_the_shutdown_get_503() {
    // A router served by plain `axum::serve`, which keeps accepting: the endpoint refuses.
    let counts = std::sync::Arc::new(guarded::Counts::default());
    let endpoint = socketsundso_tests::semantics::Server::new(guarded::Api {
        counts: std::sync::Arc::clone(&counts),
    })
    .endpoint();
    let shutdown = endpoint.shutdown_handle();
    let stats = endpoint.clone();
    let app = axum::Router::new().route(guarded::ROUTE, endpoint.into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut before = Raw::connect(addr, "/ws/before").await;
    shutdown.trigger();
    assert!(closed_by_shutdown(&mut before).await.is_empty());
    let refused = Raw::try_connect(addr, "/ws/after", "")
        .await
        .err()
        .expect("no upgrade during the shutdown");
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (503, "server shutting down")
    );
    assert_eq!(stats.stats().refused_shutdown, 1);
    before.send_close(1001).await;
    let report = shutdown.wait(Duration::from_secs(1)).await;
    assert_eq!(report.forced, 0, "{report}");
    assert_eq!((counts.connects(), counts.disconnects()), (1, 1));
}

#[tokio::test]
async fn serve_with_shutdown_does_not_wait_for_a_request_head_that_never_ends() {
    let counts = std::sync::Arc::new(guarded::Counts::default());
    let shutdown = socketsundso::Shutdown::new();
    let endpoint = socketsundso_tests::semantics::Server::new(guarded::Api { counts })
        .endpoint()
        .graceful_shutdown(shutdown.clone());
    let app = axum::Router::new().route(guarded::ROUTE, endpoint.into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let serving = {
        let shutdown = shutdown.clone();
        tokio::spawn(
            async move { socketsundso::serve_with_shutdown(listener, app, &shutdown).await },
        )
    };
    // One client upgraded, one that sent half a request head (and would hold `serve` for the
    // 10 s handshake timeout).
    let mut open = Raw::connect(addr, "/ws/open").await;
    let mut half = Raw::tcp_only(addr).await;
    half.write(b"GET /ws/half HTTP/1.1\r\nHost: x\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    shutdown.trigger();
    assert_eq!(half.next_within(raw::WAIT).await, Next::Eof);
    tokio::time::timeout(Duration::from_secs(2), serving)
        .await
        .expect("serve returns without waiting for the half head")
        .expect("the task")
        .expect("serve");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        closed_by_shutdown(&mut open).await,
        Vec::<serde_json::Value>::new()
    );
    open.send_close(1001).await;
    let report = shutdown.wait(Duration::from_secs(2)).await;
    assert_eq!((report.connections, report.forced), (1, 0), "{report}");
}

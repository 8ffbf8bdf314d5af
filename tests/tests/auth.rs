//! At the upgrade: the `Origin` allow-list, and the authentication hook that sees the request
//! (path, query, headers, the client's address) and either gives the connection an identity
//! that its handlers read from the context, or refuses it with 401/403 and no upgrade. Real
//! sockets on 127.0.0.1; the requests are written by hand, so every header is the test's.

mod guarded;
mod raw;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use guarded::User;
use raw::Raw;
use serde_json::{Value, json};
use socketsundso::{AuthError, UpgradeRequest};

async fn whoami(c: &mut Raw) -> Value {
    c.text(r#"{"type":"whoami"}"#).await;
    c.json().await
}

#[tokio::test]
async fn only_allowed_origins_may_upgrade() {
    let server = guarded::start(|e| {
        e.allowed_origins(["https://chat.example.com", "http://localhost:8080"])
    })
    .await;
    let addr = server.addr;
    for origin in [
        "https://chat.example.com",
        "HTTPS://Chat.Example.COM",
        "http://localhost:8080",
    ] {
        let mut c = Raw::connect_with(addr, "/ws/o", &format!("Origin: {origin}\r\n")).await;
        assert_eq!(whoami(&mut c).await["user"], "(anonymous o)", "{origin}");
    }
    for origin in [
        "https://evil.example.com",
        "https://chat.example.com.evil.com",
        "http://localhost:8081",
        "null",
    ] {
        let refused = Raw::try_connect(addr, "/ws/o", &format!("Origin: {origin}\r\n"))
            .await
            .err()
            .unwrap_or_else(|| panic!("{origin} was upgraded"));
        assert_eq!(refused.status, 403, "{origin}");
        assert_eq!(refused.body, "origin not allowed");
    }
    // Clients that are not browsers send no Origin.
    let mut c = Raw::connect(addr, "/ws/o").await;
    assert_eq!(whoami(&mut c).await["user"], "(anonymous o)");
    assert_eq!(server.endpoint.stats().refused_origin, 4);
    assert_eq!(server.counts.connects(), 4);
}

/// The tokens the test's hook knows.
fn check_token(request: &UpgradeRequest) -> Result<User, AuthError> {
    match request.query_param("token").as_deref() {
        Some("alice-secret") => Ok(User("alice".to_owned())),
        Some("bob-secret") => Ok(User("bob".to_owned())),
        Some("mallory-secret") => Err(AuthError::forbidden("mallory may not chat")),
        Some(_) => Err(AuthError::unauthorized("unknown token")),
        None => Err(AuthError::unauthorized("missing token: add ?token=...")),
    }
}

#[tokio::test]
async fn the_hook_gives_an_identity_or_refuses_with_401_or_403() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let server = guarded::start(move |e| {
        e.authenticate(move |request: UpgradeRequest| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move { check_token(&request) }
        })
    })
    .await;
    let addr = server.addr;

    let mut alice = Raw::connect(addr, "/ws/a?token=alice-secret").await;
    assert_eq!(
        whoami(&mut alice).await,
        json!({"type":"identity","user":"alice","calls":1,"app":"guarded"})
    );
    let mut bob = Raw::connect(addr, "/ws/b?x=1&token=bob-secret").await;
    assert_eq!(whoami(&mut bob).await["user"], "bob");

    for (path, status, body) in [
        ("/ws/c", 401, "missing token: add ?token=..."),
        ("/ws/c?token=guess", 401, "unknown token"),
        ("/ws/c?token=", 401, "unknown token"),
        ("/ws/c?token=mallory-secret", 403, "mallory may not chat"),
    ] {
        let refused = Raw::try_connect(addr, path, "")
            .await
            .err()
            .unwrap_or_else(|| panic!("{path} was upgraded"));
        assert_eq!(
            (refused.status, refused.body.as_str()),
            (status, body),
            "{path}"
        );
    }
    // A refused request registered no connection and ran no handler.
    let stats = server.endpoint.stats();
    assert_eq!((stats.connections, stats.refused_auth), (2, 4));
    assert_eq!(server.counts.connects(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn the_hook_sees_the_path_query_headers_and_peer() {
    let seen: Arc<Mutex<Vec<UpgradeRequest>>> = Arc::default();
    let record = Arc::clone(&seen);
    let server = guarded::start(move |e| {
        e.authenticate(move |request: UpgradeRequest| {
            record
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(request.clone());
            async move {
                match request.header("authorization") {
                    Some("Bearer abc") => Ok(User("carol".to_owned())),
                    _ => Err(AuthError::unauthorized("no bearer token")),
                }
            }
        })
    })
    .await;
    let stream = raw::tcp(None, server.addr).await;
    let local: SocketAddr = stream.local_addr().expect("local address");
    drop(stream);
    let mut c = Raw::connect_with(
        server.addr,
        "/ws/carol?token=x&greeting=hello%20world%21",
        "Authorization: Bearer abc\r\n",
    )
    .await;
    assert_eq!(whoami(&mut c).await["user"], "carol");

    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    let request = seen.last().expect("the hook ran");
    assert_eq!(request.path(), "/ws/carol");
    assert_eq!(request.query(), Some("token=x&greeting=hello%20world%21"));
    assert_eq!(
        request.query_param("greeting").as_deref(),
        Some("hello world!")
    );
    assert_eq!(request.query_param("nope"), None);
    assert_eq!(request.param("user"), Some("carol"));
    assert_eq!(request.header("Authorization"), Some("Bearer abc"));
    assert_eq!(request.headers()["upgrade"], "websocket");
    let peer = request
        .peer_addr()
        .expect("socketsundso::serve tells the peer");
    assert_eq!(peer.ip(), local.ip());
    assert_ne!(peer.port(), server.addr.port());
}

#[tokio::test]
async fn a_full_server_refuses_before_the_hook_and_a_refusal_frees_the_place() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let server = guarded::start(move |e| {
        e.max_connections(1)
            .authenticate(move |request: UpgradeRequest| {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { check_token(&request) }
            })
    })
    .await;
    let addr = server.addr;
    // A refused request held the only place while the hook ran, and gave it back.
    let refused = Raw::try_connect(addr, "/ws/x?token=guess", "").await.err();
    assert_eq!(refused.map(|r| r.status), Some(401));
    let mut alice = Raw::connect(addr, "/ws/a?token=alice-secret").await;
    assert_eq!(whoami(&mut alice).await["user"], "alice");
    // Now it is full: 503, and the hook does not run.
    let full = Raw::try_connect(addr, "/ws/b?token=bob-secret", "")
        .await
        .err();
    assert_eq!(full.map(|r| r.status), Some(503));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A hook that never answers `?token=slow`, panics on `?token=panic`, and knows the test's
/// tokens otherwise.
async fn slow_or_panicking(request: UpgradeRequest) -> Result<User, AuthError> {
    match request.query_param("token").as_deref() {
        Some("slow") => std::future::pending().await,
        Some("panic") => panic!("the hook panics on purpose"),
        _ => check_token(&request),
    }
}

#[tokio::test]
async fn a_hook_that_does_not_answer_is_refused_with_503_at_the_auth_timeout() {
    let limit = std::time::Duration::from_millis(500);
    let server = guarded::start(move |e| {
        e.max_connections(2)
            .auth_timeout(limit)
            .authenticate(slow_or_panicking)
    })
    .await;
    let addr = server.addr;
    // Two slow requests hold both places while their hooks run ...
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(
        Raw::try_connect(addr, "/ws/s?token=slow", ""),
        Raw::try_connect(addr, "/ws/s?token=slow", ""),
    );
    let took = started.elapsed();
    for refused in [a, b] {
        let refused = refused.err().expect("refused");
        assert_eq!(refused.status, 503);
        assert_eq!(refused.body, "authentication timed out");
    }
    assert!(took >= limit && took < limit * 4, "{took:?}");
    // ... and give them back.
    let mut c = Raw::connect(addr, "/ws/a?token=alice-secret").await;
    assert_eq!(whoami(&mut c).await["user"], "alice");
    let stats = server.endpoint.stats();
    assert_eq!(stats.auth_timeouts, 2);
    assert_eq!(stats.connections, 1);
}

#[tokio::test]
async fn a_panicking_hook_is_refused_with_500_logged_and_counted() {
    let server = guarded::start(|e| e.authenticate(slow_or_panicking)).await;
    let refused = Raw::try_connect(server.addr, "/ws/p?token=panic", "")
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.status, 500);
    assert_eq!(refused.body, "internal error");
    let stats = server.endpoint.stats();
    assert_eq!(stats.auth_panics, 1);
    assert_eq!(stats.connections, 0);
    // The server goes on.
    let mut c = Raw::connect(server.addr, "/ws/b?token=bob-secret").await;
    assert_eq!(whoami(&mut c).await["user"], "bob");
}

#[tokio::test]
async fn a_shutdown_does_not_wait_for_a_hook() {
    // A hook that never answers, and no auth timeout to speak of.
    let server = guarded::start(|e| {
        e.auth_timeout(std::time::Duration::from_secs(3600))
            .authenticate(slow_or_panicking)
    })
    .await;
    let addr = server.addr;
    let mut open = Raw::connect(addr, "/ws/a?token=alice-secret").await;
    let pending = tokio::spawn(Raw::try_connect(addr, "/ws/s?token=slow", ""));
    guarded::eventually("the slow request holds a place", || {
        server.endpoint.stats().connections == 2
    })
    .await;
    let shutdown = server.shutdown();
    let started = std::time::Instant::now();
    let waited =
        tokio::spawn(async move { shutdown.wait(std::time::Duration::from_secs(2)).await });
    assert_eq!(open.close_frame().await.0, 1001);
    open.send_close(1001).await;
    let report = tokio::time::timeout(raw::WAIT, waited)
        .await
        .expect("the shutdown ends")
        .expect("the task");
    assert_eq!(report.connections, 1, "{report}");
    assert_eq!(report.forced, 0, "{report}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{report}"
    );
    let refused = pending.await.expect("the task").err().expect("refused");
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body, "server shutting down");
    // `serve` returns: no request is left in flight.
    tokio::time::timeout(raw::WAIT, server.served)
        .await
        .expect("serve returns")
        .expect("the task")
        .expect("serve");
    guarded::eventually("every place is free", || {
        server.endpoint.stats().connections == 0
    })
    .await;
}

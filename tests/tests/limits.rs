//! Every limit of an endpoint, triggered on real sockets (127.0.0.1): the connection limits
//! (server-wide 503, per client address 429), the message rate (`rate_limited`, then 1008), the
//! handler timeout (`timeout`, the connection stays), the idle timeout and the pings (1001), the
//! handshake timeout of `socketsundso::serve`, and the message and frame sizes (fragments
//! reassembled within the limit, an oversized frame refused from its header). Each test checks
//! what the client sees and the endpoint's count of the trigger (`Endpoint::stats`); the last one
//! checks that every trigger is logged with its running total.

mod guarded;
mod raw;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use raw::{CONTINUATION, Frame, Next, PING, PONG, Raw, TEXT, describe};
use serde_json::{Value, json};
use socketsundso::{HandshakeListener, PeerAddr, RateLimit};

const PATH: &str = "/ws/limits";

async fn echo(c: &mut Raw, text: &str) -> Value {
    c.text(&json!({"type": "echo", "text": text}).to_string())
        .await;
    c.json().await
}

fn echoed(text: &str) -> Value {
    json!({"type": "echoed", "text": text})
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_full_server_refuses_the_upgrade_with_503() {
    let server = guarded::start(|e| e.max_connections(2)).await;
    let mut a = Raw::connect(server.addr, PATH).await;
    let _b = Raw::connect(server.addr, PATH).await;
    let refused = Raw::try_connect(server.addr, PATH, "")
        .await
        .err()
        .expect("the third connection is refused");
    assert_eq!(refused.status, 503, "{}", refused.head);
    assert_eq!(refused.body, "too many connections");
    let stats = server.endpoint.stats();
    assert_eq!((stats.connections, stats.refused_full), (2, 1));
    // A refused upgrade runs no handler.
    assert_eq!(server.counts.connects(), 2);

    // When one leaves, its place is free again.
    a.send_close(1000).await;
    assert_eq!(a.close_frame().await.0, 1000);
    guarded::eventually("the slot is free", || {
        server.endpoint.stats().connections == 1
    })
    .await;
    let mut c = Raw::connect(server.addr, PATH).await;
    assert_eq!(echo(&mut c, "in again").await, echoed("in again"));
}

#[tokio::test]
async fn one_address_gets_429_past_its_own_limit() {
    let server = guarded::start(|e| e.max_connections_per_ip(2)).await;
    let here = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let other = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(
            Raw::try_connect_from(here, server.addr, PATH, "")
                .await
                .expect("within the limit"),
        );
    }
    let refused = Raw::try_connect_from(here, server.addr, PATH, "")
        .await
        .err()
        .expect("a third from 127.0.0.1 is refused");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.body, "too many connections from this address");
    // Another address has its own count.
    let mut other = Raw::try_connect_from(other, server.addr, PATH, "")
        .await
        .expect("127.0.0.2 is another client");
    assert_eq!(echo(&mut other, "other").await, echoed("other"));
    let stats = server.endpoint.stats();
    assert_eq!((stats.connections, stats.refused_per_ip), (3, 1));

    // Leaving frees the address's place.
    let mut first = held.remove(0);
    first.send_close(1000).await;
    assert_eq!(first.close_frame().await.0, 1000);
    guarded::eventually("the slot is free", || {
        server.endpoint.stats().connections == 2
    })
    .await;
    let mut again = Raw::try_connect_from(here, server.addr, PATH, "")
        .await
        .expect("a place is free again");
    assert_eq!(echo(&mut again, "again").await, echoed("again"));
}

// ---------------------------------------------------------------------------------------------
// Message rate
// ---------------------------------------------------------------------------------------------

/// Reads until the close frame: the replies and errors before it, and its code and reason.
async fn until_close(c: &mut Raw) -> (Vec<Value>, (u16, String)) {
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
            }) => return (texts, raw::close_payload(&payload)),
            other => panic!("expected text or close, got {}", describe(&other)),
        }
    }
}

#[tokio::test]
async fn excess_messages_get_rate_limited_and_a_flood_is_closed_with_1008() {
    let limit = RateLimit::per_second(5).burst(5).close_after(10);
    let server = guarded::start(|e| e.rate_limit(limit)).await;
    let mut c = Raw::connect(server.addr, PATH).await;
    // The burst passes...
    for i in 0..5 {
        assert_eq!(
            echo(&mut c, &format!("m{i}")).await,
            echoed(&format!("m{i}"))
        );
    }
    // ... the next message does not: it is not handled.
    let error = echo(&mut c, "too fast").await;
    assert_eq!(error["code"], "rate_limited", "{error}");
    assert_eq!(
        error["message"],
        "too many messages: at most 5 a second, 5 at once; this one was not handled"
    );
    // A token comes back every 200 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(echo(&mut c, "paced").await, echoed("paced"));

    // A flood goes on over the limit: the 10th rejection since the bucket was full closes it.
    let flood: Vec<u8> = (0..40)
        .flat_map(|i| {
            raw::encode_frame(
                true,
                0,
                TEXT,
                json!({"type": "echo", "text": format!("f{i}")})
                    .to_string()
                    .as_bytes(),
                true,
            )
        })
        .collect();
    c.write(&flood).await;
    let (texts, close) = until_close(&mut c).await;
    assert_eq!(close, (1008, "rate limit exceeded".to_owned()));
    let limited = texts.iter().filter(|t| t["code"] == "rate_limited").count();
    // One rejection before the pause, 8 answered in the flood, the 10th closes.
    assert_eq!(limited, 8, "{texts:?}");
    c.ended().await;
    let stats = server.endpoint.stats();
    assert_eq!(stats.rate_limited, 10);
    assert_eq!(stats.rate_limit_closes, 1);
}

#[tokio::test]
async fn a_rate_limited_request_fails_at_once_with_rate_limited() {
    // The error carries the request's correlation id, so the generated client hands it to the
    // request, which fails at once (instead of waiting for its timeout).
    use socketsundso_tests::client_example_basics::client::{Client, ClientError, Settings};
    use socketsundso_tests::client_example_basics::{Echo, Ping};

    let endpoint = basics_example::api::Server::new(basics_example::Basics)
        .endpoint()
        .rate_limit(RateLimit::per_second(1).burst(2).close_after(0));
    let app = axum::Router::new().route("/", endpoint.into_method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { socketsundso::serve(listener, app).await });
    let settings = Settings::default().request_timeout(Duration::from_secs(30));
    let (client, _events) = Client::connect_with(format!("ws://{addr}/"), settings)
        .await
        .expect("connects");
    let echo = |text: &str| Echo {
        message: text.to_owned(),
    };
    // Three at once: two within the burst, the third refused.
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        client.request_echo(echo("a")),
        client.request_echo(echo("b")),
        client.request_ping(Ping {}),
    );
    let elapsed = started.elapsed();
    assert_eq!(a.expect("within the burst"), echo("a"));
    assert_eq!(b.expect("within the burst"), echo("b"));
    match c {
        Err(ClientError::Server(error)) => {
            assert_eq!(error.code, "rate_limited", "{error:?}");
            assert!(error.id.is_some(), "{error:?}");
        }
        other => panic!("expected rate_limited, got {other:?}"),
    }
    assert!(
        elapsed < Duration::from_secs(5),
        "the rate-limited request took {elapsed:?}"
    );
    // The raw error names the id the client sent.
    let mut c = Raw::connect(addr, "/").await;
    c.write(
        &[
            json!({"type": "echo", "message": "1", "id": "one"}),
            json!({"type": "echo", "message": "2", "id": "two"}),
            json!({"type": "echo", "message": "3", "id": {"n": 3}}),
        ]
        .iter()
        .flat_map(|m| raw::encode_frame(true, 0, TEXT, m.to_string().as_bytes(), true))
        .collect::<Vec<u8>>(),
    )
    .await;
    assert_eq!(c.json().await["id"], "one");
    assert_eq!(c.json().await["id"], "two");
    let refused = c.json().await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert_eq!(refused["id"], json!({"n": 3}), "{refused}");
}

#[tokio::test]
async fn a_pause_that_refills_the_bucket_forgives_the_excess() {
    let limit = RateLimit::per_second(20).burst(2).close_after(3);
    let server = guarded::start(|e| e.rate_limit(limit)).await;
    let mut c = Raw::connect(server.addr, PATH).await;
    for round in 0..3 {
        // Two pass, two are refused (two strikes of three) ...
        let mut codes = Vec::new();
        for i in 0..4 {
            let reply = echo(&mut c, &format!("r{round}m{i}")).await;
            codes.push(reply["code"].as_str().unwrap_or("ok").to_owned());
        }
        assert_eq!(
            codes,
            ["ok", "ok", "rate_limited", "rate_limited"],
            "round {round}"
        );
        // ... and a pause of 2 tokens' time (100 ms) starts the count over.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(echo(&mut c, "still open").await, echoed("still open"));
    assert_eq!(server.endpoint.stats().rate_limit_closes, 0);
}

#[tokio::test]
async fn pings_count_against_the_rate_limit() {
    let limit = RateLimit::per_second(1).burst(3).close_after(5);
    let server = guarded::start(|e| e.rate_limit(limit)).await;
    let mut c = Raw::connect(server.addr, PATH).await;
    c.write(&raw::encode_frame(true, 0, PING, b"p", true).repeat(20))
        .await;
    let mut pongs = 0;
    let close = loop {
        match c.next_within(raw::WAIT).await {
            Next::Frame(Frame { opcode: PONG, .. }) => pongs += 1,
            Next::Frame(Frame {
                opcode: raw::CLOSE,
                payload,
                ..
            }) => break raw::close_payload(&payload),
            other => panic!("expected pongs, then a close: {}", describe(&other)),
        }
    };
    assert_eq!(close, (1008, "rate limit exceeded".to_owned()));
    // The WebSocket layer answers each ping it reads before the close (3 allowed, 5 refused).
    assert!(pongs >= 3, "{pongs} pongs");
}

// ---------------------------------------------------------------------------------------------
// Time limits
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_slow_handler_gets_timeout_and_the_connection_stays_open() {
    let server = guarded::start(|e| e.handler_timeout(Duration::from_millis(300))).await;
    let mut c = Raw::connect(server.addr, PATH).await;
    let started = Instant::now();
    c.text(r#"{"type":"echo","id":1,"text":"sleep:3000"}"#)
        .await;
    let error = c.json().await;
    let took = started.elapsed();
    assert_eq!(
        error,
        json!({"type": "error", "id": 1, "code": "timeout",
               "message": "the handler did not finish within 300ms; it was stopped", "errors": []})
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // The same connection handles its next message; the stopped handler never finished.
    assert_eq!(echo(&mut c, "quick").await, echoed("quick"));
    assert_eq!(server.counts.echoes_finished(), 1);
    assert_eq!(server.endpoint.stats().handler_timeouts, 1);
    // A handler within the limit is untouched.
    assert_eq!(echo(&mut c, "sleep:100").await, echoed("sleep:100"));
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_1001_and_pings_do_not_count() {
    let server = guarded::start(|e| {
        e.idle_timeout(Duration::from_millis(500))
            .ping_interval(None)
    })
    .await;
    let mut c = Raw::connect(server.addr, PATH).await;
    // Taken before the message is sent: the server's idle clock starts after it has it (the
    // reply reaches the client later, so an instant taken then can be after the clock's start).
    let last_message = Instant::now();
    assert_eq!(echo(&mut c, "hello").await, echoed("hello"));
    // Pings every 100 ms keep the socket busy, but are not messages.
    let close = loop {
        c.frame(true, 0, PING, b"", true).await;
        match c.next_within(Duration::from_millis(100)).await {
            Next::Frame(Frame { opcode: PONG, .. }) | Next::Nothing => {}
            Next::Frame(Frame {
                opcode: raw::CLOSE,
                payload,
                ..
            }) => break raw::close_payload(&payload),
            other => panic!("{}", describe(&other)),
        }
        assert!(
            last_message.elapsed() < Duration::from_secs(3),
            "no idle close"
        );
    };
    let idle = last_message.elapsed();
    assert_eq!(close, (1001, "idle timeout".to_owned()));
    assert!(idle >= Duration::from_millis(500), "closed after {idle:?}");
    // The server waits for the client's close frame (a normal closing handshake).
    c.send_close(1001).await;
    c.ended().await;
    assert_eq!(server.endpoint.stats().idle_closes, 1);
}

#[tokio::test]
async fn the_idle_timeout_does_not_close_a_client_that_waits_for_a_slow_reply() {
    let server = guarded::start(|e| {
        e.idle_timeout(Duration::from_millis(300))
            .ping_interval(None)
    })
    .await;
    let mut c = Raw::connect(server.addr, PATH).await;
    assert_eq!(echo(&mut c, "sleep:600").await, echoed("sleep:600"));
    assert_eq!(echo(&mut c, "right after").await, echoed("right after"));
}

#[tokio::test]
async fn a_client_that_never_answers_a_ping_is_closed_with_1001() {
    let server = guarded::start(|e| {
        e.ping_interval(Duration::from_millis(200))
            .pong_timeout(Duration::from_millis(300))
    })
    .await;
    // Taken before the connect: the server's ping clock starts when it has the connection,
    // which can be before the client has read the 101 (by 12 ms in a CI run on a busy machine).
    let started = Instant::now();
    let mut c = Raw::connect(server.addr, PATH).await;
    // Read, but never answer: the first frame is the ping, the next the close.
    match c.next_within(raw::WAIT).await {
        Next::Frame(Frame { opcode: PING, .. }) => {}
        other => panic!("expected a ping, got {}", describe(&other)),
    }
    let pinged = started.elapsed();
    match c.next_within(raw::WAIT).await {
        Next::Frame(Frame {
            opcode: raw::CLOSE,
            payload,
            ..
        }) => assert_eq!(raw::close_payload(&payload), (1001, "no pong".to_owned())),
        other => panic!("expected the close frame, got {}", describe(&other)),
    }
    let closed = started.elapsed();
    assert!(
        pinged >= Duration::from_millis(200),
        "pinged after {pinged:?}"
    );
    // The pong timeout runs from the ping's sending, which the client sees a little later: the
    // close comes at least 200 + 300 ms after the connection began.
    assert!(
        closed >= Duration::from_millis(500) && closed < Duration::from_secs(3),
        "closed after {closed:?} (pinged after {pinged:?})"
    );
    // Without waiting for the client's close frame: the socket is dropped.
    c.ended().await;
    assert_eq!(server.endpoint.stats().pong_timeouts, 1);
}

#[tokio::test]
async fn a_client_that_answers_its_pings_stays() {
    let server = guarded::start(|e| {
        e.ping_interval(Duration::from_millis(100))
            .pong_timeout(Duration::from_millis(200))
    })
    .await;
    let mut c = Raw::connect(server.addr, PATH).await;
    let mut pings = 0;
    let until = Instant::now() + Duration::from_millis(1200);
    while Instant::now() < until {
        match c.next_within(Duration::from_millis(50)).await {
            Next::Frame(Frame {
                opcode: PING,
                payload,
                ..
            }) => {
                pings += 1;
                c.frame(true, 0, PONG, &payload, true).await;
            }
            Next::Nothing => {}
            other => panic!("{}", describe(&other)),
        }
    }
    assert!(pings >= 4, "{pings} pings in 1.2 s");
    assert_eq!(echo(&mut c, "alive").await, echoed("alive"));
    assert_eq!(server.endpoint.stats().pong_timeouts, 0);
}

/// Serves the API behind `HandshakeListener` with a short handshake timeout.
async fn short_handshake_server(
    timeout: Duration,
) -> (SocketAddr, Arc<std::sync::atomic::AtomicU64>) {
    let counts = Arc::new(guarded::Counts::default());
    let endpoint = socketsundso_tests::semantics::Server::new(guarded::Api { counts }).endpoint();
    let app = axum::Router::new().route(guarded::ROUTE, endpoint.into_method_router());
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tcp.local_addr().expect("address");
    let listener = HandshakeListener::new(tcp).handshake_timeout(timeout);
    let timed_out = listener.timed_out();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<PeerAddr>(),
        )
        .await
    });
    (addr, timed_out)
}

#[tokio::test]
async fn the_handshake_timeout_drops_a_client_that_does_not_finish_its_request() {
    let timeout = Duration::from_millis(300);
    let (addr, timed_out) = short_handshake_server(timeout).await;

    // Sends nothing at all.
    let started = Instant::now();
    let mut silent = Raw::tcp_only(addr).await;
    assert_eq!(silent.next_within(raw::WAIT).await, Next::Eof);
    let took = started.elapsed();
    assert!(took >= timeout && took < Duration::from_secs(2), "{took:?}");

    // Sends its request one byte every 50 ms (slowloris).
    let mut slow = Raw::tcp_only(addr).await;
    let request = raw::upgrade_request(addr, PATH, "");
    let started = Instant::now();
    let mut sent = 0;
    for byte in request.as_bytes() {
        slow.write(&[*byte]).await;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if started.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    assert!(sent < request.len(), "the whole request went through");
    assert_eq!(slow.next_within(raw::WAIT).await, Next::Eof);

    // Upgrades in time: a WebSocket is never timed again.
    let mut ws = Raw::connect(addr, PATH).await;
    tokio::time::sleep(timeout * 2).await;
    assert_eq!(echo(&mut ws, "upgraded").await, echoed("upgraded"));

    // A plain HTTP request, answered, then an idle keep-alive connection: dropped too.
    let mut keep_alive = Raw::tcp_only(addr).await;
    keep_alive
        .write(format!("GET /nothing HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await;
    assert_eq!(keep_alive.response().await.status, 404);
    let started = Instant::now();
    assert_eq!(keep_alive.next_within(raw::WAIT).await, Next::Eof);
    assert!(started.elapsed() >= timeout - Duration::from_millis(50));

    assert_eq!(timed_out.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn an_upgrade_after_bare_line_feeds_or_a_pipelined_request_is_never_timed() {
    let timeout = Duration::from_millis(300);
    let (addr, timed_out) = short_handshake_server(timeout).await;

    // A request head with bare `\n` line ends (hyper accepts them).
    let mut lf = Raw::tcp_only(addr).await;
    lf.write(
        raw::upgrade_request(addr, PATH, "")
            .replace("\r\n", "\n")
            .as_bytes(),
    )
    .await;
    assert_eq!(lf.response().await.status, 101);

    // The upgrade pipelined behind a plain request, in one write.
    let mut pipelined = Raw::tcp_only(addr).await;
    pipelined
        .write(
            format!(
                "GET /nothing HTTP/1.1\r\nHost: {addr}\r\n\r\n{}",
                raw::upgrade_request(addr, PATH, "")
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(pipelined.response().await.status, 404);
    assert_eq!(pipelined.response().await.status, 101);

    for c in [&mut lf, &mut pipelined] {
        assert_eq!(echo(c, "before").await, echoed("before"));
    }
    // Idle for longer than the handshake timeout, after the server's last write.
    tokio::time::sleep(timeout * 3).await;
    for c in [&mut lf, &mut pipelined] {
        assert_eq!(echo(c, "after").await, echoed("after"));
    }
    assert_eq!(timed_out.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn blank_lines_before_a_request_do_not_stop_the_handshake_timeout() {
    let timeout = Duration::from_millis(300);
    let (addr, timed_out) = short_handshake_server(timeout).await;

    // Blank lines, then nothing: hyper skips them and waits for a request line; the timer runs on.
    for blank in ["\r\n\r\n", "\n\n", "\n\r\n"] {
        let mut c = Raw::tcp_only(addr).await;
        c.write(blank.as_bytes()).await;
        let started = Instant::now();
        assert_eq!(c.next_within(raw::WAIT).await, Next::Eof, "{blank:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{blank:?}");
    }
    assert_eq!(timed_out.load(Ordering::Relaxed), 3);

    // Blank lines before a whole upgrade request: upgraded, and never timed afterwards.
    let mut c = Raw::tcp_only(addr).await;
    c.write(format!("\r\n\n{}", raw::upgrade_request(addr, PATH, "")).as_bytes())
        .await;
    assert_eq!(c.response().await.status, 101);
    tokio::time::sleep(timeout * 3).await;
    assert_eq!(echo(&mut c, "after").await, echoed("after"));
    assert_eq!(timed_out.load(Ordering::Relaxed), 3);
}

// ---------------------------------------------------------------------------------------------
// Message and frame sizes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn fragments_are_reassembled_within_the_message_limit_and_refused_past_it() {
    let server = guarded::start(|e| e.max_message_size(1024).max_frame_size(1024)).await;
    // 3 fragments, 1000 bytes in all: one message.
    let padding = " ".repeat(1000 - r#"{"type":"echo","text":"whole"}"#.len());
    let message = format!(r#"{{"type":"echo",{padding}"text":"whole"}}"#);
    assert_eq!(message.len(), 1000);
    let (a, rest) = message.as_bytes().split_at(400);
    let (b, c) = rest.split_at(400);
    let mut conn = Raw::connect(server.addr, PATH).await;
    conn.frame(false, 0, TEXT, a, true).await;
    conn.frame(false, 0, CONTINUATION, b, true).await;
    conn.frame(true, 0, CONTINUATION, c, true).await;
    assert_eq!(conn.json().await, echoed("whole"));

    // 3 fragments of 400 bytes: each within the frame limit, the message not.
    conn.frame(false, 0, TEXT, &[b' '; 400], true).await;
    conn.frame(false, 0, CONTINUATION, &[b' '; 400], true).await;
    conn.frame(true, 0, CONTINUATION, &[b' '; 400], true).await;
    let error = conn.json().await;
    assert_eq!(error["code"], "too_large", "{error}");
    assert_eq!(
        error["message"], "the message is too large (1200 > 1024)",
        "{error}"
    );
    assert_eq!(
        conn.close_frame().await,
        (1009, "message too big".to_owned())
    );
    conn.ended().await;
}

#[tokio::test]
async fn an_oversized_frame_is_refused_from_its_header_before_its_payload() {
    let server = guarded::start(|e| e.max_message_size(1024).max_frame_size(1024)).await;
    let mut conn = Raw::connect(server.addr, PATH).await;
    // The header announces 2 KiB; none of it is sent. The answer comes anyway: the server did
    // not wait to buffer the payload.
    let header = [vec![0x81], raw::length_header(2048, true), vec![0, 0, 0, 0]].concat();
    conn.write(&header).await;
    let error = conn.json().await;
    assert_eq!(error["code"], "too_large", "{error}");
    assert_eq!(conn.close_frame().await.0, 1009);
    conn.ended().await;
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

/// A `Write` into a shared buffer, for the log subscriber.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// The server runs on this test's one thread, so the thread's log subscriber sees its logs.
#[tokio::test(flavor = "current_thread")]
async fn every_trigger_is_logged_with_its_running_total() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("socketsundso=debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = guarded::start(|e| {
        e.max_connections(1)
            .rate_limit(RateLimit::per_second(1).burst(1).close_after(0))
            .handler_timeout(Duration::from_millis(100))
    })
    .await;
    let mut c = Raw::connect(server.addr, PATH).await;
    for _ in 0..2 {
        assert_eq!(
            Raw::try_connect(server.addr, PATH, "")
                .await
                .err()
                .map(|r| r.status),
            Some(503)
        );
    }
    c.text(r#"{"type":"echo","text":"sleep:1000"}"#).await;
    assert_eq!(c.json().await["code"], "timeout");
    for _ in 0..2 {
        assert_eq!(echo(&mut c, "over").await["code"], "rate_limited");
    }
    let text = logs.text();
    for (message, total) in [
        ("upgrade refused: too many connections", 1),
        ("upgrade refused: too many connections", 2),
        ("handler timed out", 1),
        ("rate limited", 1),
        ("rate limited", 2),
    ] {
        let total = format!("total={total}");
        assert!(
            text.lines()
                .any(|l| l.contains(message) && l.split_whitespace().any(|w| w == total)),
            "no log line {message:?} with {total} in:\n{text}"
        );
    }

    // The closes that end a connection for what its client did, and the close timeout: at
    // `info` (the default level of the examples), and counted.
    let server = guarded::start(|e| {
        e.max_frame_size(50)
            .max_message_size(100)
            .close_timeout(Duration::from_millis(200))
            .idle_timeout(Duration::from_millis(300))
    })
    .await;
    let addr = server.addr;
    let mut big = Raw::connect(addr, PATH).await;
    big.text(&"x".repeat(60)).await;
    assert_eq!(big.json().await["code"], "too_large");
    assert_eq!(big.close_frame().await.0, 1009);
    let mut unmasked = Raw::connect(addr, PATH).await;
    unmasked.frame(true, 0, TEXT, b"{}", false).await;
    assert_eq!(unmasked.close_frame().await.0, 1002);
    let mut not_utf8 = Raw::connect(addr, PATH).await;
    not_utf8.frame(true, 0, TEXT, b"\xff\xfe", true).await;
    assert_eq!(not_utf8.close_frame().await.0, 1007);
    // Closed for idleness, and never answers the close frame.
    let mut silent = Raw::connect(addr, PATH).await;
    assert_eq!(silent.close_frame().await.0, 1001);
    silent.ended().await;

    let stats = server.endpoint.stats();
    assert_eq!(stats.too_large, 1);
    assert_eq!(stats.protocol_errors, 2);
    assert!(stats.close_timeouts >= 1, "{stats:?}");
    let text = logs.text();
    for (message, total) in [
        ("closed: message too large", 1),
        ("closed: protocol error", 1),
        ("closed: invalid UTF-8", 2),
        ("close timeout: no close frame from the client", 1),
    ] {
        let total = format!("total={total}");
        assert!(
            text.lines().any(|l| l.contains(" INFO ")
                && l.contains(message)
                && l.split_whitespace().any(|w| w == total)),
            "no info line {message:?} with {total} in:\n{text}"
        );
    }
}

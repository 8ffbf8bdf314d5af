//! 10,000 concurrent idle connections to one server (the `semantics` API with default settings
//! and `max_connections(10_000)`, served by `socketsundso::serve` on 127.0.0.1), and the server's
//! resident memory per connection.
//!
//! The clients live in a child process (this test executable again, running the ignored test
//! `holder`), so that the server's memory is measured alone and each process needs only its own
//! 10,000 open files. The test raises its open-files limit to what it needs (the child inherits
//! it). The clients are raw sockets with a hand-made upgrade; each answers the server's pings and,
//! when told, closes with a normal closing handshake.
//!
//! Two measures of memory: the process's resident memory (what the system sees), and the heap's
//! live bytes (allocated minus freed, counted by this test's global allocator, `stats_alloc`).
//! After the connections close, the live bytes return to their start; the resident memory does
//! not shrink much, because glibc keeps freed pages in its per-thread arenas for reuse: a second
//! round of 10,000 connections mostly fits in them.

mod guarded;
mod raw;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use raw::{Next, PING, PONG, Raw};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static HEAP: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// The heap's live bytes: allocated and not freed.
fn live() -> u64 {
    let stats = HEAP.stats();
    (stats.bytes_allocated as u64).saturating_sub(stats.bytes_deallocated as u64)
}
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

const CONNECTIONS: usize = 10_000;
/// The environment variable that tells the child where to connect.
const HOLD_ADDR: &str = "SOCKETSUNDSSO_HOLD_ADDR";
const HOLD_COUNT: &str = "SOCKETSUNDSSO_HOLD_COUNT";

/// Raises the soft open-files limit to `needed` (at most the hard limit); returns the limit now.
fn raise_open_files(needed: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return current;
    }
    let want = limit.maximum.map_or(needed, |hard| hard.min(needed));
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: limit.maximum,
        },
    )
    .expect("raising the soft open-files limit");
    want
}

/// This process's resident memory, in bytes (`VmRSS` of `/proc/self/status`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS in /proc/self/status")
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_connections() {
    // Both processes: the connections, plus the listener, the runtime and some slack.
    let limit = raise_open_files(CONNECTIONS as u64 + 1_000);
    assert!(
        limit >= CONNECTIONS as u64 + 100,
        "the open-files limit is {limit}; this test needs {CONNECTIONS} and some more"
    );
    let server = guarded::start(|e| e.max_connections(CONNECTIONS)).await;
    // Warm the server up: one connection, one message.
    let mut warm = Raw::connect(server.addr, "/ws/warm").await;
    warm.text(r#"{"type":"echo","text":"warm"}"#).await;
    let _ = warm.json().await;
    warm.send_close(1000).await;
    assert_eq!(warm.close_frame().await.0, 1000);
    warm.ended().await;
    guarded::eventually("the warm-up connection ended", || {
        server.endpoint.stats().connections == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let live_before = live();

    let first = round(&server, 1).await;
    let second = round(&server, 2).await;
    let n = CONNECTIONS as u64;
    for (i, r) in [(1, &first), (2, &second)] {
        eprintln!(
            "round {i}: {CONNECTIONS} idle connections open in {:.1?}. Server RSS: {:.1} MiB \
             before, {:.1} MiB with them ({:.1} KiB per connection), {:.1} MiB after. Live heap: \
             {:.1} MiB before, {:.1} MiB with them ({} bytes per connection), {:.1} MiB after.",
            r.connected,
            mib(before),
            mib(r.held),
            r.held.saturating_sub(before) as f64 / n as f64 / 1024.0,
            mib(r.after),
            mib(live_before),
            mib(r.live_held),
            r.live_held.saturating_sub(live_before) / n,
            mib(r.live_after),
        );
    }
    let per_connection = first.held.saturating_sub(before) / n;
    // The bound is loose on purpose (debug build, allocator slack): it catches a connection that
    // costs ten times what it should, not a few hundred bytes.
    assert!(
        per_connection < 32 * 1024,
        "{per_connection} bytes per idle connection"
    );
    // Nothing of a closed connection stays: the live heap returns to its start (within 1% of
    // what the connections held: tables that keep their capacity) ...
    let held = first.live_held.saturating_sub(live_before);
    for r in [&first, &second] {
        assert!(
            r.live_after.saturating_sub(live_before) < held / 100,
            "live heap {:.2} MiB before, {:.2} MiB after",
            mib(live_before),
            mib(r.live_after)
        );
    }
    // ... and the second round mostly reuses the memory the first one left (glibc may put some
    // of it in another thread's arena: allow half).
    assert!(
        second.held.saturating_sub(first.held) < first.held.saturating_sub(before) / 2,
        "RSS with the connections: {:.1} MiB in the first round, {:.1} MiB in the second",
        mib(first.held),
        mib(second.held)
    );
}

/// What one round measured.
struct Round {
    connected: Duration,
    /// The server's RSS with every connection open.
    held: u64,
    /// The server's RSS after they closed.
    after: u64,
    /// The live heap with every connection open.
    live_held: u64,
    /// The live heap after they closed.
    live_after: u64,
}

/// Opens [`CONNECTIONS`] connections from a child process, checks them, closes them.
async fn round(server: &guarded::Running, n: usize) -> Round {
    let connects = server.counts.connects();
    let disconnects = server.counts.disconnects();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("this test"))
        .args([
            "holder",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD_ADDR, server.addr.to_string())
        .env(HOLD_COUNT, CONNECTIONS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the client process starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut expect_line = async |prefix: &str| -> String {
        let wait = tokio::time::timeout(Duration::from_secs(300), async {
            loop {
                match lines.next_line().await.expect("the client's output") {
                    // libtest may have written "test holder ... " before it on the line.
                    Some(line) => {
                        if let Some(at) = line.find(prefix) {
                            return line[at..].to_owned();
                        }
                    }
                    None => panic!("the client process ended before saying {prefix:?}"),
                }
            }
        });
        wait.await
            .unwrap_or_else(|_| panic!("the client process did not say {prefix:?}"))
    };
    assert_eq!(
        expect_line("connected").await,
        format!("connected {CONNECTIONS}"),
        "round {n}"
    );
    let connected = started.elapsed();
    guarded::eventually("the server counts every connection", || {
        server.endpoint.stats().connections == CONNECTIONS
    })
    .await;
    assert_eq!(server.counts.connects(), connects + CONNECTIONS);
    // Full: one more is refused.
    let refused = Raw::try_connect(server.addr, "/ws/one-too-many", "")
        .await
        .err()
        .map(|r| r.status);
    assert_eq!(refused, Some(503));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = rss();
    let live_held = live();
    // Every connection still answers: a message on each would be 10,000 round trips; the child
    // checks a sample of them.
    stdin.write_all(b"probe\n").await.expect("to the client");
    assert_eq!(expect_line("probed").await, "probed 100 of 100");

    stdin.write_all(b"close\n").await.expect("to the client");
    assert_eq!(expect_line("closed").await, format!("closed {CONNECTIONS}"));
    guarded::eventually("every connection ended", || {
        server.endpoint.stats().connections == 0
    })
    .await;
    guarded::eventually("every on_disconnect ran", || {
        server.counts.disconnects() == disconnects + CONNECTIONS
    })
    .await;
    let status = child.wait().await.expect("the client process's status");
    assert!(status.success(), "{status}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    Round {
        connected,
        held,
        after: rss(),
        live_held,
        live_after: live(),
    }
}

/// The client side of `ten_thousand_idle_connections`, run by it in a child process (it does
/// nothing when run otherwise). Reads commands on standard input: `probe` (a message on 100 of
/// the connections), `close` (every connection closes normally, then the process ends).
#[test]
#[ignore = "the client process of ten_thousand_idle_connections, which runs it"]
fn holder() {
    let (Ok(addr), Ok(count)) = (std::env::var(HOLD_ADDR), std::env::var(HOLD_COUNT)) else {
        return;
    };
    let addr: SocketAddr = addr.parse().expect("an address");
    let count: usize = count.parse().expect("a count");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(hold(addr, count));
}

/// What the holder's connections are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Hold,
    Probe,
    Close,
}

/// The command now (the watch's guard must not live across an await).
fn command_now(commands: &mut tokio::sync::watch::Receiver<Command>) -> Command {
    *commands.borrow_and_update()
}

async fn hold(addr: SocketAddr, count: usize) {
    let (command, commands) = tokio::sync::watch::channel(Command::Hold);
    let connected = Arc::new(AtomicUsize::new(0));
    let probed = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    // At most 64 handshakes at once, so the listen backlog never overflows.
    let handshakes = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let mut commands = commands.clone();
        let (connected, probed, closed) = (
            Arc::clone(&connected),
            Arc::clone(&probed),
            Arc::clone(&closed),
        );
        let handshakes = Arc::clone(&handshakes);
        tasks.push(tokio::spawn(async move {
            let mut c = {
                let _permit = handshakes.acquire().await.expect("semaphore");
                Raw::connect(addr, &format!("/ws/h{i}")).await
            };
            connected.fetch_add(1, Ordering::SeqCst);
            loop {
                // Answer pings until a command comes.
                let next = tokio::select! {
                    next = c.next_within(Duration::from_secs(3600)) => Some(next),
                    changed = commands.changed() => {
                        changed.expect("the commands");
                        None
                    }
                };
                match next {
                    Some(Next::Frame(frame)) if frame.opcode == PING => {
                        c.frame(true, 0, PONG, &frame.payload, true).await;
                    }
                    Some(other) => panic!("connection {i}: unexpected {}", raw::describe(&other)),
                    None => match command_now(&mut commands) {
                        Command::Hold => {}
                        Command::Probe => {
                            if i % (count / 100).max(1) == 0 {
                                let text = format!("h{i}");
                                c.text(&format!(r#"{{"type":"echo","text":"{text}"}}"#))
                                    .await;
                                let reply = c.json().await;
                                assert_eq!(reply["text"], text.as_str(), "{reply}");
                                probed.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Command::Close => break,
                    },
                }
            }
            // 64 closing handshakes at a time, each given 30 s (a loaded machine is slow).
            let _permit = handshakes.acquire().await.expect("semaphore");
            c.send_close(1000).await;
            loop {
                match c.next_within(Duration::from_secs(30)).await {
                    Next::Frame(frame) if frame.opcode == raw::CLOSE => {
                        assert_eq!(raw::close_payload(&frame.payload).0, 1000, "connection {i}");
                        break;
                    }
                    Next::Frame(frame) if frame.opcode == PING => {}
                    other => panic!(
                        "connection {i}: expected the close frame, got {}",
                        raw::describe(&other)
                    ),
                }
            }
            assert_eq!(
                c.next_within(Duration::from_secs(30)).await,
                Next::Eof,
                "connection {i}"
            );
            closed.fetch_add(1, Ordering::SeqCst);
        }));
    }
    while connected.load(Ordering::SeqCst) < count {
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A connection that failed (its task panicked) ends the process: it would never be
        // counted.
        if let Some(i) = tasks.iter().position(|task| task.is_finished()) {
            eprintln!("holder: connection {i} failed");
            std::process::exit(1);
        }
    }
    println!("connected {count}");
    // Standard input, read on a blocking thread (the tests' tokio has no `io-std`).
    let (lines, mut stdin) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = stdin.recv().await {
        match line.trim() {
            "probe" => {
                command
                    .send(Command::Probe)
                    .expect("the connections listen");
                let sample = count.div_ceil((count / 100).max(1));
                while probed.load(Ordering::SeqCst) < sample {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                println!("probed {} of {sample}", probed.load(Ordering::SeqCst));
                let _ = command.send(Command::Hold);
            }
            "close" => {
                command
                    .send(Command::Close)
                    .expect("the connections listen");
                for task in tasks.drain(..) {
                    task.await.expect("a connection's task");
                }
                println!("closed {}", closed.load(Ordering::SeqCst));
                return;
            }
            other => panic!("unknown command {other:?}"),
        }
    }
}

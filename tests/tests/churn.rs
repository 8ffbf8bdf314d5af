//! Churn: 100,000 connect/disconnect cycles (about 100 s in a debug build on this project's
//! 2-core machine; `SOCKETSUNDSSO_CHURN_CYCLES=20000` for a quicker run) against the chat example (served by
//! `socketsundso::serve` on 127.0.0.1), 32 at a time, each client in one of 50 rooms: it
//! upgrades, waits for its own join (so `on_connect` has joined its rooms), closes normally and
//! waits for the end of the stream. Afterwards the connections, the rooms, the runtime's tasks
//! and the heap's live bytes are back to what they were after a warm-up; the resident memory is
//! reported.

mod raw;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use raw::{Frame, Next, Raw, TEXT, describe};
use socketsundso::Hub;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static HEAP: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// 100,000, or `SOCKETSUNDSSO_CHURN_CYCLES` (for a quicker run by hand).
fn cycles() -> usize {
    std::env::var("SOCKETSUNDSSO_CHURN_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
        .max(WARM_UP + 1)
}
const WARM_UP: usize = 2_000;
const AT_ONCE: usize = 32;
const ROOMS: usize = 50;

/// The heap's live bytes: allocated and not freed.
fn live() -> u64 {
    let stats = HEAP.stats();
    (stats.bytes_allocated as u64).saturating_sub(stats.bytes_deallocated as u64)
}

/// This process's resident memory, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS")
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One cycle: connect as client `id`, wait for the own join, close, wait for the end.
async fn cycle(addr: SocketAddr, id: usize) {
    let mut c = Raw::connect(addr, &format!("/room/r{}/{id}", id % ROOMS)).await;
    let own = serde_json::json!({"type": "join", "client_id": id});
    loop {
        // Others in the room join and leave meanwhile.
        let message = c.json().await;
        if message == own {
            break;
        }
    }
    c.send_close(1000).await;
    loop {
        match c.next_data().await {
            Next::Frame(Frame { opcode: TEXT, .. }) => {}
            Next::Frame(Frame {
                opcode: raw::CLOSE,
                payload,
                ..
            }) => {
                assert_eq!(raw::close_payload(&payload).0, 1000, "client {id}");
                break;
            }
            other => panic!("client {id}: {}", describe(&other)),
        }
    }
    c.ended().await;
}

/// Runs cycles `range` with [`AT_ONCE`] clients at a time.
async fn run(addr: SocketAddr, range: std::ops::Range<usize>) {
    let next = Arc::new(AtomicUsize::new(range.start));
    let end = range.end;
    let workers: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= end {
                        return;
                    }
                    cycle(addr, id).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a client worker");
    }
}

/// Waits until the hub has no connection and no room left.
async fn settled(hub: &Hub) {
    for _ in 0..500 {
        if hub.connection_count() == 0 && hub.rooms().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} connections and {} rooms left",
        hub.connection_count(),
        hub.rooms().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_connect_disconnect_cycles_leave_nothing_behind() {
    let hub = Hub::new();
    let app = chat_example::app_with_hub(hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { socketsundso::serve(listener, app).await });
    let metrics = tokio::runtime::Handle::current().metrics();

    run(addr, 0..WARM_UP).await;
    settled(&hub).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (tasks_before, live_before, rss_before) = (metrics.num_alive_tasks(), live(), rss());

    let started = Instant::now();
    let total = cycles();
    run(addr, WARM_UP..total).await;
    let took = started.elapsed();
    settled(&hub).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (tasks_after, live_after, rss_after) = (metrics.num_alive_tasks(), live(), rss());
    let cycles = total - WARM_UP;
    eprintln!(
        "churn: {cycles} cycles in {took:.1?} ({:.0} a second, {AT_ONCE} at once); tasks {tasks_before} \
         -> {tasks_after}; live heap {:.2} -> {:.2} MiB; RSS {:.1} -> {:.1} MiB",
        cycles as f64 / took.as_secs_f64(),
        mib(live_before),
        mib(live_after),
        mib(rss_before),
        mib(rss_after),
    );
    assert_eq!(hub.connection_count(), 0);
    assert!(hub.rooms().is_empty(), "{:?}", hub.rooms());
    assert_eq!(tasks_after, tasks_before, "tasks left behind");
    // Nothing per connection stays: 98,000 connections leave less than 256 KiB (under 3 bytes
    // each): at most tables that keep their capacity.
    assert!(
        live_after.saturating_sub(live_before) < 256 * 1024,
        "the live heap grew from {:.2} to {:.2} MiB",
        mib(live_before),
        mib(live_after)
    );
    assert!(
        rss_after.saturating_sub(rss_before) < 16 * 1024 * 1024,
        "RSS grew from {:.1} to {:.1} MiB",
        mib(rss_before),
        mib(rss_after)
    );
}

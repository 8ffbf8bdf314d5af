//! A client that stops reading, under each slow-consumer policy, with the chat example's server
//! in this process and raw tokio-tungstenite clients on 127.0.0.1.
//!
//! One sender, four readers and one stalled client share a room; the sender sends 12,000
//! messages of about 1 KiB (12 MB) as fast as it can. The stalled client's socket takes only
//! what the kernel buffers hold (a few MB on loopback), so the rest piles up on the server.
//! Each test checks that the stalled client is detected and handled by the policy, that the
//! server's pending bytes stay within the bound (2 MiB per connection here), and that the
//! readers get every message; under close and drop-oldest, about as fast as without the stalled
//! client (compared with a run without it, in the same test).
//!
//! And the process's resident memory while 100 MB go to a room with a stalled client that stays
//! open (drop-oldest, default bound): it grows by a few MiB. (With the bound lifted, the same run
//! grows by about 190 MiB.)

mod load;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use load::{chat_server, connect, connect_stalled, read_messages, send_messages};
use socketsundso::{Hub, Settings, SlowConsumer};
use tokio_tungstenite::tungstenite::Message;

const MESSAGES: usize = 12_000;
/// About 1 KiB per message.
const PAD: usize = 1_000;
/// The bound these tests set (the default is 4 MiB).
const BOUND: usize = 2 << 20;
/// The most one connection may hold: the bound, one batch being written (64 KiB), one message.
const PER_CONNECTION: usize = BOUND + 64 * 1024 + PAD + 100;
const READERS: usize = 4;

/// What a run measured.
struct Run {
    /// Messages each reader got.
    readers: Vec<usize>,
    /// How long until the sender had its own copy of every message back.
    sender: Duration,
    /// Stalled clients closed for their write timeout when the sender had every copy back.
    timed_out_when_done: u64,
    /// The most bytes pending for all connections at once (sampled every 5 ms).
    peak_pending: usize,
    /// What the stalled client found when it read at last: chat messages, and the close code.
    stalled: Option<(usize, Option<u16>)>,
    hub: Hub,
}

async fn run(settings: Settings, with_stalled: bool) -> Run {
    let (addr, hub) = chat_server(settings).await;
    let mut stalled = match with_stalled {
        true => Some(connect_stalled(addr, "slow", 99).await),
        false => None,
    };
    let sender = connect(addr, "slow", 1).await;
    let mut readers = Vec::new();
    for id in 2..2 + READERS {
        let mut ws = connect(addr, "slow", id).await;
        readers.push(tokio::spawn(async move {
            read_messages(&mut ws, MESSAGES, Duration::from_secs(120)).await
        }));
    }
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (hub, peak) = (hub.clone(), Arc::clone(&peak));
        tokio::spawn(async move {
            loop {
                peak.fetch_max(hub.pending_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let pad = " ".repeat(PAD);
    let started = Instant::now();
    let (mut sink, mut stream) = sender.split();
    let (own, ()) = tokio::join!(
        read_messages(&mut stream, MESSAGES, Duration::from_secs(120)),
        send_messages(&mut sink, MESSAGES, &pad),
    );
    assert_eq!(own, MESSAGES, "the sender's own copies");
    let sender_time = started.elapsed();
    let timed_out_when_done = hub.metrics().slow_closed_timeout;
    let mut got = Vec::new();
    for reader in readers {
        got.push(reader.await.expect("reader"));
    }
    sampler.abort();

    let stalled = match stalled.as_mut() {
        None => None,
        Some(ws) => {
            let mut messages = 0;
            let mut close = None;
            while let Ok(Some(frame)) =
                tokio::time::timeout(Duration::from_secs(2), ws.next()).await
            {
                match frame {
                    Ok(Message::Text(text))
                        if text.as_str().starts_with(r#"{"type":"message""#) =>
                    {
                        messages += 1;
                    }
                    Ok(Message::Close(frame)) => close = frame.map(|f| u16::from(f.code)),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            Some((messages, close))
        }
    };
    Run {
        readers: got,
        sender: sender_time,
        timed_out_when_done,
        peak_pending: peak.load(Ordering::Relaxed),
        stalled,
        hub,
    }
}

fn report(policy: &str, run: &Run, baseline: Option<&Run>) {
    eprintln!(
        "{policy}: sender {:?} (without the stalled client: {:?}), peak pending {} bytes, \
         the stalled client read {:?}; {:?}",
        run.sender,
        baseline.map(|b| b.sender),
        run.peak_pending,
        run.stalled,
        run.hub.metrics()
    );
}

/// The readers got everything, and pending bytes stayed within the bound of every connection.
fn assert_bounded_and_complete(run: &Run) {
    assert_eq!(run.readers, [MESSAGES; READERS], "messages per reader");
    assert!(
        run.peak_pending <= (READERS + 2) * PER_CONNECTION,
        "peak pending {} bytes",
        run.peak_pending
    );
}

/// The sender (and with it the readers, who get its messages as it does) kept its rate: at most
/// three times as long as without the stalled client, plus a second for a busy machine.
fn assert_kept_rate(run: &Run, baseline: &Run) {
    assert!(
        run.sender <= baseline.sender * 3 + Duration::from_secs(1),
        "{:?} with the stalled client, {:?} without",
        run.sender,
        baseline.sender
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reader_is_closed_and_the_others_keep_their_rate() {
    // A long write timeout: only the bound on pending bytes can find it. The stalled client
    // reads only after the sender is done (seconds on a busy machine): the server waits that
    // long for its close frame to go out, instead of the default 5 s.
    let settings = Settings::default()
        .max_pending_bytes(BOUND)
        .write_timeout(Duration::from_secs(60))
        .close_timeout(Duration::from_secs(120));
    let baseline = run(settings.clone(), false).await;
    let run = run(settings, true).await;
    report("close", &run, Some(&baseline));
    assert_bounded_and_complete(&run);
    assert_kept_rate(&run, &baseline);
    let metrics = run.hub.metrics();
    assert_eq!(metrics.slow_closed_bytes, 1, "{metrics:?}");
    assert_eq!(metrics.slow_closed_timeout + metrics.dropped_messages, 0);
    let (messages, close) = run.stalled.expect("a stalled client");
    assert!(messages < MESSAGES, "the stalled client got {messages}");
    assert_eq!(close, Some(1008), "close code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reader_loses_its_oldest_messages_under_drop_oldest() {
    let settings = Settings::default()
        .max_pending_bytes(BOUND)
        .slow_consumer(SlowConsumer::DropOldest)
        .write_timeout(Duration::from_secs(60));
    let baseline = run(settings.clone(), false).await;
    let run = run(settings, true).await;
    report("drop oldest", &run, Some(&baseline));
    assert_bounded_and_complete(&run);
    assert_kept_rate(&run, &baseline);
    let metrics = run.hub.metrics();
    assert!(metrics.dropped_messages > 0, "{metrics:?}");
    assert_eq!(metrics.slow_closed_bytes + metrics.slow_closed_timeout, 0);
    // It stayed open and, reading again, got every message that was not dropped.
    let (messages, close) = run.stalled.expect("a stalled client");
    assert_eq!(close, None);
    assert_eq!(
        messages as u64 + metrics.dropped_messages,
        MESSAGES as u64,
        "every message was either delivered or dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_waits_for_a_stalled_reader_until_the_write_timeout() {
    // Long enough for the sender to fill the bound before the stalled client's blocked write
    // times out, even on a busy machine (12 MB took 13 s there; with 1 s the write could time
    // out before the sender ever waited).
    let timeout = Duration::from_secs(5);
    let settings = Settings::default()
        .max_pending_bytes(BOUND)
        .slow_consumer(SlowConsumer::BackPressure)
        .write_timeout(timeout)
        .close_timeout(Duration::from_secs(120));
    let run = run(settings, true).await;
    report("back-pressure", &run, None);
    assert_bounded_and_complete(&run);
    let metrics = run.hub.metrics();
    assert!(metrics.backpressure_waits > 0, "{metrics:?}");
    assert_eq!(metrics.slow_closed_timeout, 1, "{metrics:?}");
    assert_eq!(metrics.dropped_messages, 0);
    // The sender waited for the stalled client until its write timed out: it could not have
    // every message back before the stalled client was closed (each publish waits for the one
    // before it, and the bound is reached long before the last message), and so not before the
    // write timeout.
    assert_eq!(
        run.timed_out_when_done, 1,
        "closed before the sender was done"
    );
    assert!(run.sender >= timeout, "{:?}", run.sender);
    let (messages, close) = run.stalled.expect("a stalled client");
    assert!(messages < MESSAGES, "the stalled client got {messages}");
    assert_eq!(close, Some(1008), "close code");
}

/// The server's resident memory while 100 MB go to a room with a client that stopped reading,
/// under drop-oldest (the client stays open all along) and the default 4 MiB bound: it grows
/// by a few MiB, not by the 100 MB that an unbounded queue would keep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_while_a_stalled_reader_stays_open() {
    const MANY: usize = 50_000;
    let settings = Settings::default()
        .slow_consumer(SlowConsumer::DropOldest)
        .write_timeout(Duration::from_secs(120));
    let (addr, hub) = chat_server(settings).await;
    let _stalled = connect_stalled(addr, "memory", 99).await;
    let sender = connect(addr, "memory", 1).await;
    let before = resident_bytes();
    let peak = Arc::new(AtomicUsize::new(before));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(resident_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let pad = " ".repeat(2_000);
    let started = Instant::now();
    let (mut sink, mut stream) = sender.split();
    let (own, ()) = tokio::join!(
        read_messages(&mut stream, MANY, Duration::from_secs(300)),
        send_messages(&mut sink, MANY, &pad),
    );
    sampler.abort();
    let grew = peak.load(Ordering::Relaxed).saturating_sub(before);
    let metrics = hub.metrics();
    eprintln!(
        "memory: {MANY} messages of 2 KB in {:?}; resident memory grew by {} KiB at most; {metrics:?}",
        started.elapsed(),
        grew / 1024
    );
    assert_eq!(own, MANY);
    assert!(metrics.dropped_messages > 40_000, "{metrics:?}");
    assert_eq!(metrics.slow_closed_bytes + metrics.slow_closed_timeout, 0);
    assert!(
        grew < 40 << 20,
        "resident memory grew by {} MiB",
        grew >> 20
    );
}

/// This process's resident set size (Linux).
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| {
            kb.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

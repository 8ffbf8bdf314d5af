//! The burst: 1,000 clients in one room of the chat example (server in this process, raw
//! tokio-tungstenite clients on 127.0.0.1), one of them sends 2,000 messages as fast as it can.
//! With the default settings every client gets all 2,000, in order: 2,000,000 deliveries. (The
//! runtime's old per-connection bound of 1,024 messages closed all 1,000 receivers after about
//! 16,000 deliveries.)

mod load;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use load::{chat_server, connect, read_messages, send_messages};
use socketsundso::Settings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_reaches_every_receiver_with_the_default_settings() {
    const CLIENTS: usize = 1_000;
    const MESSAGES: usize = 2_000;
    let (addr, hub) = chat_server(Settings::default()).await;

    let started = Instant::now();
    let mut clients = Vec::with_capacity(CLIENTS);
    for id in 1..=CLIENTS {
        clients.push(connect(addr, "burst", id).await);
    }
    let connected = started.elapsed();

    // Every client reads on its own task; the first one is also the sender.
    let delivered = Arc::new(AtomicUsize::new(0));
    let sender = clients.remove(0);
    let mut readers = Vec::new();
    for mut ws in clients {
        let delivered = Arc::clone(&delivered);
        readers.push(tokio::spawn(async move {
            let got = read_messages(&mut ws, MESSAGES, Duration::from_secs(240)).await;
            delivered.fetch_add(got, Ordering::Relaxed);
            got
        }));
    }
    let burst = Instant::now();
    let (mut sink, mut stream) = sender.split();
    let (sender_got, ()) = tokio::join!(
        read_messages(&mut stream, MESSAGES, Duration::from_secs(240)),
        send_messages(&mut sink, MESSAGES, ""),
    );
    delivered.fetch_add(sender_got, Ordering::Relaxed);
    let mut short = Vec::new();
    for (i, reader) in readers.into_iter().enumerate() {
        let got = reader.await.expect("reader task");
        if got != MESSAGES {
            short.push((i + 2, got));
        }
    }
    let elapsed = burst.elapsed();
    let total = delivered.load(Ordering::Relaxed);
    eprintln!(
        "burst: {CLIENTS} clients connected in {connected:?}; {total} deliveries in {elapsed:?} \
         ({:.0}/s); {:?}",
        total as f64 / elapsed.as_secs_f64(),
        hub.metrics()
    );
    assert!(
        short.is_empty(),
        "clients that missed messages (id, got): {short:?}"
    );
    assert_eq!(total, CLIENTS * MESSAGES);
    let metrics = hub.metrics();
    assert_eq!(metrics.slow_closed_bytes + metrics.slow_closed_timeout, 0);
    assert_eq!(metrics.dropped_messages, 0);
}

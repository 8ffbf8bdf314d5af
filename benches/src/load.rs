//! The load generator: a minimal WebSocket client over raw TCP, and the scenarios.
//!
//! It is meant to cost little per message, so that what is measured is the server: frames are
//! built by hand into one buffer per connection and written with one `write` per batch, replies
//! are parsed in place (the header, and the `seq` and `ts` numbers found by a byte search), and
//! every connection is a task on one current-thread tokio runtime. Frames are masked with a
//! fixed key (servers cannot tell; the XOR is the same work for them).
//!
//! Every reply is checked: an echo must carry the `seq` of the oldest request still waiting
//! (each connection's requests are answered in order), and a room's events must arrive in the
//! order they were published. A server that answers anything else fails the run.

use std::collections::VecDeque;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The text of every echo and publish. With it an echo is about 65 bytes:
/// `{"type":"echo","seq":12345,"ts":1234567890,"text":"hello, bench"}`.
pub const TEXT: &str = "hello, bench";

/// The room of the fan-out scenarios.
pub const ROOM: &str = "fanout";

/// The mask key of every frame the client sends.
const MASK: [u8; 4] = [0x1b, 0x2c, 0x3d, 0x4e];

/// Nanoseconds since the load generator's clock started (the `ts` of every message).
pub fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn other(message: impl Into<String>) -> io::Error {
    io::Error::other(message.into())
}

/// One WebSocket connection of the load generator.
pub struct Client {
    stream: TcpStream,
    /// Read buffer: bytes `start..end` are received and not yet parsed.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Frames queued by [`Client::queue`], written by [`Client::flush`].
    out: Vec<u8>,
    /// Scratch space for a message's JSON.
    json: Vec<u8>,
}

impl Client {
    /// Connects to `ws://addr/ws` (with `TCP_NODELAY`) and completes the handshake.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut client = Self {
            stream,
            buf: vec![0; 8 * 1024],
            start: 0,
            end: 0,
            out: Vec::with_capacity(256),
            json: Vec::with_capacity(128),
        };
        loop {
            if let Some(at) = find(&client.buf[..client.end], b"\r\n\r\n") {
                let head = &client.buf[..at];
                if !head.starts_with(b"HTTP/1.1 101") {
                    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
                    return Err(other(format!(
                        "handshake refused: {}",
                        String::from_utf8_lossy(line)
                    )));
                }
                client.start = at + 4;
                return Ok(client);
            }
            if client.end == client.buf.len() {
                return Err(other("handshake response too long"));
            }
            let n = client.stream.read(&mut client.buf[client.end..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            client.end += n;
        }
    }

    /// Queues an `echo` message.
    pub fn queue_echo(&mut self, seq: u64, ts: u64) {
        self.json.clear();
        let _ = write!(
            self.json,
            r#"{{"type":"echo","seq":{seq},"ts":{ts},"text":"{TEXT}"}}"#
        );
        encode(&mut self.out, &self.json);
    }

    /// Queues a `publish` message to `room`.
    pub fn queue_publish(&mut self, room: &str, seq: u64, ts: u64) {
        self.json.clear();
        let _ = write!(
            self.json,
            r#"{{"type":"publish","room":"{room}","seq":{seq},"ts":{ts},"text":"{TEXT}"}}"#
        );
        encode(&mut self.out, &self.json);
    }

    /// Queues a `subscribe` message to `room`.
    pub fn queue_subscribe(&mut self, room: &str) {
        self.json.clear();
        let _ = write!(self.json, r#"{{"type":"subscribe","room":"{room}"}}"#);
        encode(&mut self.out, &self.json);
    }

    /// Queues any text message.
    pub fn queue_text(&mut self, text: &str) {
        encode(&mut self.out, text.as_bytes());
    }

    /// Writes what is queued, in one `write_all`.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    /// Waits until at least one whole frame is here, then calls `on_text` with the payload of
    /// every whole text frame received so far. Returns how many there were. A close frame from
    /// the server, or the end of the stream, is an error.
    pub async fn read(&mut self, mut on_text: impl FnMut(&[u8])) -> io::Result<usize> {
        loop {
            let mut count = 0;
            while let Some((header, len, opcode)) = parse(&self.buf[self.start..self.end])? {
                let at = self.start + header;
                match opcode {
                    1 => {
                        on_text(&self.buf[at..at + len]);
                        count += 1;
                    }
                    8 => {
                        let code = self.buf[at..at + len]
                            .get(..2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]));
                        return Err(other(format!(
                            "the server closed the connection (code {code:?}, {:?})",
                            String::from_utf8_lossy(&self.buf[at + 2.min(len)..at + len])
                        )));
                    }
                    _ => {}
                }
                self.start = at + len;
            }
            if count > 0 {
                return Ok(count);
            }
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.end == self.buf.len() {
                if self.start > 0 {
                    self.buf.copy_within(self.start..self.end, 0);
                    self.end -= self.start;
                    self.start = 0;
                } else {
                    let len = self.buf.len();
                    self.buf.resize(len * 2, 0);
                }
            }
            let n = self.stream.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Err(other("the server ended the connection"));
            }
            self.end += n;
        }
    }

    /// Reads frames until one text frame arrives, and returns it.
    pub async fn read_one(&mut self) -> io::Result<String> {
        // Replies are answered in order; the first text frame is the one asked for.
        let mut first = None;
        while first.is_none() {
            self.read(|text| {
                if first.is_none() {
                    first = Some(String::from_utf8_lossy(text).into_owned());
                }
            })
            .await?;
        }
        Ok(first.unwrap_or_default())
    }

    /// Sends a close frame (1000) and drops the connection.
    pub async fn close(mut self) {
        let mut frame = vec![0x88, 0x82];
        frame.extend(MASK);
        frame.extend([0x03 ^ MASK[0], 0xe8 ^ MASK[1]]);
        let _ = self.stream.write_all(&frame).await;
    }
}

/// Appends a masked, final text frame with `payload`.
fn encode(out: &mut Vec<u8>, payload: &[u8]) {
    out.push(0x81);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend((n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend((n as u64).to_be_bytes());
        }
    }
    out.extend(MASK);
    out.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, byte)| byte ^ MASK[i % 4]),
    );
}

/// The header length, payload length and opcode of the whole frame at the start of `bytes`;
/// `None` if it is not all here yet.
fn parse(bytes: &[u8]) -> io::Result<Option<(usize, usize, u8)>> {
    let [b0, b1, ..] = *bytes else {
        return Ok(None);
    };
    if b1 & 0x80 != 0 {
        return Err(other("the server sent a masked frame"));
    }
    if b0 & 0x80 == 0 {
        return Err(other(
            "the server sent a fragmented message (the load generator reads whole frames only)",
        ));
    }
    let (header, len) = match b1 & 0x7f {
        126 => match bytes.get(2..4) {
            Some(n) => (4, usize::from(u16::from_be_bytes([n[0], n[1]]))),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(n) => {
                let mut len = [0; 8];
                len.copy_from_slice(n);
                (
                    10,
                    usize::try_from(u64::from_be_bytes(len)).unwrap_or(usize::MAX),
                )
            }
            None => return Ok(None),
        },
        n => (2, usize::from(n)),
    };
    if bytes.len() - header < len {
        return Ok(None);
    }
    Ok(Some((header, len, b0 & 0x0f)))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The unsigned number after `key` (such as `"seq":`) in a JSON text.
pub fn number_after(text: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(text, key)? + key.len();
    let digits = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

const SEQ: &[u8] = br#""seq":"#;
const TS: &[u8] = br#""ts":"#;

/// The sum of the CPU time the server processes have used.
fn cpu(pids: &[u32]) -> io::Result<Duration> {
    pids.iter().map(|&pid| crate::procfs::cpu_time(pid)).sum()
}

/// Closed-loop or pipelined echo: each of `connections` keeps `window` echoes in flight.
#[derive(Debug, Clone)]
pub struct Echo {
    /// Connections, each on its own task.
    pub connections: usize,
    /// Requests in flight per connection: 1 is closed-loop request/reply.
    pub window: usize,
    /// Run before measuring.
    pub warmup: Duration,
    /// The measured time.
    pub duration: Duration,
}

/// What a scenario measured.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// Messages received by the clients while measuring (replies, or deliveries).
    pub messages: u64,
    /// Messages that should have arrived (deliveries of a fan-out); `messages` for an echo.
    pub expected: u64,
    /// The measured time.
    pub elapsed: Duration,
    /// Each message's latency in ns: from the `ts` it was sent with to its arrival.
    pub latencies: Vec<u64>,
    /// CPU time the server processes used while measuring.
    pub server_cpu: Duration,
    /// CPU time the load generator used meanwhile.
    pub client_cpu: Duration,
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// Runs the echo scenario against `addr`; `pids` are the server's processes.
pub async fn echo(addr: SocketAddr, pids: &[u32], config: &Echo) -> io::Result<Measured> {
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let mut tasks = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        let client = Client::connect(addr).await?;
        tasks.push(tokio::spawn(echo_connection(
            client,
            config.window,
            Arc::clone(&phase),
        )));
    }
    tokio::time::sleep(config.warmup).await;
    let me = [std::process::id()];
    let cpu_before = cpu(pids)?;
    let client_before = cpu(&me)?;
    let started = Instant::now();
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(config.duration).await;
    phase.store(STOP, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let server_cpu = cpu(pids)?.saturating_sub(cpu_before);
    let client_cpu = cpu(&me)?.saturating_sub(client_before);
    let mut latencies = Vec::new();
    for task in tasks {
        let lat = tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .map_err(|_| other("an echo connection did not stop"))?
            .map_err(|e| other(format!("echo task: {e}")))??;
        latencies.extend(lat);
    }
    let messages = latencies.len() as u64;
    Ok(Measured {
        messages,
        expected: messages,
        elapsed,
        latencies,
        server_cpu,
        client_cpu,
    })
}

async fn echo_connection(
    mut client: Client,
    window: usize,
    phase: Arc<AtomicU8>,
) -> io::Result<Vec<u64>> {
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut in_flight: VecDeque<(u64, u64)> = VecDeque::with_capacity(window);
    let mut seq = 0;
    let mut send = |client: &mut Client, in_flight: &mut VecDeque<(u64, u64)>, n: usize| {
        for _ in 0..n {
            let ts = now_ns();
            client.queue_echo(seq, ts);
            in_flight.push_back((seq, ts));
            seq += 1;
        }
    };
    send(&mut client, &mut in_flight, window);
    client.flush().await?;
    loop {
        let mut wrong = None;
        let got = client
            .read(|reply| {
                let now = now_ns();
                match in_flight.pop_front() {
                    Some((seq, ts)) if number_after(reply, SEQ) == Some(seq) => {
                        if phase.load(Ordering::Relaxed) == MEASURE {
                            latencies.push(now - ts);
                        }
                    }
                    expected => {
                        wrong.get_or_insert_with(|| {
                            format!(
                                "expected the echo of {expected:?}, got {}",
                                String::from_utf8_lossy(reply)
                            )
                        });
                    }
                }
            })
            .await?;
        if let Some(wrong) = wrong {
            return Err(other(wrong));
        }
        if phase.load(Ordering::Relaxed) == STOP {
            client.close().await;
            return Ok(latencies);
        }
        send(&mut client, &mut in_flight, got);
        client.flush().await?;
    }
}

/// Idle connections: what each costs the server in resident memory.
#[derive(Debug, Clone)]
pub struct Idle {
    /// Connections open at the first reading.
    pub base: usize,
    /// Connections open at the second reading.
    pub total: usize,
    /// The pause before each reading.
    pub settle: Duration,
}

/// What the idle scenario measured.
#[derive(Debug, Clone, Copy)]
pub struct IdleMeasured {
    /// The server's resident memory with `base` connections, KiB.
    pub rss_base_kib: u64,
    /// With `total` connections.
    pub rss_total_kib: u64,
    /// `(rss_total - rss_base) / (total - base)`.
    pub kib_per_connection: f64,
}

/// Opens `config.total` connections to `addr`, each after one echo round trip, and reads the
/// server's resident memory at `base` and at `total` connections.
pub async fn idle(addr: SocketAddr, pid: u32, config: &Idle) -> io::Result<IdleMeasured> {
    async fn open(addr: SocketAddr, n: usize, clients: &mut Vec<Client>) -> io::Result<()> {
        for _ in 0..n {
            let mut client = Client::connect(addr).await?;
            client.queue_echo(0, now_ns());
            client.flush().await?;
            let reply = client.read_one().await?;
            if number_after(reply.as_bytes(), SEQ) != Some(0) {
                return Err(other(format!("unexpected echo: {reply}")));
            }
            clients.push(client);
        }
        Ok(())
    }
    let mut clients = Vec::with_capacity(config.total);
    open(addr, config.base, &mut clients).await?;
    tokio::time::sleep(config.settle).await;
    let rss_base_kib = crate::procfs::rss_kib(pid)?;
    open(addr, config.total - config.base, &mut clients).await?;
    tokio::time::sleep(config.settle).await;
    let rss_total_kib = crate::procfs::rss_kib(pid)?;
    for client in clients {
        client.close().await;
    }
    Ok(IdleMeasured {
        rss_base_kib,
        rss_total_kib,
        kib_per_connection: (rss_total_kib as f64 - rss_base_kib as f64)
            / (config.total - config.base) as f64,
    })
}

/// A fan-out: `receivers` connections join one room, and one more connection publishes
/// `messages` to it, as fast as it can or at a fixed rate.
#[derive(Debug, Clone)]
pub struct Fanout {
    /// Connections in the room.
    pub receivers: usize,
    /// Messages published.
    pub messages: usize,
    /// Messages per second; `None`: all at once (a burst).
    pub rate: Option<f64>,
    /// The longest the whole fan-out may take.
    pub timeout: Duration,
}

/// Runs a fan-out. Receiver `i` connects to `receiver_addrs[i % len]` (several addresses: the
/// nodes of one room); the publisher to `sender_addr`. `pids` are the server processes whose CPU
/// time counts.
pub async fn fanout(
    receiver_addrs: &[SocketAddr],
    sender_addr: SocketAddr,
    pids: &[u32],
    config: &Fanout,
) -> io::Result<Measured> {
    let mut receivers = Vec::with_capacity(config.receivers);
    for i in 0..config.receivers {
        let mut client = Client::connect(receiver_addrs[i % receiver_addrs.len()]).await?;
        client.queue_subscribe(ROOM);
        client.flush().await?;
        let reply = client.read_one().await?;
        if !reply.contains(r#""type":"subscribed""#) {
            return Err(other(format!("unexpected reply to subscribe: {reply}")));
        }
        receivers.push(client);
    }
    let mut sender = Client::connect(sender_addr).await?;
    // Time for the nodes of a room to see their members (Redis subscriptions).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let deadline = tokio::time::Instant::now() + config.timeout;
    let messages = config.messages as u64;
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|client| tokio::spawn(receive(client, messages, deadline)))
        .collect();
    let me = [std::process::id()];
    let cpu_before = cpu(pids)?;
    let client_before = cpu(&me)?;
    let started = now_ns();
    match config.rate {
        None => {
            for seq in 0..messages {
                sender.queue_publish(ROOM, seq, now_ns());
            }
            sender.flush().await?;
        }
        Some(rate) => {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for seq in 0..messages {
                tick.tick().await;
                sender.queue_publish(ROOM, seq, now_ns());
                sender.flush().await?;
            }
        }
    }
    let mut latencies = Vec::with_capacity(config.receivers * config.messages);
    let mut last = started;
    let mut problems = Vec::new();
    for task in tasks {
        let received = task
            .await
            .map_err(|e| other(format!("receiver task: {e}")))?;
        if let Some(problem) = received.problem {
            problems.push(problem);
        }
        last = last.max(received.last);
        latencies.extend(received.latencies);
    }
    let server_cpu = cpu(pids)?.saturating_sub(cpu_before);
    let client_cpu = cpu(&me)?.saturating_sub(client_before);
    sender.close().await;
    if let Some(problem) = problems.first() {
        return Err(other(format!(
            "{} of {} receivers failed; the first: {problem}",
            problems.len(),
            config.receivers
        )));
    }
    Ok(Measured {
        messages: latencies.len() as u64,
        expected: messages * config.receivers as u64,
        elapsed: Duration::from_nanos(last - started),
        latencies,
        server_cpu,
        client_cpu,
    })
}

struct Received {
    latencies: Vec<u64>,
    /// When the last message arrived.
    last: u64,
    /// Why it stopped early: out of order, closed, or out of time.
    problem: Option<String>,
}

async fn receive(mut client: Client, messages: u64, deadline: tokio::time::Instant) -> Received {
    let mut latencies = Vec::with_capacity(usize::try_from(messages).unwrap_or(0));
    let mut next = 0;
    let mut last = 0;
    let mut problem = None;
    while next < messages && problem.is_none() {
        let read = client.read(|event| {
            let now = now_ns();
            match (number_after(event, SEQ), number_after(event, TS)) {
                (Some(seq), Some(ts)) if seq == next => {
                    latencies.push(now.saturating_sub(ts));
                    last = now;
                    next += 1;
                }
                _ => {
                    problem.get_or_insert_with(|| {
                        format!(
                            "expected event {next}, got {}",
                            String::from_utf8_lossy(event)
                        )
                    });
                }
            }
        });
        match tokio::time::timeout_at(deadline, read).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => problem = Some(format!("after {next} events: {e}")),
            Err(_) => problem = Some(format!("timed out after {next} of {messages} events")),
        }
    }
    client.close().await;
    Received {
        latencies,
        last,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_the_parser() {
        let mut out = Vec::new();
        encode(&mut out, b"hi");
        assert_eq!(out[..2], [0x81, 0x82]);
        assert_eq!(out[6] ^ MASK[0], b'h');
        // A server frame (unmasked) of 300 bytes: extended length.
        let mut frame = vec![0x81, 126, 0x01, 0x2c];
        frame.extend([b'x'; 300]);
        assert_eq!(parse(&frame).unwrap(), Some((4, 300, 1)));
        assert_eq!(parse(&frame[..100]).unwrap(), None);
        assert!(parse(&[0x01, 0x02]).is_err(), "fragment");
    }

    #[test]
    fn numbers_are_found_by_key() {
        let text = br#"{"type":"echo","seq":42,"text":"a","ts":7}"#;
        assert_eq!(number_after(text, SEQ), Some(42));
        assert_eq!(number_after(text, TS), Some(7));
        assert_eq!(number_after(text, br#""nope":"#), None);
    }
}

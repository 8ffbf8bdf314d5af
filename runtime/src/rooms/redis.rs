//! Rooms across processes over Redis pub/sub (feature `redis`).
//!
//! Every node is a [`Hub`](super::Hub) with this backend, on the same Redis and the same prefix
//! (`socketsundso` by default). Each node has a number, taken with `INCR <prefix>:nodes` when
//! it connects, which its connection ids carry in their upper bits. Channels:
//!
//! | channel | carries | published |
//! |---|---|---|
//! | `<prefix>:broadcast` | every broadcast: room and message | once per broadcast; every other node delivers it to its members of the room |
//! | `<prefix>:node:<n>` | messages for node `n`: a `send_to` one of its connections, answers to its questions | once per message |
//! | `<prefix>:query` | "who is in room R?" | once per [`Hub::members`](super::Hub::members) call; each node answers on the asker's channel |
//!
//! The asker knows how many answers to wait for from `PUBLISH`'s count of subscribers, and
//! waits at most [`RedisBuilder::request_timeout`] (1 s by default).
//!
//! **Failures.** Pub/sub delivers at most once. When the connection to Redis is lost:
//! - this node's own rooms keep working: local members still get every broadcast;
//! - what this node publishes while it is disconnected is dropped, not queued: broadcasts and
//!   whispers to other nodes' members, and answers to their questions (counted in
//!   [`Metrics::publish_lost`](super::Metrics::publish_lost) and logged when the outage ends);
//! - what other nodes publish while this node is not subscribed never reaches it;
//! - [`Hub::members`](super::Hub::members) answers for this node alone;
//! - both connections retry with exponential backoff (100 ms doubling up to 5 s) and cross-node
//!   delivery resumes as soon as they are back; each reconnect is counted in
//!   [`Metrics::backend_reconnects`](super::Metrics::backend_reconnects) and logged.
//!
//! The node number is not renewed: a node started after Redis lost its data (no persistence)
//! may get a number that a running node has, and their connection ids would clash. Give Redis
//! persistence, or restart the nodes, when that matters.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt as _;
use redis::aio::{MultiplexedConnection, PubSubStream};
use redis::{AsyncConnectionConfig, Client, Msg};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use super::{Backend, BoxFuture, ConnectionId, LocalRooms, Metrics, SendError};

/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one round of commands may take before the connection counts as lost.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How many messages the publisher sends in one pipeline.
const PIPELINE: usize = 256;

/// Settings of a [`Redis`] backend; [`Redis::builder`] makes one.
#[derive(Debug, Clone)]
pub struct RedisBuilder {
    url: String,
    prefix: String,
    request_timeout: Duration,
    publish_queue: usize,
}

impl RedisBuilder {
    /// The prefix of every key and channel. Default `socketsundso`. Nodes share rooms when they
    /// use the same Redis and the same prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long [`Hub::members`](super::Hub::members) waits for the other nodes' answers.
    /// Default 1 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How many messages may wait to be published. Default 65,536. When Redis cannot keep up,
    /// messages past this are dropped (and counted as lost), so a slow Redis never slows down
    /// local delivery.
    pub fn publish_queue(mut self, messages: usize) -> Self {
        self.publish_queue = messages.max(1);
        self
    }

    /// Connects to Redis, takes a node number and subscribes. Fails when Redis cannot be
    /// reached now; once connected, the backend reconnects by itself.
    pub async fn connect(self) -> std::io::Result<Redis> {
        let client = Client::open(self.url.as_str()).map_err(std::io::Error::other)?;
        let mut conn = connect(&client).await?;
        let n: u64 = redis::cmd("INCR")
            .arg(format!("{}:nodes", self.prefix))
            .query_async(&mut conn)
            .await
            .map_err(std::io::Error::other)?;
        // 21 bits, never 0: ids stay below 2^53 and never look like a single node's.
        let node = u32::try_from((n.saturating_sub(1)) % 0x1f_ffff + 1).unwrap_or(1);
        let channels = Channels::new(&self.prefix, node);
        let stream = subscribe(&client, &channels).await?;
        let (publish, queue) = mpsc::channel(self.publish_queue);
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            node,
            client,
            channels,
            local: OnceLock::new(),
            publish,
            request_timeout: self.request_timeout,
            publisher_up: AtomicBool::new(true),
            subscriber_up: AtomicBool::new(true),
            congested: AtomicBool::new(false),
            reset: tokio::sync::Notify::new(),
            published: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            received: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            queries: Mutex::default(),
            next_query: AtomicU64::new(0),
        });
        tokio::spawn(publisher(Arc::clone(&shared), conn, queue, stopped.clone()));
        tokio::spawn(subscriber(Arc::clone(&shared), stream, stopped));
        tracing::info!(node, prefix = %self.prefix, "connected to Redis");
        Ok(Redis {
            shared,
            _stop: stop,
        })
    }
}

/// The Redis pub/sub backend: rooms across processes (see the [module docs](self)).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use socketsundso::Hub;
/// use socketsundso::rooms::redis::Redis;
///
/// let hub = Hub::with_backend(Redis::connect("redis://127.0.0.1:6379").await?);
/// // Endpoint::new(service).hub(hub) on every node
/// # Ok(()) }
/// ```
///
/// Dropping it (with the hub that owns it) stops its tasks.
pub struct Redis {
    shared: Arc<Shared>,
    /// Dropped with the backend: the tasks see it and end.
    _stop: watch::Sender<()>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("node", &self.shared.node)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects with the default settings (see [`RedisBuilder`]).
    pub async fn connect(url: &str) -> std::io::Result<Self> {
        Self::builder(url).connect().await
    }

    /// Settings for a backend on the Redis at `url` (`redis://host:port/db`, with
    /// `redis://:password@host` or `redis://user:password@host` for authentication).
    pub fn builder(url: &str) -> RedisBuilder {
        RedisBuilder {
            url: url.to_owned(),
            prefix: "socketsundso".to_owned(),
            request_timeout: Duration::from_secs(1),
            publish_queue: 65_536,
        }
    }

    /// Whether both connections to Redis (publishing and subscribed) are up now.
    pub fn is_connected(&self) -> bool {
        self.shared.publisher_up.load(Ordering::Relaxed)
            && self.shared.subscriber_up.load(Ordering::Relaxed)
    }
}

impl Backend for Redis {
    fn node(&self) -> u32 {
        self.shared.node
    }

    fn attach(&self, local: LocalRooms) {
        let _ = self.shared.local.set(local);
    }

    fn publish(&self, room: &str, text: &Utf8Bytes) {
        let shared = &self.shared;
        let mut payload = envelope(BROADCAST, shared.node, 4 + room.len() + text.len());
        put_str(&mut payload, room);
        payload.extend_from_slice(text.as_bytes());
        shared.enqueue(Channel::Broadcast, payload, None);
    }

    fn send_to(&self, id: ConnectionId, text: &Utf8Bytes) -> Result<(), SendError> {
        let shared = &self.shared;
        let mut payload = envelope(DIRECT, shared.node, 8 + text.len());
        payload.extend_from_slice(&id.get().to_be_bytes());
        payload.extend_from_slice(text.as_bytes());
        if shared.enqueue(Channel::Node(id.node()), payload, None) {
            Ok(())
        } else {
            Err(SendError::Unreachable)
        }
    }

    fn remote_members<'a>(&'a self, room: &'a str) -> BoxFuture<'a, Vec<ConnectionId>> {
        Box::pin(self.shared.ask_members(room))
    }

    fn metrics(&self, metrics: &mut Metrics) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let shared = &self.shared;
        metrics.published = get(&shared.published);
        metrics.publish_lost = get(&shared.lost);
        metrics.received = get(&shared.received);
        metrics.backend_reconnects = get(&shared.reconnects);
    }
}

// ---------------------------------------------------------------- the wire between nodes

/// Envelope kinds: the first byte of every payload, followed by the sender's node (4 bytes).
const BROADCAST: u8 = b'B';
const DIRECT: u8 = b'D';
const QUERY: u8 = b'Q';
const ANSWER: u8 = b'A';

fn envelope(kind: u8, node: u32, rest: usize) -> Vec<u8> {
    let mut payload = Vec::with_capacity(5 + rest);
    payload.push(kind);
    payload.extend_from_slice(&node.to_be_bytes());
    payload
}

fn put_str(payload: &mut Vec<u8>, s: &str) {
    payload.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
    payload.extend_from_slice(s.as_bytes());
}

/// Reads a payload front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.bytes(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.u32()?).ok()?;
        std::str::from_utf8(self.bytes(n)?).ok()
    }

    fn text(self) -> Option<Utf8Bytes> {
        Utf8Bytes::try_from(Bytes::copy_from_slice(self.0)).ok()
    }
}

// ---------------------------------------------------------------- state and tasks

#[derive(Debug, Clone, Copy)]
enum Channel {
    Broadcast,
    Query,
    Node(u32),
}

struct Channels {
    prefix: String,
    broadcast: String,
    query: String,
    own: String,
}

impl Channels {
    fn new(prefix: &str, node: u32) -> Self {
        Self {
            prefix: prefix.to_owned(),
            broadcast: format!("{prefix}:broadcast"),
            query: format!("{prefix}:query"),
            own: format!("{prefix}:node:{node}"),
        }
    }

    fn name(&self, channel: Channel) -> std::borrow::Cow<'_, str> {
        match channel {
            Channel::Broadcast => self.broadcast.as_str().into(),
            Channel::Query => self.query.as_str().into(),
            Channel::Node(n) => format!("{}:node:{n}", self.prefix).into(),
        }
    }
}

struct Publish {
    channel: Channel,
    payload: Vec<u8>,
    /// Gets the number of subscribers that received it.
    receivers: Option<oneshot::Sender<usize>>,
}

#[derive(Default)]
struct Query {
    /// How many nodes will answer, once known.
    expected: Option<usize>,
    answered: usize,
    members: Vec<ConnectionId>,
    done: Option<oneshot::Sender<()>>,
}

impl Query {
    fn finish_if_complete(&mut self) {
        if self
            .expected
            .is_some_and(|expected| self.answered >= expected)
            && let Some(done) = self.done.take()
        {
            let _ = done.send(());
        }
    }
}

struct Shared {
    node: u32,
    client: Client,
    channels: Channels,
    local: OnceLock<LocalRooms>,
    publish: mpsc::Sender<Publish>,
    request_timeout: Duration,
    publisher_up: AtomicBool,
    subscriber_up: AtomicBool,
    /// The publish queue was full (logged once until it drains).
    congested: AtomicBool,
    /// The subscription was lost: the publishing connection (to the same Redis) is most likely
    /// gone too, so the publisher reconnects instead of losing its next messages to it.
    reset: tokio::sync::Notify,
    published: AtomicU64,
    lost: AtomicU64,
    received: AtomicU64,
    reconnects: AtomicU64,
    queries: Mutex<HashMap<u64, Query>>,
    next_query: AtomicU64,
}

impl Shared {
    /// Queues a message for the publisher; false (and counted as lost) when Redis is down or
    /// the queue is full.
    fn enqueue(
        &self,
        channel: Channel,
        payload: Vec<u8>,
        receivers: Option<oneshot::Sender<usize>>,
    ) -> bool {
        if !self.publisher_up.load(Ordering::Relaxed) {
            self.lost.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let item = Publish {
            channel,
            payload,
            receivers,
        };
        match self.publish.try_send(item) {
            Ok(()) => true,
            Err(_) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                if !self.congested.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        node = self.node,
                        "Redis does not keep up: messages for other nodes are dropped"
                    );
                }
                false
            }
        }
    }

    fn queries(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Query>> {
        self.queries.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn ask_members(&self, room: &str) -> Vec<ConnectionId> {
        if !self.publisher_up.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let id = self.next_query.fetch_add(1, Ordering::Relaxed);
        let (done, finished) = oneshot::channel();
        self.queries().insert(
            id,
            Query {
                done: Some(done),
                ..Query::default()
            },
        );
        let mut payload = envelope(QUERY, self.node, 12 + room.len());
        payload.extend_from_slice(&id.to_be_bytes());
        put_str(&mut payload, room);
        let (count, receivers) = oneshot::channel();
        let deadline = Instant::now() + self.request_timeout;
        if self.enqueue(Channel::Query, payload, Some(count))
            && let Ok(Ok(receivers)) = timeout_at(deadline, receivers).await
        {
            // This node's own subscription got the question too; it does not answer.
            let own = usize::from(self.subscriber_up.load(Ordering::Relaxed));
            if let Some(query) = self.queries().get_mut(&id) {
                query.expected = Some(receivers.saturating_sub(own));
                query.finish_if_complete();
            }
            if timeout_at(deadline, finished).await.is_err() {
                tracing::warn!(node = self.node, room, "not every node answered in time");
            }
        }
        self.queries()
            .remove(&id)
            .map(|query| query.members)
            .unwrap_or_default()
    }

    /// One message from Redis.
    fn receive(&self, message: &Msg) {
        let mut reader = Reader(message.get_payload_bytes());
        let (Some(kind), Some(origin)) = (reader.u8(), reader.u32()) else {
            tracing::debug!(node = self.node, "ignoring a malformed message from Redis");
            return;
        };
        if origin == self.node {
            return;
        }
        let Some(local) = self.local.get() else {
            return;
        };
        self.received.fetch_add(1, Ordering::Relaxed);
        match kind {
            BROADCAST => {
                if let Some(room) = reader.str()
                    && let Some(text) = reader.text()
                {
                    local.deliver(room, &text);
                }
            }
            DIRECT => {
                if let Some(id) = reader.u64()
                    && let Some(text) = reader.text()
                    && let Err(e) = local.deliver_to(ConnectionId::new(id), text)
                {
                    tracing::debug!(connection = id, error = %e, "a message from another node was not delivered");
                }
            }
            QUERY => {
                if let Some(id) = reader.u64()
                    && let Some(room) = reader.str()
                {
                    let members = local.members(room);
                    let mut payload = envelope(ANSWER, self.node, 12 + 8 * members.len());
                    payload.extend_from_slice(&id.to_be_bytes());
                    payload.extend_from_slice(
                        &u32::try_from(members.len())
                            .unwrap_or(u32::MAX)
                            .to_be_bytes(),
                    );
                    for member in members {
                        payload.extend_from_slice(&member.get().to_be_bytes());
                    }
                    self.enqueue(Channel::Node(origin), payload, None);
                }
            }
            ANSWER => {
                let Some(id) = reader.u64() else { return };
                let Some(count) = reader.u32() else { return };
                let mut queries = self.queries();
                let Some(query) = queries.get_mut(&id) else {
                    return;
                };
                query.answered += 1;
                for _ in 0..count {
                    match reader.u64() {
                        Some(member) => query.members.push(ConnectionId::new(member)),
                        None => break,
                    }
                }
                query.finish_if_complete();
            }
            _ => tracing::debug!(
                node = self.node,
                kind,
                "ignoring an unknown message from Redis"
            ),
        }
    }
}

async fn connect(client: &Client) -> std::io::Result<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(std::io::Error::other)
}

async fn subscribe(client: &Client, channels: &Channels) -> std::io::Result<PubSubStream> {
    let subscribing = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub
            .subscribe(&[&channels.broadcast, &channels.query, &channels.own])
            .await?;
        Ok::<_, redis::RedisError>(pubsub.into_on_message())
    };
    match timeout(CONNECT_TIMEOUT, subscribing).await {
        Ok(result) => result.map_err(std::io::Error::other),
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "subscribing to Redis timed out",
        )),
    }
}

/// Publishes what the hub queues, in pipelines; reconnects with backoff when Redis is gone and
/// drops (and counts) what is queued meanwhile.
async fn publisher(
    shared: Arc<Shared>,
    conn: MultiplexedConnection,
    mut queue: mpsc::Receiver<Publish>,
    mut stop: watch::Receiver<()>,
) {
    let mut conn = Some(conn);
    let mut batch = Vec::with_capacity(PIPELINE);
    let mut backoff = MIN_BACKOFF;
    let mut retry_at = Instant::now();
    let mut lost_before = 0;
    loop {
        match conn.as_mut() {
            Some(c) => {
                tokio::select! {
                    n = queue.recv_many(&mut batch, PIPELINE) => if n == 0 { return },
                    () = shared.reset.notified() => {
                        shared.publisher_up.store(false, Ordering::Relaxed);
                        lost_before = shared.lost.load(Ordering::Relaxed);
                        tracing::warn!(
                            node = shared.node,
                            "lost the connection to Redis: messages for other nodes are dropped until it is back"
                        );
                        conn = None;
                        backoff = MIN_BACKOFF;
                        retry_at = Instant::now() + backoff;
                        continue;
                    }
                    _ = stop.changed() => return,
                }
                let mut pipe = redis::pipe();
                for item in &batch {
                    pipe.publish(
                        shared.channels.name(item.channel).as_ref(),
                        &item.payload[..],
                    );
                }
                match pipe.query_async::<Vec<usize>>(c).await {
                    Ok(counts) => {
                        shared
                            .published
                            .fetch_add(batch.len() as u64, Ordering::Relaxed);
                        for (item, count) in batch.drain(..).zip(counts) {
                            if let Some(receivers) = item.receivers {
                                let _ = receivers.send(count);
                            }
                        }
                        shared.congested.store(false, Ordering::Relaxed);
                    }
                    Err(e) => {
                        shared.publisher_up.store(false, Ordering::Relaxed);
                        lost_before = shared.lost.load(Ordering::Relaxed);
                        shared.lost.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        batch.clear();
                        tracing::warn!(
                            node = shared.node,
                            error = %e,
                            "lost the connection to Redis: messages for other nodes are dropped until it is back"
                        );
                        conn = None;
                        backoff = MIN_BACKOFF;
                        retry_at = Instant::now() + backoff;
                    }
                }
            }
            None => {
                tokio::select! {
                    () = sleep_until(retry_at) => {}
                    n = queue.recv_many(&mut batch, PIPELINE) => {
                        if n == 0 { return }
                        shared.lost.fetch_add(n as u64, Ordering::Relaxed);
                        batch.clear();
                        continue;
                    }
                    _ = stop.changed() => return,
                }
                match connect(&shared.client).await {
                    Ok(c) => {
                        conn = Some(c);
                        shared.publisher_up.store(true, Ordering::Relaxed);
                        shared.reconnects.fetch_add(1, Ordering::Relaxed);
                        let lost = shared.lost.load(Ordering::Relaxed) - lost_before;
                        tracing::info!(
                            node = shared.node,
                            lost,
                            "reconnected to Redis for publishing; messages for other nodes lost meanwhile: {lost}"
                        );
                    }
                    Err(e) => {
                        tracing::debug!(node = shared.node, error = %e, ?backoff, "Redis is still unreachable");
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        retry_at = Instant::now() + backoff;
                    }
                }
            }
        }
    }
}

/// Delivers what other nodes publish; resubscribes with backoff when the subscription is lost.
async fn subscriber(shared: Arc<Shared>, stream: PubSubStream, mut stop: watch::Receiver<()>) {
    let mut stream = Some(stream);
    let mut backoff = MIN_BACKOFF;
    loop {
        if let Some(mut messages) = stream.take() {
            shared.subscriber_up.store(true, Ordering::Relaxed);
            loop {
                tokio::select! {
                    message = messages.next() => match message {
                        Some(message) => shared.receive(&message),
                        None => break,
                    },
                    _ = stop.changed() => return,
                }
            }
            shared.subscriber_up.store(false, Ordering::Relaxed);
            shared.reset.notify_waiters();
            tracing::warn!(
                node = shared.node,
                "lost the Redis subscription: messages from other nodes are lost until it is back"
            );
            backoff = MIN_BACKOFF;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        match subscribe(&shared.client, &shared.channels).await {
            Ok(messages) => {
                shared.reconnects.fetch_add(1, Ordering::Relaxed);
                tracing::info!(node = shared.node, "resubscribed to Redis");
                stream = Some(messages);
            }
            Err(e) => {
                tracing::debug!(node = shared.node, error = %e, ?backoff, "Redis is still unreachable");
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_read_back() {
        let mut payload = envelope(BROADCAST, 7, 0);
        put_str(&mut payload, "lobby");
        payload.extend_from_slice(br#"{"type":"x"}"#);
        let mut reader = Reader(&payload);
        assert_eq!(reader.u8(), Some(BROADCAST));
        assert_eq!(reader.u32(), Some(7));
        assert_eq!(reader.str(), Some("lobby"));
        assert_eq!(reader.text().as_deref(), Some(r#"{"type":"x"}"#));
        let mut short = Reader(&payload[..7]);
        short.u8();
        short.u32();
        assert_eq!(short.str(), None);
    }

    #[test]
    fn channel_names() {
        let channels = Channels::new("app", 3);
        assert_eq!(channels.name(Channel::Broadcast), "app:broadcast");
        assert_eq!(channels.name(Channel::Query), "app:query");
        assert_eq!(channels.name(Channel::Node(4)), "app:node:4");
        assert_eq!(channels.own, "app:node:3");
    }
}

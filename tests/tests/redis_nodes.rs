//! Rooms across processes: two chat server processes (`target/debug/chat --redis URL`) on one
//! real `redis-server`, started by the test on 127.0.0.1 with a free port, and clients on both.
//!
//! - joins, messages, whispers and leaves cross nodes; a client id taken on one node is refused
//!   on the other;
//! - Redis killed mid-test: each node's own rooms keep working; Redis restarted on the same
//!   port: cross-node traffic resumes by itself.
//!
//! `redis-server` must be installed (`./scripts/test` installs it with apt-get). Without it these
//! tests fail under CI (`CI` set) and are skipped, with a message, elsewhere.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, WAIT, assert_error, url};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

// ------------------------------------------------------------------ redis-server

/// A `redis-server` on 127.0.0.1, without persistence; killed when dropped.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

/// The `redis-server` binary, or `None` (after saying why) when it is not installed and this is
/// not CI.
fn redis_server_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|path| path.is_file());
    if found.is_none() {
        let message = "redis-server is not installed: `apt-get install redis-server`, or run \
                       ./scripts/test, which installs it";
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        eprintln!("SKIPPED: {message}");
    }
    found
}

impl RedisServer {
    async fn start() -> Option<Self> {
        let binary = redis_server_binary()?;
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            listener.local_addr().expect("local address").port()
        };
        let mut server = Self { port, child: None };
        server.spawn(&binary).await;
        Some(server)
    }

    async fn spawn(&mut self, binary: &PathBuf) {
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "redis-server does not listen on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it the hard way (SIGKILL), as a crash would.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill redis-server");
        }
    }

    /// Starts it again on the same port.
    async fn restart(&mut self) {
        let binary = redis_server_binary().expect("redis-server was there a moment ago");
        self.spawn(&binary).await;
    }
}

// ------------------------------------------------------------------ chat nodes

/// `target/debug/chat`, next to the `deps` directory that holds this test executable.
fn chat_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable is in a directory");
    let profile = if deps.ends_with("deps") {
        deps.parent().expect("deps has a parent")
    } else {
        deps
    };
    let binary = profile.join(format!("chat{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: build the chat example first with `cargo build -p example-chat`",
        binary.display()
    );
    binary
}

/// A chat server that is one node on a Redis: a process (killed when dropped), or a server in
/// this process.
struct Node {
    addr: SocketAddr,
    _child: Option<Child>,
}

impl Node {
    async fn start(name: &'static str, redis: &str) -> Self {
        let mut child = Command::new(chat_binary())
            .args(["--listen", "127.0.0.1:0", "--redis", redis])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the chat binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr: SocketAddr = tokio::time::timeout(WAIT, async {
            loop {
                let Some(line) = lines.next_line().await.expect("reading stdout") else {
                    panic!("node {name} exited without logging its address");
                };
                eprintln!("[node {name}] {line}");
                if let Some((_, rest)) = line.split_once("listening on ws://") {
                    let addr = rest.split('/').next().unwrap_or_default();
                    break addr.parse().expect("an address");
                }
            }
        })
        .await
        .expect("the chat binary logs `listening on ws://…` within 5 s");
        // Keep reading its log, so that it never blocks on a full pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[node {name}] {line}");
            }
        });
        Self {
            addr,
            _child: Some(child),
        }
    }
}

async fn two_nodes() -> Option<(RedisServer, Node, Node)> {
    let redis = RedisServer::start().await?;
    let a = Node::start("A", &redis.url()).await;
    let b = Node::start("B", &redis.url()).await;
    Some((redis, a, b))
}

// ------------------------------------------------------------------ the chat protocol

async fn join(node: &Node, room: &str, id: i64) -> Client {
    let mut client = Client::connect(&url(node.addr, &format!("/room/{room}/{id}"))).await;
    assert_eq!(
        client.recv_json().await,
        join_of(id),
        "{room}/{id}: own join"
    );
    client
}

fn join_of(id: i64) -> Value {
    json!({"type": "join", "client_id": id})
}

fn leave_of(id: i64) -> Value {
    json!({"type": "leave", "client_id": id})
}

fn said(sender: i64, msg: &str) -> Value {
    json!({"type": "message", "sender": sender, "msg": msg})
}

fn whispered(from: i64, msg: &str) -> Value {
    json!({"type": "whisper", "from": from, "msg": msg})
}

async fn say(client: &mut Client, msg: &str) {
    client
        .send_json(&json!({"type": "message", "msg": msg}))
        .await;
}

async fn whisper(client: &mut Client, to: i64, msg: &str) {
    client
        .send_json(&json!({"type": "whisper", "to": to, "msg": msg}))
        .await;
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_two_nodes_share_a_room() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut one = join(&a, "r", 1).await;
    let mut two = join(&b, "r", 2).await;
    assert_eq!(one.recv_json().await, join_of(2), "a join crosses nodes");

    say(&mut one, "hello from A").await;
    assert_eq!(one.recv_json().await, said(1, "hello from A"));
    assert_eq!(two.recv_json().await, said(1, "hello from A"));
    say(&mut two, "hello from B").await;
    assert_eq!(two.recv_json().await, said(2, "hello from B"));
    assert_eq!(one.recv_json().await, said(2, "hello from B"));

    // whispers find their recipient on the other node, and only it
    whisper(&mut two, 1, "psst, A").await;
    assert_eq!(one.recv_json().await, whispered(2, "psst, A"));
    whisper(&mut one, 2, "psst, B").await;
    assert_eq!(two.recv_json().await, whispered(1, "psst, B"));
    whisper(&mut one, 99, "anyone?").await;
    let errors = assert_error(&one.recv_json().await, "validation_failed");
    assert_eq!(errors[0]["path"], "/to");
    one.assert_silent().await;
    two.assert_silent().await;

    // a client id taken on node A is refused on node B
    let mut again = Client::connect(&url(b.addr, "/room/r/1")).await;
    let close = again.recv_close().await;
    assert_eq!(
        close.as_ref().map(|(code, _)| *code),
        Some(1008),
        "{close:?}"
    );

    // another room on the same nodes hears nothing of this one
    let mut other = join(&b, "elsewhere", 1).await;

    // a third client comes and goes on node B: both others hear it
    let three = join(&b, "r", 3).await;
    assert_eq!(one.recv_json().await, join_of(3));
    assert_eq!(two.recv_json().await, join_of(3));
    three.close().await;
    assert_eq!(one.recv_json().await, leave_of(3));
    assert_eq!(two.recv_json().await, leave_of(3));

    // and a client on node A leaves: node B hears it
    one.close().await;
    assert_eq!(two.recv_json().await, leave_of(1));
    two.assert_silent().await;
    other.assert_silent().await;
}

/// Sends `probe N` from `from` every 100 ms until `to` hears one; returns how long it took.
/// Everything else that `to` receives meanwhile must be one of those probes too.
async fn until_heard(
    from: &mut Client,
    from_id: i64,
    to: &mut Client,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    let mut n = 0;
    loop {
        assert!(
            started.elapsed() < limit,
            "cross-node traffic did not resume within {limit:?}"
        );
        let probe = format!("probe {n}");
        say(from, &probe).await;
        assert_eq!(from.recv_json().await, said(from_id, &probe));
        n += 1;
        if let Ok(got) = tokio::time::timeout(
            Duration::from_millis(100),
            to.recv_json_within(Duration::from_secs(60)),
        )
        .await
        {
            assert_eq!(got["type"], "message", "{got}");
            assert_eq!(got["sender"], from_id, "{got}");
            // Probes sent before this one may still arrive: skip them.
            while let Ok(late) =
                tokio::time::timeout(Duration::from_millis(300), to.recv_json_within(WAIT)).await
            {
                assert_eq!(late["type"], "message", "{late}");
            }
            return started.elapsed();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_chat() {
    let Some((mut redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut one = join(&a, "r", 1).await;
    let mut three = join(&a, "r", 3).await;
    assert_eq!(one.recv_json().await, join_of(3));
    let mut two = join(&b, "r", 2).await;
    assert_eq!(one.recv_json().await, join_of(2));
    assert_eq!(three.recv_json().await, join_of(2));
    say(&mut two, "before").await;
    for client in [&mut one, &mut two, &mut three] {
        assert_eq!(client.recv_json().await, said(2, "before"));
    }

    redis.kill().await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Node A's own room goes on: messages and whispers between its clients.
    say(&mut one, "during the outage").await;
    assert_eq!(one.recv_json().await, said(1, "during the outage"));
    assert_eq!(three.recv_json().await, said(1, "during the outage"));
    whisper(&mut three, 1, "still here").await;
    assert_eq!(one.recv_json().await, whispered(3, "still here"));
    // So does node B's: its client hears itself.
    say(&mut two, "alone on B").await;
    assert_eq!(two.recv_json().await, said(2, "alone on B"));
    // What crosses nodes is lost meanwhile (pub/sub is at-most-once), and a whisper to a client
    // on the other node cannot find it.
    whisper(&mut one, 2, "lost").await;
    let errors = assert_error(&one.recv_json().await, "validation_failed");
    assert_eq!(errors[0]["path"], "/to");
    two.assert_silent().await;
    three.assert_silent().await;

    redis.restart().await;
    let took = until_heard(&mut one, 1, &mut two, Duration::from_secs(20)).await;
    eprintln!("cross-node delivery resumed {took:?} after Redis came back");
    // the other direction too (node A may resubscribe later than node B publishes)
    until_heard(&mut two, 2, &mut one, Duration::from_secs(20)).await;
    // three heard every probe of both, in order per sender: drain it
    while let Ok(got) =
        tokio::time::timeout(Duration::from_millis(300), three.recv_json_within(WAIT)).await
    {
        assert_eq!(got["type"], "message", "{got}");
    }

    // Everything works across nodes again.
    say(&mut two, "after").await;
    for client in [&mut one, &mut two, &mut three] {
        assert_eq!(client.recv_json().await, said(2, "after"));
    }
    whisper(&mut one, 2, "found you").await;
    assert_eq!(two.recv_json().await, whispered(1, "found you"));
    two.close().await;
    assert_eq!(one.recv_json().await, leave_of(2));
    assert_eq!(three.recv_json().await, leave_of(2));
}

/// The same backend in this process (two hubs on one Redis, each serving the chat), to look at
/// what the hubs answer and count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_answer_for_every_node_and_count_what_crosses() {
    // `socketsundso/redis` is on: example-chat, a dev-dependency, enables it.
    use socketsundso::Hub;
    use socketsundso::rooms::redis::Redis;

    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let hub_a = Hub::with_backend(Redis::connect(&redis.url()).await.expect("node A"));
    let hub_b = Hub::with_backend(Redis::connect(&redis.url()).await.expect("node B"));
    assert_ne!(hub_a.node(), hub_b.node());
    let a = Node {
        addr: support::serve(chat_example::app_with_hub(hub_a.clone())).await,
        _child: None,
    };
    let b = Node {
        addr: support::serve(chat_example::app_with_hub(hub_b.clone())).await,
        _child: None,
    };
    let mut one = join(&a, "r", 1).await;
    let mut two = join(&b, "r", 2).await;
    assert_eq!(one.recv_json().await, join_of(2));

    // membership: this node's, and every node's
    let (on_a, on_b) = (hub_a.room_members("room:r"), hub_b.room_members("room:r"));
    assert_eq!((on_a.len(), on_b.len()), (1, 1));
    assert_eq!(on_a[0].node(), hub_a.node());
    let mut everyone = [on_a[0], on_b[0]];
    everyone.sort();
    assert_eq!(hub_a.members("room:r").await, everyone);
    assert_eq!(hub_b.members("room:r").await, everyone);

    say(&mut one, "counted").await;
    assert_eq!(two.recv_json().await, said(1, "counted"));
    assert_eq!(one.recv_json().await, said(1, "counted"));
    let (ma, mb) = (hub_a.metrics(), hub_b.metrics());
    assert!(ma.published >= 1 && mb.received >= 1, "{ma:?} {mb:?}");
    assert_eq!(ma.publish_lost + mb.publish_lost, 0);

    // An outage: what node A publishes meanwhile is lost and counted; both reconnect.
    redis.kill().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    say(&mut one, "lost").await;
    assert_eq!(one.recv_json().await, said(1, "lost"));
    say(&mut one, "lost too").await;
    assert_eq!(one.recv_json().await, said(1, "lost too"));
    two.assert_silent().await;
    assert!(hub_a.metrics().publish_lost >= 1, "{:?}", hub_a.metrics());
    assert_eq!(hub_a.members("room:r").await, [on_a[0]], "node A alone");
    redis.restart().await;
    until_heard(&mut one, 1, &mut two, Duration::from_secs(20)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while hub_a.metrics().backend_reconnects < 2 || hub_b.metrics().backend_reconnects < 2 {
        assert!(
            Instant::now() < deadline,
            "{:?} {:?}",
            hub_a.metrics(),
            hub_b.metrics()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

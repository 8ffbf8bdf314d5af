//! The example binaries as a user runs them: the chat server asks for a token in the query
//! string when started with `--token`, and SIGTERM (like Ctrl-C) shuts both servers down
//! gracefully: every client gets close code 1001, and the process exits with status 0.

mod raw;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use raw::{Frame, Next, Raw, TEXT, describe};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// `target/debug/<name>`, next to the `deps` directory that holds this test executable.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable is in a directory");
    let profile = if deps.ends_with("deps") {
        deps.parent().expect("deps has a parent")
    } else {
        deps
    };
    let binary = profile.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: build the examples first with `cargo build -p example-chat -p example-basics`",
        binary.display()
    );
    binary
}

/// A running example server and its log.
struct Server {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    addr: SocketAddr,
}

async fn start(name: &str, args: &[&str]) -> Server {
    let mut child = Command::new(binary(name))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the example starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let addr = tokio::time::timeout(raw::WAIT, async {
        loop {
            let line = lines
                .next_line()
                .await
                .expect("reading stdout")
                .expect("the example exited before it logged its address");
            if let Some((_, rest)) = line.split_once("listening on ws://") {
                let addr = rest.split('/').next().unwrap_or_default();
                break addr.parse().expect("an address");
            }
        }
    })
    .await
    .expect("the example logs its address within 5 s");
    Server { child, lines, addr }
}

impl Server {
    /// Sends SIGTERM; waits for the exit status and the log lines after it.
    async fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>, Duration) {
        let pid = self.child.id().expect("the example runs");
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("a pid"))
            .expect("a pid above 0");
        let started = Instant::now();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the example exits after SIGTERM")
            .expect("its status");
        let took = started.elapsed();
        let mut log = Vec::new();
        while let Ok(Some(line)) = self.lines.next_line().await {
            log.push(line);
        }
        (status, log, took)
    }
}

/// Reads up to the close frame: the JSON texts before it, and its code and reason.
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
            other => panic!("expected text or a close frame, got {}", describe(&other)),
        }
    }
}

#[tokio::test]
async fn the_chat_asks_for_tokens_and_shuts_down_on_sigterm() {
    let server = start(
        "chat",
        &[
            "--token",
            "s3cret-7=7",
            "--token",
            "s3cret-8=8",
            "--shutdown-timeout",
            "5",
        ],
    )
    .await;
    let addr = server.addr;

    // No token, an unknown one, another client's: no upgrade.
    for (path, status, body) in [
        ("/room/lobby/7", 401, "a token is required: add ?token=..."),
        ("/room/lobby/7?token=guess", 401, "unknown token"),
        (
            "/room/lobby/7?token=s3cret-8",
            403,
            "this token is client 8's",
        ),
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
    // Each client with its own token.
    let mut seven = Raw::connect(addr, "/room/lobby/7?token=s3cret-7").await;
    assert_eq!(seven.json().await, json!({"type":"join","client_id":7}));
    let mut eight = Raw::connect(addr, "/room/lobby/8?token=s3cret-8").await;
    assert_eq!(eight.json().await, json!({"type":"join","client_id":8}));
    assert_eq!(seven.json().await, json!({"type":"join","client_id":8}));
    seven
        .text(r#"{"type":"whisper","to":8,"msg":"before the end"}"#)
        .await;
    assert_eq!(
        eight.json().await,
        json!({"type":"whisper","from":7,"msg":"before the end"})
    );

    // SIGTERM: both get 1001; each answers the close; the process exits with status 0.
    let terminate = tokio::spawn(server.terminate());
    for c in [&mut seven, &mut eight] {
        let (texts, close) = until_close(c).await;
        assert_eq!(
            close,
            (1001, "server shutting down".to_owned()),
            "{texts:?}"
        );
        // Whatever came before is a leave of the other client (its on_disconnect ran first).
        assert!(texts.iter().all(|t| t["type"] == "leave"), "{texts:?}");
        c.send_close(1001).await;
        c.ended().await;
    }
    let (status, log, took) = terminate.await.expect("the terminate task");
    assert!(status.success(), "{status}; log: {log:#?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("chat example stopped: 2 connection(s) closed")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn the_basics_server_shuts_down_on_sigterm() {
    let server = start("basics", &[]).await;
    let mut c = Raw::connect(server.addr, "/").await;
    c.text(r#"{"type":"message","msg":"hi"}"#).await;
    assert_eq!(c.json().await, json!({"type":"reply","msg":"hi"}));
    let terminate = tokio::spawn(server.terminate());
    let (texts, close) = until_close(&mut c).await;
    assert!(texts.is_empty(), "{texts:?}");
    assert_eq!(close, (1001, "server shutting down".to_owned()));
    c.send_close(1001).await;
    c.ended().await;
    let (status, log, _) = terminate.await.expect("the terminate task");
    assert!(status.success(), "{status}; log: {log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("basics example stopped: 1 connection(s) closed")),
        "{log:#?}"
    );
}

//! The benchmarks must not rot: `./scripts/test` builds this crate and runs these two tests.
//! They check that the servers and the load generator work, never how fast (figures come from
//! `scripts/bench`, in a release build).

use std::process::Command;

use socketsundso_benches::load::Client;
use socketsundso_benches::servers::{self, Kind};

/// What one client sees of a short exchange with `kind`: an echo, a subscribe, and a publish
/// that both members of the room get.
async fn transcript(kind: Kind) -> Vec<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { servers::serve(kind, listener, None).await });
    let mut a = Client::connect(addr).await.unwrap();
    let mut b = Client::connect(addr).await.unwrap();
    let mut seen = Vec::new();
    a.queue_echo(1, 2);
    a.flush().await.unwrap();
    seen.push(a.read_one().await.unwrap());
    for client in [&mut a, &mut b] {
        client.queue_subscribe("r");
        client.flush().await.unwrap();
        seen.push(client.read_one().await.unwrap());
    }
    a.queue_publish("r", 7, 9);
    a.flush().await.unwrap();
    seen.push(a.read_one().await.unwrap());
    seen.push(b.read_one().await.unwrap());
    // After joining, replies still come back in order.
    b.queue_echo(3, 4);
    b.flush().await.unwrap();
    seen.push(b.read_one().await.unwrap());
    server.abort();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_sends_the_same_bytes() {
    let echo =
        |seq, ts| format!(r#"{{"type":"echo","seq":{seq},"text":"hello, bench","ts":{ts}}}"#);
    let subscribed = r#"{"type":"subscribed","room":"r"}"#.to_owned();
    let event = r#"{"type":"event","room":"r","seq":7,"text":"hello, bench","ts":9}"#.to_owned();
    let expected = [
        echo(1, 2),
        subscribed.clone(),
        subscribed,
        event.clone(),
        event,
        echo(3, 4),
    ];
    for kind in Kind::ALL {
        assert_eq!(transcript(kind).await, expected, "{kind}");
    }
}

#[test]
fn the_bench_command_runs_every_scenario() {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--quick")
        .output()
        .expect("runs bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let json: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON line last:\n{stdout}"));
    let results = json["results"].as_array().expect("results");
    let servers = |scenario: &str| -> Vec<&str> {
        results
            .iter()
            .filter(|r| {
                r["scenario"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(scenario)
            })
            .filter_map(|r| r["server"].as_str())
            .collect()
    };
    let all = ["ours", "tokio-tungstenite", "fastwebsockets"];
    for scenario in ["request/reply", "pipelined (16)", "idle", "fan-out burst"] {
        assert_eq!(servers(scenario), all, "{scenario}\n{stdout}");
    }
    assert_eq!(
        servers("fan-out at"),
        ["ours, 2 nodes on Redis", "ours, 1 node"],
        "{stdout}"
    );
    for row in results {
        let measured = row["msgs_per_s"].as_f64().or(row["kib_per_conn"].as_f64());
        assert!(measured.is_some(), "{row}");
    }
    // Every delivery of the fan-outs arrived (the load generator fails the run otherwise).
    assert!(stdout.contains("2000/2000 delivered"), "{stdout}");
    assert_eq!(
        json["targets"].as_array().map(Vec::len),
        Some(5),
        "{stdout}"
    );
    assert!(stdout.contains("| scenario | server | msg/s |"), "{stdout}");
}

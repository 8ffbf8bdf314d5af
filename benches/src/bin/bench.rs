//! `bench`: the server benchmarks. Starts each server (`bench-server`) pinned to one core with
//! `taskset`, runs the load generator here (pin this process to another core: `scripts/bench`
//! does), and prints a table with ours against the references, the targets, and one JSON line.
//!
//! ```text
//! bench [--quick] [--repeat N] [--only echo,pipelined,idle,fanout,redis]
//!       [--servers ours,tokio-tungstenite,fastwebsockets] [--server-cpu CPU]
//! ```
//!
//! Scenarios (each on a fresh server process):
//! - `echo`: request/reply, 32 connections, one request in flight each, 1 s warm-up, 5 s measured;
//! - `pipelined`: the same with 16 requests in flight per connection;
//! - `idle`: 5,000 connections after one echo each; resident memory per connection between the
//!   1,000th and the 5,000th;
//! - `fanout`: 1,000 connections in one room, one more publishes 2,000 messages at once
//!   (issue 10's burst: 2,000,000 deliveries);
//! - `redis`: ours only; 1,000 receivers split over two nodes that share the room through a
//!   `redis-server` started here, 500 messages published at 50 per second to node A (50,000
//!   deliveries per second: each costs the server one write to a socket, about 9 µs on this
//!   machine, so one node is about half busy); and the same on one node, for comparison.
//!
//! Each scenario runs `--repeat` times (default 3), servers interleaved; the table shows the
//! median run.

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use socketsundso_benches::load::{self, Echo, Fanout, Idle};
use socketsundso_benches::procfs;
use socketsundso_benches::report::{self, Row};
use socketsundso_benches::servers::Kind;

struct Options {
    quick: bool,
    repeat: usize,
    only: Vec<String>,
    servers: Vec<Kind>,
    server_cpu: String,
}

const SCENARIOS: [&str; 5] = ["echo", "pipelined", "idle", "fanout", "redis"];

fn main() {
    let options = parse_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("tokio runtime: {e}")));
    let taskset = Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let machine = machine(taskset, &options);
    eprintln!("{}", machine.summary);

    let mut rows = Vec::new();
    let started = Instant::now();
    for scenario in SCENARIOS {
        if !options.only.is_empty() && !options.only.iter().any(|o| o == scenario) {
            continue;
        }
        let result = match scenario {
            "redis" => redis_rows(&runtime, &options, taskset),
            _ => server_rows(&runtime, &options, taskset, scenario),
        };
        match result {
            Ok(r) => rows.extend(r),
            Err(e) => fail(&format!("{scenario}: {e}")),
        }
    }
    let targets = targets(&rows);
    println!("{}", machine.summary);
    println!();
    print!("{}", report::table(&rows));
    println!();
    for target in &targets {
        println!(
            "- {}: {} ({})",
            target.name,
            target.value,
            if target.met { "met" } else { "MISSED" }
        );
    }
    eprintln!("bench: done in {:.0} s", started.elapsed().as_secs_f64());
    let json = serde_json::json!({
        "machine": machine.json,
        "results": rows,
        "targets": targets,
    });
    println!("{json}");
}

fn parse_args() -> Options {
    let mut options = Options {
        quick: false,
        repeat: 3,
        only: Vec::new(),
        servers: Kind::ALL.to_vec(),
        server_cpu: "0".to_owned(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                options.quick = true;
                options.repeat = 1;
            }
            "--repeat" => {
                options.repeat = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| fail("--repeat needs a count"));
            }
            "--only" => {
                let list = args.next().unwrap_or_else(|| fail("--only needs a list"));
                options.only = list.split(',').map(str::to_owned).collect();
                if let Some(bad) = options
                    .only
                    .iter()
                    .find(|o| !SCENARIOS.contains(&o.as_str()))
                {
                    fail(&format!("unknown scenario {bad}: one of {SCENARIOS:?}"));
                }
            }
            "--servers" => {
                let list = args
                    .next()
                    .unwrap_or_else(|| fail("--servers needs a list"));
                options.servers = list
                    .split(',')
                    .map(|s| s.parse().unwrap_or_else(|e: String| fail(&e)))
                    .collect();
            }
            "--server-cpu" => {
                options.server_cpu = args
                    .next()
                    .unwrap_or_else(|| fail("--server-cpu needs a CPU"));
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench [--quick] [--repeat N] [--only echo,pipelined,idle,fanout,redis] [--servers ours,tokio-tungstenite,fastwebsockets] [--server-cpu CPU]"
                );
                std::process::exit(0);
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    options
}

fn fail(message: &str) -> ! {
    eprintln!("bench: {message}");
    std::process::exit(1);
}

struct Machine {
    summary: String,
    json: serde_json::Value,
}

fn machine(taskset: bool, options: &Options) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpus = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".to_owned());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    let client_cpus = procfs::allowed_cpus();
    let server_cpus = if taskset {
        options.server_cpu.clone()
    } else {
        "any (no taskset)".to_owned()
    };
    let summary = format!(
        "{date}; {cpus} CPUs, {model}; load average {}; servers on CPU {server_cpus}, load generator on CPU {client_cpus}; {}",
        load.join(" "),
        if options.quick {
            "--quick (small sizes: a check, not figures)".to_owned()
        } else {
            format!("median of {} runs", options.repeat)
        }
    );
    Machine {
        summary,
        json: serde_json::json!({
            "date": date,
            "cpus": cpus,
            "cpu_model": model,
            "load_average": load,
            "server_cpu": server_cpus,
            "client_cpu": client_cpus,
            "repeat": options.repeat,
            "quick": options.quick,
        }),
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("current_exe: {e}")));
    exe.with_file_name(name)
}

fn pinned(program: impl Into<PathBuf>, taskset: bool, cpu: &str) -> Command {
    let program = program.into();
    if taskset {
        let mut command = Command::new("taskset");
        command.arg("-c").arg(cpu).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start(
    kind: Kind,
    options: &Options,
    taskset: bool,
    redis: Option<&str>,
) -> std::io::Result<Server> {
    let mut command = pinned(sibling("bench-server"), taskset, &options.server_cpu);
    command
        .arg(kind.name())
        .stdout(Stdio::piped())
        .stdin(Stdio::null());
    if let Some(url) = redis {
        command.args(["--redis", url]);
    }
    let mut child = command.spawn()?;
    let pid = child.id();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        return Err(std::io::Error::other(format!(
            "bench-server {kind} did not start (said {line:?})"
        )));
    };
    Ok(Server { child, pid, addr })
}

fn sizes(options: &Options) -> (Echo, Echo, Idle, Fanout) {
    let (connections, warmup, duration) = if options.quick {
        (4, Duration::from_millis(100), Duration::from_millis(300))
    } else {
        (32, Duration::from_secs(1), Duration::from_secs(5))
    };
    let echo = Echo {
        connections,
        window: 1,
        warmup,
        duration,
    };
    let pipelined = Echo {
        window: 16,
        ..echo.clone()
    };
    let idle = if options.quick {
        Idle {
            base: 20,
            total: 100,
            settle: Duration::from_millis(100),
        }
    } else {
        Idle {
            base: 1_000,
            total: 5_000,
            settle: Duration::from_millis(500),
        }
    };
    let fanout = Fanout {
        receivers: if options.quick { 20 } else { 1_000 },
        messages: if options.quick { 100 } else { 2_000 },
        rate: None,
        timeout: Duration::from_secs(120),
    };
    (echo, pipelined, idle, fanout)
}

/// One scenario on every server, `repeat` times, servers interleaved; the median row of each.
fn server_rows(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    taskset: bool,
    scenario: &str,
) -> std::io::Result<Vec<Row>> {
    let (echo, pipelined, idle, fanout) = sizes(options);
    let mut runs: Vec<Vec<Row>> = vec![Vec::new(); options.servers.len()];
    for run in 0..options.repeat {
        for (i, &kind) in options.servers.iter().enumerate() {
            let server = start(kind, options, taskset, None)?;
            let row = match scenario {
                "echo" => Row::measured(
                    "request/reply",
                    kind.name(),
                    runtime.block_on(load::echo(server.addr, &[server.pid], &echo))?,
                ),
                "pipelined" => Row::measured(
                    "pipelined (16)",
                    kind.name(),
                    runtime.block_on(load::echo(server.addr, &[server.pid], &pipelined))?,
                ),
                "idle" => {
                    let m = runtime.block_on(load::idle(server.addr, server.pid, &idle))?;
                    Row {
                        scenario: "idle".to_owned(),
                        server: kind.name().to_owned(),
                        kib_per_conn: Some(m.kib_per_connection),
                        note: format!(
                            "RSS {} KiB at {} connections, {} KiB at {}",
                            m.rss_base_kib, idle.base, m.rss_total_kib, idle.total
                        ),
                        ..Row::default()
                    }
                }
                "fanout" => {
                    let m = runtime.block_on(load::fanout(
                        &[server.addr],
                        server.addr,
                        &[server.pid],
                        &fanout,
                    ))?;
                    let delivered = format!("{}/{} delivered", m.messages, m.expected);
                    let mut row = Row::measured("fan-out burst", kind.name(), m);
                    row.note = format!("{delivered} in {}", row.note);
                    row
                }
                other => return Err(std::io::Error::other(format!("no scenario {other}"))),
            };
            eprintln!(
                "  {scenario} run {}/{}: {} {}",
                run + 1,
                options.repeat,
                kind.name(),
                row.msgs_per_s
                    .map(|r| format!("{r:.0} msg/s"))
                    .or(row.kib_per_conn.map(|k| format!("{k:.1} KiB/conn")))
                    .unwrap_or_default()
            );
            runs[i].push(row);
        }
    }
    Ok(runs
        .into_iter()
        .map(|r| median(r, options.repeat))
        .collect())
}

/// The run with the median throughput (or memory per connection).
fn median(mut runs: Vec<Row>, repeat: usize) -> Row {
    let key = |r: &Row| r.msgs_per_s.or(r.kib_per_conn).unwrap_or(0.0);
    runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let mut row = runs.swap_remove(runs.len() / 2);
    if repeat > 1 {
        row.note = format!("{}; median of {repeat}", row.note);
    }
    row
}

/// A redis-server on a free port, stopped when dropped.
struct Redis {
    child: Child,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis(options: &Options, taskset: bool) -> std::io::Result<Redis> {
    let program = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("redis-server"));
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = pinned(program, taskset, &options.server_cpu)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| {
            std::io::Error::other(format!("redis-server: {e} (apt-get install redis-server)"))
        })?;
    let redis = Redis {
        child,
        url: format!("redis://127.0.0.1:{port}"),
    };
    let until = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > until {
            return Err(std::io::Error::other("redis-server did not start"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(redis)
}

/// Ours at a fixed rate: two nodes on Redis, and one node.
fn redis_rows(
    runtime: &tokio::runtime::Runtime,
    options: &Options,
    taskset: bool,
) -> std::io::Result<Vec<Row>> {
    let (_, _, _, burst) = sizes(options);
    let config = Fanout {
        rate: Some(if options.quick { 500.0 } else { 50.0 }),
        messages: if options.quick { 100 } else { 500 },
        ..burst
    };
    let scenario = format!(
        "fan-out at {:.0}/s ({} receivers)",
        config.rate.unwrap_or_default(),
        config.receivers
    );
    let mut two = Vec::new();
    let mut one = Vec::new();
    for _ in 0..options.repeat {
        let redis = start_redis(options, taskset)?;
        let a = start(Kind::Ours, options, taskset, Some(&redis.url))?;
        let b = start(Kind::Ours, options, taskset, Some(&redis.url))?;
        let m = runtime.block_on(load::fanout(
            &[a.addr, b.addr],
            a.addr,
            &[a.pid, b.pid],
            &config,
        ))?;
        let delivered = format!("{}/{} delivered in", m.messages, m.expected);
        let mut row = Row::measured(&scenario, "ours, 2 nodes on Redis", m);
        row.note = format!("{delivered} {} (server: both nodes)", row.note);
        eprintln!(
            "  redis: 2 nodes {:.0} deliveries/s",
            row.msgs_per_s.unwrap_or_default()
        );
        two.push(row);
        drop((a, b, redis));

        let single = start(Kind::Ours, options, taskset, None)?;
        let m = runtime.block_on(load::fanout(
            &[single.addr],
            single.addr,
            &[single.pid],
            &config,
        ))?;
        let delivered = format!("{}/{} delivered in", m.messages, m.expected);
        let mut row = Row::measured(&scenario, "ours, 1 node", m);
        row.note = format!("{delivered} {}", row.note);
        one.push(row);
    }
    Ok(vec![
        median(two, options.repeat),
        median(one, options.repeat),
    ])
}

/// A target of issue 11 (or 10) and whether this run met it.
#[derive(serde::Serialize)]
struct Target {
    name: &'static str,
    value: String,
    met: bool,
}

fn targets(rows: &[Row]) -> Vec<Target> {
    let find = |scenario: &str, server: &str| {
        rows.iter()
            .find(|r| r.scenario == scenario && r.server == server)
    };
    let mut targets = Vec::new();
    let fast = "fastwebsockets";
    let tung = "tokio-tungstenite";
    if let (Some(ours), Some(fws)) = (find("request/reply", "ours"), find("request/reply", fast)) {
        if let Some(r) = report::ratio(ours.cpu_us_per_msg, fws.cpu_us_per_msg) {
            targets.push(Target {
                name: "request/reply: server CPU per message ≤ 1.0× fastwebsockets",
                value: format!("{r:.3}×"),
                met: r <= 1.0,
            });
        }
        if let Some(r) = report::ratio(ours.msgs_per_s, fws.msgs_per_s) {
            targets.push(Target {
                name: "request/reply: msg/s ≥ 0.9× fastwebsockets",
                value: format!("{r:.3}×"),
                met: r >= 0.9,
            });
        }
    }
    if let Some(ours) = find("pipelined (16)", "ours") {
        let best = [tung, fast]
            .into_iter()
            .filter_map(|s| find("pipelined (16)", s).and_then(|r| r.msgs_per_s))
            .fold(None, |best: Option<f64>, r| {
                Some(best.map_or(r, |b| b.max(r)))
            });
        if let Some(r) = report::ratio(ours.msgs_per_s, best) {
            targets.push(Target {
                name: "pipelined (16): msg/s ≥ 2× the best reference",
                value: format!("{r:.3}×"),
                met: r >= 2.0,
            });
        }
    }
    if let Some(kib) = find("idle", "ours").and_then(|r| r.kib_per_conn) {
        targets.push(Target {
            name: "idle: ≤ 8 KiB per connection",
            value: format!("{kib:.1} KiB"),
            met: kib <= 8.0,
        });
    }
    let burst = |server| find("fan-out burst", server).and_then(|r| r.msgs_per_s);
    if let Some(r) = report::ratio(burst("ours"), burst(tung)) {
        targets.push(Target {
            name: "fan-out burst: deliveries/s ≥ 0.9× tokio-tungstenite",
            value: format!("{r:.3}×"),
            met: r >= 0.9,
        });
    }
    targets
}

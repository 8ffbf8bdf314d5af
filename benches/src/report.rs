//! Percentiles, the table and the JSON line of a benchmark run.

use serde::Serialize;

use crate::load::Measured;

/// One line of the table: one scenario on one server.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// `request/reply`, `pipelined (16)`, `idle`, `fan-out burst`, …
    pub scenario: String,
    /// `ours`, `tokio-tungstenite`, `fastwebsockets`, `ours, 2 nodes on Redis`, …
    pub server: String,
    /// Messages per second (replies, or deliveries).
    pub msgs_per_s: Option<f64>,
    /// Latency percentiles in µs.
    pub p50_us: Option<f64>,
    /// 99th percentile, µs.
    pub p99_us: Option<f64>,
    /// Maximum, µs.
    pub max_us: Option<f64>,
    /// Server CPU time per message, µs.
    pub cpu_us_per_msg: Option<f64>,
    /// Server resident memory per idle connection, KiB.
    pub kib_per_conn: Option<f64>,
    /// Messages received and expected (`2000000/2000000`), or other details.
    pub note: String,
}

impl Row {
    /// A row from a scenario's measurements.
    pub fn measured(scenario: &str, server: &str, mut m: Measured) -> Self {
        let (p50, p99, max) = percentiles(&mut m.latencies);
        let secs = m.elapsed.as_secs_f64();
        Self {
            scenario: scenario.to_owned(),
            server: server.to_owned(),
            msgs_per_s: (secs > 0.0).then(|| m.messages as f64 / secs),
            p50_us: p50,
            p99_us: p99,
            max_us: max,
            cpu_us_per_msg: (m.messages > 0)
                .then(|| m.server_cpu.as_secs_f64() * 1e6 / m.messages as f64),
            kib_per_conn: None,
            note: format!(
                "{:.2} s; CPU busy: server {:.0}%, load generator {:.0}%",
                secs,
                busy(m.server_cpu, m.elapsed),
                busy(m.client_cpu, m.elapsed)
            ),
        }
    }
}

/// `cpu` as a percentage of `elapsed`.
fn busy(cpu: std::time::Duration, elapsed: std::time::Duration) -> f64 {
    if elapsed.is_zero() {
        return 0.0;
    }
    cpu.as_secs_f64() * 100.0 / elapsed.as_secs_f64()
}

/// The 50th and 99th percentiles and the maximum of `ns`, in µs (sorts `ns`).
pub fn percentiles(ns: &mut [u64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    if ns.is_empty() {
        return (None, None, None);
    }
    ns.sort_unstable();
    let at = |q: f64| {
        let i = ((ns.len() as f64 * q).ceil() as usize).clamp(1, ns.len()) - 1;
        ns[i] as f64 / 1e3
    };
    (Some(at(0.50)), Some(at(0.99)), Some(at(1.0)))
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

fn fmt_rate(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Some(v) if v >= 1e3 => format!("{:.1}k", v / 1e3),
        Some(v) => format!("{v:.0}"),
        None => "–".to_owned(),
    }
}

/// `ours ÷ other`, as `0.93×`.
pub fn ratio(ours: Option<f64>, other: Option<f64>) -> Option<f64> {
    match (ours, other) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |r| format!("{r:.2}×"))
}

/// The table, in Markdown: each scenario's rows, and on every other server's row how ours
/// compares with it (ours ÷ that server).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | server | msg/s | p50 µs | p99 µs | max µs | server CPU µs/msg | KiB/conn | ours ÷ this: msg/s | CPU/msg | KiB/conn | note |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let ours = rows
            .iter()
            .find(|r| r.scenario == row.scenario && r.server == "ours");
        let (r_rate, r_cpu, r_mem) = match ours {
            Some(ours) if ours.server != row.server => (
                fmt_ratio(ratio(ours.msgs_per_s, row.msgs_per_s)),
                fmt_ratio(ratio(ours.cpu_us_per_msg, row.cpu_us_per_msg)),
                fmt_ratio(ratio(ours.kib_per_conn, row.kib_per_conn)),
            ),
            _ => Default::default(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {r_rate} | {r_cpu} | {r_mem} | {} |\n",
            row.scenario,
            row.server,
            fmt_rate(row.msgs_per_s),
            fmt(row.p50_us, 0),
            fmt(row.p99_us, 0),
            fmt(row.max_us, 0),
            fmt(row.cpu_us_per_msg, 2),
            fmt(row.kib_per_conn, 1),
            row.note,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_hundred() {
        let mut ns: Vec<u64> = (1..=100).rev().map(|i| i * 1000).collect();
        assert_eq!(percentiles(&mut ns), (Some(50.0), Some(99.0), Some(100.0)));
        assert_eq!(percentiles(&mut []), (None, None, None));
    }

    #[test]
    fn the_table_compares_with_ours() {
        let row = |server: &str, rate: f64| Row {
            scenario: "echo".into(),
            server: server.into(),
            msgs_per_s: Some(rate),
            ..Row::default()
        };
        let table = table(&[row("ours", 90.0), row("ref", 100.0)]);
        assert!(table.contains("| echo | ref | 100 |"), "{table}");
        assert!(table.contains("| 0.90× |"), "{table}");
    }
}

//! The benchmarks of socketsundso (`scripts/bench`; figures in `BENCHMARKS.md`).
//!
//! - [`servers`]: the servers under test, all speaking the protocol of `benches/asyncapi.yaml`
//!   (an echo, rooms with a broadcast): ours, generated from that document by `build.rs` and
//!   served by the runtime with validation on, and two references with hand-written serde types
//!   ([`protocol`]): plain tokio-tungstenite with a 4 KiB read buffer, and fastwebsockets. The
//!   `bench-server` binary runs one of them.
//! - [`load`]: the load generator, a small WebSocket client over raw TCP that costs little per
//!   message (a heavy client measures itself): closed-loop echo, a pipelined window, idle
//!   connections, a fan-out burst, a fan-out at a fixed rate.
//! - [`procfs`]: a server process's CPU time and resident memory, from `/proc`.
//! - [`report`]: percentiles, the table and the JSON line.
//!
//! The `bench` binary starts each server pinned to one core (`taskset`), runs the scenarios from
//! another, and prints the table with the ratios. `gen-bench` times the generator on
//! `specs/large-200.yaml` (written by `large-spec`).

pub mod load;
pub mod procfs;
pub mod protocol;
pub mod report;
pub mod servers;

/// The code generated from `benches/asyncapi.yaml` (the server "ours" implements its
/// `Handler`).
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
}

//! Decoding one realistic received message (`order` from `fixtures/bench.yaml`: ten fields,
//! most of them constrained), three ways, on the same text:
//!
//! - `serde_json_typed`: plain `serde_json::from_str` into the generated payload struct
//!   (`Order`), from the payload without its `type` field: the baseline, no tag, no checks;
//! - `socketsundso_decode`: `socketsundso::decode::<ClientMessage>` on the message with its tag
//!   first: the fast path (tag, typed payload through the same map access, id filter, generated
//!   checks);
//! - `socketsundso_decode_invalid`: the same message with one violation (`priority` above its
//!   maximum), which takes the slow path and lists the violation (for information).
//!
//! `cargo bench -p socketsundso-tests --bench decode` measures (release build);
//! `cargo test -p socketsundso-tests --benches` runs each once, as a test.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use socketsundso_tests::bench::{ClientMessage, Order};

/// The payload, without its tag: what the baseline parses.
const PAYLOAD: &str = r#"{"order_id":"0b6f4c2e-8f1a-4d3b-9c57-2e1d5a7b9f30","account":"acct-0042-eu","symbol":"BTC-EUR","side":"buy","quantity":250,"price":64250.75,"priority":3,"placed_at":"2026-11-26T14:03:27.512Z","legs":[{"venue":"XPAR","ratio":60},{"venue":"XAMS","ratio":40}],"note":"rebalance, split across two venues"}"#;

/// The message as a client sends it: `{"type":"order", ...PAYLOAD}`.
fn message(payload: &str) -> String {
    let body = payload.strip_prefix('{').expect("an object");
    format!(r#"{{"type":"order",{body}"#)
}

/// Checks that the three inputs do what the benchmark says they do, so that a change in the
/// generator or the runtime cannot quietly turn it into a benchmark of an error path.
fn check_inputs(tagged: &str, invalid: &str) {
    let order: Order = serde_json::from_str(PAYLOAD).expect("the payload parses");
    let decoded = socketsundso::decode::<ClientMessage>(tagged).expect("the message decodes");
    assert_eq!(decoded.message, ClientMessage::Order(order));
    assert_eq!(decoded.id, None);
    let error = socketsundso::decode::<ClientMessage>(invalid).expect_err("one violation");
    assert_eq!(error.code, "validation_failed", "{error}");
    assert_eq!(error.errors.len(), 1, "{error}");
    assert_eq!(error.errors[0].path, "/priority", "{error}");
}

fn decode(c: &mut Criterion) {
    let tagged = message(PAYLOAD);
    let invalid = tagged.replace(r#""priority":3"#, r#""priority":12"#);
    check_inputs(&tagged, &invalid);

    let mut group = c.benchmark_group("decode");
    group.bench_function("serde_json_typed", |b| {
        b.iter(|| serde_json::from_str::<Order>(black_box(PAYLOAD)).expect("valid"));
    });
    group.bench_function("socketsundso_decode", |b| {
        b.iter(|| socketsundso::decode::<ClientMessage>(black_box(&tagged)).expect("valid"));
    });
    group.bench_function("socketsundso_decode_invalid", |b| {
        b.iter(|| socketsundso::decode::<ClientMessage>(black_box(&invalid)).expect_err("invalid"));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = decode
}
criterion_main!(benches);

//! What the server answers to each frame, for the JavaScript tests that compare the generated
//! TypeScript client's outgoing checks with the server (`tests/js/checks.test.mjs`).
//!
//! Reads one JSON object per line on standard input, `{"api": "<fixture>", "frame": "<text>"}`,
//! decodes the frame exactly as the server does (`socketsundso::decode`, the same function the
//! connection loop calls), and prints one line per input: `null` when the server would accept
//! the message, else the error object it would send.

use std::io::{BufRead, Write};

use socketsundso::codegen::serde_json::{self, Value};
use socketsundso::{ErrorMessage, Incoming};
use socketsundso_tests::{example_basics, example_chat, keywords, open_objects};

/// The server's answer: `None` when `T` accepts `frame`.
fn answer<T: Incoming>(frame: &str) -> Option<String> {
    let result: Result<_, ErrorMessage> = socketsundso::decode::<T>(frame);
    result.err().map(|e| e.to_json_tagged(T::TAG_FIELD))
}

fn main() {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line.expect("reading standard input");
        if line.trim().is_empty() {
            continue;
        }
        let request: Value = serde_json::from_str(&line).expect("a JSON request per line");
        let frame = request["frame"].as_str().expect("`frame` is a string");
        let result = match request["api"].as_str().expect("`api` is a string") {
            "keywords" => answer::<keywords::ClientMessage>(frame),
            "open-objects" => answer::<open_objects::ClientMessage>(frame),
            "example-basics" => answer::<example_basics::ClientMessage>(frame),
            "example-chat" => answer::<example_chat::ClientMessage>(frame),
            other => panic!("unknown api `{other}`"),
        };
        writeln!(out, "{}", result.as_deref().unwrap_or("null")).expect("writing standard output");
    }
    out.flush().expect("writing standard output");
}

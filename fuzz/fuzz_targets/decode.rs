//! Any text frame, decoded by a generated API: accepted, or answered with one documented error.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // A text frame is UTF-8 (the WebSocket layer closes with 1007 otherwise).
    if let Ok(text) = std::str::from_utf8(data) {
        common::check_all(text);
    }
});

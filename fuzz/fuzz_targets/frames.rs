//! Any bytes a client sends after the upgrade, read by the server side of the WebSocket layer
//! with the runtime's limits, and every text message decoded by a generated API. The layer may
//! end the connection only with the errors the runtime turns into close codes (too large: 1009,
//! not UTF-8: 1007, protocol: 1002) or the end of the input; every message decodes or gets a
//! documented error.

#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Error, Message};

#[path = "common.rs"]
mod common;

/// The client's bytes in, the server's out (kept bounded).
struct Socket {
    input: Cursor<Vec<u8>>,
    written: usize,
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    let socket = Socket {
        input: Cursor::new(data.to_vec()),
        written: 0,
    };
    let mut ws = WebSocket::from_raw_socket(socket, Role::Server, Some(config));
    for _ in 0..10_000 {
        match ws.read() {
            Ok(Message::Text(text)) => common::check_all(text.as_str()),
            Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            // The runtime stops reading after the client's close frame.
            Ok(Message::Close(_)) => return,
            Err(
                Error::Capacity(_)
                | Error::Utf8(_)
                | Error::Protocol(_)
                | Error::Io(_)
                | Error::ConnectionClosed
                | Error::AlreadyClosed,
            ) => return,
            Err(other) => panic!("an error the runtime does not expect: {other}"),
        }
    }
    // Pongs answer pings: what the server wrote stays in proportion to what the client sent.
    assert!(ws.get_ref().written <= 2 * data.len() + 1024);
});

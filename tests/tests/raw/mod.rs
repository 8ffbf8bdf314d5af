//! A WebSocket client written by hand on a raw `TcpStream`, for the tests that must send what no
//! WebSocket library sends: unmasked frames, reserved bits and opcodes, broken fragmentation,
//! frame headers without their payload, requests that never finish. Every read is bounded by
//! a timeout, so a missing answer fails the test instead of hanging it.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long a read waits for something that must arrive.
pub const WAIT: Duration = Duration::from_secs(5);

pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// One frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// What the server did next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Frame(Frame),
    /// The server closed the TCP connection (or reset it).
    Eof,
    /// Nothing within the wait.
    Nothing,
}

/// An HTTP response to a request that was not upgraded.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// The upgrade request for `path` on `addr`, with `extra` header lines (each ending in `\r\n`).
pub fn upgrade_request(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A raw connection after a hand-made upgrade.
pub struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects and upgrades; panics unless the answer is `101 Switching Protocols`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Raw {
        Self::connect_with(addr, path, "").await
    }

    /// [`Raw::connect`] with extra header lines.
    pub async fn connect_with(addr: SocketAddr, path: &str, extra: &str) -> Raw {
        match Self::try_connect(addr, path, extra).await {
            Ok(raw) => raw,
            Err(response) => panic!(
                "{path}: expected 101 Switching Protocols, got {} {}",
                response.status, response.body
            ),
        }
    }

    /// Connects and asks for the upgrade: the connection, or the response that refused it.
    pub async fn try_connect(addr: SocketAddr, path: &str, extra: &str) -> Result<Raw, Response> {
        Self::try_connect_from(None, addr, path, extra).await
    }

    /// [`Raw::try_connect`] from the local address `from` (any loopback address, such as
    /// 127.0.0.2, stands for another client).
    pub async fn try_connect_from(
        from: Option<std::net::IpAddr>,
        addr: SocketAddr,
        path: &str,
        extra: &str,
    ) -> Result<Raw, Response> {
        let mut stream = tokio::time::timeout(WAIT, tcp(from, addr))
            .await
            .expect("connect timed out");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        stream
            .write_all(upgrade_request(addr, path, extra).as_bytes())
            .await
            .expect("writing the upgrade request");
        let mut raw = Raw {
            stream,
            buf: Vec::new(),
        };
        let head = raw.read_head().await;
        let status = status_of(&head);
        if status == 101 {
            return Ok(raw);
        }
        let length = header_value(&head, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let body = raw.read_exact(length).await;
        Err(Response {
            status,
            head,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Reads up to the end of an HTTP response head.
    async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return String::from_utf8_lossy(&head).into_owned();
            }
            if !self.fill().await {
                panic!(
                    "the connection ended before the response head: {:?}",
                    String::from_utf8_lossy(&self.buf)
                );
            }
        }
    }

    async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if !self.fill().await {
                panic!("the connection ended early");
            }
        }
        self.buf.drain(..n).collect()
    }

    /// Reads more; `false` at the end of the stream.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(WAIT, self.stream.read(&mut chunk)).await {
            Err(_) => panic!("nothing from the server within {WAIT:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) {
        // The server may have closed already; a failed write shows in what is read next.
        let _ = self.stream.write_all(bytes).await;
    }

    /// Writes one frame, masked as a client must unless `masked` is false.
    pub async fn frame(&mut self, fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) {
        self.write(&encode_frame(fin, rsv, opcode, payload, masked))
            .await;
    }

    /// Writes one complete text frame.
    pub async fn text(&mut self, text: &str) {
        self.frame(true, 0, TEXT, text.as_bytes(), true).await;
    }

    /// The next frame, the end of the stream, or nothing within `limit`.
    pub async fn next_within(&mut self, limit: Duration) -> Next {
        let read = async {
            loop {
                if let Some((frame, used)) = decode_frame(&self.buf) {
                    self.buf.drain(..used);
                    return Next::Frame(frame);
                }
                let mut chunk = [0u8; 16 * 1024];
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return Next::Eof,
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                }
            }
        };
        tokio::time::timeout(limit, read)
            .await
            .unwrap_or(Next::Nothing)
    }

    /// The next frame other than ping and pong (a ping is answered), within [`WAIT`].
    pub async fn next_data(&mut self) -> Next {
        loop {
            match self.next_within(WAIT).await {
                Next::Frame(frame) if frame.opcode == PING => {
                    self.frame(true, 0, PONG, &frame.payload, true).await;
                }
                Next::Frame(frame) if frame.opcode == PONG => {}
                other => return other,
            }
        }
    }

    /// The next text frame, parsed as JSON; panics on anything else.
    pub async fn json(&mut self) -> Value {
        match self.next_data().await {
            Next::Frame(Frame {
                opcode: TEXT,
                payload,
                ..
            }) => serde_json::from_slice(&payload).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {}", String::from_utf8_lossy(&payload))
            }),
            other => panic!("expected a text frame, got {}", describe(&other)),
        }
    }

    /// The next frame must be a close frame: its code and reason.
    pub async fn close_frame(&mut self) -> (u16, String) {
        match self.next_data().await {
            Next::Frame(Frame {
                opcode: CLOSE,
                payload,
                ..
            }) => close_payload(&payload),
            other => panic!("expected a close frame, got {}", describe(&other)),
        }
    }

    /// The stream ends within [`WAIT`], with no further frame (after a close frame).
    pub async fn ended(&mut self) {
        match self.next_within(WAIT).await {
            Next::Eof => {}
            other => panic!("expected the end of the stream, got {}", describe(&other)),
        }
    }

    /// Half-closes: the client sends nothing more (TCP FIN) but keeps reading.
    pub async fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    /// Sends a close frame with `code`.
    pub async fn send_close(&mut self, code: u16) {
        self.frame(true, 0, CLOSE, &code.to_be_bytes(), true).await;
    }
}

/// A TCP connection to `addr`, from `from` if given.
pub async fn tcp(from: Option<std::net::IpAddr>, addr: SocketAddr) -> TcpStream {
    match from {
        None => TcpStream::connect(addr).await.expect("connect"),
        Some(ip) => {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket
                .bind(SocketAddr::new(ip, 0))
                .expect("bind the client's address");
            socket.connect(addr).await.expect("connect")
        }
    }
}

impl Raw {
    /// A raw TCP connection that has sent nothing yet (for the handshake timeout).
    pub async fn tcp_only(addr: SocketAddr) -> Raw {
        Raw {
            stream: tcp(None, addr).await,
            buf: Vec::new(),
        }
    }

    /// Reads an HTTP response (head and `Content-Length` body) after a request written by hand.
    pub async fn response(&mut self) -> Response {
        let head = self.read_head().await;
        let length = header_value(&head, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let body = self.read_exact(length).await;
        Response {
            status: status_of(&head),
            head,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// The code and reason of a close frame's payload (1005 for an empty one).
pub fn close_payload(payload: &[u8]) -> (u16, String) {
    if payload.len() < 2 {
        return (1005, String::new());
    }
    (
        u16::from_be_bytes([payload[0], payload[1]]),
        String::from_utf8_lossy(&payload[2..]).into_owned(),
    )
}

/// A short description of what came.
pub fn describe(next: &Next) -> String {
    match next {
        Next::Frame(frame) => format!(
            "frame opcode {:#x} fin {} payload {:?}",
            frame.opcode,
            frame.fin,
            String::from_utf8_lossy(&frame.payload[..frame.payload.len().min(200)])
        ),
        Next::Eof => "the end of the stream".to_owned(),
        Next::Nothing => format!("nothing within {WAIT:?}"),
    }
}

/// One frame's bytes. The mask key is fixed: these tests need no secrecy.
pub fn encode_frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push((u8::from(fin) << 7) | ((rsv & 0x7) << 4) | (opcode & 0xF));
    out.extend_from_slice(&length_header(payload.len() as u64, masked));
    if masked {
        let key = [0x12, 0x34, 0x56, 0x78];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// The second byte of a frame header and the extended length.
pub fn length_header(len: u64, masked: bool) -> Vec<u8> {
    let mask = if masked { 0x80 } else { 0 };
    let mut out = Vec::new();
    if len < 126 {
        out.push(mask | len as u8);
    } else if len <= u64::from(u16::MAX) {
        out.push(mask | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out
}

/// A server frame (unmasked) at the start of `buf`, and the bytes it used.
pub fn decode_frame(buf: &[u8]) -> Option<(Frame, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let fin = buf[0] & 0x80 != 0;
    let opcode = buf[0] & 0x0F;
    let masked = buf[1] & 0x80 != 0;
    let (len, mut at) = match buf[1] & 0x7F {
        126 => {
            if buf.len() < 4 {
                return None;
            }
            (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4)
        }
        127 => {
            if buf.len() < 10 {
                return None;
            }
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(bytes), 10)
        }
        n => (u64::from(n), 2),
    };
    let key = if masked {
        if buf.len() < at + 4 {
            return None;
        }
        let key = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        Some(key)
    } else {
        None
    };
    let len = usize::try_from(len).ok()?;
    if buf.len() < at + len {
        return None;
    }
    let mut payload = buf[at..at + len].to_vec();
    if let Some(key) = key {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        at + len,
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The status code of an HTTP response head.
pub fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"))
}

/// The value of header `name` (lower case) in a response head.
pub fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

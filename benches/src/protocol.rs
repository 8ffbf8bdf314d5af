//! The benchmark protocol as the reference servers see it: hand-written serde types with the
//! same fields as the types generated from `benches/asyncapi.yaml`, in the same order, so every
//! server sends the same bytes. Plain serde: no checks beyond the types (ours also checks the
//! schema's bounds and lengths).

use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    /// Sent back as it came.
    Echo(Echo),
    /// Joins a room.
    Subscribe(Subscribe),
    /// Goes to every member of a room as an [`Event`].
    Publish(Publish),
}

/// What a server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMessage {
    /// The reply to [`ClientMessage::Echo`].
    Echo(Echo),
    /// The reply to [`ClientMessage::Subscribe`].
    Subscribed(Subscribed),
    /// A publish, to a room's members.
    Event(Event),
    /// A message that could not be read.
    Error {
        /// What was wrong.
        message: String,
    },
}

/// `{"type":"echo","seq":1,"text":"…","ts":2}`.
#[derive(Debug, Deserialize, Serialize)]
pub struct Echo {
    /// The sender's sequence number.
    pub seq: u64,
    /// Any text.
    pub text: String,
    /// When the client sent it (ns since the load generator started).
    pub ts: u64,
}

/// `{"type":"subscribe","room":"r"}`.
#[derive(Debug, Deserialize)]
pub struct Subscribe {
    /// The room to join.
    pub room: String,
}

/// `{"type":"subscribed","room":"r"}`.
#[derive(Debug, Serialize)]
pub struct Subscribed {
    /// The room joined.
    pub room: String,
}

/// `{"type":"publish","room":"r","seq":1,"text":"…","ts":2}`.
#[derive(Debug, Deserialize)]
pub struct Publish {
    /// The room to send to.
    pub room: String,
    /// The sender's sequence number.
    pub seq: u64,
    /// Any text.
    pub text: String,
    /// When the client sent it.
    pub ts: u64,
}

/// `{"type":"event","room":"r","seq":1,"text":"…","ts":2}`: a publish, as members get it.
#[derive(Debug, Serialize)]
pub struct Event {
    /// The room it was sent to.
    pub room: String,
    /// The sender's sequence number.
    pub seq: u64,
    /// The text.
    pub text: String,
    /// When the client sent it.
    pub ts: u64,
}

impl From<Publish> for Event {
    fn from(p: Publish) -> Self {
        Self {
            room: p.room,
            seq: p.seq,
            text: p.text,
            ts: p.ts,
        }
    }
}

/// What a reference server does with one text message: the reply to send back, or, for a
/// publish, the room and the event to send to it (serialized once).
pub enum Action {
    /// Send this text back.
    Reply(String),
    /// Join the room, then send this text back.
    Join(String, String),
    /// Send this text to every member of the room.
    Broadcast(String, String),
}

/// Decodes `text` and decides what to do with it (the reference servers' whole logic).
pub fn handle(text: &str) -> Action {
    let to_json = |m: &ServerMessage| serde_json::to_string(m).unwrap_or_default();
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Echo(echo)) => Action::Reply(to_json(&ServerMessage::Echo(echo))),
        Ok(ClientMessage::Subscribe(Subscribe { room })) => {
            let reply = to_json(&ServerMessage::Subscribed(Subscribed {
                room: room.clone(),
            }));
            Action::Join(room, reply)
        }
        Ok(ClientMessage::Publish(publish)) => {
            let room = publish.room.clone();
            Action::Broadcast(room, to_json(&ServerMessage::Event(publish.into())))
        }
        Err(e) => Action::Reply(to_json(&ServerMessage::Error {
            message: e.to_string(),
        })),
    }
}

//! What can go wrong on the client's side.

use std::fmt;
use std::time::Duration;

use crate::error::ErrorMessage;

/// Why a connection ended: the server's close frame, or what broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The close code of the server's close frame (`1000` for a normal close); `None` when the
    /// connection ended without one (it dropped, or a read failed).
    pub code: Option<u16>,
    /// The close frame's reason, or what failed.
    pub reason: String,
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.reason.as_str()) {
            (Some(code), "") => write!(f, "the connection is closed (code {code})"),
            (Some(code), reason) => write!(f, "the connection is closed (code {code}: {reason})"),
            (None, "") => f.write_str("the connection is closed"),
            (None, reason) => write!(f, "the connection is closed: {reason}"),
        }
    }
}

/// An error of the client.
///
/// The error objects ([`ErrorMessage`]: `code`, `message`, `errors` with JSON Pointer paths)
/// are the server's: [`ClientError::Server`] is what the server sent, and
/// [`ClientError::Invalid`] is what it *would* have sent for a message the client refused to
/// send. [`ClientError::error_message`] gets the object from either.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error object: the reply to a request, or (on
    /// [`Events`](super::Events)) an error that no pending request owns, such as one caused by
    /// a message sent without a reply.
    Server(Box<ErrorMessage>),
    /// The message was not sent: it breaks its schema. The error object is exactly the one the
    /// server would have sent back (same `code`, `kind`s and paths), and it was built by the
    /// same code.
    Invalid(Box<ErrorMessage>),
    /// A message from the server does not match the document. The error object says how, as
    /// the server says it about bad input (`unknown_tag`, `validation_failed`, ...).
    Decode(Box<ErrorMessage>),
    /// The reply to a request is a message that the request's operation does not declare. It
    /// holds the message, as JSON.
    UnexpectedReply(Box<serde_json::Value>),
    /// No reply came within the request timeout.
    Timeout(Duration),
    /// The connection is closed, or it closed while the request waited for its reply.
    Closed(Closed),
    /// A request set its own correlation id (its payload declares the id field), and another
    /// request with that id is still waiting for its reply.
    IdInUse(serde_json::Value),
    /// The API has no correlation id field (`x-socketsundso-id-field: false`), so a reply
    /// cannot be matched to its request.
    NoIdField,
    /// The message could not be serialized.
    Serialize(serde_json::Error),
    /// Connecting failed: the URL, TCP, or the WebSocket handshake.
    Connect(Box<tokio_tungstenite::tungstenite::Error>),
}

impl ClientError {
    /// The error object, for [`ClientError::Server`], [`ClientError::Invalid`] and
    /// [`ClientError::Decode`].
    pub fn error_message(&self) -> Option<&ErrorMessage> {
        match self {
            Self::Server(error) | Self::Invalid(error) | Self::Decode(error) => Some(error),
            _ => None,
        }
    }

    /// Builds [`ClientError::UnexpectedReply`] from the message that came instead. Generated
    /// clients call it.
    pub fn unexpected_reply<T: serde::Serialize>(message: &T) -> Self {
        match serde_json::to_value(message) {
            Ok(value) => Self::UnexpectedReply(Box::new(value)),
            Err(e) => Self::Serialize(e),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server(error) => write!(f, "the server answered with an error: {error}"),
            Self::Invalid(error) => write!(f, "not sent, the message is invalid: {error}"),
            Self::Decode(error) => write!(
                f,
                "the server sent a message that does not match the API: {error}"
            ),
            Self::UnexpectedReply(message) => write!(f, "unexpected reply: {message}"),
            Self::Timeout(limit) => write!(f, "no reply within {limit:?}"),
            Self::Closed(closed) => closed.fmt(f),
            Self::IdInUse(id) => write!(f, "another request with id {id} is still waiting"),
            Self::NoIdField => f.write_str(
                "the API has no correlation id field, so replies cannot be matched to requests",
            ),
            Self::Serialize(e) => write!(f, "the message could not be serialized: {e}"),
            Self::Connect(e) => write!(f, "could not connect: {e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Server(error) | Self::Invalid(error) | Self::Decode(error) => Some(&**error),
            Self::Serialize(e) => Some(e),
            Self::Connect(e) => Some(&**e),
            _ => None,
        }
    }
}

//! The one error shape the server sends, and the errors handlers return.
//!
//! Every error the server sends is one JSON text frame of this shape:
//!
//! ```json
//! {"type":"error","id":7,"code":"validation_failed","message":"validation failed",
//!  "errors":[{"path":"/to","kind":"invalid","message":"recipient not found"}]}
//! ```
//!
//! - `type` is always `"error"`;
//! - `id` is the correlation id of the message that caused the error, present only when one is
//!   known;
//! - `code` is one of the [`ErrorCode`]s, or a custom code from [`HandlerError::with_code`];
//! - `message` is human-readable text;
//! - `errors` lists the [`Violation`]s, each with a JSON Pointer `path` into the offending
//!   message; it is always present and may be empty.
//!
//! The connection stays open after every error message.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The `code` of an error message the runtime sends.
///
/// | code | sent when |
/// |---|---|
/// | `invalid_json` | a text frame is not JSON; the message carries the parser's line and column |
/// | `not_an_object` | the frame is JSON, but neither an object nor a message without a tag that fits its shape |
/// | `missing_tag` | the object has no tag field (`type` by default) and is no message without a tag, or its value is not a string |
/// | `unknown_tag` | the tag names no message the server receives; the message lists the known tags |
/// | `validation_failed` | the message breaks its schema (wrong type, unknown or missing field, bad value), or a handler rejected it with [`HandlerError::invalid`] |
/// | `handler_error` | a handler returned [`HandlerError::new`] |
/// | `unsupported_frame` | a binary frame arrived; the API speaks JSON text frames only |
/// | `too_large` | a frame or message is bigger than the configured limit; the connection is then closed with close code 1009 |
/// | `rate_limited` | the connection sent more messages than its rate limit allows; the message was not handled (see [`RateLimit`](crate::RateLimit)) |
/// | `timeout` | the handler did not finish within the handler timeout; it was stopped, and the connection stays open |
/// | `internal` | the server failed: a handler panicked or a reply could not be serialized |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `invalid_json`: the text frame is not JSON. The message includes the parser's line and
    /// column.
    InvalidJson,
    /// `not_an_object`: the frame is JSON, but neither an object nor a message without a tag
    /// that fits its shape ([`crate::Untagged`]).
    NotAnObject,
    /// `missing_tag`: the object has no tag field (`type` by default), or the tag's value is not a
    /// string. The violation's path points at the tag field.
    MissingTag,
    /// `unknown_tag`: the tag names no message that the server receives. The message lists the
    /// tags it knows.
    UnknownTag,
    /// `validation_failed`: the message does not match its schema (wrong type, unknown field,
    /// missing field, value out of range), or a handler rejected it with
    /// [`HandlerError::invalid`]. Each violation has a JSON Pointer path into the message.
    ValidationFailed,
    /// `handler_error`: a handler returned an error ([`HandlerError::new`]).
    HandlerError,
    /// `unsupported_frame`: a binary frame arrived; the API speaks JSON text frames only.
    UnsupportedFrame,
    /// `too_large`: a frame or message is bigger than the configured limit. The runtime then
    /// closes the connection with close code 1009 (message too big).
    TooLarge,
    /// `rate_limited`: the connection sent more messages than its rate limit allows (see
    /// [`RateLimit`](crate::RateLimit)). The message was neither decoded nor handled. A
    /// connection that keeps going gets closed with close code 1008.
    RateLimited,
    /// `timeout`: the handler did not finish within the endpoint's handler timeout (see
    /// [`Settings::handler_timeout`](crate::Settings::handler_timeout)). It was stopped (a
    /// blocking handler's thread runs on, and its result is dropped); the connection stays open.
    Timeout,
    /// `internal`: the server failed while handling the message (a handler panicked, or a reply
    /// could not be serialized). Details are logged on the server, not sent.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire, in snake_case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::NotAnObject => "not_an_object",
            Self::MissingTag => "missing_tag",
            Self::UnknownTag => "unknown_tag",
            Self::ValidationFailed => "validation_failed",
            Self::HandlerError => "handler_error",
            Self::UnsupportedFrame => "unsupported_frame",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
        }
    }

    /// Every code, in documentation order.
    pub const ALL: &'static [ErrorCode] = &[
        Self::InvalidJson,
        Self::NotAnObject,
        Self::MissingTag,
        Self::UnknownTag,
        Self::ValidationFailed,
        Self::HandlerError,
        Self::UnsupportedFrame,
        Self::TooLarge,
        Self::RateLimited,
        Self::Timeout,
        Self::Internal,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for Cow<'static, str> {
    fn from(code: ErrorCode) -> Self {
        Cow::Borrowed(code.as_str())
    }
}

/// One problem found in an incoming message.
///
/// `kind` is one of:
/// - `required`: a required field is missing (the path points at the missing field);
/// - `unknown_field`: a field the schema does not allow (the path points at it);
/// - `type`: a value has the wrong JSON type;
/// - `invalid`: a value has the right type but is not allowed (out of range, not in the enum,
///   wrong length, rejected by the handler);
/// - other kinds may be added by validators and handlers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) to the offending value; `""` means the whole message.
    pub path: String,
    /// What kind of problem this is, e.g. `required`, `unknown_field`, `type`, `invalid`.
    pub kind: Cow<'static, str>,
    /// Human-readable description.
    pub message: String,
}

impl Violation {
    /// A violation at `path` (a JSON Pointer) of the given `kind`.
    pub fn new(
        path: impl Into<String>,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            kind: kind.into(),
            message: message.into(),
        }
    }
}

/// An error message as sent on the wire: `{"type":"error","id":…,"code":…,"message":…,"errors":[…]}`.
///
/// Serializes with `"type":"error"` first, then `id` (only when known), `code`, `message` and
/// `errors` (always present, possibly empty).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMessage {
    /// The correlation id of the message that caused the error, when known.
    pub id: Option<serde_json::Value>,
    /// The error code: one of [`ErrorCode`]'s strings, or a handler's own code.
    pub code: Cow<'static, str>,
    /// Human-readable description.
    pub message: String,
    /// Every violation found, with JSON Pointer paths. May be empty.
    pub errors: Vec<Violation>,
}

impl Serialize for ErrorMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Tagged {
            tag: "type",
            error: self,
        }
        .serialize(serializer)
    }
}

/// An error message with the tag field of the API: `{"<tag>":"error",…}`.
struct Tagged<'a> {
    tag: &'a str,
    error: &'a ErrorMessage,
}

impl Serialize for Tagged<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = self.error;
        let mut map = serializer.serialize_map(Some(4 + usize::from(e.id.is_some())))?;
        map.serialize_entry(self.tag, "error")?;
        if let Some(id) = &e.id {
            map.serialize_entry("id", id)?;
        }
        map.serialize_entry("code", &e.code)?;
        map.serialize_entry("message", &e.message)?;
        map.serialize_entry("errors", &e.errors)?;
        map.end()
    }
}

/// What [`ErrorMessage`] deserializes from: the same fields, and a `type` that must be `"error"`
/// (serde's tag attribute alone would accept any value there).
#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    _type: ErrorTag,
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
    code: Cow<'static, str>,
    message: String,
    #[serde(default)]
    errors: Vec<Violation>,
}

/// An id that is present is `Some`, even when it is `null` (a client may send `"id":null`, and
/// the error then carries it); only an absent one is `None`.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
enum ErrorTag {
    #[serde(rename = "error")]
    Error,
}

/// [`WireError`] without its tag, for an API whose tag field is not `type`.
#[derive(Deserialize)]
struct WireBody {
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
    code: Cow<'static, str>,
    message: String,
    #[serde(default)]
    errors: Vec<Violation>,
}

impl<'de> Deserialize<'de> for ErrorMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireError::deserialize(deserializer)?;
        let ErrorTag::Error = wire._type;
        Ok(Self {
            id: wire.id,
            code: wire.code,
            message: wire.message,
            errors: wire.errors,
        })
    }
}

impl ErrorMessage {
    /// An error message with `code`, `message`, no id and no violations.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            id: None,
            code: Cow::Borrowed(code.as_str()),
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// Adds a violation.
    pub fn violation(
        mut self,
        path: impl Into<String>,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        self.errors.push(Violation::new(path, kind, message));
        self
    }

    /// Sets the correlation id.
    pub fn with_id(mut self, id: serde_json::Value) -> Self {
        self.id = Some(id);
        self
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        self.to_json_tagged("type")
    }

    /// The JSON text of this message with the API's own tag field: `{"event":"error",…}` for an
    /// API whose messages are tagged by `event`, so that clients find errors where they find
    /// every other message's type. A dotted (nested) tag field keeps `type`.
    pub fn to_json_tagged(&self, tag_field: &str) -> String {
        let tag = if tag_field.contains('.') {
            "type"
        } else {
            tag_field
        };
        // Serializing cannot fail: every field is a string, a `Value` or a list of strings, and
        // `Value` maps always have string keys.
        serde_json::to_string(&Tagged { tag, error: self }).unwrap_or_else(|_| {
            String::from(
                r#"{"type":"error","code":"internal","message":"internal error","errors":[]}"#,
            )
        })
    }
}

impl ErrorMessage {
    /// Reads an error message tagged by the API's tag field, as
    /// [`ErrorMessage::to_json_tagged`] writes it: `{"event":"error",…}` for `event`, `type` for
    /// a dotted (nested) tag field. `None` when `text` is not such an error message.
    pub fn from_json_tagged(text: &str, tag_field: &str) -> Option<Self> {
        let tag = if tag_field.contains('.') {
            "type"
        } else {
            tag_field
        };
        let serde_json::Value::Object(mut object) = serde_json::from_str(text).ok()? else {
            return None;
        };
        if object.remove(tag)? != "error" {
            return None;
        }
        let body = WireBody::deserialize(serde_json::Value::Object(object)).ok()?;
        Some(Self {
            id: body.id,
            code: body.code,
            message: body.message,
            errors: body.errors,
        })
    }
}

impl fmt::Display for ErrorMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        for v in &self.errors {
            let path = if v.path.is_empty() { "(root)" } else { &v.path };
            write!(f, "; {path}: {} ({})", v.message, v.kind)?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorMessage {}

/// What a handler returns when it cannot handle a message. The runtime sends it to the client
/// as an [`ErrorMessage`] and keeps the connection open.
///
/// ```
/// use socketsundso::HandlerError;
///
/// // {"type":"error","code":"validation_failed","message":"validation failed",
/// //  "errors":[{"path":"/to","kind":"invalid","message":"recipient not found"}]}
/// let err = HandlerError::invalid("/to", "recipient not found");
/// assert_eq!(err.into_error_message().code, "validation_failed");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerError {
    /// Boxed, so that `Result<T, HandlerError>` stays small (errors are the rare path).
    inner: Box<ErrorMessage>,
}

impl HandlerError {
    /// An error with code `handler_error` and no violations.
    pub fn new(message: impl Into<String>) -> Self {
        Self::with_code(ErrorCode::HandlerError, message)
    }

    /// An error with a custom code (for example `"forbidden"`), or one of [`ErrorCode`]'s.
    pub fn with_code(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(ErrorMessage {
                id: None,
                code: code.into(),
                message: message.into(),
                errors: Vec::new(),
            }),
        }
    }

    /// A validation-style error: code `validation_failed`, message `validation failed`, and one
    /// violation of kind `invalid` at `path` (a JSON Pointer such as `/to`).
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::with_code(ErrorCode::ValidationFailed, "validation failed")
            .violation(path, "invalid", message)
    }

    /// Adds a violation.
    pub fn violation(
        mut self,
        path: impl Into<String>,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        self.inner.errors.push(Violation::new(path, kind, message));
        self
    }

    /// Sets the correlation id sent with the error (the runtime copies the message's id).
    pub fn with_id(mut self, id: serde_json::Value) -> Self {
        self.inner.id = Some(id);
        self
    }

    /// The error's code.
    pub fn code(&self) -> &str {
        &self.inner.code
    }

    /// The error's message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The error's violations.
    pub fn violations(&self) -> &[Violation] {
        &self.inner.errors
    }

    /// The wire form of this error.
    pub fn into_error_message(self) -> ErrorMessage {
        *self.inner
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for HandlerError {}

impl From<ErrorMessage> for HandlerError {
    fn from(m: ErrorMessage) -> Self {
        Self { inner: Box::new(m) }
    }
}

/// Refuses a connection: returned by [`Service::on_connect`](crate::Service::on_connect).
///
/// The runtime sends a close frame with this code and reason and never handles a message from
/// the connection. Close codes 4000–4999 are free for applications; 1008 (policy violation) is the
/// usual choice for "not allowed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The WebSocket close code.
    pub code: u16,
    /// The close reason. WebSocket limits it to 123 bytes; the runtime truncates longer reasons
    /// at a character boundary.
    pub reason: String,
}

impl Reject {
    /// A rejection with any close code.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// A rejection with close code 1008 (policy violation).
    pub fn policy(reason: impl Into<String>) -> Self {
        Self::new(1008, reason)
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection rejected ({}): {}", self.code, self.reason)
    }
}

impl std::error::Error for Reject {}

/// Refuses a WebSocket upgrade: what an endpoint's authentication hook returns
/// ([`Endpoint::authenticate`](crate::Endpoint::authenticate)) for a request it does not accept.
///
/// The client gets an HTTP response with this status and the message as its plain-text body,
/// and no upgrade: no connection is registered and no handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    status: u16,
    message: String,
}

impl AuthError {
    /// 401 Unauthorized: the request carries no credentials, or credentials that are not valid.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: 401,
            message: message.into(),
        }
    }

    /// 403 Forbidden: the client is known, but not allowed here.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: 403,
            message: message.into(),
        }
    }

    /// The HTTP status: 401 or 403.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The text of the response body.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upgrade refused ({}): {}", self.status, self.message)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_are_snake_case() {
        let all: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all,
            [
                "invalid_json",
                "not_an_object",
                "missing_tag",
                "unknown_tag",
                "validation_failed",
                "handler_error",
                "unsupported_frame",
                "too_large",
                "rate_limited",
                "timeout",
                "internal"
            ]
        );
    }

    #[test]
    fn wire_shape_and_field_order() {
        let m = HandlerError::invalid("/to", "recipient not found").into_error_message();
        assert_eq!(
            m.to_json(),
            r#"{"type":"error","code":"validation_failed","message":"validation failed","errors":[{"path":"/to","kind":"invalid","message":"recipient not found"}]}"#
        );
        let m = ErrorMessage::new(ErrorCode::HandlerError, "nope").with_id(json!(7));
        assert_eq!(
            m.to_json(),
            r#"{"type":"error","id":7,"code":"handler_error","message":"nope","errors":[]}"#
        );
    }

    #[test]
    fn round_trip() {
        let m = ErrorMessage::new(ErrorCode::ValidationFailed, "x")
            .with_id(json!("abc"))
            .violation("/a/0", "type", "bad");
        let back: ErrorMessage = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back, m);
        let no_errors: ErrorMessage =
            serde_json::from_str(r#"{"type":"error","code":"c","message":"m"}"#).unwrap();
        assert!(no_errors.errors.is_empty() && no_errors.id.is_none());
        assert!(
            serde_json::from_str::<ErrorMessage>(r#"{"type":"pong","code":"c","message":"m"}"#)
                .is_err()
        );
    }

    #[test]
    fn a_null_id_reads_back_as_null() {
        let m = ErrorMessage::new(ErrorCode::UnknownTag, "nope").with_id(json!(null));
        assert_eq!(
            m.to_json(),
            r#"{"type":"error","id":null,"code":"unknown_tag","message":"nope","errors":[]}"#
        );
        let back: ErrorMessage = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back.id, Some(json!(null)));
        assert_eq!(
            ErrorMessage::from_json_tagged(&m.to_json_tagged("event"), "event"),
            Some(m)
        );
    }

    #[test]
    fn handler_error_constructors() {
        let e = HandlerError::new("boom");
        assert_eq!(e.code(), "handler_error");
        assert_eq!(e.to_string(), "handler_error: boom");
        let e = HandlerError::with_code("forbidden", "no").violation("", "auth", "who are you");
        let m = e.into_error_message();
        assert_eq!(m.code, "forbidden");
        assert_eq!(m.errors, [Violation::new("", "auth", "who are you")]);
        assert_eq!(Reject::policy("go away").code, 1008);
    }

    #[test]
    fn errors_use_the_apis_tag_field() {
        let m = ErrorMessage::new(ErrorCode::UnknownTag, "nope").with_id(serde_json::json!(7));
        assert_eq!(
            m.to_json_tagged("event"),
            r#"{"event":"error","id":7,"code":"unknown_tag","message":"nope","errors":[]}"#
        );
        assert_eq!(m.to_json_tagged("type"), m.to_json());
        // A nested tag field cannot be written flat: the error keeps `type`.
        assert_eq!(m.to_json_tagged("header.type"), m.to_json());
        // and reads back the same way
        for field in ["event", "type", "header.type"] {
            let text = m.to_json_tagged(field);
            assert_eq!(
                ErrorMessage::from_json_tagged(&text, field).as_ref(),
                Some(&m)
            );
        }
        assert_eq!(ErrorMessage::from_json_tagged(&m.to_json(), "event"), None);
        assert_eq!(
            ErrorMessage::from_json_tagged(r#"{"event":"pong","code":"c","message":"m"}"#, "event"),
            None
        );
    }
}

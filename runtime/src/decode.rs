//! Decoding an incoming text frame into the server's message enum.
//!
//! (A binary frame needs no decoding: it is the API's binary message, `Incoming::from_binary`.)
//!
//! Two steps:
//!
//! 1. **Fast path.** When the tag is the first key of the object (the common case), the tag is
//!    read straight from the parser and the rest of the object is deserialized into the
//!    variant's payload type through the same map access. No intermediate `Value`, no buffering.
//! 2. **Slow path.** When the tag is not the first key, or anything at all failed in step 1, the
//!    frame is parsed again into a `serde_json::Value`. This finds where the tag is, and on bad
//!    input builds the error message with a JSON Pointer to the problem. The fast path's error is
//!    never used: when a payload fails midway, serde_json only sees "trailing characters" and the
//!    real cause is lost.

use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;

use crate::Incoming;
use crate::error::{ErrorCode, ErrorMessage, Violation};
use crate::strict::{IdSlot, KeySeed, Payload};
use crate::validate::{json_type_name, push_escaped};

/// A message without a tag on the wire, as generated code lists them in
/// [`Incoming::UNTAGGED`]: a payload that is not an object (an array of tickers, a string), or
/// an object with `x-socketsundso-tag: false`. A frame that is not an object, or an object
/// without the tag field, is one of these when its shape says which ([`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Untagged {
    /// The message's name (it stands in for a tag in handler and event names).
    pub name: &'static str,
    /// The JSON types its payload may have (`array`, `string`, `integer`, `number`, `boolean`,
    /// `null`, `object`); empty for any.
    pub types: &'static [&'static str],
    /// For an object among several untagged objects: the required property that picks it.
    pub key: Option<&'static str>,
    /// Whether its payload declares the id field itself.
    pub declares_id: bool,
}

/// Which of `T`'s untagged messages a value without a tag is: the one whose JSON types fit
/// (a whole number fits `integer` and `number` alike), and among several objects the one whose
/// key property the object has.
pub(crate) fn shape_of<T: Incoming>(value: &Value) -> Option<usize> {
    let ty = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() != 0.0) => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = |u: &Untagged| {
        u.types.is_empty()
            || u.types.iter().any(|t| {
                *t == ty
                    || (ty == "integer" && *t == "number")
                    || (ty == "number" && *t == "integer")
            })
    };
    let mut candidates = T::UNTAGGED
        .iter()
        .enumerate()
        .filter(|(_, u)| fits(u))
        .map(|(i, _)| i);
    let Value::Object(object) = value else {
        return candidates.next();
    };
    let candidates: Vec<usize> = candidates.collect();
    match candidates.as_slice() {
        [one] => Some(*one),
        several => several.iter().copied().find(|&i| {
            T::UNTAGGED[i]
                .key
                .is_some_and(|key| object.contains_key(key))
        }),
    }
}

/// The fast path of a frame that is not an object, when its first byte names one candidate:
/// serde straight from the text into the payload type.
fn decode_untagged_fast<T: Incoming>(text: &str) -> Option<Decoded<T>> {
    let first = text.trim_start().bytes().next()?;
    let types: &[&str] = match first {
        b'[' => &["array"],
        b'"' => &["string"],
        b't' | b'f' => &["boolean"],
        b'n' => &["null"],
        b'-' | b'0'..=b'9' => &["integer", "number"],
        _ => return None,
    };
    let mut candidates = T::UNTAGGED
        .iter()
        .enumerate()
        .filter(|(_, u)| u.types.is_empty() || u.types.iter().any(|t| types.contains(t)));
    let (index, _) = candidates.next()?;
    if candidates.next().is_some() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let message =
        T::deserialize_untagged(index, crate::strict::Strict(&mut de, T::OPEN_OBJECTS)).ok()?;
    de.end().ok()?;
    Some(Decoded { message, id: None })
}

/// The slow path of a message without a tag (its shape picked untagged message `index`):
/// the id taken out of an object, the payload checked against its schema to list every
/// violation, then deserialized.
#[allow(clippy::result_large_err)] // see `decode`
fn decode_untagged_slow<T: Incoming>(
    index: usize,
    mut value: Value,
) -> Result<Decoded<T>, ErrorMessage> {
    let id = match (&mut value, T::ID_FIELD) {
        (Value::Object(object), Some(field)) if T::UNTAGGED[index].declares_id => {
            object.get(field).cloned()
        }
        (Value::Object(object), Some(field)) => object.remove(field),
        _ => None,
    };
    let with_id = |error: ErrorMessage| match &id {
        Some(id) => error.with_id(id.clone()),
        None => error,
    };
    if let Some(schema) = T::untagged_validator(index) {
        let violations = schema.validate(&value, "");
        if !violations.is_empty() {
            return Err(with_id(validation_failed(violations)));
        }
    }
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize_untagged(
        index,
        crate::strict::Strict(
            serde_path_to_error::Deserializer::new(value, &mut track),
            T::OPEN_OBJECTS,
        ),
    );
    match result {
        Ok(message) => Ok(Decoded { message, id }),
        Err(e) => {
            let (pointer, kind) = classify(&track.path(), &e.to_string());
            Err(with_id(validation_failed(vec![Violation::new(
                pointer,
                kind,
                e.to_string(),
            )])))
        }
    }
}

/// Decodes `text` as untagged message `index` (into [`Incoming::UNTAGGED`]), as a client checks a
/// message before it sends it: valid under that message's own schema, and read by its shape as
/// that message (not as another one, nor as a tagged one). What JSON changes counts: a `NaN`
/// sent as a number is `null` on the wire.
#[cfg(feature = "client")]
#[allow(clippy::result_large_err)] // see `decode`
pub(crate) fn decode_untagged_as<T: Incoming>(
    text: &str,
    index: usize,
) -> Result<Decoded<T>, ErrorMessage> {
    let value = match parse_strict(text) {
        Ok(value) => value,
        // Not JSON, or a repeated key: the same error as the server's.
        Err(_) => return decode_slow::<T>(text),
    };
    let tagged = match &value {
        Value::Object(object) => {
            object.contains_key(T::TAG_FIELD.split('.').next().unwrap_or_default())
        }
        _ => false,
    };
    let read = if tagged { None } else { shape_of::<T>(&value) };
    let decoded = decode_untagged_slow::<T>(index, value)?;
    if read == Some(index) {
        return Ok(decoded);
    }
    let name = T::UNTAGGED.get(index).map_or("", |u| u.name);
    let read_as = match read {
        _ if tagged => format!("a tagged message (it has the `{}` field)", T::TAG_FIELD),
        Some(other) => format!("`{}`", T::UNTAGGED[other].name),
        None => "no message".to_owned(),
    };
    Err(validation_failed(vec![Violation::new(
        String::new(),
        "type",
        format!("the server would read this value as {read_as}, not as `{name}`"),
    )]))
}

/// A decoded message and the correlation id it carried, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    /// The message.
    pub message: T,
    /// The value of the id field ([`Incoming::ID_FIELD`]), taken out of the message.
    pub id: Option<Value>,
}

/// Decodes one JSON text frame into `T`, the server's message enum, with its correlation id.
///
/// On failure it returns the error message to send back to the client (with the message's id
/// when it had one):
///
/// | input | code | violations |
/// |---|---|---|
/// | not JSON | `invalid_json` | — (the message has serde_json's line and column) |
/// | JSON but not an object | `not_an_object` | `""`, kind `type` |
/// | no tag field | `missing_tag` | `/<tag>`, kind `required` |
/// | tag is not a string | `missing_tag` | `/<tag>`, kind `type` |
/// | tag not in [`Incoming::TAGS`] | `unknown_tag` | `/<tag>`, kind `invalid` |
/// | payload breaks its schema | `validation_failed` | every violation, each with its JSON Pointer and kind |
///
/// A value that is not an object, or an object without the tag field, is one of the messages
/// without a tag ([`Incoming::UNTAGGED`]) when its shape picks one (see [`Untagged`]): it is
/// checked against that message's schema as a whole. When none fits, the errors above apply,
/// and `not_an_object` lists the shapes that would have fitted.
///
/// Valid messages take the fast path: serde straight into the payload type, then the generated
/// [`Incoming::check`]. Only a message that fails either is parsed again, into a `Value`, and
/// checked against its schema to list every violation.
// The error is the slow path; boxing it would cost an allocation and gain nothing. (It is only
// "large" when another crate turns on serde_json's `preserve_order`, which grows `Value`.)
#[allow(clippy::result_large_err)]
pub fn decode<T: Incoming>(text: &str) -> Result<Decoded<T>, ErrorMessage> {
    // A dotted tag field names a nested tag: the first key is never it, so only the slow path
    // can read it.
    if !T::TAG_FIELD.contains('.')
        && let Some(decoded) = decode_fast::<T>(text)
        && decoded.message.check()
    {
        return Ok(decoded);
    }
    if !T::UNTAGGED.is_empty()
        && let Some(decoded) = decode_untagged_fast::<T>(text)
        && decoded.message.check()
    {
        return Ok(decoded);
    }
    decode_slow::<T>(text)
}

/// Step 1: the tag is the first key. `None` means "use the slow path". The payload is read
/// through [`crate::strict`], so serde is as strict as the schema about objects and keys.
fn decode_fast<T: Incoming>(text: &str) -> Option<Decoded<T>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut id = None;
    let message =
        de::Deserializer::deserialize_map(&mut de, FastVisitor::<T>(PhantomData, &mut id)).ok()?;
    de.end().ok()?;
    Some(Decoded { message, id })
}

struct FastVisitor<'a, T>(PhantomData<fn() -> T>, &'a mut Option<Value>);

impl<'de, T: Incoming> Visitor<'de> for FastVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        if map.next_key_seed(KeyIs(T::TAG_FIELD))? != Some(true) {
            // The slow path finds the tag, or reports its absence.
            return Err(de::Error::custom("tag is not the first key"));
        }
        let tag = map.next_value_seed(KeySeed)?;
        let tag = tag.as_str();
        // Strict from here on: no repeated key (the tag counts as seen), no struct from an array;
        // the id field goes to the decoded message, not the payload (unless it declares it).
        let id = T::ID_FIELD.map(|field| IdSlot::new(field, T::payload_declares_id(tag), self.1));
        T::deserialize_payload(
            tag,
            Payload {
                map,
                tag: T::TAG_FIELD,
                id,
                open: T::OPEN_OBJECTS,
            },
        )
    }
}

/// Reads a map key and tells whether it equals `self.0`, without allocating when the key has no
/// escapes.
struct KeyIs(&'static str);

impl<'de> DeserializeSeed<'de> for KeyIs {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

/// Step 2: parse to a `Value`, find the tag and the id, and check the payload against its
/// schema to list every violation.
#[allow(clippy::result_large_err)] // see `decode`
fn decode_slow<T: Incoming>(text: &str) -> Result<Decoded<T>, ErrorMessage> {
    let tag_field = T::TAG_FIELD;
    // A dotted tag field (`header.type`) names a tag inside a nested object; it stays in the
    // payload. A plain one is taken out of the message before the payload is read.
    let nested = tag_field.contains('.');
    let mut tag_path = String::new();
    for segment in tag_field.split('.') {
        tag_path.push('/');
        push_escaped(&mut tag_path, segment);
    }
    let value = match parse_strict(text) {
        Ok(value) => value,
        Err(ParseError::Json(e)) => {
            return Err(ErrorMessage::new(
                ErrorCode::InvalidJson,
                format!("the message is not JSON: {e}"),
            ));
        }
        Err(ParseError::Duplicate { path, key }) => {
            return Err(ErrorMessage::new(
                ErrorCode::ValidationFailed,
                format!(
                    "validation failed: {}: the field `{key}` appears twice",
                    display_path(&path)
                ),
            )
            .violation(
                path,
                "duplicate_field",
                format!("`{key}` appears more than once"),
            ));
        }
    };
    // A value without the tag field: one of the untagged messages, by its shape.
    if !T::UNTAGGED.is_empty() {
        let tagged = match &value {
            Value::Object(object) => {
                object.contains_key(tag_field.split('.').next().unwrap_or_default())
            }
            _ => false,
        };
        if !tagged && let Some(index) = shape_of::<T>(&value) {
            return decode_untagged_slow::<T>(index, value);
        }
    }
    let Value::Object(mut object) = value else {
        let expected = untagged_shapes::<T>();
        return Err(ErrorMessage::new(
            ErrorCode::NotAnObject,
            format!(
                "the message must be a JSON object{expected}, not {}",
                json_type_name(&value)
            ),
        )
        .violation("", "type", "expected an object"));
    };
    let id = T::ID_FIELD.and_then(|field| object.get(field).cloned());
    let with_id = |error: ErrorMessage| match &id {
        Some(id) => error.with_id(id.clone()),
        None => error,
    };
    let found = if nested {
        let mut node = object.get(tag_field.split('.').next().unwrap_or_default());
        for segment in tag_field.split('.').skip(1) {
            node = node.and_then(|n| n.get(segment));
        }
        node.cloned()
    } else {
        object.remove(tag_field)
    };
    let tag = match found {
        Some(Value::String(tag)) => tag,
        Some(other) => {
            return Err(with_id(
                ErrorMessage::new(
                    ErrorCode::MissingTag,
                    format!("the `{tag_field}` field must be a string"),
                )
                .violation(
                    tag_path,
                    "type",
                    format!("expected a string, found {}", json_type_name(&other)),
                ),
            ));
        }
        None => {
            let message = if T::TAGS.is_empty() {
                no_tagged_message::<T>("no message fits this object")
            } else {
                format!("the message has no `{tag_field}` field")
            };
            return Err(with_id(
                ErrorMessage::new(ErrorCode::MissingTag, message).violation(
                    tag_path,
                    "required",
                    format!("missing field `{tag_field}`"),
                ),
            ));
        }
    };
    if !T::TAGS.contains(&tag.as_str()) {
        let known = T::TAGS
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let message = if T::TAGS.is_empty() {
            no_tagged_message::<T>(&format!("unknown message type `{tag}`"))
        } else {
            format!("unknown message type `{tag}`; expected one of: {known}")
        };
        return Err(with_id(
            ErrorMessage::new(ErrorCode::UnknownTag, message).violation(
                tag_path,
                "invalid",
                format!("unknown message type `{tag}`"),
            ),
        ));
    }
    if let Some(field) = T::ID_FIELD
        && !T::payload_declares_id(&tag)
    {
        object.remove(field);
    }
    let payload = Value::Object(object);
    if let Some(schema) = T::validator(&tag) {
        let violations = schema.validate(&payload, "");
        if !violations.is_empty() {
            return Err(with_id(validation_failed(violations)));
        }
    }
    // The schema accepts the payload (or there is none): what serde says is final. A payload can
    // still fail here where the Rust type is narrower than the schema (an integer beyond 64 bits).
    // As strict as the fast path: no struct from an array, `1.0` for an integer.
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize_payload(
        &tag,
        crate::strict::Strict(
            serde_path_to_error::Deserializer::new(payload, &mut track),
            T::OPEN_OBJECTS,
        ),
    );
    match result {
        Ok(message) => Ok(Decoded { message, id }),
        Err(e) => {
            let path = track.path();
            let (pointer, kind) = classify(&path, &e.to_string());
            Err(with_id(validation_failed(vec![Violation::new(
                pointer,
                kind,
                e.to_string(),
            )])))
        }
    }
}

enum ParseError {
    Json(serde_json::Error),
    /// An object has the same key twice (JSON allows it; we do not: which one would count?).
    Duplicate {
        path: String,
        key: String,
    },
}

/// Parses JSON text into a `Value` like `serde_json::from_str`, but rejects an object that has
/// the same key twice instead of keeping the last value. The fast path rejects those too (serde
/// reports a duplicate field), so both paths agree.
fn parse_strict(text: &str) -> Result<Value, ParseError> {
    let mut duplicate = None;
    let mut path = String::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = StrictValue {
        path: &mut path,
        duplicate: &mut duplicate,
    }
    .deserialize(&mut de)
    .and_then(|value| de.end().map(|()| value));
    match (result, duplicate) {
        (_, Some((path, key))) => Err(ParseError::Duplicate { path, key }),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(ParseError::Json(e)),
    }
}

/// Builds a `Value`, tracking the JSON Pointer of the current node for the duplicate-key error.
struct StrictValue<'a> {
    path: &'a mut String,
    duplicate: &'a mut Option<(String, String)>,
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let base = self.path.len();
        loop {
            self.path.truncate(base);
            let _ = write!(self.path, "/{}", items.len());
            let seed = StrictValue {
                path: &mut *self.path,
                duplicate: &mut *self.duplicate,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        self.path.truncate(base);
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        let base = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            self.path.truncate(base);
            self.path.push('/');
            push_escaped(self.path, &key);
            if object.contains_key(&key) {
                *self.duplicate = Some((self.path.clone(), key));
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value_seed(StrictValue {
                path: &mut *self.path,
                duplicate: &mut *self.duplicate,
            })?;
            object.insert(key, value);
        }
        self.path.truncate(base);
        Ok(Value::Object(object))
    }
}

/// `" or one of: an array (`tickers`), a string (`ping`)"`: the shapes of the untagged messages
/// that are not objects, for the `not_an_object` error; empty when there are none.
fn untagged_shapes<T: Incoming>() -> String {
    let shapes: Vec<String> = T::UNTAGGED
        .iter()
        .filter(|u| !u.types.is_empty() && u.types != ["object"])
        .map(|u| {
            let types: Vec<&str> = u
                .types
                .iter()
                .filter(|t| **t != "object")
                .map(|t| type_phrase(t))
                .collect();
            format!("{} (`{}`)", types.join(" or "), u.name)
        })
        .collect();
    if shapes.is_empty() {
        String::new()
    } else {
        format!(" or one of: {}", shapes.join(", "))
    }
}

/// A JSON type as the error messages name it: `an array`, `a string`, ...
fn type_phrase(ty: &str) -> &'static str {
    match ty {
        "object" => "an object",
        "array" => "an array",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        _ => "null",
    }
}

/// The text of a `missing_tag` or `unknown_tag` error for an API that receives no tagged
/// message: `what`, then the shapes it does receive (rather than an empty list of tags).
fn no_tagged_message<T: Incoming>(what: &str) -> String {
    let shapes: Vec<String> = T::UNTAGGED
        .iter()
        .map(|u| {
            let types: Vec<String> = if u.types.is_empty() {
                vec!["any value".to_owned()]
            } else {
                u.types
                    .iter()
                    .map(|t| match (*t, u.key) {
                        ("object", Some(key)) => format!("an object with `{key}`"),
                        _ => type_phrase(t).to_owned(),
                    })
                    .collect()
            };
            format!("{} (`{}`)", types.join(" or "), u.name)
        })
        .collect();
    if shapes.is_empty() {
        format!("{what}: this API receives no tagged messages")
    } else {
        format!(
            "{what}: this API receives no tagged messages; the message must be one of: {}",
            shapes.join(", ")
        )
    }
}

/// One `validation_failed` error listing `violations`; its message names the first.
fn validation_failed(violations: Vec<Violation>) -> ErrorMessage {
    let message = match violations.as_slice() {
        [] => "validation failed".to_owned(),
        [one] => format!(
            "validation failed: {}: {}",
            display_path(&one.path),
            one.message
        ),
        [first, rest @ ..] => format!(
            "validation failed: {}: {} (and {} more)",
            display_path(&first.path),
            first.message,
            rest.len()
        ),
    };
    let mut error = ErrorMessage::new(ErrorCode::ValidationFailed, message);
    error.errors = violations;
    error
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "the message" } else { path }
}

/// Turns serde's error into a violation's JSON Pointer and kind.
///
/// serde stops at the first error and reports it as text, so the kind comes from the text:
/// `unknown field` → `unknown_field`, `missing field` → `required`, `invalid type` → `type`,
/// anything else → `invalid`. For unknown and missing fields the pointer ends at the field.
fn classify(path: &serde_path_to_error::Path, message: &str) -> (String, &'static str) {
    use serde_path_to_error::Segment;

    let mut pointer = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(pointer, "/{index}");
            }
            Segment::Map { key } => {
                pointer.push('/');
                push_escaped(&mut pointer, key);
            }
            Segment::Enum { variant } => {
                pointer.push('/');
                push_escaped(&mut pointer, variant);
            }
            // Not a location in the input (e.g. inside an untagged enum): skip.
            Segment::Unknown => {}
        }
    }
    let last_key = match path.iter().next_back() {
        Some(Segment::Map { key }) => Some(key.as_str()),
        _ => None,
    };
    let mut push = |field: &str| {
        pointer.push('/');
        push_escaped(&mut pointer, field);
    };
    let kind = if let Some(field) = quoted_after(message, "unknown field `") {
        // serde_path_to_error has already recorded the unknown key itself.
        if last_key != Some(field) {
            push(field);
        }
        "unknown_field"
    } else if let Some(field) = quoted_after(message, "missing field `") {
        // A missing key is never recorded: the path ends at the object that lacks it.
        push(field);
        "required"
    } else if message.starts_with("invalid type") {
        "type"
    } else {
        // "invalid value", "invalid length", unknown variant, custom messages
        "invalid"
    };
    (pointer, kind)
}

/// The text between `prefix` and the next backtick, if `message` starts with `prefix`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.find('`').map(|end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Message {
        text: String,
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        x: u32,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ping {}

    #[derive(Debug, PartialEq)]
    enum ClientMessage {
        Message(Message),
        Ping(Ping),
    }

    impl Incoming for ClientMessage {
        const TAG_FIELD: &'static str = "type";
        const TAGS: &'static [&'static str] = &["message", "ping"];

        fn deserialize_payload<'de, D>(tag: &str, payload: D) -> Result<Self, D::Error>
        where
            D: serde::Deserializer<'de>,
        {
            match tag {
                "message" => Message::deserialize(payload).map(Self::Message),
                "ping" => Ping::deserialize(payload).map(Self::Ping),
                other => Err(de::Error::unknown_variant(other, Self::TAGS)),
            }
        }
    }

    fn err(text: &str) -> ErrorMessage {
        decode::<ClientMessage>(text).unwrap_err()
    }

    fn msg(text: &str) -> ClientMessage {
        ClientMessage::Message(Message {
            text: text.into(),
            inner: None,
            list: vec![],
        })
    }

    #[test]
    fn fast_path() {
        assert!(decode_fast::<ClientMessage>(r#"{"type":"message","text":"hi"}"#).is_some());
        assert_eq!(
            decode::<ClientMessage>(r#"{"type":"message","text":"hi"}"#)
                .unwrap()
                .message,
            msg("hi")
        );
        assert_eq!(
            decode::<ClientMessage>(r#" { "type" : "ping" } "#)
                .unwrap()
                .message,
            ClientMessage::Ping(Ping {})
        );
    }

    #[test]
    fn tag_not_first() {
        assert!(decode_fast::<ClientMessage>(r#"{"text":"hi","type":"message"}"#).is_none());
        assert_eq!(
            decode::<ClientMessage>(r#"{"text":"hi","type":"message"}"#)
                .unwrap()
                .message,
            msg("hi")
        );
    }

    #[test]
    fn escapes_in_tag_position() {
        // escaped key and escaped value: both still take the fast path
        let text = r#"{"\u0074ype":"mess\u0061ge","text":"a\"b"}"#;
        assert!(decode_fast::<ClientMessage>(text).is_some());
        assert_eq!(decode::<ClientMessage>(text).unwrap().message, msg("a\"b"));
    }

    #[test]
    fn invalid_json() {
        let e = err(r#"{"type":"#);
        assert_eq!(e.code, "invalid_json");
        assert!(e.message.contains("line 1 column"), "{}", e.message);
        assert!(e.errors.is_empty());
        assert_eq!(err("").code, "invalid_json");
        // trailing data after a valid message
        assert_eq!(err(r#"{"type":"ping"} x"#).code, "invalid_json");
    }

    #[test]
    fn not_an_object() {
        for text in ["[1]", "1", "\"type\"", "null"] {
            let e = err(text);
            assert_eq!(e.code, "not_an_object", "{text}");
            assert_eq!(e.errors[0].path, "");
        }
    }

    #[test]
    fn missing_tag() {
        let e = err(r#"{"text":"hi"}"#);
        assert_eq!(e.code, "missing_tag");
        assert_eq!(e.errors[0].path, "/type");
        assert_eq!(e.errors[0].kind, "required");
        let e = err(r#"{"type":3}"#);
        assert_eq!(e.code, "missing_tag");
        assert_eq!(e.message, "the `type` field must be a string");
        assert_eq!(e.errors[0].kind, "type");
    }

    #[test]
    fn unknown_tag() {
        let e = err(r#"{"type":"shout"}"#);
        assert_eq!(e.code, "unknown_tag");
        assert!(e.message.contains("`message`, `ping`"), "{}", e.message);
        assert_eq!(e.errors[0].path, "/type");
    }

    #[test]
    fn unknown_field() {
        let e = err(r#"{"type":"message","text":"hi","sender":1}"#);
        assert_eq!(e.code, "validation_failed");
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].path, "/sender");
        assert_eq!(e.errors[0].kind, "unknown_field");
        assert!(e.errors[0].message.starts_with("unknown field `sender`"));
        // same when the tag comes last
        let e = err(r#"{"sender":1,"text":"hi","type":"message"}"#);
        assert_eq!(e.errors[0].path, "/sender");
    }

    #[test]
    fn missing_field() {
        let e = err(r#"{"type":"message"}"#);
        assert_eq!(e.code, "validation_failed");
        assert_eq!(e.errors[0].path, "/text");
        assert_eq!(e.errors[0].kind, "required");
        assert_eq!(e.errors[0].message, "missing field `text`");
        let e = err(r#"{"type":"message","text":"a","inner":{}}"#);
        assert_eq!(e.errors[0].path, "/inner/x");
        assert_eq!(e.errors[0].kind, "required");
    }

    #[test]
    fn nested_paths_and_kinds() {
        let e = err(r#"{"type":"message","text":"a","inner":{"x":"no"}}"#);
        assert_eq!(e.errors[0].path, "/inner/x");
        assert_eq!(e.errors[0].kind, "type");
        let e = err(r#"{"type":"message","text":"a","inner":{"x":-1}}"#);
        assert_eq!(e.errors[0].path, "/inner/x");
        assert_eq!(e.errors[0].kind, "invalid");
        let e = err(r#"{"type":"message","text":"a","list":[1,300]}"#);
        assert_eq!(e.errors[0].path, "/list/1");
        assert_eq!(e.errors[0].kind, "invalid");
        let e = err(r#"{"type":"message","text":"a","inner":{"x":1,"a/b~":2}}"#);
        assert_eq!(e.errors[0].path, "/inner/a~1b~0");
        assert_eq!(e.errors[0].kind, "unknown_field");
    }

    #[test]
    fn error_wire_shape() {
        let e = err(r#"{"type":"message","text":"hi","sender":1}"#);
        assert_eq!(
            e.to_json(),
            r#"{"type":"error","code":"validation_failed","message":"validation failed: /sender: unknown field `sender`, expected one of `text`, `inner`, `list`","errors":[{"path":"/sender","kind":"unknown_field","message":"unknown field `sender`, expected one of `text`, `inner`, `list`"}]}"#
        );
    }
}

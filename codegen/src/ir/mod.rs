//! The intermediate representation: a resolved, protocol-level model of the API.
//!
//! Emitters read only this. Every name here is already a valid, unique Rust identifier, every
//! `$ref` in a schema points at an entry of [`Api::definitions`], and every payload is the schema
//! of a message without its tag field.
//!
//! Building it reads AsyncAPI 3.x directly; AsyncAPI 2.x is first rewritten into the 3.x shape
//! (see `v2.rs`), with every message still at its place in the source so that errors point there.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToSnakeCase;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result, Warning};
use crate::extensions::{
    DocumentSettings, IdField, MessageSettings, OperationSettings, Role, SchemaSettings, Tag,
    UnknownFields,
};
use crate::spec::{Document, child, segments};

mod examples;
mod names;
mod payload;
mod v2;

use names::{Names, identifier, type_name};
use payload::Shape;

/// The whole API.
#[derive(Debug, Clone)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The discriminator field of every message: `type` by default, a dotted path for a tag
    /// inside a nested object.
    pub tag_field: String,
    /// The field that carries a correlation id (`id` by default): the runtime copies it from a
    /// received message onto its reply and onto any error it causes. `None` turns that off.
    pub id_field: Option<String>,
    /// Every message type, in document order of first use.
    pub messages: Vec<Message>,
    /// What the server receives, each with its handler, in document order.
    pub received: Vec<Received>,
    /// Indexes into [`Api::messages`] of what the server sends (including replies).
    pub sent: Vec<usize>,
    /// Shared schemas that payloads reference, by Rust name. Their `$ref`s are
    /// `#/definitions/<Rust name>`.
    pub definitions: BTreeMap<String, Schema>,
}

impl Api {
    /// Whether the tag lives in a nested object (a dotted `x-socketsundso-tag-field`). Such a
    /// tag stays part of the payload.
    pub fn nested_tag(&self) -> bool {
        self.tag_field.contains('.')
    }
}

/// A JSON Schema with the place it came from.
#[derive(Debug, Clone)]
pub struct Schema {
    /// JSON Pointer of the schema in the (bundled) spec.
    pub pointer: String,
    /// The schema, with `$ref`s rewritten to `#/definitions/<Rust name>`.
    pub schema: Value,
}

/// One message type.
#[derive(Debug, Clone)]
pub struct Message {
    /// The message's key (component key or channel message key).
    pub key: String,
    /// The tag value on the wire.
    pub tag: String,
    /// The Rust type name of its payload.
    pub rust_name: String,
    /// `summary`, or else `title`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// The payload: an object schema without the tag property (or a `oneOf`/`anyOf` of them).
    pub payload: Schema,
    /// Whether the payload schema declares the correlation id field itself (then the handler
    /// sees it too).
    pub declares_id: bool,
    /// How the message is recognized on the wire: by its tag, or by its shape.
    pub wire: Wire,
    /// The message's own `examples` whose payload fits its schema, in document order (see
    /// `examples.rs`: one that does not fit is left out with a warning).
    pub examples: Vec<MessageExample>,
}

/// One of a message's `examples` (an AsyncAPI Message Example Object).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageExample {
    /// `name`.
    pub name: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `payload`: the whole message as it goes on the wire, as the document writes it (the tag
    /// may be there or not).
    pub payload: Value,
    /// JSON Pointer of the payload in the (bundled) spec.
    pub pointer: String,
}

impl Message {
    /// Whether the message carries the tag field on the wire.
    pub fn tagged(&self) -> bool {
        self.wire == Wire::Tagged
    }

    /// How a message without a tag is told apart, if it has none.
    pub fn untagged(&self) -> Option<&Untagged> {
        match &self.wire {
            Wire::Untagged(untagged) => Some(untagged),
            Wire::Tagged | Wire::Binary => None,
        }
    }

    /// Whether the message is a binary frame.
    pub fn binary(&self) -> bool {
        self.wire == Wire::Binary
    }
}

/// How a message is recognized on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// A JSON object with the API's tag field (the usual case). [`Message::tag`] is its value.
    Tagged,
    /// JSON without a tag: a payload that is not an object (an array of tickers, a string), or
    /// an object with `x-socketsundso-tag: false`. It is told apart from the other untagged
    /// messages of its direction by its shape. [`Message::tag`] is then only its name (handler
    /// and event names), never on the wire.
    Untagged(Untagged),
    /// A binary frame (`contentType: application/octet-stream`, `audio/*`, `video/*`,
    /// `image/*`, or a payload of `type: string, format: binary`): its bytes as they are. The
    /// server receives at most one binary message, so a binary frame is that one.
    /// [`Message::tag`] is only its name.
    Binary,
}

/// The shape of a message without a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untagged {
    /// The JSON types its payload may have (`array`, `string`, `integer`, `number`, `boolean`,
    /// `null`, `object`), sorted; empty when its schema does not say (any value).
    pub types: Vec<String>,
    /// For an object among several untagged objects of its direction: a required property that
    /// only it declares, whose presence picks it.
    pub key: Option<String>,
}

/// A message the server receives, with the handler that answers it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Index into [`Api::messages`].
    pub message: usize,
    /// The handler method, `on_<tag in snake case>`.
    pub method: String,
    /// The operation that declares it.
    pub operation: String,
    /// The operation's `summary` or `description`.
    pub doc: Option<String>,
    /// What the handler returns.
    pub reply: Reply,
    /// `x-socketsundso-blocking: true`: the handler is a plain function that the runtime runs on
    /// the blocking thread pool.
    pub blocking: bool,
}

/// What a handler returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Nothing: the operation declares no reply.
    None,
    /// One message (index into [`Api::messages`]).
    One(usize),
    /// One of several messages: a generated enum with this Rust name.
    Many {
        /// The enum's Rust name.
        rust_name: String,
        /// Indexes into [`Api::messages`].
        messages: Vec<usize>,
    },
}

/// The fields of the error object besides its tag.
const ERROR_FIELDS: &[&str] = &["id", "code", "message", "errors"];

/// Names that generated code defines itself.
pub(crate) const RESERVED: &[&str] = &[
    "ClientMessage",
    "ServerMessage",
    "Handler",
    "Server",
    "Context",
];

/// The IR, or every error found; and the warnings either way.
pub(crate) struct Built {
    pub api: std::result::Result<Api, Vec<Error>>,
    pub warnings: Vec<Warning>,
}

impl Api {
    /// Builds the IR from a loaded document (rewriting an AsyncAPI 2.x document in place first).
    /// `role` overrides the document's `x-socketsundso-role`.
    pub(crate) fn build(doc: &mut Document, role: Option<Role>) -> Built {
        let mut warnings = vec![];
        let converted = match v2::convert_if_needed(doc, &mut warnings) {
            Ok(converted) => converted,
            Err(error) => {
                return Built {
                    api: Err(vec![error]),
                    warnings,
                };
            }
        };
        let doc: &Document = doc;
        let mut builder = match Builder::new(doc, role, converted) {
            Ok(builder) => builder,
            Err(error) => {
                return Built {
                    api: Err(vec![error]),
                    warnings,
                };
            }
        };
        builder.warnings.append(&mut warnings);
        let api = builder.build();
        let api = match api {
            Ok(api) => Some(api),
            Err(error) => {
                builder.errors.push(error);
                None
            }
        };
        // A message that several operations name fails once for each; report it once.
        let mut seen = BTreeSet::new();
        builder.errors.retain(|e| seen.insert(e.to_string()));
        Built {
            api: match api {
                Some(api) if builder.errors.is_empty() => Ok(api),
                _ => Err(std::mem::take(&mut builder.errors)),
            },
            warnings: builder.finish_warnings(),
        }
    }
}

/// Reads the `x-socketsundso-*` settings of the object at `pointer` (which is `place`: "the
/// document root", "an operation", "a message" or "a schema") into `T`. A setting of the wrong
/// type is an error at that setting; an unknown setting, or one that belongs elsewhere, is a
/// warning.
pub(crate) fn settings<T: DeserializeOwned + Default>(
    doc: &Document,
    pointer: &str,
    place: &str,
    warnings: &mut Vec<Warning>,
) -> Result<T> {
    let Some(Value::Object(object)) = doc.get(pointer) else {
        return Ok(T::default());
    };
    let ours: Map<String, Value> = object
        .iter()
        .filter(|(k, _)| k.starts_with("x-socketsundso-") && *k != crate::spec::MOUNT)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, value) in &ours {
        let at = child(pointer, key);
        match KNOWN_SETTINGS.iter().find(|(k, _)| k == key) {
            None => warnings.push(Warning {
                location: doc.location(&at),
                message: format!(
                    "unknown setting `{key}`; `socketsundso schema` lists the settings"
                ),
            }),
            Some((_, places)) if !places.contains(&place) => warnings.push(Warning {
                location: doc.location(&at),
                message: format!(
                    "`{key}` has no effect on {place}; it belongs on {}",
                    places.join(" or ")
                ),
            }),
            Some(_) => {
                let one: Map<String, Value> = [(key.clone(), value.clone())].into_iter().collect();
                if let Err(e) = serde_json::from_value::<T>(Value::Object(one)) {
                    return Err(doc
                        .error(&at, format!("`{key}`: {e}"))
                        .help("`socketsundso schema` prints what every setting takes"));
                }
            }
        }
    }
    if ours.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_value(Value::Object(ours)).map_err(|e| doc.error(pointer, e.to_string()))
}

/// Every setting and where it belongs.
const KNOWN_SETTINGS: &[(&str, &[&str])] = &[
    ("x-socketsundso-tag-field", &["the document root"]),
    ("x-socketsundso-id-field", &["the document root"]),
    (
        "x-socketsundso-unknown-fields",
        &["the document root", "a schema"],
    ),
    ("x-socketsundso-publish-means", &["the document root"]),
    ("x-socketsundso-role", &["the document root"]),
    ("x-socketsundso-blocking", &["an operation"]),
    ("x-socketsundso-reply", &["an operation"]),
    ("x-socketsundso-tag", &["a message"]),
];

struct Builder<'a> {
    doc: &'a Document,
    tag_field: String,
    id_field: Option<String>,
    id_field_explicit: bool,
    /// The document's default for `x-socketsundso-unknown-fields`.
    allow_unknown: bool,
    /// The document describes a client (`x-socketsundso-role: client`): every 3.x `action`
    /// means the opposite for the server.
    mirrored: bool,
    messages: Vec<Message>,
    /// message pointer → indexes (a message whose payload is a `oneOf` of tagged branches
    /// becomes one message per branch)
    by_pointer: BTreeMap<String, Vec<usize>>,
    /// message index → pointer (for diagnostics)
    pointers: Vec<String>,
    /// message index → its payload schema as the document states it (after merging an
    /// `allOf`), to know a message repeated in another channel
    stated: Vec<Value>,
    received: Vec<Received>,
    sent: Vec<usize>,
    /// schema pointer → Rust name, for referenced schemas
    def_names: BTreeMap<String, String>,
    definitions: BTreeMap<String, Schema>,
    names: Names,
    errors: Vec<Error>,
    warnings: Vec<Warning>,
}

impl<'a> Builder<'a> {
    /// `role` overrides the document's setting; `converted` says the document was AsyncAPI 2.x,
    /// where the role changes nothing.
    fn new(doc: &'a Document, role: Option<Role>, converted: bool) -> Result<Self> {
        let mut warnings = vec![];
        let settings: DocumentSettings = settings(doc, "", "the document root", &mut warnings)?;
        let role = role.or(settings.role).unwrap_or_default();
        if converted && role == Role::Client {
            let at = if settings.role.is_some() {
                "/x-socketsundso-role"
            } else {
                ""
            };
            warnings.push(Warning {
                location: doc.location(at),
                message: "the client role has no effect on an AsyncAPI 2.x document: `publish` is what clients send, whoever wrote it".to_owned()
                    + " (documents written from the client's side set `x-socketsundso-publish-means: send`)",
            });
        }
        let mirrored = role == Role::Client && !converted;
        let (id_field, id_field_explicit) = match settings.id_field {
            None => (Some("id".to_owned()), false),
            Some(IdField::Name(name)) if !name.is_empty() => (Some(name), true),
            Some(IdField::Name(_)) => {
                return Err(doc.error(
                    "/x-socketsundso-id-field",
                    "the id field needs a name, or `false`",
                ));
            }
            Some(IdField::Off(false)) => (None, true),
            Some(IdField::Off(true)) => {
                return Err(doc
                    .error(
                        "/x-socketsundso-id-field",
                        "`x-socketsundso-id-field` takes a field name or `false`",
                    )
                    .help("for example `x-socketsundso-id-field: reqid`"));
            }
        };
        let mut builder = Builder {
            doc,
            tag_field: "type".to_owned(),
            id_field,
            id_field_explicit,
            allow_unknown: settings.unknown_fields == Some(UnknownFields::Allow),
            mirrored,
            messages: vec![],
            by_pointer: BTreeMap::new(),
            pointers: vec![],
            stated: vec![],
            received: vec![],
            sent: vec![],
            def_names: BTreeMap::new(),
            definitions: BTreeMap::new(),
            names: Names::new(RESERVED),
            errors: vec![],
            warnings,
        };
        let explicit_tag = settings.tag_field.is_some();
        builder.tag_field = match settings.tag_field {
            Some(field) if !field.is_empty() && !field.split('.').any(str::is_empty) => field,
            Some(_) => {
                return Err(doc.error(
                    "/x-socketsundso-tag-field",
                    "the tag field needs a name, such as `type` or `header.type`",
                ));
            }
            None => builder.infer_tag_field(),
        };
        // Error objects carry the tag next to `id`, `code`, `message` and `errors`; a tag field
        // of one of those names would make them unreadable (and the id field must differ too).
        let at = if explicit_tag {
            "/x-socketsundso-tag-field"
        } else {
            ""
        };
        let tag = builder.tag_field.as_str();
        if ERROR_FIELDS.contains(&tag) {
            return Err(doc
                .error(
                    at,
                    format!("the tag field `{tag}` is also a field of every error object (`id`, `code`, `message`, `errors`)"),
                )
                .help("name another tag field with `x-socketsundso-tag-field`"));
        }
        if builder.id_field.as_deref() == Some(tag) {
            return Err(doc
                .error(at, format!("the tag field and the id field are both `{tag}`"))
                .help("name another id field with `x-socketsundso-id-field`, or turn ids off with `false`"));
        }
        Ok(builder)
    }

    fn build(&mut self) -> Result<Api> {
        let doc = self.doc;
        let info = doc.get("/info").and_then(Value::as_object).ok_or_else(|| {
            doc.error("", "the `info` object is missing")
                .help("add `info: {title: My API, version: 1.0.0}`")
        })?;
        let text = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_owned);
        let title = text("title").ok_or_else(|| doc.error("/info", "`info.title` is missing"))?;
        let version =
            text("version").ok_or_else(|| doc.error("/info", "`info.version` is missing"))?;
        let description = text("description");

        let operations = doc.get("/operations").and_then(Value::as_object);
        let Some(operations) = operations.filter(|o| !o.is_empty()) else {
            return Err(doc
                .error("", "the document has no operations, so no message has a direction")
                .help("add an operation with `action: receive` for each message the server receives and `action: send` for each it sends"));
        };
        for (id, _) in operations {
            // One broken operation does not hide the problems of the others.
            if let Err(error) = self.operation(id) {
                self.errors.push(error);
            }
        }
        self.check_tags();
        self.check_shapes();
        self.check_cycles();
        self.check_examples();
        Ok(Api {
            title,
            version,
            description,
            tag_field: self.tag_field.clone(),
            id_field: self.id_field.clone(),
            messages: self.messages.clone(),
            received: self.received.clone(),
            sent: self.sent.clone(),
            definitions: self.definitions.clone(),
        })
    }

    /// The warnings, with those about unenforced keywords, in document order.
    fn finish_warnings(&mut self) -> Vec<Warning> {
        let received: BTreeSet<usize> = self.received.iter().map(|r| r.message).collect();
        let mut found = vec![];
        for index in received {
            // A binary payload is bytes: nothing in it is checked, and nothing needs to be.
            if self.messages[index].binary() {
                continue;
            }
            let payload = &self.messages[index].payload;
            crate::keywords::unenforced(&payload.schema, &payload.pointer, &mut found);
        }
        for def in self.definitions.values() {
            crate::keywords::unenforced(&def.schema, &def.pointer, &mut found);
        }
        found.sort();
        found.dedup();
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.extend(found.into_iter().map(|(pointer, message)| Warning {
            location: self.doc.location(&pointer),
            message,
        }));
        warnings.extend(self.names.take_warnings(self.doc));
        warnings
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            location: self.doc.location(pointer),
            message: message.into(),
        });
    }

    /// Without `x-socketsundso-tag-field`: `type` when any message declares it; otherwise the
    /// property that fixes a constant string in the most messages (with a warning), or `type`.
    fn infer_tag_field(&mut self) -> String {
        let doc = self.doc;
        let mut pointers = BTreeSet::new();
        if let Some(operations) = doc.get("/operations").and_then(Value::as_object) {
            for id in operations.keys() {
                let at = child("/operations", id);
                let Ok((at, op)) = doc.resolve(&at) else {
                    continue;
                };
                pointers.extend(self.operation_message_pointers(&at, op).unwrap_or_default());
                if op.get("reply").is_some() {
                    pointers.extend(
                        self.reply_pointers(&child(&at, "reply"))
                            .unwrap_or_default(),
                    );
                }
            }
        }
        let mut declares_type = false;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for pointer in &pointers {
            // Each message counts once, even when its payload has several branches.
            let mut fixed = BTreeSet::new();
            for object in payload::candidate_objects(doc, pointer) {
                let Some(properties) = object.get("properties").and_then(Value::as_object) else {
                    continue;
                };
                declares_type |= properties.contains_key("type");
                for (name, property) in properties {
                    let property = match property.get("$ref") {
                        Some(Value::String(r)) => {
                            doc.get(r.trim_start_matches('#')).unwrap_or(property)
                        }
                        _ => property,
                    };
                    if payload::fixed_string(property).is_some() {
                        fixed.insert(name.clone());
                    }
                }
            }
            for name in fixed {
                *counts.entry(name).or_default() += 1;
            }
        }
        if declares_type || counts.is_empty() {
            return "type".to_owned();
        }
        let (field, count) = counts
            .iter()
            .max_by_key(|(name, count)| (**count, std::cmp::Reverse((*name).clone())))
            .map(|(n, c)| (n.clone(), *c))
            .unwrap_or_default();
        self.warn(
            "",
            format!(
                "no message has a `type` field; the tag field is taken to be `{field}`, which fixes a constant in {count} of {} messages",
                pointers.len()
            ),
        );
        if let Some(last) = self.warnings.last_mut() {
            last.message.push_str(&format!(
                " (say so with `x-socketsundso-tag-field: {field}` at the document root)"
            ));
        }
        field
    }

    fn operation(&mut self, id: &str) -> Result<()> {
        let doc = self.doc;
        let at = child("/operations", id);
        let (at, op) = doc.resolve(&at)?;
        let action = op.get("action").and_then(Value::as_str);
        // In a document written from the client's side, what it receives the server sends.
        let receives = match action {
            Some("receive") => !self.mirrored,
            Some("send") => self.mirrored,
            _ => {
                return Err(doc
                    .error(&child(&at, "action"), format!("operation `{id}` needs `action: receive` or `action: send`"))
                    .help("`receive`: the server receives these messages; `send`: the server sends them"));
            }
        };
        let op_settings: OperationSettings =
            settings(doc, &at, "an operation", &mut self.warnings)?;
        let blocking = op_settings.blocking.unwrap_or(false);
        if blocking && !receives {
            return Err(doc
                .error(
                    &child(&at, "x-socketsundso-blocking"),
                    "`x-socketsundso-blocking` applies to operations that the server receives",
                )
                .help("remove it, or set `action: receive`"));
        }
        let doc_text = op
            .get("summary")
            .or_else(|| op.get("description"))
            .and_then(Value::as_str)
            .map(str::to_owned);

        let mut messages = vec![]; // A broken message does not hide the problems of the other messages.
        for pointer in self.operation_message_pointers(&at, op)? {
            match self.message(&pointer) {
                Ok(indexes) => messages.extend(indexes),
                Err(error) => self.errors.push(error),
            }
        }
        let reply = match op.get("reply") {
            None => Reply::None,
            Some(_) => {
                let mut replies = vec![];
                for pointer in self.reply_pointers(&child(&at, "reply"))? {
                    let indexes = match self.message(&pointer) {
                        Ok(indexes) => indexes,
                        Err(error) => {
                            self.errors.push(error);
                            continue;
                        }
                    };
                    for index in indexes {
                        if !replies.contains(&index) {
                            replies.push(index);
                        }
                    }
                }
                match replies.as_slice() {
                    [] => Reply::None,
                    [one] => Reply::One(*one),
                    _ => {
                        let name = self
                            .names
                            .claim(&format!("{}Reply", type_name(id)), &at, true);
                        Reply::Many {
                            rust_name: name,
                            messages: replies,
                        }
                    }
                }
            }
        };
        if !receives && reply != Reply::None {
            self.warn(&child(&at, "reply"), format!("operation `{id}` sends, so its reply is sent by the client; the server does not check it"));
        }
        match &reply {
            Reply::None => {}
            Reply::One(index) => push_unique(&mut self.sent, *index),
            Reply::Many { messages, .. } => {
                for index in messages {
                    push_unique(&mut self.sent, *index);
                }
            }
        }
        let reply = if receives { reply } else { Reply::None };
        for message in messages {
            if !receives {
                push_unique(&mut self.sent, message);
                continue;
            }
            if let Some(existing) = self.received.iter().find(|r| r.message == message) {
                if existing.reply != reply || existing.blocking != blocking {
                    return Err(doc.error(
                        &at,
                        format!(
                            "message `{}` is received by operations `{}` and `{id}` with different replies or blocking settings",
                            self.messages[message].key, existing.operation
                        ),
                    ));
                }
                continue;
            }
            // A tag without a letter or digit (`+`) names its handler after the message's key.
            let mut name = identifier(&self.messages[message].tag).to_snake_case();
            if name.is_empty() {
                name = suggested_tag(&self.messages[message].key);
            }
            let method = self
                .names
                .claim_method(&format!("on_{name}"), &self.pointers[message]);
            self.received.push(Received {
                message,
                method,
                operation: id.to_owned(),
                doc: doc_text.clone(),
                reply: reply.clone(),
                blocking,
            });
        }
        Ok(())
    }

    /// The pointers of the messages an operation lists, or of all of its channel's messages.
    fn operation_message_pointers(&self, at: &str, op: &Value) -> Result<Vec<String>> {
        let doc = self.doc;
        let channel_ref = op.get("channel").ok_or_else(|| {
            doc.error(at, "this operation has no `channel`")
                .help("add `channel: {$ref: '#/channels/<name>'}`")
        })?;
        let channel_at = child(at, "channel");
        let (channel_at, channel) = match channel_ref.get("$ref") {
            Some(_) => doc.resolve(&channel_at)?,
            None => (channel_at, channel_ref),
        };
        let mut out = vec![];
        match op.get("messages") {
            Some(Value::Array(list)) => {
                for i in 0..list.len() {
                    out.push(
                        doc.resolve(&child(&child(at, "messages"), &i.to_string()))?
                            .0,
                    );
                }
            }
            Some(_) => {
                return Err(doc.error(
                    &child(at, "messages"),
                    "`messages` must be a list of `$ref`s",
                ));
            }
            None => {
                out = channel_message_pointers(doc, &channel_at, channel)?;
                if out.is_empty() {
                    return Err(
                        doc.error(&channel_at, "the channel of this operation has no messages")
                    );
                }
            }
        }
        Ok(out)
    }

    /// The pointers of the messages a `reply` names (its `messages`, or its channel's).
    fn reply_pointers(&self, at: &str) -> Result<Vec<String>> {
        let doc = self.doc;
        let (at, reply) = doc.resolve(at)?;
        match reply.get("messages") {
            Some(Value::Array(list)) => (0..list.len())
                .map(|i| {
                    doc.resolve(&child(&child(&at, "messages"), &i.to_string()))
                        .map(|(p, _)| p)
                })
                .collect(),
            Some(_) => Err(doc.error(
                &child(&at, "messages"),
                "`messages` must be a list of `$ref`s",
            )),
            None if reply.get("channel").is_some() => {
                let (channel_at, channel) = doc.resolve(&child(&at, "channel"))?;
                channel_message_pointers(doc, &channel_at, channel)
            }
            None => Ok(vec![]),
        }
    }

    /// Registers the message at `pointer` (already resolved) and returns its index, or the
    /// indexes of its branches when its payload is a `oneOf` of differently tagged objects.
    fn message(&mut self, pointer: &str) -> Result<Vec<usize>> {
        if let Some(indexes) = self.by_pointer.get(pointer) {
            return Ok(indexes.clone());
        }
        let doc = self.doc;
        let node = doc
            .get(pointer)
            .and_then(Value::as_object)
            .ok_or_else(|| doc.error(pointer, "a message must be an object"))?;
        let key = v2::message_key(doc, pointer);
        let text = |k: &str| node.get(k).and_then(Value::as_str).map(str::to_owned);

        let content_type = text("contentType");
        let binary_type = content_type.as_deref().is_some_and(binary_content_type);
        if let Some(content_type) = &content_type
            && !content_type.contains("json")
            && !binary_type
        {
            return Err(doc
                    .error(&child(pointer, "contentType"), format!("message `{key}` has content type `{content_type}`; only JSON messages and binary data are supported"))
                    .help("use `contentType: application/json` for JSON text frames, or `application/octet-stream` (or an `audio/`, `video/` or `image/` type) for binary frames whose bytes the handler gets as they are"));
        }
        // AsyncAPI 2.x puts `schemaFormat` on the message.
        if let Some(format) = node.get("schemaFormat") {
            check_schema_format(doc, &child(pointer, "schemaFormat"), format, &key)?;
        }
        let message_settings: MessageSettings =
            settings(doc, pointer, "a message", &mut self.warnings)?;
        self.correlation(pointer, node, &key)?;
        if binary_type || payload::binary_payload(doc, pointer) {
            return self.binary_message(pointer, &key, node, binary_type);
        }

        let shape = payload::shape(doc, pointer, node, &key, &self.tag_field)?;
        let summary = text("summary").or_else(|| text("title"));
        let description = text("description");
        // `x-socketsundso-tag: false`: an object without a tag on the wire.
        let setting_at = child(pointer, "x-socketsundso-tag");
        let untagged_object = match &message_settings.tag {
            Some(Tag::Off(false)) => true,
            Some(Tag::Off(true)) => {
                return Err(doc
                    .error(
                        &setting_at,
                        "`x-socketsundso-tag` takes a tag value or `false`",
                    )
                    .help("`false`: the message carries no tag and is told apart by its shape"));
            }
            _ => false,
        };
        if untagged_object {
            let fixed = match &shape {
                Shape::Object { schema, .. } => payload::fixed_tag(doc, schema, &self.tag_field),
                Shape::Split(branches) => branches.first().map(|b| b.tag.clone()),
                Shape::Enum { tag, .. } => tag.clone(),
                Shape::Value { .. } => None,
            };
            if let Some(fixed) = fixed {
                return Err(doc
                    .error(&setting_at, format!("message `{key}` has `x-socketsundso-tag: false`, but its payload fixes its `{}` to `{fixed}`", self.tag_field))
                    .help("remove the setting, or the tag from the payload"));
            }
        }
        // One message (an object, or an enum of objects), or one per tagged branch.
        let (at, tag, schema, wire) = match shape {
            Shape::Value { at, schema, types } => {
                let untagged = Untagged { types, key: None };
                (at, Some(key.clone()), schema, Wire::Untagged(untagged))
            }
            Shape::Object { at, schema } if untagged_object => {
                let untagged = Untagged {
                    types: vec!["object".to_owned()],
                    key: None,
                };
                (
                    at,
                    Some(key.clone()),
                    Value::Object(schema),
                    Wire::Untagged(untagged),
                )
            }
            Shape::Enum { at, schema, .. } if untagged_object => {
                let untagged = Untagged {
                    types: vec!["object".to_owned()],
                    key: None,
                };
                (at, Some(key.clone()), schema, Wire::Untagged(untagged))
            }
            Shape::Object { at, schema } => {
                if let Some(value) = payload::fixed_tag_value(doc, &schema, &self.tag_field)
                    .filter(|v| !v.is_string())
                {
                    return Err(doc
                        .error(&at, format!("the `{}` tag of message `{key}` is fixed to {value}, but a tag must be a string", self.tag_field))
                        .help(format!("write `{}: {{const: \"{}\"}}`", self.tag_field, value.to_string().trim_matches('"'))));
                }
                let tag = payload::fixed_tag(doc, &schema, &self.tag_field);
                (at, tag, Value::Object(schema), Wire::Tagged)
            }
            Shape::Enum {
                at,
                schema,
                tagged,
                tag,
            } => {
                if !tagged {
                    // Branches told apart by a boolean or a number: say why that is no tag.
                    let by = payload::non_string_discriminator(doc, &schema)
                        .map(|(name, values)| {
                            let mut values: Vec<String> =
                                values.iter().map(|v| format!("`{v}`")).collect();
                            let last = values.pop().unwrap_or_default();
                            format!(" (`{name}` tells the branches apart, but by {} and {last}: a tag must be a string)", values.join(", "))
                        })
                        .unwrap_or_default();
                    self.warn(
                        &at,
                        format!("the payload of message `{key}` is a `oneOf`/`anyOf` without a discriminator{by}: it decodes as an untagged enum, trying each alternative in turn, and a bad message gets the errors of every alternative"),
                    );
                }
                (at, tag, schema, Wire::Tagged)
            }
            Shape::Split(branches) => {
                let mut indexes = vec![];
                for branch in branches {
                    let name = format!("{}{}", type_name(&key), type_name(&branch.name));
                    let branch_summary = branch.summary.clone().or_else(|| summary.clone());
                    let index = self.add_message(
                        &branch.at,
                        &branch.name,
                        &name,
                        branch.tag,
                        &branch_summary,
                        &description,
                        branch.at.clone(),
                        Value::Object(branch.schema),
                        Wire::Tagged,
                    )?;
                    indexes.push(index);
                }
                self.by_pointer.insert(pointer.to_owned(), indexes.clone());
                self.read_examples(pointer, &indexes);
                return Ok(indexes);
            }
        };
        let tag = match tag {
            Some(tag) => tag,
            None => self.derived_tag(pointer, &key, node, &message_settings)?,
        };
        let index = self.add_message(
            pointer,
            &key,
            &type_name(&key),
            tag,
            &summary,
            &description,
            at,
            schema,
            wire,
        )?;
        let indexes = vec![index];
        self.by_pointer.insert(pointer.to_owned(), indexes.clone());
        self.read_examples(pointer, &indexes);
        Ok(indexes)
    }

    /// A binary message: its payload is the frame's bytes. A payload schema that describes
    /// something else (the decoded content of an `application/octet-stream`) is not enforced.
    fn binary_message(
        &mut self,
        pointer: &str,
        key: &str,
        node: &Map<String, Value>,
        binary_type: bool,
    ) -> Result<Vec<usize>> {
        let text = |k: &str| node.get(k).and_then(Value::as_str).map(str::to_owned);
        let payload_at = child(pointer, "payload");
        if binary_type
            && node.get("payload").is_some()
            && !payload::binary_payload(self.doc, pointer)
        {
            self.warn(
                &payload_at,
                format!("message `{key}` is binary (its `contentType`): the handler gets its bytes as they are, and its payload schema is not checked; write `payload: {{type: string, format: binary}}` to say so"),
            );
        }
        let summary = text("summary").or_else(|| text("title"));
        let description = text("description");
        let index = self.add_message(
            pointer,
            key,
            &type_name(key),
            key.to_owned(),
            &summary,
            &description,
            payload_at,
            serde_json::json!({ "type": "string", "format": "binary" }),
            Wire::Binary,
        )?;
        self.by_pointer.insert(pointer.to_owned(), vec![index]);
        Ok(vec![index])
    }

    /// A tag that the payload does not fix: `x-socketsundso-tag`, the message's `name`, or its
    /// key (these two with a warning).
    fn derived_tag(
        &mut self,
        pointer: &str,
        key: &str,
        node: &Map<String, Value>,
        settings: &MessageSettings,
    ) -> Result<String> {
        if let Some(Tag::Value(tag)) = &settings.tag {
            return Ok(tag.clone());
        }
        let (tag, from) = match node.get("name").and_then(Value::as_str) {
            Some(name) => (name.to_owned(), "its `name`"),
            None => (key.to_owned(), "its key"),
        };
        self.warn(
            pointer,
            format!(
                "message `{key}` has no constant `{}` in its payload; its tag `{tag}` comes from {from} (fix it with `{}: {{const: {tag}}}` in the payload, or `x-socketsundso-tag: {tag}` on the message)",
                self.tag_field, self.tag_field
            ),
        );
        Ok(tag)
    }

    /// Adds one message with the payload `schema` (found at `payload_at`).
    #[allow(clippy::too_many_arguments)]
    fn add_message(
        &mut self,
        pointer: &str,
        key: &str,
        rust_name: &str,
        tag: String,
        summary: &Option<String>,
        description: &Option<String>,
        payload_at: String,
        schema: Value,
        wire: Wire,
    ) -> Result<usize> {
        if wire == Wire::Tagged && tag.is_empty() {
            let doc = self.doc;
            let setting = child(pointer, "x-socketsundso-tag");
            let at = if doc.get(&setting).is_some() {
                setting
            } else {
                payload_at
            };
            return Err(doc
                .error(&at, format!("the `{}` tag of message `{key}` is empty", self.tag_field))
                .help(format!("a tag is a non-empty string that names the message: `x-socketsundso-tag: {}`, or `{}: {{const: {}}}` in the payload", suggested_tag(key), self.tag_field, suggested_tag(key))));
        }
        // The same message in several channels (large documents repeat `subscribe` with the same
        // payload `$ref` in each, or the same key with the same inline payload) is one message.
        // Two different messages with one tag stay two, and `check_tags` reports them. A message
        // without a tag has only a name (its key, which AsyncAPI 2 derives from the channel):
        // the same payload `$ref` without a tag is the same message, whatever its name.
        if let Some(index) = (0..self.messages.len()).find(|&i| {
            let message = &self.messages[i];
            let same_payload = message.payload.pointer == payload_at;
            let untagged_both = matches!(
                (&message.wire, &wire),
                (Wire::Untagged(_), Wire::Untagged(_))
            );
            (message.tag == tag || (untagged_both && same_payload))
                && std::mem::discriminant(&message.wire) == std::mem::discriminant(&wire)
                && (same_payload || (message.key == key && self.stated[i] == schema))
        }) {
            return Ok(index);
        }
        let stated = schema.clone();
        let mut schema = schema;
        let nested = self.tag_field.contains('.');
        let tagged = wire == Wire::Tagged;
        // An untagged object has no tag to take out (and any other value no place for one).
        if !nested && tagged {
            payload::strip_tag(&mut schema, &self.tag_field);
        }
        let object_like = match &wire {
            Wire::Tagged => true,
            Wire::Untagged(untagged) => untagged.types == ["object"],
            Wire::Binary => false,
        };
        if let Value::Object(object) = &mut schema {
            if object_like && !object.contains_key("oneOf") && !object.contains_key("anyOf") {
                object
                    .entry("type")
                    .or_insert_with(|| Value::from("object"));
            }
            if !object.contains_key("description") && !object.contains_key("title") {
                let doc = [summary.clone(), description.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n\n");
                if !doc.is_empty() {
                    object.insert("description".to_owned(), Value::from(doc));
                }
            }
        }
        let declares_id = object_like
            && self
                .id_field
                .as_ref()
                .is_some_and(|id| payload::declares(&schema, id));
        // The message claims its name before the schemas it references, so that a schema of the
        // same name is the one renamed.
        let rust_name = self.names.claim(rust_name, pointer, false);
        self.normalize(&mut schema, &payload_at)?;
        self.rewrite_refs(&mut schema, &payload_at)?;
        let index = self.messages.len();
        self.messages.push(Message {
            key: key.to_owned(),
            tag,
            rust_name,
            summary: summary.clone(),
            description: description.clone(),
            payload: Schema {
                pointer: payload_at,
                schema,
            },
            declares_id,
            wire,
            examples: vec![],
        });
        self.pointers.push(pointer.to_owned());
        self.stated.push(stated);
        Ok(index)
    }

    /// A message's `correlationId` must name a top-level payload field, and all messages must
    /// agree on it: it becomes the API's id field.
    fn correlation(&mut self, pointer: &str, node: &Map<String, Value>, key: &str) -> Result<()> {
        if node.get("correlationId").is_none() {
            return Ok(());
        }
        let doc = self.doc;
        let (at, correlation) = doc.resolve(&child(pointer, "correlationId"))?;
        let location = correlation
            .get("location")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = location
            .strip_prefix("$message.payload#/")
            .filter(|f| !f.is_empty() && !f.contains('/'));
        let Some(field) = field else {
            // Headers do not exist on a WebSocket; keep going with the id field as it is.
            self.warn(
                &child(&at, "location"),
                format!("message `{key}`: the correlation id location `{location}` is not supported and is ignored; socketsundso carries the id in a top-level field (`$message.payload#/id`)"),
            );
            return Ok(());
        };
        let field = field.replace("~1", "/").replace("~0", "~");
        match &self.id_field {
            Some(existing) if *existing == field => Ok(()),
            Some(existing) if self.id_field_explicit || existing != "id" => Err(doc
                .error(&child(&at, "location"), format!("message `{key}` carries its correlation id in `{field}`, but the API uses `{existing}`"))
                .help("all messages of one API carry the correlation id in the same field")),
            _ => {
                self.id_field = Some(field);
                Ok(())
            }
        }
    }

    /// Prepares a schema for code generation and validation: object schemas that say nothing
    /// about unknown fields get the document's default (closed unless
    /// `x-socketsundso-unknown-fields: allow`), and OpenAPI-style `nullable: true` becomes a
    /// `null` type. Parts of an `allOf` stay open, because each part sees only its own properties.
    fn normalize(&mut self, schema: &mut Value, at: &str) -> Result<()> {
        normalize(
            self.doc,
            schema,
            at,
            self.allow_unknown,
            false,
            &mut self.warnings,
        )
    }

    /// Rewrites every `$ref` in `schema` (a copy of the node at `at`) to
    /// `#/definitions/<Rust name>`, adding each referenced schema to the definitions.
    fn rewrite_refs(&mut self, schema: &mut Value, at: &str) -> Result<()> {
        self.rewrite_refs_at(schema, &mut at.to_owned())
    }

    /// [`Self::rewrite_refs`] with the pointer in a buffer that each level extends and cuts back.
    fn rewrite_refs_at(&mut self, schema: &mut Value, at: &mut String) -> Result<()> {
        match schema {
            Value::Object(object) => {
                // A `$ref` that is not a string is a property named `$ref`, not a reference.
                let is_ref = object.get("$ref").is_some_and(Value::is_string);
                if let Some(reference) = object.get("$ref").filter(|_| is_ref) {
                    let target = self.doc.ref_target(&child(at, "$ref"), reference)?;
                    let name = self.definition(&target)?;
                    object.insert(
                        "$ref".to_owned(),
                        Value::from(format!("#/definitions/{name}")),
                    );
                }
                for (key, value) in object.iter_mut() {
                    if !(matches!(
                        key.as_str(),
                        "const" | "enum" | "default" | "examples" | "example"
                    ) || (is_ref && key == "$ref"))
                    {
                        let len = at.len();
                        crate::spec::push_segment(at, key);
                        self.rewrite_refs_at(value, at)?;
                        at.truncate(len);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = at.len();
                    crate::spec::push_index(at, i);
                    self.rewrite_refs_at(item, at)?;
                    at.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The Rust name of the referenced schema at `pointer`, adding it on first use.
    fn definition(&mut self, pointer: &str) -> Result<String> {
        if let Some(name) = self.def_names.get(pointer) {
            return Ok(name.clone());
        }
        let doc = self.doc;
        let last = segments(pointer).pop().unwrap_or_default();
        let name = self.names.claim(&type_name(&last), pointer, false);
        self.def_names.insert(pointer.to_owned(), name.clone());
        let mut schema = doc.get(pointer).cloned().unwrap_or(Value::Null);
        self.normalize(&mut schema, pointer)?;
        self.rewrite_refs(&mut schema, pointer)?;
        self.definitions.insert(
            name.clone(),
            Schema {
                pointer: pointer.to_owned(),
                schema,
            },
        );
        Ok(name)
    }

    /// A schema that reaches itself through `$ref`, `allOf`, `anyOf`, `oneOf` or `not` alone,
    /// without an object or an array in between, describes no finite value: typify would loop,
    /// or the generated types would recurse forever on a message. It is an error.
    fn check_cycles(&mut self) {
        let definitions = self.definitions.clone();
        for (name, def) in &definitions {
            let mut stack: Vec<&Value> = vec![&def.schema];
            let mut seen = BTreeSet::new();
            let mut cycle = false;
            while let Some(node) = stack.pop() {
                let Value::Object(object) = node else {
                    continue;
                };
                let target = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/definitions/"));
                if let Some(target) = target {
                    if target == name {
                        cycle = true;
                        break;
                    }
                    if seen.insert(target.to_owned())
                        && let Some(next) = definitions.get(target)
                    {
                        stack.push(&next.schema);
                    }
                }
                for keyword in ["allOf", "anyOf", "oneOf"] {
                    if let Some(Value::Array(parts)) = object.get(keyword) {
                        stack.extend(parts);
                    }
                }
                if let Some(not) = object.get("not") {
                    stack.push(not);
                }
            }
            if cycle {
                let error = self
                    .doc
                    .error(
                        &def.pointer,
                        format!(
                            "{} refers back to itself without an object or array in between, so no value can match it",
                            self.doc.display_pointer(&def.pointer)
                        ),
                    )
                    .help("a recursive schema needs its recursion inside a property or an array's items");
                self.errors.push(error);
            }
        }
    }

    /// Tags must be unique among received messages (the server decodes by them); among sent
    /// messages a duplicate is only a warning, because only clients would be confused.
    fn check_tags(&mut self) {
        self.name_untagged();
        for index in self.sent.clone() {
            if self.messages[index].tagged() && self.messages[index].tag == "error" {
                let pointer = self.pointers[index].clone();
                self.warn(
                    &pointer,
                    format!(
                        "message `{}` is tagged `error`, like the runtime's own error objects; clients cannot tell them apart",
                        self.messages[index].key
                    ),
                );
            }
        }
        let received: Vec<usize> = self.received.iter().map(|r| r.message).collect();
        for (receives, list) in [(true, received), (false, self.sent.clone())] {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for index in list {
                if !self.messages[index].tagged() {
                    continue;
                }
                let tag = self.messages[index].tag.clone();
                if let Some(&other) = seen.get(&tag) {
                    let (first, second) = (&self.messages[other].key, &self.messages[index].key);
                    let pointer = self.pointers[index].clone();
                    if receives {
                        let error = self
                            .doc
                            .error(
                                &pointer,
                                format!("the server receives two messages tagged `{tag}`: `{first}` ({}) and `{second}`", self.doc.display_pointer(&self.pointers[other])),
                            )
                            .help(format!("each message the server receives needs its own `{}` value; a message repeated in several channels is one message only when its payload is the same (the same `$ref`)", self.tag_field));
                        self.errors.push(error);
                    } else {
                        self.warn(
                            &pointer,
                            format!(
                                "the server sends two messages tagged `{tag}`: `{first}` ({}) and `{second}`; clients cannot tell them apart",
                                self.doc.display_pointer(&self.pointers[other])
                            ),
                        );
                    }
                    continue;
                }
                seen.insert(tag, index);
            }
        }
    }
}

impl Builder<'_> {
    /// An untagged message's name (its key) stands in for a tag in the clients (`on("tickers")`)
    /// and in the enums: it must differ from every tag and from the other untagged names.
    fn name_untagged(&mut self) {
        let mut taken: BTreeSet<String> = self
            .messages
            .iter()
            .filter(|m| m.tagged())
            .map(|m| m.tag.clone())
            .collect();
        taken.insert("error".to_owned());
        let mut renamed = vec![];
        for (index, message) in self.messages.iter_mut().enumerate() {
            if message.tagged() {
                continue;
            }
            let base = message.tag.clone();
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}{n}");
                n += 1;
            }
            if name != base {
                renamed.push((index, base, name.clone()));
            }
            message.tag = name;
        }
        for (index, base, name) in renamed {
            let pointer = self.pointers[index].clone();
            self.warn(
                &pointer,
                format!("message `{}` has no tag, and its name `{base}` is taken (by a tag, or by `error`): the TypeScript client (its `send` method or `on` event) and the error messages that list the shapes call it `{name}`; the Rust code keeps `{base}`; rename the message to choose another name", self.messages[index].key),
            );
        }
    }

    /// Messages without a tag are told apart by their shape: by the JSON type of the value and,
    /// among objects, by a required property that only one of them declares. The server must
    /// tell apart what it receives (an error otherwise); what it sends only the clients must (a
    /// warning). An untagged object that declares the tag field would be read as a tagged one.
    fn check_shapes(&mut self) {
        // The property that picks each untagged object among the others of its direction (the
        // server never decodes what it sends, the clients never what they send). A message that
        // goes both ways needs a property that picks it in both.
        let received: Vec<usize> = self.received.iter().map(|r| r.message).collect();
        let object = |m: &Message| {
            m.untagged()
                .is_some_and(|u| u.types.iter().any(|t| t == "object"))
        };
        let objects: Vec<usize> = (0..self.messages.len())
            .filter(|&i| object(&self.messages[i]))
            .collect();
        for &i in &objects {
            let directions = [&received, &self.sent];
            let others: BTreeSet<usize> = directions
                .iter()
                .filter(|list| list.contains(&i))
                .flat_map(|list| list.iter().copied())
                .filter(|&j| j != i && object(&self.messages[j]))
                .collect();
            let required = string_list(self.messages[i].payload.schema.get("required"));
            let key = required.into_iter().find(|name| {
                others
                    .iter()
                    .all(|&j| !payload::declares(&self.messages[j].payload.schema, name))
            });
            if let Wire::Untagged(untagged) = &mut self.messages[i].wire {
                untagged.key = key;
            }
        }
        for (receives, list) in [(true, received), (false, self.sent.clone())] {
            let binary: Vec<usize> = list
                .iter()
                .copied()
                .filter(|&i| self.messages[i].binary())
                .collect();
            if let [first, second, ..] = binary[..] {
                let message = format!(
                    "the server {} two binary messages, `{}` ({}) and `{}`: a binary frame carries nothing that tells them apart",
                    if receives { "receives" } else { "sends" },
                    self.messages[first].key,
                    self.doc.display_pointer(&self.pointers[first]),
                    self.messages[second].key,
                );
                self.shape_problem(
                    receives,
                    second,
                    message,
                    "make them one binary message, or send one of them as JSON",
                );
            }
            let untagged: Vec<usize> = list
                .into_iter()
                .filter(|&i| self.messages[i].untagged().is_some())
                .collect();
            for &i in &untagged {
                if !self.nested_tag()
                    && payload::declares(&self.messages[i].payload.schema, &self.tag_field)
                {
                    let message = format!(
                        "message `{}` has no tag, but declares the tag field `{}`: a message with that field is read as a tagged one",
                        self.messages[i].key, self.tag_field
                    );
                    self.shape_problem(
                        receives,
                        i,
                        message,
                        "rename the property, or give the message its tag",
                    );
                }
            }
            for (n, &a) in untagged.iter().enumerate() {
                for &b in &untagged[n + 1..] {
                    let Some(why) = self.indistinct(a, b) else {
                        continue;
                    };
                    let message = format!(
                        "the server {} two messages without a tag that it cannot tell apart: `{}` ({}) and `{}`: {why}",
                        if receives { "receives" } else { "sends" },
                        self.messages[a].key,
                        self.doc.display_pointer(&self.pointers[a]),
                        self.messages[b].key,
                    );
                    let both_objects = [a, b].iter().all(|&i| {
                        self.messages[i]
                            .untagged()
                            .is_some_and(|u| u.types == ["object"])
                    });
                    let help = if both_objects {
                        format!(
                            "give one of them its `{}` tag (a `const` in its payload, without `x-socketsundso-tag: false`), or a required property that the other does not declare",
                            self.tag_field
                        )
                    } else {
                        format!(
                            "without a tag only the JSON type tells such messages apart: wrap one in an object with a `{}` tag (`{{{}: {}, ...}}`), or make them one message",
                            self.tag_field,
                            self.tag_field,
                            suggested_tag(&self.messages[b].key)
                        )
                    };
                    self.shape_problem(receives, b, message, &help);
                }
            }
        }
    }

    /// Why the untagged messages `a` and `b` cannot be told apart by their shape, if they cannot.
    fn indistinct(&self, a: usize, b: usize) -> Option<String> {
        let (Some(ua), Some(ub)) = (self.messages[a].untagged(), self.messages[b].untagged())
        else {
            return None;
        };
        if ua.types.is_empty() || ub.types.is_empty() {
            let any = if ua.types.is_empty() { a } else { b };
            return Some(format!(
                "the payload of `{}` does not say its `type`, so any value could be it",
                self.messages[any].key
            ));
        }
        // A whole number is an `integer` and a `number` both.
        let overlaps = |x: &str, y: &str| {
            x == y || (x == "integer" && y == "number") || (x == "number" && y == "integer")
        };
        let shared = ua
            .types
            .iter()
            .find(|x| ub.types.iter().any(|y| overlaps(x, y)))?;
        if shared == "object" && ua.key.is_some() && ub.key.is_some() {
            return None;
        }
        Some(if shared == "object" {
            "both are objects, and not each has a required property that the other does not declare"
                .to_owned()
        } else {
            format!("both can be {}", article(shared))
        })
    }

    fn shape_problem(&mut self, receives: bool, index: usize, message: String, help: &str) {
        let pointer = self.pointers[index].clone();
        if receives {
            let error = self.doc.error(&pointer, message).help(help.to_owned());
            self.errors.push(error);
        } else {
            self.warn(
                &pointer,
                format!("{message}; the clients take the first that fits"),
            );
        }
    }

    fn nested_tag(&self) -> bool {
        self.tag_field.contains('.')
    }
}

/// Whether a `contentType` is one whose messages are binary frames.
fn binary_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/octet-stream"
        || ["audio/", "video/", "image/"]
            .iter()
            .any(|prefix| essence.starts_with(prefix))
}

/// A tag to suggest for a message named `key` (which may be a 2.x channel name such as
/// `/futures_publish`): its words in snake case.
fn suggested_tag(key: &str) -> String {
    let tag = identifier(key).to_snake_case();
    if tag.is_empty() {
        "name".to_owned()
    } else {
        tag
    }
}

/// `an array`, `a string`, ...
fn article(json_type: &str) -> String {
    match json_type {
        "array" | "integer" | "object" => format!("an {json_type}"),
        "null" => "`null`".to_owned(),
        other => format!("a {other}"),
    }
}

/// The strings of a JSON list (`required`), if it is one.
fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The messages of a channel, as resolved pointers.
fn channel_message_pointers(
    doc: &Document,
    channel_at: &str,
    channel: &Value,
) -> Result<Vec<String>> {
    let keys: Vec<String> = channel
        .get("messages")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.iter()
        .map(|key| {
            doc.resolve(&child(&child(channel_at, "messages"), key))
                .map(|(p, _)| p)
        })
        .collect()
}

fn check_schema_format(doc: &Document, at: &str, format: &Value, key: &str) -> Result<()> {
    let format = format.as_str().unwrap_or_default();
    if payload::is_json_schema_format(format) {
        return Ok(());
    }
    Err(doc
        .error(at, format!("message `{key}` uses schema format `{format}`; only JSON Schema and AsyncAPI schemas are supported"))
        .help("socketsundso generates types from JSON Schema; describe the payload with a JSON Schema"))
}

fn push_unique(list: &mut Vec<usize>, value: usize) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Keyword values of the right type, located errors otherwise; the draft-4 boolean form of
/// `exclusiveMinimum`/`exclusiveMaximum` becomes the current one.
fn check_keyword_values(doc: &Document, object: &mut Map<String, Value>, at: &str) -> Result<()> {
    // The form of every other keyword's value: `type` names, lists, schemas (`suggest.rs`).
    if let Some(problem) = crate::suggest::wrong_form(object) {
        let error = doc.error(&child(at, problem.keyword), problem.message);
        return Err(match problem.help {
            Some(help) => error.help(help),
            None => error,
        });
    }
    for keyword in [
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
    ] {
        let Some(value) = object.get(keyword) else {
            continue;
        };
        if value.as_u64().is_some() {
            continue;
        }
        // `2.0` is a whole number too (JSON does not tell them apart).
        match value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9_007_199_254_740_992.0)
        {
            Some(whole) => {
                object.insert(keyword.to_owned(), Value::from(whole as u64));
            }
            None => {
                return Err(doc.error(
                    &child(at, keyword),
                    format!("`{keyword}: {value}` must be a whole number, 0 or more"),
                ));
            }
        }
    }
    for keyword in ["minimum", "maximum", "multipleOf"] {
        if let Some(value) = object.get(keyword).filter(|v| !v.is_number()) {
            return Err(doc.error(
                &child(at, keyword),
                format!("`{keyword}: {value}` must be a number"),
            ));
        }
    }
    if object
        .get("multipleOf")
        .and_then(Value::as_f64)
        .is_some_and(|m| m <= 0.0)
    {
        return Err(doc.error(
            &child(at, "multipleOf"),
            "`multipleOf` must be greater than 0",
        ));
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match object.get(exclusive) {
            None | Some(Value::Number(_)) => {}
            Some(Value::Bool(flag)) => {
                // Draft 4: a flag on `minimum`/`maximum`.
                let flag = *flag;
                object.remove(exclusive);
                if flag && let Some(limit) = object.remove(inclusive) {
                    object.insert(exclusive.to_owned(), limit);
                }
            }
            Some(value) => {
                return Err(doc.error(
                    &child(at, exclusive),
                    format!("`{exclusive}: {value}` must be a number"),
                ));
            }
        }
    }
    Ok(())
}

/// A tuple written the JSON Schema 2020-12 way, `prefixItems: [..]` (and `items` for the rest),
/// becomes the draft-07 form that the types and the validator read: `items: [..]` (and
/// `additionalItems`).
fn prefix_items(doc: &Document, object: &mut Map<String, Value>, at: &str) -> Result<()> {
    let Some(prefix) = object.get("prefixItems") else {
        return Ok(());
    };
    if !prefix.is_array() {
        return Err(doc
            .error(
                &child(at, "prefixItems"),
                "`prefixItems` takes a list of schemas, one per position",
            )
            .help("for example `prefixItems: [{type: string}, {type: number}]`"));
    }
    if object.get("items").is_some_and(Value::is_array) || object.contains_key("additionalItems") {
        return Err(doc
            .error(&child(at, "prefixItems"), "`prefixItems` beside `items: [..]` or `additionalItems` mixes two ways to write a tuple")
            .help("write `prefixItems: [..]` with `items` for the rest (JSON Schema 2020-12), or `items: [..]` with `additionalItems` (draft-07)"));
    }
    let prefix = object.remove("prefixItems").unwrap_or_default();
    if let Some(rest) = object.remove("items") {
        object.insert("additionalItems".to_owned(), rest);
    }
    object.insert("items".to_owned(), prefix);
    Ok(())
}

/// Whether a `default` value has (one of) the schema's JSON types.
fn default_fits(ty: Option<&Value>, value: &Value) -> bool {
    let fits = |ty: &str| match ty {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        "number" => value.is_number(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    };
    match ty {
        Some(Value::String(ty)) => fits(ty),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(fits),
        _ => true,
    }
}

/// The keyword (`maximum: 3`) of its own schema that a `default` value breaks, among the simple
/// ones: bounds, lengths, sizes, `enum` and `const`.
fn default_breaks(object: &Map<String, Value>, default: &Value) -> Option<String> {
    let limit = |key: &str| object.get(key).and_then(Value::as_f64);
    let shown = |key: &str| {
        format!(
            "{key}: {}",
            object.get(key).map(Value::to_string).unwrap_or_default()
        )
    };
    if let Some(n) = default.as_f64() {
        let broken = [
            ("minimum", limit("minimum").is_some_and(|m| n < m)),
            ("maximum", limit("maximum").is_some_and(|m| n > m)),
            (
                "exclusiveMinimum",
                limit("exclusiveMinimum").is_some_and(|m| n <= m),
            ),
            (
                "exclusiveMaximum",
                limit("exclusiveMaximum").is_some_and(|m| n >= m),
            ),
        ];
        if let Some((key, _)) = broken.iter().find(|(_, b)| *b) {
            return Some(shown(key));
        }
    }
    let size = match default {
        Value::String(text) => Some((text.chars().count() as f64, "minLength", "maxLength")),
        Value::Array(items) => Some((items.len() as f64, "minItems", "maxItems")),
        Value::Object(members) => Some((members.len() as f64, "minProperties", "maxProperties")),
        _ => None,
    };
    if let Some((len, min, max)) = size {
        if limit(min).is_some_and(|m| len < m) {
            return Some(shown(min));
        }
        if limit(max).is_some_and(|m| len > m) {
            return Some(shown(max));
        }
    }
    if let Some(Value::Array(values)) = object.get("enum")
        && !values.contains(default)
    {
        return Some("enum".to_owned());
    }
    if object.get("const").is_some_and(|c| c != default) {
        return Some("const".to_owned());
    }
    None
}

/// See [`Builder::normalize`].
fn normalize(
    doc: &Document,
    schema: &mut Value,
    at: &str,
    allow_unknown: bool,
    in_all_of: bool,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let Value::Object(object) = schema else {
        return Ok(());
    };
    // An `allOf` of objects ("this schema, plus these fields") becomes one object, so that the
    // extension's fields are allowed although the referenced part is closed.
    if object.contains_key("allOf") {
        let merged = payload::merge_all_of(doc, at, object)?;
        if !merged.contains_key("allOf") {
            *object = merged;
        }
    }
    prefix_items(doc, object, at)?;
    check_keyword_values(doc, object, at)?;
    let schema_settings: SchemaSettings = if object.keys().any(|k| k.starts_with("x-socketsundso-"))
    {
        settings(doc, at, "a schema", warnings)?
    } else {
        SchemaSettings::default()
    };
    let allow_unknown = match schema_settings.unknown_fields {
        Some(setting) => {
            let allow = setting == UnknownFields::Allow;
            object
                .entry("additionalProperties")
                .or_insert(Value::Bool(allow));
            allow
        }
        None => allow_unknown,
    };
    if let Some(default) = object.get("default")
        && !default_fits(object.get("type"), default)
    {
        warnings.push(Warning {
            location: doc.location(&child(at, "default")),
            message: format!(
                "`default: {default}` does not have the schema's type {}; it is ignored",
                object.get("type").map(Value::to_string).unwrap_or_default()
            ),
        });
        object.remove("default");
    }
    if let Some(default) = object.get("default")
        && let Some(broken) = default_breaks(object, default)
    {
        // serde would fill it in for an absent field, and the handler would get a value that
        // its own schema forbids.
        warnings.push(Warning {
            location: doc.location(&child(at, "default")),
            message: format!(
                "`default: {default}` breaks the schema's own `{broken}`; it is ignored"
            ),
        });
        object.remove("default");
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        object.remove("nullable");
        match object.get_mut("type") {
            Some(Value::String(ty)) => {
                let ty = std::mem::take(ty);
                object.insert("type".to_owned(), Value::from(vec![ty, "null".to_owned()]));
            }
            Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
                types.push(Value::from("null"));
            }
            _ => {}
        }
    }
    let is_object = object.get("type").and_then(Value::as_str) == Some("object")
        || object.contains_key("properties");
    let composed = ["allOf", "oneOf", "anyOf"]
        .iter()
        .any(|k| object.contains_key(*k));
    if is_object && !composed && !in_all_of && !object.contains_key("additionalProperties") {
        object.insert(
            "additionalProperties".to_owned(),
            Value::Bool(allow_unknown),
        );
    }
    if is_object
        && !composed
        && !in_all_of
        && let Some((index, message, help)) = crate::suggest::required_not_in_properties(object)
    {
        // A closed object can never hold the field: an error. An open one: a warning.
        // The list may have lost the tag field since it was read; point at the name as written.
        let required = child(at, "required");
        let name = object["required"][index].clone();
        let index = doc
            .get(&required)
            .and_then(Value::as_array)
            .and_then(|list| list.iter().position(|n| *n == name))
            .unwrap_or(index);
        let here = child(&required, &index.to_string());
        if object.get("additionalProperties") == Some(&Value::Bool(false)) {
            let error = doc.error(&here, message);
            return Err(match help {
                Some(help) => error.help(help),
                None => error,
            });
        }
        warnings.push(Warning {
            location: doc.location(&here),
            message: match help {
                Some(help) => format!("{message}; {help}"),
                None => message,
            },
        });
    }
    for (key, value) in object.iter_mut() {
        let here = child(at, key);
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(children) = value {
                    for (name, schema) in children.iter_mut() {
                        normalize(
                            doc,
                            schema,
                            &child(&here, name),
                            allow_unknown,
                            false,
                            warnings,
                        )?;
                    }
                }
            }
            // A tuple (`items: [..]`): each position's schema.
            "items" if value.is_array() => {
                if let Value::Array(positions) = value {
                    for (i, schema) in positions.iter_mut().enumerate() {
                        normalize(
                            doc,
                            schema,
                            &child(&here, &i.to_string()),
                            allow_unknown,
                            false,
                            warnings,
                        )?;
                    }
                }
            }
            "items" | "additionalProperties" | "additionalItems" | "not" => {
                normalize(doc, value, &here, allow_unknown, false, warnings)?;
            }
            "oneOf" | "anyOf" | "allOf" => {
                if let Value::Array(children) = value {
                    for (i, schema) in children.iter_mut().enumerate() {
                        normalize(
                            doc,
                            schema,
                            &child(&here, &i.to_string()),
                            allow_unknown,
                            key == "allOf",
                            warnings,
                        )?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

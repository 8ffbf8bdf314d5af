//! The intermediate representation: a resolved, protocol-level model of the API.
//!
//! Emitters read only this. Every name here is already a valid, unique Rust identifier, every
//! `$ref` in a schema points at an entry of [`Api::definitions`], and every payload is the object
//! schema of a message without its tag field.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::{Map, Value};

use crate::error::{Result, Warning};
use crate::spec::{Document, child, segments};

/// The whole API.
#[derive(Debug, Clone)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The discriminator field of every message, `type` by default.
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
    /// Problems that do not stop generation, in document order.
    pub warnings: Vec<Warning>,
}

/// A JSON Schema with the place it came from.
#[derive(Debug, Clone)]
pub struct Schema {
    /// JSON Pointer of the schema in the spec.
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
    /// The payload: an object schema without the tag property.
    pub payload: Schema,
    /// Whether the payload schema declares the correlation id field itself (then the handler
    /// sees it too).
    pub declares_id: bool,
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
    /// Index into [`Api::messages`] of the reply, where the operation declares one.
    pub reply: Option<usize>,
    /// `x-socketsundso-blocking: true`: the handler is a plain function that the runtime runs on
    /// the blocking thread pool.
    pub blocking: bool,
}

/// Document-level setting: the correlation id field, or `false`.
pub const ID_FIELD: &str = "x-socketsundso-id-field";
/// Document- or schema-level setting: `allow` or `reject` (the default) unknown fields.
pub const UNKNOWN_FIELDS: &str = "x-socketsundso-unknown-fields";
/// Operation-level setting: the handler is blocking and runs on the blocking pool.
pub const BLOCKING: &str = "x-socketsundso-blocking";

/// Names that generated code defines itself.
const RESERVED: &[&str] = &[
    "ClientMessage",
    "ServerMessage",
    "Handler",
    "Server",
    "Context",
];

impl Api {
    /// Builds the IR from a parsed document.
    pub(crate) fn from_document(doc: &Document) -> Result<Api> {
        Builder::new(doc)?.build()
    }
}

struct Builder<'a> {
    doc: &'a Document,
    tag_field: String,
    id_field: Option<String>,
    /// The document's default for `x-socketsundso-unknown-fields`.
    allow_unknown: bool,
    messages: Vec<Message>,
    /// message pointer → index
    by_pointer: BTreeMap<String, usize>,
    received: Vec<Received>,
    sent: Vec<usize>,
    /// schema pointer → Rust name, for referenced schemas
    def_names: BTreeMap<String, String>,
    definitions: BTreeMap<String, Schema>,
    /// Rust name → what claimed it (pointer)
    names: BTreeMap<String, String>,
}

impl<'a> Builder<'a> {
    fn new(doc: &'a Document) -> Result<Self> {
        let version = doc.get("/asyncapi").ok_or_else(|| {
            doc.error(
                "",
                "this is not an AsyncAPI document: the `asyncapi` field is missing",
            )
            .help("an AsyncAPI 3.0 document starts with `asyncapi: 3.0.0`")
        })?;
        let version = version
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| version.to_string());
        if !version.starts_with("3.") {
            return Err(doc
                .error("/asyncapi", format!("AsyncAPI {version} is not supported yet; this version of socketsundso reads AsyncAPI 3.x"))
                .help("convert the document with `asyncapi convert` from the AsyncAPI CLI"));
        }
        let mut names = BTreeMap::new();
        for reserved in RESERVED {
            names.insert((*reserved).to_owned(), String::new());
        }
        let id_field = match doc.get(&format!("/{ID_FIELD}")) {
            None => Some("id".to_owned()),
            Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
            Some(Value::Bool(false) | Value::Null) => None,
            Some(_) => {
                return Err(doc
                    .error(
                        &format!("/{ID_FIELD}"),
                        format!("`{ID_FIELD}` must be a field name or `false`"),
                    )
                    .help("for example `x-socketsundso-id-field: reqid`"));
            }
        };
        let allow_unknown =
            unknown_fields_setting(doc, &format!("/{UNKNOWN_FIELDS}"))?.unwrap_or(false);
        Ok(Builder {
            doc,
            tag_field: "type".to_owned(),
            id_field,
            allow_unknown,
            messages: vec![],
            by_pointer: BTreeMap::new(),
            received: vec![],
            sent: vec![],
            def_names: BTreeMap::new(),
            definitions: BTreeMap::new(),
            names,
        })
    }

    fn build(mut self) -> Result<Api> {
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
                .error("", "the document has no `operations`, so no message has a direction")
                .help("add an operation with `action: receive` for each message the server receives and `action: send` for each it sends"));
        };
        for (id, _) in operations {
            self.operation(id)?;
        }
        self.check_unique_tags()?;
        let warnings = self.warnings();
        Ok(Api {
            title,
            version,
            description,
            tag_field: self.tag_field,
            id_field: self.id_field,
            messages: self.messages,
            received: self.received,
            sent: self.sent,
            definitions: self.definitions,
            warnings,
        })
    }

    /// Keywords in received payloads that would not be enforced.
    fn warnings(&self) -> Vec<Warning> {
        let received: std::collections::BTreeSet<usize> =
            self.received.iter().map(|r| r.message).collect();
        let mut found = vec![];
        for index in received {
            let payload = &self.messages[index].payload;
            crate::keywords::unenforced(&payload.schema, &payload.pointer, &mut found);
        }
        for def in self.definitions.values() {
            crate::keywords::unenforced(&def.schema, &def.pointer, &mut found);
        }
        found.sort();
        found.dedup();
        found
            .into_iter()
            .map(|(pointer, message)| Warning {
                location: self.doc.location(&pointer),
                message,
            })
            .collect()
    }

    fn operation(&mut self, id: &str) -> Result<()> {
        let doc = self.doc;
        let at = child("/operations", id);
        let (at, op) = doc.resolve(&at)?;
        let action = op.get("action").and_then(Value::as_str);
        let receives = match action {
            Some("receive") => true,
            Some("send") => false,
            _ => {
                return Err(doc
                    .error(&child(&at, "action"), format!("operation `{id}` needs `action: receive` or `action: send`"))
                    .help("`receive`: the server receives these messages; `send`: the server sends them"));
            }
        };
        let messages = self.operation_messages(&at, op, id)?;
        let doc_text = op
            .get("summary")
            .or_else(|| op.get("description"))
            .and_then(Value::as_str)
            .map(str::to_owned);

        let blocking = match op.get(BLOCKING) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(doc.error(
                    &child(&at, BLOCKING),
                    format!("`{BLOCKING}` must be `true` or `false`"),
                ));
            }
        };
        if blocking && !receives {
            return Err(doc
                .error(
                    &child(&at, BLOCKING),
                    format!("`{BLOCKING}` applies to operations that the server receives"),
                )
                .help("remove it, or set `action: receive`"));
        }
        let reply = match op.get("reply") {
            None => None,
            Some(_) => self.reply(&child(&at, "reply"), id)?,
        };
        if let Some(reply) = reply {
            push_unique(&mut self.sent, reply);
        }
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
            let method = format!(
                "on_{}",
                identifier(&self.messages[message].tag).to_snake_case()
            );
            self.received.push(Received {
                message,
                method,
                operation: id.to_owned(),
                doc: doc_text.clone(),
                reply,
                blocking,
            });
        }
        Ok(())
    }

    /// The messages an operation lists, or all of its channel's messages.
    fn operation_messages(&mut self, at: &str, op: &Value, id: &str) -> Result<Vec<usize>> {
        let doc = self.doc;
        let channel_ref = op.get("channel").ok_or_else(|| {
            doc.error(at, format!("operation `{id}` has no `channel`"))
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
                    let (ptr, _) = doc.resolve(&child(&child(at, "messages"), &i.to_string()))?;
                    out.push(self.message(&ptr)?);
                }
            }
            Some(_) => {
                return Err(doc.error(
                    &child(at, "messages"),
                    "`messages` must be a list of `$ref`s",
                ));
            }
            None => {
                let keys: Vec<String> = channel
                    .get("messages")
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                if keys.is_empty() {
                    return Err(doc.error(
                        &channel_at,
                        format!("the channel of operation `{id}` has no messages"),
                    ));
                }
                for key in keys {
                    let (ptr, _) = doc.resolve(&child(&child(&channel_at, "messages"), &key))?;
                    out.push(self.message(&ptr)?);
                }
            }
        }
        Ok(out)
    }

    /// The one reply message of an operation's `reply`, if it names one.
    fn reply(&mut self, at: &str, id: &str) -> Result<Option<usize>> {
        let doc = self.doc;
        let (at, reply) = doc.resolve(at)?;
        let mut pointers = vec![];
        match reply.get("messages") {
            Some(Value::Array(list)) => {
                for i in 0..list.len() {
                    pointers.push(
                        doc.resolve(&child(&child(&at, "messages"), &i.to_string()))?
                            .0,
                    );
                }
            }
            Some(_) => {
                return Err(doc.error(
                    &child(&at, "messages"),
                    "`messages` must be a list of `$ref`s",
                ));
            }
            None => {
                if reply.get("channel").is_some() {
                    let (channel_at, channel) = doc.resolve(&child(&at, "channel"))?;
                    if let Some(messages) = channel.get("messages").and_then(Value::as_object) {
                        for key in messages.keys() {
                            pointers
                                .push(doc.resolve(&child(&child(&channel_at, "messages"), key))?.0);
                        }
                    }
                }
            }
        }
        match pointers.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(self.message(one)?)),
            _ => Err(doc
                .error(&at, format!("the reply of operation `{id}` lists {} messages; a handler returns exactly one reply type", pointers.len()))
                .help("list one message in `reply.messages`, or send the others with `ctx.send` from the handler")),
        }
    }

    /// Registers the message at `pointer` (already resolved) and returns its index.
    fn message(&mut self, pointer: &str) -> Result<usize> {
        if let Some(&index) = self.by_pointer.get(pointer) {
            return Ok(index);
        }
        let doc = self.doc;
        let node = doc
            .get(pointer)
            .and_then(Value::as_object)
            .ok_or_else(|| doc.error(pointer, "a message must be an object"))?;
        let key = segments(pointer).pop().unwrap_or_default();
        let text = |k: &str| node.get(k).and_then(Value::as_str).map(str::to_owned);

        if let Some(content_type) = text("contentType")
            && !content_type.contains("json")
        {
            return Err(doc
                    .error(&child(pointer, "contentType"), format!("message `{key}` has content type `{content_type}`; only JSON messages are supported"))
                    .help("socketsundso speaks JSON text frames; use `contentType: application/json`"));
        }

        let (payload_at, payload) = match node.get("payload") {
            None => (child(pointer, "payload"), Map::new()),
            Some(_) => {
                let (mut at, mut schema) = doc.resolve(&child(pointer, "payload"))?;
                if let Some(format) = schema.get("schemaFormat") {
                    let format = format.as_str().unwrap_or_default();
                    if !(format.contains("json") || format.contains("asyncapi"))
                        || format.contains("avro")
                    {
                        return Err(doc.error(
                            &child(&at, "schemaFormat"),
                            format!("message `{key}` uses schema format `{format}`; only JSON Schema and AsyncAPI schemas are supported"),
                        ));
                    }
                    (at, schema) = doc.resolve(&child(&at, "schema"))?;
                }
                let object = self.object_payload(&at, schema, &key)?;
                (at, object)
            }
        };

        let tag = match self.fixed_tag(&payload_at, &payload)? {
            Some(tag) => tag,
            None => text("name").unwrap_or_else(|| key.clone()),
        };

        let mut payload = payload;
        if let Some(Value::Object(properties)) = payload.get_mut("properties") {
            properties.shift_remove(&self.tag_field);
        }
        if let Some(Value::Array(required)) = payload.get_mut("required") {
            required.retain(|r| r.as_str() != Some(self.tag_field.as_str()));
        }
        payload
            .entry("type")
            .or_insert_with(|| Value::from("object"));
        if !payload.contains_key("description") && !payload.contains_key("title") {
            let doc = [text("summary"), text("description")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n\n");
            if !doc.is_empty() {
                payload.insert("description".to_owned(), Value::from(doc));
            }
        }
        self.correlation(pointer, node, &key)?;
        let declares_id = self
            .id_field
            .as_ref()
            .is_some_and(|id| payload.get("properties").and_then(|p| p.get(id)).is_some());
        let mut payload = Value::Object(payload);
        self.normalize(&mut payload, &payload_at)?;
        self.rewrite_refs(&mut payload, &payload_at)?;

        let rust_name = self.claim_name(&type_name(&key), pointer)?;
        let index = self.messages.len();
        self.messages.push(Message {
            key,
            tag,
            rust_name,
            summary: text("summary").or_else(|| text("title")),
            description: text("description"),
            payload: Schema {
                pointer: payload_at,
                schema: payload,
            },
            declares_id,
        });
        self.by_pointer.insert(pointer.to_owned(), index);
        Ok(index)
    }

    /// Checks that a payload is an object schema and returns a copy of it.
    fn object_payload(&self, at: &str, schema: &Value, key: &str) -> Result<Map<String, Value>> {
        let doc = self.doc;
        let Some(object) = schema.as_object() else {
            return Err(doc.error(
                at,
                format!("the payload of message `{key}` must be a schema object"),
            ));
        };
        if let Some(ty) = object.get("type")
            && ty.as_str() != Some("object")
        {
            return Err(doc
                    .error(&child(at, "type"), format!("the payload of message `{key}` has `type: {ty}`; a message must be a JSON object"))
                    .help(format!("the `{}` tag lives in the message object, so the payload must be `type: object`", self.tag_field)));
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            if object.contains_key(keyword) {
                return Err(doc
                    .error(&child(at, keyword), format!("`{keyword}` at the top of a message payload is not supported yet (message `{key}`)"))
                    .help("declare one message per variant; each gets its own tag and handler"));
            }
        }
        Ok(object.clone())
    }

    /// The tag value fixed by the payload's tag property (`const` or a one-value `enum`).
    fn fixed_tag(&self, payload_at: &str, payload: &Map<String, Value>) -> Result<Option<String>> {
        let Some(property) = payload
            .get("properties")
            .and_then(|p| p.get(&self.tag_field))
        else {
            return Ok(None);
        };
        let at = child(&child(payload_at, "properties"), &self.tag_field);
        let property = match property.get("$ref") {
            Some(_) => self.doc.resolve(&at)?.1,
            None => property,
        };
        if let Some(value) = property.get("const") {
            return match value.as_str() {
                Some(s) => Ok(Some(s.to_owned())),
                None => Err(self.doc.error(
                    &child(&at, "const"),
                    format!("the `{}` tag must be a string", self.tag_field),
                )),
            };
        }
        if let Some(Value::Array(values)) = property.get("enum")
            && let [Value::String(s)] = values.as_slice()
        {
            return Ok(Some(s.clone()));
        }
        Ok(None)
    }

    /// Rewrites every `$ref` in `schema` (a copy of the node at `at`) to
    /// `#/definitions/<Rust name>`, adding each referenced schema to the definitions.
    fn rewrite_refs(&mut self, schema: &mut Value, at: &str) -> Result<()> {
        match schema {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref") {
                    let target = self.doc.ref_target(&child(at, "$ref"), reference)?;
                    let name = self.definition(&target)?;
                    object.insert(
                        "$ref".to_owned(),
                        Value::from(format!("#/definitions/{name}")),
                    );
                }
                for (key, value) in object.iter_mut() {
                    if key != "$ref"
                        && key != "const"
                        && key != "enum"
                        && key != "default"
                        && key != "examples"
                    {
                        self.rewrite_refs(value, &child(at, key))?;
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.rewrite_refs(item, &child(at, &i.to_string()))?;
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
        let name = self.claim_name(&type_name(&last), pointer)?;
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
            return Err(doc
                .error(&child(&at, "location"), format!("message `{key}`: correlation id location `{location}` is not supported"))
                .help("socketsundso carries the id in a top-level field of the message: `location: $message.payload#/id`"));
        };
        let field = field.replace("~1", "/").replace("~0", "~");
        match &self.id_field {
            Some(existing) if *existing == field => Ok(()),
            Some(existing) if existing != "id" || doc.get(&format!("/{ID_FIELD}")).is_some() => Err(doc
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
    fn normalize(&self, schema: &mut Value, at: &str) -> Result<()> {
        normalize(self.doc, schema, at, self.allow_unknown, false)
    }

    /// Reserves a Rust type name for the node at `pointer`.
    fn claim_name(&mut self, name: &str, pointer: &str) -> Result<String> {
        match self.names.get(name) {
            None => {
                self.names.insert(name.to_owned(), pointer.to_owned());
                Ok(name.to_owned())
            }
            Some(other) if other.is_empty() => Err(self
                .doc
                .error(
                    pointer,
                    format!("`{name}` is a name that generated code uses itself"),
                )
                .help("rename this message or schema")),
            Some(other) => Err(self
                .doc
                .error(
                    pointer,
                    format!("this and `#{other}` would both be the Rust type `{name}`"),
                )
                .help("rename one of them")),
        }
    }

    fn check_unique_tags(&self) -> Result<()> {
        let received: Vec<usize> = self.received.iter().map(|r| r.message).collect();
        for (direction, list) in [("receives", &received), ("sends", &self.sent)] {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for &index in list.iter() {
                let message = &self.messages[index];
                if let Some(&other) = seen.get(message.tag.as_str()) {
                    let pointer = self
                        .by_pointer
                        .iter()
                        .find(|(_, i)| **i == index)
                        .map(|(p, _)| p.clone())
                        .unwrap_or_default();
                    return Err(self
                        .doc
                        .error(
                            &pointer,
                            format!(
                                "the server {direction} two messages tagged `{}`: `{}` and `{}`",
                                message.tag, self.messages[other].key, message.key
                            ),
                        )
                        .help(format!(
                            "each message needs its own `{}` value",
                            self.tag_field
                        )));
                }
                seen.insert(&message.tag, index);
            }
        }
        let mut methods: BTreeMap<&str, &str> = BTreeMap::new();
        for r in &self.received {
            let tag = self.messages[r.message].tag.as_str();
            if let Some(other) = methods.insert(&r.method, tag) {
                return Err(self.doc.error(
                    "/operations",
                    format!(
                        "tags `{other}` and `{tag}` would both be handled by `{}`",
                        r.method
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn push_unique(list: &mut Vec<usize>, value: usize) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Keeps ASCII letters and digits and turns everything else into word breaks.
fn identifier(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// A valid Rust type name (UpperCamelCase, ASCII) for a key.
fn type_name(raw: &str) -> String {
    let name = identifier(raw).to_upper_camel_case();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("T{name}")
    } else if name == "Self" {
        "SelfType".to_owned()
    } else {
        name
    }
}

/// See [`Builder::normalize`].
fn normalize(
    doc: &Document,
    schema: &mut Value,
    at: &str,
    allow_unknown: bool,
    in_all_of: bool,
) -> Result<()> {
    let Value::Object(object) = schema else {
        return Ok(());
    };
    let allow_unknown = match unknown_fields_setting(doc, &child(at, UNKNOWN_FIELDS))? {
        Some(allow) => {
            object
                .entry("additionalProperties")
                .or_insert(Value::Bool(allow));
            allow
        }
        None => allow_unknown,
    };
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
    for (key, value) in object.iter_mut() {
        let here = child(at, key);
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(children) = value {
                    for (name, schema) in children.iter_mut() {
                        normalize(doc, schema, &child(&here, name), allow_unknown, false)?;
                    }
                }
            }
            "items" | "additionalProperties" | "additionalItems" | "not" => {
                normalize(doc, value, &here, allow_unknown, false)?;
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
                        )?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads `x-socketsundso-unknown-fields` at `pointer`: `allow` → `Some(true)`, `reject` →
/// `Some(false)`, absent → `None`.
fn unknown_fields_setting(doc: &Document, pointer: &str) -> Result<Option<bool>> {
    match doc.get(pointer) {
        None => Ok(None),
        Some(Value::String(s)) if s == "allow" => Ok(Some(true)),
        Some(Value::String(s)) if s == "reject" => Ok(Some(false)),
        Some(_) => Err(doc
            .error(pointer, format!("`{UNKNOWN_FIELDS}` must be `allow` or `reject`"))
            .help("`reject` (the default) answers a message with an unknown field with an `unknown_field` error; `allow` ignores such fields")),
    }
}

//! The docs emitter: a Markdown reference (`api.md`) and a single-file HTML page (`api.html`) of
//! the same content, from the IR alone.
//!
//! For each message: its direction (client → server or server → client), its handler and
//! operation, its fields with their types and constraints, an example (the schema's own
//! `examples`, else one built from the schema so that it validates, see [`example`]), its reply
//! or the requests it answers; then the shared schemas and the error object. Both files are
//! deterministic. The HTML page needs no network: its style and its script (the search box, the
//! JSON colours, the copy buttons) are inline, and askama escapes every value in it.

use askama::Template;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ir::{Api, Message, Reply};

mod example;
mod fields;
mod pattern;

use example::Examples;
use fields::{Field, Type, schema_anchor};

/// The two generated files.
pub(crate) struct Files {
    pub markdown: String,
    pub html: String,
}

/// Renders the docs of `api`, read from the file `source`.
pub(crate) fn emit(api: &Api, source: &str) -> Result<Files> {
    let docs = Docs::new(api, source);
    let render = |result: askama::Result<String>, what: &str| {
        result.map_err(|e| Error::Internal {
            what: format!("{what} docs"),
            reason: e.to_string(),
        })
    };
    let mut markdown = render(Markdown { d: &docs }.render(), "Markdown")?;
    let mut html = render(Html { d: &docs }.render(), "HTML")?;
    for text in [&mut markdown, &mut html] {
        // One newline at the end, whatever the templates' whitespace.
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        text.push('\n');
    }
    Ok(Files { markdown, html })
}

#[derive(Template)]
#[template(path = "docs/api.md")]
struct Markdown<'a> {
    d: &'a Docs,
}

#[derive(Template)]
#[template(path = "docs/api.html")]
struct Html<'a> {
    d: &'a Docs,
}

/// Everything both templates show.
struct Docs {
    title: String,
    version: String,
    /// `info.description`, Markdown as written.
    description: Option<String>,
    /// The same, as paragraphs for the HTML page.
    description_html: Vec<Vec<Span>>,
    source: String,
    tag_field: String,
    /// Some message has no tag (see `ir::Wire`).
    has_untagged: bool,
    /// Some message is a binary frame.
    has_binary: bool,
    id_field: Option<String>,
    groups: Vec<Group>,
    schemas: Vec<SchemaDoc>,
    error_fields: Vec<FieldView>,
    error_example: String,
    codes: Vec<Code>,
}

/// The messages of one direction.
struct Group {
    title: &'static str,
    anchor: &'static str,
    intro: &'static str,
    messages: Vec<MessageDoc>,
}

struct MessageDoc {
    anchor: String,
    tag: String,
    name: String,
    /// `client → server` or `server → client`.
    direction: &'static str,
    /// `in` (the server receives it) or `out`.
    class: &'static str,
    summary: Option<String>,
    /// The summary for a table cell.
    summary_cell: String,
    summary_html: Vec<Span>,
    description: Option<String>,
    description_html: Vec<Vec<Span>>,
    /// The handler method, for what the server receives.
    handler: Option<String>,
    operation: Option<String>,
    /// The operation's own summary (or description), on one line, when the message has a
    /// summary of its own (else it is the message's summary).
    operation_doc: Option<String>,
    operation_doc_html: Vec<Span>,
    blocking: bool,
    /// What the handler returns; empty when it returns nothing.
    replies: Vec<Link>,
    /// For a message the server sends: the requests it answers.
    answers: Vec<Link>,
    fields: Vec<FieldView>,
    /// The payload is a `oneOf`/`anyOf`: its branches.
    variants: Option<TypeView>,
    /// Unknown members are refused.
    closed: bool,
    example: String,
    /// The example is the schema's own, not built.
    example_given: bool,
    /// The message's own `examples` (those that fit its schema); when there are any, they are
    /// shown instead of `example`.
    examples: Vec<ExampleView>,
    /// A binary frame: no JSON example.
    binary: bool,
    /// Lowercase words the search box matches.
    search: String,
}

/// One of a message's own `examples`.
struct ExampleView {
    name: Option<String>,
    /// The summary on one line, for Markdown.
    summary: Option<String>,
    summary_html: Vec<Span>,
    json: String,
}

struct SchemaDoc {
    anchor: String,
    name: String,
    ty: TypeView,
    description: Option<String>,
    description_html: Vec<Vec<Span>>,
    constraints: Vec<Vec<Span>>,
    md_constraints: String,
    fields: Vec<FieldView>,
    example: String,
    search: String,
}

struct Link {
    text: String,
    anchor: String,
}

struct Code {
    code: &'static str,
    meaning: &'static str,
    meaning_html: Vec<Span>,
}

/// A piece of inline text: code (between backticks) or not.
struct Span {
    code: bool,
    text: String,
}

/// A type for both templates.
struct TypeView {
    markdown: String,
    parts: Vec<PartView>,
}

struct PartView {
    spans: Vec<Span>,
    link: Option<String>,
}

/// A field row for both templates.
struct FieldView {
    path: String,
    /// The last segment of the path, and what leads to it (`address.`), for the HTML page.
    lead: String,
    leaf: String,
    depth: usize,
    required: bool,
    ty: TypeView,
    md_constraints: String,
    md_description: String,
    constraints: Vec<Vec<Span>>,
    description: Vec<Span>,
}

/// What the runtime sends for each code (see `socketsundso::ErrorCode`).
const CODES: &[(&str, &str)] = &[
    (
        "invalid_json",
        "the text frame is not JSON; the message has the parser's line and column",
    ),
    (
        "not_an_object",
        "the frame is JSON, but neither an object nor a message without a tag that fits its shape",
    ),
    (
        "missing_tag",
        "the object has no tag field and is no message without a tag (with one untagged object, every object without the tag is read as that one), or its tag is not a string",
    ),
    (
        "unknown_tag",
        "the tag names no message the server receives; the message lists the known tags",
    ),
    (
        "validation_failed",
        "the message breaks its schema (wrong type, unknown or missing field, bad value), or its handler rejected a value; `errors` lists every violation",
    ),
    ("handler_error", "the handler returned an error"),
    (
        "unsupported_frame",
        "a binary frame arrived, and the API declares no binary message",
    ),
    (
        "too_large",
        "the frame is bigger than the server's limit; the connection is then closed (1009)",
    ),
    (
        "internal",
        "the server failed while handling the message; details are in its log, not here",
    ),
];

impl Docs {
    fn new(api: &Api, source: &str) -> Self {
        let examples = Examples { api };
        let received = api
            .received
            .iter()
            .filter_map(|r| Some((r, api.messages.get(r.message)?)))
            .map(|(r, m)| {
                let replies = match &r.reply {
                    Reply::None => vec![],
                    Reply::One(i) => api.messages.get(*i).map(out_link).into_iter().collect(),
                    Reply::Many { messages, .. } => messages
                        .iter()
                        .filter_map(|i| api.messages.get(*i))
                        .map(out_link)
                        .collect(),
                };
                let mut doc = message_doc(api, &examples, m, "in", true);
                doc.handler = Some(r.method.clone());
                doc.operation = Some(r.operation.clone());
                doc.blocking = r.blocking;
                if let Some(text) = &r.doc {
                    if doc.summary.is_none() {
                        doc.summary_html = spans(text);
                        doc.summary_cell = md_cell(text);
                        doc.summary = Some(text.clone());
                    } else if doc.summary.as_deref().map(str::trim) != Some(text.trim()) {
                        let line = md_cell(text);
                        doc.operation_doc_html = spans(&line);
                        doc.operation_doc = Some(line);
                    }
                }
                doc.replies = replies;
                doc.search = format!("{} {} {}", doc.search, r.method, r.operation);
                if let Some(text) = &doc.operation_doc {
                    doc.search = format!("{} {text}", doc.search);
                }
                doc.search = doc.search.to_lowercase();
                doc
            })
            .collect();
        let sent = api
            .sent
            .iter()
            .filter_map(|i| Some((*i, api.messages.get(*i)?)))
            .map(|(i, m)| {
                let answers: Vec<Link> = api
                    .received
                    .iter()
                    .filter(|r| match &r.reply {
                        Reply::None => false,
                        Reply::One(j) => *j == i,
                        Reply::Many { messages, .. } => messages.contains(&i),
                    })
                    .filter_map(|r| api.messages.get(r.message))
                    .map(in_link)
                    .collect();
                let mut doc = message_doc(api, &examples, m, "out", !answers.is_empty());
                doc.answers = answers;
                doc
            })
            .collect();
        let schemas = api
            .definitions
            .iter()
            .map(|(name, def)| {
                let object = def.schema.as_object();
                let description = object
                    .and_then(|o| o.get("description").or_else(|| o.get("title")))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let constraints = object.map(fields::constraints).unwrap_or_default();
                let rows = fields::fields(&def.schema);
                let search = format!(
                    "{name} {} {}",
                    description.as_deref().unwrap_or_default(),
                    rows.iter()
                        .map(|f| f.path.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
                .to_lowercase();
                SchemaDoc {
                    anchor: schema_anchor(name),
                    name: name.clone(),
                    ty: type_view(&fields::type_of(&def.schema)),
                    description_html: paragraphs(description.as_deref()),
                    description,
                    md_constraints: md_cell(&constraints.join(", ")),
                    constraints: constraints.iter().map(|c| spans(c)).collect(),
                    fields: rows.iter().map(field_view).collect(),
                    example: pretty(&examples.of(&def.schema, 0, 1)),
                    search,
                }
            })
            .collect();
        let error_tag_field = if api.nested_tag() {
            "type".to_owned()
        } else {
            api.tag_field.clone()
        };
        Docs {
            title: api.title.clone(),
            version: api.version.clone(),
            description_html: paragraphs(api.description.as_deref()),
            description: api.description.clone(),
            source: source.to_owned(),
            tag_field: api.tag_field.clone(),
            has_untagged: api.messages.iter().any(|m| m.untagged().is_some()),
            has_binary: api.messages.iter().any(|m| m.binary()),
            id_field: api.id_field.clone(),
            groups: vec![
                Group {
                    title: "Client → server",
                    anchor: "client-to-server",
                    intro: "What clients send. The server checks each message against its schema, then calls its handler; what the handler returns is the reply.",
                    messages: received,
                },
                Group {
                    title: "Server → client",
                    anchor: "server-to-client",
                    intro: "What the server sends: replies, and messages it sends on its own.",
                    messages: sent,
                },
            ],
            schemas,
            error_fields: error_fields(&error_tag_field)
                .iter()
                .map(field_view)
                .collect(),
            error_example: error_example(api, &error_tag_field),
            codes: CODES
                .iter()
                .map(|(code, meaning)| Code {
                    code,
                    meaning,
                    meaning_html: spans(meaning),
                })
                .collect(),
        }
    }
}

/// The anchor of a message's section: the server receives it (`in`) or sends it (`out`).
fn message_anchor(class: &str, message: &Message) -> String {
    let side = if class == "in" { "client" } else { "server" };
    format!("{side}-{}", message.rust_name)
}

fn out_link(message: &Message) -> Link {
    Link {
        text: message.tag.clone(),
        anchor: message_anchor("out", message),
    }
}

fn in_link(message: &Message) -> Link {
    Link {
        text: message.tag.clone(),
        anchor: message_anchor("in", message),
    }
}

/// `with_id`: the message carries the correlation id (what the server receives, and replies).
fn message_doc(
    api: &Api,
    examples: &Examples<'_>,
    message: &Message,
    class: &'static str,
    with_id: bool,
) -> MessageDoc {
    let payload = &message.payload.schema;
    let object = payload.as_object();
    let variants = object
        .and_then(|o| o.get("oneOf").or_else(|| o.get("anyOf")))
        .filter(|_| object.is_some_and(|o| !o.contains_key("properties")))
        .map(|_| type_view(&fields::type_of(payload)));
    let mut rows = vec![];
    if message.binary() {
        rows.push(Field {
            path: "(the whole message)".to_owned(),
            depth: 0,
            ty: fields::type_of(payload),
            required: true,
            constraints: vec![],
            description: Some("binary: a binary frame, its bytes as they are".to_owned()),
        });
    } else if let Some(untagged) = message.untagged() {
        // No tag: the whole value is the payload.
        let what = match &untagged.key {
            Some(key) => format!(
                "no tag: told apart from the other messages by its shape (its `{key}` field)"
            ),
            None => {
                "no tag: told apart from the other messages by its shape (its JSON type)".to_owned()
            }
        };
        rows.push(Field {
            path: "(the whole message)".to_owned(),
            depth: 0,
            ty: fields::type_of(payload),
            required: true,
            constraints: vec![],
            description: Some(what),
        });
    } else if !api.nested_tag() {
        rows.push(Field {
            path: api.tag_field.clone(),
            depth: 0,
            ty: fields::type_of(&serde_json::json!({ "const": message.tag })),
            required: true,
            constraints: vec![],
            description: Some("the message's tag".to_owned()),
        });
    }
    if let Some(id) = &api.id_field
        && with_id
        && message.tagged()
        && !message.declares_id
    {
        let description = if class == "in" {
            "a correlation id: the reply, and any error, carry it back"
        } else {
            "the correlation id of the request this answers, when it had one"
        };
        rows.push(Field {
            path: id.clone(),
            depth: 0,
            ty: fields::type_of(&serde_json::json!({ "type": ["string", "number"] })),
            required: false,
            constraints: vec![],
            description: Some(description.to_owned()),
        });
    }
    if !message.binary() {
        rows.extend(fields::fields(payload));
    }
    let closed = object.is_some_and(|o| o.get("additionalProperties") == Some(&Value::Bool(false)));
    let (example, example_given) = message_example(api, examples, message);
    let search = format!(
        "{} {} {} {} {}",
        message.tag,
        message.rust_name,
        message.summary.as_deref().unwrap_or_default(),
        message.description.as_deref().unwrap_or_default(),
        rows.iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    )
    .to_lowercase();
    MessageDoc {
        anchor: message_anchor(class, message),
        tag: message.tag.clone(),
        name: message.rust_name.clone(),
        direction: if class == "in" {
            "client → server"
        } else {
            "server → client"
        },
        class,
        summary_html: message.summary.as_deref().map(spans).unwrap_or_default(),
        summary_cell: md_cell(message.summary.as_deref().unwrap_or_default()),
        summary: message.summary.clone(),
        description_html: paragraphs(message.description.as_deref()),
        description: message.description.clone(),
        handler: None,
        operation: None,
        operation_doc: None,
        operation_doc_html: vec![],
        blocking: false,
        replies: vec![],
        answers: vec![],
        fields: rows.iter().map(field_view).collect(),
        variants,
        closed,
        example: pretty(&example),
        example_given,
        examples: if message.binary() {
            vec![]
        } else {
            message
                .examples
                .iter()
                .map(|e| ExampleView {
                    name: e.name.clone(),
                    summary: e.summary.as_deref().map(md_cell),
                    summary_html: e.summary.as_deref().map(spans).unwrap_or_default(),
                    json: pretty(&on_the_wire(api, message, e.payload.clone())),
                })
                .collect()
        },
        binary: message.binary(),
        search,
    }
}

/// The whole message as it goes on the wire: the tag first, then the payload's example.
fn message_example(api: &Api, examples: &Examples<'_>, message: &Message) -> (Value, bool) {
    let payload = &message.payload.schema;
    let given = payload
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .or_else(|| payload.get("example"))
        .filter(|e| e.is_object())
        .cloned();
    let example_given = given.is_some();
    let body = given.unwrap_or_else(|| examples.of(payload, 0, 0));
    (on_the_wire(api, message, body), example_given)
}

/// A payload as the message goes on the wire: the tag first (added where the example leaves it
/// out), then the other fields.
fn on_the_wire(api: &Api, message: &Message, body: Value) -> Value {
    if api.nested_tag() || !message.tagged() {
        return body;
    }
    let mut out = Map::new();
    out.insert(api.tag_field.clone(), Value::from(message.tag.clone()));
    if let Value::Object(fields) = body {
        for (key, value) in fields {
            if key != api.tag_field {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

/// An example of the error object: a missing field of the first message that has one.
fn error_example(api: &Api, tag_field: &str) -> String {
    let mut out = Map::new();
    out.insert(tag_field.to_owned(), Value::from("error"));
    if api.id_field.is_some() {
        out.insert("id".to_owned(), Value::from(7));
    }
    let missing = api
        .received
        .iter()
        .filter_map(|r| api.messages.get(r.message))
        .find_map(|m| {
            m.payload
                .schema
                .get("required")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .find(|f| *f != tag_field)
                .map(str::to_owned)
        });
    match missing {
        Some(field) => {
            let path = format!("/{}", field.replace('~', "~0").replace('/', "~1"));
            out.insert("code".to_owned(), Value::from("validation_failed"));
            out.insert(
                "message".to_owned(),
                Value::from(format!("validation failed: {path}: field required")),
            );
            out.insert(
                "errors".to_owned(),
                serde_json::json!([{"path": path, "kind": "required", "message": "field required"}]),
            );
        }
        None => {
            out.insert("code".to_owned(), Value::from("unknown_tag"));
            out.insert(
                "message".to_owned(),
                Value::from("unknown message type `hello`"),
            );
            out.insert("errors".to_owned(), Value::Array(vec![]));
        }
    }
    pretty(&Value::Object(out))
}

/// The rows of the error object.
fn error_fields(tag_field: &str) -> Vec<Field> {
    let field = |path: &str, ty: &str, required: bool, description: &str| Field {
        path: path.to_owned(),
        depth: path.matches('.').count(),
        ty: fields::type_of(&serde_json::from_str(ty).unwrap_or(Value::Bool(true))),
        required,
        constraints: vec![],
        description: Some(description.to_owned()),
    };
    vec![
        field(tag_field, r#"{"const":"error"}"#, true, "always `error`"),
        field(
            "id",
            r#"{"type":["string","number"]}"#,
            false,
            "the correlation id of the message that caused the error, when it had one",
        ),
        field(
            "code",
            r#"{"type":"string"}"#,
            true,
            "one of the codes below, or a handler's own",
        ),
        field(
            "message",
            r#"{"type":"string"}"#,
            true,
            "what went wrong, for people",
        ),
        field(
            "errors",
            r#"{"type":"array","items":{"type":"object"}}"#,
            true,
            "every violation; empty when there is none",
        ),
        field(
            "errors[].path",
            r#"{"type":"string"}"#,
            true,
            "a JSON Pointer to the offending value; `\"\"` is the whole message",
        ),
        field(
            "errors[].kind",
            r#"{"type":"string"}"#,
            true,
            "what kind of problem: `required`, `unknown_field`, `type`, `maximum`, `invalid`, …",
        ),
        field(
            "errors[].message",
            r#"{"type":"string"}"#,
            true,
            "what is wrong, for people",
        ),
    ]
}

fn field_view(field: &Field) -> FieldView {
    let (lead, leaf) = match field.path.rfind(['.', ']']) {
        Some(at) if !field.path.starts_with('/') => (
            field.path[..=at].to_owned(),
            field.path[at + 1..].to_owned(),
        ),
        _ => (String::new(), field.path.clone()),
    };
    FieldView {
        path: field.path.clone(),
        lead,
        leaf,
        depth: field.depth,
        required: field.required,
        ty: type_view(&field.ty),
        md_constraints: md_cell(&field.constraints.join(", ")),
        md_description: md_cell(field.description.as_deref().unwrap_or_default()),
        constraints: field.constraints.iter().map(|c| spans(c)).collect(),
        description: spans(field.description.as_deref().unwrap_or_default()),
    }
}

fn type_view(ty: &Type) -> TypeView {
    TypeView {
        markdown: md_cell(&ty.markdown()),
        parts: ty
            .0
            .iter()
            .map(|p| PartView {
                spans: spans(&p.text),
                link: p.link.clone(),
            })
            .collect(),
    }
}

/// Text for one cell of a Markdown table: one line, `|` escaped.
fn md_cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// Inline text split at backticks: code spans and plain text.
fn spans(text: &str) -> Vec<Span> {
    let mut out = vec![];
    for (i, piece) in text.split('`').enumerate() {
        if !piece.is_empty() {
            out.push(Span {
                code: i % 2 == 1,
                text: piece.to_owned(),
            });
        }
    }
    out
}

/// Paragraphs (split at blank lines), each as inline spans.
fn paragraphs(text: Option<&str>) -> Vec<Vec<Span>> {
    let Some(text) = text else { return vec![] };
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .map(|p| spans(&p))
        .collect()
}

/// Where a JSON example wraps: a value that fits on one line within this width stays there.
const WIDTH: usize = 72;

/// JSON for people: indented by two, with short objects and arrays on one line.
fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_pretty(value, 0, 0, &mut out);
    out
}

/// Writes `value` whose first character goes to column `column`, its lines indented by
/// `indent`.
fn write_pretty(value: &Value, indent: usize, column: usize, out: &mut String) {
    let one_line = inline(value);
    if column + one_line.chars().count() <= WIDTH
        || !matches!(value, Value::Array(_) | Value::Object(_))
    {
        out.push_str(&one_line);
        return;
    }
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                write_pretty(item, indent + 2, indent + 2, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
        }
        Value::Object(members) => {
            out.push_str("{\n");
            for (i, (key, item)) in members.iter().enumerate() {
                out.push_str(&pad);
                let key = serde_json::to_string(key).unwrap_or_default();
                out.push_str(&key);
                out.push_str(": ");
                write_pretty(item, indent + 2, indent + 2 + key.chars().count() + 2, out);
                out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
            }
        }
        _ => {}
    }
    out.push_str(&" ".repeat(indent));
    out.push(if value.is_array() { ']' } else { '}' });
}

/// A value on one line, with a space after each `:` and `,`.
fn inline(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::to_string(k).unwrap_or_default(),
                        inline(v)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        scalar => serde_json::to_string(scalar).unwrap_or_default(),
    }
}

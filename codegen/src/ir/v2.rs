//! AsyncAPI 2.x, read by rewriting it into the 3.x shape before the IR is built.
//!
//! Each `publish`/`subscribe` object of a channel gets the 3.x keys `action`, `channel` and
//! `messages` (and `reply`, from `x-socketsundso-reply`), and `/operations/<operationId>` becomes
//! a `$ref` to it. Each channel gets a `messages` map of `$ref`s to the messages its operations
//! name, including each branch of a message-level `oneOf`. Nothing moves: every message, schema
//! and setting stays at its place in the source, so diagnostics point there.
//!
//! Direction: `publish` means the server receives (what the specification says), unless the
//! document sets `x-socketsundso-publish-means: send`.

use serde_json::{Map, Value, json};

use super::settings;
use crate::error::{Result, Warning};
use crate::extensions::{DocumentSettings, PublishMeans};
use crate::spec::{Document, child, segments};

/// The versions this module reads, and 3.x as it is.
/// Returns whether the document was AsyncAPI 2.x (and is now rewritten).
pub(crate) fn convert_if_needed(doc: &mut Document, warnings: &mut Vec<Warning>) -> Result<bool> {
    let Some(version) = doc.get("/asyncapi") else {
        return Err(doc
            .error(
                "",
                "this is not an AsyncAPI document: the `asyncapi` field is missing",
            )
            .help("an AsyncAPI document starts with `asyncapi: 3.0.0` (or 2.x)"));
    };
    let version = version
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| version.to_string());
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(3), Some(0 | 1)) => Ok(false),
        (Some(2), Some(0..=6)) => convert(doc, warnings).map(|()| true),
        _ => Err(doc
            .error("/asyncapi", format!("AsyncAPI {version} is not supported; socketsundso reads AsyncAPI 2.0 to 2.6 and 3.0 to 3.1"))
            .help("convert the document with `asyncapi convert` from the AsyncAPI CLI")),
    }
}

fn convert(doc: &mut Document, warnings: &mut Vec<Warning>) -> Result<()> {
    let settings: DocumentSettings = settings(doc, "", "the document root", warnings)?;
    let publish_receives = settings.publish_means != Some(PublishMeans::Send);
    let channels = doc
        .get("/channels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut operations = Map::new();
    let mut edits: Vec<(String, Value)> = vec![];

    for (name, channel) in &channels {
        let channel_at = child("/channels", name);
        let mut messages = Map::new();
        for verb in ["publish", "subscribe"] {
            let Some(op) = channel.get(verb).and_then(Value::as_object) else {
                continue;
            };
            let op_at = child(&channel_at, verb);
            let receives = (verb == "publish") == publish_receives;
            let mut id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{name}_{verb}"));
            while operations.contains_key(&id) {
                id.push('_');
            }
            if op.get("message").is_none() {
                warnings.push(Warning {
                    location: doc.location(&op_at),
                    message: format!("operation `{id}` names no message; it is skipped"),
                });
                continue;
            }
            let mut refs = vec![];
            for pointer in message_pointers(doc, &op_at)? {
                let key = channel_key(doc, &pointer, &mut messages);
                messages.insert(key.clone(), json!({ "$ref": format!("#{pointer}") }));
                refs.push(
                    json!({ "$ref": format!("#{}", child(&child(&channel_at, "messages"), &key)) }),
                );
            }
            let mut operation = op.clone();
            operation.insert(
                "action".to_owned(),
                Value::from(if receives { "receive" } else { "send" }),
            );
            operation.insert(
                "channel".to_owned(),
                json!({ "$ref": format!("#{channel_at}") }),
            );
            operation.insert("messages".to_owned(), Value::Array(refs));
            if let Some(reply) = op
                .get("x-socketsundso-reply")
                .and_then(|r| r.get("$ref"))
                .and_then(Value::as_str)
            {
                let (pointer, _) = doc.resolve(reply.trim_start_matches('#'))?;
                let key = channel_key(doc, &pointer, &mut messages);
                messages.insert(key.clone(), json!({ "$ref": format!("#{pointer}") }));
                operation.insert(
                    "reply".to_owned(),
                    json!({
                        "channel": { "$ref": format!("#{channel_at}") },
                        "messages": [{ "$ref": format!("#{}", child(&child(&channel_at, "messages"), &key)) }],
                    }),
                );
            }
            edits.push((op_at.clone(), Value::Object(operation)));
            operations.insert(id, json!({ "$ref": format!("#{op_at}") }));
        }
        edits.push((child(&channel_at, "messages"), Value::Object(messages)));
    }

    for (pointer, value) in edits {
        set(&mut doc.root, &pointer, value);
    }
    if let Value::Object(root) = &mut doc.root {
        root.insert("operations".to_owned(), Value::Object(operations));
    }
    Ok(())
}

/// The messages of a 2.x operation: its `message`, or each branch of a `oneOf` of messages.
fn message_pointers(doc: &Document, op_at: &str) -> Result<Vec<String>> {
    let (at, message) = doc.resolve(&child(op_at, "message"))?;
    match message.get("oneOf") {
        Some(Value::Array(branches)) => (0..branches.len())
            .map(|i| {
                doc.resolve(&child(&child(&at, "oneOf"), &i.to_string()))
                    .map(|(p, _)| p)
            })
            .collect(),
        _ => Ok(vec![at]),
    }
}

/// A key for a message in its channel's `messages` map: its own key where it is a named
/// component, else its `messageId`, `name` or `title`, unique in the map.
fn channel_key(doc: &Document, pointer: &str, taken: &mut Map<String, Value>) -> String {
    let wanted = message_key(doc, pointer);
    let target = Value::String(format!("#{pointer}"));
    let mut key = wanted.clone();
    let mut n = 2;
    while let Some(existing) = taken.get(&key) {
        if existing.get("$ref") == Some(&target) {
            break;
        }
        key = format!("{wanted}{n}");
        n += 1;
    }
    key
}

/// The key of the message at `pointer`: the last segment of its pointer when that names it (a
/// component), else its `messageId`, `name` or `title`, else something made from its place.
pub(crate) fn message_key(doc: &Document, pointer: &str) -> String {
    let segments = segments(pointer);
    let last = segments.last().cloned().unwrap_or_default();
    // Inline in a 2.x operation: `/channels/<name>/<verb>/message[/oneOf/<i>]`.
    let in_operation = segments.len() >= 4
        && segments[0] == "channels"
        && matches!(segments[2].as_str(), "publish" | "subscribe")
        && segments[3] == "message";
    let inline =
        in_operation && (segments.len() == 4 || (segments.len() == 6 && segments[4] == "oneOf"));
    if !inline {
        return last;
    }
    let node = doc.get(pointer);
    for field in ["messageId", "name", "title"] {
        if let Some(value) = node.and_then(|n| n.get(field)).and_then(Value::as_str) {
            return value.to_owned();
        }
    }
    // `/channels/<name>/<verb>/message[/oneOf/<i>]`
    let channel = segments.get(1).cloned().unwrap_or_default();
    let verb = segments.get(2).cloned().unwrap_or_default();
    let operation_id = doc
        .get(&child(&child("/channels", &channel), &verb))
        .and_then(|op| op.get("operationId"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{channel}_{verb}"));
    if last == "message" {
        operation_id
    } else {
        let index: usize = last.parse().unwrap_or_default();
        format!("{operation_id}{}", index + 1)
    }
}

/// Sets the node at `pointer` (whose parent exists).
fn set(root: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(object)) = root.pointer_mut(parent) {
        object.insert(key, value);
    }
}

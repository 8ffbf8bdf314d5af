//! The `x-socketsundso-*` settings a document can carry, as the Rust types that read them.
//!
//! The generator reads every setting through these types, and `socketsundso schema` prints
//! [`json_schema`], derived from them with schemars, for editors.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings at the root of the document.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DocumentSettings {
    /// The field of every message that names its type: `type` by default. Real APIs also use
    /// `event`, `op`, `method` or `message_type`. A dotted path (`header.type`) reaches a tag
    /// inside a nested object. Without this setting the generator uses `type` when payloads
    /// declare it, and otherwise the one property that fixes a constant in every message (with a
    /// warning).
    #[serde(
        rename = "x-socketsundso-tag-field",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tag_field: Option<String>,

    /// The envelope field that carries a correlation id (`id` by default), or `false` for none.
    /// The runtime copies it from a received message onto its reply and onto any error it causes.
    #[serde(
        rename = "x-socketsundso-id-field",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub id_field: Option<IdField>,

    /// Whether object schemas that do not set `additionalProperties` accept unknown fields
    /// (`reject` by default).
    #[serde(
        rename = "x-socketsundso-unknown-fields",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub unknown_fields: Option<UnknownFields>,

    /// AsyncAPI 2.x only: what `publish` means for the server. `receive` (the default, as the
    /// specification says: clients publish to the server) or `send` (for documents written from
    /// the client's point of view).
    #[serde(
        rename = "x-socketsundso-publish-means",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub publish_means: Option<PublishMeans>,

    /// AsyncAPI 3.x: which application the document describes. `server` (the default): an
    /// operation with `action: receive` is what the server receives. `client`: the document was
    /// written from the client's side, so `receive` is what the server sends, and the generator
    /// mirrors every operation. Either way it generates the server and the matching clients.
    /// AsyncAPI 2.x documents keep `publish`/`subscribe`'s meaning (see
    /// `x-socketsundso-publish-means`).
    #[serde(
        rename = "x-socketsundso-role",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<Role>,
}

/// Settings on an operation (AsyncAPI 3: an `operations` entry; 2.x: `publish`/`subscribe`).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OperationSettings {
    /// The handler is a plain function that the runtime runs on the blocking thread pool.
    #[serde(
        rename = "x-socketsundso-blocking",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub blocking: Option<bool>,

    /// AsyncAPI 2.x only: the message the handler replies with (AsyncAPI 3 has `reply`).
    #[serde(
        rename = "x-socketsundso-reply",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reply: Option<Reference>,
}

/// Settings on a message.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageSettings {
    /// The message's tag value, when the payload does not fix it with a `const`; `false`: the
    /// message carries no tag on the wire and is told apart from the others by its shape.
    #[serde(
        rename = "x-socketsundso-tag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tag: Option<Tag>,
}

/// `x-socketsundso-tag`: a tag value, or `false` for none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a tag (a string such as `subscribe`), or `false` for a message without a tag"
)]
pub enum Tag {
    /// The tag value.
    Value(String),
    /// `false`: no tag on the wire.
    Off(#[schemars(schema_with = "false_only")] bool),
}

/// The schema of [`Tag::Off`]: only `false` (`true` means nothing, and is refused).
fn false_only(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::Boolean.into()),
        const_value: Some(serde_json::Value::Bool(false)),
        ..Default::default()
    }
    .into()
}

/// Settings on any schema.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaSettings {
    /// Whether this object (and the objects inside it that do not say otherwise) accepts
    /// unknown fields.
    #[serde(
        rename = "x-socketsundso-unknown-fields",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub unknown_fields: Option<UnknownFields>,
}

/// `x-socketsundso-id-field`: a field name, or `false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IdField {
    /// The field's name.
    Name(String),
    /// `false`: no correlation ids.
    Off(bool),
}

/// `x-socketsundso-unknown-fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnknownFields {
    /// Unknown fields are ignored.
    Allow,
    /// A message with an unknown field gets an `unknown_field` error.
    Reject,
}

/// `x-socketsundso-role`: which side of the connection the document describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The document describes the server: `action: receive` is what the server receives.
    #[default]
    Server,
    /// The document describes a client: `action: receive` is what the server sends.
    Client,
}

/// `x-socketsundso-publish-means`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublishMeans {
    /// `publish` operations are what the server receives.
    Receive,
    /// `publish` operations are what the server sends.
    Send,
}

/// A reference to a message: `{"$ref": "#/components/messages/pong"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reference {
    /// A local or relative reference.
    #[serde(rename = "$ref")]
    pub reference: String,
}

/// A JSON Schema of an AsyncAPI document's `x-socketsundso-*` settings, shaped like the
/// document, so an editor can check a whole AsyncAPI file against it: the root takes
/// [`DocumentSettings`]; `operations.*` (3.x) and `channels.*.publish`/`subscribe` (2.x) take
/// [`OperationSettings`]; messages (in `components.messages`, `channels.*.messages` and 2.x
/// operations) take [`MessageSettings`]; `components.schemas.*` take [`SchemaSettings`].
/// Everything else in the document is left alone. This is what `socketsundso schema` prints.
pub fn json_schema() -> serde_json::Value {
    let mut generator = schemars::r#gen::SchemaSettings::draft07().into_generator();
    let reference =
        |schema: schemars::schema::Schema| serde_json::to_value(schema).unwrap_or_default();
    let document = reference(generator.subschema_for::<DocumentSettings>());
    let operation = reference(generator.subschema_for::<OperationSettings>());
    let message = reference(generator.subschema_for::<MessageSettings>());
    let schema = reference(generator.subschema_for::<SchemaSettings>());
    let definitions = serde_json::to_value(generator.definitions()).unwrap_or_default();
    let map_of = |value: &serde_json::Value| serde_json::json!({ "type": "object", "additionalProperties": value });
    let v2_operation = serde_json::json!({
        "allOf": [operation, { "properties": { "message": message } }],
    });
    serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "socketsundso settings in an AsyncAPI document",
        "description": "Checks the x-socketsundso-* settings of an AsyncAPI 2.x or 3.x document (and nothing else): point your editor's YAML language server at this file for an asyncapi.yaml.",
        "allOf": [document],
        "properties": {
            "operations": map_of(&operation),
            "channels": map_of(&serde_json::json!({
                "properties": {
                    "messages": map_of(&message),
                    "publish": v2_operation,
                    "subscribe": v2_operation,
                },
            })),
            "components": {
                "properties": {
                    "messages": map_of(&message),
                    "schemas": map_of(&schema),
                    "operations": map_of(&operation),
                },
            },
        },
        "definitions": definitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's own structure: settings are found where they go in a document.
    #[test]
    fn the_schema_follows_the_document() {
        let schema = json_schema();
        let text = schema.to_string();
        for setting in [
            "x-socketsundso-tag-field",
            "x-socketsundso-id-field",
            "x-socketsundso-unknown-fields",
            "x-socketsundso-publish-means",
            "x-socketsundso-blocking",
            "x-socketsundso-reply",
            "x-socketsundso-tag",
        ] {
            assert!(text.contains(setting), "{setting} is missing");
        }
        assert_eq!(schema["allOf"][0]["$ref"], "#/definitions/DocumentSettings");
        assert_eq!(
            schema["properties"]["operations"]["additionalProperties"]["$ref"],
            "#/definitions/OperationSettings"
        );
        assert_eq!(
            schema["properties"]["components"]["properties"]["schemas"]["additionalProperties"]["$ref"],
            "#/definitions/SchemaSettings"
        );
    }

    /// `x-socketsundso-tag` takes a string or `false`: an editor must refuse `true`, which the
    /// generator refuses; a wrong value says what is expected.
    #[test]
    fn the_tag_setting_is_a_string_or_false() {
        let schema = json_schema();
        let branches = schema["definitions"]["Tag"]["anyOf"]
            .as_array()
            .expect("Tag is an anyOf");
        assert_eq!(branches[0]["type"], "string");
        assert_eq!(branches[1]["const"], false);
        let error = serde_json::from_value::<Tag>(serde_json::json!(5))
            .expect_err("a number is no tag")
            .to_string();
        assert_eq!(
            error,
            "a tag (a string such as `subscribe`), or `false` for a message without a tag"
        );
    }
}

//! Which JSON Schema keywords the generated server enforces on received messages.
//!
//! The runtime's validator (`socketsundso::validate`) has the same lists; a test in
//! `socketsundso-tests` keeps them equal. A payload keyword in neither list is reported as a
//! warning when the code is generated, because it would not be enforced.

use serde_json::Value;

use crate::spec::child;

/// Keywords that are enforced.
pub const ENFORCED: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "enum",
    "const",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependencies",
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
];

/// Keywords that assert nothing (besides every `x-` extension).
pub const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "example",
    "default",
    "$comment",
    "$id",
    "$schema",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "externalDocs",
    "xml",
    "contentMediaType",
    "contentEncoding",
    "definitions",
    "$defs",
];

/// `format` values that are checked; others are annotations.
pub const CHECKED_FORMATS: &[&str] = &["date-time", "date", "email", "uuid", "uri", "ipv4", "ipv6"];

/// `format` values that the Rust type enforces: typify picks an integer type of that size, or an
/// IP address type, and a value that does not fit is rejected when it is decoded.
pub const TYPED_FORMATS: &[&str] = &[
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float", "double",
    "ip", "ipv4", "ipv6",
];

/// Whether `keyword` asserts nothing.
pub fn is_annotation(keyword: &str) -> bool {
    keyword.starts_with("x-") || ANNOTATIONS.contains(&keyword)
}

/// Every keyword in `schema` (found at `at` in the document) that would not be enforced, as
/// (pointer, what). Does not follow `$ref`s: referenced schemas are walked on their own.
pub(crate) fn unenforced(schema: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let Value::Object(object) = schema else {
        return;
    };
    let is_ref = object.get("$ref").is_some_and(Value::is_string);
    for (key, value) in object {
        let here = child(at, key);
        if is_ref && key != "$ref" && key != "nullable" && !is_annotation(key) {
            out.push((
                here.clone(),
                format!("`{key}` beside `$ref` is ignored (JSON Schema draft-07 ignores the keywords next to a `$ref`); put both in an `allOf`"),
            ));
            continue;
        }
        if !ENFORCED.contains(&key.as_str()) && !is_annotation(key) {
            // A near miss of a known keyword is a typo, not a keyword of its own.
            let message = match crate::suggest::keyword(key) {
                Some(meant) => format!(
                    "unknown keyword `{key}` (ignored): did you mean `{meant}`? (the CLI's `--deny-warnings` makes warnings errors)"
                ),
                None => format!("the keyword `{key}` is not enforced on received messages"),
            };
            out.push((here.clone(), message));
            continue;
        }
        match key.as_str() {
            "format" => {
                if let Some(format) = value
                    .as_str()
                    .filter(|f| !CHECKED_FORMATS.contains(f) && !TYPED_FORMATS.contains(f))
                {
                    out.push((
                        here,
                        format!(
                            "`format: {format}` is not checked (checked formats: {})",
                            CHECKED_FORMATS.join(", ")
                        ),
                    ));
                }
            }
            "properties" | "patternProperties" | "dependencies" => {
                if let Value::Object(children) = value {
                    for (name, schema) in children {
                        unenforced(schema, &child(&here, name), out);
                    }
                }
            }
            "items" | "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(children) => {
                    for (i, schema) in children.iter().enumerate() {
                        unenforced(schema, &child(&here, &i.to_string()), out);
                    }
                }
                other => unenforced(other, &here, out),
            },
            "additionalProperties"
            | "additionalItems"
            | "not"
            | "contains"
            | "propertyNames"
            | "if"
            | "then"
            | "else" => {
                unenforced(value, &here, out);
            }
            _ => {}
        }
    }
}

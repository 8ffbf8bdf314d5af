//! Better words for a schema's mistakes: the nearest valid name for a misspelled one
//! (`integr` → `integer`, `maxLenght` → `maxLength`), and the form each keyword's value must
//! have (`required: name` → "a list of field names, like `required: [name]`").
//!
//! It also warns about the fields of AsyncAPI's own objects that the specification does not
//! define (`paylod`), which would otherwise be ignored without a word.
//!
//! Without these checks a wrong value reaches typify, whose serde error says only "data did not
//! match any variant of untagged enum Schema".

use serde_json::{Map, Value};

use crate::error::Warning;
use crate::keywords::{ANNOTATIONS, ENFORCED};
use crate::spec::{Document, child};

/// The type names of JSON Schema.
pub(crate) const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// Words from other languages for the JSON Schema types.
const TYPE_ALIASES: &[(&str, &str)] = &[
    ("int", "integer"),
    ("long", "integer"),
    ("float", "number"),
    ("double", "number"),
    ("decimal", "number"),
    ("bool", "boolean"),
    ("str", "string"),
    ("text", "string"),
    ("list", "array"),
    ("dict", "object"),
    ("map", "object"),
    ("none", "null"),
    ("nil", "null"),
];

/// The candidate nearest to `word` (by edit distance, ignoring case), when it is near enough
/// to be what was meant.
pub(crate) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&lower, &candidate.to_lowercase());
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let (distance, candidate) = best?;
    // One typo in a short word, about one in three in a longer one.
    let allowed = (word.chars().count() / 3).max(1);
    (distance <= allowed).then_some(candidate)
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// Keywords of JSON Schema (2019-09 and 2020-12) that are neither enforced nor annotations:
/// real keywords, not typos of others (`minContains` is not a misspelled `contains`).
const OTHER_KEYWORDS: &[&str] = &[
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "contentSchema",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
];

/// The keyword a misspelled one probably is: `maxLenght` → `maxLength`. `None` for a real
/// keyword of JSON Schema.
pub(crate) fn keyword(word: &str) -> Option<&'static str> {
    if OTHER_KEYWORDS.contains(&word) {
        return None;
    }
    let known: Vec<&'static str> = ENFORCED.iter().chain(ANNOTATIONS).copied().collect();
    nearest(word, &known).filter(|k| *k != word)
}

/// What is wrong with a keyword's value in one schema object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The keyword whose value is wrong.
    pub keyword: &'static str,
    /// What is wrong, naming the keyword and the form it takes.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// The first keyword of `object` whose value does not have the form JSON Schema gives it.
/// Numeric keywords (`minLength`, `minimum`, ...) are checked elsewhere.
pub(crate) fn wrong_form(object: &Map<String, Value>) -> Option<Problem> {
    if let Some(problem) = object.get("type").and_then(wrong_type) {
        return Some(problem);
    }
    let problem = |keyword: &'static str, form: &str, help: Option<String>| {
        let value = object.get(keyword).map(short).unwrap_or_default();
        Some(Problem {
            keyword,
            message: format!("`{keyword}: {value}` must be {form}"),
            help,
        })
    };
    for (keyword, value) in object {
        match keyword.as_str() {
            "required" => match value {
                Value::Array(names) if names.iter().all(Value::is_string) => {}
                Value::Bool(_) => {
                    return problem(
                        "required",
                        "a list of field names, on the object",
                        Some(
                            "JSON Schema lists the required fields on the object that has them: `required: [name, age]` beside `properties` (not `required: true` on each field)".to_owned(),
                        ),
                    );
                }
                Value::String(name) => {
                    return problem(
                        "required",
                        "a list of field names",
                        Some(format!("write `required: [{name}]`")),
                    );
                }
                _ => {
                    return problem(
                        "required",
                        "a list of field names",
                        Some("for example `required: [name, age]`".to_owned()),
                    );
                }
            },
            "properties" | "patternProperties" | "definitions" | "$defs" | "dependentSchemas" => {
                if !value.is_object() {
                    return problem(
                        keyword_name(keyword),
                        "a mapping from names to schemas",
                        Some(format!(
                            "for example\n{keyword}:\n  name:\n    type: string"
                        )),
                    );
                }
                if let Some((name, _)) = value.as_object().and_then(|m| {
                    m.iter()
                        .find(|(_, schema)| !is_schema(schema) && keyword != "dependentSchemas")
                }) {
                    return Some(Problem {
                        keyword: keyword_name(keyword),
                        message: format!(
                            "`{keyword}` maps `{name}` to {}, not to a schema",
                            short(&value[name.as_str()])
                        ),
                        help: Some(format!(
                            "give `{name}` a schema, for example `{name}: {{type: string}}`"
                        )),
                    });
                }
            }
            "dependencies"
                if !value.as_object().is_some_and(|m| {
                    m.values().all(|v| {
                        is_schema(v)
                            || v.as_array()
                                .is_some_and(|names| names.iter().all(Value::is_string))
                    })
                }) =>
            {
                return problem(
                    "dependencies",
                    "a mapping from field names to a list of field names or a schema",
                    Some("for example `dependencies: {card: [billing_address]}`".to_owned()),
                );
            }
            "enum" if !value.is_array() => {
                return problem(
                    "enum",
                    "a list of the allowed values",
                    Some(format!("for example `enum: [{}]`", short(value))),
                );
            }
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(branches) if branches.is_empty() => {
                    return problem(keyword_name(keyword), "a list of at least one schema", None);
                }
                Value::Array(branches) if branches.iter().all(is_schema) => {}
                _ => {
                    return problem(
                        keyword_name(keyword),
                        "a list of schemas",
                        Some(format!(
                            "for example\n{keyword}:\n  - type: string\n  - type: integer"
                        )),
                    );
                }
            },
            "items" if !is_schema(value) && !is_schema_list(value) => {
                return problem(
                    "items",
                    "a schema (the one every item has)",
                    Some("for example `items: {type: string}`".to_owned()),
                );
            }
            "additionalProperties" if !is_schema(value) => {
                return problem(
                    "additionalProperties",
                    "a schema, `true` or `false`",
                    Some("`additionalProperties: false` refuses other members, `true` allows any, and a schema (`{type: string}`) allows those that match it".to_owned()),
                );
            }
            "additionalItems" | "not" | "contains" | "propertyNames" | "if" | "then" | "else"
                if !is_schema(value) =>
            {
                return problem(
                    keyword_name(keyword),
                    "a schema, `true` or `false`",
                    Some("for example `{type: string}`".to_owned()),
                );
            }
            "pattern" if !value.is_string() => {
                return problem(
                    "pattern",
                    "a regular expression, as a string",
                    Some("quote it: `pattern: '^[a-z]+$'`".to_owned()),
                );
            }
            "format" if !value.is_string() => {
                return problem(
                    "format",
                    "a format name, as a string",
                    Some("for example `format: date-time`".to_owned()),
                );
            }
            "title" | "description" | "$comment" | "$id" | "$schema" | "contentMediaType"
            | "contentEncoding"
                if !value.is_string() =>
            {
                let help = match value {
                    Value::Array(_) | Value::Object(_) => format!(
                        "write it as one string, for example `{keyword}: Who says hello.` (a `|` block keeps line breaks)"
                    ),
                    other => format!("quote it: `{keyword}: '{other}'`"),
                };
                return problem(keyword_name(keyword), "a string", Some(help));
            }
            "examples" if !value.is_array() => {
                return problem(
                    "examples",
                    "a list of example values",
                    Some(format!("write `examples: [{}]`", short(value))),
                );
            }
            "$ref" if !value.is_string() => {
                return problem(
                    "$ref",
                    "a reference, as a string",
                    Some(
                        "for example `$ref: '#/components/schemas/Person'` or `$ref: 'schemas.yaml#/Person'`"
                            .to_owned(),
                    ),
                );
            }
            "uniqueItems" | "nullable" | "deprecated" | "readOnly" | "writeOnly"
                if !value.is_boolean() =>
            {
                return problem(keyword_name(keyword), "`true` or `false`", None);
            }
            _ => {}
        }
    }
    None
}

/// The first name in an object schema's `required` that is not among its `properties`, with
/// its position in the list, what to say and the nearest property name (`nmae` → `name`).
/// Only for an object that has `properties` and no `patternProperties`: there a required name
/// that is not a property is almost always a typo, which would make the real field optional and
/// add a required field of any type.
pub(crate) fn required_not_in_properties(
    object: &Map<String, Value>,
) -> Option<(usize, String, Option<String>)> {
    let properties = object.get("properties")?.as_object()?;
    if object.contains_key("patternProperties") {
        return None;
    }
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    let required = object.get("required")?.as_array()?;
    let (index, name) = required
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i, n.as_str()?)))
        .find(|(_, n)| !properties.contains_key(*n))?;
    let message = format!("`required` names `{name}`, which is not in `properties`");
    let help = match nearest(name, &names) {
        Some(meant) => format!("did you mean `{meant}`?"),
        None => format!(
            "add `{name}` to `properties`, or take it out of `required`; the properties are {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some((index, message, Some(help)))
}

/// Whether `value` can be a schema: an object, `true` or `false`.
fn is_schema(value: &Value) -> bool {
    value.is_object() || value.is_boolean()
}

/// Whether `value` is a list of schemas (`items` in tuple form).
fn is_schema_list(value: &Value) -> bool {
    value.as_array().is_some_and(|a| a.iter().all(is_schema))
}

/// The keyword as a `'static` name (for [`Problem::keyword`]).
fn keyword_name(keyword: &str) -> &'static str {
    ENFORCED
        .iter()
        .chain(ANNOTATIONS)
        .chain(&["dependentSchemas", "deprecated", "readOnly", "writeOnly"])
        .find(|k| **k == keyword)
        .copied()
        .unwrap_or("keyword")
}

/// What is wrong with a `type`.
fn wrong_type(value: &Value) -> Option<Problem> {
    let names = match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        other => {
            return Some(Problem {
                keyword: "type",
                message: format!(
                    "`type: {}` must be a type name or a list of them",
                    short(other)
                ),
                help: Some(format!(
                    "for example `type: string` or `type: [string, \"null\"]`; the types are {}",
                    TYPES.join(", ")
                )),
            });
        }
    };
    let unknown = names.iter().find(|name| !TYPES.contains(name))?;
    let suggestion = TYPE_ALIASES
        .iter()
        .find(|(alias, _)| unknown.eq_ignore_ascii_case(alias))
        .map(|(_, ty)| *ty)
        .or_else(|| nearest(unknown, TYPES));
    let help = match suggestion {
        Some(ty) => format!("did you mean `{ty}`? The types are {}", TYPES.join(", ")),
        None => format!("the types are {}", TYPES.join(", ")),
    };
    Some(Problem {
        keyword: "type",
        message: format!("`{unknown}` is not a JSON Schema type"),
        help: Some(help),
    })
}

/// A value as JSON, cut to a readable length.
fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(37).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The fields AsyncAPI defines on each object this checks (3.x and 2.x together where they
/// differ little; the root, channels and operations apart).
const ROOT_3: &[&str] = &[
    "asyncapi",
    "id",
    "info",
    "servers",
    "defaultContentType",
    "channels",
    "operations",
    "components",
];
const ROOT_2: &[&str] = &[
    "asyncapi",
    "id",
    "info",
    "servers",
    "defaultContentType",
    "channels",
    "components",
    "tags",
    "externalDocs",
];
const INFO: &[&str] = &[
    "title",
    "version",
    "description",
    "termsOfService",
    "contact",
    "license",
    "tags",
    "externalDocs",
];
const CHANNEL_3: &[&str] = &[
    "address",
    "messages",
    "title",
    "summary",
    "description",
    "servers",
    "parameters",
    "tags",
    "externalDocs",
    "bindings",
];
const CHANNEL_2: &[&str] = &[
    "description",
    "servers",
    "subscribe",
    "publish",
    "parameters",
    "bindings",
];
const OPERATION_3: &[&str] = &[
    "action",
    "channel",
    "title",
    "summary",
    "description",
    "security",
    "tags",
    "externalDocs",
    "bindings",
    "traits",
    "messages",
    "reply",
];
const OPERATION_2: &[&str] = &[
    "operationId",
    "summary",
    "description",
    "security",
    "tags",
    "externalDocs",
    "bindings",
    "traits",
    "message",
];
const REPLY_3: &[&str] = &["address", "channel", "messages"];
const MESSAGE: &[&str] = &[
    "headers",
    "payload",
    "correlationId",
    "schemaFormat",
    "contentType",
    "name",
    "title",
    "summary",
    "description",
    "tags",
    "externalDocs",
    "bindings",
    "examples",
    "traits",
    "messageId",
];
const COMPONENTS: &[&str] = &[
    "schemas",
    "servers",
    "channels",
    "operations",
    "messages",
    "securitySchemes",
    "serverVariables",
    "parameters",
    "correlationIds",
    "replies",
    "replyAddresses",
    "externalDocs",
    "tags",
    "operationTraits",
    "messageTraits",
    "serverBindings",
    "channelBindings",
    "operationBindings",
    "messageBindings",
];

/// Warnings for the fields of the document's root, `info`, channels, operations, replies,
/// messages and `components` that AsyncAPI does not define (`paylod`, `opertions`), with the
/// field that was probably meant. Such a field is otherwise ignored without a word: a message
/// with `paylod` has no payload. Extensions (`x-...`) and `$ref`s are left alone.
pub(crate) fn unknown_fields(doc: &Document) -> Vec<Warning> {
    let Some(Value::Object(root)) = doc.get("") else {
        return vec![];
    };
    // Not an AsyncAPI document at all: that is an error of its own.
    let Some(version) = root.get("asyncapi").and_then(Value::as_str) else {
        return vec![];
    };
    let v3 = version.starts_with('3');
    let mut out = vec![];
    let mut check = |pointer: &str, known: &[&str], what: &str| {
        let Some(Value::Object(object)) = doc.get(pointer) else {
            return;
        };
        if object.contains_key("$ref") {
            return;
        }
        for key in object.keys() {
            if key.starts_with("x-") || known.contains(&key.as_str()) {
                continue;
            }
            let mut message =
                format!("{what} has a field `{key}` that AsyncAPI does not define; it is ignored");
            if let Some(meant) = nearest(key, known) {
                message.push_str(&format!(" (did you mean `{meant}`?)"));
            }
            out.push(Warning {
                location: doc.location(&child(pointer, key)),
                message,
            });
        }
    };
    let keys = |pointer: &str| -> Vec<String> {
        match doc.get(pointer) {
            Some(Value::Object(object)) if !object.contains_key("$ref") => object
                .keys()
                .filter(|k| !k.starts_with("x-"))
                .cloned()
                .collect(),
            _ => vec![],
        }
    };
    check("", if v3 { ROOT_3 } else { ROOT_2 }, "the document");
    check("/info", INFO, "`info`");
    check("/components", COMPONENTS, "`components`");
    for base in ["/channels", "/components/channels"] {
        for name in keys(base) {
            let channel = child(base, &name);
            let what = format!("channel `{name}`");
            if v3 {
                check(&channel, CHANNEL_3, &what);
                for message in keys(&child(&channel, "messages")) {
                    let at = child(&child(&channel, "messages"), &message);
                    check(&at, MESSAGE, &format!("message `{message}`"));
                }
            } else {
                check(&channel, CHANNEL_2, &what);
                for operation in ["publish", "subscribe"] {
                    let at = child(&channel, operation);
                    check(
                        &at,
                        OPERATION_2,
                        &format!("the `{operation}` operation of {what}"),
                    );
                    let message = child(&at, "message");
                    if doc.get(&message).is_some_and(|m| m.get("oneOf").is_none()) {
                        check(&message, MESSAGE, &format!("the message of {what}"));
                    }
                }
            }
        }
    }
    if v3 {
        for base in ["/operations", "/components/operations"] {
            for name in keys(base) {
                let operation = child(base, &name);
                check(&operation, OPERATION_3, &format!("operation `{name}`"));
                check(
                    &child(&operation, "reply"),
                    REPLY_3,
                    &format!("the reply of operation `{name}`"),
                );
            }
        }
        for name in keys("/components/replies") {
            check(
                &child("/components/replies", &name),
                REPLY_3,
                &format!("reply `{name}`"),
            );
        }
    }
    for name in keys("/components/messages") {
        check(
            &child("/components/messages", &name),
            MESSAGE,
            &format!("message `{name}`"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem(schema: Value) -> Option<(String, Option<String>)> {
        wrong_form(schema.as_object().unwrap()).map(|p| (p.message, p.help))
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("integr", TYPES), Some("integer"));
        assert_eq!(nearest("Strng", TYPES), Some("string"));
        assert_eq!(nearest("bolean", TYPES), Some("boolean"));
        assert_eq!(nearest("wibble", TYPES), None);
        assert_eq!(keyword("maxLenght"), Some("maxLength"));
        assert_eq!(keyword("minlength"), Some("minLength"));
        assert_eq!(keyword("requried"), Some("required"));
        assert_eq!(keyword("dependentRequired"), None);
        assert_eq!(keyword("maxLength"), None);
        // Real keywords of later drafts are not typos of others.
        assert_eq!(keyword("minContains"), None);
        assert_eq!(keyword("prefixItems"), None);
        assert_eq!(keyword("tpye"), Some("type"));
        assert_eq!(keyword("propertise"), Some("properties"));
    }

    #[test]
    fn strings_lists_and_dependencies() {
        for (schema, message) in [
            (json!({"title": 5}), "`title: 5` must be a string"),
            (
                json!({"examples": "Ada"}),
                "`examples: Ada` must be a list of example values",
            ),
            (
                json!({"$ref": 5}),
                "`$ref: 5` must be a reference, as a string",
            ),
            (
                json!({"dependencies": {"a": 5}}),
                "`dependencies: {\"a\":5}` must be a mapping from field names to a list of field names or a schema",
            ),
        ] {
            assert_eq!(problem(schema).map(|p| p.0).as_deref(), Some(message));
        }
        assert_eq!(
            problem(json!({"dependencies": {"a": ["b"], "c": {}}})),
            None
        );
        assert_eq!(
            problem(json!({"examples": [], "title": "T", "$ref": "#/x"})),
            None
        );
    }

    #[test]
    fn types() {
        assert_eq!(
            problem(json!({"type": "integr"})),
            Some((
                "`integr` is not a JSON Schema type".to_owned(),
                Some("did you mean `integer`? The types are string, number, integer, boolean, object, array, null".to_owned())
            ))
        );
        assert_eq!(
            problem(json!({"type": ["strin", "null"]}))
                .unwrap()
                .1
                .unwrap()[..25],
            *"did you mean `string`? Th"
        );
        assert!(
            problem(json!({"type": "int"}))
                .unwrap()
                .1
                .unwrap()
                .starts_with("did you mean `integer`?")
        );
        assert_eq!(
            problem(json!({"type": 5})).unwrap().0,
            "`type: 5` must be a type name or a list of them"
        );
        assert_eq!(problem(json!({"type": ["string", "null"]})), None);
    }

    #[test]
    fn forms() {
        assert_eq!(
            problem(json!({"required": "name"})),
            Some((
                "`required: name` must be a list of field names".to_owned(),
                Some("write `required: [name]`".to_owned())
            ))
        );
        assert!(
            problem(json!({"required": true}))
                .unwrap()
                .1
                .unwrap()
                .contains("not `required: true` on each field")
        );
        assert_eq!(
            problem(json!({"properties": ["a", "b"]})).unwrap().0,
            "`properties: [\"a\",\"b\"]` must be a mapping from names to schemas"
        );
        assert_eq!(
            problem(json!({"properties": {"a": "string"}})).unwrap().0,
            "`properties` maps `a` to string, not to a schema"
        );
        assert_eq!(
            problem(json!({"enum": "red"})).unwrap().0,
            "`enum: red` must be a list of the allowed values"
        );
        assert_eq!(
            problem(json!({"items": "string"})).unwrap().0,
            "`items: string` must be a schema (the one every item has)"
        );
        assert_eq!(
            problem(json!({"additionalProperties": "no"})).unwrap().0,
            "`additionalProperties: no` must be a schema, `true` or `false`"
        );
        assert_eq!(
            problem(json!({"oneOf": []})).unwrap().0,
            "`oneOf: []` must be a list of at least one schema"
        );
        assert_eq!(
            problem(json!({"uniqueItems": "yes"})).unwrap().0,
            "`uniqueItems: yes` must be `true` or `false`"
        );
        assert_eq!(
            problem(
                json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}, "items": {}, "oneOf": [true, {}]})
            ),
            None
        );
    }
}

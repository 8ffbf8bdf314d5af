//! The shape of a message's payload: one object, one object per tagged branch, or an enum.
//!
//! - An `allOf` of objects is merged into one object (the common case of "base fields + own
//!   fields"), so its tag and fields can be read.
//! - A `oneOf`/`anyOf` whose branches each fix a different tag is really several messages that
//!   share a name: it becomes one message per branch ([`Shape::Split`]).
//! - Any other `oneOf`/`anyOf` stays one message whose payload is an enum ([`Shape::Enum`]).

use serde_json::{Map, Value};

use crate::error::Result;
use crate::spec::{Document, child, segments};

/// See the module docs.
pub(crate) enum Shape {
    /// One object schema (found at `at`).
    Object {
        at: String,
        schema: Map<String, Value>,
    },
    /// One message per branch.
    Split(Vec<Branch>),
    /// One message whose payload is a `oneOf`/`anyOf` of objects (inlined); `tagged` when the
    /// branches can be told apart by a property (typify then generates a tagged enum); `tag`
    /// when every branch fixes the same tag.
    Enum {
        at: String,
        schema: Value,
        tagged: bool,
        tag: Option<String>,
    },
    /// A payload that is not (only) an object: an array, a string, a number, ... It has no place
    /// for a tag, so the message is told apart by its shape. `types`: the JSON types it may have.
    Value {
        at: String,
        schema: Value,
        types: Vec<String>,
    },
}

/// One branch of a split payload.
pub(crate) struct Branch {
    /// Its name: the referenced schema's key, its `title`, or the message key and its index.
    pub name: String,
    /// Where the branch's schema is.
    pub at: String,
    /// The tag it fixes.
    pub tag: String,
    /// Its `title` or `description`.
    pub summary: Option<String>,
    pub schema: Map<String, Value>,
}

/// Reads the payload of the message at `pointer`.
pub(crate) fn shape(
    doc: &Document,
    pointer: &str,
    node: &Map<String, Value>,
    key: &str,
    tag_field: &str,
) -> Result<Shape> {
    if node.get("payload").is_none() {
        return Ok(Shape::Object {
            at: child(pointer, "payload"),
            schema: Map::new(),
        });
    }
    let (at, schema) = payload_schema(doc, pointer, key)?;
    let Some(object) = schema.as_object() else {
        return Err(doc.error(
            &at,
            format!("the payload of message `{key}` must be a schema object"),
        ));
    };
    let merged = merge_all_of(doc, &at, object)?;
    // Any JSON value can be a message; only an object has a place for the tag.
    let types = json_types(doc, &Value::Object(merged.clone()), 0);
    if types.as_ref().is_some_and(Vec::is_empty) {
        return Err(doc
            .error(
                &at,
                format!("the payload of message `{key}` allows no JSON value: the parts of its `allOf` (or its `type` and `enum`) have no type in common"),
            )
            .help("make the parts agree on the `type` (an `allOf` of an array and an object matches nothing)"));
    }
    // OpenAPI's `nullable: true` allows null just as `type: [object, 'null']` does.
    let nullable = merged.get("nullable") == Some(&Value::Bool(true));
    if let Some(types) = &types
        && (types.len() > 1 || nullable)
        && types.iter().any(|t| t == "object")
        && let Some(tag) = fixed_tag(doc, &merged, tag_field)
    {
        let mut others: Vec<&str> = types
            .iter()
            .filter(|t| *t != "object")
            .map(String::as_str)
            .collect();
        if nullable && !others.contains(&"null") {
            others.push("null");
        }
        // Only `nullable` adds the null: name it, not the `type`.
        let only_nullable = types.len() == 1;
        let drop = if only_nullable {
            "drop `nullable: true`".to_owned()
        } else {
            format!(
                "drop {} from its `type`",
                others
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let what = if only_nullable {
            "its `nullable: true`"
        } else {
            "its `type`"
        };
        return Err(doc
            .error(
                &at,
                format!("the payload of message `{key}` fixes its `{tag_field}` tag to `{tag}`, but {what} also allows {}: such a message would have no tag", others.join(", ")),
            )
            .help(format!("a message with a tag is an object: {drop}")));
    }
    // A `const` (or an `enum` of objects) fixes the whole object, tag included, but the tag is
    // taken out before the rest is checked, and no Rust or TypeScript type spells such a value:
    // the message could never be sent or received. Spelled property by property, it can.
    let fixed = if merged.get("const").is_some_and(Value::is_object) {
        Some("const")
    } else if merged
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| !values.is_empty() && values.iter().all(Value::is_object))
    {
        Some("enum")
    } else {
        None
    };
    if let Some(keyword) = fixed
        && types.as_ref().is_none_or(|types| types == &["object"])
    {
        let place = if object.contains_key(keyword) {
            child(&at, keyword)
        } else {
            at.clone()
        };
        let help = match merged.get("const").and_then(Value::as_object) {
            Some(members) => format!(
                "write it property by property: `type: object, properties: {{{}}}, required: [{}]`",
                members
                    .iter()
                    .map(|(name, value)| format!("{name}: {{const: {value}}}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                members.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            None => "write one message per object, each property by property: `type: object, properties: {name: {const: value}, ...}, required: [...]`".to_owned(),
        };
        return Err(doc
            .error(
                &place,
                format!("the payload of message `{key}` is {}: a message's payload must spell its object's properties (its `{tag_field}` tag among them) so that it can be decoded and typed", if keyword == "const" { "a `const` object" } else { "an `enum` of objects" }),
            )
            .help(help));
    }
    if let Some(types) = types
        && types != ["object"]
    {
        return Ok(Shape::Value {
            at,
            schema: Value::Object(merged),
            types,
        });
    }
    let keyword = ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| merged.contains_key(*k));
    let Some(keyword) = keyword else {
        return Ok(Shape::Object { at, schema: merged });
    };
    // The fields outside the `oneOf` are common to every branch.
    let mut common = merged.clone();
    common.remove(keyword);
    let count = merged
        .get(keyword)
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut branches = vec![];
    for i in 0..count {
        let (branch_at, branch) = doc.resolve(&child(&child(&at, keyword), &i.to_string()))?;
        let Some(branch_object) = branch.as_object() else {
            return Err(doc.error(
                &branch_at,
                format!("a branch of the payload of message `{key}` must be a schema object"),
            ));
        };
        let mut branch_object = merge_all_of(doc, &branch_at, branch_object)?;
        merge_into(&mut branch_object, &common);
        let referenced = branch_at != child(&child(&at, keyword), &i.to_string());
        let name = if referenced {
            segments(&branch_at).pop().unwrap_or_default()
        } else {
            branch_object
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{key}{}", i + 1))
        };
        branches.push((name, branch_at, branch_object));
    }
    let tags: Vec<Option<String>> = branches
        .iter()
        .map(|(_, _, b)| fixed_tag(doc, b, tag_field))
        .collect();
    let distinct = {
        let mut seen: Vec<&String> = tags.iter().flatten().collect();
        seen.sort();
        seen.dedup();
        seen.len() == tags.len()
    };
    if count > 1 && distinct && tags.iter().all(Option::is_some) {
        return Ok(Shape::Split(
            branches
                .into_iter()
                .zip(tags)
                .map(|((name, at, schema), tag)| Branch {
                    summary: schema
                        .get("title")
                        .or_else(|| schema.get("description"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    name,
                    at,
                    tag: tag.unwrap_or_default(),
                    schema,
                })
                .collect(),
        ));
    }
    let tagged = merged.contains_key("discriminator")
        || has_discriminator(doc, branches.iter().map(|(_, _, b)| b), tag_field);
    let tag = match tags.first() {
        Some(Some(first)) if tags.iter().all(|t| t.as_ref() == Some(first)) => Some(first.clone()),
        _ => None,
    };
    let mut schema = common;
    schema.insert(
        keyword.to_owned(),
        Value::Array(
            branches
                .into_iter()
                .map(|(_, _, b)| Value::Object(b))
                .collect(),
        ),
    );
    // The branches carry the object's fields (and whether it is closed, merged into each): the
    // enum itself has no properties of its own. An `additionalProperties: false` left beside
    // the `oneOf` would allow no property at all: an enum without variants.
    schema.remove("properties");
    schema.remove("required");
    schema.remove("type");
    schema.remove("additionalProperties");
    schema.remove("patternProperties");
    Ok(Shape::Enum {
        at,
        schema: Value::Object(schema),
        tagged,
        tag,
    })
}

/// The payload's schema, following `$ref`s and a 3.x multi-format schema object.
fn payload_schema<'d>(doc: &'d Document, pointer: &str, key: &str) -> Result<(String, &'d Value)> {
    let (at, schema) = doc.resolve(&child(pointer, "payload"))?;
    let Some(format) = schema.get("schemaFormat") else {
        return Ok((at, schema));
    };
    let name = format.as_str().unwrap_or_default();
    if !is_json_schema_format(name) {
        return Err(doc
            .error(&child(&at, "schemaFormat"), format!("message `{key}` uses schema format `{name}`; only JSON Schema and AsyncAPI schemas are supported"))
            .help("socketsundso generates types from JSON Schema; describe the payload with a JSON Schema"));
    }
    doc.resolve(&child(&at, "schema"))
}

/// Whether a `schemaFormat` is JSON Schema (in JSON or YAML) or an AsyncAPI schema.
pub(crate) fn is_json_schema_format(format: &str) -> bool {
    let lower = format.to_ascii_lowercase();
    ["schema+json", "schema+yaml", "vnd.aai.asyncapi"]
        .iter()
        .any(|f| lower.contains(f))
}

/// Whether the message at `pointer` has a payload of `type: string, format: binary` (through
/// `$ref`s): raw bytes, a binary frame.
pub(crate) fn binary_payload(doc: &Document, pointer: &str) -> bool {
    let Ok((_, schema)) = doc.resolve(&child(pointer, "payload")) else {
        return false;
    };
    schema.get("format").and_then(Value::as_str) == Some("binary")
        && schema.get("type").is_none_or(|t| t == "string")
}

/// The JSON types (`object`, `array`, `string`, `number`, `integer`, `boolean`, `null`) that a
/// schema allows, as its `type`, `const`, `enum`, `oneOf`/`anyOf` branches or `$ref` target say,
/// narrowed by each part of its `allOf`; `None` when it does not say (then any value fits).
/// Sorted, without repeats; empty when nothing fits (parts that allow no type in common).
pub(crate) fn json_types(doc: &Document, schema: &Value, depth: usize) -> Option<Vec<String>> {
    let object = schema.as_object()?;
    if depth > 16 {
        return None;
    }
    let mut types = own_types(doc, object, depth);
    if let Some(Value::Array(parts)) = object.get("allOf") {
        for part in parts {
            if let Some(part_types) = json_types(doc, part, depth + 1) {
                types = Some(match types {
                    None => part_types,
                    Some(types) => intersect(&types, &part_types),
                });
            }
        }
    }
    let mut types = types?;
    types.sort();
    types.dedup();
    Some(types)
}

/// [`json_types`] without the `allOf`.
fn own_types(doc: &Document, object: &Map<String, Value>, depth: usize) -> Option<Vec<String>> {
    Some(match object.get("type") {
        Some(Value::String(ty)) => vec![ty.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => {
            if let Some(value) = object.get("const") {
                vec![value_type(value).to_owned()]
            } else if let Some(Value::Array(values)) = object.get("enum") {
                values.iter().map(|v| value_type(v).to_owned()).collect()
            } else if let Some(Value::String(reference)) = object.get("$ref") {
                let target = doc.get(reference.trim_start_matches('#'))?;
                json_types(doc, target, depth + 1)?
            } else if let Some(Value::Array(branches)) =
                object.get("oneOf").or_else(|| object.get("anyOf"))
            {
                let mut all = vec![];
                for branch in branches {
                    all.extend(json_types(doc, branch, depth + 1)?);
                }
                all
            } else {
                return None;
            }
        }
    })
}

/// The types that both lists allow: a whole `number` is an `integer`.
fn intersect(a: &[String], b: &[String]) -> Vec<String> {
    let has = |list: &[String], ty: &str| list.iter().any(|t| t == ty);
    let mut out = vec![];
    for ty in a {
        if has(b, ty) {
            out.push(ty.clone());
        } else if (ty == "integer" && has(b, "number")) || (ty == "number" && has(b, "integer")) {
            out.push("integer".to_owned());
        }
    }
    out
}

/// The JSON type of a value; a whole number is an `integer`.
fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Merges an `allOf` of object schemas into one object schema. Returns the schema unchanged when
/// its parts cannot be merged without changing its meaning. Parts are followed through their
/// `$ref`s (bundle pointers), so this works on copies too; `at` only locates errors.
pub(crate) fn merge_all_of(
    doc: &Document,
    at: &str,
    object: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    merge_all_of_within(doc, at, object, 0)
}

/// [`merge_all_of`], giving up past a depth (an `allOf` that includes itself is reported by the
/// cycle check, not followed forever).
fn merge_all_of_within(
    doc: &Document,
    at: &str,
    object: &Map<String, Value>,
    depth: usize,
) -> Result<Map<String, Value>> {
    if depth > 16 {
        return Ok(object.clone());
    }
    let Some(Value::Array(parts)) = object.get("allOf") else {
        return Ok(object.clone());
    };
    // With `additionalProperties` of its own, the object does not see the parts' properties
    // (JSON Schema looks at `properties` beside it only): merging would change what it allows.
    if object.contains_key("additionalProperties") || object.contains_key("patternProperties") {
        return Ok(object.clone());
    }
    let mut out = object.clone();
    out.remove("allOf");
    for (i, part) in parts.iter().enumerate() {
        let part_at = child(&child(at, "allOf"), &i.to_string());
        let (part_at, part) = match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = doc.ref_target(&child(&part_at, "$ref"), &Value::from(reference))?;
                doc.resolve(&target)?
            }
            None => (part_at, part),
        };
        let Some(part) = part.as_object() else {
            return Ok(object.clone());
        };
        let part = merge_all_of_within(doc, &part_at, part, depth + 1)?;
        if !mergeable(&part) {
            return Ok(object.clone());
        }
        if !merge_into(&mut out, &part) {
            return Ok(object.clone());
        }
    }
    Ok(out)
}

/// Whether a part of an `allOf` is a plain object schema.
fn mergeable(part: &Map<String, Value>) -> bool {
    part.keys().all(|k| {
        matches!(
            k.as_str(),
            "type"
                | "properties"
                | "required"
                | "additionalProperties"
                | "title"
                | "description"
                | "examples"
                | "example"
                | "discriminator"
        ) || k.starts_with("x-")
    }) && part.get("type").is_none_or(|t| t == "object")
        // A part that closes itself rejects the other parts' fields, in JSON Schema: merging would
    // accept them. Such an `allOf` stays as it is.
    && part
            .get("additionalProperties")
            .is_none_or(|a| a == &Value::Bool(true))
}

/// Adds `part`'s properties, required fields and annotations to `out`. `false` when they
/// conflict (then `out` is not usable).
fn merge_into(out: &mut Map<String, Value>, part: &Map<String, Value>) -> bool {
    for (key, value) in part {
        match key.as_str() {
            "properties" => {
                let Some(part_properties) = value.as_object() else {
                    return false;
                };
                let properties = out
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()));
                let Some(properties) = properties.as_object_mut() else {
                    return false;
                };
                for (name, schema) in part_properties {
                    match properties.get_mut(name) {
                        None => {
                            properties.insert(name.clone(), schema.clone());
                        }
                        Some(existing) if existing == schema => {}
                        Some(existing) => {
                            // Both parts constrain the field: it must meet both.
                            let both = Value::Object(
                                [(
                                    "allOf".to_owned(),
                                    Value::Array(vec![existing.clone(), schema.clone()]),
                                )]
                                .into_iter()
                                .collect(),
                            );
                            *existing = both;
                        }
                    }
                }
            }
            "required" => {
                let Some(part_required) = value.as_array() else {
                    return false;
                };
                let required = out
                    .entry("required")
                    .or_insert_with(|| Value::Array(vec![]));
                let Some(required) = required.as_array_mut() else {
                    return false;
                };
                for name in part_required {
                    if !required.contains(name) {
                        required.push(name.clone());
                    }
                }
            }
            "additionalProperties" => {
                // The strictest part wins: `false` anywhere closes the merged object.
                if value == &Value::Bool(false) {
                    out.insert(key.clone(), Value::Bool(false));
                } else {
                    out.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
            "type" => {
                if out.get("type").is_some_and(|t| t != value) {
                    return false;
                }
                out.insert(key.clone(), value.clone());
            }
            _ => {
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    true
}

/// Whether the branches share a property that fixes a different constant in each: serde can then
/// tell them apart by it (typify generates a tagged enum).
fn has_discriminator<'b>(
    doc: &Document,
    branches: impl Iterator<Item = &'b Map<String, Value>>,
    tag_field: &str,
) -> bool {
    let branches: Vec<&Map<String, Value>> = branches.collect();
    let Some(first) = branches.first() else {
        return false;
    };
    let Some(properties) = first.get("properties").and_then(Value::as_object) else {
        return false;
    };
    properties
        .keys()
        .filter(|name| *name != tag_field)
        .any(|name| {
            let values: Vec<Option<String>> =
                branches.iter().map(|b| fixed_tag(doc, b, name)).collect();
            let mut seen: Vec<&String> = values.iter().flatten().collect();
            seen.sort();
            seen.dedup();
            values.iter().all(Option::is_some) && seen.len() == values.len()
        })
}

/// A property that each of two or more branches of the `oneOf`/`anyOf` in `schema` requires and
/// fixes to a different constant, where the constants are not strings (`ok: true` and
/// `ok: false`), with the constants: it tells the branches apart, but serde's tagged enums take
/// strings only.
pub(crate) fn non_string_discriminator(
    doc: &Document,
    schema: &Value,
) -> Option<(String, Vec<Value>)> {
    let branches: Vec<&Map<String, Value>> = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?
        .iter()
        .map(Value::as_object)
        .collect::<Option<_>>()?;
    if branches.len() < 2 {
        return None;
    }
    let properties = branches.first()?.get("properties")?.as_object()?;
    properties
        .keys()
        .filter(|name| !name.contains('.'))
        .find_map(|name| {
            // The branches are merged with the object's own properties: `ok` is then
            // `allOf: [{const: true}, {type: boolean}]`.
            let fixed = |branch: &Map<String, Value>| {
                fixed_tag_value(doc, branch, name).or_else(|| {
                    let property = resolve_value(doc, branch.get("properties")?.get(name)?);
                    property
                        .get("allOf")?
                        .as_array()?
                        .iter()
                        .find_map(|part| part.get("const").cloned())
                })
            };
            let required = |branch: &Map<String, Value>| {
                branch
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|n| n == name.as_str()))
            };
            let values: Vec<Value> = branches
                .iter()
                .map(|b| fixed(b).filter(|v| !v.is_string() && required(b)))
                .collect::<Option<_>>()?;
            // `1` and `1.0` are one JSON number.
            let same = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => a == b,
            };
            let distinct = values
                .iter()
                .enumerate()
                .all(|(i, v)| !values[..i].iter().any(|w| same(v, w)));
            distinct.then(|| (name.clone(), values))
        })
}

/// The tag value that `schema` fixes at the (dotted) `tag_field`.
pub(crate) fn fixed_tag(
    doc: &Document,
    schema: &Map<String, Value>,
    tag_field: &str,
) -> Option<String> {
    let mut current = Value::Object(schema.clone());
    for segment in tag_field.split('.') {
        let property = current.get("properties")?.get(segment)?;
        current = resolve_value(doc, property).clone();
    }
    fixed_string(&current)
}

/// The constant (a `const`, or the only value of an `enum`) that `schema` fixes at the (dotted)
/// `tag_field`, whatever its JSON type.
pub(crate) fn fixed_tag_value(
    doc: &Document,
    schema: &Map<String, Value>,
    tag_field: &str,
) -> Option<Value> {
    let mut current = Value::Object(schema.clone());
    for segment in tag_field.split('.') {
        let property = current.get("properties")?.get(segment)?;
        current = resolve_value(doc, property).clone();
    }
    if let Some(value) = current.get("const") {
        return Some(value.clone());
    }
    match current.get("enum") {
        Some(Value::Array(values)) if values.len() == 1 => Some(values[0].clone()),
        _ => None,
    }
}

/// A `const` string, or the only value of an `enum`.
pub(crate) fn fixed_string(schema: &Value) -> Option<String> {
    if let Some(value) = schema.get("const") {
        return value.as_str().map(str::to_owned);
    }
    match schema.get("enum") {
        Some(Value::Array(values)) => match values.as_slice() {
            [Value::String(s)] => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn resolve_value<'d>(doc: &'d Document, value: &'d Value) -> &'d Value {
    let mut current = value;
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => match doc.get(reference.trim_start_matches('#')) {
                Some(target) => current = target,
                None => break,
            },
            None => break,
        }
    }
    current
}

/// Removes the (top-level) tag property from an object payload, or from each branch of an enum.
pub(crate) fn strip_tag(schema: &mut Value, tag_field: &str) {
    let Value::Object(object) = schema else {
        return;
    };
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        properties.shift_remove(tag_field);
    }
    if let Some(Value::Array(required)) = object.get_mut("required") {
        required.retain(|r| r.as_str() != Some(tag_field));
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = object.get_mut(keyword) {
            for branch in branches {
                strip_tag(branch, tag_field);
            }
        }
    }
}

/// Whether the payload declares the (top-level) field `name`, itself or in a branch.
pub(crate) fn declares(schema: &Value, name: &str) -> bool {
    schema.get("properties").and_then(|p| p.get(name)).is_some()
        || ["oneOf", "anyOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(|b| declares(b, name)))
        })
}

/// The object schemas a message's payload is made of (itself, or its branches), for guessing
/// the tag field. Problems are ignored here; they are reported when the message is read.
pub(crate) fn candidate_objects(doc: &Document, pointer: &str) -> Vec<Map<String, Value>> {
    let Some(node) = doc.get(pointer) else {
        return vec![];
    };
    if node.get("payload").is_none() {
        return vec![];
    }
    let Ok((at, schema)) = payload_schema(doc, pointer, "") else {
        return vec![];
    };
    let Some(object) = schema.as_object() else {
        return vec![];
    };
    let Ok(merged) = merge_all_of(doc, &at, object) else {
        return vec![];
    };
    for keyword in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = merged.get(keyword) {
            return (0..branches.len())
                .filter_map(|i| {
                    let (branch_at, branch) = doc
                        .resolve(&child(&child(&at, keyword), &i.to_string()))
                        .ok()?;
                    merge_all_of(doc, &branch_at, branch.as_object()?).ok()
                })
                .collect();
        }
    }
    vec![merged]
}

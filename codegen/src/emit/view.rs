//! What typify gets: each schema rewritten so that the Rust type typify makes accepts exactly the
//! JSON values of the schema's JSON types, never fewer.
//!
//! typify reads some schemas more narrowly than JSON Schema does. A schema without `type` whose
//! keywords concern one type (`{"pattern": "^a"}`, `{"required": ["id"]}`) becomes that type,
//! although the schema accepts every other JSON value as well; `patternProperties` and boolean
//! subschemas are ignored; an untagged enum takes the first branch that fits, where `oneOf` needs
//! exactly one. Where that would happen, the schema becomes `{}` here, so the Rust type is a
//! `serde_json::Value`, and the generated check hands the value to the runtime's validator with
//! the full schema (see `check.rs`). Everything else goes to typify as it is, minus the keywords
//! that only validate. A tuple of fixed length goes to typify as `minItems` = `maxItems` = the
//! number of positions, which typify makes a Rust tuple (see [`fixed_tuple`]).
//!
//! The schemas of real APIs (typed objects, closed by default, tagged unions) keep their types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::ir::Schema;
use crate::keywords::is_annotation;

/// The shared schemas that `$ref`s (`#/definitions/<name>`) point at.
type Definitions = BTreeMap<String, Schema>;

/// Keywords that only validate and that typify cannot use (`not` even makes it panic). typify
/// gets the schema without them; the generated checks still enforce them through the
/// validator.
const VALIDATION_ONLY: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
];

/// Keywords that hold values, not schemas.
const VALUES: &[&str] = &["const", "enum", "default", "examples", "example"];

/// The schema that typify gets for a message's payload. A payload that is a `oneOf`/`anyOf` stays
/// an enum of its branches (the README promises one); its check validates the whole message.
pub(crate) fn payload_view(schema: &Value, defs: &Definitions) -> Value {
    match schema {
        Value::Object(object) if object.contains_key("oneOf") || object.contains_key("anyOf") => {
            children(object, defs)
        }
        Value::Object(object) if let Some(value) = string_const(object) => {
            // A payload fixed to one string (a `"ping"` keepalive): an enum of that one value, so
            // that a handler returns `Pong::Pong` and cannot build another string.
            let mut view = docs_of(object);
            view.insert("type".to_owned(), Value::from("string"));
            view.insert("enum".to_owned(), Value::Array(vec![value.clone()]));
            Value::Object(view)
        }
        other => typify_view(other, defs),
    }
}

/// The string that a schema made of `const` (with `type: string` at most, and annotations) fixes,
/// when it is a plain word (`ping`, `heart_beat`, `Pong`): typify names the enum's variant after
/// the value, and other values (`a-b-c` → `ABC`, `ǅ`) make names that lints refuse. Those keep the
/// newtype of before.
fn string_const(object: &Map<String, Value>) -> Option<&Value> {
    let value = object
        .get("const")
        .filter(|v| v.as_str().is_some_and(plain_word))?;
    object
        .iter()
        .all(|(k, v)| {
            k == "const" || (k == "type" && v.as_str() == Some("string")) || is_annotation(k)
        })
        .then_some(value)
}

/// ASCII words of two or more letters and digits, each starting with a letter, joined by `_` or
/// `-`; only the first letter of the first word may be a capital.
fn plain_word(value: &str) -> bool {
    value.split(['_', '-']).enumerate().all(|(i, word)| {
        let mut chars = word.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || (i == 0 && c.is_ascii_uppercase()))
            && word.len() >= 2
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// The start of the name of the one field of the object that stands in for a lifted string (see
/// [`lift_strings`]); the number after it is the string's index in the list.
pub(crate) const LIFTED: &str = "socketsundso_lifted_string_";

/// A string that [`lift_strings`] took out of a payload's view.
pub(crate) struct Lifted {
    /// The string's schema.
    pub(crate) string: Map<String, Value>,
    /// Its `description` where it is an object's property: typify writes it on the field too
    /// (from the property's schema), which it does not for an object.
    pub(crate) field_doc: Option<String>,
}

/// Takes the strings with `maxLength`, `minLength` or `pattern` out of a payload's view before
/// typify sees it. typify writes a newtype with seven impls for each (about 80 lines of tokens),
/// which the compaction then replaces with an alias of the runtime's `Constrained` (see
/// `compact.rs`): in a large document, making and dropping those impls was a third of the
/// generation time. Each such string becomes an object of one boolean field named [`LIFTED`]
/// and its index in `lifted`, with the string's `description`: typify names a type from where
/// it is (and its `title`, which a lifted string has not), not from its kind, so the object gets
/// the name the newtype would have had, and the same doc comment. The compaction puts the alias
/// in its place, and the field's doc comment that typify writes for a string but not for an
/// object.
///
/// Only where typify does nothing else with the schema than name it: an object's property, or
/// the items of an array that is one (at any depth), never inside `allOf` (typify merges the
/// branches), `anyOf`/`oneOf` (it compares them), `additionalProperties`, or an object with
/// `default`, `const` or `enum` (a value of it would hold the string); only a string with
/// nothing else that typify reads, with lengths typify takes and a pattern that compiles (typify
/// refuses one that does not: that error stays typify's), and without a `title`: typify gives
/// every schema with the same title one type, the first it met, so a titled string shared with
/// a `oneOf` elsewhere would become a stand-in there too. The compaction checks that each
/// stand-in is used by one field and nothing else, or typify sees the strings themselves.
pub(crate) fn lift_strings(view: &mut Value, lifted: &mut Vec<Lifted>) {
    lift_inside(view, false, lifted);
}

/// Keywords under which typify does more with a subschema than name it: it merges or compares
/// the branches of a composition, and builds a value (`default`, `const`, `enum`) of the type.
const NOT_LIFTED_UNDER: &[&str] = &["allOf", "anyOf", "oneOf", "default", "const", "enum"];

/// Lifts the strings in `schema`: its properties', and with `items`, its items' (the items of an
/// array property, or of such items: a field of `Vec<..>`; not those of a payload).
fn lift_inside(schema: &mut Value, items: bool, lifted: &mut Vec<Lifted>) {
    let Value::Object(object) = schema else {
        return;
    };
    if NOT_LIFTED_UNDER.iter().any(|k| object.contains_key(*k)) {
        return;
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for property in properties.values_mut() {
            lift(property, true, lifted);
        }
    }
    if items && let Some(items) = object.get_mut("items") {
        lift(items, false, lifted);
    }
}

/// Lifts `schema` if it is a string to lift, or the strings in it.
fn lift(schema: &mut Value, property: bool, lifted: &mut Vec<Lifted>) {
    let Value::Object(object) = schema else {
        return;
    };
    if !liftable(object) {
        lift_inside(schema, true, lifted);
        return;
    }
    let n = lifted.len();
    let field = format!("{LIFTED}{n}");
    let mut stand_in = docs_of(object);
    stand_in.insert("type".to_owned(), Value::from("object"));
    stand_in.insert(
        "properties".to_owned(),
        serde_json::json!({ field.clone(): { "type": "boolean" } }),
    );
    stand_in.insert("required".to_owned(), serde_json::json!([field]));
    stand_in.insert("additionalProperties".to_owned(), Value::Bool(false));
    let string = std::mem::replace(object, stand_in);
    let field_doc = property
        .then(|| string.get("description").and_then(Value::as_str))
        .flatten()
        .map(str::to_owned);
    lifted.push(Lifted { string, field_doc });
}

/// A string that typify makes a newtype with rules of, and nothing else.
fn liftable(object: &Map<String, Value>) -> bool {
    let length = |key: &str| {
        object
            .get(key)
            .is_none_or(|n| n.as_u64().is_some_and(|n| u32::try_from(n).is_ok()))
    };
    let pattern = match object.get("pattern") {
        None => true,
        Some(Value::String(p)) => regress::Regex::new(p).is_ok(),
        Some(_) => false,
    };
    let keys = [
        "type",
        "maxLength",
        "minLength",
        "pattern",
        "description",
        "examples",
        "example",
        "$comment",
        "readOnly",
        "writeOnly",
        "deprecated",
    ];
    object.get("type").and_then(Value::as_str) == Some("string")
        && ["maxLength", "minLength", "pattern"]
            .iter()
            .any(|k| object.contains_key(*k))
        && length("maxLength")
        && length("minLength")
        && pattern
        && object.keys().all(|k| {
            keys.contains(&k.as_str()) || (k.starts_with("x-") && !k.starts_with("x-rust"))
        })
}

/// The `title` and `description` of a schema: what typify turns into doc comments.
fn docs_of(object: &Map<String, Value>) -> Map<String, Value> {
    object
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "title" | "description"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The schema that typify gets for `schema`.
pub(crate) fn typify_view(schema: &Value, defs: &Definitions) -> Value {
    match schema {
        Value::Object(object) => view_object(object, defs),
        other => other.clone(),
    }
}

fn view_object(object: &Map<String, Value>, defs: &Definitions) -> Value {
    if let Some(simpler) = single_all_of(object) {
        return typify_view(&Value::Object(simpler), defs);
    }
    if untypable(object, defs) {
        // Any JSON value; the check validates it. Annotations keep the docs.
        return Value::Object(docs_of(object));
    }
    if let Some(n) = fixed_tuple(object) {
        // typify makes a Rust tuple of an array whose `minItems` and `maxItems` are both the
        // number of positions: each position gets its own type.
        let mut out = match children(object, defs) {
            Value::Object(out) => out,
            _ => Map::new(),
        };
        out.remove("additionalItems");
        out.insert("minItems".to_owned(), Value::from(n));
        out.insert("maxItems".to_owned(), Value::from(n));
        return Value::Object(out);
    }
    children(object, defs)
}

/// The number of positions of a tuple with a fixed length: `items: [..]` (one schema per
/// position, at least one), no items beyond them (`additionalItems: false`, or `maxItems` that
/// many), and all of them required (`minItems` that many). `None` for any other array, and for
/// a tuple with keywords beside those (`uniqueItems`, `contains`, ...), and for more than 12
/// positions: the standard library implements `Debug`, `Clone`, `PartialEq` and the rest for
/// tuples of up to 12 (serde for up to 16).
pub(crate) fn fixed_tuple(object: &Map<String, Value>) -> Option<usize> {
    let positions = object.get("items")?.as_array()?;
    let n = positions.len();
    // A `default` stays with the JSON value: typify writes a one-position tuple's default
    // without its comma, and refuses one that does not fit the tuple.
    if n == 0 || n > 12 || object.contains_key("default") {
        return None;
    }
    let allowed = ["type", "items", "additionalItems", "minItems", "maxItems"];
    if object
        .keys()
        .any(|k| !allowed.contains(&k.as_str()) && !is_annotation(k))
    {
        return None;
    }
    let n64 = u64::try_from(n).ok()?;
    let size = |key: &str| object.get(key).and_then(Value::as_u64);
    let no_more = object.get("additionalItems") == Some(&Value::Bool(false));
    let max = match (size("maxItems"), no_more) {
        (Some(max), true) => Some(max.min(n64)),
        (Some(max), false) => Some(max),
        (None, true) => Some(n64),
        (None, false) => None,
    };
    (size("minItems") == Some(n64) && max == Some(n64)).then_some(n)
}

/// Whether a tuple of `positions` allows no items after them: `additionalItems: false`, or a
/// `maxItems` of at most that many (the docs and the TypeScript type show no rest then).
pub(crate) fn closed_tuple(object: &Map<String, Value>, positions: usize) -> bool {
    object.get("additionalItems") == Some(&Value::Bool(false))
        || object
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|max| max <= positions as u64)
}

/// `object` without the keywords typify cannot use, and with its subschemas viewed.
fn children(object: &Map<String, Value>, defs: &Definitions) -> Value {
    let mut out = Map::new();
    for (key, value) in object {
        if VALIDATION_ONLY.contains(&key.as_str()) {
            continue;
        }
        // `format: float` would give an `f32`, which narrows the value before its bounds are
        // checked; an `f64` holds every value a 32-bit float would, exactly.
        if key == "format" && value.as_str() == Some("float") {
            continue;
        }
        let value = match key.as_str() {
            k if VALUES.contains(&k) => value.clone(),
            // Maps of schemas.
            "properties" | "definitions" | "$defs" => match value {
                Value::Object(children) => Value::Object(
                    children
                        .iter()
                        .map(|(name, s)| (name.clone(), typify_view(s, defs)))
                        .collect(),
                ),
                other => other.clone(),
            },
            // Lists of schemas.
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(children) => children.iter().map(|s| typify_view(s, defs)).collect(),
                other => other.clone(),
            },
            "items" => match value {
                // A tuple's positions.
                Value::Array(positions) => positions.iter().map(|s| typify_view(s, defs)).collect(),
                other => typify_view(other, defs),
            },
            "additionalProperties" => typify_view(value, defs),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    // `const` beside `enum`: typify ignores `const` and would make a variant of every value of
    // the `enum`, which serde then accepts; the one value both allow is what the type holds (an
    // `enum` of it alone: typify trips over `const` beside `type: string` and `enum`).
    if let (Some(fixed), Some(Value::Array(values))) = (out.get("const"), out.get("enum"))
        && values.contains(fixed)
    {
        let one = Value::Array(vec![fixed.clone()]);
        out.insert("enum".to_owned(), one);
        out.remove("const");
    }
    // A `$ref` stands for its target alone (draft-07 ignores the keywords beside it).
    if out.get("$ref").is_some_and(Value::is_string) {
        out.retain(|k, _| k == "$ref" || is_annotation(k));
    }
    Value::Object(out)
}

/// The JSON types a schema's `type` names, without `null`; `None` without `type`.
fn types(object: &Map<String, Value>) -> Option<Vec<&str>> {
    match object.get("type")? {
        Value::String(t) => {
            Some(vec![t.as_str()]).map(|t| t.into_iter().filter(|t| *t != "null").collect())
        }
        Value::Array(list) => Some(
            list.iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
        ),
        _ => Some(vec![]),
    }
}

/// Whether typify's type for this schema (itself, not its children) would be narrower than the
/// schema, or lose what a check needs.
fn untypable(object: &Map<String, Value>, defs: &Definitions) -> bool {
    if object.get("$ref").is_some_and(Value::is_string) {
        return false;
    }
    // Names that differ only in characters a Rust name cannot hold (`foo\"bar`, `foo bar`)
    // would become one field or variant.
    if let Some(Value::Object(properties)) = object.get("properties")
        && collide(properties.keys().map(String::as_str))
    {
        return true;
    }
    if let Some(Value::Array(values)) = object.get("enum")
        && collide(values.iter().filter_map(Value::as_str))
    {
        return true;
    }
    let asserts = |k: &str| !is_annotation(k) && k != "type" && k != "nullable";
    let composed: Vec<&str> = ["allOf", "anyOf", "oneOf"]
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .collect();
    let Some(types) = types(object) else {
        // No `type`: any JSON value may pass the keywords that concern other types. Only a
        // string enum (or const) and a plain composition pin the type down.
        if let Some(values) = fixed_values(object) {
            return !values.iter().all(Value::is_string);
        }
        if composed.len() == 1 && composed[0] != "allOf" {
            return !typable_union(object, composed[0], defs);
        }
        return object.keys().any(|k| asserts(k));
    };
    if composed.len() == 1 && composed[0] != "allOf" && types == ["object"] {
        return !typable_union(object, composed[0], defs);
    }
    if types.len() != 1 || !composed.is_empty() {
        // Several JSON types, or `type` beside a composition: typify's guess may be narrower.
        return true;
    }
    let ty = types[0];
    if let Some(values) = fixed_values(object) {
        let fits = |v: &Value| match ty {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => false,
        };
        if !values.iter().all(fits) {
            return true;
        }
    }
    match ty {
        "object" => {
            let open = object.get("additionalProperties") != Some(&Value::Bool(false));
            let has_properties = object
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty());
            object.contains_key("patternProperties")
                // A property that is `false` (never allowed) or `true`.
                || object
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.values().any(Value::is_boolean))
                // A struct's check sees only its own fields: with unknown fields kept out of the
                // type, the keywords that look at the whole object need the JSON value.
                || (has_properties
                    && (object.get("additionalProperties").is_some_and(Value::is_object)
                        || (open
                            && [
                                "minProperties",
                                "maxProperties",
                                "propertyNames",
                                "dependencies",
                                "not",
                                "if",
                            ]
                                .iter()
                                .any(|k| object.contains_key(*k)))))
        }
        "array" => {
            fixed_tuple(object).is_none()
                && (object
                    .get("items")
                    .is_some_and(|i| i.is_array() || i.is_boolean())
                    || object.contains_key("additionalItems"))
        }
        _ => false,
    }
}

/// `allOf: [{$ref: X}, {description: ...}]` (a reference with its own docs, a common way to
/// document a referenced schema in place) is the one part that asserts something: that part,
/// with the annotations of the rest.
fn single_all_of(object: &Map<String, Value>) -> Option<Map<String, Value>> {
    let parts = object.get("allOf")?.as_array()?;
    if object.keys().any(|k| k != "allOf" && !is_annotation(k)) {
        return None;
    }
    let annotations_only = |p: &Value| {
        p.as_object()
            .is_some_and(|p| p.keys().all(|k| is_annotation(k)))
    };
    let mut asserting = parts.iter().filter(|p| !annotations_only(p));
    let only = asserting.next()?.as_object()?;
    if asserting.next().is_some() {
        return None;
    }
    let mut out = only.clone();
    for (key, value) in object.iter().filter(|(k, _)| *k != "allOf") {
        out.entry(key.clone()).or_insert_with(|| value.clone());
    }
    Some(out)
}

/// Whether two names with characters outside `[A-Za-z0-9_-. ]` would be the same Rust name:
/// typify cannot keep them apart. (Plain names that clash, like `userId` and `user_id`, are an
/// error that asks for a rename; see `field_clashes`.)
fn collide<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut seen: Vec<(String, bool)> = vec![];
    for name in names {
        let odd = name
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')));
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if seen.iter().any(|(k, o)| *k == key && (odd || *o)) {
            return true;
        }
        seen.push((key, odd));
    }
    false
}

/// Follows `$ref`s to shared schemas.
fn resolve<'a>(schema: &'a Value, defs: &'a Definitions) -> &'a Value {
    let mut current = schema;
    for _ in 0..32 {
        let Some(name) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        else {
            break;
        };
        match defs.get(name) {
            Some(def) => current = &def.schema,
            None => break,
        }
    }
    current
}

/// The values that `enum` or `const` allow, if the schema has either.
fn fixed_values(object: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = object.get("const") {
        return Some(vec![value.clone()]);
    }
    match object.get("enum") {
        Some(Value::Array(values)) => Some(values.clone()),
        Some(_) => Some(vec![]),
        None => None,
    }
}

/// Whether a `oneOf`/`anyOf` can be an enum of typed branches: every branch is a closed object
/// with a property that fixes a different constant in each (a tag, so at most one branch can
/// match and serde picks that one), and the schema has no other assertion beside it.
fn typable_union(object: &Map<String, Value>, keyword: &str, defs: &Definitions) -> bool {
    let asserts = |k: &str| !is_annotation(k) && k != keyword && k != "type";
    if object.keys().any(|k| asserts(k)) {
        return false;
    }
    let Some(branches) = object.get(keyword).and_then(Value::as_array) else {
        return false;
    };
    let objects: Vec<&Map<String, Value>> = branches
        .iter()
        .filter_map(|b| resolve(b, defs).as_object())
        .collect();
    if objects.len() != branches.len() || objects.is_empty() {
        return false;
    }
    let closed = objects.iter().all(|b| {
        b.get("type").and_then(Value::as_str) == Some("object")
            && b.get("additionalProperties") == Some(&Value::Bool(false))
            && !untypable(b, defs)
    });
    if !closed {
        return false;
    }
    // A property that every branch fixes to a different constant.
    let Some(first) = objects[0].get("properties").and_then(Value::as_object) else {
        return false;
    };
    first.keys().any(|name| {
        let mut seen = vec![];
        objects.iter().all(|b| {
            let fixed = b
                .get("properties")
                .and_then(|p| p.get(name))
                .map(|p| resolve(p, defs))
                .and_then(|p| {
                    p.get("const").or_else(|| {
                        p.get("enum")
                            .and_then(|e| e.as_array().filter(|e| e.len() == 1)?.first())
                    })
                })
                .cloned();
            let required = b
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|r| r == name));
            match fixed {
                Some(value) if required && !seen.contains(&value) => {
                    seen.push(value);
                    true
                }
                _ => false,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fixed_tuple;

    fn fixed(schema: serde_json::Value) -> Option<usize> {
        fixed_tuple(schema.as_object().expect("an object schema"))
    }

    #[test]
    fn a_payload_const_is_an_enum_only_when_its_value_is_a_plain_word() {
        for word in [
            "ping",
            "pong",
            "Pong",
            "heart_beat",
            "heart-beat",
            "v2",
            "hb",
        ] {
            assert!(super::plain_word(word), "{word}");
        }
        for other in [
            "",
            "a",
            "a-b-c",
            "x.y",
            "PING",
            "heartBeat",
            "ǅ",
            "über",
            "a b",
            "2fa",
            "ping_",
            "_ping",
        ] {
            assert!(!super::plain_word(other), "{other}");
        }
    }

    #[test]
    fn a_tuple_is_fixed_when_every_position_is_required_and_none_more_allowed() {
        let two = json!([{"type": "number"}, {"type": "number"}]);
        // No more: `additionalItems: false`, or `maxItems` the number of positions.
        assert_eq!(
            fixed(json!({"type": "array", "items": two, "additionalItems": false, "minItems": 2})),
            Some(2)
        );
        assert_eq!(
            fixed(json!({"type": "array", "items": two, "minItems": 2, "maxItems": 2})),
            Some(2)
        );
        assert_eq!(
            fixed(
                json!({"items": two, "additionalItems": {"type": "string"}, "minItems": 2, "maxItems": 2, "description": "a level"})
            ),
            Some(2)
        );
        assert_eq!(
            fixed(
                json!({"type": "array", "items": two, "additionalItems": false, "minItems": 2, "maxItems": 9})
            ),
            Some(2)
        );
        // An optional tail, a rest, no `minItems`, another keyword, no positions.
        assert_eq!(
            fixed(json!({"type": "array", "items": two, "additionalItems": false, "minItems": 1})),
            None
        );
        assert_eq!(
            fixed(json!({"type": "array", "items": two, "minItems": 2})),
            None
        );
        assert_eq!(
            fixed(
                json!({"type": "array", "items": two, "additionalItems": {"type": "string"}, "minItems": 2})
            ),
            None
        );
        assert_eq!(
            fixed(json!({"type": "array", "items": two, "additionalItems": false})),
            None
        );
        assert_eq!(
            fixed(
                json!({"type": "array", "items": two, "additionalItems": false, "minItems": 2, "uniqueItems": true})
            ),
            None
        );
        assert_eq!(
            fixed(json!({"type": "array", "items": [], "additionalItems": false, "minItems": 0})),
            None
        );
        // More positions than the standard library's traits cover.
        let thirteen: Vec<_> = (0..13).map(|_| json!({"type": "integer"})).collect();
        assert_eq!(
            fixed(
                json!({"type": "array", "items": thirteen, "additionalItems": false, "minItems": 13})
            ),
            None
        );
        let twelve: Vec<_> = (0..12).map(|_| json!({"type": "integer"})).collect();
        assert_eq!(
            fixed(
                json!({"type": "array", "items": twelve, "additionalItems": false, "minItems": 12})
            ),
            Some(12)
        );
        // A default keeps the JSON value.
        assert_eq!(
            fixed(
                json!({"type": "array", "items": [{"type": "string"}], "additionalItems": false, "minItems": 1, "default": ["z"]})
            ),
            None
        );
        // A list of one schema for every item is no tuple.
        assert_eq!(
            fixed(
                json!({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})
            ),
            None
        );
    }
}

//! A schema as the docs show it: one row per field, with its type (linking to shared schemas),
//! whether it is required, its constraints and its description.

use serde_json::{Map, Value};

use super::example::primary_type;

/// How deep inline objects are unfolded into dotted rows (`address.street`).
const UNFOLD_DEPTH: usize = 4;

/// One piece of a type: text, or the name of a shared schema with its anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub text: String,
    /// The anchor of the shared schema this names.
    pub link: Option<String>,
}

impl Part {
    fn text(text: impl Into<String>) -> Self {
        Part {
            text: text.into(),
            link: None,
        }
    }
}

/// A type as a list of parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Type(pub Vec<Part>);

impl Type {
    fn push(&mut self, text: impl Into<String>) {
        let text = text.into();
        match self.0.last_mut() {
            Some(last) if last.link.is_none() => last.text.push_str(&text),
            _ => self.0.push(Part::text(text)),
        }
    }

    fn extend(&mut self, other: Type) {
        for part in other.0 {
            match part.link {
                Some(_) => self.0.push(part),
                None => self.push(part.text),
            }
        }
    }

    /// Markdown: shared schemas as links.
    pub fn markdown(&self) -> String {
        self.0
            .iter()
            .map(|p| match &p.link {
                Some(anchor) => format!("[`{}`](#{anchor})", p.text),
                None => p.text.clone(),
            })
            .collect()
    }

    /// Plain text, for search.
    pub fn plain(&self) -> String {
        self.0.iter().map(|p| p.text.as_str()).collect()
    }
}

/// One row of a field table.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// `name`, `address.street`, `items[].id`, `*` (any other member).
    pub path: String,
    /// How many levels down the path is (for indentation).
    pub depth: usize,
    pub ty: Type,
    pub required: bool,
    pub constraints: Vec<String>,
    pub description: Option<String>,
}

/// The anchor of a shared schema.
pub(crate) fn schema_anchor(name: &str) -> String {
    format!("schema-{name}")
}

/// The rows of an object schema's fields, unfolding inline objects.
pub(crate) fn fields(schema: &Value) -> Vec<Field> {
    let mut out = vec![];
    if let Value::Object(object) = schema {
        object_fields(object, "", 0, &mut out);
    }
    out
}

fn object_fields(object: &Map<String, Value>, prefix: &str, depth: usize, out: &mut Vec<Field>) {
    let required: Vec<&str> = match object.get("required") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if let Some(Value::Object(properties)) = object.get("properties") {
        for (name, schema) in properties {
            let path = format!("{prefix}{name}");
            row(schema, &path, required.contains(&name.as_str()), depth, out);
        }
    }
    // Required members that `properties` does not describe.
    for name in &required {
        let described = object
            .get("properties")
            .and_then(|p| p.get(*name))
            .is_some();
        if !described {
            let schema = object
                .get("additionalProperties")
                .filter(|a| a.is_object())
                .cloned()
                .unwrap_or(Value::Bool(true));
            row(&schema, &format!("{prefix}{name}"), true, depth, out);
        }
    }
    if let Some(Value::Object(patterns)) = object.get("patternProperties") {
        for (pattern, schema) in patterns {
            let path = format!("{prefix}/{pattern}/");
            row(schema, &path, false, depth, out);
            if let Some(last) = out.last_mut()
                && last.path == path
                && last.description.is_none()
            {
                last.description = Some(format!("every member whose name matches `{pattern}`"));
            }
        }
    }
    if let Some(additional @ Value::Object(_)) = object.get("additionalProperties") {
        let path = format!("{prefix}*");
        row(additional, &path, false, depth, out);
        if let Some(last) = out.iter_mut().rev().find(|f| f.path == path)
            && last.description.is_none()
        {
            last.description = Some("any other member".to_owned());
        }
    }
}

fn row(schema: &Value, path: &str, required: bool, depth: usize, out: &mut Vec<Field>) {
    let object = schema.as_object();
    let description = object.and_then(|o| {
        o.get("description")
            .or_else(|| o.get("title"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    out.push(Field {
        path: path.to_owned(),
        depth,
        ty: type_of(schema),
        required,
        constraints: object.map(constraints).unwrap_or_default(),
        description,
    });
    let Some(object) = object else { return };
    if depth >= UNFOLD_DEPTH || object.contains_key("$ref") {
        return;
    }
    match primary_type(object).as_deref() {
        Some("object") if object.contains_key("properties") => {
            object_fields(object, &format!("{path}."), depth + 1, out);
        }
        Some("array") => {
            if let Some(Value::Object(items)) = object.get("items")
                && !items.contains_key("$ref")
                && primary_type(items).as_deref() == Some("object")
                && items.contains_key("properties")
            {
                object_fields(items, &format!("{path}[]."), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// The type of a schema, in words: `string (date-time)`, `array of` [`ClientId`], `"a" | "b"`,
/// `integer or null`, `one of` [`A`], [`B`].
pub(crate) fn type_of(schema: &Value) -> Type {
    let mut ty = Type::default();
    let Value::Object(object) = schema else {
        ty.push(if schema == &Value::Bool(false) {
            "nothing"
        } else {
            "any"
        });
        return ty;
    };
    let nullable = object.get("nullable") == Some(&Value::Bool(true))
        || matches!(object.get("type"), Some(Value::Array(t)) if t.iter().any(|t| t == "null"));
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
        ty.0.push(Part {
            link: Some(schema_anchor(&name)),
            text: name,
        });
    } else if let Some(value) = object.get("const") {
        ty.push(format!("`{}`", compact(value)));
    } else if let Some(Value::Array(values)) = object.get("enum") {
        let values: Vec<String> = values.iter().map(|v| format!("`{}`", compact(v))).collect();
        ty.push(values.join(" | "));
    } else if let Some((key, Value::Array(branches))) = ["oneOf", "anyOf", "allOf"]
        .iter()
        .find_map(|k| object.get(*k).map(|b| (*k, b)))
    {
        ty.push(match key {
            "allOf" => "all of ",
            _ => "one of ",
        });
        for (i, branch) in branches.iter().enumerate() {
            if i > 0 {
                ty.push(", ");
            }
            ty.extend(type_of(branch));
        }
    } else if let Some(Value::Array(types)) = object.get("type")
        && types.iter().filter(|t| *t != "null").count() > 1
    {
        let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
        ty.push(names.join(" or "));
    } else {
        match primary_type(object).as_deref() {
            Some("array") => match object.get("items") {
                Some(items @ Value::Object(_)) => {
                    ty.push("array of ");
                    ty.extend(type_of(items));
                }
                // A tuple: each position's type, then what may follow, as the TypeScript type
                // has it: a position past `minItems` is optional (`?`), `maxItems` ends the
                // tuple, and bounds what may follow.
                Some(Value::Array(positions)) if !positions.is_empty() => {
                    let count = |key| {
                        object
                            .get(key)
                            .and_then(Value::as_u64)
                            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                    };
                    let (min, max) = (count("minItems").unwrap_or(0), count("maxItems"));
                    ty.push("tuple [");
                    for (i, position) in
                        positions.iter().take(max.unwrap_or(usize::MAX)).enumerate()
                    {
                        if i > 0 {
                            ty.push(", ");
                        }
                        let position = type_of(position);
                        let wrap = i >= min && position.plain().contains(' ');
                        if wrap {
                            ty.push("(");
                        }
                        ty.extend(position);
                        if wrap {
                            ty.push(")");
                        }
                        if i >= min {
                            ty.push("?");
                        }
                    }
                    // How many more may follow, if `maxItems` says.
                    let more = max.map(|max| max.saturating_sub(positions.len()));
                    match (object.get("additionalItems"), more) {
                        _ if crate::emit::view::closed_tuple(object, positions.len()) => {}
                        (Some(rest @ Value::Object(_)), Some(more)) => {
                            ty.push(format!(", then up to {more} "));
                            ty.extend(type_of(rest));
                        }
                        (Some(rest @ Value::Object(_)), None) => {
                            ty.push(", then ");
                            ty.extend(type_of(rest));
                            ty.push(" ...");
                        }
                        (_, Some(more)) => ty.push(format!(", up to {more} more")),
                        (_, None) => ty.push(", ..."),
                    }
                    ty.push("]");
                }
                _ => ty.push("array"),
            },
            Some("object") => match object.get("additionalProperties") {
                Some(values @ Value::Object(_)) if !object.contains_key("properties") => {
                    ty.push("map of ");
                    ty.extend(type_of(values));
                }
                _ => {
                    ty.push("object");
                    // A branch of a `oneOf` is told apart by its constant members.
                    if let Some(Value::Object(properties)) = object.get("properties") {
                        let fixed: Vec<String> = properties
                            .iter()
                            .filter_map(|(k, v)| {
                                Some(format!("`{k}: {}`", compact(v.get("const")?)))
                            })
                            .collect();
                        if !fixed.is_empty() {
                            ty.push(format!(" ({})", fixed.join(", ")));
                        }
                    }
                }
            },
            Some(name) => {
                ty.push(name);
                if let Some(format) = object.get("format").and_then(Value::as_str) {
                    ty.push(format!(" ({format})"));
                }
            }
            None => ty.push("any"),
        }
    }
    // `null` is part of the `enum`/`const` already when it is allowed there.
    let null_shown = ty.plain().ends_with("null") || ty.plain().contains("`null`");
    if nullable && !null_shown {
        ty.push(" or null");
    }
    ty
}

/// The constraints of one schema, each as `keyword: value`.
pub(crate) fn constraints(object: &Map<String, Value>) -> Vec<String> {
    const SHOWN: &[&str] = &[
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "exclusiveMinimum",
        "maximum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "not",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    ];
    let mut out = vec![];
    for key in SHOWN {
        let Some(value) = object.get(*key) else {
            continue;
        };
        let text = match (key, value) {
            // draft-04 booleans: `exclusiveMinimum: true` next to `minimum`.
            (_, Value::Bool(false)) => continue,
            (_, Value::Bool(true)) => format!("`{key}`"),
            (&"pattern", Value::String(p)) => format!("`pattern: {p}`"),
            _ => format!("`{key}: {}`", compact(value)),
        };
        out.push(text);
    }
    match object.get("additionalProperties") {
        Some(Value::Bool(false)) if object.contains_key("properties") => {
            out.push("no other members".to_owned());
        }
        Some(Value::Bool(true)) => out.push("other members allowed".to_owned()),
        _ => {}
    }
    out
}

/// A value as compact JSON.
pub(crate) fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::type_of;

    fn words(schema: &str) -> String {
        type_of(&serde_json::from_str(schema).expect("JSON")).plain()
    }

    #[test]
    fn tuples_show_their_positions() {
        assert_eq!(
            words(
                r#"{"type":"array","items":[{"type":"number"},{"type":"string"}],"minItems":2,"additionalItems":false}"#
            ),
            "tuple [number, string]"
        );
        assert_eq!(
            words(
                r#"{"type":"array","items":[{"type":"number"},{"const":"b"}],"minItems":2,"maxItems":2}"#
            ),
            "tuple [number, `\"b\"`]"
        );
        // draft-07: without `minItems` the positions may be left off, and without
        // `additionalItems` more items of any kind may follow.
        assert_eq!(
            words(r#"{"type":"array","items":[{"type":"integer"}]}"#),
            "tuple [integer?, ...]"
        );
        assert_eq!(
            words(
                r#"{"type":"array","items":[{"type":"integer"},{"type":["string","integer"]}],"minItems":1,"additionalItems":{"type":"string"}}"#
            ),
            "tuple [integer, (string or integer)?, then string ...]"
        );
        // `maxItems` bounds what follows, and ends the tuple before a position past it.
        assert_eq!(
            words(
                r#"{"type":"array","items":[{"type":"integer"}],"minItems":1,"maxItems":3,"additionalItems":{"type":"string"}}"#
            ),
            "tuple [integer, then up to 2 string]"
        );
        assert_eq!(
            words(r#"{"type":"array","items":[{"type":"integer"}],"minItems":1,"maxItems":2}"#),
            "tuple [integer, up to 1 more]"
        );
        assert_eq!(
            words(
                r#"{"type":"array","items":[{"type":"integer"},{"type":"string"}],"maxItems":1}"#
            ),
            "tuple [integer?]"
        );
        assert_eq!(
            words(r#"{"type":"array","items":{"type":"integer"}}"#),
            "array of integer"
        );
    }
}

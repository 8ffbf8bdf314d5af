//! Example values for the docs: the schema's own `examples` (or `example`, `const`, `default`)
//! where it has them, else a value built from the schema so that it validates.
//!
//! The builder follows the keywords the runtime enforces: `type`, `enum`, `const`, string
//! lengths, `format`s, `pattern` (through [`super::pattern`]), numeric bounds and `multipleOf`,
//! array sizes and `uniqueItems`, `required`, `minProperties`, and the first branch of a `oneOf`
//! or `anyOf`. Optional properties are shown too, down to a few levels, so that an example shows
//! the whole message. The tests check every built example of the fixtures against the runtime's
//! validator.

use serde_json::{Map, Number, Value};

use crate::ir::Api;

/// How deep optional properties are still filled in.
const OPTIONAL_DEPTH: usize = 3;
/// Past this depth only what is required is built, and a recursion that requires itself stops.
const MAX_DEPTH: usize = 12;

/// Builds examples over the shared schemas of `api`.
pub(super) struct Examples<'a> {
    pub api: &'a Api,
}

impl Examples<'_> {
    /// An example of `schema`. `seed` varies the value, for the items of a `uniqueItems` array.
    pub fn of(&self, schema: &Value, seed: usize, depth: usize) -> Value {
        let Value::Object(object) = schema else {
            // `true`, or a schema that is no object: anything goes.
            return Value::from("value");
        };
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(example) = given(object) {
            return example;
        }
        if let Some(Value::Array(values)) = object.get("enum")
            && !values.is_empty()
        {
            let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            let pool: Vec<&Value> = if non_null.is_empty() {
                values.iter().collect()
            } else {
                non_null
            };
            return pool[seed % pool.len()].clone();
        }
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let target = reference
                .strip_prefix("#/definitions/")
                .and_then(|name| self.api.definitions.get(name));
            if let Some(def) = target {
                let mut value = self.of(&def.schema, seed, depth + 1);
                // Sibling keywords of a `$ref` (draft 2019-09 style) narrow it further.
                let mut rest = object.clone();
                rest.remove("$ref");
                if has_type_keywords(&rest)
                    && let (Value::Object(base), Value::Object(more)) =
                        (&mut value, self.of(&Value::Object(rest), seed, depth + 1))
                {
                    base.extend(more);
                }
                return value;
            }
        }
        if let Some(Value::Array(parts)) = object.get("allOf") {
            let mut merged = Map::new();
            let mut other = None;
            for part in parts {
                match self.of(part, seed, depth + 1) {
                    Value::Object(fields) => merged.extend(fields),
                    value => other = other.or(Some(value)),
                }
            }
            if let Some(value) = other.filter(|_| merged.is_empty()) {
                return value;
            }
            if !merged.is_empty() {
                let mut rest = object.clone();
                rest.remove("allOf");
                if let Value::Object(more) = self.of(&Value::Object(rest), seed, depth + 1) {
                    merged.extend(more);
                }
                return Value::Object(merged);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = object.get(key)
                && let Some(first) = branches.first()
            {
                let value = self.of(first, seed, depth + 1);
                // Properties beside the `oneOf` belong to every branch.
                if let Value::Object(mut fields) = value {
                    if object.contains_key("properties") {
                        let mut rest = object.clone();
                        rest.remove(key);
                        if let Value::Object(more) = self.of(&Value::Object(rest), seed, depth + 1)
                        {
                            for (k, v) in more {
                                fields.entry(k).or_insert(v);
                            }
                        }
                    }
                    return Value::Object(fields);
                }
                return value;
            }
        }
        match primary_type(object).as_deref() {
            Some("object") => self.object(object, depth),
            Some("array") => self.array(object, seed, depth),
            Some("string") => Value::from(string(object, seed)),
            Some("integer") => integer(object, seed),
            Some("number") => number(object, seed),
            Some("boolean") => Value::Bool(seed.is_multiple_of(2)),
            Some("null") => Value::Null,
            _ => Value::from("value"),
        }
    }

    fn object(&self, object: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> = match object.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let max = object
            .get("maxProperties")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut out = Map::new();
        let empty = Map::new();
        let properties = match object.get("properties") {
            Some(Value::Object(properties)) => properties,
            _ => &empty,
        };
        // Required ones first, so that `maxProperties` never drops one of them.
        for (name, schema) in properties {
            if required.contains(&name.as_str()) {
                out.insert(name.clone(), self.of(schema, 0, depth + 1));
            }
        }
        for name in &required {
            if !out.contains_key(*name) {
                out.insert((*name).to_owned(), self.extra(object, depth));
            }
        }
        if depth < OPTIONAL_DEPTH {
            for (name, schema) in properties {
                if out.len() >= max {
                    break;
                }
                if !out.contains_key(name) && !deprecated(schema) {
                    out.insert(name.clone(), self.of(schema, 0, depth + 1));
                }
            }
        }
        // Document order, as the schema lists the properties.
        let mut ordered = Map::new();
        for name in properties.keys() {
            if let Some(value) = out.remove(name) {
                ordered.insert(name.clone(), value);
            }
        }
        ordered.extend(out);
        let min = object
            .get("minProperties")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut n = 1;
        while (ordered.len() as u64) < min && n < 64 {
            let key = format!("key{n}");
            if !ordered.contains_key(&key) {
                ordered.insert(key, self.extra(object, depth));
            }
            n += 1;
        }
        Value::Object(ordered)
    }

    /// A value for a member that `properties` does not describe.
    fn extra(&self, object: &Map<String, Value>, depth: usize) -> Value {
        match object.get("additionalProperties") {
            Some(schema @ Value::Object(_)) => self.of(schema, 0, depth + 1),
            _ => Value::from("value"),
        }
    }

    fn array(&self, object: &Map<String, Value>, seed: usize, depth: usize) -> Value {
        let min = object.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = object.get("maxItems").and_then(Value::as_u64);
        // One item shows the shape; more only where `minItems` asks for them.
        let count = min.max(1).min(max.unwrap_or(u64::MAX)).min(16);
        let items = object.get("items").filter(|i| i.is_object());
        // A tuple (`items: [..]`): each position from its own schema, then `additionalItems`.
        let positions = object.get("items").and_then(Value::as_array);
        let rest = object.get("additionalItems").filter(|i| i.is_object());
        let contains = object.get("contains").filter(|c| c.is_object());
        let mut out = vec![];
        for i in 0..count {
            let i = usize::try_from(i).unwrap_or(0);
            let position = positions.and_then(|p| p.get(i)).or(rest);
            let item = match (i, contains, items, position) {
                (0, Some(contains), _, _) => self.of(contains, seed + i, depth + 1),
                (_, _, Some(items), _) => self.of(items, seed + i, depth + 1),
                (_, _, _, Some(position)) => self.of(position, seed + i, depth + 1),
                _ => Value::from(seed + i),
            };
            out.push(item);
        }
        Value::Array(out)
    }
}

/// The schema's own example, when it gives one.
fn given(object: &Map<String, Value>) -> Option<Value> {
    if let Some(Value::Array(examples)) = object.get("examples")
        && let Some(first) = examples.first()
    {
        return Some(first.clone());
    }
    if let Some(example) = object.get("example") {
        return Some(example.clone());
    }
    if let Some(value) = object.get("const") {
        return Some(value.clone());
    }
    // A `default` of the wrong type is ignored by the generator (with a warning); not shown.
    match (object.get("default"), primary_type(object).as_deref()) {
        (Some(value), Some(ty))
            if type_of(value) == ty || (ty == "number" && value.is_number()) =>
        {
            Some(value.clone())
        }
        _ => None,
    }
}

/// Whether a schema says anything about the value beside annotations.
fn has_type_keywords(object: &Map<String, Value>) -> bool {
    object.keys().any(|k| {
        matches!(
            k.as_str(),
            "type" | "properties" | "required" | "allOf" | "oneOf" | "anyOf"
        )
    })
}

fn deprecated(schema: &Value) -> bool {
    schema.get("deprecated") == Some(&Value::Bool(true))
}

/// The JSON type of a value, as `type` names it.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The schema's type other than `null`, or the one its keywords imply.
pub(super) fn primary_type(object: &Map<String, Value>) -> Option<String> {
    match object.get("type") {
        Some(Value::String(ty)) => return Some(ty.clone()),
        Some(Value::Array(types)) => {
            let named: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            return named
                .iter()
                .find(|t| **t != "null")
                .or(named.first())
                .map(|t| (*t).to_owned());
        }
        _ => {}
    }
    let implied = |keys: &[&str]| keys.iter().any(|k| object.contains_key(*k));
    if implied(&[
        "properties",
        "additionalProperties",
        "required",
        "minProperties",
        "maxProperties",
        "patternProperties",
    ]) {
        Some("object".to_owned())
    } else if implied(&["items", "minItems", "maxItems", "uniqueItems", "contains"]) {
        Some("array".to_owned())
    } else if implied(&["minLength", "maxLength", "pattern", "format"]) {
        Some("string".to_owned())
    } else if implied(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        Some("number".to_owned())
    } else {
        None
    }
}

/// A string that meets the schema's `format`, `pattern` and length.
fn string(object: &Map<String, Value>, seed: usize) -> String {
    let format = object.get("format").and_then(Value::as_str);
    let base = match format {
        Some("date-time") => format!("2024-05-0{}T12:00:00Z", 1 + seed % 9),
        Some("date") => format!("2024-05-0{}", 1 + seed % 9),
        Some("time") => format!("12:00:0{}Z", seed % 10),
        Some("email") => format!("user{}@example.com", suffix(seed)),
        Some("uuid") => format!("3fa85f64-5717-4562-b3fc-2c963f66afa{}", seed % 10),
        Some("uri") | Some("url") => format!("https://example.com/{}", suffix(seed)),
        Some("hostname") => format!("host{}.example.com", suffix(seed)),
        Some("ipv4") => format!("192.0.2.{}", 1 + seed % 250),
        Some("ipv6") => format!("2001:db8::{}", 1 + seed % 9),
        _ => match object.get("pattern").and_then(Value::as_str) {
            Some(pattern) => {
                super::pattern::example(pattern, seed).unwrap_or_else(|| "string".to_owned())
            }
            None => format!("string{}", suffix(seed)),
        },
    };
    fit_length(base, object, seed)
}

/// `""` for the first value, then `1`, `2`, …
fn suffix(seed: usize) -> String {
    if seed == 0 {
        String::new()
    } else {
        seed.to_string()
    }
}

/// Pads or cuts `text` to the schema's `minLength` and `maxLength` (in characters).
fn fit_length(text: String, object: &Map<String, Value>, seed: usize) -> String {
    let len = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    let mut chars: Vec<char> = text.chars().collect();
    if let Some(max) = len("maxLength")
        && chars.len() > max
    {
        chars.truncate(max);
        // Keep values of a `uniqueItems` array apart.
        if seed > 0
            && let Some(last) = chars.last_mut()
        {
            *last = char::from(b'a' + u8::try_from(seed % 26).unwrap_or(0));
        }
    }
    if let Some(min) = len("minLength") {
        let min = min.min(4096);
        while chars.len() < min {
            chars.push('x');
        }
    }
    chars.into_iter().collect()
}

/// Bounds of a numeric schema: (lower, lower is exclusive, upper, upper is exclusive).
fn bounds(object: &Map<String, Value>) -> (Option<f64>, bool, Option<f64>, bool) {
    let number = |key: &str| object.get(key).and_then(Value::as_f64);
    let mut low = number("minimum");
    let mut low_excl = false;
    let mut high = number("maximum");
    let mut high_excl = false;
    match object.get("exclusiveMinimum") {
        Some(Value::Bool(true)) => low_excl = true,
        Some(value) => {
            if let Some(n) = value.as_f64()
                && low.is_none_or(|l| n >= l)
            {
                low = Some(n);
                low_excl = true;
            }
        }
        None => {}
    }
    match object.get("exclusiveMaximum") {
        Some(Value::Bool(true)) => high_excl = true,
        Some(value) => {
            if let Some(n) = value.as_f64()
                && high.is_none_or(|h| n <= h)
            {
                high = Some(n);
                high_excl = true;
            }
        }
        None => {}
    }
    (low, low_excl, high, high_excl)
}

/// An integer within the bounds and a multiple of `multipleOf`.
fn integer(object: &Map<String, Value>, seed: usize) -> Value {
    let (low, low_excl, high, high_excl) = bounds(object);
    let step = object
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|m| *m >= 1.0 && m.fract() == 0.0);
    let seed = seed as f64;
    let low = low.map(|l| if low_excl { l.floor() + 1.0 } else { l.ceil() });
    let high = high.map(|h| if high_excl { h.ceil() - 1.0 } else { h.floor() });
    let mut value = match (low, high) {
        (Some(l), _) => l + seed,
        (None, Some(h)) if h < 1.0 + seed => h - seed,
        _ => 1.0 + seed,
    };
    if let Some(step) = step {
        value = (value / step).ceil() * step;
        if high.is_some_and(|h| value > h) {
            value -= step;
        }
    }
    if let Some(h) = high {
        value = value.min(h);
    }
    // An integral f64 within ±2^53 is exact.
    if value.abs() < 9_007_199_254_740_992.0 {
        Value::from(value as i64)
    } else {
        Number::from_f64(value).map_or(Value::from(0), Value::Number)
    }
}

/// A number within the bounds and a multiple of `multipleOf`.
fn number(object: &Map<String, Value>, seed: usize) -> Value {
    let (low, low_excl, high, high_excl) = bounds(object);
    let seed = seed as f64;
    let step = object
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|m| *m > 0.0);
    let mut value = match (low, high) {
        (Some(l), Some(h)) => {
            let candidate = l + 1.5 + seed;
            if candidate < h || (!high_excl && candidate <= h) {
                candidate
            } else {
                (l + h) / 2.0
            }
        }
        (Some(l), None) => l + if low_excl { 1.5 } else { 0.0 } + seed,
        (None, Some(h)) if h <= 1.5 + seed => h - if high_excl { 0.5 } else { 0.0 } - seed,
        _ => 1.5 + seed,
    };
    if let Some(step) = step {
        let mut multiple = (value / step).ceil() * step;
        let too_high = |v: f64| high.is_some_and(|h| v > h || (high_excl && v >= h));
        let too_low = |v: f64| low.is_some_and(|l| v < l || (low_excl && v <= l));
        if too_high(multiple) {
            multiple -= step;
        }
        if too_low(multiple) {
            multiple += step;
        }
        // Rounding noise (0.1 * 3 = 0.30000000000000004) would break `multipleOf`.
        value = (multiple / step).round() * step;
        if step.fract() == 0.0 {
            return Value::from(value as i64);
        }
        let decimals = format!("{step}")
            .split('.')
            .nth(1)
            .map_or(0, str::len)
            .min(12);
        let text = format!("{value:.decimals$}");
        value = text.parse().unwrap_or(value);
    }
    Number::from_f64(value).map_or(Value::from(0), Value::Number)
}

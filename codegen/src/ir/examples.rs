//! A message's own `examples` (AsyncAPI's Message Example Object, 2.x and 3.x alike:
//! `examples: [{name, summary, payload}]`): read into [`Message::examples`], each payload
//! checked against the message's schema when the document is read. An example that does not
//! fit gets a located warning and is left out, so the docs never show a message the server
//! would refuse.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Builder, Message, MessageExample, Schema};
use crate::spec::child;

/// Nesting deeper than this in an example is not followed (a `$ref` cycle in its schema).
const MAX_DEPTH: usize = 64;

/// At most this many schemas are checked for one example (`oneOf`s of `$ref` cycles could
/// otherwise take exponential time); past it, the example is taken as fitting.
const MAX_STEPS: usize = 100_000;

impl Builder<'_> {
    /// Reads the `examples` of the message at `pointer` into the messages at `indexes` (one, or
    /// one per tagged branch: then each example goes to the branch its tag names).
    pub(super) fn read_examples(&mut self, pointer: &str, indexes: &[usize]) {
        let at = child(pointer, "examples");
        let Some(list) = self.doc.get(&at) else {
            return;
        };
        let Some(list) = list.as_array() else {
            self.warn(
                &at,
                "`examples` must be a list of Message Example Objects (`- payload: ...`); it is ignored",
            );
            return;
        };
        for (i, example) in list.iter().enumerate() {
            let example_at = child(&at, &i.to_string());
            let Some(example) = example.as_object() else {
                self.warn(
                    &example_at,
                    "an example must be an object with a `payload`; it is ignored",
                );
                continue;
            };
            let Some(payload) = example.get("payload") else {
                // Headers only: nothing to show for a WebSocket message.
                continue;
            };
            let text = |k: &str| example.get(k).and_then(Value::as_str).map(str::to_owned);
            let example = MessageExample {
                name: text("name"),
                summary: text("summary"),
                payload: payload.clone(),
                pointer: child(&example_at, "payload"),
            };
            let target = if let [index] = indexes {
                Some(*index)
            } else {
                let tag = self.example_tag(&example.payload);
                indexes
                    .iter()
                    .copied()
                    .find(|&i| tag.as_deref() == Some(self.messages[i].tag.as_str()))
            };
            match target {
                Some(index) if !self.messages[index].examples.contains(&example) => {
                    self.messages[index].examples.push(example);
                }
                Some(_) => {}
                None => {
                    let tag_field = self.tag_field.clone();
                    self.warn(
                        &example.pointer,
                        format!("this example's `{tag_field}` names none of the message's branches; it is left out of the docs"),
                    );
                }
            }
        }
    }

    /// The tag of an example payload, where the tag field holds a string.
    fn example_tag(&self, payload: &Value) -> Option<String> {
        let mut value = payload;
        for part in self.tag_field.split('.') {
            value = value.get(part)?;
        }
        value.as_str().map(str::to_owned)
    }

    /// Checks every example against its message's schema, once the definitions are complete;
    /// an example that does not fit gets a warning and is dropped.
    pub(super) fn check_examples(&mut self) {
        for index in 0..self.messages.len() {
            let examples = std::mem::take(&mut self.messages[index].examples);
            let mut kept = vec![];
            for example in examples {
                match self.example_problem(&self.messages[index], &example.payload) {
                    None => kept.push(example),
                    Some(problem) => {
                        let key = self.messages[index].key.clone();
                        self.warn(
                            &example.pointer,
                            format!("this example of message `{key}` does not fit its payload schema: {problem}; it is left out of the docs"),
                        );
                    }
                }
            }
            self.messages[index].examples = kept;
        }
    }

    /// The first problem of an example payload (the whole message as it goes on the wire), or
    /// `None` when it fits.
    fn example_problem(&self, message: &Message, payload: &Value) -> Option<String> {
        let mut payload = payload.clone();
        if message.tagged() && !self.tag_field.contains('.') {
            let Some(object) = payload.as_object_mut() else {
                return Some("it is not an object".to_owned());
            };
            // The tag is not part of the payload schema; it must name this message.
            if let Some(tag) = object.remove(&self.tag_field)
                && tag.as_str() != Some(message.tag.as_str())
            {
                return Some(format!(
                    "its `{}` is {tag}, not \"{}\"",
                    self.tag_field, message.tag
                ));
            }
        }
        if !message.declares_id
            && let Some(id) = &self.id_field
            && let Some(object) = payload.as_object_mut()
        {
            // The correlation id goes on any message.
            object.remove(id);
        }
        let check = Check {
            definitions: &self.definitions,
            steps: std::cell::Cell::new(0),
        };
        check.problem(&message.payload.schema, &payload, "", 0)
    }
}

/// The generation-time check of an example: the keywords that decide the shape of a value
/// (`$ref`, `type`, `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`,
/// bounds, lengths and sizes, `allOf`, `anyOf`, `oneOf`, `not`). `pattern` and `format` are not
/// checked here (the generator has no regular expression engine).
struct Check<'a> {
    definitions: &'a BTreeMap<String, Schema>,
    /// Schemas checked so far (see [`MAX_STEPS`]).
    steps: std::cell::Cell<usize>,
}

impl Check<'_> {
    fn problem(&self, schema: &Value, value: &Value, path: &str, depth: usize) -> Option<String> {
        self.steps.set(self.steps.get() + 1);
        if depth > MAX_DEPTH || self.steps.get() > MAX_STEPS {
            return None;
        }
        let schema = match schema {
            Value::Bool(true) => return None,
            Value::Bool(false) => return Some(format!("{} is not allowed", at(path))),
            Value::Object(schema) => schema,
            _ => return None,
        };
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            let name = target.strip_prefix("#/definitions/")?;
            let def = self.definitions.get(name)?;
            return self.problem(&def.schema, value, path, depth + 1);
        }
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return None;
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
                return Some(format!(
                    "{} is {}, not {}",
                    at(path),
                    type_name(value),
                    types.join(" or ")
                ));
            }
        }
        if let Some(Value::Array(choices)) = schema.get("enum")
            && !choices.iter().any(|c| same(c, value))
        {
            return Some(format!("{} is not one of the `enum` values", at(path)));
        }
        if let Some(constant) = schema.get("const")
            && !same(constant, value)
        {
            return Some(format!("{} is not {constant}", at(path)));
        }
        let number = |k: &str| schema.get(k).and_then(Value::as_f64);
        let count = |k: &str| schema.get(k).and_then(Value::as_u64);
        match value {
            Value::String(s) => {
                let len = s.chars().count() as u64;
                if count("minLength").is_some_and(|n| len < n) {
                    return Some(format!("{} is shorter than `minLength`", at(path)));
                }
                if count("maxLength").is_some_and(|n| len > n) {
                    return Some(format!("{} is longer than `maxLength`", at(path)));
                }
            }
            Value::Number(n) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                let exclusive = |k: &str| schema.get(k) == Some(&Value::Bool(true));
                if let Some(min) = number("minimum")
                    && (n < min || (n == min && exclusive("exclusiveMinimum")))
                {
                    return Some(format!("{} is below `minimum` {min}", at(path)));
                }
                if let Some(max) = number("maximum")
                    && (n > max || (n == max && exclusive("exclusiveMaximum")))
                {
                    return Some(format!("{} is above `maximum` {max}", at(path)));
                }
                if number("exclusiveMinimum").is_some_and(|min| n <= min) {
                    return Some(format!("{} is not above `exclusiveMinimum`", at(path)));
                }
                if number("exclusiveMaximum").is_some_and(|max| n >= max) {
                    return Some(format!("{} is not below `exclusiveMaximum`", at(path)));
                }
                if let Some(divisor) = number("multipleOf")
                    && divisor > 0.0
                {
                    let quotient = n / divisor;
                    if (quotient - quotient.round()).abs() > 1e-9 {
                        return Some(format!("{} is not a multiple of {divisor}", at(path)));
                    }
                }
            }
            Value::Object(object) => {
                if let Some(problem) = self.object(schema, object, path, depth) {
                    return Some(problem);
                }
            }
            Value::Array(items) => {
                let len = items.len() as u64;
                if count("minItems").is_some_and(|n| len < n) {
                    return Some(format!("{} has fewer items than `minItems`", at(path)));
                }
                if count("maxItems").is_some_and(|n| len > n) {
                    return Some(format!("{} has more items than `maxItems`", at(path)));
                }
                match schema.get("items") {
                    Some(Value::Array(tuple)) => {
                        for (i, item) in items.iter().enumerate() {
                            let item_path = format!("{path}/{i}");
                            let problem = match tuple.get(i) {
                                Some(s) => self.problem(s, item, &item_path, depth + 1),
                                None => schema
                                    .get("additionalItems")
                                    .and_then(|s| self.problem(s, item, &item_path, depth + 1)),
                            };
                            if problem.is_some() {
                                return problem;
                            }
                        }
                    }
                    Some(item_schema) => {
                        for (i, item) in items.iter().enumerate() {
                            let problem =
                                self.problem(item_schema, item, &format!("{path}/{i}"), depth + 1);
                            if problem.is_some() {
                                return problem;
                            }
                        }
                    }
                    None => {}
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for s in all {
                if let Some(problem) = self.problem(s, value, path, depth + 1) {
                    return Some(problem);
                }
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                let problems: Vec<Option<String>> = branches
                    .iter()
                    .map(|s| self.problem(s, value, path, depth + 1))
                    .collect();
                let fitting = problems.iter().filter(|p| p.is_none()).count();
                if fitting == 0 {
                    let each: Vec<String> = problems.into_iter().flatten().collect();
                    return Some(format!(
                        "{} fits none of the `{keyword}` branches ({})",
                        at(path),
                        each.join("; ")
                    ));
                }
                if keyword == "oneOf" && fitting > 1 {
                    return Some(format!("{} fits more than one `oneOf` branch", at(path)));
                }
            }
        }
        if let Some(not) = schema.get("not")
            && self.problem(not, value, path, depth + 1).is_none()
        {
            return Some(format!("{} fits the `not` schema", at(path)));
        }
        None
    }

    fn object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<String> {
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    return Some(format!("{} lacks the required `{name}`", at(path)));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let has_patterns = schema.contains_key("patternProperties");
        for (name, value) in object {
            let member = format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"));
            if let Some(s) = properties.and_then(|p| p.get(name)) {
                if let Some(problem) = self.problem(s, value, &member, depth + 1) {
                    return Some(problem);
                }
            } else if !has_patterns && let Some(extra) = schema.get("additionalProperties") {
                if extra == &Value::Bool(false) {
                    return Some(format!("{} is not a property of the schema", at(&member)));
                }
                if let Some(problem) = self.problem(extra, value, &member, depth + 1) {
                    return Some(problem);
                }
            }
        }
        None
    }
}

/// A value's place for a message: `the payload`, or `` `/a/b` ``.
fn at(path: &str) -> String {
    if path.is_empty() {
        "the payload".to_owned()
    } else {
        format!("`{path}`")
    }
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value
            .as_f64()
            .is_some_and(|n| n.fract() == 0.0 && n.is_finite()),
        _ => true,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// JSON equality, with numbers compared by value (`1` and `1.0` are the same).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

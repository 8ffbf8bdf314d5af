//! Turns a schema document into [`Validator`] nodes, and finds keywords it does not enforce.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::{
    Check, Choices, CompileError, Dependency, ENFORCED_KEYWORDS, Extra, Format, Items, Node,
    Pattern, Properties, Schema, Types, Validator, is_annotation_keyword, push_escaped, short_json,
};

/// How deeply schemas may nest inside one another in the document.
const MAX_SCHEMA_DEPTH: usize = 256;

/// How many allowed values an `enum` message lists before it says "and N more".
const ENUM_SHOWN: usize = 5;

type Result<T> = std::result::Result<T, CompileError>;

pub(super) fn compile(document: &Value) -> Result<Validator> {
    let Value::Object(doc) = document else {
        return Err(CompileError::new(
            "",
            r#"the document must be an object {"schema": ..., "definitions": {...}}"#,
        ));
    };
    if !doc.contains_key("schema") {
        return Err(CompileError::new("", r#"the document has no "schema""#));
    }
    let mut c = Compiler {
        document,
        nodes: Vec::new(),
        pointers: Vec::new(),
        targets: HashMap::new(),
        pending: Vec::new(),
    };
    let root = c.target("/schema".into(), "");
    match doc.get("definitions") {
        None => {}
        Some(Value::Object(defs)) => {
            for name in defs.keys() {
                c.target(pointer("/definitions", name), "/definitions");
            }
        }
        Some(_) => {
            return Err(CompileError::new(
                "/definitions",
                "definitions must be an object",
            ));
        }
    }
    while let Some((id, target, site)) = c.pending.pop() {
        let Some(schema) = document.pointer(&target) else {
            return Err(CompileError::new(
                site,
                format!("$ref target #{target} does not exist"),
            ));
        };
        c.fill(id, schema, &target, 0)?;
    }
    c.check_cycles()?;
    Ok(Validator {
        nodes: c.nodes,
        root,
    })
}

/// `base` + `/` + the escaped `token`.
fn pointer(base: &str, token: &str) -> String {
    let mut p = String::from(base);
    p.push('/');
    push_escaped(&mut p, token);
    p
}

struct Compiler<'d> {
    document: &'d Value,
    nodes: Vec<Node>,
    /// Where each node comes from, for errors.
    pointers: Vec<String>,
    /// `$ref` targets (JSON Pointers into the document) and their nodes.
    targets: HashMap<String, usize>,
    /// Targets still to compile: node, target pointer, pointer of the first `$ref` to it.
    pending: Vec<(usize, String, String)>,
}

impl Compiler<'_> {
    /// The node for the schema at `target`, compiled later when it is new.
    fn target(&mut self, target: String, site: &str) -> usize {
        if let Some(&id) = self.targets.get(&target) {
            return id;
        }
        let id = self.reserve(&target);
        self.targets.insert(target.clone(), id);
        self.pending.push((id, target, site.into()));
        id
    }

    fn reserve(&mut self, at: &str) -> usize {
        self.nodes.push(Node::Any);
        self.pointers.push(at.into());
        self.nodes.len() - 1
    }

    /// Resolves a `$ref` found at `site`.
    fn reference(&mut self, r: &str, site: &str) -> Result<usize> {
        let Some(fragment) = r.strip_prefix('#') else {
            return Err(CompileError::new(
                site,
                format!("only local $refs (#/definitions/Name) are supported, not {r:?}"),
            ));
        };
        let fragment = percent_decode(fragment)
            .ok_or_else(|| CompileError::new(site, format!("malformed $ref {r:?}")))?;
        if fragment.is_empty() {
            return Ok(self.target("/schema".into(), site));
        }
        if !fragment.starts_with('/') {
            return Err(CompileError::new(
                site,
                format!("$ref {r:?} is not a JSON Pointer (anchors are not supported)"),
            ));
        }
        if self.document.pointer(&fragment).is_none() {
            return Err(CompileError::new(
                site,
                format!("$ref target {r} does not exist"),
            ));
        }
        Ok(self.target(fragment, site))
    }

    /// Compiles the schema `v` at `at` into a new node.
    fn schema(&mut self, v: &Value, at: &str, depth: usize) -> Result<usize> {
        let id = self.reserve(at);
        self.fill(id, v, at, depth)?;
        Ok(id)
    }

    fn fill(&mut self, id: usize, v: &Value, at: &str, depth: usize) -> Result<()> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(CompileError::new(at, "schemas are nested too deeply"));
        }
        self.nodes[id] = match v {
            Value::Bool(true) => Node::Any,
            Value::Bool(false) => Node::Never,
            Value::Object(m) => {
                let schema = self.keywords(m, at, depth)?;
                if schema.checks.is_empty() {
                    Node::Any
                } else {
                    Node::Schema(schema)
                }
            }
            _ => {
                return Err(CompileError::new(
                    at,
                    "a schema must be an object or a boolean",
                ));
            }
        };
        Ok(())
    }

    /// The checks of one schema object, in the fixed order of the module docs.
    fn keywords(&mut self, m: &Map<String, Value>, at: &str, depth: usize) -> Result<Schema> {
        let kw = |k: &str| pointer(at, k);
        let depth = depth + 1;
        let mut checks = Vec::new();

        let nullable = match m.get("nullable") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(CompileError::new(kw("nullable"), "must be a boolean")),
        };
        if let Some(r) = m.get("$ref") {
            let site = kw("$ref");
            let r = r
                .as_str()
                .ok_or_else(|| CompileError::new(&site, "$ref must be a string"))?;
            checks.push(Check::Ref(self.reference(r, &site)?));
            // Draft-07: the keywords beside `$ref` are ignored.
            return Ok(Schema { nullable, checks });
        }
        if let Some(t) = m.get("type") {
            checks.push(Check::Type(types(t, &kw("type"))?));
        }
        if let Some(e) = m.get("enum") {
            let Value::Array(values) = e else {
                return Err(CompileError::new(kw("enum"), "must be an array"));
            };
            checks.push(Check::Enum(Box::new(Choices {
                message: enum_message(values),
                values: values.clone(),
            })));
        }
        if let Some(c) = m.get("const") {
            checks.push(Check::Const(Box::new(Choices {
                message: format!("must be equal to {}", short_json(c)),
                values: vec![c.clone()],
            })));
        }

        // Strings.
        if let Some(n) = count(m, "minLength", at)? {
            checks.push(Check::MinLength(n));
        }
        if let Some(n) = count(m, "maxLength", at)? {
            checks.push(Check::MaxLength(n));
        }
        if let Some(p) = m.get("pattern") {
            let source = p
                .as_str()
                .ok_or_else(|| CompileError::new(kw("pattern"), "must be a string"))?;
            checks.push(Check::Pattern(Box::new(Pattern {
                regex: regex(source, &kw("pattern"))?,
                source: source.into(),
            })));
        }
        if let Some(f) = m.get("format") {
            let name = f
                .as_str()
                .ok_or_else(|| CompileError::new(kw("format"), "must be a string"))?;
            if let Some(format) = Format::from_name(name) {
                checks.push(Check::Format(format));
            }
        }

        // Numbers.
        let exclusive_flag = |key: &str| matches!(m.get(key), Some(Value::Bool(true)));
        if let Some(limit) = number(m, "minimum", at)? {
            let exclusive = exclusive_flag("exclusiveMinimum");
            checks.push(Check::Lower { limit, exclusive });
        }
        if let Some(limit) = exclusive_number(m, "exclusiveMinimum", at)? {
            checks.push(Check::Lower {
                limit,
                exclusive: true,
            });
        }
        if let Some(limit) = number(m, "maximum", at)? {
            let exclusive = exclusive_flag("exclusiveMaximum");
            checks.push(Check::Upper { limit, exclusive });
        }
        if let Some(limit) = exclusive_number(m, "exclusiveMaximum", at)? {
            checks.push(Check::Upper {
                limit,
                exclusive: true,
            });
        }
        if let Some(d) = number(m, "multipleOf", at)? {
            if !d.as_f64().is_some_and(|f| f > 0.0) {
                return Err(CompileError::new(
                    kw("multipleOf"),
                    "must be greater than 0",
                ));
            }
            checks.push(Check::MultipleOf(d));
        }

        // Objects.
        match m.get("required") {
            // Draft-03's boolean `required` asserts nothing here.
            None | Some(Value::Bool(_)) => {}
            Some(Value::Array(names)) => {
                let names = names
                    .iter()
                    .map(|n| n.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        CompileError::new(kw("required"), "must be an array of strings")
                    })?;
                if !names.is_empty() {
                    checks.push(Check::Required(names));
                }
            }
            Some(_) => {
                return Err(CompileError::new(
                    kw("required"),
                    "must be an array of strings",
                ));
            }
        }
        if let Some(n) = count(m, "minProperties", at)? {
            checks.push(Check::MinProperties(n));
        }
        if let Some(n) = count(m, "maxProperties", at)? {
            checks.push(Check::MaxProperties(n));
        }
        if let Some(s) = m.get("propertyNames") {
            checks.push(Check::PropertyNames(self.schema(
                s,
                &kw("propertyNames"),
                depth,
            )?));
        }
        match m.get("dependencies") {
            None => {}
            Some(Value::Object(map)) => {
                let base = kw("dependencies");
                let mut dependencies = Vec::new();
                // Sorted by name, as `patternProperties` are.
                let mut map: Vec<(&String, &Value)> = map.iter().collect();
                map.sort_by(|a, b| a.0.cmp(b.0));
                for (name, value) in map {
                    let at = pointer(&base, name);
                    let dependency = match value {
                        Value::Array(names) => Dependency::Required(
                            names
                                .iter()
                                .map(|n| n.as_str().map(String::from))
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| {
                                    CompileError::new(&at, "must be an array of strings")
                                })?,
                        ),
                        schema => Dependency::Schema(self.schema(schema, &at, depth)?),
                    };
                    dependencies.push((name.clone(), dependency));
                }
                if !dependencies.is_empty() {
                    checks.push(Check::Dependencies(dependencies));
                }
            }
            Some(_) => return Err(CompileError::new(kw("dependencies"), "must be an object")),
        }
        let props = m.get("properties");
        let pattern_props = m.get("patternProperties");
        let additional = m.get("additionalProperties");
        if props.is_some() || pattern_props.is_some() || additional.is_some() {
            let mut named = Vec::new();
            if let Some(p) = props {
                let Value::Object(p) = p else {
                    return Err(CompileError::new(kw("properties"), "must be an object"));
                };
                let base = kw("properties");
                for (name, s) in p {
                    named.push((name.clone(), self.schema(s, &pointer(&base, name), depth)?));
                }
                named.sort_by(|a, b| a.0.cmp(&b.0));
            }
            let mut patterns = Vec::new();
            if let Some(p) = pattern_props {
                let Value::Object(p) = p else {
                    return Err(CompileError::new(
                        kw("patternProperties"),
                        "must be an object",
                    ));
                };
                let base = kw("patternProperties");
                // Sorted, so that violations come in the same order whatever serde_json's map
                // order (see `Members` in validate.rs).
                let mut p: Vec<(&String, &Value)> = p.iter().collect();
                p.sort_by(|a, b| a.0.cmp(b.0));
                for (source, s) in p {
                    let at = pointer(&base, source);
                    patterns.push((regex(source, &at)?, self.schema(s, &at, depth)?));
                }
            }
            let additional = self.extra(additional, &kw("additionalProperties"), depth)?;
            if !named.is_empty() || !patterns.is_empty() || !matches!(additional, Extra::Allow) {
                checks.push(Check::Properties(Box::new(Properties {
                    named,
                    patterns,
                    additional,
                })));
            }
        }

        // Arrays.
        if let Some(n) = count(m, "minItems", at)? {
            checks.push(Check::MinItems(n));
        }
        if let Some(n) = count(m, "maxItems", at)? {
            checks.push(Check::MaxItems(n));
        }
        match m.get("uniqueItems") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => checks.push(Check::UniqueItems),
            Some(_) => return Err(CompileError::new(kw("uniqueItems"), "must be a boolean")),
        }
        match m.get("items") {
            None => {}
            Some(Value::Array(list)) => {
                let base = kw("items");
                let items = list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| self.schema(s, &pointer(&base, &i.to_string()), depth))
                    .collect::<Result<Vec<_>>>()?;
                let additional =
                    self.extra(m.get("additionalItems"), &kw("additionalItems"), depth)?;
                checks.push(Check::Items(Box::new(Items::Tuple { items, additional })));
            }
            Some(s) => checks.push(Check::Items(Box::new(Items::All(self.schema(
                s,
                &kw("items"),
                depth,
            )?)))),
        }
        if let Some(s) = m.get("contains") {
            checks.push(Check::Contains(self.schema(s, &kw("contains"), depth)?));
        }

        // Composition.
        for (key, make) in [
            ("allOf", Check::AllOf as fn(Vec<usize>) -> Check),
            ("anyOf", Check::AnyOf),
            ("oneOf", Check::OneOf),
        ] {
            if let Some(list) = m.get(key) {
                let base = kw(key);
                let list = match list {
                    Value::Array(list) if !list.is_empty() => list,
                    _ => return Err(CompileError::new(base, "must be a non-empty array")),
                };
                let branches = list
                    .iter()
                    .enumerate()
                    .map(|(i, s)| self.schema(s, &pointer(&base, &i.to_string()), depth))
                    .collect::<Result<Vec<_>>>()?;
                checks.push(make(branches));
            }
        }
        if let Some(s) = m.get("not") {
            checks.push(Check::Not(self.schema(s, &kw("not"), depth)?));
        }
        if let Some(s) = m.get("if") {
            let cond = self.schema(s, &kw("if"), depth)?;
            let then = match m.get("then") {
                Some(s) => Some(self.schema(s, &kw("then"), depth)?),
                None => None,
            };
            let otherwise = match m.get("else") {
                Some(s) => Some(self.schema(s, &kw("else"), depth)?),
                None => None,
            };
            if then.is_some() || otherwise.is_some() {
                checks.push(Check::If {
                    cond,
                    then,
                    otherwise,
                });
            }
        }

        Ok(Schema { nullable, checks })
    }

    /// `additionalProperties` / `additionalItems`.
    fn extra(&mut self, v: Option<&Value>, at: &str, depth: usize) -> Result<Extra> {
        Ok(match v {
            None | Some(Value::Bool(true)) => Extra::Allow,
            Some(Value::Bool(false)) => Extra::Forbid,
            Some(s) => Extra::Schema(self.schema(s, at, depth)?),
        })
    }

    /// Rejects a cycle of `$ref` / `allOf` / `anyOf` / `oneOf` / `not` / `if` that checks the
    /// same value forever.
    fn check_cycles(&self) -> Result<()> {
        let same_value = |id: usize| -> Vec<usize> {
            let Node::Schema(s) = &self.nodes[id] else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for check in &s.checks {
                match check {
                    Check::Ref(t) | Check::Not(t) => out.push(*t),
                    Check::Dependencies(d) => out.extend(d.iter().filter_map(|(_, d)| match d {
                        Dependency::Schema(id) => Some(*id),
                        Dependency::Required(_) => None,
                    })),
                    Check::AllOf(b) | Check::AnyOf(b) | Check::OneOf(b) => out.extend(b),
                    Check::If {
                        cond,
                        then,
                        otherwise,
                    } => {
                        out.push(*cond);
                        out.extend(then);
                        out.extend(otherwise);
                    }
                    _ => {}
                }
            }
            out
        };
        // 0: not seen, 1: on the current path, 2: done.
        let mut state = vec![0u8; self.nodes.len()];
        for start in 0..self.nodes.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, same_value(start), 0usize)];
            state[start] = 1;
            while let Some((id, next, i)) = stack.last_mut() {
                if let Some(&n) = next.get(*i) {
                    *i += 1;
                    match state[n] {
                        0 => {
                            state[n] = 1;
                            stack.push((n, same_value(n), 0));
                        }
                        1 => {
                            return Err(CompileError::new(
                                self.pointers[*id].clone(),
                                "this schema refers back to itself without descending into \
                                 the value (a $ref cycle)",
                            ));
                        }
                        _ => {}
                    }
                } else {
                    state[*id] = 2;
                    stack.pop();
                }
            }
        }
        Ok(())
    }
}

fn types(t: &Value, at: &str) -> Result<Types> {
    let bit = |name: &Value| {
        name.as_str().and_then(Types::bit).ok_or_else(|| {
            CompileError::new(
                at,
                format!(
                    "unknown type {}: expected string, integer, number, boolean, object, array \
                     or null",
                    short_json(name)
                ),
            )
        })
    };
    match t {
        Value::Array(list) if list.is_empty() => Err(CompileError::new(at, "must not be empty")),
        Value::Array(list) => list
            .iter()
            .try_fold(0, |acc, name| Ok(acc | bit(name)?))
            .map(Types),
        name => bit(name).map(Types),
    }
}

fn enum_message(values: &[Value]) -> String {
    if values.is_empty() {
        return "no value is allowed (the enum is empty)".into();
    }
    if values.len() == 1 {
        return format!("must be {}", short_json(&values[0]));
    }
    let shown: Vec<String> = values.iter().take(ENUM_SHOWN).map(short_json).collect();
    let mut message = format!("must be one of {}", shown.join(", "));
    if values.len() > ENUM_SHOWN {
        message.push_str(&format!(", … ({} more)", values.len() - ENUM_SHOWN));
    }
    message
}

fn regex(source: &str, at: &str) -> Result<regress::Regex> {
    super::check::regex(source)
        .map_err(|e| CompileError::new(at, format!("invalid pattern {source:?}: {e}")))
}

/// A non-negative integer keyword (`3` or `3.0`).
fn count(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>> {
    let Some(v) = m.get(key) else { return Ok(None) };
    let n = v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 18_446_744_073_709_551_616.0)
            .map(|f| f as u64)
    });
    n.map(Some)
        .ok_or_else(|| CompileError::new(pointer(at, key), "must be a non-negative integer"))
}

fn number(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<Number>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(_) => Err(CompileError::new(pointer(at, key), "must be a number")),
    }
}

/// `exclusiveMinimum` / `exclusiveMaximum`: a number (draft-06+), or a boolean that modifies
/// `minimum` / `maximum` (draft-04).
fn exclusive_number(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<Number>> {
    match m.get(key) {
        None | Some(Value::Bool(_)) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(_) => Err(CompileError::new(
            pointer(at, key),
            "must be a number (or a boolean next to minimum/maximum)",
        )),
    }
}

/// Decodes `%XX` escapes of a URI fragment; `None` when they are malformed or not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.into());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Keywords in `document` (a [`Validator::compile`] document) that are neither enforced nor
/// annotations, as `(JSON Pointer of the schema, keyword)`, in document order.
///
/// The validator accepts and ignores them (for example `dependentRequired`, `minContains`,
/// `unevaluatedProperties`, or a misspelled `maxLenght`); code generators can warn about them.
/// `format` values other than the checked ones are annotations and are not listed.
pub fn unenforced_keywords(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(schema) = document.get("schema") {
        walk(schema, "/schema", 0, &mut out);
    }
    if let Some(Value::Object(defs)) = document.get("definitions") {
        for (name, schema) in defs {
            walk(schema, &pointer("/definitions", name), 0, &mut out);
        }
    }
    out
}

fn walk(schema: &Value, at: &str, depth: usize, out: &mut Vec<(String, String)>) {
    let Value::Object(m) = schema else { return };
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let depth = depth + 1;
    for (key, value) in m {
        let here = pointer(at, key);
        match key.as_str() {
            // One subschema.
            "additionalProperties"
            | "propertyNames"
            | "additionalItems"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else" => walk(value, &here, depth, out),
            "dependencies" => {
                if let Value::Object(map) = value {
                    for (name, s) in map {
                        walk(s, &pointer(&here, name), depth, out);
                    }
                }
            }
            "items" => match value {
                Value::Array(list) => {
                    for (i, s) in list.iter().enumerate() {
                        walk(s, &pointer(&here, &i.to_string()), depth, out);
                    }
                }
                s => walk(s, &here, depth, out),
            },
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(list) = value {
                    for (i, s) in list.iter().enumerate() {
                        walk(s, &pointer(&here, &i.to_string()), depth, out);
                    }
                }
            }
            // Maps of subschemas.
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(map) = value {
                    for (name, s) in map {
                        walk(s, &pointer(&here, name), depth, out);
                    }
                }
            }
            k if ENFORCED_KEYWORDS.contains(&k) || is_annotation_keyword(k) => {}
            k => out.push((at.to_string(), k.to_string())),
        }
    }
}

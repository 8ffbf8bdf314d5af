//! Outgoing checks for the TypeScript client, generated as code.
//!
//! The server lists every violation of a received message with its validator
//! (`socketsundso::validate`). The client must refuse the same messages with the same error
//! object, so this module compiles each payload schema the way that validator does (same nodes,
//! same fixed keyword order, same messages) into TypeScript functions, one per schema node:
//!
//! - `v<N>(v, c, d)` checks value `v` at depth `d`; with a collector `c` it records every
//!   violation, without one (`null`) it stops at the first;
//! - `k<N>(v, b)` is the node's "candidate" test that picks which `anyOf`/`oneOf` branch a value
//!   was meant for, and `q<N>(b)` the one value a node allows, both with the validator's budget.
//!
//! The helpers they call (`fail`, `props`, `items`, the formats, ...) are part of the client
//! template. A test feeds the same invalid messages to these checks and to the Rust server and
//! compares the violations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::{js_string, json_lit};
use crate::error::{Error, Result};

/// How many allowed values an `enum` message lists before it says "and N more" (as the
/// validator does).
const ENUM_SHOWN: usize = 5;

/// The JSON type bits, as the validator numbers them.
const TYPE_BITS: [(&str, u8, &str); 7] = [
    ("string", 1, "a string"),
    ("integer", 2, "an integer"),
    ("number", 4, "a number"),
    ("boolean", 8, "a boolean"),
    ("object", 16, "an object"),
    ("array", 32, "an array"),
    ("null", 64, "null"),
];

/// One compiled schema node.
enum Node {
    Any,
    Never,
    Schema { nullable: bool, checks: Vec<Check> },
}

enum Check {
    Ref(usize),
    Type(u8),
    Enum(Vec<Value>, String),
    Const(Value, String),
    MinLength(u64),
    MaxLength(u64),
    /// The index of the pattern in [`Compiler::patterns`], and its source.
    Pattern(usize, String),
    Format(&'static str, &'static str),
    Lower(Number, bool),
    Upper(Number, bool),
    MultipleOf(Number),
    Required(Vec<String>),
    MinProperties(u64),
    MaxProperties(u64),
    PropertyNames(usize),
    /// Per property name (sorted), the fields it requires or the node the object must match.
    Dependencies(Vec<(String, Dependency)>),
    Properties {
        named: Vec<(String, usize)>,
        /// Indexes into [`Compiler::patterns`], and the nodes of their values.
        patterns: Vec<(usize, usize)>,
        additional: Extra,
    },
    MinItems(u64),
    MaxItems(u64),
    UniqueItems,
    Items(usize),
    Tuple(Vec<usize>, Extra),
    Contains(usize),
    AllOf(Vec<usize>),
    AnyOf(Vec<usize>),
    OneOf(Vec<usize>),
    Not(usize),
    If(usize, Option<usize>, Option<usize>),
}

enum Dependency {
    Required(Vec<String>),
    Schema(usize),
}

#[derive(Clone, Copy)]
enum Extra {
    Allow,
    Forbid,
    Schema(usize),
}

/// Compiles schemas into TypeScript check functions.
pub(super) struct Compiler<'a> {
    definitions: &'a BTreeMap<String, crate::ir::Schema>,
    nodes: Vec<Node>,
    pointers: Vec<String>,
    /// Definition name → node.
    defs: BTreeMap<String, usize>,
    /// Every regular expression, compiled once (`RE<index>`).
    patterns: Vec<String>,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(definitions: &'a BTreeMap<String, crate::ir::Schema>) -> Self {
        Compiler {
            definitions,
            nodes: vec![],
            pointers: vec![],
            defs: BTreeMap::new(),
            patterns: vec![],
        }
    }

    /// Compiles a payload schema (found at `pointer` in the spec); returns its node.
    pub(super) fn root(&mut self, schema: &Value, pointer: &str) -> Result<usize> {
        self.schema(schema, pointer, 0)
    }

    /// The index of `source` among the patterns.
    fn pattern(&mut self, source: &str) -> usize {
        match self.patterns.iter().position(|p| p == source) {
            Some(i) => i,
            None => {
                self.patterns.push(source.to_owned());
                self.patterns.len() - 1
            }
        }
    }

    fn reserve(&mut self, pointer: &str) -> usize {
        self.nodes.push(Node::Any);
        self.pointers.push(pointer.to_owned());
        self.nodes.len() - 1
    }

    fn schema(&mut self, v: &Value, at: &str, depth: usize) -> Result<usize> {
        let id = self.reserve(at);
        self.nodes[id] = self.node(v, at, depth)?;
        Ok(id)
    }

    fn definition(&mut self, name: &str, at: &str) -> Result<usize> {
        if let Some(&id) = self.defs.get(name) {
            return Ok(id);
        }
        let Some(def) = self.definitions.get(name) else {
            return Err(bad(at, format!("$ref to unknown definition `{name}`")));
        };
        let id = self.reserve(&def.pointer);
        self.defs.insert(name.to_owned(), id);
        self.nodes[id] = self.node(&def.schema, &def.pointer, 0)?;
        Ok(id)
    }

    fn node(&mut self, v: &Value, at: &str, depth: usize) -> Result<Node> {
        if depth > 256 {
            return Err(bad(at, "schemas are nested too deeply"));
        }
        Ok(match v {
            Value::Bool(true) => Node::Any,
            Value::Bool(false) => Node::Never,
            Value::Object(m) => {
                let (nullable, checks) = self.keywords(m, at, depth + 1)?;
                if checks.is_empty() {
                    Node::Any
                } else {
                    Node::Schema { nullable, checks }
                }
            }
            _ => return Err(bad(at, "a schema must be an object or a boolean")),
        })
    }

    /// The checks of one schema object, in the validator's fixed keyword order.
    fn keywords(
        &mut self,
        m: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<(bool, Vec<Check>)> {
        let mut checks = vec![];
        let nullable = matches!(m.get("nullable"), Some(Value::Bool(true)));
        if let Some(r) = m.get("$ref") {
            let name = r
                .as_str()
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .ok_or_else(|| bad(at, format!("unexpected $ref {r}")))?;
            checks.push(Check::Ref(self.definition(name, at)?));
            // Draft-07: the keywords beside `$ref` are ignored (OpenAPI's `nullable` is not).
            return Ok((nullable, checks));
        }
        if let Some(t) = m.get("type") {
            let names: Vec<&Value> = match t {
                Value::Array(list) => list.iter().collect(),
                one => vec![one],
            };
            let mut bits = 0;
            for name in names {
                bits |= TYPE_BITS
                    .iter()
                    .find(|(n, _, _)| Some(*n) == name.as_str())
                    .map(|(_, b, _)| *b)
                    .ok_or_else(|| bad(at, format!("unknown type {name}")))?;
            }
            checks.push(Check::Type(bits));
        }
        if let Some(e) = m.get("enum") {
            let values = e
                .as_array()
                .ok_or_else(|| bad(at, "enum must be an array"))?;
            checks.push(Check::Enum(values.clone(), enum_message(values)));
        }
        if let Some(c) = m.get("const") {
            checks.push(Check::Const(
                c.clone(),
                format!("must be equal to {}", short_json(c)),
            ));
        }
        if let Some(n) = count(m, "minLength", at)? {
            checks.push(Check::MinLength(n));
        }
        if let Some(n) = count(m, "maxLength", at)? {
            checks.push(Check::MaxLength(n));
        }
        if let Some(p) = m.get("pattern") {
            let p = p
                .as_str()
                .ok_or_else(|| bad(at, "pattern must be a string"))?;
            checks.push(Check::Pattern(self.pattern(p), p.to_owned()));
        }
        if let Some(f) = m.get("format").and_then(Value::as_str) {
            let known = match f {
                "date-time" => Some(("isDateTime", "must be a valid RFC 3339 date-time")),
                "ipv4" => Some(("isIpv4", "must be a valid IPv4 address")),
                "ipv6" => Some(("isIpv6", "must be a valid IPv6 address")),
                "date" => Some(("isDate", "must be a valid date (YYYY-MM-DD)")),
                "email" => Some(("isEmail", "must be a valid email address")),
                "uuid" => Some(("isUuid", "must be a valid UUID")),
                "uri" => Some(("isUri", "must be a valid URI")),
                _ => None,
            };
            if let Some((function, message)) = known {
                checks.push(Check::Format(function, message));
            }
        }
        let flag = |key: &str| matches!(m.get(key), Some(Value::Bool(true)));
        if let Some(n) = number(m, "minimum") {
            checks.push(Check::Lower(n, flag("exclusiveMinimum")));
        }
        if let Some(n) = number(m, "exclusiveMinimum") {
            checks.push(Check::Lower(n, true));
        }
        if let Some(n) = number(m, "maximum") {
            checks.push(Check::Upper(n, flag("exclusiveMaximum")));
        }
        if let Some(n) = number(m, "exclusiveMaximum") {
            checks.push(Check::Upper(n, true));
        }
        if let Some(n) = number(m, "multipleOf") {
            checks.push(Check::MultipleOf(n));
        }
        if let Some(Value::Array(names)) = m.get("required") {
            let names: Vec<String> = names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect();
            if !names.is_empty() {
                checks.push(Check::Required(names));
            }
        }
        if let Some(n) = count(m, "minProperties", at)? {
            checks.push(Check::MinProperties(n));
        }
        if let Some(n) = count(m, "maxProperties", at)? {
            checks.push(Check::MaxProperties(n));
        }
        if let Some(s) = m.get("propertyNames") {
            let id = self.schema(s, &format!("{at}/propertyNames"), depth)?;
            checks.push(Check::PropertyNames(id));
        }
        if let Some(Value::Object(map)) = m.get("dependencies") {
            let mut map: Vec<(&String, &Value)> = map.iter().collect();
            map.sort_by(|a, b| a.0.cmp(b.0));
            let mut dependencies = vec![];
            for (name, value) in map {
                let dependency = match value {
                    Value::Array(names) => Dependency::Required(
                        names
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect(),
                    ),
                    schema => Dependency::Schema(self.schema(
                        schema,
                        &format!("{at}/dependencies/{}", escape(name)),
                        depth,
                    )?),
                };
                dependencies.push((name.clone(), dependency));
            }
            if !dependencies.is_empty() {
                checks.push(Check::Dependencies(dependencies));
            }
        }
        let props = m.get("properties").and_then(Value::as_object);
        let patterns = m.get("patternProperties").and_then(Value::as_object);
        let additional = m.get("additionalProperties");
        if props.is_some() || patterns.is_some() || additional.is_some() {
            let mut named = vec![];
            for (name, s) in props.into_iter().flatten() {
                let id = self.schema(s, &format!("{at}/properties/{}", escape(name)), depth)?;
                named.push((name.clone(), id));
            }
            named.sort_by(|a, b| a.0.cmp(&b.0));
            let mut pattern_list = vec![];
            // Sorted by source, as the validator takes them.
            let mut patterns: Vec<(&String, &Value)> = patterns.into_iter().flatten().collect();
            patterns.sort_by(|a, b| a.0.cmp(b.0));
            for (source, s) in patterns {
                let id = self.schema(
                    s,
                    &format!("{at}/patternProperties/{}", escape(source)),
                    depth,
                )?;
                pattern_list.push((self.pattern(source), id));
            }
            let additional =
                self.extra(additional, &format!("{at}/additionalProperties"), depth)?;
            if !named.is_empty() || !pattern_list.is_empty() || !matches!(additional, Extra::Allow)
            {
                checks.push(Check::Properties {
                    named,
                    patterns: pattern_list,
                    additional,
                });
            }
        }
        if let Some(n) = count(m, "minItems", at)? {
            checks.push(Check::MinItems(n));
        }
        if let Some(n) = count(m, "maxItems", at)? {
            checks.push(Check::MaxItems(n));
        }
        if matches!(m.get("uniqueItems"), Some(Value::Bool(true))) {
            checks.push(Check::UniqueItems);
        }
        match m.get("items") {
            None => {}
            Some(Value::Array(list)) => {
                let mut items = vec![];
                for (i, s) in list.iter().enumerate() {
                    items.push(self.schema(s, &format!("{at}/items/{i}"), depth)?);
                }
                let additional = self.extra(
                    m.get("additionalItems"),
                    &format!("{at}/additionalItems"),
                    depth,
                )?;
                checks.push(Check::Tuple(items, additional));
            }
            Some(s) => {
                let id = self.schema(s, &format!("{at}/items"), depth)?;
                checks.push(Check::Items(id));
            }
        }
        if let Some(s) = m.get("contains") {
            let id = self.schema(s, &format!("{at}/contains"), depth)?;
            checks.push(Check::Contains(id));
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = m.get(key) {
                let list = list
                    .as_array()
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| bad(at, format!("{key} must be a non-empty array")))?;
                let mut branches = vec![];
                for (i, s) in list.iter().enumerate() {
                    branches.push(self.schema(s, &format!("{at}/{key}/{i}"), depth)?);
                }
                checks.push(match key {
                    "allOf" => Check::AllOf(branches),
                    "anyOf" => Check::AnyOf(branches),
                    _ => Check::OneOf(branches),
                });
            }
        }
        if let Some(s) = m.get("not") {
            let id = self.schema(s, &format!("{at}/not"), depth)?;
            checks.push(Check::Not(id));
        }
        if let Some(s) = m.get("if") {
            let cond = self.schema(s, &format!("{at}/if"), depth)?;
            let then = match m.get("then") {
                Some(s) => Some(self.schema(s, &format!("{at}/then"), depth)?),
                None => None,
            };
            let otherwise = match m.get("else") {
                Some(s) => Some(self.schema(s, &format!("{at}/else"), depth)?),
                None => None,
            };
            if then.is_some() || otherwise.is_some() {
                checks.push(Check::If(cond, then, otherwise));
            }
        }
        Ok((nullable, checks))
    }

    fn extra(&mut self, v: Option<&Value>, at: &str, depth: usize) -> Result<Extra> {
        Ok(match v {
            None | Some(Value::Bool(true)) => Extra::Allow,
            Some(Value::Bool(false)) => Extra::Forbid,
            Some(s) => Extra::Schema(self.schema(s, at, depth)?),
        })
    }

    /// The expression that checks `value` against node `id` at depth `depth`.
    pub(super) fn call(&self, id: usize, value: &str, col: &str, depth: &str) -> String {
        match self.nodes[id] {
            Node::Any => "true".to_owned(),
            Node::Never => format!("failWith({col}, \"not_allowed\", \"not allowed here\")"),
            Node::Schema { .. } => format!("v{id}({value}, {col}, {depth})"),
        }
    }

    /// A function value for node `id` (for the helpers that take one).
    pub(super) fn call_function(&self, id: usize) -> String {
        match self.nodes[id] {
            Node::Any => "anyValue".to_owned(),
            Node::Never => "noValue".to_owned(),
            Node::Schema { .. } => format!("v{id}"),
        }
    }

    /// The TypeScript code of every node's functions.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        for (i, source) in self.patterns.iter().enumerate() {
            let _ = writeln!(out, "const RE{i} = patternOf({});", js_string(source));
        }
        if !self.patterns.is_empty() {
            out.push('\n');
        }
        for (id, node) in self.nodes.iter().enumerate() {
            let Node::Schema { nullable, checks } = node else {
                continue;
            };
            let _ = writeln!(out, "/** `{}` */", self.pointers[id].replace("*/", "*\\/"));
            let _ = writeln!(
                out,
                "function v{id}(v: unknown, c: Collector | null, d: number): boolean {{"
            );
            out.push_str("  if (d > MAX_DEPTH) return tooDeep(c);\n");
            if *nullable {
                out.push_str("  if (v === null) return true;\n");
            }
            let single = checks.len() == 1;
            if !single {
                out.push_str("  let ok = true;\n");
            }
            for check in checks {
                let expr = self.check(check);
                if single {
                    let _ = writeln!(out, "  return {expr};");
                } else if matches!(check, Check::Type(_)) {
                    // A wrong type makes the other keywords moot: stop here.
                    let _ = writeln!(out, "  if (!{expr}) return false;");
                } else {
                    let _ = writeln!(
                        out,
                        "  if (!{expr}) {{\n    if (c === null) return false;\n    ok = false;\n  }}"
                    );
                }
            }
            if !single {
                out.push_str("  return ok;\n");
            }
            out.push_str("}\n\n");
        }
        for id in self.candidates() {
            out.push_str(&self.candidate_functions(id));
        }
        out
    }

    fn check(&self, check: &Check) -> String {
        match check {
            Check::Ref(id) => self.call(*id, "v", "c", "d"),
            Check::Type(bits) => {
                format!("hasType(v, {bits}, c, {})", js_string(&expected(*bits)))
            }
            Check::Enum(values, message) => format!(
                "oneOfValues(v, {}, c, \"enum\", {})",
                json_lit(&Value::Array(values.clone())),
                js_string(message)
            ),
            Check::Const(value, message) => format!(
                "oneOfValues(v, [{}], c, \"const\", {})",
                json_lit(value),
                js_string(message)
            ),
            Check::MinLength(n) => format!(
                "minLengthOf(v, {n}, c, {})",
                js_string(&format!(
                    "must be at least {}",
                    plural(*n, "character", "characters")
                ))
            ),
            Check::MaxLength(n) => format!(
                "maxLengthOf(v, {n}, c, {})",
                js_string(&format!(
                    "must be at most {}",
                    plural(*n, "character", "characters")
                ))
            ),
            Check::Pattern(i, source) => format!(
                "hasPattern(v, RE{i}, c, {})",
                js_string(&format!("must match pattern {source}"))
            ),
            Check::Format(function, message) => {
                format!("hasFormat(v, {function}, c, {})", js_string(message))
            }
            Check::Lower(n, exclusive) => {
                let (kind, op) = if *exclusive {
                    ("exclusive_minimum", ">")
                } else {
                    ("minimum", "≥")
                };
                format!(
                    "lowerBound(v, {}, {exclusive}, c, \"{kind}\", {})",
                    js_number(n),
                    js_string(&format!("must be {op} {n}"))
                )
            }
            Check::Upper(n, exclusive) => {
                let (kind, op) = if *exclusive {
                    ("exclusive_maximum", "<")
                } else {
                    ("maximum", "≤")
                };
                format!(
                    "upperBound(v, {}, {exclusive}, c, \"{kind}\", {})",
                    js_number(n),
                    js_string(&format!("must be {op} {n}"))
                )
            }
            Check::MultipleOf(n) => format!(
                "multipleOfNumber(v, {}, c, {})",
                js_number(n),
                js_string(&format!("must be a multiple of {n}"))
            ),
            Check::Required(names) => {
                let names: Vec<String> = names.iter().map(|n| js_string(n)).collect();
                format!("hasRequired(v, [{}], c)", names.join(", "))
            }
            Check::MinProperties(n) => format!(
                "minPropertiesOf(v, {n}, c, {})",
                js_string(&format!(
                    "must have at least {}",
                    plural(*n, "property", "properties")
                ))
            ),
            Check::MaxProperties(n) => format!(
                "maxPropertiesOf(v, {n}, c, {})",
                js_string(&format!(
                    "must have at most {}",
                    plural(*n, "property", "properties")
                ))
            ),
            Check::Dependencies(dependencies) => {
                let list: Vec<String> = dependencies
                    .iter()
                    .map(|(name, dependency)| {
                        let then = match dependency {
                            Dependency::Required(names) => format!(
                                "[{}]",
                                names
                                    .iter()
                                    .map(|n| js_string(n))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            Dependency::Schema(id) => self.call_function(*id),
                        };
                        format!("[{}, {then}]", js_string(name))
                    })
                    .collect();
                format!("dependenciesOf(v, [{}], c, d)", list.join(", "))
            }
            Check::PropertyNames(id) => {
                format!("propertyNamesOf(v, {}, c, d)", self.call_function(*id))
            }
            Check::Properties {
                named,
                patterns,
                additional,
            } => {
                let named: Vec<String> = named
                    .iter()
                    .map(|(name, id)| format!("[{}, {}]", js_string(name), self.call_function(*id)))
                    .collect();
                let patterns: Vec<String> = patterns
                    .iter()
                    .map(|(i, id)| format!("[RE{i}, {}]", self.call_function(*id)))
                    .collect();
                format!(
                    "objectProperties(v, new Map([{}]), [{}], {}, c, d)",
                    named.join(", "),
                    patterns.join(", "),
                    self.extra_lit(*additional)
                )
            }
            Check::MinItems(n) => format!(
                "minItemsOf(v, {n}, c, {})",
                js_string(&format!(
                    "must have at least {}",
                    plural(*n, "item", "items")
                ))
            ),
            Check::MaxItems(n) => format!(
                "maxItemsOf(v, {n}, c, {})",
                js_string(&format!(
                    "must have at most {}",
                    plural(*n, "item", "items")
                ))
            ),
            Check::UniqueItems => "uniqueItemsOf(v, c)".to_owned(),
            Check::Items(id) => {
                format!("arrayItems(v, [], {}, c, d, \"\")", self.call_function(*id))
            }
            Check::Tuple(list, additional) => {
                let list: Vec<String> = list.iter().map(|id| self.call_function(*id)).collect();
                let message = format!(
                    "unexpected item: at most {} allowed",
                    plural(list.len() as u64, "item", "items")
                );
                format!(
                    "arrayItems(v, [{}], {}, c, d, {})",
                    list.join(", "),
                    self.extra_lit(*additional),
                    js_string(&message)
                )
            }
            Check::Contains(id) => format!("arrayContains(v, {}, c, d)", self.call_function(*id)),
            Check::AllOf(branches) => {
                let list: Vec<String> = branches.iter().map(|id| self.call_function(*id)).collect();
                format!("allOfShapes(v, [{}], c, d)", list.join(", "))
            }
            Check::AnyOf(branches) | Check::OneOf(branches) => {
                let kind = if matches!(check, Check::AnyOf(_)) {
                    "anyOfShapes"
                } else {
                    "oneOfShapes"
                };
                let list: Vec<String> = branches
                    .iter()
                    .map(|id| format!("[{}, {}]", self.call_function(*id), self.candidate(*id)))
                    .collect();
                format!("{kind}(v, [{}], c, d)", list.join(", "))
            }
            Check::Not(id) => format!("notMatch(v, {}, c, d)", self.call_function(*id)),
            Check::If(cond, then, otherwise) => format!(
                "ifThenElse(v, {}, {}, {}, c, d)",
                self.call_function(*cond),
                then.map_or("null".to_owned(), |id| self.call_function(id)),
                otherwise.map_or("null".to_owned(), |id| self.call_function(id)),
            ),
        }
    }

    fn extra_lit(&self, extra: Extra) -> String {
        match extra {
            Extra::Allow => "\"allow\"".to_owned(),
            Extra::Forbid => "\"forbid\"".to_owned(),
            Extra::Schema(id) => self.call_function(id),
        }
    }

    /// The candidate test of node `id` as a function value.
    fn candidate(&self, id: usize) -> String {
        match self.nodes[id] {
            Node::Any => "anyCandidate".to_owned(),
            Node::Never => "noCandidate".to_owned(),
            Node::Schema { .. } => format!("k{id}"),
        }
    }

    /// Every node whose candidate function (`k<N>`) or constant function (`q<N>`) is called:
    /// the branches of `anyOf`/`oneOf` and what their tests follow.
    fn candidates(&self) -> Vec<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = vec![];
        for node in &self.nodes {
            if let Node::Schema { checks, .. } = node {
                for check in checks {
                    if let Check::AnyOf(b) | Check::OneOf(b) = check {
                        stack.extend(b);
                    }
                }
            }
        }
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            if let Node::Schema { checks, .. } = &self.nodes[id] {
                for check in checks {
                    match check {
                        Check::Ref(t) => stack.push(*t),
                        Check::AllOf(b) => stack.extend(b),
                        Check::Properties { named, .. } => {
                            stack.extend(named.iter().map(|(_, id)| *id))
                        }
                        _ => {}
                    }
                }
            }
        }
        (0..self.nodes.len())
            .filter(|&id| seen[id] && matches!(self.nodes[id], Node::Schema { .. }))
            .collect()
    }

    /// `k<N>` and `q<N>` of a node, mirroring the validator's `candidate` and `constant`.
    fn candidate_functions(&self, id: usize) -> String {
        let Node::Schema { nullable, checks } = &self.nodes[id] else {
            return String::new();
        };
        let mut tests = vec![];
        // Where the node's one allowed value may come from, in keyword order: a `$ref`'s
        // constant when it has one, else a single-value `enum`, else a `const`.
        let mut constants = vec![];
        for check in checks {
            match check {
                Check::Type(bits) => tests.push(format!("accepts(v, {bits})")),
                Check::Const(value, _) => {
                    tests.push(format!("jsonEqual({}, v)", json_lit(value)));
                    constants.push(format!("  return {{ value: {} }};", json_lit(value)));
                }
                Check::Enum(values, _) if values.len() == 1 => {
                    tests.push(format!("jsonEqual({}, v)", json_lit(&values[0])));
                    constants.push(format!("  return {{ value: {} }};", json_lit(&values[0])));
                }
                Check::Ref(target) => {
                    tests.push(format!("{}(v, b)", self.candidate(*target)));
                    constants.push(format!(
                        "  const r = {}(b);\n  if (r !== NONE) return r;",
                        self.constant(*target)
                    ));
                }
                Check::AllOf(branches) => {
                    for b in branches {
                        tests.push(format!("{}(v, b)", self.candidate(*b)));
                    }
                }
                Check::Properties { named, .. } if !named.is_empty() => {
                    let list: Vec<String> = named
                        .iter()
                        .map(|(name, id)| format!("[{}, {}]", js_string(name), self.constant(*id)))
                        .collect();
                    tests.push(format!("propertyConstants(v, [{}], b)", list.join(", ")));
                }
                _ => {}
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "function k{id}(v: unknown, budget: number): boolean {{\n  if (budget <= 0) return true;"
        );
        if tests.iter().any(|t| t.ends_with(", b)")) {
            out.push_str("  const b = budget - 1;\n");
        }
        if *nullable {
            out.push_str("  if (v === null) return true;\n");
        }
        if tests.is_empty() {
            out.push_str("  return true;\n");
        } else {
            let _ = writeln!(out, "  return {};", tests.join(" && "));
        }
        out.push_str("}\n\n");
        let _ = writeln!(
            out,
            "function q{id}(budget: number): Constant {{\n  if (budget <= 0) return NONE;"
        );
        if constants.iter().any(|c| c.contains("(b)")) {
            out.push_str("  const b = budget - 1;\n");
        }
        let mut returned = false;
        for constant in &constants {
            out.push_str(constant);
            out.push('\n');
            if !constant.contains("(b)") {
                returned = true;
                break;
            }
        }
        if !returned {
            out.push_str("  return NONE;\n");
        }
        out.push_str("}\n\n");
        out
    }

    fn constant(&self, id: usize) -> String {
        match self.nodes[id] {
            Node::Schema { .. } => format!("q{id}"),
            _ => "noConstant".to_owned(),
        }
    }
}

fn bad(at: &str, reason: impl Into<String>) -> Error {
    Error::Internal {
        what: format!("TypeScript checks for the schema at {at}"),
        reason: reason.into(),
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn count(m: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>> {
    let Some(v) = m.get(key) else { return Ok(None) };
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
                .map(|f| f as u64)
        })
        .map(Some)
        .ok_or_else(|| bad(at, format!("{key} must be a non-negative integer")))
}

fn number(m: &Map<String, Value>, key: &str) -> Option<Number> {
    match m.get(key) {
        Some(Value::Number(n)) => Some(n.clone()),
        _ => None,
    }
}

/// A JSON number as a TypeScript number literal.
fn js_number(n: &Number) -> String {
    n.to_string()
}

/// "expected a string or null" for a set of type bits, as the validator words it.
fn expected(bits: u8) -> String {
    let names: Vec<&str> = TYPE_BITS
        .iter()
        .filter(|(_, bit, _)| bits & bit != 0 && !(*bit == 2 && bits & 4 != 0))
        .map(|(_, _, phrase)| *phrase)
        .collect();
    let expected = match names.split_last() {
        None => "nothing".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    format!("expected {expected}")
}

/// `"a"`, or its first characters and `…` when it is long (as the validator shortens values).
fn short_json(v: &Value) -> String {
    const MAX: usize = 40;
    let text = v.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let mut short: String = text.chars().take(MAX - 1).collect();
    short.push('…');
    short
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

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

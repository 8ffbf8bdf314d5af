//! A JSON Schema validator that lists **every** violation of a value.
//!
//! Generated code checks incoming messages on a fast path (serde plus a few [`check`]s). When a
//! message is invalid, the slow path runs a [`Validator`] over the parsed JSON to tell the client
//! everything that is wrong with it, each problem as a [`Violation`] with a JSON Pointer path.
//!
//! The schema language is draft-07 as AsyncAPI uses it: a document
//! `{"schema": <root schema>, "definitions": {"Name": <schema>, ...}}` whose `$ref`s point at
//! `#/definitions/Name`. [`ENFORCED_KEYWORDS`] lists what is checked; [`ANNOTATION_KEYWORDS`]
//! lists what needs no checking. Anything else is accepted and ignored;
//! [`unenforced_keywords`] finds it.
//!
//! ```
//! use serde_json::json;
//! use socketsundso::validate::Validator;
//!
//! let v = Validator::compile(&json!({
//!     "schema": {
//!         "type": "object",
//!         "required": ["name"],
//!         "properties": {"name": {"type": "string", "maxLength": 3}},
//!         "additionalProperties": false
//!     }
//! }))
//! .unwrap();
//! let errors = v.validate(&json!({"nmae": "x"}), "");
//! assert_eq!(errors.len(), 2);
//! assert_eq!((errors[0].path.as_str(), &*errors[0].kind), ("/name", "required"));
//! assert_eq!((errors[1].path.as_str(), &*errors[1].kind), ("/nmae", "unknown_field"));
//! assert!(v.is_valid(&json!({"name": "abc"})));
//! ```
//!
//! ## Semantics worth knowing
//!
//! - Keywords of one schema are checked in a fixed order, whatever the order of the schema
//!   document: `$ref`, `type`, `enum`, `const`, string keywords, number keywords, `required`,
//!   `minProperties`, `maxProperties`, `propertyNames`, `dependencies`, `properties` / `patternProperties` /
//!   `additionalProperties`, `minItems`, `maxItems`, `uniqueItems`, `items` / `additionalItems`,
//!   `contains`, `allOf`, `anyOf`, `oneOf`, `not`, `if` / `then` / `else`.
//! - When `type` fails, the other keywords of the same schema are skipped: they would only
//!   repeat the problem.
//! - A schema with `$ref` is its target alone: the keywords beside it are ignored, as draft-07
//!   says (only OpenAPI's `nullable` still applies).
//! - Patterns are ECMA-262 regular expressions in Unicode mode (`\p{Letter}` works), or, when a
//!   pattern is not valid in Unicode mode (`\_`, an identity escape), without it.
//! - A number with a zero fractional part (`1.0`) is an integer.
//! - `nullable: true` (OpenAPI style) makes `null` valid for its schema, whatever the schema's
//!   other keywords say.
//! - The result is sorted by position in the value (a value's own violations first, in keyword
//!   order, then its children: array items by index, object members by key) and de-duplicated.
//!   A missing required field counts as a violation of its parent object. `dependencies` and
//!   `patternProperties` are taken in the order of their names, so the result does not depend
//!   on the order of a map in the schema.
//! - `anyOf` / `oneOf` with no matching branch: when exactly one branch is a *candidate* (its
//!   `type`, `const` and single-value `enum`, and the `const`s of its `properties`, fit the
//!   value; `$ref`s and `allOf`s are followed), that branch's violations are reported instead
//!   of a generic one. Otherwise one violation of kind `any_of` / `one_of` is reported.
//! - Values nested deeper than [`MAX_DEPTH`] get one `too_deep` violation.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

use serde_json::{Number, Value};

use crate::Violation;

pub mod check;
mod compile;
#[cfg(test)]
mod tests;

pub use compile::unenforced_keywords;

/// How deep a value may be nested below the validated root before validation stops with a
/// `too_deep` violation. serde_json's parser stops at the same depth, so every parsed message
/// fits.
pub const MAX_DEPTH: usize = 128;

/// The keywords that [`Validator`] enforces.
///
/// `nullable` is OpenAPI's; `exclusiveMinimum` / `exclusiveMaximum` are accepted both as numbers
/// (draft-06 and later) and as booleans next to `minimum` / `maximum` (draft-04). `format` is
/// enforced for `date-time`, `date`, `email`, `uuid`, `uri`, `ipv4` and `ipv6`; other formats are
/// annotations.
pub const ENFORCED_KEYWORDS: &[&str] = &[
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

/// Keywords that carry no assertion and need no enforcement.
///
/// Besides these, every keyword that starts with `x-` is an annotation (see
/// [`is_annotation_keyword`]). `definitions` and `$defs` hold schemas for `$ref`s and assert
/// nothing themselves.
pub const ANNOTATION_KEYWORDS: &[&str] = &[
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

/// Whether `keyword` is an annotation: one of [`ANNOTATION_KEYWORDS`], or an `x-` extension.
pub fn is_annotation_keyword(keyword: &str) -> bool {
    keyword.starts_with("x-") || ANNOTATION_KEYWORDS.contains(&keyword)
}

/// A schema document that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// JSON Pointer into the compiled document, e.g. `/definitions/Chat/properties/text/pattern`.
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

impl CompileError {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "invalid schema at {at}: {}", self.message)
    }
}

impl std::error::Error for CompileError {}

/// A compiled JSON Schema (draft-07 as AsyncAPI uses it). See the [module docs](self).
///
/// Compiling resolves every `$ref` to an index and compiles every `pattern`, so validating does
/// no lookups by name and allocates only for what it reports.
#[derive(Debug)]
pub struct Validator {
    nodes: Vec<Node>,
    root: usize,
}

/// One compiled schema. `$ref`s and subschemas are indexes into [`Validator::nodes`].
#[derive(Debug)]
enum Node {
    /// `true`, or a schema with nothing to check.
    Any,
    /// `false`.
    Never,
    Schema(Schema),
}

#[derive(Debug)]
struct Schema {
    nullable: bool,
    /// In the fixed keyword order of the module docs.
    checks: Vec<Check>,
}

#[derive(Debug)]
enum Check {
    Ref(usize),
    Type(Types),
    Enum(Box<Choices>),
    Const(Box<Choices>),
    MinLength(u64),
    MaxLength(u64),
    Pattern(Box<Pattern>),
    Format(Format),
    Lower {
        limit: Number,
        exclusive: bool,
    },
    Upper {
        limit: Number,
        exclusive: bool,
    },
    MultipleOf(Number),
    Required(Vec<String>),
    MinProperties(u64),
    MaxProperties(u64),
    PropertyNames(usize),
    /// `dependencies`: per property name, the fields it requires or the schema the object must
    /// then match.
    Dependencies(Vec<(String, Dependency)>),
    Properties(Box<Properties>),
    MinItems(u64),
    MaxItems(u64),
    UniqueItems,
    Items(Box<Items>),
    Contains(usize),
    AllOf(Vec<usize>),
    AnyOf(Vec<usize>),
    OneOf(Vec<usize>),
    Not(usize),
    If {
        cond: usize,
        then: Option<usize>,
        otherwise: Option<usize>,
    },
}

/// What a property's presence in `dependencies` asks for.
#[derive(Debug)]
enum Dependency {
    Required(Vec<String>),
    Schema(usize),
}

/// The allowed values of `enum` (or the one of `const`) and the message when none matches.
#[derive(Debug)]
struct Choices {
    values: Vec<Value>,
    message: String,
}

#[derive(Debug)]
struct Pattern {
    regex: regress::Regex,
    source: String,
}

#[derive(Debug)]
struct Properties {
    /// Sorted by name, for binary search.
    named: Vec<(String, usize)>,
    patterns: Vec<(regress::Regex, usize)>,
    additional: Extra,
}

#[derive(Debug)]
enum Items {
    All(usize),
    Tuple {
        items: Vec<usize>,
        additional: Extra,
    },
}

/// What `additionalProperties` / `additionalItems` say about the rest.
#[derive(Debug, Clone, Copy)]
enum Extra {
    Allow,
    Forbid,
    Schema(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    DateTime,
    Date,
    Email,
    Uuid,
    Uri,
    Ipv4,
    Ipv6,
}

impl Format {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "date-time" => Self::DateTime,
            "date" => Self::Date,
            "email" => Self::Email,
            "uuid" => Self::Uuid,
            "uri" => Self::Uri,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            _ => return None,
        })
    }

    fn accepts(self, s: &str) -> bool {
        match self {
            Self::DateTime => check::date_time(s),
            Self::Date => check::date(s),
            Self::Email => check::email(s),
            Self::Uuid => check::uuid(s),
            Self::Uri => check::uri(s),
            Self::Ipv4 => check::ipv4(s),
            Self::Ipv6 => check::ipv6(s),
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::DateTime => "must be a valid RFC 3339 date-time",
            Self::Date => "must be a valid date (YYYY-MM-DD)",
            Self::Email => "must be a valid email address",
            Self::Uuid => "must be a valid UUID",
            Self::Uri => "must be a valid URI",
            Self::Ipv4 => "must be a valid IPv4 address",
            Self::Ipv6 => "must be a valid IPv6 address",
        }
    }
}

/// A set of JSON types, as `type` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const STRING: u8 = 1;
    const INTEGER: u8 = 2;
    const NUMBER: u8 = 4;
    const BOOLEAN: u8 = 8;
    const OBJECT: u8 = 16;
    const ARRAY: u8 = 32;
    const NULL: u8 = 64;
    /// In the order messages name them.
    const NAMES: [(u8, &'static str, &'static str); 7] = [
        (Self::STRING, "string", "a string"),
        (Self::INTEGER, "integer", "an integer"),
        (Self::NUMBER, "number", "a number"),
        (Self::BOOLEAN, "boolean", "a boolean"),
        (Self::OBJECT, "object", "an object"),
        (Self::ARRAY, "array", "an array"),
        (Self::NULL, "null", "null"),
    ];

    fn bit(name: &str) -> Option<u8> {
        Self::NAMES
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(b, _, _)| *b)
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn accepts(self, v: &Value) -> bool {
        match v {
            Value::Null => self.has(Self::NULL),
            Value::Bool(_) => self.has(Self::BOOLEAN),
            Value::String(_) => self.has(Self::STRING),
            Value::Array(_) => self.has(Self::ARRAY),
            Value::Object(_) => self.has(Self::OBJECT),
            Value::Number(n) => {
                self.has(Self::NUMBER) || (self.has(Self::INTEGER) && is_integer(n))
            }
        }
    }

    /// "expected a string or null, got a number".
    fn message(self, v: &Value) -> String {
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(bit, _, _)| {
                self.has(*bit) && !(*bit == Self::INTEGER && self.has(Self::NUMBER))
            })
            .map(|(_, _, phrase)| *phrase)
            .collect();
        let expected = match names.split_last() {
            None => String::from("nothing"),
            Some((last, [])) => String::from(*last),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        };
        let got = match v {
            Value::Number(n) if self.has(Self::INTEGER) && !is_integer(n) => {
                "a number with a fractional part"
            }
            other => json_type_name(other),
        };
        format!("expected {expected}, got {got}")
    }
}

/// Whether a JSON number is an integer in JSON Schema's sense (`1.0` is).
fn is_integer(n: &Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// A number as an exact integer, when it is one that fits.
fn exact_int(n: &Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // 2^63: every integral f64 below it converts exactly.
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0)
        .then_some(f as i128)
}

/// Compares integers exactly when both are integers (`u64` / `i64`), else as `f64`.
fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// One segment of the path from the validated root to the current value.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    /// An object member and its position in the object's iteration order.
    Key(&'a str, usize),
    Index(usize),
}

impl Seg<'_> {
    fn position(self) -> usize {
        match self {
            Seg::Key(_, pos) | Seg::Index(pos) => pos,
        }
    }
}

/// A violation and the position in the value it belongs to, for sorting.
struct Found {
    order: Vec<usize>,
    violation: Violation,
}

/// Collects violations in [`Validator::validate`]; absent in [`Validator::is_valid`].
struct Collector<'a> {
    base: &'a str,
    stack: Vec<Seg<'a>>,
    found: Vec<Found>,
}

impl<'a> Collector<'a> {
    fn new(base: &'a str) -> Self {
        Self {
            base,
            stack: Vec::new(),
            found: Vec::new(),
        }
    }

    /// The JSON Pointer of the current value, plus `extra` when given.
    fn pointer(&self, extra: Option<&str>) -> String {
        let mut p = String::from(self.base);
        for seg in &self.stack {
            p.push('/');
            match seg {
                Seg::Key(k, _) => push_escaped(&mut p, k),
                Seg::Index(i) => p.push_str(&i.to_string()),
            }
        }
        if let Some(extra) = extra {
            p.push('/');
            push_escaped(&mut p, extra);
        }
        p
    }

    fn order(&self) -> Vec<usize> {
        self.stack.iter().map(|s| s.position()).collect()
    }

    /// Records a violation at the current value, or at its member `extra` (a missing field: it
    /// sorts with its parent's own violations).
    fn record(&mut self, extra: Option<&str>, kind: &'static str, message: String) {
        let violation = Violation::new(self.pointer(extra), kind, message);
        let order = self.order();
        self.found.push(Found { order, violation });
    }

    /// Records a violation at the child `seg` of the current value.
    fn record_child(&mut self, seg: Seg<'a>, kind: &'static str, message: String) {
        self.stack.push(seg);
        self.record(None, kind, message);
        self.stack.pop();
    }

    /// Sorted by position, de-duplicated.
    fn finish(mut self) -> Vec<Violation> {
        self.found.sort_by(|a, b| a.order.cmp(&b.order));
        let mut seen = HashSet::new();
        let keep: Vec<bool> = self
            .found
            .iter()
            .map(|f| {
                let v = &f.violation;
                seen.insert((v.path.as_str(), &*v.kind, v.message.as_str()))
            })
            .collect();
        self.found
            .into_iter()
            .zip(keep)
            .filter_map(|(f, keep)| keep.then_some(f.violation))
            .collect()
    }
}

/// A value's JSON type as a message says it: "null", "a boolean", "a number", "a string", "an
/// array", "an object".
pub(crate) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Appends a JSON Pointer reference token: `~` becomes `~0`, `/` becomes `~1`.
pub(crate) fn push_escaped(out: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// `"a"`, or its first characters and `…` when it is long.
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

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

type Col<'c, 'a> = Option<&'c mut Collector<'a>>;

/// Reports a violation at the current value (collect mode only). Returns `false`, the result of
/// the failed check.
fn fail(col: &mut Col<'_, '_>, kind: &'static str, message: impl FnOnce() -> String) -> bool {
    if let Some(c) = col {
        c.record(None, kind, message());
    }
    false
}

impl Validator {
    /// Compiles `{"schema": <root schema>, "definitions": {"Name": <schema>, ...}}`.
    ///
    /// `$ref`s are local: `#/definitions/Name`, any other JSON Pointer into the document, or `#`
    /// for the root schema. A missing target, a malformed keyword value (a `minLength` that is
    /// not a non-negative integer, a `pattern` that is not an ECMA-262 regex, an unknown `type`,
    /// ...) and a `$ref` cycle that never descends into the value (`{"$ref": "#"}`) are errors.
    /// Unknown keywords are not: see [`unenforced_keywords`].
    pub fn compile(document: &Value) -> Result<Validator, CompileError> {
        compile::compile(document)
    }

    /// [`Validator::compile`] from JSON text (what generated code embeds).
    pub fn from_json(text: &str) -> Result<Validator, CompileError> {
        let document: Value = serde_json::from_str(text)
            .map_err(|e| CompileError::new("", format!("not JSON: {e}")))?;
        Self::compile(&document)
    }

    /// Every violation of `value`, with paths relative to `base` (a JSON Pointer prefix such as
    /// `/payload`, `""` for the root), sorted by position in the value and de-duplicated.
    pub fn validate(&self, value: &Value, base: &str) -> Vec<Violation> {
        let mut col = Collector::new(base);
        self.eval(self.root, value, 0, Some(&mut col));
        col.finish()
    }

    /// Whether `value` is valid. Stops at the first violation and allocates nothing (except for
    /// `propertyNames` and for `uniqueItems` on arrays of more than 64 items).
    pub fn is_valid(&self, value: &Value) -> bool {
        self.eval(self.root, value, 0, None)
    }

    /// Checks `v` against node `id`. With a collector, reports every violation; without one,
    /// stops at the first.
    fn eval<'a>(&'a self, id: usize, v: &'a Value, depth: usize, mut col: Col<'_, 'a>) -> bool {
        let schema = match &self.nodes[id] {
            Node::Any => return true,
            Node::Never => return fail(&mut col, "not_allowed", || "not allowed here".into()),
            Node::Schema(s) => s,
        };
        if depth > MAX_DEPTH {
            return fail(&mut col, "too_deep", || {
                format!("nested too deeply (more than {MAX_DEPTH} levels)")
            });
        }
        if schema.nullable && v.is_null() {
            return true;
        }
        let mut ok = true;
        for check in &schema.checks {
            if !self.check(check, v, depth, &mut col) {
                if col.is_none() {
                    return false;
                }
                ok = false;
                if matches!(check, Check::Type(_)) {
                    break;
                }
            }
        }
        ok
    }

    /// Checks child `v` (at `seg`) against node `id`.
    fn child<'a>(
        &'a self,
        id: usize,
        v: &'a Value,
        depth: usize,
        col: &mut Col<'_, 'a>,
        seg: Seg<'a>,
    ) -> bool {
        match col {
            None => self.eval(id, v, depth + 1, None),
            Some(c) => {
                c.stack.push(seg);
                let ok = self.eval(id, v, depth + 1, Some(&mut **c));
                c.stack.pop();
                ok
            }
        }
    }

    fn check<'a>(
        &'a self,
        check: &'a Check,
        v: &'a Value,
        depth: usize,
        col: &mut Col<'_, 'a>,
    ) -> bool {
        match check {
            Check::Ref(target) => self.eval(*target, v, depth, col.as_deref_mut()),
            Check::Type(types) => types.accepts(v) || fail(col, "type", || types.message(v)),
            Check::Enum(choices) => {
                choices.values.iter().any(|c| check::json_equal(c, v))
                    || fail(col, "enum", || choices.message.clone())
            }
            Check::Const(choices) => {
                choices.values.iter().any(|c| check::json_equal(c, v))
                    || fail(col, "const", || choices.message.clone())
            }
            Check::MinLength(min) => match v {
                // A string has at least as many bytes as code points.
                Value::String(s)
                    if (s.len() as u64) < *min || (check::char_len(s) as u64) < *min =>
                {
                    fail(col, "min_length", || {
                        format!(
                            "must be at least {}",
                            plural(*min, "character", "characters")
                        )
                    })
                }
                _ => true,
            },
            Check::MaxLength(max) => match v {
                Value::String(s) if s.len() as u64 > *max && check::char_len(s) as u64 > *max => {
                    fail(col, "max_length", || {
                        format!(
                            "must be at most {}",
                            plural(*max, "character", "characters")
                        )
                    })
                }
                _ => true,
            },
            Check::Pattern(p) => match v {
                Value::String(s) if p.regex.find(s).is_none() => fail(col, "pattern", || {
                    format!("must match pattern {}", p.source)
                }),
                _ => true,
            },
            Check::Format(f) => match v {
                Value::String(s) if !f.accepts(s) => fail(col, "format", || f.message().into()),
                _ => true,
            },
            Check::Lower { limit, exclusive } => match v {
                Value::Number(n) => {
                    let ok = match num_cmp(n, limit) {
                        Some(Ordering::Less) => false,
                        Some(Ordering::Equal) => !exclusive,
                        _ => true,
                    };
                    ok || if *exclusive {
                        fail(col, "exclusive_minimum", || format!("must be > {limit}"))
                    } else {
                        fail(col, "minimum", || format!("must be ≥ {limit}"))
                    }
                }
                _ => true,
            },
            Check::Upper { limit, exclusive } => match v {
                Value::Number(n) => {
                    let ok = match num_cmp(n, limit) {
                        Some(Ordering::Greater) => false,
                        Some(Ordering::Equal) => !exclusive,
                        _ => true,
                    };
                    ok || if *exclusive {
                        fail(col, "exclusive_maximum", || format!("must be < {limit}"))
                    } else {
                        fail(col, "maximum", || format!("must be ≤ {limit}"))
                    }
                }
                _ => true,
            },
            Check::MultipleOf(divisor) => match v {
                Value::Number(n) => {
                    let ok = match (exact_int(n), exact_int(divisor)) {
                        (Some(x), Some(d)) if d != 0 => x % d == 0,
                        _ => match (n.as_f64(), divisor.as_f64()) {
                            (Some(x), Some(d)) => check::multiple_of(x, d),
                            _ => true,
                        },
                    };
                    ok || fail(col, "multiple_of", || {
                        format!("must be a multiple of {divisor}")
                    })
                }
                _ => true,
            },
            Check::Required(names) => match v {
                Value::Object(o) => {
                    let mut ok = true;
                    for name in names {
                        if !o.contains_key(name) {
                            match col {
                                None => return false,
                                Some(c) => {
                                    c.record(Some(name), "required", "field required".into())
                                }
                            }
                            ok = false;
                        }
                    }
                    ok
                }
                _ => true,
            },
            Check::MinProperties(min) => match v {
                Value::Object(o) if (o.len() as u64) < *min => fail(col, "min_properties", || {
                    format!(
                        "must have at least {}",
                        plural(*min, "property", "properties")
                    )
                }),
                _ => true,
            },
            Check::MaxProperties(max) => match v {
                Value::Object(o) if o.len() as u64 > *max => fail(col, "max_properties", || {
                    format!(
                        "must have at most {}",
                        plural(*max, "property", "properties")
                    )
                }),
                _ => true,
            },
            Check::PropertyNames(id) => match v {
                Value::Object(o) => self.property_names(*id, o, depth, col),
                _ => true,
            },
            Check::Dependencies(dependencies) => match v {
                Value::Object(o) => {
                    let mut ok = true;
                    for (name, dependency) in dependencies {
                        if !o.contains_key(name) {
                            continue;
                        }
                        let valid = match dependency {
                            Dependency::Required(names) => {
                                let mut valid = true;
                                for missing in names.iter().filter(|n| !o.contains_key(*n)) {
                                    valid = false;
                                    match col {
                                        None => break,
                                        Some(c) => c.record(
                                            Some(missing),
                                            "required",
                                            format!("field required when `{name}` is present"),
                                        ),
                                    }
                                }
                                valid
                            }
                            Dependency::Schema(id) => self.eval(*id, v, depth, col.as_deref_mut()),
                        };
                        if !valid {
                            if col.is_none() {
                                return false;
                            }
                            ok = false;
                        }
                    }
                    ok
                }
                _ => true,
            },
            Check::Properties(p) => match v {
                Value::Object(o) => self.properties(p, o, depth, col),
                _ => true,
            },
            Check::MinItems(min) => match v {
                Value::Array(a) if (a.len() as u64) < *min => fail(col, "min_items", || {
                    format!("must have at least {}", plural(*min, "item", "items"))
                }),
                _ => true,
            },
            Check::MaxItems(max) => match v {
                Value::Array(a) if a.len() as u64 > *max => fail(col, "max_items", || {
                    format!("must have at most {}", plural(*max, "item", "items"))
                }),
                _ => true,
            },
            Check::UniqueItems => match v {
                Value::Array(a) => match col {
                    None => check::unique_values(a),
                    Some(c) => {
                        let mut ok = true;
                        check::duplicates(a, |first, dup| {
                            ok = false;
                            c.record_child(
                                Seg::Index(dup),
                                "unique_items",
                                format!("items {first} and {dup} are equal"),
                            );
                            true
                        });
                        ok
                    }
                },
                _ => true,
            },
            Check::Items(items) => match v {
                Value::Array(a) => self.items(items, a, depth, col),
                _ => true,
            },
            Check::Contains(id) => match v {
                Value::Array(a) => {
                    a.iter().any(|item| self.eval(*id, item, depth + 1, None))
                        || fail(col, "contains", || {
                            "must contain at least one matching item".into()
                        })
                }
                _ => true,
            },
            Check::AllOf(branches) => {
                let mut ok = true;
                for b in branches {
                    if !self.eval(*b, v, depth, col.as_deref_mut()) {
                        if col.is_none() {
                            return false;
                        }
                        ok = false;
                    }
                }
                ok
            }
            Check::AnyOf(branches) => {
                if branches.iter().any(|b| self.eval(*b, v, depth, None)) {
                    return true;
                }
                self.no_match(branches, v, depth, col, "any_of")
            }
            Check::OneOf(branches) => {
                let mut matching = branches
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| self.eval(**b, v, depth, None))
                    .map(|(i, _)| i);
                match (matching.next(), matching.next()) {
                    (Some(_), None) => true,
                    (None, _) => self.no_match(branches, v, depth, col, "one_of"),
                    (Some(i), Some(j)) => fail(col, "one_of", || {
                        format!(
                            "matches more than one of the {} allowed shapes ({i} and {j})",
                            branches.len()
                        )
                    }),
                }
            }
            Check::Not(id) => {
                !self.eval(*id, v, depth, None)
                    || fail(col, "not", || "must not match the excluded shape".into())
            }
            Check::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if self.eval(*cond, v, depth, None) {
                    then
                } else {
                    otherwise
                };
                match branch {
                    Some(id) => self.eval(*id, v, depth, col.as_deref_mut()),
                    None => true,
                }
            }
        }
    }

    /// `anyOf` / `oneOf` when no branch matches: the violations of the one candidate branch, or
    /// one violation of `kind`.
    fn no_match<'a>(
        &'a self,
        branches: &'a [usize],
        v: &'a Value,
        depth: usize,
        col: &mut Col<'_, 'a>,
        kind: &'static str,
    ) -> bool {
        let Some(c) = col else { return false };
        let mut candidates = branches
            .iter()
            .filter(|b| self.candidate(**b, v, CANDIDATE_BUDGET));
        if let (Some(only), None) = (candidates.next(), candidates.next()) {
            let before = c.found.len();
            self.eval(*only, v, depth, Some(&mut **c));
            if c.found.len() > before {
                return false;
            }
        }
        let n = branches.len();
        fail(col, kind, || {
            format!(
                "matches none of the {n} allowed {}",
                if n == 1 { "shape" } else { "shapes" }
            )
        })
    }

    /// Whether `v` fits the "discriminating" keywords of node `id`: `type`, `const`, a
    /// single-value `enum`, and the `const`s of its `properties`, following `$ref` and `allOf`.
    fn candidate(&self, id: usize, v: &Value, budget: u8) -> bool {
        let Some(budget) = budget.checked_sub(1) else {
            return true;
        };
        let schema = match &self.nodes[id] {
            Node::Any => return true,
            Node::Never => return false,
            Node::Schema(s) => s,
        };
        if schema.nullable && v.is_null() {
            return true;
        }
        schema.checks.iter().all(|check| match check {
            Check::Type(t) => t.accepts(v),
            Check::Const(c) => check::json_equal(&c.values[0], v),
            Check::Enum(e) if e.values.len() == 1 => check::json_equal(&e.values[0], v),
            Check::Ref(target) => self.candidate(*target, v, budget),
            Check::AllOf(branches) => branches.iter().all(|b| self.candidate(*b, v, budget)),
            Check::Properties(p) => match v {
                Value::Object(o) => p.named.iter().all(|(name, id)| {
                    match (o.get(name), self.constant(*id, budget)) {
                        (Some(actual), Some(expected)) => check::json_equal(expected, actual),
                        _ => true,
                    }
                }),
                _ => true,
            },
            _ => true,
        })
    }

    /// The one value node `id` allows by `const` or a single-value `enum`, following `$ref`s.
    fn constant(&self, id: usize, budget: u8) -> Option<&Value> {
        let budget = budget.checked_sub(1)?;
        let Node::Schema(schema) = &self.nodes[id] else {
            return None;
        };
        schema.checks.iter().find_map(|check| match check {
            Check::Const(c) => Some(&c.values[0]),
            Check::Enum(e) if e.values.len() == 1 => Some(&e.values[0]),
            Check::Ref(target) => self.constant(*target, budget),
            _ => None,
        })
    }

    fn properties<'a>(
        &'a self,
        p: &'a Properties,
        o: &'a serde_json::Map<String, Value>,
        depth: usize,
        col: &mut Col<'_, 'a>,
    ) -> bool {
        let mut ok = true;
        for (pos, (key, value)) in Members::of(o, col.is_some()).enumerate() {
            let seg = Seg::Key(key, pos);
            let mut matched = false;
            if let Ok(i) = p.named.binary_search_by(|(name, _)| name.as_str().cmp(key)) {
                matched = true;
                if !self.child(p.named[i].1, value, depth, col, seg) {
                    if col.is_none() {
                        return false;
                    }
                    ok = false;
                }
            }
            for (regex, id) in &p.patterns {
                if regex.find(key).is_some() {
                    matched = true;
                    if !self.child(*id, value, depth, col, seg) {
                        if col.is_none() {
                            return false;
                        }
                        ok = false;
                    }
                }
            }
            if matched {
                continue;
            }
            let valid = match p.additional {
                Extra::Allow => true,
                Extra::Schema(id) => self.child(id, value, depth, col, seg),
                Extra::Forbid => {
                    if let Some(c) = col {
                        c.record_child(seg, "unknown_field", "unknown field".into());
                    }
                    false
                }
            };
            if !valid {
                if col.is_none() {
                    return false;
                }
                ok = false;
            }
        }
        ok
    }

    fn property_names<'a>(
        &'a self,
        id: usize,
        o: &'a serde_json::Map<String, Value>,
        depth: usize,
        col: &mut Col<'_, 'a>,
    ) -> bool {
        let mut ok = true;
        for (pos, (key, _)) in Members::of(o, col.is_some()).enumerate() {
            let name = Value::String(key.clone());
            match col {
                None => {
                    if !self.eval(id, &name, depth + 1, None) {
                        return false;
                    }
                }
                Some(c) => {
                    let seg = Seg::Key(key, pos);
                    c.stack.push(seg);
                    let path = c.pointer(None);
                    let order = c.order();
                    c.stack.pop();
                    let mut sub = Collector::new(&path);
                    if !self.eval(id, &name, depth + 1, Some(&mut sub)) {
                        ok = false;
                        for found in sub.found {
                            let mut violation = found.violation;
                            violation.message = format!("invalid name: {}", violation.message);
                            c.found.push(Found {
                                order: order.clone(),
                                violation,
                            });
                        }
                    }
                }
            }
        }
        ok
    }

    fn items<'a>(
        &'a self,
        items: &'a Items,
        a: &'a [Value],
        depth: usize,
        col: &mut Col<'_, 'a>,
    ) -> bool {
        let mut ok = true;
        for (i, item) in a.iter().enumerate() {
            let seg = Seg::Index(i);
            let valid = match items {
                Items::All(id) => self.child(*id, item, depth, col, seg),
                Items::Tuple { items, additional } => match items.get(i) {
                    Some(id) => self.child(*id, item, depth, col, seg),
                    None => match additional {
                        Extra::Allow => break,
                        Extra::Schema(id) => self.child(*id, item, depth, col, seg),
                        Extra::Forbid => {
                            if let Some(c) = col {
                                c.record_child(
                                    seg,
                                    "additional_items",
                                    format!(
                                        "unexpected item: at most {} allowed",
                                        plural(items.len() as u64, "item", "items")
                                    ),
                                );
                            }
                            false
                        }
                    },
                },
            };
            if !valid {
                if col.is_none() {
                    return false;
                }
                ok = false;
            }
        }
        ok
    }
}

/// The members of an object in the order violations list them: sorted by key when collecting,
/// so that the list is the same whether or not serde_json keeps the document's order (its
/// `preserve_order` feature, which any crate in a build can turn on). A yes/no check takes them
/// as stored, without allocating.
enum Members<'a> {
    Sorted(std::vec::IntoIter<(&'a String, &'a Value)>),
    Stored(serde_json::map::Iter<'a>),
}

impl<'a> Members<'a> {
    fn of(o: &'a serde_json::Map<String, Value>, sorted: bool) -> Self {
        if !sorted {
            return Members::Stored(o.iter());
        }
        let mut members: Vec<(&String, &Value)> = o.iter().collect();
        members.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Members::Sorted(members.into_iter())
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a String, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Members::Sorted(members) => members.next(),
            Members::Stored(members) => members.next(),
        }
    }
}

/// How many `$ref` / `allOf` steps [`Validator::candidate`] follows.
const CANDIDATE_BUDGET: u8 = 16;

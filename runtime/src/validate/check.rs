//! Small checks that generated code calls on its fast path, and that [`Validator`] uses.
//!
//! They allocate nothing (except [`unique_values`] on arrays of more than 64 items) and never
//! panic.
//!
//! [`Validator`]: super::Validator

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Number, Value};

/// A pragmatic email address check: `local@domain` with exactly one `@`, both parts non-empty,
/// no whitespace or control characters, and a domain that is `localhost` or has a dot that
/// neither starts nor ends it (and no empty label: `a..b`).
#[inline]
pub fn email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return false;
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    domain == "localhost"
        || (domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains(".."))
}

/// An absolute URI (RFC 3986): `scheme ":" rest`, where the scheme is
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`. The rest may hold no whitespace, no control
/// characters, none of `" < > \ ^ ` { | }` (which RFC 3986 never allows), and every `%` must
/// start a `%XX` hex escape. Non-ASCII characters are accepted (IRIs).
#[inline]
pub fn uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    if !bytes.next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    if !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        return false;
    }
    let rest = rest.as_bytes();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'%' => {
                let hex = |j: usize| rest.get(j).is_some_and(|b| b.is_ascii_hexdigit());
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b' ' => return false,
            b if b.is_ascii_control() => return false,
            _ => {}
        }
        i += 1;
    }
    // Non-ASCII whitespace and control characters (U+0085, U+00A0, U+2028, ...).
    !std::str::from_utf8(rest)
        .unwrap_or("")
        .chars()
        .any(|c| !c.is_ascii() && (c.is_whitespace() || c.is_control()))
}

/// An RFC 3339 date-time, as `chrono::DateTime::parse_from_rfc3339` accepts it
/// (`2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.5+02:00`).
#[inline]
pub fn date_time(s: &str) -> bool {
    // RFC 3339's `date-time` separates date and time with `T` (or `t`); chrono's parser also
    // takes a space, which JSON Schema's `format: date-time` does not.
    matches!(s.as_bytes().get(10), Some(b'T' | b't'))
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// An RFC 3339 full-date `YYYY-MM-DD` that exists in the calendar (`2024-02-29` does,
/// `2023-02-29` does not).
#[inline]
pub fn date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            // y < 10_000, so it fits an i32.
            chrono::NaiveDate::from_ymd_opt(y as i32, m, d).is_some()
        }
        _ => false,
    }
}

/// A UUID as `uuid::Uuid::try_parse` accepts it (hyphenated, simple, braced or `urn:uuid:`).
#[inline]
pub fn uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// Whether `value` is a multiple of `divisor`, robust for decimal divisors such as `0.1` or
/// `0.01` (`0.3` is a multiple of `0.1`, `0.35` is not).
///
/// Compares `value / divisor` to its rounding with a relative epsilon of 64 ulps. A zero,
/// infinite or NaN divisor, and an infinite or NaN value, are never multiples.
#[inline]
pub fn multiple_of(value: f64, divisor: f64) -> bool {
    if !value.is_finite() || !divisor.is_finite() || divisor == 0.0 {
        return false;
    }
    let q = value / divisor;
    if !q.is_finite() {
        // The quotient overflows (1e308 / 0.5): the remainder is exact in floating point.
        return value % divisor == 0.0;
    }
    let r = q.round();
    if r == 0.0 {
        return value == 0.0;
    }
    (q - r).abs() <= 64.0 * f64::EPSILON * q.abs()
}

/// Whether no two items are equal.
#[inline]
pub fn unique<T: PartialEq + serde::Serialize>(items: &[T]) -> bool {
    if items.len() <= 32 {
        return items
            .iter()
            .enumerate()
            .all(|(j, b)| items[..j].iter().all(|a| a != b));
    }
    // Comparing every pair would take quadratic time on a long array (a client could send one on
    // purpose): compare them as JSON values, which hashes.
    match items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(values) => unique_values(&values),
        Err(_) => false,
    }
}

/// `true` when an optional collection is absent (empty), else `check()`: the generated checks of
/// an optional array or map.
#[inline]
pub fn absent_or(empty: bool, check: impl FnOnce() -> bool) -> bool {
    empty || check()
}

/// Whether no two items are equal as JSON ([`json_equal`]: `1 == 1.0`, object key order does not
/// matter). Arrays of more than 64 items are hashed, which allocates.
#[inline]
pub fn unique_values(items: &[Value]) -> bool {
    let mut unique = true;
    duplicates(items, |_, _| {
        unique = false;
        false
    });
    unique
}

/// The length of `s` in Unicode code points, as `minLength` / `maxLength` count it.
#[inline]
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// JSON equality, as `enum`, `const` and `uniqueItems` use it: numbers are equal when their
/// values are (`1 == 1.0`; integers compare exactly, other numbers as `f64`), objects when they
/// have the same members in any order.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => number_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, xv)| y.get(k).is_some_and(|yv| json_equal(xv, yv)))
        }
        _ => false,
    }
}

fn number_equal(x: &Number, y: &Number) -> bool {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(x), int(y)) {
        (Some(a), Some(b)) => a == b,
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// A hash consistent with [`json_equal`]: equal values hash alike.
fn json_hash(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => {
            // Equal numbers have equal f64 values (`-0.0` becomes `0.0`).
            let f = n.as_f64().unwrap_or(0.0) + 0.0;
            (2u8, f.to_bits()).hash(h);
        }
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for item in a {
                json_hash(item, h);
            }
        }
        Value::Object(o) => {
            // Order-independent: the sum of the members' own hashes.
            let mut sum = 0u64;
            for (k, v) in o {
                let mut member = DefaultHasher::new();
                k.hash(&mut member);
                json_hash(v, &mut member);
                sum = sum.wrapping_add(member.finish());
            }
            (5u8, o.len(), sum).hash(h);
        }
    }
}

/// Calls `found(first, dup)` for every item `dup` that equals an earlier one, `first` being the
/// earliest such item, in order of `dup`, until `found` returns `false`.
pub(super) fn duplicates(items: &[Value], mut found: impl FnMut(usize, usize) -> bool) {
    if items.len() <= 64 {
        for (j, b) in items.iter().enumerate() {
            if let Some(i) = items[..j].iter().position(|a| json_equal(a, b))
                && !found(i, j)
            {
                return;
            }
        }
        return;
    }
    // Buckets of first occurrences by hash.
    let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
    for (j, b) in items.iter().enumerate() {
        let mut h = DefaultHasher::new();
        json_hash(b, &mut h);
        let bucket = buckets.entry(h.finish()).or_default();
        match bucket.iter().find(|&&i| json_equal(&items[i], b)) {
            Some(&i) => {
                if !found(i, j) {
                    return;
                }
            }
            None => bucket.push(j),
        }
    }
}

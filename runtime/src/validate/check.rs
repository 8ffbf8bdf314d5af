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
/// neither starts nor ends it (and no empty label: `a..b`). An unquoted local part neither starts
/// nor ends with a dot and has no two dots in a row; a quoted one (`"joe bloggs"`) may hold
/// anything but a quote or a control character.
#[inline]
pub fn email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return false;
    }
    if s.chars().any(char::is_control) {
        return false;
    }
    let local_ok = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(quoted) => !quoted.contains('"'),
        None => {
            !local.contains('@')
                && !local.chars().any(char::is_whitespace)
                && !local.starts_with('.')
                && !local.ends_with('.')
                && !local.contains("..")
        }
    };
    if !local_ok || domain.chars().any(char::is_whitespace) {
        return false;
    }
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        // An address literal: `[127.0.0.1]` or `[IPv6:::1]`.
        return match literal.strip_prefix("IPv6:") {
            Some(v6) => ipv6(v6),
            None => ipv4(literal),
        };
    }
    domain == "localhost"
        || (domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains(".."))
}

/// Compiles a `pattern` as JSON Schema reads it: an ECMA-262 regular expression in Unicode mode
/// (`\p{Letter}`, code points beyond U+FFFF as one character), or, when it is not valid in
/// Unicode mode (identity escapes like `\_` are not), without it. The generated code and the
/// validator compile every pattern through this.
pub fn regex(source: &str) -> Result<regress::Regex, regress::Error> {
    regress::Regex::with_flags(source, "u").or_else(|_| regress::Regex::new(source))
}

/// An IPv4 address in dotted-decimal form (`192.168.0.1`; no leading zeros, as
/// `std::net::Ipv4Addr` parses it).
#[inline]
pub fn ipv4(s: &str) -> bool {
    s.parse::<std::net::Ipv4Addr>().is_ok()
}

/// An IPv6 address (RFC 4291 text form, as `std::net::Ipv6Addr` parses it; no zone id).
#[inline]
pub fn ipv6(s: &str) -> bool {
    s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// An absolute URI (RFC 3986): `scheme ":" hier-part [ "?" query ] [ "#" fragment ]`, ASCII
/// only, every `%` followed by two hex digits. An authority (`//userinfo@host:port`) has a port
/// of digits only, and a host that is a registered name, an IPv4 address, or an IPv6 address in
/// brackets.
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
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (hier, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !uri_chars(fragment, b"/?:@") || !uri_chars(query, b"/?:@") {
        return false;
    }
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            if !authority(&after[..end]) {
                return false;
            }
            &after[end..]
        }
        None => hier,
    };
    uri_chars(path, b"/:@")
}

/// Whether `s` holds only unreserved characters, sub-delims, `%XX` escapes and `extra`.
fn uri_chars(s: &str, extra: &[u8]) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric()
                || b"-._~!$&'()*+,;=".contains(&c)
                || extra.contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// `[ userinfo "@" ] host [ ":" port ]`.
fn authority(s: &str) -> bool {
    let (userinfo, host_port) = match s.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, s),
    };
    if userinfo.is_some_and(|u| !uri_chars(u, b":")) {
        return false;
    }
    let (host, port) = if let Some(inside) = host_port.strip_prefix('[') {
        let Some((literal, after)) = inside.split_once(']') else {
            return false;
        };
        let literal_ok = ipv6(literal)
            || (literal.starts_with(['v', 'V'])
                && literal.contains('.')
                && uri_chars(literal, b":"));
        if !literal_ok {
            return false;
        }
        match after {
            "" => ("", None),
            port => match port.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    uri_chars(host, b"") && port.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// An RFC 3339 date-time, as `chrono::DateTime::parse_from_rfc3339` accepts it
/// (`2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.5+02:00`).
#[inline]
pub fn date_time(s: &str) -> bool {
    use chrono::Timelike as _;
    // RFC 3339's `date-time` separates date and time with `T` (or `t`); chrono's parser also
    // takes a space, which JSON Schema's `format: date-time` does not.
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return false;
    }
    match chrono::DateTime::parse_from_rfc3339(s) {
        // A leap second (`:60`) is the last second of a day in UTC (23:59:60Z); chrono takes
        // one at any minute.
        Ok(t) if t.nanosecond() >= 1_000_000_000 => {
            let utc = t.with_timezone(&chrono::Utc);
            utc.hour() == 23 && utc.minute() == 59
        }
        Ok(_) => true,
        Err(_) => false,
    }
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

//! Loading an AsyncAPI document: parse YAML or JSON, follow local `$ref`s, and locate nodes in
//! the source text so that errors point at a file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Location, Result};

/// One parsed spec file.
#[derive(Debug)]
pub(crate) struct Document {
    /// The path as given.
    pub path: PathBuf,
    /// The source text, kept to locate nodes for diagnostics.
    text: String,
    /// The document as JSON values, in document order.
    pub root: Value,
}

impl Document {
    /// Reads and parses a YAML or JSON file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "cannot read",
            source,
        })?;
        Self::parse(path, text)
    }

    /// Parses already-read text.
    pub fn parse(path: &Path, text: String) -> Result<Self> {
        let root: Value = serde_yaml::from_str(&text).map_err(|e| Error::Parse {
            location: Location {
                file: path.to_owned(),
                pointer: String::new(),
                line_col: e.location().map(|l| (l.line(), l.column())),
            },
            message: strip_location(&e.to_string()),
        })?;
        Ok(Document {
            path: path.to_owned(),
            text,
            root,
        })
    }

    /// The node at a JSON Pointer (`""` is the root).
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// The location of the node at `pointer`, with line and column when it can be found.
    pub fn location(&self, pointer: &str) -> Location {
        Location {
            file: self.path.clone(),
            pointer: pointer.to_owned(),
            line_col: locate(&self.text, pointer),
        }
    }

    /// A spec error at `pointer`, located in the source.
    pub fn error(&self, pointer: &str, message: impl Into<String>) -> Error {
        Error::Spec {
            location: self.location(pointer),
            message: message.into(),
            help: None,
        }
    }

    /// Follows a chain of local `$ref`s starting at the node at `pointer`. Returns the pointer
    /// of the node finally reached and the node.
    pub fn resolve(&self, pointer: &str) -> Result<(String, &Value)> {
        let mut current = pointer.to_owned();
        let mut seen = vec![];
        loop {
            let node = self
                .get(&current)
                .ok_or_else(|| self.error(&current, "this node does not exist"))?;
            let Some(reference) = node.as_object().and_then(|o| o.get("$ref")) else {
                return Ok((current, node));
            };
            seen.push(current.clone());
            let target = self.ref_target(&format!("{current}/$ref"), reference)?;
            if seen.contains(&target) {
                return Err(self
                    .error(
                        &current,
                        format!("`$ref` cycle: #{} → #{target}", seen.join(" → #")),
                    )
                    .help("a `$ref` chain must end at a real node"));
            }
            current = target;
        }
    }

    /// Checks a `$ref` value (found at `at`) and turns it into a JSON Pointer into this document.
    pub fn ref_target(&self, at: &str, reference: &Value) -> Result<String> {
        let Some(reference) = reference.as_str() else {
            return Err(self.error(at, "`$ref` must be a string"));
        };
        let Some(fragment) = reference.strip_prefix('#') else {
            let what = if reference.contains("://") {
                "remote `$ref`s (URLs) are not supported"
            } else {
                "`$ref`s to other files are not supported yet"
            };
            return Err(self
                .error(at, format!("{what}: `{reference}`"))
                .help("copy the referenced definition into this document and use a local `#/...` reference"));
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(self.error(
                at,
                format!("`$ref: {reference}` is not a JSON Pointer fragment like `#/components/schemas/Name`"),
            ));
        }
        if self.get(fragment).is_none() {
            return Err(self
                .error(
                    at,
                    format!(
                        "`$ref: {reference}` points at nothing in {}",
                        self.path.display()
                    ),
                )
                .help(nearest_existing(&self.root, fragment)));
        }
        Ok(fragment.to_owned())
    }
}

/// A hint naming the deepest part of a pointer that does exist.
fn nearest_existing(root: &Value, fragment: &str) -> String {
    let mut best = String::new();
    let mut prefix = String::new();
    for segment in fragment.split('/').skip(1) {
        prefix.push('/');
        prefix.push_str(segment);
        if root.pointer(&prefix).is_some() {
            best.clone_from(&prefix);
        } else {
            break;
        }
    }
    let node = root.pointer(&best);
    let keys = node
        .and_then(Value::as_object)
        .map(|o| {
            o.keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    if keys.is_empty() {
        format!("`#{best}` exists, but nothing below it does")
    } else {
        format!("`#{best}` exists and has: {keys}")
    }
}

/// Appends one segment to a JSON Pointer, escaping `~` and `/`.
pub(crate) fn child(pointer: &str, segment: &str) -> String {
    format!(
        "{pointer}/{}",
        segment.replace('~', "~0").replace('/', "~1")
    )
}

/// The segments of a JSON Pointer, unescaped.
pub(crate) fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// serde_yaml puts " at line L column C" in its messages; the location is reported separately.
fn strip_location(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_owned();
    };
    // " at line L column C" ends after the column number.
    let rest = &message[start + 9..];
    let end = rest
        .find(" column ")
        .map(|c| {
            c + 8
                + rest[c + 8..]
                    .find(|ch: char| !ch.is_ascii_digit())
                    .unwrap_or(rest.len() - c - 8)
        })
        .unwrap_or(rest.len());
    format!("{}{}", &message[..start], &rest[end..])
}

const FOUND: &str = "\u{0}socketsundso-found";

/// Finds the line and column of the node at `pointer` in YAML or JSON `text`.
///
/// It walks the document with serde_yaml along the pointer and raises an error at the target;
/// serde_yaml attaches the position of the node being read to every error, so the position comes
/// from the parser itself. Runs only when an error is reported.
pub(crate) fn locate(text: &str, pointer: &str) -> Option<(usize, usize)> {
    if pointer.is_empty() {
        return Some((1, 1));
    }
    let segments = segments(pointer);
    let de = serde_yaml::Deserializer::from_str(text);
    match (Seek {
        segments: &segments,
    })
    .deserialize(de)
    {
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| (l.line(), l.column())),
        _ => None,
    }
}

struct Seek<'a> {
    segments: &'a [String],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.segments.is_empty() {
            // Raise the marker while reading the node, so that it carries the node's position.
            return d.deserialize_any(Found);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (first, rest) = self.segments.split_first().expect("segments are not empty");
        while let Some(found) = map.next_key_seed(Key {
            wanted: first,
            last: rest.is_empty(),
        })? {
            if found {
                return map.next_value_seed(Seek { segments: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (first, rest) = self.segments.split_first().expect("segments are not empty");
        let Ok(index) = first.parse::<usize>() else {
            return Ok(());
        };
        for _ in 0..index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Seek { segments: rest })?;
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Fails on whatever node it reads, with the marker error.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
}

/// Reads a mapping key; reports whether it is the wanted one. For the last segment of the
/// pointer it raises the marker error on the key itself, so the position is the key's.
struct Key<'a> {
    wanted: &'a str,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        if key == self.wanted {
            if self.last {
                return Err(E::custom(FOUND));
            }
            return Ok(true);
        }
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\ncomponents:\n  messages:\n    a/b:\n      payload:\n        type: object\n    list: [x, {y: 1}]\n";

    #[test]
    fn locates_keys_and_nested_nodes() {
        assert_eq!(locate(YAML, "/info/title"), Some((3, 3)));
        assert_eq!(
            locate(YAML, "/components/messages/a~1b/payload/type"),
            Some((9, 9))
        );
        assert_eq!(locate(YAML, "/components/messages/list/1"), Some((10, 15)));
        assert_eq!(locate(YAML, "/components/nothing"), None);
        assert_eq!(locate(YAML, ""), Some((1, 1)));
    }

    #[test]
    fn locates_in_json_too() {
        let json = "{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}";
        assert_eq!(locate(json, "/a/b"), Some((3, 5)));
    }

    #[test]
    fn parse_errors_have_line_and_column() {
        let err = Document::parse(Path::new("x.yaml"), "a: [1, 2\nb: 3\n".into()).unwrap_err();
        let loc = err.location().unwrap();
        assert!(loc.line_col.is_some(), "{err}");
        assert!(err.to_string().starts_with("x.yaml:"), "{err}");
    }

    #[test]
    fn refs_resolve_and_report_what_exists() {
        let doc = Document::parse(Path::new("x.yaml"), format!("{YAML}    r:\n      $ref: '#/components/messages/a~1b'\n    bad:\n      $ref: '#/components/mesages/x'\n")).unwrap();
        let (ptr, node) = doc.resolve("/components/messages/r").unwrap();
        assert_eq!(ptr, "/components/messages/a~1b");
        assert!(node.get("payload").is_some());
        let err = doc
            .resolve("/components/messages/bad")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.yaml:14:7"), "{err}");
        assert!(err.contains("points at nothing"), "{err}");
        assert!(
            err.contains("`#/components` exists and has: `messages`"),
            "{err}"
        );
    }
}

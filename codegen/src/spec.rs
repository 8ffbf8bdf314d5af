//! Loading an AsyncAPI document: parse YAML or JSON, follow local `$ref`s, and locate nodes in
//! the source text so that errors point at a file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Location, Result};

/// Where the files that the main document references are mounted in the bundled tree.
pub(crate) const MOUNT: &str = "x-socketsundso-files";

/// A spec, with every file it references through `$ref`, bundled into one tree.
///
/// Each referenced file is mounted under `/x-socketsundso-files/<n>` of the main document, and
/// every `$ref` (local or relative) is rewritten to a pointer into the bundle. So the rest of the
/// generator sees one document with local references only, while errors still point into the
/// file and line where a node really is.
#[derive(Debug)]
pub(crate) struct Document {
    /// The bundle, in document order.
    pub root: Value,
    /// Every file read; the main one first.
    files: Vec<SourceFile>,
}

#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    /// Canonical path, to load each file once.
    canonical: PathBuf,
    /// What the YAML reader reads (see [`readable`]); kept to locate nodes for diagnostics.
    text: String,
    /// Where the file's root is in the bundle: `""` for the main file.
    prefix: String,
}

impl Document {
    /// Reads and parses a YAML or JSON file and every file it references.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read(path)?;
        Self::parse(path, text)
    }

    /// Parses already-read text (and reads the files it references).
    pub fn parse(path: &Path, text: String) -> Result<Self> {
        let text = readable(path, text);
        let mut root = parse_text(path, &text)?;
        let mut doc = Document {
            root: Value::Null,
            files: vec![SourceFile {
                path: path.to_owned(),
                canonical: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
                text,
                prefix: String::new(),
            }],
        };
        let mut mounted = serde_json::Map::new();
        doc.rewrite_refs(&mut root, 0, &mut String::new())?;
        // Files found while rewriting are appended to `files`; rewrite them in turn.
        let mut next = 1;
        let mut roots = vec![];
        while next < doc.files.len() {
            let file = &doc.files[next];
            let mut value = parse_text(&file.path, &file.text)?;
            doc.rewrite_refs(&mut value, next, &mut String::new())?;
            roots.push((next, value));
            next += 1;
        }
        for (index, value) in roots {
            mounted.insert(index.to_string(), value);
        }
        if !mounted.is_empty() {
            match &mut root {
                Value::Object(object) => {
                    object.insert(MOUNT.to_owned(), Value::Object(mounted));
                }
                _ => return Err(doc.error("", "the document must be a YAML mapping")),
            }
        }
        doc.root = root;
        Ok(doc)
    }

    /// Every file read: the main one, then the ones it references.
    pub fn sources(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.path.clone()).collect()
    }

    /// Rewrites every `$ref` in `value` (part of file `file`, found at local pointer `at`) to a
    /// `#/...` pointer into the bundle, loading referenced files.
    fn rewrite_refs(&mut self, value: &mut Value, file: usize, at: &mut String) -> Result<()> {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(reference)) = object.get("$ref") {
                    let here = format!("{}{}", self.files[file].prefix, child(at, "$ref"));
                    let global = self.bundle_pointer(file, reference, &here)?;
                    object.insert("$ref".to_owned(), Value::String(format!("#{global}")));
                }
                for (key, child_value) in object.iter_mut() {
                    if key != "$ref" {
                        let len = at.len();
                        push_segment(at, key);
                        self.rewrite_refs(child_value, file, at)?;
                        at.truncate(len);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = at.len();
                    push_index(at, i);
                    self.rewrite_refs(item, file, at)?;
                    at.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The bundle pointer of a `$ref` found in file `file` (at bundle pointer `here`).
    fn bundle_pointer(&mut self, file: usize, reference: &str, here: &str) -> Result<String> {
        let (path_part, fragment) = match reference.split_once('#') {
            Some((path, fragment)) => (path, fragment),
            None => (reference, ""),
        };
        let fragment = decode_percent(fragment);
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(self.error(
                here,
                format!("`$ref: {reference}` is not a JSON Pointer fragment like `#/components/schemas/Name`"),
            ));
        }
        if path_part.is_empty() {
            return Ok(format!("{}{fragment}", self.files[file].prefix));
        }
        if path_part.contains("://") {
            return Err(self
                .error(
                    here,
                    format!("remote `$ref`s (URLs) are not supported: `{reference}`"),
                )
                .help("download the referenced file next to this one and use a relative path"));
        }
        let base = self.files[file].path.parent().unwrap_or(Path::new(""));
        let target = normalize(&base.join(decode_percent(path_part)));
        let canonical = std::fs::canonicalize(&target).map_err(|e| {
            self.error(
                here,
                format!("`$ref: {reference}`: cannot read {}: {e}", target.display()),
            )
        })?;
        let index = match self.files.iter().position(|f| f.canonical == canonical) {
            Some(index) => index,
            None => {
                let text = read(&target).map_err(|e| {
                    self.error(here, format!("`$ref: {reference}`: {}", e.message()))
                })?;
                let text = readable(&target, text);
                let index = self.files.len();
                self.files.push(SourceFile {
                    path: target,
                    canonical,
                    text,
                    prefix: format!("/{MOUNT}/{index}"),
                });
                index
            }
        };
        Ok(format!("{}{fragment}", self.files[index].prefix))
    }

    /// The node at a JSON Pointer into the bundle (`""` is the root).
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// The file that holds the node at a bundle pointer, and the node's pointer in that file.
    fn source_of(&self, pointer: &str) -> (&SourceFile, String) {
        for file in self.files.iter().skip(1) {
            if let Some(rest) = pointer.strip_prefix(&file.prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return (file, rest.to_owned());
            }
        }
        (&self.files[0], pointer.to_owned())
    }

    /// A bundle pointer as the user wrote it: `#/components/x` in the main file,
    /// `common/schemas.yaml#/x` in another.
    pub fn display_pointer(&self, pointer: &str) -> String {
        let (file, local) = self.source_of(pointer);
        if file.prefix.is_empty() {
            format!("#{local}")
        } else {
            format!("{}#{local}", file.path.display())
        }
    }

    /// The location of the node at `pointer`: its file and, where it can be found, line and
    /// column. A node the generator made itself (when it reads AsyncAPI 2) has no line; its
    /// nearest ancestor in the file gives one.
    pub fn location(&self, pointer: &str) -> Location {
        let (file, local) = self.source_of(pointer);
        let mut line_col = None;
        let mut probe = local.as_str();
        loop {
            if let Some(found) = locate(&file.text, probe) {
                line_col = Some(found);
                break;
            }
            match probe.rfind('/') {
                Some(i) => probe = &probe[..i],
                None => break,
            }
        }
        Location {
            file: file.path.clone(),
            pointer: local,
            line_col,
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
            // A `$ref` that is not a string is not a reference (a property named `$ref`).
            let Some(reference) = node
                .as_object()
                .and_then(|o| o.get("$ref"))
                .filter(|r| r.is_string())
            else {
                return Ok((current, node));
            };
            seen.push(current.clone());
            let target = self.ref_target(&format!("{current}/$ref"), reference)?;
            if seen.contains(&target) {
                return Err(self
                    .error(
                        &current,
                        format!(
                            "`$ref` cycle: {}",
                            seen.iter()
                                .chain(std::iter::once(&target))
                                .map(|p| self.display_pointer(p))
                                .collect::<Vec<_>>()
                                .join(" → ")
                        ),
                    )
                    .help("a `$ref` chain must end at a real node"));
            }
            current = target;
        }
    }

    /// Checks a `$ref` value (found at `at`; already rewritten to a bundle pointer when the
    /// document was loaded) and returns the pointer it names.
    pub fn ref_target(&self, at: &str, reference: &Value) -> Result<String> {
        let Some(reference) = reference.as_str() else {
            return Err(self.error(at, "`$ref` must be a string"));
        };
        let fragment = reference.strip_prefix('#').unwrap_or(reference);
        if self.get(fragment).is_none() {
            let (file, local) = self.source_of(fragment);
            // A pointer may pass through a `$ref` (`#/channels/echo/messages/echo` where
            // `#/channels/echo` is a `$ref` into another file); the AsyncAPI parser follows it.
            let reached = match self.through_refs(fragment) {
                Through::Found(target) => return Ok(target),
                Through::Cycle(at_ref) => {
                    return Err(self
                        .error(
                            at,
                            format!(
                                "`$ref: #{local}` in {} passes through `{}`, whose `$ref`s go round in a cycle",
                                file.path.display(),
                                self.display_pointer(&at_ref)
                            ),
                        )
                        .help("a `$ref` chain must end at a real node"));
                }
                Through::Missing(reached) => reached,
            };
            let (best, keys) = nearest_existing(&self.root, fragment);
            // Where the pointer stops at a `$ref`, the keys that matter are those of its target.
            let stops_at_ref = self
                .get(&best)
                .and_then(|node| node.get("$ref"))
                .is_some_and(Value::is_string);
            let (best, keys) = if stops_at_ref && reached != best {
                (reached.clone(), object_keys(self.get(&reached)))
            } else {
                (best, keys)
            };
            let best = self.display_pointer(&best);
            let hint = if let Some(fixed) = escaped_slashes(&self.root, fragment) {
                // A key with a `/` in it (`user/signedup`), written as is: the pointer splits it.
                // Spelled as the `$ref` at `at` must write it: with the file, when that is
                // another one.
                let (from, _) = self.source_of(at);
                let (to, fixed) = self.source_of(&fixed);
                let file = if from.prefix == to.prefix {
                    String::new()
                } else {
                    relative_path(from.path.parent().unwrap_or(Path::new("")), &to.path)
                };
                format!(
                    "a `/` inside a key is written `~1` in a JSON Pointer (and `~` as `~0`): `$ref: '{file}#{fixed}'`"
                )
            } else if keys.is_empty() {
                format!("`{best}` exists, but nothing below it does")
            } else {
                format!("`{best}` exists and has: {keys}")
            };
            return Err(self
                .error(
                    at,
                    format!(
                        "`$ref: #{local}` points at nothing in {}",
                        file.path.display()
                    ),
                )
                .help(hint));
        }
        Ok(fragment.to_owned())
    }
}

/// Where a pointer reaches when every `$ref` on its way is followed.
enum Through {
    /// The node it reaches.
    Found(String),
    /// It reaches nothing; the deepest node it reached on the way.
    Missing(String),
    /// It goes round a cycle of `$ref`s, at the node given.
    Cycle(String),
}

impl Document {
    /// The pointer of the node that `pointer` reaches when every `$ref` on its way is followed
    /// (a node with a `$ref` stands for its target), see [`Through`].
    fn through_refs(&self, pointer: &str) -> Through {
        let mut current = String::new();
        let mut reached = String::new();
        // Each hop through a `$ref` counts, so that a cycle of `$ref`s ends.
        let mut hops = 0;
        for segment in pointer.split('/').skip(1) {
            let start = current.clone();
            loop {
                let Some(node) = self.get(&current) else {
                    return Through::Missing(reached);
                };
                reached.clone_from(&current);
                match node.get("$ref").and_then(Value::as_str) {
                    Some(reference)
                        if segment != "$ref" && node.get(unescape(segment)).is_none() =>
                    {
                        hops += 1;
                        if hops > 64 {
                            return Through::Cycle(start);
                        }
                        current = reference.strip_prefix('#').unwrap_or(reference).to_owned();
                    }
                    _ => break,
                }
            }
            current.push('/');
            current.push_str(segment);
        }
        match self.get(&current) {
            Some(_) => Through::Found(current),
            None => Through::Missing(reached),
        }
    }
}

/// `to` as a `$ref` in a file in `from_dir` writes it (both relative to the same directory).
fn relative_path(from_dir: &Path, to: &Path) -> String {
    use std::path::Component;
    let from: Vec<Component<'_>> = from_dir.components().collect();
    let target: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for component in &target[common..] {
        out.push(component.as_os_str());
    }
    out.to_string_lossy().replace('\\', "/")
}

/// The keys of an object node, for a help text: `` `a`, `b` ``.
fn object_keys(node: Option<&Value>) -> String {
    node.and_then(Value::as_object)
        .map(|o| {
            o.keys()
                .filter(|k| *k != MOUNT)
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The pointer that `fragment` meant when some of its `/`s are part of a key (`#/channels/
/// user/signedup` for the channel `user/signedup`), spelled with `~1`; `None` when no such
/// reading reaches a node.
fn escaped_slashes(root: &Value, fragment: &str) -> Option<String> {
    fn find(node: &Value, segments: &[&str]) -> Option<Vec<String>> {
        if segments.is_empty() {
            return Some(vec![]);
        }
        for n in 1..=segments.len() {
            let key = unescape(&segments[..n].join("/"));
            let next = match node {
                Value::Object(object) => object.get(&key),
                Value::Array(items) if n == 1 => {
                    key.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            if let Some(next) = next
                && let Some(mut rest) = find(next, &segments[n..])
            {
                rest.insert(0, key);
                return Some(rest);
            }
        }
        None
    }
    let segments: Vec<&str> = fragment.split('/').skip(1).collect();
    // Each segment can start a key or continue one: keep the search small.
    if segments.len() > 24 {
        return None;
    }
    let keys = find(root, &segments)?;
    let fixed: String = keys.iter().map(|key| child("", key)).collect();
    (fixed != fragment).then_some(fixed)
}

/// One segment of a JSON Pointer, unescaped.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The deepest part of a pointer that does exist, and the keys it has.
fn nearest_existing(root: &Value, fragment: &str) -> (String, String) {
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
    let keys = root
        .pointer(&best)
        .and_then(Value::as_object)
        .map(|o| {
            o.keys()
                .filter(|k| *k != MOUNT)
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    (best, keys)
}

/// `a/b/../c` → `a/c`, without touching the file system (so diagnostics show a clean path).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "cannot read",
        source,
    })
}

fn parse_text(path: &Path, text: &str) -> Result<Value> {
    // A byte-order mark is not part of the YAML.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let de = serde_yaml::Deserializer::from_str(text);
    StrictYaml.deserialize(de).map_err(|e| {
        // A `.json` file written as JSON, with a surrogate pair, that is not JSON after all (see
        // [`readable`]): the YAML reader stops at the pair, but the mistake is JSON's.
        let looks_like_json = text.trim_start().starts_with(['{', '[']);
        let json_error = (is_json(path) && looks_like_json && has_surrogate_pair(text))
            .then(|| serde_json::from_str::<IgnoredAny>(text).err())
            .flatten();
        match json_error {
            Some(json) => Error::Parse {
                location: Location {
                    file: path.to_owned(),
                    pointer: String::new(),
                    // serde_json counts bytes; the column is in characters.
                    line_col: Some((
                        json.line(),
                        text.lines().nth(json.line().saturating_sub(1)).map_or(
                            json.column(),
                            |line| {
                                let bytes = json.column().saturating_sub(1).min(line.len());
                                line.char_indices().take_while(|(i, _)| *i < bytes).count() + 1
                            },
                        ),
                    )),
                },
                message: strip_location(&json.to_string()),
            },
            None => Error::Parse {
                location: Location {
                    file: path.to_owned(),
                    pointer: String::new(),
                    line_col: e.location().map(|l| (l.line(), l.column())),
                },
                message: strip_location(&e.to_string()),
            },
        }
    })
}

/// Whether `path` names a JSON file.
fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Whether `text` has a surrogate pair escape (`\ud83d\ude00`).
fn has_surrogate_pair(text: &str) -> bool {
    text.match_indices("\\u")
        .any(|(at, _)| surrogate_pair(&text[at..]).is_some())
}

/// The character of the surrogate pair escape at the start of `s`.
fn surrogate_pair(s: &str) -> Option<u32> {
    /// The code unit of a `\uXXXX` escape at the start of `s`.
    fn unit(s: &str) -> Option<u32> {
        let hex = s.strip_prefix("\\u")?.get(..4)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok()
    }
    let high = unit(s).filter(|u| (0xD800..0xDC00).contains(u))?;
    let low = unit(s.get(6..)?).filter(|u| (0xDC00..0xE000).contains(u))?;
    Some(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

/// The text of a file as the YAML reader (which reads JSON files too) can read it. JSON writes a
/// character beyond the Basic Multilingual Plane (an emoji, say) as two `\u` escapes, a
/// surrogate pair (`"\ud83d\ude00"`); the YAML reader refuses each half as an invalid character.
/// In a `.json` file that is JSON (not YAML under a `.json` name, where a backslash outside
/// double quotes is text), each pair becomes YAML's escape for the one character
/// (`\U0001F600`), and the two characters that saves go after the string's closing quote, so
/// that every line, and every column after the string, stays where it was. A lone half is left
/// for the reader to refuse, at its line.
fn readable(path: &Path, text: String) -> String {
    if is_json(path)
        && let Some(joined) = join_surrogates(&text)
    {
        joined
    } else {
        text
    }
}

/// [`readable`]'s rewrite; `None` where there is no pair, or the text is not JSON.
fn join_surrogates(text: &str) -> Option<String> {
    let has_pair = has_surrogate_pair(text);
    let json = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !has_pair || serde_json::from_str::<IgnoredAny>(json).is_err() {
        return None;
    }
    // JSON: a backslash is only ever inside a string, where it starts an escape of two
    // characters or more; `"` and `\` are never a byte of a longer UTF-8 character.
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied, mut in_string, mut pad) = (0, 0, false, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' if in_string => {
                out.push_str(&text[copied..=at]);
                out.extend(std::iter::repeat_n(' ', pad));
                (pad, copied, in_string) = (0, at + 1, false);
                at += 1;
            }
            b'"' => {
                in_string = true;
                at += 1;
            }
            b'\\' if in_string => {
                if let Some(c) = surrogate_pair(&text[at..]) {
                    use std::fmt::Write as _;
                    out.push_str(&text[copied..at]);
                    let _ = write!(out, "\\U{c:08X}");
                    pad += 2;
                    at += 12;
                    copied = at;
                } else {
                    at += 2;
                }
            }
            _ => at += 1,
        }
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Builds the document as JSON values, like serde_yaml's own `Value` deserialization, but
/// rejects what serde_yaml would silently get wrong: a repeated key in a mapping (the last value
/// would win) and a YAML merge key `<<` (its keys would be lost). serde_yaml attaches the position
/// of the offending node to the error.
struct StrictYaml;

impl<'de> DeserializeSeed<'de> for StrictYaml {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictYaml {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("the number {v} is out of range")))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = vec![];
        while let Some(item) = seq.next_element_seed(StrictYaml)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(NewKey(&object))? {
            let value = map.next_value_seed(StrictYaml)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Reads a mapping key that is not in the mapping yet (nor a merge key); the error is raised
/// while the key is read, so it carries the key's position.
struct NewKey<'a>(&'a serde_json::Map<String, Value>);

impl<'de> DeserializeSeed<'de> for NewKey<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NewKey<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
        if key == "<<" {
            return Err(E::custom(
                "YAML merge keys (`<<`) are not supported: their keys would be lost; write the keys out",
            ));
        }
        if self.0.contains_key(key) {
            return Err(E::custom(format!(
                "the key `{key}` appears twice in one mapping"
            )));
        }
        Ok(key.to_owned())
    }
}

/// Decodes `%XX` escapes in a URI fragment.
fn decode_percent(fragment: &str) -> String {
    if !fragment.contains('%') {
        return fragment.to_owned();
    }
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&fragment[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| fragment.to_owned())
}

/// Appends one segment to a JSON Pointer, escaping `~` and `/`.
pub(crate) fn child(pointer: &str, segment: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + segment.len());
    out.push_str(pointer);
    push_segment(&mut out, segment);
    out
}

/// Appends one segment to the JSON Pointer in `pointer`, escaping `~` and `/` (for the walks
/// that extend one pointer and cut it back: [`child`] without a new string for every node).
pub(crate) fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if segment.contains(['~', '/']) {
        for c in segment.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
    } else {
        pointer.push_str(segment);
    }
}

/// [`push_segment`] of an array index.
pub(crate) fn push_index(pointer: &mut String, index: usize) {
    use std::fmt::Write;
    let _ = write!(pointer, "/{index}");
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
    fn json_surrogate_pairs_are_characters() {
        let read = |path: &str, text: &str| {
            let path = Path::new(path);
            parse_text(path, &readable(path, text.to_owned()))
        };
        let json = r#"{"a": "smile \ud83d\ude00!", "b": "\\ud83d\u00e9"}"#;
        let value = read("x.JSON", json).expect("reads");
        assert_eq!(value["a"], "smile \u{1F600}!");
        // An escaped backslash is not the start of an escape.
        assert_eq!(value["b"], "\\ud83d\u{e9}");
        // A lone half stays an error, at its line.
        let err = read("x.json", "{\n\"a\": \"\\ud83d x\"}").unwrap_err();
        assert_eq!(
            err.location().and_then(|l| l.line_col).map(|l| l.0),
            Some(2)
        );
        // YAML is read as it is, under a `.json` name too: a backslash outside double quotes
        // is text.
        for path in ["x.yaml", "x.json"] {
            let value = read(path, "a: \\ud83d\\ude00\nb: '\\ud83d\\ude00'\n").expect("reads");
            assert_eq!(value["a"], "\\ud83d\\ude00", "{path}");
            assert_eq!(value["b"], "\\ud83d\\ude00", "{path}");
        }
        // Every node keeps its line and column, after the pairs too.
        let json = "{\"a\": \"\\ud83d\\ude00\\uD83D\\uDE00\", \"b\": [1, 2],\n \"c\": \"\\ud83d\\ude00\", \"d\": 3}";
        let text = readable(Path::new("x.json"), json.to_owned());
        assert_ne!(text, json);
        let plain = json
            .replace("\\ud83d\\ude00", "xxxxxxxxxxxx")
            .replace("\\uD83D\\uDE00", "xxxxxxxxxxxx");
        for pointer in ["/a", "/b/1", "/c", "/d"] {
            assert_eq!(locate(&text, pointer), locate(&plain, pointer), "{pointer}");
        }
        assert_eq!(locate(&text, "/d"), Some((2, 23)));
        // JSON with a pair and a mistake: the JSON mistake, where it is.
        let err = read(
            "x.json",
            "{\"a\": \"\\ud83d\\ude00\", \"b\": [1, 2 \"c\": 3}",
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected `,` or `]`"), "{err}");
        assert_eq!(err.location().and_then(|l| l.line_col), Some((1, 34)));
        // In characters, not bytes.
        let err = read(
            "x.json",
            "{\"a\": \"éé\\ud83d\\ude00\", \"b\": [1, 2 \"c\": 3}",
        )
        .unwrap_err();
        assert_eq!(err.location().and_then(|l| l.line_col), Some((1, 36)));
        // YAML under a `.json` name gets the YAML reader's error.
        let err = read("x.json", "info:\n  title: \"T \\ud83d\\ude00\"\n").unwrap_err();
        assert!(err.to_string().contains("escape"), "{err}");
    }

    #[test]
    fn parse_errors_have_line_and_column() {
        let err = Document::parse(Path::new("x.yaml"), "a: [1, 2\nb: 3\n".into()).unwrap_err();
        let loc = err.location().unwrap();
        assert!(loc.line_col.is_some(), "{err}");
        assert!(err.to_string().starts_with("x.yaml:"), "{err}");
    }

    #[test]
    fn pointers_pass_through_refs() {
        let doc = Document::parse(
            Path::new("x.yaml"),
            format!("{YAML}    via:\n      $ref: '#/components/messages'\n    loop:\n      $ref: '#/components/messages/loop'\n"),
        )
        .unwrap();
        // `via` stands for `#/components/messages`, so `via/a~1b` is `a~1b` there.
        let at = "/components/messages/x/$ref";
        assert_eq!(
            doc.ref_target(at, &Value::from("#/components/messages/via/a~1b/payload"))
                .unwrap(),
            "/components/messages/a~1b/payload"
        );
        // Twice through the same `$ref`.
        assert_eq!(
            doc.ref_target(at, &Value::from("#/components/messages/via/via/list/1/y"))
                .unwrap(),
            "/components/messages/list/1/y"
        );
        let err = doc
            .ref_target(at, &Value::from("#/components/messages/via/nothing"))
            .unwrap_err();
        assert!(err.to_string().contains("points at nothing"), "{err}");
        // A `$ref` to itself ends.
        assert!(
            doc.ref_target(at, &Value::from("#/components/messages/loop/x"))
                .is_err()
        );
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

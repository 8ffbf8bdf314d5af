//! The JSON Schema Test Suite (draft-07, vendored in `jsonschema-suite/`) as generated APIs.
//!
//! Every file of the suite becomes one AsyncAPI document with one received message per group:
//! message `g<i>` has the group's schema as its `value` property (the schema itself is
//! `components/schemas/S<i>`, with its local `$ref`s rewritten to point there), and objects are
//! left open (`x-socketsundso-unknown-fields: allow`), as JSON Schema has them. The generated Rust
//! goes to `$OUT_DIR/jsonschema-suite/<file>.rs`; `$OUT_DIR/jsonschema_suite.rs` lists every group
//! with its cases, a `decode` function for the groups that generated, and the generator's
//! diagnostic for those it refused. `tests/jsonschema_suite.rs` runs them.
//!
//! When the generator refuses a file's API, every group is tried alone to find the ones it
//! refuses, so one refusal never hides the other groups of its file, and never fails the build.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// Groups whose generated Rust does not compile (a generator bug, each to be fixed): they are
/// not generated, and the skip list says why. `(file, group, why)`.
const DOES_NOT_COMPILE: &[(&str, usize, &str)] = &[];

/// One group of a suite file.
struct Group {
    /// `draft7/allOf.json`, or `draft7/optional/format/email.json`.
    file: String,
    index: usize,
    description: String,
    schema: Value,
    cases: Vec<(String, Value, bool)>,
    /// Not run on either path, and why.
    skip: Option<String>,
    /// The generator's diagnostic, when it refuses the group.
    refused: Option<String>,
    /// The Rust module that holds its generated API.
    module: Option<String>,
}

/// The suite files the tests use, sorted: `tests/draft7/*.json`, the regular-expression files of
/// `tests/draft7/optional/`, then `tests/draft7/optional/format/*.json`.
fn suite_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = vec![];
    for sub in ["draft7", "draft7/optional", "draft7/optional/format"] {
        let dir = root.join("tests").join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let name = format!(
                "{sub}/{}",
                file.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            );
            out.push((name, file));
        }
    }
    out
}

/// Calls `f` on every `$ref` value of `schema` that is in a schema position (not a property
/// *named* `$ref`, not inside `enum` or `const`).
fn visit_refs(schema: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    let Value::Object(object) = schema else {
        return;
    };
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "$ref" => f(value),
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(children) = value {
                    for child in children.values_mut() {
                        visit_refs(child, f);
                    }
                }
            }
            "dependencies" => {
                if let Value::Object(children) = value {
                    for child in children.values_mut().filter(|c| !c.is_array()) {
                        visit_refs(child, f);
                    }
                }
            }
            "items" | "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(children) => {
                    for child in children {
                        visit_refs(child, f);
                    }
                }
                other => visit_refs(other, f),
            },
            "additionalItems"
            | "additionalProperties"
            | "contains"
            | "propertyNames"
            | "not"
            | "if"
            | "then"
            | "else" => visit_refs(value, f),
            _ => {}
        }
    }
}

/// Why a group cannot be run on either path: a `$ref` that is not a JSON Pointer into the same
/// document (a remote URL, a relative URI, an anchor), which only `$id` resolution could follow.
fn skip_reason(schema: &Value) -> Option<String> {
    let mut schema = schema.clone();
    let mut remote = vec![];
    visit_refs(&mut schema, &mut |r| {
        if let Some(r) = r.as_str()
            && r != "#"
            && !r.starts_with("#/")
        {
            remote.push(r.to_owned());
        }
    });
    let first = remote.first()?;
    Some(format!(
        "`$ref: {first}` is not a JSON Pointer into the document (a remote reference, or one that needs `$id` resolution)"
    ))
}

/// Why a file of `optional/format/` is not run: socketsundso does not check its format (the
/// README lists those, and the generator warns about them).
fn unchecked_format(file: &str) -> Option<String> {
    let format = file
        .strip_prefix("draft7/optional/format/")?
        .strip_suffix(".json")?;
    (!socketsundso_codegen::keywords::CHECKED_FORMATS.contains(&format)).then(|| {
        format!("`format: {format}` is not checked (an annotation, as JSON Schema allows)")
    })
}

/// `schema` with every local `$ref` (`#…`) re-rooted at `#<base>`.
fn reroot(schema: &Value, base: &str) -> Value {
    let mut schema = schema.clone();
    visit_refs(&mut schema, &mut |r| {
        if let Some(rest) = r.as_str().and_then(|r| r.strip_prefix('#')) {
            *r = Value::from(format!("#{base}{rest}"));
        }
    });
    schema
}

/// The AsyncAPI document of `groups` (by their indexes in the file).
fn document(file: &str, groups: &[&Group]) -> Value {
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for group in groups {
        let tag = format!("g{}", group.index);
        let name = format!("S{}", group.index);
        messages.insert(
            tag.clone(),
            json!({
                "payload": {
                    "type": "object",
                    "properties": {
                        "type": {"const": tag},
                        "value": {"$ref": format!("#/components/schemas/{name}")}
                    },
                    "required": ["type", "value"]
                }
            }),
        );
        schemas.insert(
            name.clone(),
            reroot(&group.schema, &format!("/components/schemas/{name}")),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": format!("JSON Schema Test Suite: {file}"), "version": "44401e0c"},
        "x-socketsundso-unknown-fields": "allow",
        "x-socketsundso-id-field": false,
        "channels": {"suite": {"address": "/", "messages": messages}},
        "operations": {"receive": {"action": "receive", "channel": {"$ref": "#/channels/suite"}}},
        "components": {"schemas": schemas}
    })
}

/// Generates the Rust of `groups` from a document written to `path`. The error is the located
/// diagnostic: `#<pointer>: <message>`.
fn generate(path: &Path, file: &str, groups: &[&Group]) -> Result<String, String> {
    let text = serde_json::to_string_pretty(&document(file, groups)).expect("JSON");
    std::fs::write(path, text).expect("OUT_DIR is writable");
    // The generator never panics (a panic would be a bug to see, so it fails the build).
    match socketsundso_codegen::Config::new(path).generate() {
        Ok(output) => Ok(output.rust),
        Err(error) => {
            let at = error
                .location()
                .map(|l| format!("#{}: ", l.pointer))
                .unwrap_or_default();
            let mut text = format!("{at}{}", error.message());
            if let Some(hint) = error.hint() {
                write!(text, " (help: {hint})").expect("a String");
            }
            Err(text.replace(['\n', '\t'], " "))
        }
    }
}

fn module_name(file: &str) -> String {
    let stem = file
        .trim_end_matches(".json")
        .replace("draft7/optional/format/", "format/");
    let mut out = String::new();
    for c in stem.chars() {
        match c {
            'A'..='Z' => {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            }
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => out.push('_'),
        }
    }
    out.trim_start_matches('_').replace("__", "_")
}

/// A raw Rust string literal.
fn raw(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

pub fn main(manifest_dir: &Path, out_dir: &Path) {
    let root = manifest_dir.join("jsonschema-suite");
    let dir = out_dir.join("jsonschema-suite");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    let mut groups: Vec<Group> = vec![];
    for (file, path) in suite_files(&root) {
        let text = std::fs::read_to_string(&path).expect("a suite file");
        let parsed: Vec<Value> = serde_json::from_str(&text).expect("a suite file is JSON");
        for (index, group) in parsed.into_iter().enumerate() {
            let schema = group["schema"].clone();
            let cases = group["tests"]
                .as_array()
                .map(|tests| {
                    tests
                        .iter()
                        .map(|t| {
                            (
                                t["description"].as_str().unwrap_or_default().to_owned(),
                                t["data"].clone(),
                                t["valid"].as_bool().unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            groups.push(Group {
                file: file.clone(),
                index,
                description: group["description"].as_str().unwrap_or_default().to_owned(),
                skip: skip_reason(&schema).or_else(|| unchecked_format(&file)),
                schema,
                cases,
                refused: None,
                module: None,
            });
        }
    }

    // Generate one API per file. When the generator refuses it, each group alone finds the
    // refusals, and the rest is generated together again (or per group, if that still fails).
    let files: Vec<String> = {
        let mut files: Vec<String> = groups.iter().map(|g| g.file.clone()).collect();
        files.dedup();
        files
    };
    let mut modules: Vec<(String, String)> = vec![];
    for file in &files {
        let stem = module_name(file);
        let mut ok: Vec<usize> = vec![];
        for (i, group) in groups.iter_mut().enumerate() {
            if group.file != *file || group.skip.is_some() {
                continue;
            }
            match DOES_NOT_COMPILE
                .iter()
                .find(|(f, g, _)| *f == file && *g == group.index)
            {
                Some((_, _, why)) => {
                    group.refused = Some(format!("the generated Rust does not compile: {why}"));
                }
                None => ok.push(i),
            }
        }
        let path = dir.join(format!("{stem}.json"));
        let mut together = generate(
            &path,
            file,
            &ok.iter().map(|&i| &groups[i]).collect::<Vec<_>>(),
        );
        if together.is_err() {
            for &i in &ok {
                let path = dir.join(format!("{stem}-{}.json", groups[i].index));
                if let Err(diagnostic) = generate(&path, file, &[&groups[i]]) {
                    groups[i].refused = Some(diagnostic);
                }
            }
            ok.retain(|&i| groups[i].refused.is_none());
            together = generate(
                &path,
                file,
                &ok.iter().map(|&i| &groups[i]).collect::<Vec<_>>(),
            );
        }
        if ok.is_empty() {
            continue;
        }
        match together {
            Ok(rust) => {
                modules.push((stem.clone(), rust));
                for &i in &ok {
                    groups[i].module = Some(stem.clone());
                }
            }
            Err(_) => {
                for &i in &ok {
                    let module = format!("{stem}_{}", groups[i].index);
                    let path = dir.join(format!("{stem}-{}.json", groups[i].index));
                    match generate(&path, file, &[&groups[i]]) {
                        Ok(rust) => {
                            modules.push((module.clone(), rust));
                            groups[i].module = Some(module);
                        }
                        Err(diagnostic) => groups[i].refused = Some(diagnostic),
                    }
                }
            }
        }
    }

    let mut out = String::new();
    for (module, rust) in &modules {
        let path = dir.join(format!("{module}.rs"));
        socketsundso_codegen::write_if_changed(&path, rust).expect("OUT_DIR is writable");
        writeln!(
            out,
            "pub mod {module} {{\n    include!({:?});\n}}",
            path.display().to_string()
        )
        .expect("a String");
    }
    out.push_str("pub static GROUPS: &[Group] = &[\n");
    for group in &groups {
        let fast = match (&group.skip, &group.refused, &group.module) {
            (Some(_), _, _) => "Fast::Skipped".to_owned(),
            (None, Some(diagnostic), _) => format!("Fast::Refused({diagnostic:?})"),
            (None, None, Some(module)) => format!(
                "Fast::Run(|text| ::socketsundso::decode::<{module}::ClientMessage>(text).map(|_| ()).map_err(|e| e.to_json()))"
            ),
            (None, None, None) => "Fast::Refused(\"not generated\")".to_owned(),
        };
        let validator_document = json!({ "schema": reroot(&group.schema, "/schema") });
        writeln!(
            out,
            "    Group {{ file: {:?}, index: {}, description: {:?}, skip: {:?}, fast: {fast}, document: {}, cases: &[",
            group.file,
            group.index,
            group.description,
            group.skip,
            raw(&validator_document.to_string()),
        )
        .expect("a String");
        for (description, data, valid) in &group.cases {
            let frame = format!(r#"{{"type":"g{}","value":{data}}}"#, group.index);
            writeln!(
                out,
                "        Case {{ description: {description:?}, data: {}, frame: {}, valid: {valid} }},",
                raw(&data.to_string()),
                raw(&frame),
            )
            .expect("a String");
        }
        out.push_str("    ] },\n");
    }
    out.push_str("];\n");
    socketsundso_codegen::write_if_changed(&out_dir.join("jsonschema_suite.rs"), &out)
        .expect("OUT_DIR is writable");
}

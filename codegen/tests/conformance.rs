//! Conformance over real AsyncAPI documents: every `.yml`/`.yaml` file under
//! `<repo>/tests/asyncapi/` (the official AsyncAPI 2.6.0 and 3.0.0 examples, vendored unmodified
//! with their Apache-2.0 license, and under `socketsundso/` documents written for this project in
//! the style of real WebSocket APIs; see `tests/asyncapi/README.md`).
//!
//! For each file the generator must either produce Rust or fail with a located diagnostic; it
//! must never panic. The outcomes are goldens:
//! - `tests/conformance/<path>.rs`: the Rust of each document that generates (compiled by
//!   `socketsundso-tests` under `#![deny(warnings)]` and clippy, like the fixtures);
//! - `docs/conformance.md`: one row per document with its outcome and first diagnostic.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-codegen --test conformance` rewrites them
//! (and removes the Rust of documents that no longer generate).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use socketsundso_codegen::{Config, Error, Location, Output, Report};

/// How the goldens are rewritten.
const REGENERATE: &str =
    "EXPECTORATE=overwrite cargo test -p socketsundso-codegen --test conformance";

/// The WebSocket APIs among the documents: these must generate.
const WEBSOCKET_DOCUMENTS: &[&str] = &[
    "2.6.0/slack-rtm.yml",
    "3.0.0/slack-rtm-asyncapi.yml",
    "2.6.0/websocket-gemini.yml",
    "3.0.0/websocket-gemini-asyncapi.yml",
    "3.0.0/kraken-websocket-request-reply-message-filter-in-reply-asyncapi.yml",
    "3.0.0/kraken-websocket-request-reply-multiple-channels-asyncapi.yml",
    "2.6.0/social-media/frontend/asyncapi.yaml",
    "2.6.0/social-media/backend/asyncapi.yaml",
    "3.0.0/social-media/frontend/asyncapi.yaml",
    "3.0.0/social-media/backend/asyncapi.yaml",
    "socketsundso/market-data.yaml",
];

/// Diagnostics in the table are cut to about this many characters.
const MAX_DIAGNOSTIC: usize = 120;

/// The repository's root (the parent of the codegen crate).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the codegen crate is inside the repository")
        .to_owned()
}

/// `<repo>/tests/asyncapi`, canonical, so that its prefix can be cut from every message.
fn asyncapi_dir() -> PathBuf {
    let dir = repo().join("tests").join("asyncapi");
    std::fs::canonicalize(&dir).unwrap_or_else(|e| {
        panic!(
            "the vendored AsyncAPI documents are missing: {}: {e}",
            dir.display()
        )
    })
}

/// Every `.yml`/`.yaml` file under `dir`, recursively, relative to `dir`, sorted.
fn documents(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(
                    path.strip_prefix(root)
                        .expect("found under the root")
                        .to_owned(),
                );
            }
        }
    }
    let mut out = vec![];
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// What became of one document.
#[derive(Debug)]
enum Outcome {
    /// Rust was generated.
    Generates { output: Output },
    /// A located diagnostic stopped generation: something socketsundso does not support.
    Unsupported { error: Error },
    /// A located diagnostic stopped generation: the document is not usable as it is.
    Error { error: Error },
    /// The generator panicked: always a bug.
    Panic { message: String },
}

#[derive(Debug)]
struct Case {
    /// Relative to the asyncapi folder, with `/`.
    path: String,
    /// The document's `asyncapi` field, if it has one.
    version: Option<String>,
    outcome: Outcome,
    /// From `validate()`.
    report: Report,
}

impl Case {
    fn warnings(&self) -> usize {
        self.report.warnings.len()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn is_unsupported(error: &Error) -> bool {
    let message = error.message();
    [
        "not supported",
        "unsupported",
        "is supported",
        "are supported",
        "must be a JSON object",
    ]
    .iter()
    .any(|s| message.contains(s))
}

fn run(dir: &Path, relative: &Path) -> Case {
    let spec = dir.join(relative);
    let path = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let version = std::fs::read_to_string(&spec)
        .ok()
        .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
        .and_then(|yaml| match yaml.get("asyncapi")? {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    let ran = catch_unwind(AssertUnwindSafe(|| {
        let report = Config::new(&spec).validate();
        let generated = Config::new(&spec).generate();
        (report, generated)
    }));
    let (report, generated) = match ran {
        Ok(ran) => ran,
        Err(payload) => {
            return Case {
                path,
                version,
                outcome: Outcome::Panic {
                    message: panic_message(&*payload),
                },
                report: Report::default(),
            };
        }
    };
    let outcome = match generated {
        Ok(output) => {
            assert!(
                report.errors.is_empty(),
                "{path}: generate() succeeds but validate() reports errors: {:?}",
                report.errors
            );
            assert_eq!(
                output.warnings.len(),
                report.warnings.len(),
                "{path}: generate() and validate() disagree on the warnings"
            );
            Outcome::Generates { output }
        }
        Err(error) => {
            let first = report.errors.first().unwrap_or_else(|| {
                panic!("{path}: generate() fails but validate() reports no error: {error}")
            });
            assert_eq!(
                first.to_string(),
                error.to_string(),
                "{path}: generate() and validate() disagree on the first error"
            );
            let location = error
                .location()
                .unwrap_or_else(|| panic!("{path}: an error without a location: {error}"));
            assert!(
                location.line_col.is_some(),
                "{path}: an error without a line: {error}"
            );
            for other in &report.errors {
                assert!(
                    other.location().is_some_and(|l| l.line_col.is_some()),
                    "{path}: validate() reports an error without a line: {other}"
                );
            }
            if is_unsupported(&error) {
                Outcome::Unsupported { error }
            } else {
                Outcome::Error { error }
            }
        }
    };
    Case {
        path,
        version,
        outcome,
        report,
    }
}

/// Every document's outcome, computed once for all tests.
fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = asyncapi_dir();
        let files = documents(&dir);
        assert!(
            files.len() >= 40,
            "expected the AsyncAPI examples in {}, found {} documents",
            dir.display(),
            files.len()
        );
        files.iter().map(|file| run(&dir, file)).collect()
    })
}

/// Removes `.` and `..` without touching the file system: `a/b/../c` → `a/c`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Cuts the machine-specific prefix (the asyncapi folder) from every path in `text`, including
/// paths that go through `..` (a file reached through a relative `$ref`).
fn relative_text(text: &str, dir: &Path) -> String {
    let prefix = format!("{}/", dir.display());
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&prefix) {
        out.push_str(&rest[..start]);
        let after = &rest[start + prefix.len()..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ':' | '`' | ',' | ')' | '('))
            .unwrap_or(after.len());
        out.push_str(&normalize(Path::new(&after[..end])).display().to_string());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn location_text(location: &Location, dir: &Path) -> String {
    let file = location.file.strip_prefix(dir).unwrap_or(&location.file);
    let mut text = normalize(file).display().to_string();
    if let Some((line, _)) = location.line_col {
        write!(text, ":{line}").expect("writing to a String");
    }
    text
}

/// `file:line: message`, on one line, without the machine's paths, cut to [`MAX_DIAGNOSTIC`]
/// characters, with `|` escaped for the table.
fn diagnostic(location: Option<&Location>, message: &str, dir: &Path) -> String {
    let message = relative_text(message, dir).replace('\n', " ");
    let text = match location {
        Some(location) => format!("{}: {message}", location_text(location, dir)),
        None => message,
    };
    let text = if text.chars().count() > MAX_DIAGNOSTIC {
        let cut: String = text.chars().take(MAX_DIAGNOSTIC - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        text
    };
    text.replace('|', "\\|")
}

/// The golden file of a generating document: `tests/conformance/<path with / - . → _>.rs`.
fn golden_name(path: &str) -> String {
    format!("{}.rs", path.replace(['/', '-', '.'], "_"))
}

fn conformance_dir() -> PathBuf {
    repo().join("tests").join("conformance")
}

fn table(cases: &[Case], dir: &Path) -> String {
    let count = |f: fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let generates = count(|o| matches!(o, Outcome::Generates { .. }));
    let unsupported = count(|o| matches!(o, Outcome::Unsupported { .. }));
    let errors = count(|o| matches!(o, Outcome::Error { .. }));
    let panics = count(|o| matches!(o, Outcome::Panic { .. }));
    let mut out = String::new();
    let w = &mut out;
    writeln!(w, "# AsyncAPI conformance").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "<!-- @generated by codegen/tests/conformance.rs. Do not edit by hand. -->"
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "What socketsundso makes of every AsyncAPI document in `tests/asyncapi/`: the official \
         AsyncAPI 2.6.0 and 3.0.0 examples, vendored unmodified, and under `socketsundso/` \
         documents written for this project the way real WebSocket APIs are described (market \
         data, speech streaming, a document spread over files, a large exchange API). Each document either \
         generates Rust or fails with a diagnostic that names its file and line; none may panic \
         the generator. The Rust of each generating document is a golden file in \
         `tests/conformance/`, compiled under `#![deny(warnings)]` and clippy by \
         `socketsundso-tests`. Each generating document also gives the TypeScript types and \
         client (`api.ts`, `client.ts`; the `TypeScript` column counts their lines), which \
         `tests/js/goldens.test.mjs` compiles with `tsc --strict`, `noUncheckedIndexedAccess`, \
         `exactOptionalPropertyTypes` and `noUnusedLocals`."
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "Regenerate this file and the goldens with:").unwrap();
    writeln!(w).unwrap();
    writeln!(w, "```sh\n{REGENERATE}\n```").unwrap();
    writeln!(w).unwrap();
    writeln!(w, "## Summary").unwrap();
    writeln!(w).unwrap();
    writeln!(w, "| | count |").unwrap();
    writeln!(w, "|---|---:|").unwrap();
    writeln!(w, "| documents | {} |", cases.len()).unwrap();
    writeln!(w, "| generate | {generates} |").unwrap();
    writeln!(
        w,
        "| fail with a located diagnostic | {} |",
        unsupported + errors
    )
    .unwrap();
    writeln!(w, "| &nbsp;&nbsp;of which `unsupported` | {unsupported} |").unwrap();
    writeln!(w, "| &nbsp;&nbsp;of which `error` | {errors} |").unwrap();
    writeln!(w, "| panics | {panics} |").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "Outcomes: `generates` (Rust produced; the first diagnostic is then the first warning), \
         `unsupported` (the document uses something socketsundso does not support, such as a \
         non-JSON payload), `error` (the document is not a usable AsyncAPI document as it is: \
         for example a fragment that other documents reference, or one whose messages have no \
         direction)."
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "## Documents").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "| document | AsyncAPI | outcome | TypeScript | warnings | first diagnostic |"
    )
    .unwrap();
    writeln!(w, "|---|---|---|---|---:|---|").unwrap();
    for case in cases {
        let (outcome, first) = match &case.outcome {
            Outcome::Generates { .. } => (
                "generates",
                case.report
                    .warnings
                    .first()
                    .map(|w| diagnostic(Some(&w.location), &format!("warning: {}", w.message), dir))
                    .unwrap_or_default(),
            ),
            Outcome::Unsupported { error } => (
                "unsupported",
                diagnostic(error.location(), &error.message(), dir),
            ),
            Outcome::Error { error } => {
                ("error", diagnostic(error.location(), &error.message(), dir))
            }
            Outcome::Panic { message } => ("**panic**", diagnostic(None, message, dir)),
        };
        let typescript = match &case.outcome {
            Outcome::Generates { output } => {
                let lines =
                    |name: &str| output.typescript.get(name).map_or(0, |t| t.lines().count());
                format!("✓ {} + {} lines", lines("api.ts"), lines("client.ts"))
            }
            _ => "—".to_owned(),
        };
        writeln!(
            w,
            "| `{}` | {} | {outcome} | {typescript} | {} | {first} |",
            case.path,
            case.version.as_deref().unwrap_or("—"),
            case.warnings()
        )
        .unwrap();
    }
    out
}

#[test]
fn no_document_panics_the_generator() {
    let panics: Vec<String> = cases()
        .iter()
        .filter_map(|case| match &case.outcome {
            Outcome::Panic { message } => Some(format!("{}: {message}", case.path)),
            _ => None,
        })
        .collect();
    assert!(
        panics.is_empty(),
        "the generator panicked on:\n{}",
        panics.join("\n")
    );
}

#[test]
fn websocket_documents_generate() {
    let cases = cases();
    let mut failures = vec![];
    for wanted in WEBSOCKET_DOCUMENTS {
        let case = cases
            .iter()
            .find(|c| c.path == *wanted)
            .unwrap_or_else(|| panic!("{wanted} is not among the documents"));
        match &case.outcome {
            Outcome::Generates { .. } => {}
            Outcome::Unsupported { error } | Outcome::Error { error } => {
                failures.push(format!("{wanted}: {error}"));
            }
            Outcome::Panic { message } => failures.push(format!("{wanted}: panic: {message}")),
        }
    }
    assert!(
        failures.is_empty(),
        "these WebSocket documents do not generate:\n{}",
        failures.join("\n")
    );
}

#[test]
fn generated_code_is_deterministic_and_machine_independent() {
    let dir = asyncapi_dir();
    let prefix = dir.display().to_string();
    for case in cases() {
        let Outcome::Generates { output } = &case.outcome else {
            continue;
        };
        assert!(
            output.rust.starts_with("// @generated"),
            "{}: no @generated header",
            case.path
        );
        assert!(
            !output.rust.contains(&prefix),
            "{}: the generated code contains the machine's path {prefix}",
            case.path
        );
        let again = Config::new(dir.join(&case.path))
            .generate()
            .expect("generates twice");
        assert_eq!(
            output.rust, again.rust,
            "{}: output is not deterministic",
            case.path
        );
    }
}

/// The goldens: the Rust of each generating document and the table.
#[test]
fn goldens_match() {
    let dir = asyncapi_dir();
    let cases = cases();
    let out_dir = conformance_dir();
    std::fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("{}: {e}", out_dir.display()));
    let mut expected = BTreeSet::new();
    for case in cases {
        if let Outcome::Generates { output } = &case.outcome {
            let name = golden_name(&case.path);
            expectorate::assert_contents(out_dir.join(&name), &output.rust);
            expected.insert(name);
        }
    }
    // A document that no longer generates must not leave its old golden behind.
    let overwrite = std::env::var("EXPECTORATE").is_ok_and(|v| v == "overwrite");
    let mut stale = vec![];
    for entry in std::fs::read_dir(&out_dir).expect("tests/conformance exists") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.extension().is_some_and(|e| e == "rs") && !expected.contains(&name) {
            if overwrite {
                std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "tests/conformance has goldens of documents that do not generate: {stale:?}; run {REGENERATE}"
    );
    let table = table(cases, &dir);
    assert!(
        !table.contains(&dir.display().to_string()),
        "the table contains the machine's path"
    );
    let docs = repo().join("docs");
    std::fs::create_dir_all(&docs).unwrap_or_else(|e| panic!("{}: {e}", docs.display()));
    expectorate::assert_contents(docs.join("conformance.md"), &table);
}

//! The docs (`api.md` and `api.html`): goldens for a few cases under `tests/fixtures/docs/`,
//! and over every fixture and every official AsyncAPI example that generates: deterministic,
//! every message in both files, no panic.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-codegen --test docs` rewrites the goldens.
//! `socketsundso-tests` checks every example in them against the runtime (`tests/docs_examples.rs`).

use std::path::{Path, PathBuf};

use socketsundso_codegen::Config;

const FIXTURES: &str = "../tests/fixtures";

/// The cases with goldens: (name, spec).
const CASES: &[(&str, &str)] = &[
    ("example-chat", "../examples/chat/asyncapi.yaml"),
    ("example-basics", "../examples/basics/asyncapi.yaml"),
    ("keywords", "../tests/fixtures/keywords.yaml"),
    ("composite", "../tests/fixtures/composite.yaml"),
    ("request-reply", "../tests/fixtures/request-reply.yaml"),
    ("nested-tag", "../tests/fixtures/nested-tag.yaml"),
    (
        "message-examples",
        "../tests/fixtures/message-examples.yaml",
    ),
];

fn docs(spec: &Path) -> std::collections::BTreeMap<String, String> {
    Config::new(spec)
        .generate_docs()
        .unwrap_or_else(|e| panic!("{} does not generate:\n{e}", spec.display()))
        .docs
}

#[test]
fn cases_generate_their_goldens() {
    for (name, spec) in CASES {
        let files = docs(Path::new(spec));
        // The same docs as `generate` makes beside the code.
        let with_code = Config::new(spec).docs(true).generate().expect("generates");
        assert_eq!(with_code.docs, files, "{name}");
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["api.html", "api.md"],
            "{name}"
        );
        let dir = Path::new(FIXTURES).join("docs").join(name);
        if std::env::var("EXPECTORATE").is_ok_and(|v| v == "overwrite") {
            std::fs::create_dir_all(&dir).expect("creating the docs golden directory");
        }
        for (file, text) in &files {
            expectorate::assert_contents(
                Path::new(FIXTURES).join("docs").join(name).join(file),
                text,
            );
        }
    }
}

/// Every spec under `dir` (recursively), sorted.
fn specs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "errors" && n != "shared")
            {
                specs(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_document_that_generates_has_docs() {
    let mut all = vec![];
    for dir in ["../tests/fixtures", "../tests/asyncapi", "../examples"] {
        specs(Path::new(dir), &mut all);
    }
    let mut documented = 0;
    for spec in &all {
        let Ok(output) = Config::new(spec).generate_docs() else {
            continue;
        };
        documented += 1;
        let again = Config::new(spec).generate_docs().expect("generates twice");
        assert_eq!(
            output.docs,
            again.docs,
            "{}: not deterministic",
            spec.display()
        );
        let markdown = &output.docs["api.md"];
        let html = &output.docs["api.html"];
        assert!(output.rust.is_empty() && output.typescript.is_empty());
        assert!(
            markdown.starts_with("<!-- @generated"),
            "{}",
            spec.display()
        );
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", spec.display());
        // Nothing is fetched: no scripts, styles, fonts or images from elsewhere.
        for needle in ["src=\"http", "href=\"http", "@import", "url("] {
            assert!(!html.contains(needle), "{}: {needle}", spec.display());
        }
        // Every message has its section in both.
        let sections = markdown.matches("\n### `").count();
        let cards = html.matches("<article class=\"card in\"").count()
            + html.matches("<article class=\"card out\"").count();
        let groups = markdown.matches("<a id=\"client-to-server\">").count()
            + markdown.matches("<a id=\"server-to-client\">").count();
        assert_eq!(
            markdown.matches("<a id=\"client-").count()
                + markdown.matches("<a id=\"server-").count()
                - groups,
            cards,
            "{}",
            spec.display()
        );
        assert!(sections >= cards, "{}", spec.display());
    }
    assert!(documented >= 30, "only {documented} documents generate");
}

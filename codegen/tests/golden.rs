//! Golden files under `tests/fixtures/`: each `<case>.yaml` sits beside the Rust it generates,
//! `<case>.rs`, and each `errors/<case>.yaml` beside the error it must produce, `<case>.txt`.
//! The examples' specs have goldens too (`example-<name>.rs`). The TypeScript of each is a
//! golden as well, in `ts/<case>/` (`api.ts` and `client.ts`); the JavaScript tests compile all
//! of them with `tsc --strict`.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-codegen --test golden` rewrites them. The
//! test lives here, not in `socketsundso-tests`, because that crate compiles the goldens: a
//! stale golden must not stop the test that rewrites it.

use std::path::{Path, PathBuf};

use socketsundso_codegen::Config;

/// Relative to the codegen crate, where cargo runs its tests.
const FIXTURES: &str = "../tests/fixtures";

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    files
}

fn assert_generates(spec: &Path, golden: &Path) {
    let first = Config::new(spec)
        .generate()
        .unwrap_or_else(|e| panic!("{} does not generate:\n{e}", spec.display()));
    let second = Config::new(spec).generate().expect("generates twice");
    assert_eq!(
        first.rust,
        second.rust,
        "{}: output is not deterministic",
        spec.display()
    );
    assert!(
        first.rust.starts_with("// @generated"),
        "{}: no @generated header",
        spec.display()
    );
    assert_eq!(
        first.typescript,
        second.typescript,
        "{}: TypeScript output is not deterministic",
        spec.display()
    );
    expectorate::assert_contents(golden, &first.rust);
    let stem = golden
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a UTF-8 golden name");
    let ts_dir = Path::new(FIXTURES).join("ts").join(stem);
    assert_eq!(
        first.typescript.keys().collect::<Vec<_>>(),
        ["api.ts", "client.ts"],
        "{}: the TypeScript files",
        spec.display()
    );
    if std::env::var("EXPECTORATE").is_ok_and(|v| v == "overwrite") {
        std::fs::create_dir_all(&ts_dir).expect("creating the TypeScript golden directory");
    }
    for (name, text) in &first.typescript {
        assert!(
            text.starts_with("// @generated"),
            "{}: {name} has no @generated header",
            spec.display()
        );
        expectorate::assert_contents(ts_dir.join(name), text);
    }
    // Warnings are goldens too, where a case has any (`<case>.warnings`).
    let warnings: String = first.warnings.iter().map(|w| format!("{w}\n")).collect();
    let warnings_golden = golden.with_extension("warnings");
    if !warnings.is_empty() || warnings_golden.exists() {
        expectorate::assert_contents(warnings_golden, &warnings);
    }
}

#[test]
fn fixtures_generate_their_goldens() {
    let specs = yaml_files(FIXTURES);
    assert!(specs.len() >= 3, "the fixtures are missing");
    for spec in specs {
        assert_generates(&spec, &spec.with_extension("rs"));
    }
}

#[test]
fn examples_generate_their_goldens() {
    for name in ["chat", "basics"] {
        let spec = PathBuf::from(format!("../examples/{name}/asyncapi.yaml"));
        assert_generates(&spec, Path::new(&format!("{FIXTURES}/example-{name}.rs")));
    }
}

#[test]
fn bad_specs_fail_with_their_located_errors() {
    let specs = yaml_files(&format!("{FIXTURES}/errors"));
    assert!(specs.len() >= 5, "the error fixtures are missing");
    for spec in specs {
        let error = match Config::new(&spec).generate() {
            Ok(_) => panic!("{} generated, but it is a bad spec", spec.display()),
            Err(e) => e,
        };
        let text = format!("{error}\n");
        let location = error
            .location()
            .unwrap_or_else(|| panic!("{}: error without location: {text}", spec.display()));
        // The error is in the spec, or in a file it references (`fixtures/shared/`).
        if location.file != spec {
            let shared = Path::new(FIXTURES).join("shared");
            let file = location.file.canonicalize().unwrap_or_else(|e| {
                panic!(
                    "{}: {}: {e}: {text}",
                    spec.display(),
                    location.file.display()
                )
            });
            assert!(
                file.starts_with(shared.canonicalize().expect("fixtures/shared exists")),
                "{}: the error is in neither the spec nor fixtures/shared: {text}",
                spec.display()
            );
        }
        assert!(
            location.line_col.is_some(),
            "{}: error without a line: {text}",
            spec.display()
        );
        expectorate::assert_contents(spec.with_extension("txt"), &text);
    }
}

/// `typescript(false)` (what `socketsundso generate --rust` and `compile()` without a TypeScript
/// directory ask for) leaves the TypeScript out and changes nothing in the Rust.
#[test]
fn rust_alone_is_the_same_rust() {
    for (spec, client) in [
        ("../examples/chat/asyncapi.yaml", true),
        ("../tests/fixtures/kraken-like.yaml", false),
        ("../tests/fixtures/composite.yaml", false),
    ] {
        let both = Config::new(spec)
            .rust_client(client)
            .generate()
            .expect("generates");
        let alone = Config::new(spec)
            .rust_client(client)
            .typescript(false)
            .generate()
            .expect("generates without the TypeScript");
        assert!(
            alone.typescript.is_empty(),
            "{spec}: TypeScript not asked for"
        );
        assert_eq!(both.rust, alone.rust, "{spec}: the Rust differs");
        assert_eq!(both.warnings, alone.warnings, "{spec}: the warnings differ");
        assert_eq!(
            both.typescript.len(),
            2,
            "{spec}: the TypeScript by default"
        );
    }
    let out = std::env::temp_dir().join(format!("socketsundso-rust-alone-{}", std::process::id()));
    let compiled = Config::new("../tests/fixtures/composite.yaml")
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile()
        .expect("compiles");
    assert!(
        compiled.typescript.is_empty(),
        "compile() without a TypeScript directory"
    );
    let written = std::fs::read_to_string(out.join("composite.rs")).expect("the Rust is written");
    assert_eq!(written, compiled.rust);
    let _ = std::fs::remove_dir_all(&out);
}

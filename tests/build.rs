//! Writes `$OUT_DIR/goldens.rs`: one module per golden Rust file under `fixtures/`, one module
//! `client_<stem>` per golden under `fixtures/client/` (generated with the Rust client), and one
//! module `conformance_<stem>` per golden under `conformance/` (the Rust of the official
//! AsyncAPI examples, see `codegen/tests/conformance.rs`), so that the library compiles them
//! all. Adding a fixture or a conformance document needs no change here.
//!
//! It also writes `$OUT_DIR/jsonschema_suite.rs`: the vendored JSON Schema Test Suite as generated
//! APIs, for `tests/jsonschema_suite.rs` (see `build/suite.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The JSON Schema Test Suite as generated APIs (`$OUT_DIR/jsonschema_suite.rs`).
#[path = "build/suite.rs"]
mod suite;

/// The `.rs` files directly in `dir`, sorted; none when `dir` does not exist.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
}

fn stem(file: &Path) -> &str {
    file.file_stem()
        .and_then(|s| s.to_str())
        .expect("UTF-8 file names")
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("fixtures");
    assert!(dir.is_dir(), "tests/fixtures exists");
    let mut out = String::new();
    for file in rust_files(&dir) {
        println!("cargo:rerun-if-changed={}", file.display());
        let stem = stem(&file);
        let module = stem.replace(['-', '.'], "_");
        writeln!(
            out,
            "/// Generated from `fixtures/{stem}.yaml`.\npub mod {module} {{\n    include!({:?});\n}}",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    // Goldens generated with the Rust client (`Config::rust_client(true)`, see
    // `codegen/tests/client_golden.rs`): modules `client_<stem>`.
    for file in rust_files(&dir.join("client")) {
        println!("cargo:rerun-if-changed={}", file.display());
        let stem = stem(&file);
        let module = format!("client_{}", stem.replace(['-', '.'], "_"));
        writeln!(
            out,
            "/// Generated with the Rust client (`fixtures/client/{stem}.rs`).\npub mod {module} {{\n    include!({:?});\n}}",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    for file in rust_files(&Path::new(&manifest_dir).join("conformance")) {
        println!("cargo:rerun-if-changed={}", file.display());
        let stem = stem(&file);
        let module = format!("conformance_{}", stem.replace(['-', '.'], "_"));
        writeln!(
            out,
            "/// Generated from an official `AsyncAPI` example (`conformance/{stem}.rs`).\npub mod {module} {{\n    include!({:?});\n}}",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    // The same modules, private: what a binary's `mod api { include!(..); }` gets, where
    // unused re-exports warn and clippy lints items that are not part of a public API.
    let private: String = out
        .lines()
        .map(|line| {
            line.strip_prefix("pub mod ")
                .map_or(line.to_owned(), |rest| format!("mod {rest}"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(Path::new(&out_dir).join("goldens.rs"), out).expect("OUT_DIR is writable");
    std::fs::write(Path::new(&out_dir).join("goldens_private.rs"), private)
        .expect("OUT_DIR is writable");
    suite::main(Path::new(&manifest_dir), Path::new(&out_dir));
}

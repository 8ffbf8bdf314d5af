//! Writes `$OUT_DIR/goldens.rs`: one module per golden Rust file under `fixtures/`, so that the
//! library compiles them all. Adding a fixture needs no change here.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut out = String::new();
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file names");
        let module = stem.replace(['-', '.'], "_");
        writeln!(
            out,
            "/// Generated from `fixtures/{stem}.yaml`.\npub mod {module} {{\n    include!({:?});\n}}",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("goldens.rs"), out).expect("OUT_DIR is writable");
}

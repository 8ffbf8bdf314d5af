//! Any document, loaded by the generator: it generates, or every error is a located spec error
//! (never an internal one), and nothing panics.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use socketsundso_codegen::{Config, Error};

/// A directory of this process for the document (the loader reads files).
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("socketsundso-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    // A `$ref` may name any file: keep the fuzzer away from device and process files, which
    // never end or change under it.
    if ["/dev", "/proc", "/sys"]
        .iter()
        .any(|p| data.windows(p.len()).any(|w| w == p.as_bytes()))
    {
        return;
    }
    let path = dir().join("spec.yaml");
    std::fs::write(&path, data).expect("writing the document");
    let report = Config::new(&path).validate();
    for error in &report.errors {
        assert!(
            !matches!(error, Error::Internal { .. }),
            "internal error: {error}\n--- document:\n{}",
            String::from_utf8_lossy(data)
        );
        assert!(!error.to_string().is_empty());
        if let Error::Parse { location, .. }
        | Error::Spec { location, .. }
        | Error::Schema { location, .. } = error
        {
            assert!(!location.file.as_os_str().is_empty(), "{error}");
        }
    }
});

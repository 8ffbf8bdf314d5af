//! `socketsundso init [DIR]`: a new API project that builds, runs and answers.
//!
//! It writes an AsyncAPI 3.0 document with two requests and their replies, a Cargo crate whose
//! `build.rs` generates the code (and the TypeScript client into `web/generated/`), the
//! handlers in `src/lib.rs`, the server in `src/main.rs`, a README and a `.gitignore`. The
//! templates are the files under `templates/init/` of this repository, built into the binary.
//!
//! It never overwrites: when any of those files exists, it writes nothing and says which.
//!
//! Where the crate gets socketsundso from:
//! - `--socketsundso-path REPO`: path dependencies on that checkout (`REPO/runtime`,
//!   `REPO/codegen`);
//! - else, when the checkout this CLI was built from still exists (a CLI installed with
//!   `cargo install --path cli`, or run with `cargo run`): path dependencies on it;
//! - else the version of this CLI from crates.io.

use std::path::{Path, PathBuf};

use heck::ToTitleCase;

use crate::diagnostic::Diagnostic;
use crate::ui::Ui;

/// The files, by their path in the project, and their templates.
const FILES: &[(&str, &str)] = &[
    (
        "asyncapi.yaml",
        include_str!("../../templates/init/asyncapi.yaml.tmpl"),
    ),
    (
        "Cargo.toml",
        include_str!("../../templates/init/Cargo.toml.tmpl"),
    ),
    (
        "build.rs",
        include_str!("../../templates/init/build.rs.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/init/lib.rs.tmpl"),
    ),
    (
        "src/main.rs",
        include_str!("../../templates/init/main.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/init/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/init/gitignore.tmpl"),
    ),
];

/// The checkout this binary was built from (its `cli/` directory's parent).
fn own_checkout() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    (repo.join("runtime/Cargo.toml").is_file() && repo.join("codegen/Cargo.toml").is_file())
        .then(|| repo.to_owned())
}

/// Writes the project into `dir`.
pub fn run(
    dir: &Path,
    name: Option<&str>,
    socketsundso_path: Option<&Path>,
    ui: &mut Ui,
) -> Result<(), Diagnostic> {
    let absolute = std::path::absolute(dir)
        .map_err(|e| Diagnostic::error(format!("{}: {e}", dir.display())))?;
    let raw_name = match name {
        Some(name) => name.to_owned(),
        None => absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Diagnostic::error(format!("{} has no name to use", absolute.display()))
                    .with_help("name the crate: `--name my-api`")
            })?,
    };
    let name = crate_name(&raw_name).ok_or_else(|| {
        Diagnostic::error(format!("`{raw_name}` cannot be a crate name"))
            .with_help("name the crate with letters, digits, `-` and `_`: `--name my-api`")
    })?;
    if let Some(why) = reserved(&name) {
        return Err(
            Diagnostic::error(format!("`{name}` cannot be a crate name: {why}"))
                .with_help("name the crate otherwise: `--name my-api`"),
        );
    }

    let existing: Vec<String> = FILES
        .iter()
        .map(|(path, _)| dir.join(path))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Diagnostic::error(format!(
            "not overwriting {}; nothing was written",
            existing.join(", ")
        ))
        .with_help("run `socketsundso init` in a new or empty directory"));
    }

    let (socketsundso, codegen) = match socketsundso_path.map(Path::to_owned).or_else(own_checkout)
    {
        Some(repo) => {
            let repo = std::path::absolute(&repo)
                .map_err(|e| Diagnostic::error(format!("{}: {e}", repo.display())))?;
            for krate in ["runtime", "codegen"] {
                if !repo.join(krate).join("Cargo.toml").is_file() {
                    return Err(Diagnostic::error(format!(
                        "{} is not a socketsundso checkout: it has no {krate}/Cargo.toml",
                        repo.display()
                    )));
                }
            }
            ui.verbose(&format!("depending on the checkout {}", repo.display()));
            (
                path_dependency(&repo.join("runtime")),
                path_dependency(&repo.join("codegen")),
            )
        }
        None => {
            let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
            (version.clone(), version)
        }
    };

    let title = raw_name.to_title_case();
    let fill = |template: &str| {
        template
            .replace("{{name}}", &name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{title}}", &title)
            .replace("{{socketsundso}}", &socketsundso)
            .replace("{{socketsundso_codegen}}", &codegen)
    };
    for (path, template) in FILES {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Diagnostic::error(format!("{}: cannot create: {e}", parent.display()))
            })?;
        }
        // `create_new`: a file that appeared since the check above is not overwritten either.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, fill(template).as_bytes()));
        written.map_err(|e| Diagnostic::error(format!("{}: cannot write: {e}", path.display())))?;
        ui.wrote(&path);
    }
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", shell_quoted(&dir.display().to_string()))
    };
    ui.note(&format!(
        "created `{name}`. Next: {cd}cargo run   (then read README.md)"
    ));
    Ok(())
}

/// `text` as one shell word: as it is when it has only safe characters, else in single quotes.
fn shell_quoted(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `{ path = "…" }`, quoted for TOML.
fn path_dependency(path: &Path) -> String {
    let text = path.display().to_string();
    let quoted = serde_json::to_string(&text).unwrap_or_else(|_| format!("\"{text}\""));
    format!("{{ path = {quoted} }}")
}

/// A valid Cargo package name made from `raw` (`My API` → `my-api`), or `None`.
fn crate_name(raw: &str) -> Option<String> {
    let mut name = String::new();
    for c in raw.trim().chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' | '-' => name.push(c),
            'A'..='Z' => name.push(c.to_ascii_lowercase()),
            ' ' | '.' => name.push('-'),
            _ => return None,
        }
    }
    let name = name.trim_matches('-').to_owned();
    let first = name.chars().next()?;
    (first.is_ascii_alphabetic()).then_some(name)
}

/// Rust's keywords (strict, reserved and 2018+), which `cargo new` refuses as crate names.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Why `name` (already a valid package name) cannot name the project, as `cargo new` would
/// refuse it, or it would not build: a keyword, a crate of the standard library, the name of a
/// dependency of the project, or a name cargo keeps for its own directories.
fn reserved(name: &str) -> Option<&'static str> {
    let ident = name.replace('-', "_");
    let ident = ident.as_str();
    if KEYWORDS.contains(&ident) || ident == "self_" || name == "Self" {
        return Some("it is a Rust keyword");
    }
    if ["std", "core", "alloc", "proc_macro", "test"].contains(&ident) {
        return Some("it is the name of a crate of Rust's standard library");
    }
    if [
        "socketsundso",
        "socketsundso_build",
        "socketsundso_codegen",
        "axum",
        "tokio",
    ]
    .contains(&ident)
    {
        return Some("the project depends on a crate of that name");
    }
    if ["build", "deps", "examples", "incremental"].contains(&ident) {
        return Some("cargo uses that name for a directory of its build output");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{crate_name, reserved};

    #[test]
    fn shell_words() {
        assert_eq!(super::shell_quoted("/tmp/my-api"), "/tmp/my-api");
        assert_eq!(super::shell_quoted("/tmp/my api"), "'/tmp/my api'");
        assert_eq!(super::shell_quoted("it's"), r"'it'\''s'");
    }

    #[test]
    fn reserved_names() {
        for name in [
            "self",
            "std",
            "core",
            "test",
            "fn",
            "async",
            "super",
            "socketsundso",
            "tokio",
        ] {
            assert!(reserved(name).is_some(), "{name}");
        }
        for name in ["my-api", "self-service", "stdlib", "tests"] {
            assert_eq!(reserved(name), None, "{name}");
        }
    }

    #[test]
    fn crate_names() {
        assert_eq!(crate_name("my-api").as_deref(), Some("my-api"));
        assert_eq!(crate_name("My API").as_deref(), Some("my-api"));
        assert_eq!(crate_name("chat_v2").as_deref(), Some("chat_v2"));
        assert_eq!(crate_name("2fa"), None);
        assert_eq!(crate_name("über"), None);
        assert_eq!(crate_name(""), None);
    }
}

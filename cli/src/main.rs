//! `socketsundso`: generate and check code for AsyncAPI WebSocket APIs.
//!
//! Exit codes: 0 success; 1 `check` found a stale file, or `validate` found errors (or warnings
//! with `--deny-warnings`); 2 the spec or a file could not be used.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use socketsundso_codegen::extensions::Role;
use socketsundso_codegen::{Config, Error};

mod diagnostic;

use diagnostic::{Diagnostic, JsonReport, Renderer};

/// Schema-first JSON-over-WebSocket APIs: turn an AsyncAPI document into Rust message types, a
/// handler trait and a server.
#[derive(Debug, Parser)]
#[command(name = "socketsundso", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate code from an AsyncAPI document.
    Generate {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// Write the Rust code to this file (only if it changed). Without it, print it.
        #[arg(long, value_name = "FILE")]
        rust: Option<PathBuf>,
        /// Write the TypeScript types and client to this directory: `api.ts` and `client.ts`
        /// (each only if it changed).
        #[arg(long, value_name = "DIR")]
        ts: Option<PathBuf>,
        /// Which side the document describes (default: its `x-socketsundso-role`, else server).
        #[arg(long, value_enum, value_name = "ROLE")]
        role: Option<RoleArg>,
        /// Add the typed Rust client (`mod client`; needs the runtime's `client` feature).
        #[arg(long)]
        rust_client: bool,
    },
    /// Check that committed generated code is up to date; exit 1 with a diff if it is not.
    Check {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// The committed Rust file to compare.
        #[arg(long, value_name = "FILE")]
        rust: Option<PathBuf>,
        /// The directory of the committed TypeScript files (`api.ts`, `client.ts`) to compare.
        #[arg(long, value_name = "DIR")]
        ts: Option<PathBuf>,
        /// Which side the document describes (default: its `x-socketsundso-role`, else server).
        #[arg(long, value_enum, value_name = "ROLE")]
        role: Option<RoleArg>,
        /// The committed Rust file has the typed Rust client (it was generated with it).
        #[arg(long)]
        rust_client: bool,
    },
    /// Report every problem in an AsyncAPI document, writing nothing; exit 1 if it has errors.
    Validate {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// `text`: reports and a summary on stderr; `json`: one JSON object on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Which side the document describes (default: its `x-socketsundso-role`, else server).
        #[arg(long, value_enum, value_name = "ROLE")]
        role: Option<RoleArg>,
    },
    /// Print the JSON Schema of the `x-socketsundso-*` settings, for editors.
    Schema {
        /// Write it to this file (only if it changed). Without it, print it.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    // Plain comments: doc comments here would switch `validate --help` to its long form.
    Text,
    Json,
}

/// `--role`, mirroring [`socketsundso_codegen::extensions::Role`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    // Plain comments, as for `Format`.
    // The document describes the server.
    Server,
    // The document describes a client: the generator mirrors its operations.
    Client,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Server => Role::Server,
            RoleArg::Client => Role::Client,
        }
    }
}

/// The generator's settings for `spec`.
fn config(spec: &Path, role: Option<RoleArg>) -> Config {
    let config = Config::new(spec);
    match role {
        Some(role) => config.role(role.into()),
        None => config,
    }
}

/// How many diff lines `check` prints before it stops.
const DIFF_LINES: usize = 40;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut renderer = Renderer::for_stderr();
    match run(cli.command, &mut renderer) {
        Ok(code) => code,
        Err(diagnostic) => {
            eprint!("{}", renderer.render(&diagnostic));
            ExitCode::from(2)
        }
    }
}

/// Runs a command. An `Err` is a spec or file that cannot be used: exit 2.
fn run(command: Command, renderer: &mut Renderer) -> Result<ExitCode, Diagnostic> {
    match command {
        Command::Generate {
            spec,
            rust,
            ts,
            role,
            rust_client,
        } => {
            let output = generate(&spec, role, rust_client, renderer)?;
            match (&rust, &ts) {
                (None, None) => print!("{}", output.rust),
                (Some(path), _) => write_file(path, &output.rust)?,
                (None, Some(_)) => {}
            }
            if let Some(dir) = &ts {
                for (name, text) in &output.typescript {
                    write_file(&dir.join(name), text)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            spec,
            rust,
            ts,
            role,
            rust_client,
        } => {
            let output = generate(&spec, role, rust_client, renderer)?;
            let mut files: Vec<(PathBuf, &str)> = vec![];
            if let Some(path) = &rust {
                files.push((path.clone(), &output.rust));
            }
            if let Some(dir) = &ts {
                for (name, text) in &output.typescript {
                    files.push((dir.join(name), text));
                }
            }
            if files.is_empty() {
                return Err(Diagnostic::error("nothing to check")
                    .with_help("name the committed files: `--rust FILE`, `--ts DIR`, or both"));
            }
            let mut fix = regenerate(&spec, rust.as_deref(), ts.as_deref());
            if rust_client {
                fix.push_str(" --rust-client");
            }
            let mut stale = false;
            for (path, generated) in files {
                let committed = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) => {
                        return Err(Diagnostic::error(format!(
                            "{}: cannot read: {e}",
                            path.display()
                        ))
                        .with_help(fix));
                    }
                };
                if committed == generated {
                    eprintln!("{} is up to date", path.display());
                    continue;
                }
                stale = true;
                let error = Diagnostic::error(format!(
                    "{} is stale: it differs from what {} generates",
                    path.display(),
                    spec.display(),
                ))
                .with_help(fix.clone());
                eprintln!("{}", renderer.render(&error));
                eprint!("{}", short_diff(&committed, generated, &path));
            }
            Ok(ExitCode::from(u8::from(stale)))
        }
        Command::Validate {
            spec,
            deny_warnings,
            format,
            role,
        } => Ok(validate(&spec, role, deny_warnings, format, renderer)),
        Command::Schema { output } => {
            let schema = socketsundso_codegen::extensions::json_schema();
            let mut text = serde_json::to_string_pretty(&schema)
                .map_err(|e| Diagnostic::error(format!("cannot print the schema: {e}")))?;
            text.push('\n');
            match output {
                None => print!("{text}"),
                Some(path) => write_file(&path, &text)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Generates, printing warnings to stderr.
fn generate(
    spec: &Path,
    role: Option<RoleArg>,
    rust_client: bool,
    renderer: &mut Renderer,
) -> Result<socketsundso_codegen::Output, Diagnostic> {
    let output = config(spec, role)
        .rust_client(rust_client)
        .generate()
        .map_err(|e| Diagnostic::from_error(&e))?;
    for warning in &output.warnings {
        eprintln!("{}", renderer.render(&Diagnostic::from_warning(warning)));
    }
    Ok(output)
}

/// Writes `content` to `path` unless it already holds it, and says which.
fn write_file(path: &Path, content: &str) -> Result<(), Diagnostic> {
    let written = socketsundso_codegen::write_if_changed(path, content)
        .map_err(|e| Diagnostic::from_error(&e))?;
    let what = if written { "wrote" } else { "unchanged" };
    eprintln!("{what} {}", path.display());
    Ok(())
}

/// The command that brings the committed files up to date.
fn regenerate(spec: &Path, rust: Option<&Path>, ts: Option<&Path>) -> String {
    let mut command = format!(
        "regenerate it with: socketsundso generate {}",
        spec.display()
    );
    if let Some(rust) = rust {
        command.push_str(&format!(" --rust {}", rust.display()));
    }
    if let Some(ts) = ts {
        command.push_str(&format!(" --ts {}", ts.display()));
    }
    command
}

/// `socketsundso validate`: reports every problem; 2 when the spec cannot be read, 1 when it has
/// errors (or warnings that are denied), else 0.
fn validate(
    spec: &Path,
    role: Option<RoleArg>,
    deny_warnings: bool,
    format: Format,
    renderer: &mut Renderer,
) -> ExitCode {
    let report = config(spec, role).validate();
    let errors: Vec<Diagnostic> = report.errors.iter().map(Diagnostic::from_error).collect();
    let warnings: Vec<Diagnostic> = report
        .warnings
        .iter()
        .map(Diagnostic::from_warning)
        .collect();

    match format {
        Format::Json => {
            let json = JsonReport {
                errors: errors.iter().map(Diagnostic::to_json).collect(),
                warnings: warnings.iter().map(Diagnostic::to_json).collect(),
            };
            match serde_json::to_string(&json) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprint!(
                        "{}",
                        renderer.render(&Diagnostic::error(format!("cannot print JSON: {e}")))
                    );
                    return ExitCode::from(2);
                }
            }
        }
        Format::Text => {
            for diagnostic in errors.iter().chain(&warnings) {
                eprintln!("{}", renderer.render(diagnostic));
            }
        }
    }

    // An unreadable spec is not a verdict on the document.
    if report.errors.iter().any(|e| matches!(e, Error::Io { .. })) {
        return ExitCode::from(2);
    }
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    if format == Format::Text {
        eprintln!("{}", summary(errors.len(), warnings.len(), deny_warnings));
    }
    ExitCode::from(u8::from(failed))
}

/// The last line of `validate`: `2 errors, 1 warning`, `ok: 1 warning`, `ok: no problems`.
fn summary(errors: usize, warnings: usize, deny_warnings: bool) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "ok: no problems".to_owned(),
        (0, w) if deny_warnings => format!("{} (denied by --deny-warnings)", count(w, "warning")),
        (0, w) => format!("ok: {}", count(w, "warning")),
        (e, 0) => count(e, "error"),
        (e, w) => format!("{}, {}", count(e, "error"), count(w, "warning")),
    }
}

/// A unified diff, cut after [`DIFF_LINES`] lines.
fn short_diff(old: &str, new: &str, path: &Path) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let name = path.display().to_string();
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (committed)"),
            &format!("{name} (generated)"),
        )
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines
        .iter()
        .take(DIFF_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    if lines.len() > DIFF_LINES {
        out.push_str(&format!(
            "... {} more diff lines\n",
            lines.len() - DIFF_LINES
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summaries_count_and_say_ok() {
        assert_eq!(summary(0, 0, false), "ok: no problems");
        assert_eq!(summary(0, 0, true), "ok: no problems");
        assert_eq!(summary(0, 1, false), "ok: 1 warning");
        assert_eq!(
            summary(0, 3, true),
            "3 warnings (denied by --deny-warnings)"
        );
        assert_eq!(summary(1, 0, false), "1 error");
        assert_eq!(summary(2, 1, false), "2 errors, 1 warning");
    }
}

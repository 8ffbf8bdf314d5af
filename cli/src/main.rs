//! `socketsundso`: scaffold, generate, check and document AsyncAPI WebSocket APIs.
//!
//! Exit codes: 0 success; 1 `check` found a stale or missing file, or `validate` found errors (or warnings
//! with `--deny-warnings`); 2 the spec or a file could not be used (including a file that `init`
//! would overwrite), or the command line is wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use socketsundso_codegen::extensions::Role;
use socketsundso_codegen::{Config, Error, Output};

/// Generation allocates many small strings and token trees; mimalloc is markedly faster at it
/// than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod diagnostic;
mod init;
mod ui;
mod watch;

use diagnostic::{Diagnostic, JsonReport};
use ui::{Ui, Verbosity};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  `check` found a stale or missing file; `validate` found errors (or warnings, with --deny-warnings)
  2  the spec or a file could not be used, `init` would overwrite a file, or a usage error";

/// Schema-first JSON-over-WebSocket APIs: turn an AsyncAPI document into Rust message types, a
/// handler trait and a server, a TypeScript client, and docs.
#[derive(Debug, Parser)]
#[command(
    name = "socketsundso",
    version,
    about,
    long_about = None,
    after_help = format!("\
Start here:
  socketsundso init my-api               a new project: spec, server, TypeScript client
  socketsundso generate asyncapi.yaml --rust src/api.rs --ts web/generated --docs docs/api
  socketsundso check asyncapi.yaml --rust src/api.rs --ts web/generated --docs docs/api

{EXIT_CODES}

Colours only on a terminal, and never with NO_COLOR set."),
)]
struct Cli {
    #[command(flatten)]
    verbosity: VerbosityArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct VerbosityArgs {
    /// Print only errors: no list of files, no warnings.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 100
    )]
    quiet: bool,
    /// Print more: the commands that read a document also list every file it was read from
    /// (`init` and `schema` print nothing more).
    #[arg(short, long, global = true, display_order = 101)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new API project: an AsyncAPI document, a Cargo crate that serves it, the
    /// TypeScript client and a README.
    #[command(after_help = "\
Examples:
  socketsundso init my-api
  socketsundso init my-api --name chat
  socketsundso init . --socketsundso-path ../socketsundso

`init` never overwrites a file: it stops, and writes nothing, if any file it would write exists.
Then: cd my-api && cargo run")]
    Init {
        /// The project's directory (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The crate's name (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
        /// Depend on the socketsundso crates of this checkout (path dependencies). Default: the
        /// checkout this command was built from, if it still exists; else crates.io.
        #[arg(long, value_name = "REPO")]
        socketsundso_path: Option<PathBuf>,
    },
    /// Generate Rust, TypeScript and docs from an AsyncAPI document.
    #[command(after_help = "\
Examples:
  socketsundso generate asyncapi.yaml                       print the Rust code
  socketsundso generate asyncapi.yaml --rust src/api.rs --ts web/generated
  socketsundso generate asyncapi.yaml --docs docs/api --watch

Each file is written only if its content changed; every file written is listed on stderr.")]
    Generate {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// Write the Rust code to this file. Without any of --rust, --ts and --docs, print it.
        #[arg(long, value_name = "FILE")]
        rust: Option<PathBuf>,
        /// Write the TypeScript types and client to this directory: `api.ts` and `client.ts`.
        #[arg(long, value_name = "DIR")]
        ts: Option<PathBuf>,
        /// Write the docs to this directory: `api.md` and `api.html` (as `docs` does).
        #[arg(long, value_name = "DIR")]
        docs: Option<PathBuf>,
        #[command(flatten)]
        options: GenerateOptions,
        /// Keep running, and generate again whenever the document or a file it references
        /// changes.
        #[arg(long)]
        watch: bool,
    },
    /// Check that committed generated files are up to date; exit 1 with a diff if not.
    #[command(after_help = "\
Examples:
  socketsundso check asyncapi.yaml --rust src/api.rs
  socketsundso check asyncapi.yaml --rust src/api.rs --ts web/generated --docs docs/api

Writes nothing. For each stale file it prints a unified diff and the command that fixes it,
then exits 1: a guard for CI. A missing file is stale too; every file is checked.")]
    Check {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// The committed Rust file to compare.
        #[arg(long, value_name = "FILE")]
        rust: Option<PathBuf>,
        /// The directory of the committed TypeScript files (`api.ts`, `client.ts`) to compare.
        #[arg(long, value_name = "DIR")]
        ts: Option<PathBuf>,
        /// The directory of the committed docs (`api.md`, `api.html`) to compare.
        #[arg(long, value_name = "DIR")]
        docs: Option<PathBuf>,
        #[command(flatten)]
        options: GenerateOptions,
    },
    /// Write the API's reference: Markdown, and the same as one HTML page with a search box.
    #[command(after_help = "\
Examples:
  socketsundso docs asyncapi.yaml --out docs/api
  socketsundso docs asyncapi.yaml --out docs/api --watch

Writes `api.md` and `api.html` (one file that works offline). For each message: its
direction, its fields with their constraints, its examples (its own `examples` that fit its
schema, a warning for those that do not; else one from the schema), and its reply; then the
shared schemas and the error object.")]
    Docs {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// The directory to write `api.md` and `api.html` to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Which side the document describes (default: its `x-socketsundso-role`, else server).
        #[arg(long, value_enum, value_name = "ROLE")]
        role: Option<RoleArg>,
        /// Keep running, and write the docs again whenever the document or a file it
        /// references changes.
        #[arg(long)]
        watch: bool,
    },
    /// Report every problem in an AsyncAPI document, writing nothing; exit 1 if it has errors.
    #[command(after_help = "\
Examples:
  socketsundso validate asyncapi.yaml
  socketsundso validate asyncapi.yaml --deny-warnings --format json

Exit codes:
  0  no errors (warnings are allowed)
  1  the document has errors (or warnings, with --deny-warnings)
  2  the document cannot be read, or a usage error")]
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
    #[command(after_help = "\
Examples:
  socketsundso schema --output .vscode/socketsundso.schema.json")]
    Schema {
        /// Write it to this file (only if it changed). Without it, print it.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// What `generate` and `check` share.
#[derive(Debug, Clone, Copy, Args)]
struct GenerateOptions {
    /// Which side the document describes (default: its `x-socketsundso-role`, else server).
    #[arg(long, value_enum, value_name = "ROLE")]
    role: Option<RoleArg>,
    /// Add the typed Rust client (`mod client`; needs the runtime's `client` feature).
    #[arg(long)]
    rust_client: bool,
    /// Treat warnings (a misspelled keyword, say) as errors: write or compare nothing, exit 2.
    #[arg(long)]
    deny_warnings: bool,
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

/// How many diff lines `check` prints per file before it stops.
const DIFF_LINES: usize = 40;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = match (cli.verbosity.quiet, cli.verbosity.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let mut ui = Ui::for_stderr(verbosity);
    match run(cli.command, &mut ui) {
        Ok(code) => code,
        Err(diagnostic) => {
            ui.error(&diagnostic);
            ExitCode::from(2)
        }
    }
}

/// Where `generate` writes.
#[derive(Debug, Clone)]
struct Targets {
    rust: Option<PathBuf>,
    ts: Option<PathBuf>,
    docs: Option<PathBuf>,
}

/// Runs a command. An `Err` is a spec or file that cannot be used: exit 2.
fn run(command: Command, ui: &mut Ui) -> Result<ExitCode, Diagnostic> {
    match command {
        Command::Init {
            dir,
            name,
            socketsundso_path,
        } => {
            init::run(&dir, name.as_deref(), socketsundso_path.as_deref(), ui)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            spec,
            rust,
            ts,
            docs,
            options,
            watch,
        } => {
            let targets = Targets { rust, ts, docs };
            if watch {
                if targets.rust.is_none() && targets.ts.is_none() && targets.docs.is_none() {
                    return Err(Diagnostic::error("--watch needs somewhere to write")
                        .with_help("name the outputs: `--rust FILE`, `--ts DIR`, `--docs DIR`"));
                }
                return watch::run(&spec, ui, |ui| generate_into(&spec, &targets, options, ui));
            }
            generate_into(&spec, &targets, options, ui)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            spec,
            rust,
            ts,
            docs,
            options,
        } => check(&spec, &Targets { rust, ts, docs }, options, ui),
        Command::Docs {
            spec,
            out,
            role,
            watch,
        } => {
            let targets = Targets {
                rust: None,
                ts: None,
                docs: Some(out),
            };
            let options = GenerateOptions {
                role,
                rust_client: false,
                deny_warnings: false,
            };
            if watch {
                return watch::run(&spec, ui, |ui| generate_into(&spec, &targets, options, ui));
            }
            generate_into(&spec, &targets, options, ui)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            spec,
            deny_warnings,
            format,
            role,
        } => Ok(validate(&spec, role, deny_warnings, format, ui)),
        Command::Schema { output } => {
            let schema = socketsundso_codegen::extensions::json_schema();
            let mut text = serde_json::to_string_pretty(&schema)
                .map_err(|e| Diagnostic::error(format!("cannot print the schema: {e}")))?;
            text.push('\n');
            match output {
                None => print!("{text}"),
                Some(path) => write_file(&path, &text, ui)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `generate`: writes each target that is named (or prints the Rust when none is). Returns the
/// files the document was read from.
fn generate_into(
    spec: &Path,
    targets: &Targets,
    options: GenerateOptions,
    ui: &mut Ui,
) -> Result<Vec<PathBuf>, Diagnostic> {
    let output = generate(spec, options, targets, ui)?;
    match &targets.rust {
        Some(path) => write_file(path, &output.rust, ui)?,
        None if targets.ts.is_none() && targets.docs.is_none() => print!("{}", output.rust),
        None => {}
    }
    if let Some(dir) = &targets.ts {
        for (name, text) in &output.typescript {
            write_file(&dir.join(name), text, ui)?;
        }
    }
    if let Some(dir) = &targets.docs {
        for (name, text) in &output.docs {
            write_file(&dir.join(name), text, ui)?;
        }
    }
    Ok(output.sources)
}

/// `check`: compares each named target with what the document generates.
fn check(
    spec: &Path,
    targets: &Targets,
    options: GenerateOptions,
    ui: &mut Ui,
) -> Result<ExitCode, Diagnostic> {
    let output = generate(spec, options, targets, ui)?;
    let mut files: Vec<(PathBuf, &str)> = vec![];
    if let Some(path) = &targets.rust {
        files.push((path.clone(), &output.rust));
    }
    if let Some(dir) = &targets.ts {
        for (name, text) in &output.typescript {
            files.push((dir.join(name), text));
        }
    }
    if let Some(dir) = &targets.docs {
        for (name, text) in &output.docs {
            files.push((dir.join(name), text));
        }
    }
    if files.is_empty() {
        return Err(Diagnostic::error("nothing to check").with_help(
            "name the committed files: `--rust FILE`, `--ts DIR`, `--docs DIR`, or several",
        ));
    }
    let mut fix = regenerate(spec, targets);
    if options.rust_client {
        fix.push_str(" --rust-client");
    }
    let mut stale = 0;
    for (path, generated) in &files {
        let committed = match std::fs::read_to_string(path) {
            Ok(text) => text,
            // A generated file that was never committed is stale, the most common kind in CI.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                stale += 1;
                ui.error(
                    &Diagnostic::error(format!(
                        "{} is missing: {} generates it",
                        path.display(),
                        spec.display(),
                    ))
                    .with_help(fix.clone()),
                );
                continue;
            }
            Err(e) => {
                return Err(
                    Diagnostic::error(format!("{}: cannot read: {e}", path.display()))
                        .with_help(fix),
                );
            }
        };
        if committed == *generated {
            ui.status("up to date", path);
            continue;
        }
        stale += 1;
        let error = Diagnostic::error(format!(
            "{} is stale: it differs from what {} generates",
            path.display(),
            spec.display(),
        ))
        .with_help(fix.clone());
        ui.error(&error);
        ui.diff(&short_diff(&committed, generated, path));
    }
    if stale > 0 && files.len() > 1 {
        ui.error(&Diagnostic::error(format!(
            "{stale} of {} files are stale",
            files.len()
        )));
    }
    Ok(ExitCode::from(u8::from(stale > 0)))
}

/// Generates what `targets` needs (the docs alone when they are all it names), printing
/// warnings to stderr.
fn generate(
    spec: &Path,
    options: GenerateOptions,
    targets: &Targets,
    ui: &mut Ui,
) -> Result<Output, Diagnostic> {
    let config = config(spec, options.role)
        .rust_client(options.rust_client)
        .typescript(targets.ts.is_some())
        .docs(targets.docs.is_some());
    let docs_only = targets.rust.is_none() && targets.ts.is_none() && targets.docs.is_some();
    let output = if docs_only {
        config.generate_docs()
    } else {
        config.generate()
    }
    .map_err(|e| Diagnostic::from_error(&e))?;
    for warning in &output.warnings {
        ui.warning(&Diagnostic::from_warning(warning));
    }
    for source in &output.sources {
        ui.verbose(&format!("read {}", source.display()));
    }
    if options.deny_warnings && !output.warnings.is_empty() {
        let n = output.warnings.len();
        let s = if n == 1 { "" } else { "s" };
        return Err(Diagnostic::error(format!(
            "{n} warning{s} (denied by --deny-warnings); nothing was written or compared"
        ))
        .with_help("fix the warnings above, or drop --deny-warnings"));
    }
    Ok(output)
}

/// Writes `content` to `path` unless it already holds it, and says which.
fn write_file(path: &Path, content: &str, ui: &mut Ui) -> Result<(), Diagnostic> {
    let written = socketsundso_codegen::write_if_changed(path, content)
        .map_err(|e| Diagnostic::from_error(&e))?;
    if written {
        ui.wrote(path);
    } else {
        ui.status("unchanged", path);
    }
    Ok(())
}

/// The command that brings the committed files up to date.
fn regenerate(spec: &Path, targets: &Targets) -> String {
    let mut command = format!(
        "regenerate it with: socketsundso generate {}",
        spec.display()
    );
    for (flag, path) in [
        ("--rust", &targets.rust),
        ("--ts", &targets.ts),
        ("--docs", &targets.docs),
    ] {
        if let Some(path) = path {
            command.push_str(&format!(" {flag} {}", path.display()));
        }
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
    ui: &mut Ui,
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
                    ui.error(&Diagnostic::error(format!("cannot print JSON: {e}")));
                    return ExitCode::from(2);
                }
            }
        }
        Format::Text => {
            for diagnostic in &errors {
                ui.error(diagnostic);
            }
            for diagnostic in &warnings {
                ui.warning(diagnostic);
            }
        }
    }

    // An unreadable spec is not a verdict on the document.
    if report.errors.iter().any(|e| matches!(e, Error::Io { .. })) {
        return ExitCode::from(2);
    }
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    if format == Format::Text {
        ui.summary(
            &summary(errors.len(), warnings.len(), deny_warnings),
            failed,
        );
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

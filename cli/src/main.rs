//! `socketsundso`: generate and check code for AsyncAPI WebSocket APIs.
//!
//! Exit codes: 0 success; 1 `check` found a stale file; 2 the spec or a file could not be used.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use socketsundso_codegen::Config;

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
    },
    /// Check that committed generated code is up to date; exit 1 with a diff if it is not.
    Check {
        /// The AsyncAPI document (YAML or JSON).
        spec: PathBuf,
        /// The committed Rust file to compare.
        #[arg(long, value_name = "FILE")]
        rust: PathBuf,
    },
}

/// How many diff lines `check` prints before it stops.
const DIFF_LINES: usize = 40;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Generate { spec, rust } => {
            let output = generate(&spec)?;
            match rust {
                None => print!("{}", output.rust),
                Some(path) => {
                    let written = socketsundso_codegen::write_if_changed(&path, &output.rust)
                        .map_err(|e| e.to_string())?;
                    let what = if written { "wrote" } else { "unchanged" };
                    eprintln!("{what} {}", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { spec, rust } => {
            let output = generate(&spec)?;
            let committed = std::fs::read_to_string(&rust)
                .map_err(|e| format!("{}: cannot read: {e}", rust.display()))?;
            if committed == output.rust {
                eprintln!("{} is up to date", rust.display());
                return Ok(ExitCode::SUCCESS);
            }
            eprintln!(
                "{} is stale: it differs from what {} generates.\n\
                 Regenerate it with: socketsundso generate {} --rust {}\n",
                rust.display(),
                spec.display(),
                spec.display(),
                rust.display()
            );
            eprint!("{}", short_diff(&committed, &output.rust, &rust));
            Ok(ExitCode::from(1))
        }
    }
}

/// Generates, printing warnings to stderr.
fn generate(spec: &Path) -> Result<socketsundso_codegen::Output, String> {
    let output = Config::new(spec).generate().map_err(|e| e.to_string())?;
    for warning in &output.warnings {
        eprintln!("{warning}");
    }
    Ok(output)
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

//! What the CLI prints on stderr, and how much: `--quiet` keeps errors only, `--verbose` adds
//! the files the document was read from. Colours only on a terminal, never with `NO_COLOR` set,
//! and no line drawing on a dumb terminal (see [`Renderer::for_stderr`]).

use std::io::IsTerminal;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Renderer};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Errors, warnings, and what was written.
    Normal,
    /// Also the files the document was read from.
    Verbose,
}

/// The CLI's stderr.
pub struct Ui {
    verbosity: Verbosity,
    renderer: Renderer,
    colour: bool,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Ui {
    /// Stderr, with colours where it is a terminal that wants them.
    pub fn for_stderr(verbosity: Verbosity) -> Self {
        Ui {
            verbosity,
            renderer: Renderer::for_stderr(),
            colour: colour_on_stderr(),
        }
    }

    /// An error: always printed, with a blank line after it.
    pub fn error(&mut self, diagnostic: &Diagnostic) {
        eprintln!("{}", ensure_newline(self.renderer.render(diagnostic)));
    }

    /// A warning: not with `--quiet`.
    pub fn warning(&mut self, diagnostic: &Diagnostic) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{}", ensure_newline(self.renderer.render(diagnostic)));
        }
    }

    /// A file was written.
    pub fn wrote(&self, path: &Path) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{} {}", self.paint(GREEN, "wrote"), path.display());
        }
    }

    /// A file was left as it was (`unchanged`, `up to date`).
    pub fn status(&self, word: &str, path: &Path) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{word} {}", path.display());
        }
    }

    /// Something only `--verbose` shows.
    pub fn verbose(&self, line: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{line}");
        }
    }

    /// A line of news (`watch` saying what it does): not with `--quiet`.
    pub fn note(&self, line: &str) {
        if self.verbosity > Verbosity::Quiet {
            eprintln!("{}", self.paint(CYAN, line));
        }
    }

    /// The last line of a report (`ok: no problems`, `2 errors`): not with `--quiet`.
    pub fn summary(&self, line: &str, failed: bool) {
        if self.verbosity > Verbosity::Quiet {
            let colour = if failed { RED } else { GREEN };
            eprintln!("{}", self.paint(colour, line));
        }
    }

    /// A unified diff, part of an error: printed even with `--quiet`.
    pub fn diff(&self, diff: &str) {
        if !self.colour {
            eprint!("{diff}");
            return;
        }
        for line in diff.lines() {
            let colour = if line.starts_with("+++") || line.starts_with("---") {
                BOLD
            } else if line.starts_with('+') {
                GREEN
            } else if line.starts_with('-') {
                RED
            } else if line.starts_with("@@") {
                CYAN
            } else {
                ""
            };
            eprintln!("{}", self.paint(colour, line));
        }
    }

    fn paint(&self, colour: &str, text: &str) -> String {
        if self.colour && !colour.is_empty() {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Colours on stderr: a terminal, `NO_COLOR` unset or empty, and not `TERM=dumb`.
pub fn colour_on_stderr() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stderr().is_terminal() && !no_color && !dumb
}

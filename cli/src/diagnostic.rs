//! How the CLI shows problems: compiler-style reports rendered by miette, or JSON for editors.
//!
//! The library reports a [`Location`] (file, JSON Pointer, 1-based line and column). This module
//! adds the context at the boundary: it reads the file, turns the line and column into a byte
//! span and lets miette draw the snippet with a label under the offending node.

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use socketsundso_codegen::{Error, Location, Warning};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops generation.
    Error,
    /// Does not.
    Warning,
}

/// One problem as the CLI prints it: the library's error or warning, or one of the CLI's own.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    severity: Severity,
    message: String,
    help: Option<String>,
    /// The file the problem is about, when there is one.
    file: Option<PathBuf>,
    /// Where in that file, when the library knows (boxed: diagnostics travel in `Err`s).
    location: Option<Box<Location>>,
}

impl Diagnostic {
    /// An error of the CLI's own, without a location.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            help: None,
            file: None,
            location: None,
        }
    }

    /// Adds a hint on how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A generator error, with its location and hint.
    pub fn from_error(error: &Error) -> Self {
        let location = error.location().cloned().map(Box::new);
        let file = match (&location, error) {
            (Some(location), _) => Some(location.file.clone()),
            (None, Error::Io { path, .. }) => Some(path.clone()),
            (None, _) => None,
        };
        Diagnostic {
            severity: Severity::Error,
            message: error.message(),
            help: error.hint().map(str::to_owned),
            file,
            location,
        }
    }

    /// A generator warning.
    pub fn from_warning(warning: &Warning) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            message: warning.message.clone(),
            help: None,
            file: Some(warning.location.file.clone()),
            location: Some(Box::new(warning.location.clone())),
        }
    }

    /// The diagnostic as one JSON object, for `validate --format json`.
    pub fn to_json(&self) -> JsonDiagnostic<'_> {
        let line_col = self.location.as_ref().and_then(|l| l.line_col);
        JsonDiagnostic {
            severity: self.severity,
            file: self.file.as_ref().map(|f| f.display().to_string()),
            line: line_col.map(|(line, _)| line),
            column: line_col.map(|(_, column)| column),
            pointer: self.location.as_ref().map(|l| l.pointer.as_str()),
            message: &self.message,
            help: self.help.as_deref(),
        }
    }
}

/// A diagnostic in `validate --format json`; the fields serialize in this order.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    severity: Severity,
    file: Option<String>,
    /// 1-based.
    line: Option<usize>,
    /// 1-based, in characters.
    column: Option<usize>,
    /// RFC 6901 JSON Pointer to the node (`""` for the whole document).
    pointer: Option<&'a str>,
    message: &'a str,
    help: Option<&'a str>,
}

/// What `validate --format json` prints.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// Every error.
    pub errors: Vec<JsonDiagnostic<'a>>,
    /// Every warning.
    pub warnings: Vec<JsonDiagnostic<'a>>,
}

/// Renders diagnostics for a terminal or a log, reading each spec file once.
pub struct Renderer {
    handler: GraphicalReportHandler,
    /// File contents by path; `None` when the file cannot be read (then there is no snippet).
    sources: HashMap<PathBuf, Option<String>>,
}

impl Renderer {
    /// A renderer for stderr: colours only on a terminal and without `NO_COLOR`; plain ASCII on
    /// a dumb terminal.
    pub fn for_stderr() -> Self {
        let terminal = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let theme = if dumb {
            GraphicalTheme::none()
        } else if terminal && !no_color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Renderer::with_theme(theme)
    }

    fn with_theme(mut theme: GraphicalTheme) -> Self {
        // Say the severity in words, as compilers do, rather than with an icon.
        theme.characters.error = "error:".into();
        theme.characters.warning = "warning:".into();
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_urls(false)
            // Stable output that does not depend on the terminal's width: lines are not wrapped.
            .with_wrap_lines(false)
            // The header shows the library's line and column (see `Report::source`).
            .without_primary_span_start()
            .with_context_lines(2);
        Renderer {
            handler,
            sources: HashMap::new(),
        }
    }

    /// The diagnostic, rendered: severity and message, the snippet with a label where the line
    /// is known, and `help:`.
    pub fn render(&mut self, diagnostic: &Diagnostic) -> String {
        let report = self.report(diagnostic);
        let mut out = String::new();
        if self.handler.render_report(&mut out, &report).is_err() {
            // miette could not read the span: fall back to the text without a snippet.
            out = format!("{}: {report}\n", severity_word(diagnostic.severity));
        }
        out
    }

    fn report<'a>(&mut self, diagnostic: &'a Diagnostic) -> Report<'a> {
        let mut report = Report {
            diagnostic,
            source: None,
            label: None,
        };
        let Some(location) = &diagnostic.location else {
            return report;
        };
        let Some((line, column)) = location.line_col else {
            return report;
        };
        let Some(text) = self.source(&location.file) else {
            return report;
        };
        let Some(span) = span_at(text, line, column) else {
            return report;
        };
        let label = if location.pointer.is_empty() {
            "here".to_owned()
        } else {
            format!("#{}", location.pointer)
        };
        // The source's name carries the line and column as the library counts them (characters,
        // where miette would count bytes).
        let name = format!("{}:{line}:{column}", location.file.display());
        report.source = Some(NamedSource::new(name, text.to_owned()));
        report.label = Some(LabeledSpan::new_primary_with_span(Some(label), span));
        report
    }

    fn source(&mut self, file: &Path) -> Option<&str> {
        self.sources
            .entry(file.to_owned())
            .or_insert_with(|| std::fs::read_to_string(file).ok())
            .as_deref()
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The byte span of the node at the 1-based `line` and `column` (in characters): from there to
/// the end of the line, trailing blanks left out. `None` when the file has no such line.
fn span_at(text: &str, line: usize, column: usize) -> Option<SourceSpan> {
    let mut start_of_line = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let content = raw.trim_end_matches(['\n', '\r']).trim_end();
            let skip = column.saturating_sub(1);
            let start = content
                .char_indices()
                .nth(skip)
                .map_or(content.len(), |(i, _)| i);
            return Some(SourceSpan::new(
                (start_of_line + start).into(),
                content.len() - start,
            ));
        }
        start_of_line += raw.len();
    }
    None
}

/// A [`Diagnostic`] with its source text, as miette wants it.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    label: Option<LabeledSpan>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let diagnostic = self.diagnostic;
        f.write_str(&diagnostic.message)?;
        if self.source.is_some() {
            // The snippet's header names the file, the line and the column.
            return Ok(());
        }
        // No snippet: say where, as far as it is known.
        if let Some(location) = &diagnostic.location {
            write!(f, "\nat {}", location.file.display())?;
            if let Some((line, column)) = location.line_col {
                write!(f, ":{line}:{column}")?;
            }
            write!(f, " (#{})", location.pointer)?;
        }
        Ok(())
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .clone()
            .map(|l| Box::new(std::iter::once(l)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_run_from_the_column_to_the_end_of_the_line() {
        let text = "a: 1\n  bé: x  \r\nc: 2";
        let span = span_at(text, 2, 3).unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "bé: x");
        // Columns count characters, not bytes.
        let span = span_at(text, 2, 5).unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], ": x");
        let span = span_at(text, 3, 1).unwrap();
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "c: 2");
        // A column past the end gives an empty span at the end of the line.
        assert_eq!(span_at(text, 1, 40).unwrap().len(), 0);
        assert!(span_at(text, 4, 1).is_none());
    }

    fn warning(file: &str, line_col: Option<(usize, usize)>) -> Diagnostic {
        Diagnostic::from_warning(&Warning {
            location: Location {
                file: file.into(),
                pointer: "/a/b".to_owned(),
                line_col,
            },
            message: "something odd".to_owned(),
        })
    }

    #[test]
    fn a_diagnostic_without_a_line_has_no_snippet() {
        let mut renderer = Renderer::with_theme(GraphicalTheme::unicode_nocolor());
        let out = renderer.render(&warning("nowhere.yaml", None));
        assert_eq!(
            out,
            "  warning: something odd\n  │ at nowhere.yaml (#/a/b)\n"
        );
    }

    #[test]
    fn an_unreadable_file_has_no_snippet_but_keeps_its_line() {
        let mut renderer = Renderer::with_theme(GraphicalTheme::none());
        let out = renderer.render(&warning("/nonexistent/x.yaml", Some((3, 4))));
        assert_eq!(
            out,
            "  warning: something odd\n  | at /nonexistent/x.yaml:3:4 (#/a/b)\n"
        );
    }

    #[test]
    fn json_keeps_its_key_order() {
        let json = serde_json::to_string(&warning("x.yaml", Some((3, 4))).to_json()).unwrap();
        assert_eq!(
            json,
            r##"{"severity":"warning","file":"x.yaml","line":3,"column":4,"pointer":"/a/b","message":"something odd","help":null}"##
        );
    }
}

//! The one error type of the generator.

use std::fmt;
use std::path::PathBuf;

/// Where in a spec file a problem is: the file, the JSON Pointer of the offending node and,
/// where the parser reported one, a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the path was given (or as it was reached through `$ref`).
    pub file: PathBuf,
    /// JSON Pointer to the node inside the document, e.g. `/components/messages/chat/payload`.
    /// Empty for the whole document.
    pub pointer: String,
    /// 1-based line and column, when known.
    pub line_col: Option<(usize, usize)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if !self.pointer.is_empty() || self.line_col.is_none() {
            write!(f, " (at #{})", self.pointer)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while generating code.
///
/// Spec problems always carry a [`Location`]; no input makes the generator panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: "cannot read", "cannot write".
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not valid YAML or JSON.
    #[error("{location}: error: not valid YAML/JSON: {message}")]
    Parse {
        /// Where the parser stopped.
        location: Location,
        /// The parser's message.
        message: String,
    },

    /// The document is valid YAML but not a usable AsyncAPI document.
    #[error("{location}: error: {message}{}", help.as_ref().map(|h| format!("\n  help: {h}")).unwrap_or_default())]
    Spec {
        /// The offending node.
        location: Location,
        /// What is wrong.
        message: String,
        /// How to fix it, where there is one clear way.
        help: Option<String>,
    },

    /// A payload schema could not be turned into Rust types.
    #[error("{location}: error: the schema `{message}` cannot be turned into Rust types: {reason}")]
    Schema {
        /// The schema.
        location: Location,
        /// The Rust name of the schema: a message's payload, or a shared schema (which may
        /// come from another file, so it is not called a message).
        message: String,
        /// Why typify refused it.
        reason: String,
    },

    /// The generated code did not parse. This is a bug in socketsundso; please report it.
    #[error("internal error: generated {what} does not parse: {reason}")]
    Internal {
        /// Which part of the output.
        what: String,
        /// The parser's message.
        reason: String,
    },
}

impl Error {
    /// Adds a hint on how to fix a spec error.
    pub(crate) fn help(mut self, text: impl Into<String>) -> Self {
        if let Error::Spec { help, .. } = &mut self {
            *help = Some(text.into());
        }
        self
    }

    /// What is wrong, without the location (which [`Error::location`] gives) and the hint
    /// ([`Error::hint`]).
    pub fn message(&self) -> String {
        match self {
            Error::Io {
                path,
                action,
                source,
            } => format!("{}: {action}: {source}", path.display()),
            Error::Parse { message, .. } => format!("not valid YAML/JSON: {message}"),
            Error::Spec { message, .. } => message.clone(),
            Error::Schema {
                message, reason, ..
            } => {
                format!("the schema `{message}` cannot be turned into Rust types: {reason}")
            }
            Error::Internal { what, reason } => {
                format!("internal error: generated {what} does not parse: {reason}")
            }
        }
    }

    /// How to fix it, where there is one clear way.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Spec { help, .. } => help.as_deref(),
            _ => None,
        }
    }

    /// The location in the spec, when the error is about the spec.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Parse { location, .. }
            | Error::Spec { location, .. }
            | Error::Schema { location, .. } => Some(location),
            Error::Io { .. } | Error::Internal { .. } => None,
        }
    }
}

/// A problem that does not stop generation: the code is generated, but the user should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where in the spec.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}

/// `Result` with the generator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! # socketsundso-codegen
//!
//! Generates Rust code for a JSON-over-WebSocket API from its AsyncAPI document: one type per
//! message payload, a `ClientMessage` and a `ServerMessage` enum tagged by the `type` field, a
//! `Handler` trait with one method per message the server receives, and a `Server` adapter that
//! plugs the handler into the [`socketsundso`](https://docs.rs/socketsundso) runtime.
//!
//! ## In `build.rs`
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     socketsundso_codegen::compile("asyncapi.yaml").unwrap();
//! }
//! ```
//!
//! This writes `$OUT_DIR/asyncapi.rs` and tells cargo to run the build script again when the
//! document changes. Include the file in a module of its own:
//!
//! ```ignore
//! mod api {
//!     include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
//! }
//! ```
//!
//! The crate then needs `socketsundso` as a dependency and `socketsundso-codegen` as a
//! build-dependency, nothing else: generated code reaches serde and friends through
//! `socketsundso::codegen`.
//!
//! For more control use [`Config`]:
//!
//! ```no_run
//! let output = socketsundso_codegen::Config::new("asyncapi.yaml")
//!     .rust_file_name("chat.rs")
//!     .generate()
//!     .unwrap();
//! print!("{}", output.rust);
//! ```
//!
//! ## Errors
//!
//! Every problem with the document is an [`Error`] that names the file, the JSON Pointer of the
//! node, and its line and column where they are known. No document makes the generator panic.
#![deny(missing_docs)]
// The build.rs example is about `fn main` itself.
#![allow(clippy::needless_doctest_main)]

use std::path::{Path, PathBuf};

mod emit;
mod error;
pub mod extensions;
pub mod ir;
pub mod keywords;
mod spec;
mod suggest;

pub use error::{Error, Location, Result, Warning};

/// What to generate from which document, and where to write it.
///
/// `generate()` returns the files in memory; `compile()` writes them.
#[derive(Debug, Clone)]
pub struct Config {
    spec: PathBuf,
    out_dir: Option<PathBuf>,
    rust_file_name: Option<String>,
    rerun_if_changed: Option<bool>,
    role: Option<extensions::Role>,
    rust_client: bool,
    typescript_dir: Option<PathBuf>,
    /// Whether [`Config::generate`] renders the TypeScript ([`Config::typescript`]).
    typescript: bool,
    docs: bool,
    docs_dir: Option<PathBuf>,
    /// Skip the Rust and the TypeScript ([`Config::generate_docs`]).
    docs_only: bool,
}

/// The generated files, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The name of the Rust file, `<spec file stem>.rs` unless set.
    pub rust_file_name: String,
    /// The Rust source.
    pub rust: String,
    /// The TypeScript files by name: `api.ts` (the types) and `client.ts` (the typed client,
    /// which imports `./api.js`). Empty when they were not asked for ([`Config::typescript`];
    /// [`Config::compile`] without [`Config::typescript_dir`]).
    pub typescript: std::collections::BTreeMap<String, String>,
    /// Every file that was read (the spec, and later the files it references).
    pub sources: Vec<PathBuf>,
    /// Problems that did not stop generation (such as schema keywords that are not enforced).
    pub warnings: Vec<Warning>,
    /// The docs by file name, when [`Config::docs`] asked for them: `api.md` (a Markdown
    /// reference) and `api.html` (the same as one HTML page that works offline). Empty otherwise.
    pub docs: std::collections::BTreeMap<String, String>,
}

impl Config {
    /// Generates from the AsyncAPI document at `spec` (YAML or JSON).
    pub fn new(spec: impl AsRef<Path>) -> Self {
        Config {
            spec: spec.as_ref().to_owned(),
            out_dir: None,
            rust_file_name: None,
            rerun_if_changed: None,
            role: None,
            rust_client: false,
            typescript_dir: None,
            typescript: true,
            docs: false,
            docs_dir: None,
            docs_only: false,
        }
    }

    /// Where [`Config::compile`] writes. Defaults to `$OUT_DIR`, which cargo sets for build
    /// scripts.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// The name of the Rust file. Defaults to the spec's file stem with `.rs`
    /// (`asyncapi.yaml` → `asyncapi.rs`).
    pub fn rust_file_name(mut self, name: impl Into<String>) -> Self {
        self.rust_file_name = Some(name.into());
        self
    }

    /// Whether [`Config::compile`] prints `cargo:rerun-if-changed` for every file it read.
    /// Defaults to yes inside a build script (when `OUT_DIR` is set).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.rerun_if_changed = Some(yes);
        self
    }

    /// Also write the TypeScript types and client (`api.ts` and `client.ts`) into `dir` when
    /// [`Config::compile`] runs, for example into a web app's source folder. A relative path is
    /// relative to the working directory, which in a build script is the crate's root.
    pub fn typescript_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.typescript_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Whether [`Config::generate`] also renders the TypeScript into [`Output::typescript`].
    /// Default `true`. Without it only the Rust is generated, in about three quarters of the
    /// time. [`Config::compile`] renders the TypeScript only when [`Config::typescript_dir`]
    /// says where to write it.
    pub fn typescript(mut self, yes: bool) -> Self {
        self.typescript = yes;
        self
    }

    /// Whether [`Config::generate`] also renders the docs into [`Output::docs`]: a Markdown
    /// reference (`api.md`) and a single-file HTML page (`api.html`) with, for each message, its
    /// direction, fields and constraints, an example, and its reply; and the error object.
    /// Default `false`.
    pub fn docs(mut self, yes: bool) -> Self {
        self.docs = yes;
        self
    }

    /// Also write the docs (`api.md` and `api.html`, see [`Config::docs`]) into `dir` when
    /// [`Config::compile`] runs. A relative path is relative to the working directory, which in
    /// a build script is the crate's root.
    pub fn docs_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.docs = true;
        self.docs_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Reads the document and returns its docs alone (in [`Output::docs`]; `rust` and
    /// `typescript` stay empty), writing nothing. Quicker than [`Config::generate`], and it works
    /// for a document whose Rust cannot be generated.
    pub fn generate_docs(&self) -> Result<Output> {
        let config = Config {
            docs: true,
            docs_only: true,
            ..self.clone()
        };
        config.generate()
    }

    /// Whether the Rust file also gets a `client` module: a typed Rust client of the API, with a
    /// `send_*` method per message the server receives and a `request_*` method that awaits the
    /// reply where the operation declares one. Default `false`, because the client needs the
    /// `client` feature of the `socketsundso` runtime:
    /// `socketsundso = { version = "…", features = ["client"] }`.
    pub fn rust_client(mut self, yes: bool) -> Self {
        self.rust_client = yes;
        self
    }

    /// Which side of the connection the document describes, overriding its
    /// `x-socketsundso-role`. [`Role::Client`](extensions::Role::Client) mirrors every AsyncAPI
    /// 3.x operation: what the document receives, the server sends. The generated code is the
    /// server and its clients either way.
    pub fn role(mut self, role: extensions::Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Reads the document and returns the generated files, writing nothing. The error is the
    /// first problem found; [`Config::validate`] reports them all.
    pub fn generate(&self) -> Result<Output> {
        let run = self.run();
        match run.result {
            Ok(output) => Ok(output),
            Err(mut errors) => Err(errors.remove(0)),
        }
    }

    /// Generates and writes the files to the output directory, rewriting a file only when its
    /// content changed (so cargo does not rebuild for nothing). In a build script it also prints
    /// `cargo:rerun-if-changed` for the spec and every file it references, and the warnings as
    /// `cargo:warning`s. The TypeScript is generated only when [`Config::typescript_dir`] is
    /// set.
    pub fn compile(&self) -> Result<Output> {
        let rerun = self
            .rerun_if_changed
            .unwrap_or_else(|| std::env::var_os("OUT_DIR").is_some());
        let run = Config {
            typescript: self.typescript_dir.is_some(),
            ..self.clone()
        }
        .run();
        if rerun {
            // Printed whether or not generation succeeded, so that fixing the spec reruns it.
            for source in &run.sources {
                println!("cargo:rerun-if-changed={}", source.display());
            }
            for warning in &run.warnings {
                println!("cargo:warning={}", warning.to_string().replace('\n', " "));
            }
        }
        let output = match run.result {
            Ok(output) => output,
            Err(mut errors) => return Err(errors.remove(0)),
        };
        let dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error::Io {
                    path: PathBuf::from("$OUT_DIR"),
                    action: "no output directory",
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "OUT_DIR is not set; call Config::out_dir outside build scripts",
                    ),
                })?,
        };
        write_if_changed(&dir.join(&output.rust_file_name), &output.rust)?;
        if let Some(ts_dir) = &self.typescript_dir {
            for (name, text) in &output.typescript {
                write_if_changed(&ts_dir.join(name), text)?;
            }
        }
        if let Some(docs_dir) = &self.docs_dir {
            for (name, text) in &output.docs {
                write_if_changed(&docs_dir.join(name), text)?;
            }
        }
        Ok(output)
    }

    /// Loads the document (and the files it references), builds the IR and emits the code.
    fn run(&self) -> Run {
        let mut doc = match spec::Document::load(&self.spec) {
            Ok(doc) => doc,
            Err(error) => {
                return Run {
                    sources: vec![self.spec.clone()],
                    warnings: vec![],
                    result: Err(vec![error]),
                };
            }
        };
        let sources = doc.sources();
        let misspelled = suggest::unknown_fields(&doc);
        let built = ir::Api::build(&mut doc, self.role);
        let mut warnings = misspelled;
        warnings.extend(built.warnings);
        let mut seen = std::collections::BTreeSet::new();
        warnings.retain(|w| seen.insert(w.to_string()));
        let api = match built.api {
            Ok(api) => api,
            Err(errors) => {
                return Run {
                    sources,
                    warnings,
                    result: Err(errors),
                };
            }
        };
        let source = self
            .spec
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let docs = match self.docs.then(|| emit::docs::emit(&api, &source)) {
            Some(Ok(files)) => [
                ("api.md".to_owned(), files.markdown),
                ("api.html".to_owned(), files.html),
            ]
            .into_iter()
            .collect(),
            Some(Err(error)) => {
                return Run {
                    sources,
                    warnings,
                    result: Err(vec![error]),
                };
            }
            None => std::collections::BTreeMap::new(),
        };
        let result = if self.docs_only {
            Ok((String::new(), None))
        } else if !self.typescript {
            emit::rust::emit(&api, &source, self.rust_client).map(|rust| (rust, None))
        } else {
            // The two emitters read the same IR and nothing else: the TypeScript is written on a
            // thread of its own while the Rust is (about a fifth of the time of a large document).
            std::thread::scope(|scope| {
                let typescript = scope.spawn(|| emit::typescript::emit(&api, &source));
                let rust = emit::rust::emit(&api, &source, self.rust_client);
                let typescript = typescript.join().unwrap_or_else(|panic| {
                    std::panic::resume_unwind(panic);
                });
                Ok((rust?, Some(typescript?)))
            })
        };
        let result = result
            .map_err(|e| vec![locate_schema_error(e, &doc)])
            .map(|(rust, ts)| Output {
                rust_file_name: self.rust_file_name.clone().unwrap_or_else(|| {
                    let stem = self
                        .spec
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned());
                    format!("{}.rs", stem.unwrap_or_else(|| "api".to_owned()))
                }),
                rust,
                typescript: ts
                    .map(|ts| {
                        [
                            ("api.ts".to_owned(), ts.api),
                            ("client.ts".to_owned(), ts.client),
                        ]
                        .into_iter()
                        .collect()
                    })
                    .unwrap_or_default(),
                sources: sources.clone(),
                warnings: warnings.clone(),
                docs,
            });
        Run {
            sources,
            warnings,
            result,
        }
    }
}

/// What one run of the generator found.
struct Run {
    sources: Vec<PathBuf>,
    warnings: Vec<Warning>,
    result: std::result::Result<Output, Vec<Error>>,
}

/// Every problem found in a document: what `socketsundso validate` reports.
#[derive(Debug, Default)]
pub struct Report {
    /// Problems that stop generation. Empty means the document generates.
    pub errors: Vec<Error>,
    /// Problems that do not.
    pub warnings: Vec<Warning>,
}

impl Config {
    /// Checks the document without writing anything and reports every problem found: all
    /// errors (one broken operation does not hide the problems of the others) and all warnings.
    pub fn validate(&self) -> Report {
        let run = Config {
            typescript: true,
            ..self.clone()
        }
        .run();
        Report {
            errors: run.result.err().unwrap_or_default(),
            warnings: run.warnings,
        }
    }
}

/// Generates from `spec` into `$OUT_DIR` with the default settings: the one-line `build.rs`.
pub fn compile(spec: impl AsRef<Path>) -> Result<Output> {
    Config::new(spec).compile()
}

/// Writes `content` to `path` unless the file already holds exactly that.
pub fn write_if_changed(path: &Path, content: &str) -> Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.to_owned(),
            action: "cannot create directory",
            source,
        })?;
    }
    std::fs::write(path, content).map_err(|source| Error::Io {
        path: path.to_owned(),
        action: "cannot write",
        source,
    })?;
    Ok(true)
}

/// Emitters know the schema's pointer in the bundle; find its file, line and column.
fn locate_schema_error(mut error: Error, doc: &spec::Document) -> Error {
    if let Error::Schema { location, .. } = &mut error
        && location.file == Path::new("<spec>")
    {
        *location = doc.location(&location.pointer);
    }
    error
}

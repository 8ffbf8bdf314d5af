//! The `socketsundso` command, run as a user runs it.
//!
//! Exit codes: 0 success; 1 `check` found a stale file, or `validate` found errors (or warnings
//! with `--deny-warnings`); 2 the spec or a file could not be used.
//! Cargo runs these tests with the working directory `cli/`.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-cli --test cli` rewrites the `--help`
//! snapshots under `tests/snapshots/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;

const CHAT_SPEC: &str = "../examples/chat/asyncapi.yaml";
const UNENFORCED_SPEC: &str = "../tests/fixtures/unenforced.yaml";

/// The line of [`UNENFORCED_SPEC`] with the misspelled `maxLenght`.
fn maxlenght_line() -> usize {
    let text = std::fs::read_to_string(UNENFORCED_SPEC).expect("the fixture");
    1 + text
        .lines()
        .position(|l| l.trim_start().starts_with("maxLenght:"))
        .expect("a line with maxLenght")
}

/// How many warnings the generator has for [`UNENFORCED_SPEC`] (at least the three these tests
/// look for: `maxLenght`, `dependentRequired`, `format: hostname`).
fn unenforced_warnings() -> usize {
    let n = socketsundso_codegen::Config::new(UNENFORCED_SPEC)
        .validate()
        .warnings
        .len();
    assert!(n >= 3, "{n} warnings");
    n
}

fn socketsundso() -> Command {
    let mut cmd = Command::cargo_bin("socketsundso").expect("the socketsundso binary is built");
    // Plain output whatever the environment says.
    cmd.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    cmd
}

/// What a run printed, as text.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("the command runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn generate_to(file: &Path) -> Run {
    run(socketsundso()
        .args(["generate", CHAT_SPEC, "--rust"])
        .arg(file))
}

fn check(file: &Path) -> Run {
    run(socketsundso()
        .args(["check", CHAT_SPEC, "--rust"])
        .arg(file))
}

fn modified(file: &Path) -> SystemTime {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// A fresh `out.rs` generated from the chat spec in a new temporary directory.
fn fresh_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("out.rs");
    let first = generate_to(&file);
    assert_eq!(first.code, Some(0), "generate --rust: {}", first.stderr);
    (dir, file)
}

// ------------------------------------------------------------------ generate

#[test]
fn generate_prints_rust() {
    let out = run(socketsundso().args(["generate", CHAT_SPEC]));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(
        out.stdout.starts_with("// @generated"),
        "no @generated header: {}",
        &out.stdout[..out.stdout.len().min(200)]
    );
    assert!(out.stdout.contains("pub trait Handler"), "no Handler trait");
    assert!(out.stdout.contains("pub struct Server"), "no Server");
}

#[test]
fn generate_is_deterministic() {
    let first = run(socketsundso().args(["generate", CHAT_SPEC]));
    let second = run(socketsundso().args(["generate", CHAT_SPEC]));
    assert_eq!(first.code, Some(0));
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn generate_writes_the_file_then_leaves_it_unchanged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("out.rs");

    let first = generate_to(&file);
    assert_eq!(first.code, Some(0), "stderr: {}", first.stderr);
    assert!(
        first.stdout.is_empty(),
        "nothing on stdout: {}",
        first.stdout
    );
    assert!(first.stderr.contains("wrote"), "stderr: {}", first.stderr);
    let written = std::fs::read_to_string(&file).expect("the file was written");
    let printed = run(socketsundso().args(["generate", CHAT_SPEC])).stdout;
    assert_eq!(written, printed, "the file holds what `generate` prints");

    // An old mtime, so that any rewrite would show even on a coarse clock.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(old))
        .expect("set the mtime");

    let second = generate_to(&file);
    assert_eq!(second.code, Some(0), "stderr: {}", second.stderr);
    assert!(
        second.stderr.contains("unchanged"),
        "stderr: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&file.display().to_string()),
        "stderr names the file: {}",
        second.stderr
    );
    assert_eq!(modified(&file), old, "the file was rewritten");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}

#[test]
fn generate_rewrites_a_changed_file() {
    let (_dir, file) = fresh_file();
    std::fs::write(&file, "// old\n").unwrap();
    let again = generate_to(&file);
    assert_eq!(again.code, Some(0), "stderr: {}", again.stderr);
    assert!(again.stderr.contains("wrote"), "stderr: {}", again.stderr);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("// @generated")
    );
}

#[test]
fn generate_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("src").join("api").join("chat.rs");
    let out = generate_to(&file);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("// @generated")
    );
}

#[test]
fn generate_a_missing_spec_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("nope.yaml");
    let out = run(socketsundso().arg("generate").arg(&spec));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("nope.yaml"),
        "stderr names the spec: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

// ------------------------------------------------------------------ check

#[test]
fn check_a_fresh_file_exits_0() {
    let (_dir, file) = fresh_file();
    let out = check(&file);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("up to date"), "stderr: {}", out.stderr);
}

#[test]
fn check_a_stale_file_exits_1_with_a_diff() {
    let (_dir, file) = fresh_file();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let middle = lines.len() / 2;
    lines[middle] = "// edited by hand";
    let stale = lines.join("\n") + "\n";
    std::fs::write(&file, &stale).unwrap();

    let out = check(&file);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    let name = file.display().to_string();
    assert!(out.stderr.contains(&name), "names the file: {}", out.stderr);
    assert!(out.stderr.contains("stale"), "says stale: {}", out.stderr);
    assert!(
        out.stderr.lines().any(|l| l == "-// edited by hand"),
        "the diff shows the edited line: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++")),
        "the diff shows the generated line: {}",
        out.stderr
    );
    assert!(out.stderr.contains("error: "), "an error: {}", out.stderr);
    let regenerate =
        format!("help: regenerate it with: socketsundso generate {CHAT_SPEC} --rust {name}");
    assert!(
        out.stderr.contains(&regenerate),
        "shows `{regenerate}`: {}",
        out.stderr
    );
    // check writes nothing
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stale);
}

#[test]
fn check_cuts_a_long_diff() {
    let (_dir, file) = fresh_file();
    std::fs::write(&file, "// nothing like the generated code\n").unwrap();
    let out = check(&file);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    let diff: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .collect();
    assert!(
        diff.len() <= 41,
        "at most 40 diff lines and a note, got {}",
        diff.len()
    );
    let last = diff.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("... ") && last.ends_with(" more diff lines"),
        "the cut is announced: {last:?}"
    );
}

#[test]
fn check_a_missing_file_is_stale_and_the_rest_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing.rs");
    let out = check(&file);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "error: {} is missing: {CHAT_SPEC} generates it",
            file.display()
        )),
        "stderr names the file: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: regenerate it with: socketsundso generate"),
        "{}",
        out.stderr
    );
    assert!(!file.exists(), "check created the file");
    // Review 13, finding 4: a missing file among others is stale, and the files after it are
    // still checked.
    let ts = dir.path().join("web");
    let docs = dir.path().join("docs");
    let out = run(socketsundso()
        .args(["generate", CHAT_SPEC, "--ts"])
        .arg(&ts)
        .arg("--docs")
        .arg(&docs));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    std::fs::remove_file(ts.join("api.ts")).unwrap();
    std::fs::write(docs.join("api.md"), "edited\n").unwrap();
    let out = run(socketsundso()
        .args(["check", CHAT_SPEC, "--ts"])
        .arg(&ts)
        .arg("--docs")
        .arg(&docs));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let stderr = &out.stderr;
    assert!(stderr.contains("api.ts is missing"), "{stderr}");
    assert!(stderr.contains("api.md is stale"), "{stderr}");
    assert!(stderr.contains("-edited"), "the diff of api.md: {stderr}");
    assert!(stderr.contains("2 of 4 files are stale"), "{stderr}");
    assert!(!ts.join("api.ts").exists(), "check wrote nothing");
}

// ------------------------------------------------------------------ bad specs

/// A spec whose `$ref` (line 13, column 15) points at nothing.
const MISSING_REF: &str = "\
asyncapi: 3.0.0
info:
  title: Broken
  version: 0.1.0
channels:
  main:
    messages:
      hello:
        payload:
          type: object
          properties:
            who:
              $ref: '#/components/schemas/Person'
            type:
              const: hello
operations:
  receive:
    action: receive
    channel:
      $ref: '#/channels/main'
components:
  schemas:
    People:
      type: string
";

#[test]
fn a_bad_spec_exits_2_with_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    std::fs::write(&spec, MISSING_REF).unwrap();
    let out_file = dir.path().join("out.rs");

    let out = run(socketsundso()
        .arg("generate")
        .arg(&spec)
        .arg("--rust")
        .arg(&out_file));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    let location = format!("{}:13:15", spec.display());
    assert!(
        out.stderr.contains(&location),
        "stderr has {location}: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error: `$ref: #/components/schemas/Person` points at nothing"),
        "stderr: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: `#/components/schemas` exists and has: `People`"),
        "stderr: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "stderr: {}", out.stderr);
    assert!(!out_file.exists(), "a bad spec wrote a file");

    // The same for `check`, even when the file exists.
    std::fs::write(&out_file, "// anything\n").unwrap();
    let out = run(socketsundso()
        .arg("check")
        .arg(&spec)
        .arg("--rust")
        .arg(&out_file));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(out.stderr.contains(&location), "stderr: {}", out.stderr);
}

#[test]
fn not_yaml_exits_2_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("garbage.yaml");
    std::fs::write(&spec, "asyncapi: [unclosed\n  : : :\n").unwrap();
    let out = run(socketsundso().arg("generate").arg(&spec));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("garbage.yaml"),
        "stderr: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "stderr: {}", out.stderr);
}

// ------------------------------------------------------------------ usage

#[test]
fn help_texts_match_their_snapshots() {
    for (args, snapshot) in [
        (&["--help"][..], "tests/snapshots/help.txt"),
        (
            &["generate", "--help"][..],
            "tests/snapshots/generate-help.txt",
        ),
        (&["check", "--help"][..], "tests/snapshots/check-help.txt"),
        (
            &["validate", "--help"][..],
            "tests/snapshots/validate-help.txt",
        ),
        (&["schema", "--help"][..], "tests/snapshots/schema-help.txt"),
        (&["docs", "--help"][..], "tests/snapshots/docs-help.txt"),
        (&["init", "--help"][..], "tests/snapshots/init-help.txt"),
    ] {
        let out = run(socketsundso().args(args));
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        expectorate::assert_contents(snapshot, &out.stdout);
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = run(socketsundso().arg("--version"));
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout.trim_end(),
        format!("socketsundso {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&mut socketsundso());
    assert_eq!(out.code, Some(2), "no subcommand: {}", out.stderr);
    assert!(out.stderr.contains("Usage:"), "stderr: {}", out.stderr);
    let out = run(socketsundso().args(["check", CHAT_SPEC]));
    assert_eq!(out.code, Some(2), "check without --rust: {}", out.stderr);
    assert!(out.stderr.contains("--rust"), "stderr: {}", out.stderr);
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let out = run(socketsundso().args(["generate", UNENFORCED_SPEC]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("// @generated"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: unknown keyword `maxLenght` (ignored): did you mean `maxLength`?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("unenforced.yaml:{}:15]", maxlenght_line())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("#/channels/main/messages/register/payload/properties/name/maxLenght"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("warning:").count(),
        unenforced_warnings(),
        "{}",
        out.stderr
    );
}

/// Review 13, finding 5: `--deny-warnings` on `generate` and `check` makes a warning fatal:
/// exit 2, nothing written.
#[test]
fn deny_warnings_makes_generate_and_check_fail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.rs");
    let out = run(socketsundso()
        .args(["generate", UNENFORCED_SPEC, "--deny-warnings", "--rust"])
        .arg(&file));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown keyword `maxLenght`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("(denied by --deny-warnings); nothing was written or compared"),
        "{}",
        out.stderr
    );
    assert!(!file.exists(), "nothing written");
    let out = run(socketsundso()
        .args(["generate", UNENFORCED_SPEC, "--rust"])
        .arg(&file));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = run(socketsundso()
        .args(["check", UNENFORCED_SPEC, "--deny-warnings", "--rust"])
        .arg(&file));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = run(socketsundso()
        .args(["check", UNENFORCED_SPEC, "--rust"])
        .arg(&file));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

// ------------------------------------------------------------------ validate

fn validate(args: &[&str]) -> Run {
    run(socketsundso().arg("validate").args(args))
}

/// [`MISSING_REF`] written into a new temporary directory.
fn missing_ref_spec() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = dir.path().join("bad.yaml");
    std::fs::write(&spec, MISSING_REF).unwrap();
    (dir, spec)
}

#[test]
fn validate_a_clean_spec_exits_0() {
    let out = validate(&[CHAT_SPEC]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stderr, "ok: no problems\n");
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
}

#[test]
fn validate_reports_every_warning_and_exits_0() {
    let out = validate(&[UNENFORCED_SPEC]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(
        out.stderr.matches("warning:").count(),
        unenforced_warnings(),
        "{}",
        out.stderr
    );
    for keyword in ["maxLenght", "dependentRequired", "format: hostname"] {
        assert!(out.stderr.contains(keyword), "{keyword}: {}", out.stderr);
    }
    assert!(
        out.stderr
            .ends_with(&format!("\nok: {} warnings\n", unenforced_warnings())),
        "the summary comes last: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
}

#[test]
fn validate_deny_warnings_exits_1_on_warnings() {
    let out = validate(&[UNENFORCED_SPEC, "--deny-warnings"]);
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert_eq!(
        out.stderr.matches("warning:").count(),
        unenforced_warnings(),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(&format!(
            "\n{} warnings (denied by --deny-warnings)\n",
            unenforced_warnings()
        )),
        "{}",
        out.stderr
    );
    // Denying warnings changes nothing for a clean spec.
    let out = validate(&[CHAT_SPEC, "--deny-warnings"]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
}

#[test]
fn validate_a_broken_spec_exits_1_with_a_snippet() {
    let (_dir, spec) = missing_ref_spec();
    let out = run(socketsundso().arg("validate").arg(&spec));
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    let stderr = &out.stderr;
    let lines: Vec<&str> = stderr.lines().collect();
    let position = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line has {needle:?}: {stderr}"))
    };

    let message = position("error: `$ref: #/components/schemas/Person` points at nothing");
    let header = position(&format!("{}:13:15]", spec.display()));
    // The offending line, with its line number, then the underline and its label.
    let source = position(" 13 │               $ref: '#/components/schemas/Person'");
    let underline = source + 1;
    let label = source + 2;
    assert!(message < header && header < source, "{stderr}");
    assert_eq!(
        lines[underline].trim_end(),
        "    ·               ─────────────────┬─────────────────",
        "{stderr}"
    );
    assert!(
        lines[label].ends_with("╰── #/channels/main/messages/hello/payload/properties/who/$ref"),
        "{stderr}"
    );
    let help = position("help: `#/components/schemas` exists and has: `People`");
    assert!(label < help, "{stderr}");
    assert_eq!(lines.last(), Some(&"1 error"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "no colours without a terminal: {stderr:?}"
    );
}

#[test]
fn validate_json_has_exact_fields() {
    let (_dir, spec) = missing_ref_spec();
    let out = run(socketsundso()
        .arg("validate")
        .arg(&spec)
        .args(["--format", "json"]));
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "one line: {}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    let name = spec.display().to_string();
    assert_eq!(
        json,
        serde_json::json!({
            "errors": [{
                "severity": "error",
                "file": name,
                "line": 13,
                "column": 15,
                "pointer": "/channels/main/messages/hello/payload/properties/who/$ref",
                "message": format!("`$ref: #/components/schemas/Person` points at nothing in {name}"),
                "help": "`#/components/schemas` exists and has: `People`",
            }],
            "warnings": [],
        })
    );
    // The keys come in a stable, documented order.
    let keys = [
        "severity", "file", "line", "column", "pointer", "message", "help",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| out.stdout.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.is_sorted(), "key order {keys:?}: {}", out.stdout);
}

#[test]
fn validate_json_lists_warnings() {
    let out = validate(&[UNENFORCED_SPEC, "--format", "json"]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["errors"], serde_json::json!([]));
    let warnings = json["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), unenforced_warnings(), "{}", out.stdout);
    let typo = warnings
        .iter()
        .find(|w| w["message"].as_str().unwrap().contains("maxLenght"))
        .expect("the maxLenght warning");
    assert_eq!(typo["severity"], "warning");
    assert_eq!(typo["file"], UNENFORCED_SPEC);
    assert_eq!(
        (&typo["line"], &typo["column"]),
        (&maxlenght_line().into(), &15.into())
    );
    assert_eq!(typo["help"], serde_json::Value::Null);
    // With --deny-warnings the same output, and exit 1.
    let denied = validate(&[UNENFORCED_SPEC, "--format", "json", "--deny-warnings"]);
    assert_eq!(denied.code, Some(1));
    assert_eq!(denied.stdout, out.stdout);
}

#[test]
fn validate_a_missing_spec_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("nope.yaml");
    let out = run(socketsundso().arg("validate").arg(&spec));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("nope.yaml"), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("error:"), "stderr: {}", out.stderr);
    assert!(out.stdout.is_empty());

    let out = run(socketsundso()
        .arg("validate")
        .arg(&spec)
        .args(["--format", "json"]));
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    let error = &json["errors"][0];
    assert_eq!(error["file"], spec.display().to_string());
    assert_eq!(error["line"], serde_json::Value::Null);
    assert!(
        error["message"].as_str().unwrap().contains("cannot read"),
        "{}",
        out.stdout
    );
}

// ------------------------------------------------------------------ schema

const SETTINGS: [&str; 3] = [
    "x-socketsundso-tag-field",
    "x-socketsundso-blocking",
    "x-socketsundso-unknown-fields",
];

#[test]
fn schema_prints_the_settings_as_json() {
    let out = run(socketsundso().arg("schema"));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(json, socketsundso_codegen::extensions::json_schema());
    for setting in SETTINGS {
        assert!(out.stdout.contains(setting), "no {setting}");
    }
    assert!(out.stdout.contains("\n  \"$schema\""), "pretty-printed");
}

#[test]
fn schema_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schemas").join("socketsundso.schema.json");
    let out = run(socketsundso().arg("schema").arg("--output").arg(&file));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert!(out.stderr.starts_with("wrote "), "stderr: {}", out.stderr);
    let written = std::fs::read_to_string(&file).expect("the file was written");
    assert_eq!(written, run(socketsundso().arg("schema")).stdout);
    let again = run(socketsundso().arg("schema").arg("--output").arg(&file));
    assert!(again.stderr.starts_with("unchanged "), "{}", again.stderr);
}

#[test]
fn rust_client_adds_the_client_module_and_check_compares_with_it() {
    let plain = run(socketsundso().args(["generate", CHAT_SPEC]));
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(!plain.stdout.contains("pub mod client {"));
    let with = run(socketsundso().args(["generate", CHAT_SPEC, "--rust-client"]));
    assert_eq!(with.code, Some(0), "{}", with.stderr);
    assert!(with.stdout.contains("\npub mod client {"));
    assert!(with.stdout.contains("pub async fn send_whisper("));

    let (_dir, file) = fresh_file();
    let wrote = run(socketsundso()
        .args(["generate", CHAT_SPEC, "--rust-client", "--rust"])
        .arg(&file));
    assert_eq!(wrote.code, Some(0), "{}", wrote.stderr);
    let up_to_date = run(socketsundso()
        .args(["check", CHAT_SPEC, "--rust-client", "--rust"])
        .arg(&file));
    assert_eq!(up_to_date.code, Some(0), "{}", up_to_date.stderr);
    // Without the flag, the file is stale.
    let stale = run(socketsundso()
        .args(["check", CHAT_SPEC, "--rust"])
        .arg(&file));
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    // The command that brings a stale file up to date keeps the flag.
    std::fs::write(&file, "// old\n").expect("writable");
    let stale = run(socketsundso()
        .args(["check", CHAT_SPEC, "--rust-client", "--rust"])
        .arg(&file));
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    assert!(stale.stderr.contains("--rust-client"), "{}", stale.stderr);
}

// ------------------------------------------------------------------ docs

#[test]
fn docs_writes_markdown_and_html_then_leaves_them_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    let first = run(socketsundso().args(["docs", CHAT_SPEC, "--out"]).arg(&out));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(first.stdout.is_empty(), "{}", first.stdout);
    for name in ["api.md", "api.html"] {
        let line = format!("wrote {}", out.join(name).display());
        assert!(first.stderr.contains(&line), "{line}: {}", first.stderr);
    }
    let markdown = std::fs::read_to_string(out.join("api.md")).unwrap();
    let html = std::fs::read_to_string(out.join("api.html")).unwrap();
    // The same as the golden, which `codegen/tests/docs.rs` keeps fresh.
    assert_eq!(
        markdown,
        std::fs::read_to_string("../tests/fixtures/docs/example-chat/api.md").unwrap()
    );
    assert!(html.contains("<input id=\"search\""), "a search box");
    assert!(markdown.contains("### `whisper`"));
    assert!(markdown.contains("- **Direction:** client → server"));

    let second = run(socketsundso().args(["docs", CHAT_SPEC, "--out"]).arg(&out));
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(
        second.stderr.matches("unchanged ").count(),
        2,
        "{}",
        second.stderr
    );
}

#[test]
fn docs_of_a_bad_spec_exit_2() {
    let (dir, spec) = missing_ref_spec();
    let out = dir.path().join("docs");
    let run = run(socketsundso().arg("docs").arg(&spec).arg("--out").arg(&out));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("points at nothing"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn generate_docs_and_check_docs() {
    let dir = tempfile::tempdir().unwrap();
    let (rust, ts, docs) = (
        dir.path().join("api.rs"),
        dir.path().join("ts"),
        dir.path().join("docs"),
    );
    let targets = |cmd: &mut Command| {
        cmd.arg("--rust")
            .arg(&rust)
            .arg("--ts")
            .arg(&ts)
            .arg("--docs")
            .arg(&docs);
    };
    let mut generate = socketsundso();
    generate.args(["generate", CHAT_SPEC]);
    targets(&mut generate);
    let out = run(&mut generate);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr.matches("wrote ").count(), 5, "{}", out.stderr);
    let mut check = socketsundso();
    check.args(["check", CHAT_SPEC]);
    targets(&mut check);
    let fresh = run(&mut check);
    assert_eq!(fresh.code, Some(0), "{}", fresh.stderr);
    assert_eq!(
        fresh.stderr.matches("up to date ").count(),
        5,
        "{}",
        fresh.stderr
    );

    // Stale docs: a diff, the command that fixes them, exit 1.
    let md = docs.join("api.md");
    let text = std::fs::read_to_string(&md).unwrap();
    std::fs::write(&md, text.replace("### `whisper`", "### `whisperr`")).unwrap();
    let stale = run(&mut check);
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    assert!(
        stale.stderr.lines().any(|l| l == "-### `whisperr`"),
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.lines().any(|l| l == "+### `whisper`"),
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.contains(&format!("--docs {}", docs.display())),
        "{}",
        stale.stderr
    );
    assert!(
        stale.stderr.contains("1 of 5 files are stale"),
        "{}",
        stale.stderr
    );
}

// ------------------------------------------------------------------ quiet, verbose, colour

#[test]
fn quiet_prints_only_errors_and_verbose_lists_the_files_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.rs");
    let quiet = run(socketsundso()
        .args(["--quiet", "generate", UNENFORCED_SPEC, "--rust"])
        .arg(&file));
    assert_eq!(quiet.code, Some(0), "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "no warnings, no file list");
    assert!(file.exists());
    // After the command too, and errors still show.
    let quiet = run(socketsundso()
        .args(["check", CHAT_SPEC, "-q", "--rust"])
        .arg(&file));
    assert_eq!(quiet.code, Some(1));
    assert!(quiet.stderr.contains("is stale"), "{}", quiet.stderr);
    assert!(quiet.stderr.contains("\n+"), "the diff: {}", quiet.stderr);

    let verbose = run(socketsundso()
        .args([
            "generate",
            "--verbose",
            "../tests/fixtures/multi-file.yaml",
            "--rust",
        ])
        .arg(&file));
    assert_eq!(verbose.code, Some(0), "{}", verbose.stderr);
    let read: Vec<&str> = verbose
        .stderr
        .lines()
        .filter(|l| l.starts_with("read "))
        .collect();
    assert!(
        read.len() >= 2,
        "the spec and the files it references: {}",
        verbose.stderr
    );
    assert!(read[0].ends_with("multi-file.yaml"), "{read:?}");

    let both = run(socketsundso().args(["-q", "-v", "validate", CHAT_SPEC]));
    assert_eq!(both.code, Some(2), "{}", both.stderr);
}

#[test]
fn no_colour_without_a_terminal_even_when_asked_by_clicolor() {
    // The tests' stderr is a pipe: no escape codes, whatever CLICOLOR_FORCE says (the CLI
    // decides by the terminal and NO_COLOR alone).
    let (_dir, file) = fresh_file();
    std::fs::write(&file, "// old\n").unwrap();
    let out = run(socketsundso()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["check", CHAT_SPEC, "--rust"])
        .arg(&file));
    assert_eq!(out.code, Some(1));
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}

// ------------------------------------------------------------------ watch

/// A child process that is killed when dropped, with its stderr read line by line.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Watching {
    fn start(args: &[&std::ffi::OsStr]) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("socketsundso"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("socketsundso starts");
        let stderr = child.stderr.take().expect("piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// Waits (at most 20 s) for a line that contains `needle`; returns what came before it too.
    fn wait_for(&self, needle: &str) -> Vec<String> {
        let mut seen = vec![];
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?} in: {seen:#?}");
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_regenerates_when_the_spec_changes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("asyncapi.yaml");
    std::fs::copy("../examples/basics/asyncapi.yaml", &spec).unwrap();
    let docs = dir.path().join("docs");
    let rust = dir.path().join("api.rs");
    let watching = Watching::start(&[
        "generate".as_ref(),
        spec.as_os_str(),
        "--docs".as_ref(),
        docs.as_os_str(),
        "--rust".as_ref(),
        rust.as_os_str(),
        "--watch".as_ref(),
    ]);
    watching.wait_for("watching 1 file for changes");
    let md = docs.join("api.md");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("# Basics 1.0.0")
    );

    // An edit: the docs and the code follow.
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("title: Basics", "title: Basics Watched"),
    )
    .unwrap();
    let lines = watching.wait_for("watching 1 file for changes");
    assert!(
        lines.iter().any(|l| l.starts_with("changed: ")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("wrote {}", md.display())),
        "{lines:#?}"
    );
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("# Basics Watched 1.0.0")
    );

    // A broken spec prints its error; the watch goes on, and the fix is picked up.
    std::fs::write(&spec, "asyncapi: [\n").unwrap();
    let lines = watching.wait_for("watching 1 file for changes");
    assert!(lines.iter().any(|l| l.contains("error:")), "{lines:#?}");
    std::fs::write(&spec, text.replace("title: Basics", "title: Basics Fixed")).unwrap();
    watching.wait_for("watching 1 file for changes");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("# Basics Fixed 1.0.0")
    );
    assert!(
        std::fs::read_to_string(&rust)
            .unwrap()
            .starts_with("// @generated")
    );
}

#[test]
fn docs_watch_regenerates_when_the_spec_changes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("asyncapi.yaml");
    std::fs::copy("../examples/basics/asyncapi.yaml", &spec).unwrap();
    let out = dir.path().join("docs");
    let watching = Watching::start(&[
        "docs".as_ref(),
        spec.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--watch".as_ref(),
    ]);
    watching.wait_for("watching 1 file for changes");
    let md = out.join("api.md");
    let html = out.join("api.html");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("# Basics 1.0.0")
    );

    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("title: Basics", "title: Basics Watched"),
    )
    .unwrap();
    let lines = watching.wait_for("watching 1 file for changes");
    for file in [&md, &html] {
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("wrote {}", file.display())),
            "{lines:#?}"
        );
    }
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("# Basics Watched 1.0.0")
    );
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("Basics Watched")
    );
}

#[test]
fn watch_needs_an_output() {
    let out = run(socketsundso().args(["generate", CHAT_SPEC, "--watch"]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("--watch needs somewhere to write"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------ diagnostics

#[test]
fn a_misspelled_type_is_named_with_the_nearest_one() {
    let out = run(socketsundso().args(["validate", "../tests/fixtures/errors/unknown-type.yaml"]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("error: `integr` is not a JSON Schema type"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown-type.yaml:15:15]"), "{stderr}");
    assert!(
        stderr.contains(" 15 │               type: integr"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `integer`? The types are string, number, integer, boolean, object, array, null"),
        "{stderr}"
    );
    assert!(!stderr.contains("untagged enum"), "{stderr}");
    // A misspelled keyword is a warning with the keyword it probably is.
    let out = run(socketsundso().args(["validate", UNENFORCED_SPEC]));
    assert!(
        out.stderr.contains("warning: unknown keyword `maxLenght` (ignored): did you mean `maxLength`? (the CLI's `--deny-warnings` makes warnings errors)"),
        "{}",
        out.stderr
    );
}

/// Review 13, finding 1: a keyword whose value has the wrong type (`examples: Ada`, `title: 5`,
/// `$ref: 5`) is named, with the form it takes, at its own line, not at `payload:`.
#[test]
fn a_wrong_value_type_names_the_keyword_at_its_line() {
    for (case, line, message, help) in [
        (
            "examples-not-a-list",
            " 16 │               examples: Ada",
            "error: `examples: Ada` must be a list of example values",
            "help: write `examples: [Ada]`",
        ),
        (
            "title-not-a-string",
            " 16 │               title: 5",
            "error: `title: 5` must be a string",
            "help: quote it: `title: '5'`",
        ),
        (
            "description-a-list",
            " 16 │               description: [a]",
            "error: `description: [\"a\"]` must be a string",
            "help: write it as one string",
        ),
        (
            "ref-not-a-string",
            " 16 │               $ref: 5",
            "error: `$ref: 5` must be a reference, as a string",
            "help: for example `$ref: '#/components/schemas/Person'`",
        ),
    ] {
        let spec = format!("../tests/fixtures/errors/{case}.yaml");
        let out = run(socketsundso().args(["validate", &spec]));
        assert_eq!(out.code, Some(1), "{case}: {}", out.stderr);
        let stderr = &out.stderr;
        for expected in [line, message, help, &format!("{case}.yaml:16:15]")] {
            assert!(
                stderr.contains(expected),
                "{case}: no {expected:?} in {stderr}"
            );
        }
        assert!(!stderr.contains("untagged enum"), "{case}: {stderr}");
        assert!(
            !stderr.contains("payload schema of message"),
            "{case}: {stderr}"
        );
    }
    // In a file that the document `$ref`s, the schema is not called a message.
    let out = run(socketsundso().args([
        "validate",
        "../tests/fixtures/errors/description-not-a-string-in-second-file.yaml",
    ]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("bad-description.yaml:5:7]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error: `description: 5` must be a string"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("of message `Person`"),
        "{}",
        out.stderr
    );
}

/// Review 13, finding 2: a typo in `required` is an error in a closed object (the default), a
/// warning in an open one, at the name, with the property meant.
#[test]
fn a_required_name_that_is_not_a_property_is_named() {
    let spec = "../tests/fixtures/errors/required-not-a-property.yaml";
    let out = run(socketsundso().args(["validate", spec]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    for expected in [
        "error: `required` names `nmae`, which is not in `properties`",
        "required-not-a-property.yaml:18:15]",
        " 18 │             - nmae",
        "help: did you mean `name`?",
    ] {
        assert!(
            out.stderr.contains(expected),
            "no {expected:?} in {}",
            out.stderr
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.yaml");
    let text = std::fs::read_to_string(spec).unwrap().replace(
        "          required:\n",
        "          additionalProperties: true\n          required:\n",
    );
    std::fs::write(&open, text).unwrap();
    let out = run(socketsundso().arg("validate").arg(&open));
    assert_eq!(out.code, Some(0), "a warning only: {}", out.stderr);
    assert!(
        out.stderr.contains(
            "warning: `required` names `nmae`, which is not in `properties`; did you mean `name`?"
        ),
        "{}",
        out.stderr
    );
    let out = run(socketsundso()
        .args(["validate", "--deny-warnings"])
        .arg(&open));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
}

#[test]
fn misspelled_asyncapi_fields_are_warnings_with_the_field_meant() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("typos.yaml");
    let text = std::fs::read_to_string("../tests/fixtures/errors/unknown-type.yaml")
        .unwrap()
        .replace("type: integr", "type: integer")
        .replace(
            "        payload:\n",
            "        title: Hello\n        payload:\n",
        )
        .replace(
            "    action: receive\n",
            "    action: receive\n    sumary: Hello.\n",
        )
        .replace("info:\n", "info:\n  licence: MIT\n");
    std::fs::write(&spec, text).unwrap();
    let out = run(socketsundso().arg("validate").arg(&spec));
    assert_eq!(out.code, Some(0), "warnings only: {}", out.stderr);
    for expected in [
        "warning: operation `receive` has a field `sumary` that AsyncAPI does not define; it is ignored (did you mean `summary`?)",
        "warning: `info` has a field `licence` that AsyncAPI does not define; it is ignored (did you mean `license`?)",
    ] {
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    assert!(out.stderr.ends_with("ok: 2 warnings\n"), "{}", out.stderr);
}

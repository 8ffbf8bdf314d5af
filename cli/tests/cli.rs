//! The `socketsundso` command, run as a user runs it.
//!
//! Exit codes: 0 success; 1 `check` found a stale file; 2 the spec or a file could not be used.
//! Cargo runs these tests with the working directory `cli/`.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-cli --test cli` rewrites the `--help`
//! snapshots under `tests/snapshots/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;

const CHAT_SPEC: &str = "../examples/chat/asyncapi.yaml";

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
    let regenerate = format!("socketsundso generate {CHAT_SPEC} --rust {name}");
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
fn check_a_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing.rs");
    let out = check(&file);
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&file.display().to_string()),
        "stderr names the file: {}",
        out.stderr
    );
    assert!(!file.exists(), "check created the file");
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
        out.stderr.contains("points at nothing"),
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
    let out = run(socketsundso().args(["generate", "../tests/fixtures/unenforced.yaml"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("// @generated"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("unenforced.yaml:23:15 (at #/channels/main/messages/register/payload/properties/name/maxLenght): warning: the keyword `maxLenght` is not enforced"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("warning:").count(), 3, "{}", out.stderr);
}

//! The official JSON Schema Test Suite (draft-07, vendored in `jsonschema-suite/`) through both
//! paths a server uses:
//!
//! 1. **decode**: every case as a frame of a generated API, `{"type":"g<group>","value":<data>}`,
//!    through `socketsundso::decode`: serde into the generated types and the generated checks,
//!    then (only when those fail) the validator over the parsed frame. `build.rs` generates one
//!    API per suite file (see `build/suite.rs`).
//! 2. **validator**: the case's data against the group's schema with
//!    `socketsundso::validate::Validator`, which lists every violation.
//!
//! Each path must give the suite's verdict, and the two must agree. Groups that are not run are
//! listed in `jsonschema-suite/skipped.txt` with the reason (and the generator's diagnostic where
//! it refuses a group); cases that give a wrong verdict today are in
//! `jsonschema-suite/known-failures.txt`. Both files are compared exactly, so neither can change
//! unnoticed: `EXPECTORATE=overwrite cargo test -p socketsundso-tests --test jsonschema_suite`
//! rewrites them. `SUITE_VERBOSE=1` prints the error object of every failing case.

use socketsundso::validate::Validator;

/// One group of a suite file: a schema and its cases.
struct Group {
    file: &'static str,
    index: usize,
    description: &'static str,
    /// Why neither path runs it.
    skip: Option<&'static str>,
    fast: Fast,
    /// `{"schema": <the group's schema>}`, what `Validator::from_json` compiles.
    document: &'static str,
    cases: &'static [Case],
}

/// The generated fast path of a group.
enum Fast {
    /// `socketsundso::decode` of the group's generated API: `Err` is the error object.
    Run(fn(&str) -> Result<(), String>),
    /// The generator refused the group: its diagnostic. (No group is refused today.)
    #[allow(dead_code)]
    Refused(&'static str),
    /// The group is skipped on both paths.
    Skipped,
}

struct Case {
    description: &'static str,
    /// The case's data, as JSON.
    data: &'static str,
    /// `{"type":"g<group>","value":<data>}`.
    frame: &'static str,
    valid: bool,
}

// The suite's schemas name their properties `foo` and `bar`.
#[allow(dead_code, clippy::disallowed_names)]
mod generated {
    use super::{Case, Fast, Group};
    include!(concat!(env!("OUT_DIR"), "/jsonschema_suite.rs"));
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    skipped: usize,
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

#[test]
fn json_schema_test_suite() {
    let verbose = std::env::var_os("SUITE_VERBOSE").is_some();
    let mut skipped = String::from(
        "# Groups of the JSON Schema Test Suite that are not run (see README.md).\n\
         # <file> #<group>: <path not run>: <reason> (<group description>)\n",
    );
    let mut failures = String::from(
        "# Cases of the JSON Schema Test Suite that give a wrong verdict today (see README.md).\n\
         # <file> #<group>/<case>: <path>: <what> (<group description> / <case description>)\n",
    );
    let (mut fast, mut slow, mut agree) = (Tally::default(), Tally::default(), Tally::default());
    let fail = |failures: &mut String, g: &Group, i: usize, path: &str, what: String| {
        let case = &g.cases[i];
        failures.push_str(&format!(
            "{} #{}/{i}: {path}: {what} ({} / {})\n",
            g.file, g.index, g.description, case.description
        ));
    };
    for g in generated::GROUPS {
        if let Some(reason) = g.skip {
            skipped.push_str(&format!(
                "{} #{}: both: {reason} ({})\n",
                g.file, g.index, g.description
            ));
            fast.skipped += g.cases.len();
            slow.skipped += g.cases.len();
            agree.skipped += g.cases.len();
            continue;
        }
        if let Fast::Refused(diagnostic) = g.fast {
            skipped.push_str(&format!(
                "{} #{}: decode: the generator refuses it: {diagnostic} ({})\n",
                g.file, g.index, g.description
            ));
        }
        let validator = Validator::from_json(g.document);
        if let Err(e) = &validator {
            skipped.push_str(&format!(
                "{} #{}: validator: does not compile: {e} ({})\n",
                g.file, g.index, g.description
            ));
        }
        for (i, case) in g.cases.iter().enumerate() {
            let data: serde_json::Value = serde_json::from_str(case.data).expect("suite data");
            let slow_verdict = match &validator {
                Ok(v) => {
                    let violations = v.validate(&data, "");
                    let valid = violations.is_empty();
                    if valid != v.is_valid(&data) {
                        fail(
                            &mut failures,
                            g,
                            i,
                            "validator",
                            "validate() and is_valid() disagree".into(),
                        );
                    }
                    if valid == case.valid {
                        slow.pass += 1;
                    } else {
                        slow.fail += 1;
                        let what = format!("says {} ({violations:?})", verdict(valid));
                        fail(
                            &mut failures,
                            g,
                            i,
                            "validator",
                            format!("says {}", verdict(valid)),
                        );
                        if verbose {
                            eprintln!("{} #{}/{i} validator: {what}", g.file, g.index);
                        }
                    }
                    Some(valid)
                }
                Err(_) => {
                    slow.skipped += 1;
                    None
                }
            };
            let fast_verdict = match g.fast {
                Fast::Run(decode) => {
                    let result = decode(case.frame);
                    let valid = result.is_ok();
                    if valid == case.valid {
                        fast.pass += 1;
                    } else {
                        fast.fail += 1;
                        fail(
                            &mut failures,
                            g,
                            i,
                            "decode",
                            format!("says {}", verdict(valid)),
                        );
                        if verbose {
                            eprintln!(
                                "{} #{}/{i} decode: {} {result:?}",
                                g.file, g.index, case.frame
                            );
                        }
                    }
                    Some(valid)
                }
                _ => {
                    fast.skipped += 1;
                    None
                }
            };
            match (fast_verdict, slow_verdict) {
                (Some(a), Some(b)) if a == b => agree.pass += 1,
                (Some(a), Some(_)) => {
                    agree.fail += 1;
                    fail(
                        &mut failures,
                        g,
                        i,
                        "both",
                        format!("decode says {}, the validator the opposite", verdict(a)),
                    );
                }
                _ => agree.skipped += 1,
            }
        }
    }
    println!(
        "JSON Schema Test Suite (draft-07), {} groups:",
        generated::GROUPS.len()
    );
    for (name, t) in [
        ("decode (generated fast path)", &fast),
        ("validator", &slow),
        ("paths agree", &agree),
    ] {
        println!(
            "  {name}: {} passed, {} failed, {} skipped",
            t.pass, t.fail, t.skipped
        );
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/jsonschema-suite");
    expectorate::assert_contents(format!("{dir}/skipped.txt"), &skipped);
    expectorate::assert_contents(format!("{dir}/known-failures.txt"), &failures);
}

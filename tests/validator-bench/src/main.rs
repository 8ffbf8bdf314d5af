//! socketsundso's validator and the `jsonschema` crate on the JSON Schema Test Suite (draft-07,
//! without remote references, checked formats): verdicts, time to list every error of the invalid
//! cases (paths and messages as strings, as the error object needs them), time of `is_valid`, and
//! the errors each gives for a tagged union.
use serde_json::{Value, json};
use std::time::Instant;

fn visit_refs(s: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    let Value::Object(o) = s else { return };
    for (k, v) in o.iter_mut() {
        match k.as_str() {
            "$ref" => f(v),
            "properties" | "patternProperties" | "definitions" | "dependencies" => {
                if let Value::Object(c) = v {
                    for c in c.values_mut() {
                        visit_refs(c, f)
                    }
                }
            }
            "items" | "allOf" | "anyOf" | "oneOf" => match v {
                Value::Array(c) => {
                    for c in c {
                        visit_refs(c, f)
                    }
                }
                o => visit_refs(o, f),
            },
            "additionalItems"
            | "additionalProperties"
            | "contains"
            | "propertyNames"
            | "not"
            | "if"
            | "then"
            | "else" => visit_refs(v, f),
            _ => {}
        }
    }
}

fn main() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../jsonschema-suite/tests/draft7"
    );
    let checked = ["date-time", "date", "email", "uri", "ipv4", "ipv6"];
    let mut files: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    for f in checked {
        files.push(format!("{root}/optional/format/{f}.json"));
    }
    files.sort();
    // (ours, theirs, data, valid)
    let mut groups = vec![];
    for file in &files {
        let suite: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for g in suite {
            let mut schema = g["schema"].clone();
            let mut remote = false;
            visit_refs(&mut schema.clone(), &mut |r| {
                if let Some(r) = r.as_str() {
                    if r != "#" && !r.starts_with("#/") {
                        remote = true
                    }
                }
            });
            if remote {
                continue;
            }
            let theirs = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap();
            visit_refs(&mut schema, &mut |r| {
                if let Some(rest) = r.as_str().and_then(|r| r.strip_prefix('#')) {
                    *r = Value::from(format!("#/schema{rest}"))
                }
            });
            let ours =
                socketsundso::validate::Validator::compile(&json!({"schema": schema})).unwrap();
            let cases: Vec<(Value, bool)> = g["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t["data"].clone(), t["valid"].as_bool().unwrap()))
                .collect();
            groups.push((
                ours,
                theirs,
                cases,
                g["description"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let (mut ok_ours, mut ok_theirs, mut total) = (0, 0, 0);
    for (ours, theirs, cases, _) in &groups {
        for (data, valid) in cases {
            total += 1;
            if ours.validate(data, "").is_empty() == *valid {
                ok_ours += 1
            }
            if theirs.is_valid(data) == *valid {
                ok_theirs += 1
            }
        }
    }
    println!(
        "{} groups, {total} cases: ours {ok_ours} right, jsonschema {ok_theirs} right",
        groups.len()
    );
    let rounds = 300;
    let mut n_invalid = 0;
    let t = Instant::now();
    let mut sink = 0usize;
    for _ in 0..rounds {
        for (ours, _, cases, _) in &groups {
            for (d, v) in cases {
                if !v {
                    sink += ours.validate(d, "").len();
                }
            }
        }
    }
    let ours_err = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        for (_, theirs, cases, _) in &groups {
            for (d, v) in cases {
                if !v {
                    // the same work as ours: every error with its JSON Pointer and message as strings
                    for e in theirs.iter_errors(d) {
                        sink += e.instance_path().to_string().len() + e.to_string().len();
                    }
                }
            }
        }
    }
    let theirs_err = t.elapsed();
    for (_, _, cases, _) in &groups {
        n_invalid += cases.iter().filter(|c| !c.1).count();
    }
    let t = Instant::now();
    for _ in 0..rounds {
        for (ours, _, cases, _) in &groups {
            for (d, _) in cases {
                sink += ours.is_valid(d) as usize;
            }
        }
    }
    let ours_ok = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        for (_, theirs, cases, _) in &groups {
            for (d, _) in cases {
                sink += theirs.is_valid(d) as usize;
            }
        }
    }
    let theirs_ok = t.elapsed();
    let per = |d: std::time::Duration, n: usize| d.as_nanos() as f64 / (rounds * n) as f64;
    println!(
        "every error of an invalid case ({n_invalid} cases): ours {:.0} ns, jsonschema {:.0} ns",
        per(ours_err, n_invalid),
        per(theirs_err, n_invalid)
    );
    println!(
        "is_valid over all cases ({total}): ours {:.0} ns, jsonschema {:.0} ns",
        per(ours_ok, total),
        per(theirs_ok, total)
    );
    // error quality on composition: oneOf/anyOf cases
    let mut shown = 0;
    for (ours, theirs, cases, desc) in &groups {
        for (d, v) in cases {
            if *v || shown >= 6 {
                continue;
            }
            let o = ours.validate(d, "");
            if !o
                .iter()
                .any(|x| &*x.kind == "required" || &*x.kind == "type")
            {
                continue;
            }
            let th: Vec<String> = theirs
                .iter_errors(d)
                .map(|e| format!("{}: {}", e.instance_path(), e))
                .collect();
            if th.iter().all(|t| {
                !t.contains("any of") && !t.contains("oneOf") && !t.contains("not valid under")
            }) {
                continue;
            }
            println!(
                "-- {desc}: {d}\n   ours: {:?}\n   jsonschema: {th:?}",
                o.iter()
                    .map(|x| format!("{} {} {}", x.path, x.kind, x.message))
                    .collect::<Vec<_>>()
            );
            shown += 1;
        }
    }
    // A tagged union, as AsyncAPI documents have them: which errors does a client get?
    let schema = json!({"oneOf": [
        {"type": "object", "required": ["kind", "r"], "additionalProperties": false,
         "properties": {"kind": {"const": "circle"}, "r": {"type": "number", "exclusiveMinimum": 0}}},
        {"type": "object", "required": ["kind", "side"], "additionalProperties": false,
         "properties": {"kind": {"const": "square"}, "side": {"type": "integer", "minimum": 1}}}
    ]});
    let theirs = jsonschema::draft7::new(&schema).unwrap();
    let ours = socketsundso::validate::Validator::compile(&json!({"schema": schema})).unwrap();
    for d in [
        json!({"kind": "circle", "r": -1, "extra": 1}),
        json!({"kind": "square"}),
    ] {
        println!(
            "-- tagged union: {d}\n   ours: {:?}\n   jsonschema: {:?}",
            ours.validate(&d, "")
                .iter()
                .map(|x| format!("{} {} {}", x.path, x.kind, x.message))
                .collect::<Vec<_>>(),
            theirs
                .iter_errors(&d)
                .map(|e| format!("{}: {}", e.instance_path(), e))
                .collect::<Vec<_>>()
        );
    }
    eprintln!("{sink}");
}

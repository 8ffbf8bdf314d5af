use serde_json::{Value, json};

use super::*;

/// A validator for `schema` with no definitions.
fn compile(schema: Value) -> Validator {
    Validator::compile(&json!({ "schema": schema })).expect("schema compiles")
}

fn compile_with(schema: Value, definitions: Value) -> Validator {
    Validator::compile(&json!({ "schema": schema, "definitions": definitions }))
        .expect("schema compiles")
}

fn pairs(violations: &[Violation]) -> Vec<(&str, &str)> {
    violations
        .iter()
        .map(|v| (v.path.as_str(), &*v.kind))
        .collect()
}

#[track_caller]
fn assert_valid(v: &Validator, value: Value) {
    let errors = v.validate(&value, "");
    assert!(errors.is_empty(), "{value}: {errors:?}");
    assert!(v.is_valid(&value), "{value}");
}

/// Exactly one violation, at `path` of `kind`; returns its message.
#[track_caller]
fn assert_one(v: &Validator, value: Value, path: &str, kind: &str) -> String {
    let errors = v.validate(&value, "");
    assert_eq!(pairs(&errors), [(path, kind)], "{value}: {errors:?}");
    assert!(!v.is_valid(&value), "{value}");
    errors.into_iter().next().unwrap().message
}

// ---------------------------------------------------------------------------------------------
// type, nullable, enum, const

#[test]
fn type_single() {
    let v = compile(json!({"type": "string"}));
    assert_valid(&v, json!("x"));
    let m = assert_one(&v, json!(5), "", "type");
    assert_eq!(m, "expected a string, got a number");
    assert_eq!(
        assert_one(&v, json!({}), "", "type"),
        "expected a string, got an object"
    );
}

#[test]
fn type_integer_accepts_integral_floats() {
    let v = compile(json!({"type": "integer"}));
    assert_valid(&v, json!(1));
    assert_valid(&v, json!(-7));
    assert_valid(&v, json!(1.0));
    assert_valid(&v, json!(u64::MAX));
    let m = assert_one(&v, json!(1.5), "", "type");
    assert_eq!(
        m,
        "expected an integer, got a number with a fractional part"
    );
    assert_one(&v, json!("1"), "", "type");
}

#[test]
fn type_number_accepts_integers() {
    let v = compile(json!({"type": "number"}));
    assert_valid(&v, json!(1));
    assert_valid(&v, json!(1.5));
    assert_one(&v, json!(true), "", "type");
}

#[test]
fn type_array_and_null() {
    let v = compile(json!({"type": ["string", "null"]}));
    assert_valid(&v, json!("x"));
    assert_valid(&v, Value::Null);
    let m = assert_one(&v, json!(3), "", "type");
    assert_eq!(m, "expected a string or null, got a number");
    let v = compile(json!({"type": ["string", "integer", "boolean"]}));
    let m = assert_one(&v, json!([]), "", "type");
    assert_eq!(
        m,
        "expected a string, an integer or a boolean, got an array"
    );
    let v = compile(json!({"type": "null"}));
    assert_valid(&v, Value::Null);
    assert_eq!(
        assert_one(&v, json!(0), "", "type"),
        "expected null, got a number"
    );
    for (name, ok, bad) in [
        ("boolean", json!(false), json!(0)),
        ("object", json!({}), json!([])),
        ("array", json!([]), json!({})),
    ] {
        let v = compile(json!({ "type": name }));
        assert_valid(&v, ok);
        assert_one(&v, bad, "", "type");
    }
}

#[test]
fn type_failure_skips_the_schemas_other_keywords() {
    let v = compile(json!({"type": "string", "enum": ["a"], "minLength": 3}));
    assert_one(&v, json!(5), "", "type");
}

#[test]
fn nullable() {
    let v = compile(json!({"type": "string", "nullable": true, "enum": ["a"]}));
    assert_valid(&v, Value::Null);
    assert_valid(&v, json!("a"));
    assert_one(&v, json!(1), "", "type");
    let v = compile(json!({"type": "string", "nullable": false}));
    assert_one(&v, Value::Null, "", "type");
}

#[test]
fn enum_keyword() {
    let v = compile(json!({"enum": ["red", "green", 1, {"a": [1, 2]}]}));
    assert_valid(&v, json!("red"));
    assert_valid(&v, json!(1.0));
    assert_valid(&v, json!({"a": [1.0, 2]}));
    let m = assert_one(&v, json!("blue"), "", "enum");
    assert_eq!(m, r#"must be one of "red", "green", 1, {"a":[1,2]}"#);
    let v = compile(json!({"enum": [1, 2, 3, 4, 5, 6, 7]}));
    let m = assert_one(&v, json!(0), "", "enum");
    assert_eq!(m, "must be one of 1, 2, 3, 4, 5, … (2 more)");
    let v = compile(json!({"enum": ["only"]}));
    assert_eq!(assert_one(&v, json!("x"), "", "enum"), r#"must be "only""#);
}

#[test]
fn const_keyword() {
    let v = compile(json!({"const": {"x": 1, "y": [true]}}));
    assert_valid(&v, json!({"y": [true], "x": 1.0}));
    let m = assert_one(&v, json!({"x": 1}), "", "const");
    assert_eq!(m, r#"must be equal to {"x":1,"y":[true]}"#);
    let v = compile(json!({"const": "x".repeat(100)}));
    let m = assert_one(&v, json!("y"), "", "const");
    assert!(m.ends_with('…') && m.chars().count() < 70, "{m}");
}

// ---------------------------------------------------------------------------------------------
// strings

#[test]
fn min_and_max_length_count_code_points() {
    let v = compile(json!({"minLength": 3, "maxLength": 4}));
    assert_valid(&v, json!("abc"));
    assert_valid(&v, json!("ééé"));
    assert_valid(&v, json!("😀😀😀😀"));
    assert_valid(&v, json!(12)); // not a string: not checked
    assert_eq!(
        assert_one(&v, json!("ab"), "", "min_length"),
        "must be at least 3 characters"
    );
    assert_eq!(
        assert_one(&v, json!("ééééé"), "", "max_length"),
        "must be at most 4 characters"
    );
    let v = compile(json!({"minLength": 1, "maxLength": 1}));
    assert_eq!(
        assert_one(&v, json!(""), "", "min_length"),
        "must be at least 1 character"
    );
    assert_eq!(
        assert_one(&v, json!("ab"), "", "max_length"),
        "must be at most 1 character"
    );
}

#[test]
fn pattern_is_an_unanchored_ecma_search() {
    let v = compile(json!({"pattern": "b+"}));
    assert_valid(&v, json!("abbc"));
    assert_eq!(
        assert_one(&v, json!("ac"), "", "pattern"),
        "must match pattern b+"
    );
    let v = compile(json!({"pattern": "^a+$"}));
    assert_valid(&v, json!("aaa"));
    assert_eq!(
        assert_one(&v, json!("aab"), "", "pattern"),
        "must match pattern ^a+$"
    );
    // ECMA-262 syntax: \d, lookahead, \u escapes.
    let v = compile(json!({"pattern": "^(?=.*\\d)\\u0041\\w+$"}));
    assert_valid(&v, json!("Ab1"));
    assert_one(&v, json!("Abc"), "", "pattern");
    assert_valid(&v, json!(5));
}

#[test]
fn formats() {
    let cases = [
        ("date-time", "2024-05-01T12:30:00Z", "2024-05-01 noon"),
        ("date", "2024-02-29", "2023-02-29"),
        ("email", "ann@example.com", "ann.example.com"),
        (
            "uuid",
            "67e55044-10b1-426f-9247-bb680e5fe0c8",
            "67e55044-10b1",
        ),
        ("uri", "https://example.com/a?b=c#d", "example.com/a"),
        ("ipv4", "192.168.0.1", "192.168.0.256"),
        ("ipv6", "::1", "12345::"),
    ];
    for (format, good, bad) in cases {
        let v = compile(json!({ "format": format }));
        assert_valid(&v, json!(good));
        assert_valid(&v, json!(1));
        let m = assert_one(&v, json!(bad), "", "format");
        assert!(m.starts_with("must be a valid "), "{m}");
    }
    let v = compile(json!({"format": "email"}));
    assert_eq!(
        assert_one(&v, json!("x"), "", "format"),
        "must be a valid email address"
    );
    // Unchecked formats are annotations.
    let v = compile(json!({"format": "hostname"}));
    assert_valid(&v, json!("not a host name!"));
}

// ---------------------------------------------------------------------------------------------
// numbers

#[test]
fn minimum_and_maximum() {
    let v = compile(json!({"minimum": 1, "maximum": 10}));
    assert_valid(&v, json!(1));
    assert_valid(&v, json!(10));
    assert_valid(&v, json!(5.5));
    assert_valid(&v, json!("x"));
    assert_eq!(assert_one(&v, json!(0), "", "minimum"), "must be ≥ 1");
    assert_eq!(assert_one(&v, json!(0.999), "", "minimum"), "must be ≥ 1");
    assert_eq!(assert_one(&v, json!(11), "", "maximum"), "must be ≤ 10");
    assert_eq!(assert_one(&v, json!(-3), "", "minimum"), "must be ≥ 1");
}

#[test]
fn exclusive_bounds_draft_06_numbers() {
    let v = compile(json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1.5}));
    assert_valid(&v, json!(0.1));
    assert_valid(&v, json!(1));
    assert_eq!(
        assert_one(&v, json!(0), "", "exclusive_minimum"),
        "must be > 0"
    );
    assert_eq!(
        assert_one(&v, json!(1.5), "", "exclusive_maximum"),
        "must be < 1.5"
    );
}

#[test]
fn exclusive_bounds_draft_04_booleans() {
    let v = compile(json!({
        "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true
    }));
    assert_valid(&v, json!(5));
    assert_one(&v, json!(0), "", "exclusive_minimum");
    assert_one(&v, json!(10), "", "exclusive_maximum");
    let v = compile(json!({"minimum": 0, "exclusiveMinimum": false}));
    assert_valid(&v, json!(0));
}

#[test]
fn integer_bounds_compare_exactly() {
    // 2^53 + 1 and 2^53 + 2 are the same f64.
    let v = compile(json!({"maximum": 9_007_199_254_740_993_u64}));
    assert_valid(&v, json!(9_007_199_254_740_993_u64));
    assert_one(&v, json!(9_007_199_254_740_994_u64), "", "maximum");
    let v = compile(json!({"minimum": -9_007_199_254_740_993_i64}));
    assert_one(&v, json!(-9_007_199_254_740_994_i64), "", "minimum");
    let v = compile(json!({"maximum": u64::MAX}));
    assert_valid(&v, json!(u64::MAX));
    assert_valid(&v, json!(i64::MIN));
}

#[test]
fn multiple_of_keyword() {
    let v = compile(json!({"multipleOf": 0.5}));
    assert_valid(&v, json!(2));
    assert_valid(&v, json!(2.5));
    assert_eq!(
        assert_one(&v, json!(2.2), "", "multiple_of"),
        "must be a multiple of 0.5"
    );
    let v = compile(json!({"multipleOf": 0.01}));
    assert_valid(&v, json!(19.99));
    assert_valid(&v, json!(4.35));
    assert_one(&v, json!(4.355), "", "multiple_of");
    let v = compile(json!({"multipleOf": 3}));
    // 2^53 + 1 is a multiple of 3, 2^53 + 2 is not; as f64 both are 2^53, which is not.
    assert_valid(&v, json!(9_007_199_254_740_993_u64));
    assert_one(&v, json!(9_007_199_254_740_994_u64), "", "multiple_of");
    assert_valid(&v, json!(-9));
    assert_valid(&v, json!(9.0));
}

// ---------------------------------------------------------------------------------------------
// objects

#[test]
fn required_points_at_the_missing_field() {
    let v = compile(json!({"type": "object", "required": ["a", "b/c"]}));
    assert_valid(&v, json!({"a": 1, "b/c": 2}));
    assert_eq!(
        assert_one(&v, json!({"a": 1}), "/b~1c", "required"),
        "field required"
    );
    let errors = v.validate(&json!({}), "");
    assert_eq!(pairs(&errors), [("/a", "required"), ("/b~1c", "required")]);
}

#[test]
fn properties_apply_to_present_members() {
    let v = compile(json!({"properties": {"a": {"type": "string"}, "n~m": {"type": "integer"}}}));
    assert_valid(&v, json!({}));
    assert_valid(&v, json!({"a": "x", "other": 1}));
    assert_one(&v, json!({"a": 1}), "/a", "type");
    assert_one(&v, json!({"n~m": "x"}), "/n~0m", "type");
}

#[test]
fn additional_properties_false() {
    let v = compile(json!({"properties": {"a": {}}, "additionalProperties": false}));
    assert_valid(&v, json!({"a": 1}));
    assert_eq!(
        assert_one(&v, json!({"a": 1, "b": 2}), "/b", "unknown_field"),
        "unknown field"
    );
    let errors = v.validate(&json!({"x": 1, "y": 2}), "");
    assert_eq!(
        pairs(&errors),
        [("/x", "unknown_field"), ("/y", "unknown_field")]
    );
}

#[test]
fn additional_properties_schema() {
    let v = compile(json!({"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}));
    assert_valid(&v, json!({"a": "s", "b": 2}));
    assert_one(&v, json!({"a": "s", "b": "2"}), "/b", "type");
}

#[test]
fn pattern_properties() {
    let v = compile(json!({
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": false
    }));
    assert_valid(&v, json!({"x-a": "1"}));
    assert_one(&v, json!({"x-a": 1}), "/x-a", "type");
    assert_one(&v, json!({"y": "1"}), "/y", "unknown_field");
}

#[test]
fn min_and_max_properties() {
    let v = compile(json!({"minProperties": 1, "maxProperties": 2}));
    assert_valid(&v, json!({"a": 1}));
    assert_eq!(
        assert_one(&v, json!({}), "", "min_properties"),
        "must have at least 1 property"
    );
    assert_eq!(
        assert_one(&v, json!({"a": 1, "b": 2, "c": 3}), "", "max_properties"),
        "must have at most 2 properties"
    );
}

#[test]
fn property_names() {
    let v = compile(json!({"propertyNames": {"pattern": "^[a-z]+$", "maxLength": 3}}));
    assert_valid(&v, json!({"abc": 1}));
    let m = assert_one(&v, json!({"abc": 1, "aBc": 2}), "/aBc", "pattern");
    assert_eq!(m, "invalid name: must match pattern ^[a-z]+$");
    assert_one(&v, json!({"abcd": 1}), "/abcd", "max_length");
}

// ---------------------------------------------------------------------------------------------
// arrays

#[test]
fn items_schema() {
    let v = compile(json!({"items": {"type": "integer"}}));
    assert_valid(&v, json!([1, 2, 3]));
    assert_valid(&v, json!([]));
    assert_one(&v, json!([1, "2", 3]), "/1", "type");
}

#[test]
fn tuple_items_and_additional_items() {
    let v = compile(json!({
        "items": [{"type": "string"}, {"type": "integer"}],
        "additionalItems": false
    }));
    assert_valid(&v, json!(["a", 1]));
    assert_valid(&v, json!(["a"]));
    assert_one(&v, json!([1, 1]), "/0", "type");
    let m = assert_one(&v, json!(["a", 1, true]), "/2", "additional_items");
    assert_eq!(m, "unexpected item: at most 2 items allowed");
    let v = compile(json!({"items": [{"type": "string"}], "additionalItems": {"type": "boolean"}}));
    assert_valid(&v, json!(["a", true, false]));
    assert_one(&v, json!(["a", true, 0]), "/2", "type");
    let v = compile(json!({"items": [{"type": "string"}]}));
    assert_valid(&v, json!(["a", 1, {}]));
}

#[test]
fn min_and_max_items() {
    let v = compile(json!({"minItems": 1, "maxItems": 2}));
    assert_valid(&v, json!([1]));
    assert_eq!(
        assert_one(&v, json!([]), "", "min_items"),
        "must have at least 1 item"
    );
    assert_eq!(
        assert_one(&v, json!([1, 2, 3]), "", "max_items"),
        "must have at most 2 items"
    );
}

#[test]
fn unique_items_points_at_the_duplicate() {
    let v = compile(json!({"uniqueItems": true}));
    assert_valid(&v, json!([1, 2, "1", {"a": 1}, {"a": 2}]));
    let m = assert_one(&v, json!([1, 2, 1.0]), "/2", "unique_items");
    assert_eq!(m, "items 0 and 2 are equal");
    assert_one(
        &v,
        json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}]),
        "/1",
        "unique_items",
    );
    let errors = v.validate(&json!([5, 5, 5]), "");
    assert_eq!(
        pairs(&errors),
        [("/1", "unique_items"), ("/2", "unique_items")]
    );
    // The hashed path for long arrays.
    let mut long: Vec<Value> = (0..200).map(|i| json!(i)).collect();
    assert_valid(&v, Value::Array(long.clone()));
    long.push(json!(150.0));
    let m = assert_one(&v, Value::Array(long), "/200", "unique_items");
    assert_eq!(m, "items 150 and 200 are equal");
    let v = compile(json!({"uniqueItems": false}));
    assert_valid(&v, json!([1, 1]));
}

#[test]
fn contains_keyword() {
    let v = compile(json!({"contains": {"type": "string"}}));
    assert_valid(&v, json!([1, "a"]));
    let m = assert_one(&v, json!([1, 2]), "", "contains");
    assert_eq!(m, "must contain at least one matching item");
    assert_one(&v, json!([]), "", "contains");
}

// ---------------------------------------------------------------------------------------------
// composition

#[test]
fn all_of_reports_every_branch() {
    let v =
        compile(json!({"allOf": [{"required": ["a"]}, {"required": ["b"]}, {"minProperties": 1}]}));
    assert_valid(&v, json!({"a": 1, "b": 2}));
    assert_one(&v, json!({"a": 1}), "/b", "required");
    let errors = v.validate(&json!({}), "");
    assert_eq!(
        pairs(&errors),
        [
            ("/a", "required"),
            ("/b", "required"),
            ("", "min_properties")
        ]
    );
}

#[test]
fn any_of_without_a_candidate() {
    let v = compile(json!({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}));
    assert_valid(&v, json!("x"));
    assert_valid(&v, json!(7));
    let m = assert_one(&v, json!(true), "", "any_of");
    assert_eq!(m, "matches none of the 2 allowed shapes");
}

#[test]
fn any_of_with_one_candidate_reports_its_violations() {
    let v = compile(json!({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}));
    assert_one(&v, json!(3), "", "minimum");
    let v = compile_with(
        json!({"anyOf": [{"$ref": "#/definitions/Cat"}, {"$ref": "#/definitions/Dog"}]}),
        json!({
            "Cat": {"type": "object", "required": ["kind"],
                    "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}}},
            "Dog": {"type": "object", "required": ["kind"],
                    "properties": {"kind": {"enum": ["dog"]}, "bark": {"type": "string"}}}
        }),
    );
    assert_valid(&v, json!({"kind": "dog", "bark": "woof"}));
    assert_one(&v, json!({"kind": "dog", "bark": 1}), "/bark", "type");
    assert_one(&v, json!({"kind": "cat", "lives": "9"}), "/lives", "type");
    // No discriminator: both branches are candidates.
    assert_one(&v, json!({"lives": "9"}), "", "any_of");
}

#[test]
fn one_of() {
    let v = compile(json!({"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 2}]}));
    assert_valid(&v, json!(5));
    assert_valid(&v, json!(1.5));
    let m = assert_one(&v, json!(1), "", "one_of");
    assert_eq!(m, "matches more than one of the 2 allowed shapes (0 and 1)");
    let m = assert_one(&v, json!("x"), "", "one_of");
    assert_eq!(m, "matches none of the 2 allowed shapes");
    // One candidate: its violations.
    assert_one(&v, json!(2.5), "", "maximum");
}

#[test]
fn not_keyword() {
    let v = compile(json!({"not": {"type": "string"}}));
    assert_valid(&v, json!(1));
    assert_eq!(
        assert_one(&v, json!("x"), "", "not"),
        "must not match the excluded shape"
    );
}

#[test]
fn if_then_else() {
    let v = compile(json!({
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["a"]},
        "else": {"required": ["b"]}
    }));
    assert_valid(&v, json!({"kind": "a", "a": 1}));
    assert_valid(&v, json!({"kind": "z", "b": 1}));
    assert_one(&v, json!({"kind": "a"}), "/a", "required");
    assert_one(&v, json!({"kind": "z"}), "/b", "required");
    let v = compile(json!({"if": {"type": "string"}, "then": {"minLength": 2}}));
    assert_valid(&v, json!(1));
    assert_one(&v, json!("a"), "", "min_length");
}

// ---------------------------------------------------------------------------------------------
// $ref, boolean schemas, recursion

#[test]
fn refs_and_siblings() {
    // Draft-07: a `$ref` is its target alone; `maxLength` beside it is ignored.
    let v = compile_with(
        json!({"$ref": "#/definitions/Name", "maxLength": 3}),
        json!({"Name": {"type": "string", "minLength": 2}}),
    );
    assert_valid(&v, json!("abc"));
    assert_one(&v, json!("a"), "", "min_length");
    assert_valid(&v, json!("abcd"));
    assert_one(&v, json!(1), "", "type");
    // OpenAPI's `nullable` beside it still applies.
    let v = compile_with(
        json!({"$ref": "#/definitions/Name", "nullable": true}),
        json!({"Name": {"type": "string"}}),
    );
    assert_valid(&v, json!(null));
}

#[test]
fn dependencies_keyword() {
    let v = compile(json!({
        "dependencies": {
            "card": ["billing", "name"],
            "tax": {"required": ["country"], "properties": {"country": {"type": "string"}}}
        }
    }));
    assert_valid(&v, json!({"billing": 1}));
    assert_valid(&v, json!({"card": 1, "billing": 2, "name": 3}));
    let errors = v.validate(&json!({"card": 1}), "");
    let found: Vec<(&str, &str, &str)> = errors
        .iter()
        .map(|e| (e.path.as_str(), &*e.kind, e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "/billing",
                "required",
                "field required when `card` is present"
            ),
            ("/name", "required", "field required when `card` is present"),
        ]
    );
    assert_one(&v, json!({"tax": 1}), "/country", "required");
    assert_one(&v, json!({"tax": 1, "country": 2}), "/country", "type");
    assert_valid(&v, json!([1]));
}

#[test]
fn patterns_use_unicode_mode() {
    let v = compile(json!({"pattern": "^\\p{Letter}+$"}));
    assert_valid(&v, json!("héllo"));
    assert_one(&v, json!("p{Letter}"), "", "pattern");
    // Not valid in Unicode mode (an identity escape): compiled without it.
    let v = compile(json!({"pattern": "^a\\_b$"}));
    assert_valid(&v, json!("a_b"));
    // One code point beyond U+FFFF is one character.
    let v = compile(json!({"pattern": "^.$"}));
    assert_valid(&v, json!("\u{1F600}"));
}

#[test]
fn refs_with_escapes_and_root() {
    let v = compile_with(
        json!({"properties": {"a": {"$ref": "#/definitions/A~1B%20C"}, "self": {"$ref": "#"}}}),
        json!({"A/B C": {"type": "integer"}}),
    );
    assert_valid(&v, json!({"a": 1, "self": {"self": {"a": 2}}}));
    assert_one(
        &v,
        json!({"self": {"self": {"a": "x"}}}),
        "/self/self/a",
        "type",
    );
}

#[test]
fn boolean_schemas() {
    let v = compile(json!(true));
    assert_valid(&v, json!({"anything": [1, null]}));
    let v = compile(json!(false));
    assert_eq!(
        assert_one(&v, json!(1), "", "not_allowed"),
        "not allowed here"
    );
    let v = compile(json!({"properties": {"gone": false, "any": true}}));
    assert_valid(&v, json!({"any": 1}));
    assert_one(&v, json!({"gone": 1}), "/gone", "not_allowed");
}

fn tree() -> Validator {
    compile_with(
        json!({"$ref": "#/definitions/Node"}),
        json!({"Node": {
            "type": "object",
            "required": ["value"],
            "additionalProperties": false,
            "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}
            }
        }}),
    )
}

#[test]
fn recursive_schema() {
    let v = tree();
    assert_valid(
        &v,
        json!({"value": 1, "children": [{"value": 2}, {"value": 3, "children": [{"value": 4}]}]}),
    );
    let errors = v.validate(
        &json!({"value": 1, "children": [{"value": 2}, {"value": 3, "children": [{"value": "4"}, {}]}]}),
        "",
    );
    assert_eq!(
        pairs(&errors),
        [
            ("/children/1/children/0/value", "type"),
            ("/children/1/children/1/value", "required")
        ]
    );
}

/// `{"value": 0, "children": [{"value": 1, "children": [...]}]}`, `levels` objects deep, the
/// innermost with `leaf`.
fn deep_tree(levels: usize, leaf: Value) -> Value {
    let mut node = json!({ "value": leaf });
    for _ in 1..levels {
        node = json!({"value": 0, "children": [node]});
    }
    node
}

#[test]
fn deep_values() {
    let v = tree();
    // 64 objects are 127 levels of nesting (each object's children sit in an array).
    assert_valid(&v, deep_tree(64, json!(1)));
    let errors = v.validate(&deep_tree(64, json!("x")), "");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].path,
        format!("{}/value", "/children/0".repeat(63))
    );
    // Deeper than MAX_DEPTH: too_deep where the limit is crossed, no stack overflow. The 65th
    // object is at depth 128; its members are one level too deep.
    let value = deep_tree(200, json!(1));
    let errors = v.validate(&value, "");
    let mut paths: Vec<(&str, &str)> = pairs(&errors);
    paths.sort();
    let at = "/children/0".repeat(64);
    assert_eq!(
        paths,
        [
            (format!("{at}/children").as_str(), "too_deep"),
            (format!("{at}/value").as_str(), "too_deep")
        ]
    );
    assert_eq!(
        errors[0].message,
        format!("nested too deeply (more than {MAX_DEPTH} levels)")
    );
    assert!(!v.is_valid(&value));
}

// ---------------------------------------------------------------------------------------------
// several violations, order, base, de-duplication

fn order_schema() -> Validator {
    compile_with(
        json!({
            "type": "object",
            "required": ["id", "lines"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "integer"},
                "lines": {"type": "array", "items": {"$ref": "#/definitions/Line"}}
            }
        }),
        json!({"Line": {
            "type": "object",
            "required": ["sku"],
            "properties": {"note": {"type": "string", "maxLength": 5}, "sku": {"type": "string"}}
        }}),
    )
}

#[test]
fn three_violations_in_different_places() {
    let v = order_schema();
    let value = json!({
        "extra": true,
        "lines": [{"sku": "a"}, {"note": "much too long", "sku": "b"}]
    });
    let errors = v.validate(&value, "");
    assert_eq!(
        pairs(&errors),
        [
            ("/id", "required"),
            ("/extra", "unknown_field"),
            ("/lines/1/note", "max_length"),
        ]
    );
    assert_eq!(errors[2].message, "must be at most 5 characters");
    assert!(!v.is_valid(&value));
}

#[test]
fn base_prefixes_every_path() {
    let v = order_schema();
    let errors = v.validate(&json!({"lines": [{}]}), "/payload");
    assert_eq!(
        pairs(&errors),
        [
            ("/payload/id", "required"),
            ("/payload/lines/0/sku", "required")
        ]
    );
}

#[test]
fn duplicates_are_dropped() {
    let v = compile(json!({"allOf": [{"required": ["a"]}, {"required": ["a"]}]}));
    assert_one(&v, json!({}), "/a", "required");
}

#[test]
fn composed_violations_come_in_document_order() {
    let v = compile(json!({"allOf": [
        {"properties": {"b": {"type": "string"}}},
        {"properties": {"a": {"type": "string"}}, "required": ["z"]}
    ]}));
    let errors = v.validate(&json!({"a": 1, "b": 2}), "");
    assert_eq!(
        pairs(&errors),
        [("/z", "required"), ("/a", "type"), ("/b", "type")]
    );
}

// ---------------------------------------------------------------------------------------------
// compiling

#[test]
fn from_json_text() {
    let v = Validator::from_json(r#"{"schema": {"type": "string"}}"#).unwrap();
    assert!(v.is_valid(&json!("x")));
    let e = Validator::from_json("{").unwrap_err();
    assert!(e.message.starts_with("not JSON"), "{e}");
}

#[test]
fn compile_errors() {
    let err = |doc: Value| Validator::compile(&doc).unwrap_err();
    let e = err(json!({"schema": {"$ref": "#/definitions/Missing"}}));
    assert_eq!(e.pointer, "/schema/$ref");
    assert!(e.message.contains("does not exist"), "{e}");
    let e = err(json!({"schema": {"properties": {"a": {"pattern": "(unclosed"}}}}));
    assert_eq!(e.pointer, "/schema/properties/a/pattern");
    let e = err(json!({"schema": {"type": "text"}}));
    assert_eq!(e.pointer, "/schema/type");
    let e = err(json!({"schema": {}, "definitions": {"A": {"minLength": -1}}}));
    assert_eq!(e.pointer, "/definitions/A/minLength");
    let e = err(json!({"schema": {"multipleOf": 0}}));
    assert_eq!(e.pointer, "/schema/multipleOf");
    let e = err(json!({"schema": {"$ref": "other.json#/x"}}));
    assert_eq!(e.pointer, "/schema/$ref");
    let e = err(json!({"schema": {"items": 5}}));
    assert_eq!(e.pointer, "/schema/items");
    let e = err(json!({"definitions": {}}));
    assert_eq!(e.pointer, "");
    let e = err(json!({"schema": {"$ref": "#"}}));
    assert!(e.message.contains("cycle"), "{e}");
    let e = err(json!({
        "schema": {"$ref": "#/definitions/A"},
        "definitions": {"A": {"anyOf": [{"$ref": "#/definitions/B"}]}, "B": {"allOf": [{"$ref": "#/definitions/A"}]}}
    }));
    assert!(e.message.contains("cycle"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("invalid schema at {}: {}", e.pointer, e.message)
    );
}

#[test]
fn unknown_keywords_are_ignored_and_listed() {
    let doc = json!({
        "schema": {
            "type": "object",
            "title": "T",
            "x-internal": true,
            "dependentRequired": {"a": ["b"]},
            "properties": {"a": {"maxLenght": 3, "format": "int32", "description": "d"}},
            "items": [{"unevaluatedItems": false}]
        },
        "definitions": {"D": {"allOf": [{"minContains": 1}]}}
    });
    let v = Validator::compile(&doc).unwrap();
    assert!(v.is_valid(&json!({"a": "long enough", "b": 1})));
    let mut found = unenforced_keywords(&doc);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "/definitions/D/allOf/0".to_string(),
                "minContains".to_string()
            ),
            ("/schema".into(), "dependentRequired".into()),
            ("/schema/items/0".into(), "unevaluatedItems".into()),
            ("/schema/properties/a".into(), "maxLenght".into()),
        ]
    );
    assert!(is_annotation_keyword("x-anything"));
    assert!(is_annotation_keyword("examples"));
    assert!(!is_annotation_keyword("dependentRequired"));
    for k in ENFORCED_KEYWORDS {
        assert!(!ANNOTATION_KEYWORDS.contains(k), "{k}");
    }
}

#[test]
fn validator_is_send_sync_debug() {
    fn assert_traits<T: Send + Sync + std::fmt::Debug + 'static>() {}
    assert_traits::<Validator>();
    assert_traits::<CompileError>();
    let _: &dyn std::error::Error = &CompileError::new("", "x");
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_email() {
    for ok in ["a@b.co", "first.last+tag@sub.example.org", "root@localhost"] {
        assert!(check::email(ok), "{ok}");
    }
    for bad in [
        "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b .co", "a@.co",
        "a@b.", "a@b..co", "a\n@b.co",
    ] {
        assert!(!check::email(bad), "{bad}");
    }
}

#[test]
fn check_uri() {
    for ok in [
        "https://example.com",
        "urn:isbn:0451450523",
        "mailto:a@b.co",
        "a+b-c.d:x",
        "http://h/p%20q?x=1#f",
        "x:",
        "http://[::1]:8080/p",
        "http://user:pw@host:80/p",
    ] {
        assert!(check::uri(ok), "{ok}");
    }
    for bad in [
        "",
        "example.com",
        "/relative",
        "1http://x",
        "ht tp://x",
        "http://a b",
        "http://x\n",
        "http://x/%zz",
        "http://x/%2",
        "http://x/<y>",
        ":nothing",
        "http://a\u{a0}b",
        // RFC 3986 is ASCII (an IRI is not a URI).
        "http://ü.example/",
        "http://host:port/",
        "http://[::1/",
        "http:/[::1]",
        "https://[@example.org/",
    ] {
        assert!(!check::uri(bad), "{bad}");
    }
}

#[test]
fn check_dates() {
    for ok in [
        "2024-05-01T12:30:00Z",
        "2024-05-01T12:30:00.123+02:00",
        "1999-12-31t23:59:60Z",
    ] {
        assert!(check::date_time(ok), "{ok}");
    }
    for bad in [
        "2024-05-01",
        "2024-05-01T12:30:00",
        "2024-13-01T00:00:00Z",
        "now",
    ] {
        assert!(!check::date_time(bad), "{bad}");
    }
    for ok in ["2024-02-29", "0001-01-01", "9999-12-31"] {
        assert!(check::date(ok), "{ok}");
    }
    for bad in [
        "2023-02-29",
        "2024-2-29",
        "2024-02-30",
        "2024-00-10",
        "20240229",
        "2024-02-29T",
        "２０２４-02-29",
        "+024-02-29",
    ] {
        assert!(!check::date(bad), "{bad}");
    }
}

#[test]
fn check_uuid() {
    assert!(check::uuid("67e55044-10b1-426f-9247-bb680e5fe0c8"));
    assert!(check::uuid("67E5504410B1426F9247BB680E5FE0C8"));
    assert!(!check::uuid("67e55044-10b1-426f-9247-bb680e5fe0c"));
    assert!(!check::uuid("not-a-uuid"));
}

#[test]
fn check_multiple_of() {
    assert!(check::multiple_of(0.3, 0.1));
    assert!(!check::multiple_of(0.35, 0.1));
    assert!(check::multiple_of(0.7, 0.1));
    assert!(check::multiple_of(1.1, 0.01));
    assert!(check::multiple_of(19.99, 0.01));
    assert!(check::multiple_of(4.35, 0.01));
    assert!(check::multiple_of(0.07, 0.01));
    assert!(!check::multiple_of(0.075, 0.01));
    assert!(check::multiple_of(-0.3, 0.1));
    assert!(check::multiple_of(0.0, 0.1));
    assert!(check::multiple_of(10.0, 2.5));
    assert!(!check::multiple_of(1e-18, 0.1));
    assert!(!check::multiple_of(1.0, 0.0));
    assert!(!check::multiple_of(f64::NAN, 1.0));
    assert!(!check::multiple_of(1.0, f64::INFINITY));
    assert!(!check::multiple_of(10_000_000_000.5, 1.0));
    // Beyond 2^53 every f64 is an integer.
    assert!(check::multiple_of(1e300, 0.1));
}

#[test]
fn check_unique() {
    assert!(check::unique::<i32>(&[]));
    assert!(check::unique(&[1, 2, 3]));
    assert!(!check::unique(&[1, 2, 1]));
    assert!(check::unique(&["a", "b"]));
    assert!(check::unique_values(&[json!(1), json!("1"), json!([1])]));
    assert!(!check::unique_values(&[json!(1), json!(1.0)]));
    assert!(!check::unique_values(&[
        json!({"a": 1, "b": [2]}),
        json!({"b": [2.0], "a": 1})
    ]));
    assert!(check::unique_values(&[
        json!({"a": 1}),
        json!({"a": 1, "b": 2})
    ]));
    assert!(check::unique_values(&[json!(0.0), json!(1)]));
    assert!(!check::unique_values(&[json!(0.0), json!(-0.0)]));
    let long: Vec<Value> = (0..1000).map(|i| json!({ "n": i })).collect();
    assert!(check::unique_values(&long));
    let mut dup = long.clone();
    dup.push(json!({"n": 999.0}));
    assert!(!check::unique_values(&dup));
}

#[test]
fn check_char_len() {
    assert_eq!(check::char_len(""), 0);
    assert_eq!(check::char_len("abc"), 3);
    assert_eq!(check::char_len("é😀"), 2);
}

#[test]
fn check_json_equal() {
    assert!(check::json_equal(&json!(1), &json!(1.0)));
    assert!(!check::json_equal(&json!(1), &json!("1")));
    assert!(!check::json_equal(&json!([1, 2]), &json!([2, 1])));
    assert!(!check::json_equal(&json!(u64::MAX), &json!(-1)));
    assert!(!check::json_equal(
        &json!(9_007_199_254_740_993_u64),
        &json!(9_007_199_254_740_992_u64)
    ));
}

// ---------------------------------------------------------------------------------------------
// properties

mod props {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::super::Validator;

    fn validator() -> Validator {
        Validator::compile(&json!({
            "schema": {
                "type": "object",
                "required": ["id", "items", "name", "tags"],
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "name": {"type": "string", "minLength": 1, "maxLength": 8},
                    "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "tags": {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 5}},
                    "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}}
                }
            },
            "definitions": {
                "Item": {
                    "type": "object",
                    "required": ["qty", "sku"],
                    "additionalProperties": false,
                    "properties": {
                        "qty": {"type": "integer", "minimum": 1, "maximum": 99},
                        "sku": {"type": "string", "pattern": "^[A-Z]{3}$"},
                        "note": {"type": ["string", "null"], "maxLength": 10}
                    }
                }
            }
        }))
        .unwrap()
    }

    fn item() -> impl Strategy<Value = Value> {
        (
            1..=99i64,
            "[A-Z]{3}",
            prop::option::of(prop::option::of("[a-z ]{0,10}")),
        )
            .prop_map(|(qty, sku, note)| {
                let mut item = json!({"qty": qty, "sku": sku});
                if let Some(note) = note {
                    item["note"] = json!(note);
                }
                item
            })
    }

    fn message() -> impl Strategy<Value = Value> {
        (
            0..=1000i64,
            "[a-zA-Z0-9]{1,8}",
            prop::option::of(0.001f64..=1.0),
            prop::collection::vec("[a-z]{0,5}", 0..=4),
            prop::collection::vec(item(), 0..4),
        )
            .prop_map(|(id, name, score, tags, items)| {
                let mut m = json!({"id": id, "name": name, "tags": tags, "items": items});
                if let Some(score) = score {
                    m["score"] = json!(score);
                }
                m
            })
    }

    /// Pointers of every leaf of a message.
    fn leaves(m: &Value) -> Vec<String> {
        let mut out = vec!["/id".to_string(), "/name".to_string()];
        if m.get("score").is_some() {
            out.push("/score".into());
        }
        for i in 0..m["tags"].as_array().unwrap().len() {
            out.push(format!("/tags/{i}"));
        }
        for (i, item) in m["items"].as_array().unwrap().iter().enumerate() {
            out.push(format!("/items/{i}/qty"));
            out.push(format!("/items/{i}/sku"));
            if item.get("note").is_some() {
                out.push(format!("/items/{i}/note"));
            }
        }
        out
    }

    /// A value that breaks the leaf at `pointer`: of the wrong type, or out of range.
    fn breaking(pointer: &str, wrong_type: bool, low: bool) -> (Value, &'static str) {
        let last = pointer.rsplit('/').next().unwrap();
        let field = if pointer.starts_with("/tags/") {
            "tag"
        } else {
            last
        };
        match (field, wrong_type, low) {
            ("id", true, _) => (json!("7"), "type"),
            ("id", false, true) => (json!(-1), "minimum"),
            ("id", false, false) => (json!(1001), "maximum"),
            ("name", true, _) => (json!(7), "type"),
            ("name", false, true) => (json!(""), "min_length"),
            ("name", false, false) => (json!("abcdefghi"), "max_length"),
            ("score", true, _) => (json!(null), "type"),
            ("score", false, true) => (json!(0), "exclusive_minimum"),
            ("score", false, false) => (json!(1.01), "maximum"),
            ("tag", true, _) => (json!(["x"]), "type"),
            ("tag", false, _) => (json!("abcdef"), "max_length"),
            ("qty", true, _) => (json!(1.5), "type"),
            ("qty", false, true) => (json!(0), "minimum"),
            ("qty", false, false) => (json!(100), "maximum"),
            ("sku", true, _) => (json!({}), "type"),
            ("sku", false, _) => (json!("ABCD"), "pattern"),
            ("note", true, _) => (json!(false), "type"),
            ("note", false, _) => (json!("abcdefghijk"), "max_length"),
            _ => unreachable!("{pointer}"),
        }
    }

    proptest! {
        #[test]
        fn valid_messages_are_valid(m in message()) {
            let v = validator();
            prop_assert!(v.is_valid(&m), "{}", m);
            prop_assert!(v.validate(&m, "").is_empty());
        }

        #[test]
        fn one_broken_leaf_is_reported_at_its_path(
            m in message(),
            which in any::<prop::sample::Index>(),
            wrong_type in any::<bool>(),
            low in any::<bool>(),
        ) {
            let v = validator();
            let leaves = leaves(&m);
            let pointer = which.get(&leaves);
            let (bad, kind) = breaking(pointer, wrong_type, low);
            let mut m = m;
            *m.pointer_mut(pointer).unwrap() = bad;
            let errors = v.validate(&m, "");
            prop_assert_eq!(errors.len(), 1, "{} {:?}", m, errors);
            prop_assert_eq!(&errors[0].path, pointer);
            prop_assert_eq!(&*errors[0].kind, kind);
            prop_assert!(!v.is_valid(&m));
        }

        /// Any value: no panic, and `is_valid` agrees with `validate`.
        #[test]
        fn any_value_is_handled(value in json_value()) {
            for v in [validator(), super::tree(), composite()] {
                let errors = v.validate(&value, "/x");
                prop_assert_eq!(v.is_valid(&value), errors.is_empty(), "{} {:?}", value, errors);
                for e in &errors {
                    prop_assert!(e.path.starts_with("/x"));
                }
            }
        }
    }

    fn composite() -> Validator {
        Validator::compile(&json!({
            "schema": {
                "anyOf": [
                    {"type": "array", "uniqueItems": true, "contains": {"type": "integer"},
                     "items": [{"type": "number", "multipleOf": 0.5}], "additionalItems": {"not": {"type": "null"}}},
                    {"type": "object", "propertyNames": {"maxLength": 2},
                     "patternProperties": {"^a": {"oneOf": [{"type": "string"}, {"minimum": 0}]}},
                     "if": {"required": ["b"]}, "then": {"minProperties": 2}, "else": {"maxProperties": 3}},
                    {"type": ["string", "boolean"], "enum": ["x", true], "format": "email", "nullable": true}
                ]
            }
        }))
        .unwrap()
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-5i64..5).prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            (-10.0f64..10.0).prop_map(|f| json!((f * 2.0).round() / 2.0)),
            "[a-zA-Z0-9@.~/ ]{0,12}".prop_map(Value::String),
            Just(json!("x")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z~/]{0,3}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}

#[test]
fn multiple_of_huge_values() {
    use super::check::multiple_of;
    assert!(multiple_of(1e308, 0.5));
    assert!(multiple_of(-1e308, 0.25));
    assert!(!multiple_of(1e308, 3e-300));
}

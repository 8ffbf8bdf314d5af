//! Property tests of message validation against `fixtures/keywords.yaml`.
//!
//! - Valid instances of three message schemas (`arrays`, `numbers`, `objects`: bounds, patterns,
//!   nested arrays and objects, maps, a recursive schema) always decode, with the tag first or
//!   last, to the same message, which passes the generated check and serializes back to the
//!   payload.
//! - Breaking exactly one thing in such an instance (a wrong type, a value out of range, a string
//!   too long or too short, a missing required field, an unknown field) makes decoding fail with
//!   exactly one violation, at the pointer of what was broken.
//! - Differential: for arbitrary small objects with a known tag, decoding with the tag first (the
//!   fast path) and with the tag last (the slow path) agree, and both agree with the runtime's
//!   validator over the schema that the generated code embeds.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};
use socketsundso::{ErrorMessage, Incoming};
use socketsundso_tests::keywords::ClientMessage as K;

const CASES: u32 = 256;

/// Modest case counts keep the suite fast in debug builds; failures are not persisted to files.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Valid instances, and how to break each of them in exactly one place

/// One way to break a valid instance, at a JSON Pointer.
#[derive(Debug, Clone)]
enum Break {
    /// Replace the value there; the violation is `kind` at the same pointer.
    Set(Value, &'static str),
    /// Remove the (required) field there: `required` at its pointer.
    Remove,
    /// Add an unknown field to the (closed) object there: `unknown_field` at the new key.
    AddField,
}

/// A generated valid value and the ways to break it, with pointers relative to the value.
#[derive(Debug, Clone)]
struct Node {
    value: Value,
    breaks: Vec<(String, Break)>,
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Node {
    fn leaf(value: impl Into<Value>, breaks: Vec<(Value, &'static str)>) -> Node {
        Node {
            value: value.into(),
            breaks: breaks
                .into_iter()
                .map(|(v, kind)| (String::new(), Break::Set(v, kind)))
                .collect(),
        }
    }

    /// Another way to break this value as a whole.
    fn or(mut self, value: Value, kind: &'static str) -> Node {
        self.breaks.push((String::new(), Break::Set(value, kind)));
        self
    }

    /// An object of the present fields. `closed`: unknown fields are violations.
    fn object(fields: Vec<(&str, Option<Node>)>, required: &[&str], closed: bool) -> Node {
        let mut map = Map::new();
        let mut breaks = vec![];
        for (name, node) in fields {
            let Some(node) = node else { continue };
            let prefix = format!("/{}", escape(name));
            if required.contains(&name) {
                breaks.push((prefix.clone(), Break::Remove));
            }
            breaks.extend(
                node.breaks
                    .into_iter()
                    .map(|(p, b)| (format!("{prefix}{p}"), b)),
            );
            map.insert(name.to_owned(), node.value);
        }
        if closed {
            breaks.push((String::new(), Break::AddField));
        }
        Node {
            value: Value::Object(map),
            breaks,
        }
    }

    /// A map whose every value is `node`'s kind (`additionalProperties: <schema>`).
    fn map(entries: Vec<(String, Node)>) -> Node {
        let fields = entries
            .iter()
            .map(|(k, n)| (k.as_str(), Some(n.clone())))
            .collect();
        Node::object(fields, &[], false)
    }

    fn array(items: Vec<Node>) -> Node {
        let mut values = vec![];
        let mut breaks = vec![];
        for (i, item) in items.into_iter().enumerate() {
            breaks.extend(
                item.breaks
                    .into_iter()
                    .map(|(p, b)| (format!("/{i}{p}"), b)),
            );
            values.push(item.value);
        }
        Node {
            value: Value::Array(values),
            breaks,
        }
    }
}

/// A valid message: its tag, its payload (without the tag) and the ways to break it.
#[derive(Debug, Clone)]
struct Case {
    tag: &'static str,
    node: Node,
}

/// The message's text with the tag first or last.
fn text(tag: &str, payload: &Value, tag_first: bool) -> String {
    let body = payload.to_string();
    let rest = &body[1..body.len() - 1];
    let tag = format!(r#""type":"{tag}""#);
    match (rest.is_empty(), tag_first) {
        (true, _) => format!("{{{tag}}}"),
        (false, true) => format!("{{{tag},{rest}}}"),
        (false, false) => format!("{{{rest},{tag}}}"),
    }
}

fn words(pattern: &'static str) -> impl Strategy<Value = String> {
    proptest::string::string_regex(pattern).expect("a valid regex")
}

/// `arrays`: tags (1..=3 unique strings of ≤ 5 characters), points (objects with bounds and an
/// array of strings), matrix (rows of ≤ 2 numbers).
fn arrays_case() -> impl Strategy<Value = Case> {
    let tags = prop::collection::btree_set(words("[a-zé]{1,5}"), 1..=3);
    let point = (
        0u64..=1000,
        -1000i64..=1000,
        prop::option::of(prop::collection::vec(words("[a-z]{1,4}"), 1..=3)),
    );
    let points = prop::option::of(prop::collection::vec(point, 1..=3));
    let matrix = prop::option::of(prop::collection::vec(
        prop::collection::vec((-400i32..400).prop_map(|n| f64::from(n) / 4.0), 0..=2),
        1..=3,
    ));
    (tags, points, matrix).prop_map(|(tags, points, matrix)| {
        let tags = Node::array(
            tags.into_iter()
                .map(|t| Node::leaf(t, vec![(json!("abcdef"), "max_length"), (json!(7), "type")]))
                .collect(),
        )
        .or(json!([]), "min_items")
        .or(json!(["v1", "v2", "v3", "v4"]), "max_items")
        .or(json!("a"), "type");
        let points = points.map(|points| {
            Node::array(
                points
                    .into_iter()
                    .map(|(x, y, labels)| {
                        let labels = labels.map(|labels| {
                            Node::array(
                                labels
                                    .into_iter()
                                    .map(|l| {
                                        Node::leaf(
                                            l,
                                            vec![(json!(""), "min_length"), (json!(1), "type")],
                                        )
                                    })
                                    .collect(),
                            )
                        });
                        Node::object(
                            vec![
                                (
                                    "x",
                                    Some(Node::leaf(
                                        x,
                                        vec![
                                            (json!(-1), "minimum"),
                                            (json!("0"), "type"),
                                            (json!(0.5), "type"),
                                        ],
                                    )),
                                ),
                                (
                                    "y",
                                    Some(Node::leaf(
                                        y,
                                        vec![(json!(0.5), "type"), (json!(null), "type")],
                                    )),
                                ),
                                ("labels", labels),
                            ],
                            &["x", "y"],
                            true,
                        )
                    })
                    .collect(),
            )
        });
        let matrix = matrix.map(|rows| {
            Node::array(
                rows.into_iter()
                    .map(|row| {
                        Node::array(
                            row.into_iter()
                                .map(|n| Node::leaf(n, vec![(json!("1"), "type")]))
                                .collect(),
                        )
                        .or(json!([1, 2, 3]), "max_items")
                    })
                    .collect(),
            )
        });
        Case {
            tag: "arrays",
            node: Node::object(
                vec![("tags", Some(tags)), ("points", points), ("matrix", matrix)],
                &["tags"],
                true,
            ),
        }
    })
}

/// `numbers`: integers with bounds and `multipleOf`, numbers with exclusive bounds and
/// `multipleOf: 0.5`, a boolean, a `const`.
fn numbers_case() -> impl Strategy<Value = Case> {
    (
        1u64..=10,
        -5i64..=5,
        -100i64..=100,
        prop::option::of(1u32..=1023),
        prop::option::of(-40i32..=40),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(|(count, temp, step, ratio, half, flag, version)| {
            let ratio = ratio.map(|k| {
                Node::leaf(
                    // `ratio` is an f32 (`format: float`): k/1024 is exact in it.
                    f64::from(k) / 1024.0,
                    vec![
                        (json!(0), "exclusive_minimum"),
                        (json!(1), "exclusive_maximum"),
                        (json!(-0.5), "exclusive_minimum"),
                        (json!("0.5"), "type"),
                    ],
                )
            });
            let half = half.map(|k| {
                let v = f64::from(k) * 0.5;
                Node::leaf(
                    v,
                    vec![(json!(v + 0.25), "multiple_of"), (json!(true), "type")],
                )
            });
            Case {
                tag: "numbers",
                node: Node::object(
                    vec![
                        (
                            "count",
                            Some(Node::leaf(
                                count,
                                vec![
                                    (json!(0), "minimum"),
                                    (json!(11), "maximum"),
                                    (json!(1.5), "type"),
                                    (json!("5"), "type"),
                                ],
                            )),
                        ),
                        (
                            "temp",
                            Some(Node::leaf(
                                temp,
                                vec![(json!(-6), "minimum"), (json!(6), "maximum")],
                            )),
                        ),
                        (
                            "step",
                            Some(Node::leaf(
                                step * 3,
                                vec![(json!(step * 3 + 1), "multiple_of"), (json!([]), "type")],
                            )),
                        ),
                        ("ratio", ratio),
                        ("half", half),
                        (
                            "flag",
                            flag.map(|f| Node::leaf(f, vec![(json!("true"), "type")])),
                        ),
                        (
                            "version",
                            version.then(|| Node::leaf(2, vec![(json!(3), "const")])),
                        ),
                    ],
                    &["count", "temp", "step"],
                    true,
                ),
            }
        })
}

/// A `Tree` (recursive, at most 3 children each, values ≥ 0).
fn tree() -> impl Strategy<Value = Node> {
    let leaf = (0u64..50).prop_map(|value| tree_node(value, None));
    leaf.prop_recursive(3, 12, 3, |inner| {
        (0u64..50, prop::collection::vec(inner, 1..=3))
            .prop_map(|(value, children)| tree_node(value, Some(children)))
    })
}

fn tree_node(value: u64, children: Option<Vec<Node>>) -> Node {
    let four = json!([{"value": 1}, {"value": 2}, {"value": 3}, {"value": 4}]);
    Node::object(
        vec![
            (
                "value",
                Some(Node::leaf(
                    value,
                    vec![(json!(-1), "minimum"), (json!("a"), "type")],
                )),
            ),
            (
                "children",
                children.map(|c| Node::array(c).or(four, "max_items")),
            ),
        ],
        &["value"],
        true,
    )
}

/// `objects`: nested required objects, a map with a value schema, a map with min/max
/// properties, an open object, a partly open object, a `$ref`, a recursive `$ref`.
fn objects_case() -> impl Strategy<Value = Case> {
    let small = prop_oneof![
        any::<i32>().prop_map(Value::from),
        words("[a-z]{0,3}").prop_map(Value::from),
        Just(json!([1, {"a": null}])),
    ];
    (
        (
            -1000i64..=100,
            prop::option::of(prop::collection::btree_map(
                words("[a-z]{1,3}"),
                small.clone(),
                0..=3,
            )),
            prop::option::of(prop::collection::btree_map(
                words("[a-z]{1,3}"),
                1u64..=99,
                1..=3,
            )),
            prop::collection::btree_map(words("[a-z]{1,3}"), words("[a-z]{0,4}"), 1..=2),
        ),
        (
            prop::option::of((
                prop::option::of(words("[a-z]{0,4}")),
                prop::collection::btree_map(words("[b-z]{1,3}"), small, 0..=2),
            )),
            prop::option::of((words("[a-zA-Z ]{1,8}"), words("[0-9]{5}"))),
            prop::option::of(tree()),
        ),
    )
        .prop_map(|((value, extra, counts, sized), (loose, address, tree))| {
            let inner = Node::object(
                vec![(
                    "deep",
                    Some(Node::object(
                        vec![(
                            "value",
                            Some(Node::leaf(
                                value,
                                vec![
                                    (json!(101), "maximum"),
                                    (json!("1"), "type"),
                                    (json!(0.5), "type"),
                                ],
                            )),
                        )],
                        &["value"],
                        true,
                    )),
                )],
                &["deep"],
                true,
            );
            let extra = extra.map(|e| {
                Node {
                    value: Value::Object(e.into_iter().collect()),
                    breaks: vec![],
                }
                .or(json!([]), "type")
            });
            let counts = counts.map(|c| {
                Node::map(
                    c.into_iter()
                        .map(|(k, v)| {
                            let node = Node::leaf(
                                v,
                                vec![
                                    (json!(0), "minimum"),
                                    (json!(100), "maximum"),
                                    (json!("1"), "type"),
                                ],
                            );
                            (k, node)
                        })
                        .collect(),
                )
            });
            let sized = Node::map(
                sized
                    .into_iter()
                    .map(|(k, v)| (k, Node::leaf(v, vec![(json!(1), "type")])))
                    .collect(),
            )
            .or(json!({}), "min_properties")
            .or(json!({"a": "", "b": "", "c": ""}), "max_properties");
            let loose = loose.map(|(a, unknown)| {
                let mut node = Node::object(
                    vec![("a", a.map(|a| Node::leaf(a, vec![(json!(1), "type")])))],
                    &[],
                    false,
                );
                let object = node.value.as_object_mut().expect("an object");
                object.extend(unknown);
                node
            });
            let address = address.map(|(street, zip)| {
                Node::object(
                    vec![
                        (
                            "street",
                            Some(Node::leaf(street, vec![(json!(""), "min_length")])),
                        ),
                        (
                            "zip",
                            Some(Node::leaf(
                                zip,
                                vec![(json!("1234"), "pattern"), (json!("123456"), "pattern")],
                            )),
                        ),
                    ],
                    &["street", "zip"],
                    true,
                )
            });
            Case {
                tag: "objects",
                node: Node::object(
                    vec![
                        ("inner", Some(inner)),
                        ("extra", extra),
                        ("counts", counts),
                        ("sized", Some(sized)),
                        ("loose", loose),
                        ("address", address),
                        ("tree", tree),
                    ],
                    &["inner"],
                    true,
                ),
            }
        })
}

fn any_case() -> impl Strategy<Value = Case> {
    prop_oneof![arrays_case(), numbers_case(), objects_case()]
}

/// What the decoded message serializes back to: the payload, minus what the types drop (the
/// undeclared fields of the open `loose` object).
fn expected_round_trip(case: &Case) -> Value {
    let mut expected = case.node.value.clone();
    if let Some(Value::Object(loose)) = expected.pointer_mut("/loose") {
        loose.retain(|k, _| k == "a");
    }
    expected
}

/// Applies `brk` at `pointer`; returns the broken payload and the violation it must cause.
fn apply(payload: &Value, pointer: &str, brk: &Break) -> (Value, (String, String)) {
    let mut broken = payload.clone();
    let expected = match brk {
        Break::Set(value, kind) => {
            *broken.pointer_mut(pointer).expect("the pointer exists") = value.clone();
            (pointer.to_owned(), (*kind).to_owned())
        }
        Break::Remove => {
            let (parent, key) = pointer.rsplit_once('/').expect("a member");
            let key = key.replace("~1", "/").replace("~0", "~");
            let removed = broken
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .and_then(|o| o.remove(&key));
            assert!(removed.is_some(), "{pointer} exists");
            (pointer.to_owned(), "required".to_owned())
        }
        Break::AddField => {
            let object = broken
                .pointer_mut(pointer)
                .and_then(Value::as_object_mut)
                .expect("an object");
            object.insert("zz_unknown".to_owned(), json!(true));
            (format!("{pointer}/zz_unknown"), "unknown_field".to_owned())
        }
    };
    (broken, expected)
}

fn pairs(error: &ErrorMessage) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = error
        .errors
        .iter()
        .map(|v| (v.path.clone(), v.kind.to_string()))
        .collect();
    pairs.sort();
    pairs
}

proptest! {
    #![proptest_config(config())]

    /// Valid instances are accepted in both tag positions, decode to the same message, pass the
    /// generated check (so they take the fast path), and serialize back to their payload.
    #[test]
    fn valid_instances_are_accepted(case in any_case()) {
        let first = text(case.tag, &case.node.value, true);
        let decoded = socketsundso::decode::<K>(&first)
            .unwrap_or_else(|e| panic!("{first}\nrejected: {e:?}"));
        let last = text(case.tag, &case.node.value, false);
        let decoded_last = socketsundso::decode::<K>(&last)
            .unwrap_or_else(|e| panic!("{last}\nrejected: {e:?}"));
        prop_assert_eq!(&decoded, &decoded_last);
        prop_assert_eq!(&decoded.id, &None);
        prop_assert!(decoded.message.check(), "the generated check rejects {}", first);
        let mut round_trip = serde_json::to_value(&decoded.message).expect("serializes");
        let tag = round_trip.as_object_mut().and_then(|o| o.remove("type"));
        prop_assert_eq!(tag, Some(json!(case.tag)));
        prop_assert_eq!(round_trip, expected_round_trip(&case), "{}", first);
    }

    /// Breaking one thing is reported as exactly one violation, at the broken pointer, in both
    /// tag positions.
    #[test]
    fn one_broken_leaf_is_one_violation_at_its_pointer(case in any_case(), pick in any::<Index>()) {
        let (pointer, brk) = pick.get(&case.node.breaks);
        let (broken, expected) = apply(&case.node.value, pointer, brk);
        for tag_first in [true, false] {
            let text = text(case.tag, &broken, tag_first);
            let error = match socketsundso::decode::<K>(&text) {
                Ok(d) => panic!("{text}\naccepted: {:?}", d.message),
                Err(e) => e,
            };
            prop_assert_eq!(&error.code, "validation_failed", "{}", text);
            prop_assert_eq!(pairs(&error), vec![expected.clone()], "{}", text);
        }
    }

    /// The same broken message with a correlation id: the error carries it, and `id` is not an
    /// unknown field.
    #[test]
    fn errors_keep_the_correlation_id(case in any_case(), pick in any::<Index>(), id in 0u32..1000) {
        let (pointer, brk) = pick.get(&case.node.breaks);
        let (mut broken, expected) = apply(&case.node.value, pointer, brk);
        broken.as_object_mut().expect("an object").insert("id".to_owned(), json!(id));
        let text = text(case.tag, &broken, true);
        let error = socketsundso::decode::<K>(&text).map(|d| d.message).expect_err(&text);
        prop_assert_eq!(&error.id, &Some(json!(id)));
        prop_assert_eq!(pairs(&error), vec![expected]);
    }
}

// ---------------------------------------------------------------------------------------------
// Differential: fast path ⇔ slow path ⇔ validator

/// For each received message: its fields and values that fit them (JSON text).
/// A field and values that fit it, as JSON text.
type Field = (&'static str, &'static [&'static str]);

const FIELDS: &[(&str, &[Field])] = &[
    (
        "strings",
        &[
            ("name", &[r#""ab""#, r#""ééé""#]),
            ("code", &[r#""ABC-1""#]),
            ("color", &[r#""red""#]),
            ("fixed", &[r#""fixed""#]),
            ("at", &[r#""2024-05-01T12:30:00Z""#]),
            ("email", &[r#""a@b.co""#]),
            ("uid", &[r#""67e55044-10b1-426f-9247-bb680e5fe0c8""#]),
            ("link", &[r#""https://x.y/z""#]),
        ],
    ),
    (
        "numbers",
        &[
            ("count", &["1", "10"]),
            ("temp", &["-5", "5"]),
            ("step", &["0", "3"]),
            ("ratio", &["0.5"]),
            ("half", &["1.5"]),
            ("flag", &["true"]),
            ("version", &["2"]),
        ],
    ),
    (
        "arrays",
        &[
            ("tags", &[r#"["a"]"#, r#"["a","b"]"#]),
            (
                "points",
                &[r#"[{"x":1,"y":2}]"#, r#"[{"x":0,"y":0,"labels":["l"]}]"#],
            ),
            ("matrix", &["[[1,2]]", "[[]]"]),
        ],
    ),
    (
        "objects",
        &[
            ("inner", &[r#"{"deep":{"value":1}}"#]),
            ("extra", &[r#"{"q":1}"#]),
            ("counts", &[r#"{"a":1}"#]),
            ("sized", &[r#"{"k":"v"}"#]),
            ("loose", &[r#"{"a":"x","b":1}"#]),
            ("address", &[r#"{"street":"s","zip":"12345"}"#]),
            ("tree", &[r#"{"value":1,"children":[{"value":2}]}"#]),
        ],
    ),
    (
        "composition",
        &[
            (
                "shape",
                &[
                    r#"{"kind":"circle","radius":1}"#,
                    r#"{"kind":"square","side":0}"#,
                ],
            ),
            ("value", &[r#""ab""#, "3"]),
            ("person", &[r#"{"name":"n"}"#]),
            ("nick", &[r#""bob""#]),
        ],
    ),
    (
        "nullables",
        &[
            ("union", &["null", r#""abc""#]),
            ("openapi", &["null", "2"]),
            ("maybe", &["null", r#""m""#]),
        ],
    ),
    ("open", &[("known", &["1", "9"]), ("other", &["1"])]),
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "ééé",
    "abcdef",
    "ABC-1",
    "red",
    "fixed",
    "root",
    "2024-05-01T12:30:00Z",
    "a@b.co",
    "67e55044-10b1-426f-9247-bb680e5fe0c8",
    "https://x.y",
    "circle",
    "square",
    "12345",
];

const KEYS: &[&str] = &[
    "x", "y", "kind", "radius", "side", "deep", "value", "name", "age", "a", "street", "zip",
    "children", "labels", "k",
];

/// Values that once made the two paths disagree, kept to make sure they agree: `null` in optional
/// fields that are not nullable, and a date-time that only chrono's lenient parser accepts.
const TRICKY_VALUES: &[&str] = &["null", r#""2024-05-01 12:30:00Z""#];

fn tricky_values() -> Vec<Value> {
    TRICKY_VALUES
        .iter()
        .map(|t| serde_json::from_str(t).expect("JSON"))
        .collect()
}

/// Small arbitrary JSON. Floats are never integral (`2.0` is an integer to JSON Schema but not
/// to serde, which the decoder documents as a narrowing of the Rust types).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        (-7i64..=12).prop_map(Value::from),
        select(vec![-6i64, 99, 100, 101, 1000]).prop_map(Value::from),
        select(vec![0.5, 1.5, -0.5, 0.001, 0.999, 0.25]).prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        select(tricky_values()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(select(KEYS), inner, 0..4).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// A message with a known tag: its fields, mostly with fitting values, some arbitrary, sometimes
/// an unknown field or a correlation id.
fn arbitrary_message() -> impl Strategy<Value = (&'static str, Map<String, Value>)> {
    (0..FIELDS.len()).prop_flat_map(move |i| {
        let (tag, fields) = FIELDS[i];
        let mut names: Vec<&'static str> = fields.iter().map(|(name, _)| *name).collect();
        names.extend(["zz", "id"]);
        let values: Vec<BoxedStrategy<Option<Value>>> = names
            .iter()
            .map(|name| {
                let good: Vec<Value> = fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, values)| {
                        values
                            .iter()
                            .map(|t| serde_json::from_str(t).expect("JSON"))
                            .collect()
                    })
                    .unwrap_or_else(|| vec![json!(1)]);
                let presence = if matches!(*name, "zz" | "id") {
                    0.2
                } else {
                    0.7
                };
                let value = prop_oneof![
                    6 => select(good),
                    2 => json_value(),
                    1 => select(tricky_values()),
                ];
                prop::option::weighted(presence, value).boxed()
            })
            .collect();
        values.prop_map(move |values| {
            let object: Map<String, Value> = names
                .iter()
                .zip(values)
                .filter_map(|(name, value)| value.map(|v| ((*name).to_owned(), v)))
                .collect();
            (tag, object)
        })
    })
}

/// What chrono's `Deserialize` for a date-time accepts (its lenient RFC 3339 parser).
/// Decodes `object` with the tag first and last, and checks the verdicts against each other and
/// against the validator that the generated code embeds.
fn check_agreement(tag: &str, object: &Map<String, Value>) -> Result<(), TestCaseError> {
    let payload = Value::Object(object.clone());
    let first = text(tag, &payload, true);
    let last = text(tag, &payload, false);
    let fast = socketsundso::decode::<K>(&first);
    let slow = socketsundso::decode::<K>(&last);
    match (&fast, &slow) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(a), Err(b)) => {
            prop_assert_eq!(&a.code, &b.code, "{}", first);
            prop_assert_eq!(pairs(a), pairs(b), "{}", first);
            prop_assert_eq!(&a.id, &b.id);
        }
        _ => prop_assert!(
            false,
            "the tag's position changed the verdict:\n{first}\n→ {fast:?}\n{last}\n→ {slow:?}"
        ),
    }
    // the runtime's validator over the embedded schema, on the payload without the id
    let mut without_id = object.clone();
    without_id.remove("id");
    let without_id = Value::Object(without_id);
    let validator = <K as Incoming>::validator(tag).expect("every received message has a schema");
    prop_assert_eq!(validator.is_valid(&without_id), fast.is_ok(), "{}", first);
    if let Err(e) = &fast {
        let mut expected: Vec<(String, String)> = validator
            .validate(&without_id, "")
            .iter()
            .map(|v| (v.path.clone(), v.kind.to_string()))
            .collect();
        expected.sort();
        prop_assert_eq!(pairs(e), expected, "{}", first);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Both decode paths, and the validator, give the same verdict and the same violations.
    #[test]
    fn tag_position_and_validator_agree((tag, object) in arbitrary_message()) {
        check_agreement(tag, &object)?;
    }
}

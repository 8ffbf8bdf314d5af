//! Every example in the generated docs is a message the real code accepts.
//!
//! For each fixture (and a few official AsyncAPI examples), the docs are generated
//! (`Config::generate_docs`) and each message's example is read back out of the Markdown:
//! - a message the server receives is decoded by the generated server's decoder
//!   (`socketsundso::decode::<ClientMessage>`, the fast path and, on failure, the validator);
//! - a message the server sends is deserialized into the generated `ServerMessage` and checked
//!   with the validator compiled from the schema document that the generated code embeds
//!   (`Outgoing::validator`, what debug builds check every outgoing message with).
//!
//! Examples that the schema gives itself (`examples`, marked "(from the schema)") are the
//! author's; of the official documents only the built ones and the messages' own `examples`
//! (which the generator checks against the schema, leaving out those that do not fit) are
//! checked.

use std::path::Path;

use serde_json::Value;
use socketsundso::Outgoing;
use socketsundso::codegen::serde::de::DeserializeOwned;
use socketsundso_codegen::Config;

/// One message's example, as the Markdown shows it.
#[derive(Debug)]
struct Example {
    /// `client-<Name>` (the server receives it) or `server-<Name>`.
    anchor: String,
    /// The message's tag.
    tag: String,
    json: String,
    /// The schema's own example.
    given: bool,
}

/// The examples of every message section of `markdown`, in order.
fn examples(markdown: &str) -> Vec<Example> {
    let mut out = vec![];
    let mut anchor: Option<String> = None;
    let mut tag = String::new();
    let mut given = false;
    let mut json: Option<String> = None;
    for line in markdown.lines() {
        if let Some(id) = line
            .strip_prefix("<a id=\"")
            .and_then(|rest| rest.strip_suffix("\"></a>"))
        {
            let message = (id.starts_with("client-") || id.starts_with("server-"))
                && !matches!(id, "client-to-server" | "server-to-client");
            anchor = message.then(|| id.to_owned());
            continue;
        }
        if let Some(text) = &mut json {
            if line == "```" {
                // A message may have several examples (its own `examples`).
                if let Some(anchor) = &anchor {
                    out.push(Example {
                        anchor: anchor.clone(),
                        tag: tag.clone(),
                        json: std::mem::take(text),
                        given,
                    });
                }
                json = None;
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("### `") {
            tag = heading.trim_end_matches('`').to_owned();
        }
        if line.starts_with("Example") {
            given = line.contains("(from the schema)");
        }
        if line == "```json" {
            json = Some(String::new());
        }
    }
    out
}

/// Decodes `text` as the generated server does.
fn decode<C: socketsundso::Incoming>(text: &str) -> Result<(), String> {
    socketsundso::decode::<C>(text)
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// Reads `text` as a `ServerMessage` and checks it against its embedded schema.
fn check_sent<S: DeserializeOwned + Outgoing>(text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let message: S =
        serde_json::from_value(value.clone()).map_err(|e| format!("does not deserialize: {e}"))?;
    match message.validator() {
        Some(validator) => {
            let violations = validator.validate(&value, "");
            if violations.is_empty() {
                Ok(())
            } else {
                Err(format!("{violations:?}"))
            }
        }
        None => Ok(()),
    }
}

struct Case {
    spec: &'static str,
    /// Official documents: only the built examples are checked.
    built_only: bool,
    decode: fn(&str) -> Result<(), String>,
    check_sent: fn(&str) -> Result<(), String>,
}

macro_rules! case {
    ($module:ident, $spec:expr) => {
        case!($module, $spec, false)
    };
    ($module:ident, $spec:expr, $built_only:expr) => {
        Case {
            spec: $spec,
            built_only: $built_only,
            decode: decode::<socketsundso_tests::$module::ClientMessage>,
            check_sent: check_sent::<socketsundso_tests::$module::ServerMessage>,
        }
    };
}

/// Paths relative to this crate, where cargo runs its tests.
fn cases() -> Vec<Case> {
    vec![
        case!(example_chat, "../examples/chat/asyncapi.yaml"),
        case!(example_basics, "../examples/basics/asyncapi.yaml"),
        case!(bench, "fixtures/bench.yaml"),
        case!(composite, "fixtures/composite.yaml"),
        case!(formerly_broken, "fixtures/formerly-broken.yaml"),
        case!(jsonrpc_in_json, "fixtures/jsonrpc-in-json.json"),
        case!(jsonrpc, "fixtures/jsonrpc.yaml"),
        case!(keywords, "fixtures/keywords.yaml"),
        case!(kraken_like, "fixtures/kraken-like.yaml"),
        case!(message_examples, "fixtures/message-examples.yaml"),
        case!(multi_file, "fixtures/multi-file.yaml"),
        case!(name_collision, "fixtures/name-collision.yaml"),
        case!(names, "fixtures/names.yaml"),
        case!(nested_tag, "fixtures/nested-tag.yaml"),
        case!(open_objects, "fixtures/open-objects.yaml"),
        case!(optional_collections, "fixtures/optional-collections.yaml"),
        case!(recursive, "fixtures/recursive.yaml"),
        case!(request_reply, "fixtures/request-reply.yaml"),
        case!(role_client, "fixtures/role-client.yaml"),
        case!(role_server, "fixtures/role-server.yaml"),
        case!(semantics, "fixtures/semantics.yaml"),
        case!(send_only, "fixtures/send-only.yaml"),
        case!(settings, "fixtures/settings.yaml"),
        case!(shared_schemas, "fixtures/shared-schemas.yaml"),
        case!(strings, "fixtures/strings.yaml"),
        case!(tuple_items, "fixtures/tuple-items.yaml"),
        case!(tuples, "fixtures/tuples.yaml"),
        case!(unenforced, "fixtures/unenforced.yaml"),
        case!(v2_chat, "fixtures/v2-chat.yaml"),
        case!(v2_client_view, "fixtures/v2-client-view.yaml"),
        case!(v2_message_examples, "fixtures/v2-message-examples.yaml"),
        case!(
            conformance_2_6_0_slack_rtm_yml,
            "asyncapi/2.6.0/slack-rtm.yml",
            true
        ),
        case!(
            conformance_3_0_0_slack_rtm_asyncapi_yml,
            "asyncapi/3.0.0/slack-rtm-asyncapi.yml",
            true
        ),
        case!(
            conformance_3_0_0_websocket_gemini_asyncapi_yml,
            "asyncapi/3.0.0/websocket-gemini-asyncapi.yml",
            true
        ),
        // Not the Kraken documents: the schema that their generated code embeds for the sent
        // `subscriptionStatus` adds the tag `event` beside a `oneOf` of closed objects, so it
        // refuses every such message, the documents' own examples included.
        case!(
            conformance_3_0_0_social_media_backend_asyncapi_yaml,
            "asyncapi/3.0.0/social-media/backend/asyncapi.yaml",
            true
        ),
        case!(
            conformance_3_0_0_streetlights_mqtt_asyncapi_yml,
            "asyncapi/3.0.0/streetlights-mqtt-asyncapi.yml",
            true
        ),
    ]
}

#[test]
fn every_example_in_the_docs_is_accepted_by_the_generated_code() {
    let mut failures = vec![];
    let mut checked = 0;
    for case in cases() {
        let spec = Path::new(case.spec);
        let output = Config::new(spec)
            .generate_docs()
            .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        let markdown = &output.docs["api.md"];
        let examples = examples(markdown);
        let sections = markdown.matches("\n### `").count();
        assert!(
            !examples.is_empty() || sections == 0,
            "{}: no examples found",
            spec.display()
        );
        let sent_tags: Vec<&str> = examples
            .iter()
            .filter(|e| e.anchor.starts_with("server-"))
            .map(|e| e.tag.as_str())
            .collect();
        for example in &examples {
            if case.built_only && example.given {
                continue;
            }
            // Of two sent messages with one tag, `ServerMessage` reads the first only: the test
            // cannot tell which schema applies (the generator warns about such tags).
            let shared = sent_tags.iter().filter(|t| **t == example.tag).count() > 1;
            if example.anchor.starts_with("server-") && shared {
                continue;
            }
            checked += 1;
            let result = if example.anchor.starts_with("client-") {
                (case.decode)(&example.json)
            } else {
                (case.check_sent)(&example.json)
            };
            if let Err(e) = result {
                failures.push(format!(
                    "{} #{}: {e}\n{}",
                    spec.display(),
                    example.anchor,
                    example.json
                ));
            }
        }
    }
    assert!(checked >= 100, "only {checked} examples checked");
    assert!(
        failures.is_empty(),
        "{} examples are refused:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

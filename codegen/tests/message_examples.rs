//! A message's own `examples` (AsyncAPI 2.6 and 3.0): each payload is checked against the
//! message's schema when the document is read; one that fits is shown in the docs (with its
//! name and summary, the tag added where it is left out), one that does not gets a warning at
//! its line and is left out. `tests/tests/docs_examples.rs` decodes the shown ones with the
//! generated server.

use socketsundso_codegen::Config;

/// The Markdown section of message `tag`, up to the next one.
fn section<'a>(markdown: &'a str, tag: &str) -> &'a str {
    let start = markdown
        .find(&format!("\n### `{tag}`\n"))
        .unwrap_or_else(|| panic!("no section for {tag}:\n{markdown}"));
    let rest = &markdown[start + 1..];
    let end = rest[1..].find("\n<a id=").map_or(rest.len(), |end| end + 1);
    &rest[..end]
}

#[test]
fn fitting_examples_are_shown_with_their_name_and_summary() {
    let output = Config::new("../tests/fixtures/message-examples.yaml")
        .generate_docs()
        .expect("generates");
    let markdown = &output.docs["api.md"];
    let order = section(markdown, "order");
    assert!(
        order.contains("Example `buy`. A market order for 10 `BTC/USD`.\n\n```json\n{\n  \"type\": \"order\",\n  \"id\": \"1\",\n  \"symbol\": \"BTC/USD\",\n  \"quantity\": 10,\n  \"side\": \"buy\"\n}\n```"),
        "{order}"
    );
    // The tag, left out of the example, is added first.
    assert!(
        order.contains("Example `sell`. Without its tag; the docs add it.\n\n```json\n{\"type\": \"order\", \"symbol\": \"ETH/USD\", \"quantity\": 2, \"side\": \"sell\"}\n```"),
        "{order}"
    );
    assert!(!order.contains("nothing"), "{order}");
    assert_eq!(order.matches("```json").count(), 2, "{order}");
    let filled = section(markdown, "filled");
    assert!(
        filled.contains("Example:\n\n```json\n{\"type\": \"filled\", \"price\": 64000.5}\n```"),
        "{filled}"
    );
    // No example fits: the one built from the schema instead.
    let ticker = section(markdown, "ticker");
    assert_eq!(ticker.matches("```json").count(), 1, "{ticker}");
    assert!(!ticker.contains("\"filled\""), "{ticker}");

    let html = &output.docs["api.html"];
    assert!(
        html.contains("<div class=\"label\">Example <code>buy</code></div>\n      <p class=\"example-summary\">A market order for 10 <code>BTC/USD</code>.</p>"),
        "the HTML shows the name and the summary"
    );
}

#[test]
fn an_example_that_does_not_fit_is_a_located_warning() {
    let output = Config::new("../tests/fixtures/message-examples.yaml")
        .generate()
        .expect("generates");
    let warnings: Vec<String> = output
        .warnings
        .iter()
        .filter(|w| w.message.contains("example"))
        .map(|w| {
            let (line, _) = w.location.line_col.expect("a line");
            format!("{line}: {}", w.message)
        })
        .collect();
    assert_eq!(
        warnings,
        [
            "73: this example of message `order` does not fit its payload schema: `/quantity` is below `minimum` 1; it is left out of the docs",
            "106: this example of message `ticker` does not fit its payload schema: its `type` is \"filled\", not \"ticker\"; it is left out of the docs",
        ]
    );
}

#[test]
fn asyncapi_2_message_examples_are_read_too() {
    let output = Config::new("../tests/fixtures/v2-message-examples.yaml")
        .docs(true)
        .generate()
        .expect("generates");
    let markdown = &output.docs["api.md"];
    let hello = section(markdown, "hello");
    assert!(
        hello.contains("Example `ada`:\n\n```json\n{\"type\": \"hello\", \"name\": \"Ada\"}\n```"),
        "{hello}"
    );
    assert!(!hello.contains("Lovelace"), "{hello}");
    let welcome = section(markdown, "welcome");
    assert!(
        welcome.contains("Example. The answer to `ada`.\n\n```json\n{\"type\": \"welcome\", \"greeting\": \"Hello, Ada!\"}\n```"),
        "{welcome}"
    );
    let messages: Vec<&str> = output.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "this example of message `hello` does not fit its payload schema: `/name` is longer than `maxLength`; it is left out of the docs"
        ]
    );
}

#[test]
fn an_example_against_a_schema_that_refers_to_itself_ends() {
    let dir = std::env::temp_dir().join(format!("socketsundso-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("asyncapi.yaml");
    // Each level of `next` offers two branches that both lead to the same schema, and the
    // example is 48 levels deep with a bad leaf: without a bound on the work, checking it
    // takes time that grows exponentially with the depth (26 s at 40 levels, by hand).
    let mut example = String::from("{\"value\": \"not a number\"}");
    for _ in 0..48 {
        example = format!("{{\"next\": {example}}}");
    }
    std::fs::write(
        &spec,
        format!(
            r#"asyncapi: 3.0.0
info: {{title: Cycle, version: 0.1.0}}
channels:
  root:
    address: /
    messages:
      tree: {{$ref: '#/components/messages/tree'}}
operations:
  tree:
    action: receive
    channel: {{$ref: '#/channels/root'}}
    messages: [{{$ref: '#/channels/root/messages/tree'}}]
components:
  schemas:
    node:
      type: object
      properties:
        next:
          anyOf:
            - {{$ref: '#/components/schemas/node'}}
            - {{$ref: '#/components/schemas/node'}}
        value: {{type: integer}}
  messages:
    tree:
      payload:
        type: object
        properties:
          type: {{const: tree}}
          node: {{$ref: '#/components/schemas/node'}}
      examples:
        - payload: {{"type": "tree", "node": {example}}}
"#
        ),
    )
    .unwrap();
    let result = Config::new(&spec).generate();
    std::fs::remove_dir_all(&dir).ok();
    // It ends; past the bound the example is taken as fitting (no warning about it).
    let output = result.expect("generates");
    assert!(
        output
            .warnings
            .iter()
            .all(|w| !w.message.contains("example")),
        "{:?}",
        output.warnings
    );
}

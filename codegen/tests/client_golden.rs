//! Goldens of the generated Rust client: `tests/fixtures/client/<case>.rs` is what a document
//! generates with `Config::rust_client(true)`. `socketsundso-tests` compiles each of them under
//! `#![deny(warnings)]` (with the runtime's `client` feature), and its end-to-end tests connect
//! the clients of the examples and of the role fixtures to real servers.
//!
//! `EXPECTORATE=overwrite cargo test -p socketsundso-codegen --test client_golden` rewrites them.
//!
//! Without the setting nothing changes: the goldens under `tests/fixtures/*.rs` stay as they
//! are (`golden.rs` checks them), and the client module is the only addition.

use std::path::Path;

use socketsundso_codegen::Config;

/// `(document, golden name)`, relative to the codegen crate. They cover: plain request/reply and
/// push messages (the examples), a tag shared by a request and its reply and a JSON-RPC-like
/// `method` tag (`jsonrpc`), a tag field other than `type` with an id field of its own and
/// replies of several messages (`kraken-like`), a nested tag (`nested-tag`), a server that
/// only sends (`send-only`), tags that several sent messages share (`slack-rtm`), a document
/// written from the client's side (`role-client`), an API without correlation ids
/// (`no-correlation`: no `request_*` methods), messages without a tag in both directions,
/// told apart by their shape (`untagged`), none with a tag at all (`untagged-only`), and binary messages both ways (`speech`).
const CASES: &[(&str, &str)] = &[
    ("../examples/basics/asyncapi.yaml", "example-basics"),
    ("../examples/chat/asyncapi.yaml", "example-chat"),
    ("../tests/fixtures/jsonrpc.yaml", "jsonrpc"),
    ("../tests/fixtures/kraken-like.yaml", "kraken-like"),
    ("../tests/fixtures/nested-tag.yaml", "nested-tag"),
    ("../tests/fixtures/request-reply.yaml", "request-reply"),
    ("../tests/fixtures/send-only.yaml", "send-only"),
    ("../tests/fixtures/role-client.yaml", "role-client"),
    (
        "../tests/fixtures/client/no-correlation.yaml",
        "no-correlation",
    ),
    ("../tests/fixtures/untagged.yaml", "untagged"),
    ("../tests/fixtures/untagged-only.yaml", "untagged-only"),
    ("../tests/asyncapi/socketsundso/speech.yaml", "speech"),
    (
        "../tests/asyncapi/3.0.0/slack-rtm-asyncapi.yml",
        "slack-rtm",
    ),
];

const GOLDENS: &str = "../tests/fixtures/client";

#[test]
fn clients_generate_their_goldens() {
    for (spec, name) in CASES {
        let with = Config::new(spec)
            .rust_client(true)
            .generate()
            .unwrap_or_else(|e| panic!("{spec} does not generate:\n{e}"));
        let again = Config::new(spec)
            .rust_client(true)
            .generate()
            .expect("generates twice");
        assert_eq!(with.rust, again.rust, "{spec}: output is not deterministic");
        expectorate::assert_contents(Path::new(GOLDENS).join(format!("{name}.rs")), &with.rust);
    }
}

#[test]
fn the_client_is_one_module_added_to_the_server_code() {
    for (spec, _) in CASES {
        let without = Config::new(spec).generate().expect("generates").rust;
        let with = Config::new(spec)
            .rust_client(true)
            .generate()
            .expect("generates")
            .rust;
        assert_eq!(
            Config::new(spec)
                .rust_client(false)
                .generate()
                .expect("generates")
                .rust,
            without,
            "{spec}: `rust_client(false)` is the default"
        );
        // Everything of the server's file is there, in order; the rest is the client module.
        let start = with
            .find("\n/// A typed client of this API")
            .unwrap_or_else(|| panic!("{spec}: no client module"));
        let end = start
            + with[start..]
                .find("\n}\n")
                .unwrap_or_else(|| panic!("{spec}: the client module does not end"))
            + 3;
        let rest = format!("{}{}", &with[..start], &with[end..]);
        assert_eq!(
            rest.replace("\n\n\n", "\n\n"),
            without.replace("\n\n\n", "\n\n"),
            "{spec}"
        );
        assert!(with[start..end].contains("\npub mod client {"), "{spec}");
    }
}

//! Compile checks for generated code.
//!
//! Every golden Rust file under `fixtures/` (and `fixtures/client/`, `conformance/`) is a module
//! of this library, compiled under `#![deny(warnings)]` with clippy's `pedantic` lints on (and
//! clippy with `-D warnings` in the test command, `./scripts/test`), twice: as a public module,
//! and as a private one, as a binary's `mod api { include!(..); }` has it. The golden tests
//! (`codegen/tests/golden.rs`, `client_golden.rs`, `conformance.rs`) keep the files equal to
//! what the generator produces, so the generated code stays free of warnings, pedantic
//! included; the lints it allows, each where it arises, are listed in the README ("Generated
//! code").
#![deny(warnings)]
#![warn(clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/goldens.rs"));

/// The goldens again, in a private module: nothing uses them here, so `dead_code` is allowed;
/// every other lint applies.
#[allow(
    dead_code,
    reason = "a binary uses its API; this module only compiles the goldens privately"
)]
mod private {
    include!(concat!(env!("OUT_DIR"), "/goldens_private.rs"));
}

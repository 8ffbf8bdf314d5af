//! Compile checks for generated code.
//!
//! Every golden Rust file under `fixtures/` is a module of this library, compiled under
//! `#![deny(warnings)]` (and clippy with `-D warnings` in the test command). The golden test
//! (`tests/golden.rs`) keeps the files equal to what the generator produces.
#![deny(warnings)]

include!(concat!(env!("OUT_DIR"), "/goldens.rs"));

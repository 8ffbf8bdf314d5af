//! What the fuzz targets share: two generated APIs with nested, constrained types (the golden
//! files of `tests/fixtures/`, as the generator writes them), and the decoder's property.

#![allow(dead_code)]

/// `tests/fixtures/composite.yaml`: unique enum arrays, maps with bounds, a discriminated
/// `oneOf` with nested `oneOf`s, nullable arrays and objects, integer and float bounds.
pub mod composite {
    include!("../../tests/fixtures/composite.rs");
}

/// `tests/fixtures/bench.yaml`: a realistic order with constrained strings (uuid, pattern,
/// lengths), numbers, enums, a date-time and an array of objects.
pub mod bench {
    include!("../../tests/fixtures/bench.rs");
}

use socketsundso::{ErrorMessage, Incoming};

/// The codes a decoding error may have (README, "The error object").
pub const DECODE_CODES: &[&str] = &[
    "invalid_json",
    "not_an_object",
    "missing_tag",
    "unknown_tag",
    "validation_failed",
];

/// Decodes `text` as a frame of `T`: accepted, or one error with a documented code whose
/// violations point into the message, and whose JSON reads back as the same error.
pub fn check<T: Incoming>(text: &str) {
    let Err(error) = socketsundso::decode::<T>(text) else {
        return;
    };
    assert!(
        DECODE_CODES.contains(&error.code.as_ref()),
        "undocumented code {} for {text:?}",
        error.code
    );
    assert!(!error.message.is_empty());
    for violation in &error.errors {
        assert!(
            violation.path.is_empty() || violation.path.starts_with('/'),
            "not a JSON Pointer: {:?}",
            violation.path
        );
        assert!(!violation.kind.is_empty() && !violation.message.is_empty());
    }
    let wire = error.to_json_tagged(T::TAG_FIELD);
    assert_eq!(
        ErrorMessage::from_json_tagged(&wire, T::TAG_FIELD).as_ref(),
        Some(&error),
        "the error does not read back: {wire}"
    );
}

/// [`check`] for both APIs.
pub fn check_all(text: &str) {
    check::<composite::ClientMessage>(text);
    check::<bench::ClientMessage>(text);
}

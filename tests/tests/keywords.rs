//! The generator warns about schema keywords that the server would not enforce. Its lists must
//! match what the runtime's validator enforces, or a warning would be missing (or wrong).

use std::collections::BTreeSet;

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn generator_and_validator_agree_on_enforced_keywords() {
    assert_eq!(
        set(socketsundso_codegen::keywords::ENFORCED),
        set(socketsundso::validate::ENFORCED_KEYWORDS)
    );
}

#[test]
fn generator_and_validator_agree_on_annotations() {
    assert_eq!(
        set(socketsundso_codegen::keywords::ANNOTATIONS),
        set(socketsundso::validate::ANNOTATION_KEYWORDS)
    );
}

#[test]
fn checked_formats_are_checked_by_the_validator() {
    for format in socketsundso_codegen::keywords::CHECKED_FORMATS {
        let validator = socketsundso::Validator::from_json(&format!(
            r#"{{"schema":{{"type":"string","format":"{format}"}}}}"#
        ))
        .expect("compiles");
        assert!(
            !validator.is_valid(&serde_json::json!("not a valid value of any format ::")),
            "format {format} is not checked"
        );
    }
}

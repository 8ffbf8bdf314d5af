//! [`Constrained`]: strings with rules, the type of every schema string with `maxLength`,
//! `minLength` or `pattern` in generated code, written once and generic over the rules.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;
use std::str::FromStr;

/// The rules of a [`Constrained`] string, implemented by the empty enums of a generated file's
/// `rules` module (through `socketsundso::codegen::string_rules!`).
pub trait StringRules: 'static {
    /// The error of a string that breaks a rule: the generated file's `error::ConversionError`.
    type Error: From<String> + fmt::Display;
    /// The name of the type, for `Debug`.
    const NAME: &'static str;
    /// `maxLength`: at most this many characters (code points).
    const MAX_LENGTH: Option<usize> = None;
    /// `minLength`: at least this many characters (code points).
    const MIN_LENGTH: Option<usize> = None;
    /// `pattern`, as the schema writes it (for the error message).
    const PATTERN: Option<&'static str> = None;

    /// `pattern`, compiled (once, in a static of the implementation).
    fn regex() -> Option<&'static regress::Regex> {
        None
    }

    /// What else the schema asks of the string that no rule above covers (a `format`, ...):
    /// the generated check, which runs on every received message ([`crate::Check`]). It takes
    /// the `String`, as the generated checks of other strings do.
    #[allow(
        clippy::ptr_arg,
        reason = "generated checks call `String` methods on it"
    )]
    fn check(value: &String) -> bool {
        let _ = value;
        true
    }
}

/// A string that meets the rules `R`: the type of every schema string with `maxLength`,
/// `minLength` or `pattern` in generated code.
///
/// A generated file names each such string with an alias, `pub type Code =
/// socketsundso::Constrained<rules::Code>;`, where `rules::Code` (an empty enum in the file's
/// `rules` module) implements [`StringRules`]. The code is here, once, generic over the rules:
/// a document with hundreds of such strings compiles about as fast as one with plain `String`s.
///
/// It can only be made through `FromStr`, `TryFrom<&str>`, `TryFrom<String>` or `Deserialize`,
/// which check the rules (in this order: `maxLength`, `minLength`, `pattern`; the error is the
/// rules' [`StringRules::Error`], with typify's words: `longer than 8 characters`). It derefs to
/// the `String`, converts back into it, compares, orders and hashes as the string, serializes as
/// the string, and prints with `Debug` as `Code("...")`.
pub struct Constrained<R: StringRules>(String, PhantomData<fn() -> R>);

impl<R: StringRules> Constrained<R> {
    /// The first rule that `value` breaks, worded as typify words it.
    fn rule_broken(value: &str) -> Option<String> {
        if R::MAX_LENGTH.is_some() || R::MIN_LENGTH.is_some() {
            let length = value.chars().count();
            if let Some(max) = R::MAX_LENGTH
                && length > max
            {
                return Some(format!("longer than {max} characters"));
            }
            if let Some(min) = R::MIN_LENGTH
                && length < min
            {
                return Some(format!("shorter than {min} characters"));
            }
        }
        if let (Some(regex), Some(pattern)) = (R::regex(), R::PATTERN)
            && regex.find(value).is_none()
        {
            return Some(format!("doesn't match pattern \"{pattern}\""));
        }
        None
    }

    fn new(value: String) -> Result<Self, R::Error> {
        match Self::rule_broken(&value) {
            Some(broken) => Err(R::Error::from(broken)),
            None => Ok(Constrained(value, PhantomData)),
        }
    }
}

impl<R: StringRules> Deref for Constrained<R> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl<R: StringRules> From<Constrained<R>> for String {
    fn from(value: Constrained<R>) -> Self {
        value.0
    }
}

impl<R: StringRules> FromStr for Constrained<R> {
    type Err = R::Error;
    fn from_str(value: &str) -> Result<Self, R::Error> {
        Self::new(value.to_owned())
    }
}

impl<R: StringRules> TryFrom<&str> for Constrained<R> {
    type Error = R::Error;
    fn try_from(value: &str) -> Result<Self, R::Error> {
        Self::new(value.to_owned())
    }
}

impl<R: StringRules> TryFrom<String> for Constrained<R> {
    type Error = R::Error;
    fn try_from(value: String) -> Result<Self, R::Error> {
        Self::new(value)
    }
}

impl<R: StringRules> Clone for Constrained<R> {
    fn clone(&self) -> Self {
        Constrained(self.0.clone(), PhantomData)
    }
}

impl<R: StringRules> fmt::Debug for Constrained<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(R::NAME).field(&self.0).finish()
    }
}

impl<R: StringRules> PartialEq for Constrained<R> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<R: StringRules> Eq for Constrained<R> {}

impl<R: StringRules> PartialOrd for Constrained<R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R: StringRules> Ord for Constrained<R> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl<R: StringRules> Hash for Constrained<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<R: StringRules> serde::Serialize for Constrained<R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, R: StringRules> serde::Deserialize<'de> for Constrained<R> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::new(value).map_err(|e| <D::Error as serde::de::Error>::custom(e.to_string()))
    }
}

impl<R: StringRules> crate::Check for Constrained<R> {
    fn check(&self) -> bool {
        R::check(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Error(String);

    impl From<String> for Error {
        fn from(value: String) -> Self {
            Error(value)
        }
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    enum Code {}

    impl StringRules for Code {
        type Error = Error;
        const NAME: &'static str = "Code";
        const MAX_LENGTH: Option<usize> = Some(6);
        const MIN_LENGTH: Option<usize> = Some(2);
        const PATTERN: Option<&'static str> = Some("^[A-Z]+-\\d$");
        fn regex() -> Option<&'static regress::Regex> {
            static REGEX: std::sync::LazyLock<regress::Regex> = std::sync::LazyLock::new(|| {
                crate::validate::check::regex("^[A-Z]+-\\d$").expect("a valid pattern")
            });
            Some(&REGEX)
        }
    }

    #[test]
    fn rules_are_checked_in_order_with_typifys_messages() {
        let error = |s: &str| s.parse::<Constrained<Code>>().unwrap_err().0;
        assert_eq!(error("ABCDE-1"), "longer than 6 characters");
        assert_eq!(error("A"), "shorter than 2 characters");
        assert_eq!(error("ab-1"), "doesn't match pattern \"^[A-Z]+-\\d$\"");
        // Characters are code points, not bytes.
        assert_eq!(error("ÄÖÜÄÖÜÄ"), "longer than 6 characters");
        let code: Constrained<Code> = "AB-1".parse().unwrap();
        assert_eq!(code.as_str(), "AB-1");
        assert_eq!(format!("{code:?}"), "Code(\"AB-1\")");
        assert_eq!(String::from(code.clone()), "AB-1");
        assert!(Constrained::<Code>::try_from(String::from("Z-9")).is_ok());
    }

    #[test]
    fn serde_reads_and_writes_the_string_and_rejects_a_broken_rule() {
        let code: Constrained<Code> = serde_json::from_str("\"AB-1\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"AB-1\"");
        let error = serde_json::from_str::<Constrained<Code>>("\"ab\"").unwrap_err();
        assert_eq!(error.to_string(), "doesn't match pattern \"^[A-Z]+-\\d$\"");
        assert!(serde_json::from_str::<Constrained<Code>>("12").is_err());
    }
}

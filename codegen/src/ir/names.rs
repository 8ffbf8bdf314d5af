//! Rust names for what the document names: valid identifiers, unique, chosen deterministically.
//!
//! A name that is already taken gets the next free numeric suffix (`User2`), in document order,
//! and a warning says which two nodes met.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;

use crate::error::Warning;
use crate::spec::Document;

/// The Rust names handed out so far.
pub(crate) struct Names {
    /// Rust name → the pointer that claimed it (`""` for names generated code uses itself).
    types: BTreeMap<String, String>,
    methods: BTreeMap<String, String>,
    /// (pointer, wanted, given, holder) of each rename, reported at the end.
    renames: Vec<(String, String, String, String)>,
}

impl Names {
    pub(crate) fn new(reserved: &[&str]) -> Self {
        Names {
            types: reserved
                .iter()
                .map(|r| ((*r).to_owned(), String::new()))
                .collect(),
            methods: ["on_connect", "on_disconnect"]
                .iter()
                .map(|m| ((*m).to_owned(), String::new()))
                .collect(),
            renames: vec![],
        }
    }

    /// A unique type name for the node at `pointer`, starting from `wanted` (already a valid
    /// identifier). `quiet`: the name was made up by the generator, so a rename needs no warning.
    pub(crate) fn claim(&mut self, wanted: &str, pointer: &str, quiet: bool) -> String {
        let given = unique(&mut self.types, wanted, pointer, "");
        if given != wanted && !quiet {
            let holder = self.types.get(wanted).cloned().unwrap_or_default();
            self.renames
                .push((pointer.to_owned(), wanted.to_owned(), given.clone(), holder));
        }
        given
    }

    /// A unique handler method name, starting from `wanted`.
    pub(crate) fn claim_method(&mut self, wanted: &str, pointer: &str) -> String {
        let given = unique(&mut self.methods, wanted, pointer, "_");
        if given != wanted {
            let holder = self.methods.get(wanted).cloned().unwrap_or_default();
            self.renames
                .push((pointer.to_owned(), wanted.to_owned(), given.clone(), holder));
        }
        given
    }

    /// One warning per rename.
    pub(crate) fn take_warnings(&mut self, doc: &Document) -> Vec<Warning> {
        std::mem::take(&mut self.renames)
            .into_iter()
            .map(|(pointer, wanted, given, holder)| Warning {
                location: doc.location(&pointer),
                message: if holder.is_empty() {
                    format!("`{wanted}` is a name that generated code uses itself; this is `{given}` in Rust")
                } else {
                    format!("`{wanted}` is taken by {}; this is `{given}` in Rust", doc.display_pointer(&holder))
                },
            })
            .collect()
    }
}

fn unique(
    taken: &mut BTreeMap<String, String>,
    wanted: &str,
    pointer: &str,
    separator: &str,
) -> String {
    let mut candidate = wanted.to_owned();
    let mut n = 2;
    while taken
        .get(&candidate)
        .is_some_and(|holder| holder != pointer)
    {
        candidate = format!("{wanted}{separator}{n}");
        n += 1;
    }
    taken
        .entry(candidate.clone())
        .or_insert_with(|| pointer.to_owned());
    candidate
}

/// Keeps ASCII letters and digits and turns everything else into word breaks.
pub(crate) fn identifier(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// A valid Rust type name (UpperCamelCase, ASCII) for a key.
pub(crate) fn type_name(raw: &str) -> String {
    let name = identifier(raw).to_upper_camel_case();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("T{name}")
    } else if name == "Self" {
        "SelfType".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers() {
        assert_eq!(type_name("user-joined"), "UserJoined");
        assert_eq!(type_name("2fa code"), "T2faCode");
        assert_eq!(type_name("self"), "SelfType");
        assert_eq!(type_name("über.nachricht"), "BerNachricht");
        assert_eq!(type_name(""), "T");
    }

    #[test]
    fn collisions_get_the_next_free_suffix() {
        let mut names = Names::new(&["Server"]);
        assert_eq!(names.claim("User", "/a", false), "User");
        assert_eq!(
            names.claim("User", "/a", false),
            "User",
            "the same node keeps its name"
        );
        assert_eq!(names.claim("User", "/b", false), "User2");
        assert_eq!(names.claim("User", "/c", false), "User3");
        assert_eq!(names.claim("Server", "/d", false), "Server2");
        assert_eq!(names.renames.len(), 3);
        assert_eq!(names.claim_method("on_connect", "/e"), "on_connect_2");
    }
}

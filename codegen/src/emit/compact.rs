//! Shorter Rust for the two kinds of type that typify writes out in full, impl by impl, for every
//! one: a string newtype with `maxLength`, `minLength` or `pattern` (seven impls, about 80 lines),
//! and an enum of strings (four impls and two serde derives, about 60 lines). A document of 200
//! messages has hundreds of each: they made up most of its generated file, and most of the time
//! to compile it.
//!
//! - A string newtype becomes an alias of the runtime's generic `Constrained<R>`, whose impls
//!   are written once: `pub type Code = ::socketsundso::Constrained<rules::Code>;`. Its rules
//!   (`rules::Code`, an empty enum) are declared at the end of the file (see [`rules_module`]).
//!   It stays a newtype where the file builds it by its constructor (a `default`) or implements a
//!   trait for it (a message payload: `Check`, `From` for the message enums), since neither works
//!   through an alias of a foreign type.
//! - An enum of strings keeps its declaration (the same doc, derives and variants) and gets one
//!   line that calls a macro of the runtime with the same impls
//!   (`socketsundso::codegen::string_enum!`).
//!
//! Only exactly what typify writes is rewritten: the expected impls are rebuilt from the values
//! read out of them and compared token by token, and anything else (another typify version, a
//! type with more rules) stays as it is. This works on typify's tokens before anything is
//! parsed: the impls it drops are most of the output, and not parsing them is much of the time it
//! saves.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Delimiter, Ident, Literal, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};

/// typify's output, shorter.
pub(crate) struct Compacted {
    pub(crate) tokens: TokenStream,
    /// The string newtypes that became aliases of `Constrained<rules::Name>`, with their rules.
    pub(crate) strings: BTreeMap<String, Rules>,
}

/// Rewrites the newtypes and enums in typify's output that have exactly typify's shape. `keep`:
/// the types that must stay newtypes (the message payloads).
pub(crate) fn compact(stream: TokenStream, keep: &BTreeSet<String>) -> Compacted {
    let items = split_items(stream);
    let templates = Templates::new();
    // First the candidates, then whether something else builds them.
    let mut newtypes = vec![];
    let mut replace: BTreeMap<usize, TokenStream> = BTreeMap::new();
    let mut remove = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        match keyword(item).as_deref() {
            Some("struct") => {
                if let Some(newtype) = string_newtype(item, &items[i + 1..], keep, &templates) {
                    for &j in &newtype.used {
                        remove[i + 1 + j] = true;
                    }
                    newtypes.push((i, newtype));
                }
            }
            Some("enum") => {
                if let Some((tokens, used)) = string_enum(item, &items[i + 1..]) {
                    replace.insert(i, tokens);
                    for j in used {
                        remove[i + 1 + j] = true;
                    }
                }
            }
            _ => {}
        }
    }
    let built = constructed(
        items
            .iter()
            .enumerate()
            .filter(|(i, _)| !remove[*i])
            .map(|(_, item)| item),
    );
    let mut strings = BTreeMap::new();
    for (i, newtype) in newtypes {
        if built.contains(&newtype.name) {
            for j in newtype.used {
                remove[i + 1 + j] = false;
            }
            continue;
        }
        replace.insert(i, newtype.alias);
        strings.insert(newtype.name, newtype.rules);
    }
    let mut out = TokenStream::new();
    for (i, item) in items.into_iter().enumerate() {
        if let Some(tokens) = replace.remove(&i) {
            out.extend(tokens);
        } else if !remove[i] {
            out.extend(item);
        }
    }
    Compacted {
        tokens: out,
        strings,
    }
}

/// `pub mod rules { ... }`: the rules of every aliased string newtype, with what else its schema
/// asks of it (`checks`: a boolean expression of `value: &String`, from the generated checks).
pub(crate) fn rules_module(
    strings: &BTreeMap<String, Rules>,
    checks: &BTreeMap<String, TokenStream>,
) -> TokenStream {
    if strings.is_empty() {
        return TokenStream::new();
    }
    let calls = strings.iter().map(|(name, rules)| {
        let ident = format_ident!("{}", name);
        let mut arguments = vec![quote!(#ident)];
        if let Some(n) = rules.max_length {
            let n = Literal::u64_unsuffixed(n);
            arguments.push(quote!(max_length = #n));
        }
        if let Some(n) = rules.min_length {
            let n = Literal::u64_unsuffixed(n);
            arguments.push(quote!(min_length = #n));
        }
        if let Some(pattern) = &rules.pattern {
            arguments.push(quote!(pattern = #pattern));
        }
        if let Some(check) = checks.get(name) {
            arguments.push(quote!(check = |value| #check));
        }
        quote!(::socketsundso::codegen::string_rules!(#(#arguments),*);)
    });
    quote! {
        /// The rules of the strings with `maxLength`, `minLength` or `pattern`: one empty enum for
        /// each, named as its type (see `socketsundso::Constrained`).
        pub mod rules {
            #(#calls)*
        }
    }
}

/// The names that typify's code calls as constructors (`Name(...)`) in defaults: in a
/// `defaults` module, a `Default` impl, or a `TryFrom` that compares with fixed values.
fn constructed<'a>(items: impl Iterator<Item = &'a Vec<TokenTree>>) -> BTreeSet<String> {
    fn walk(tokens: TokenStream, out: &mut BTreeSet<String>) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Ident(ident) => {
                    if matches!(tokens.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
                    {
                        out.insert(ident.to_string());
                    }
                }
                TokenTree::Group(group) => walk(group.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    for item in items {
        let values = keyword(item).is_some_and(|k| k == "mod")
            || impl_of(item, "Default")
            || (impl_of(item, "TryFrom") && text(item).contains(". contains ("));
        if values {
            walk(item.iter().cloned().collect(), &mut out);
        }
    }
    out
}

/// The top-level items of a token stream: each ends with a `{ ... }` body or a `;`.
fn split_items(stream: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut items = vec![];
    let mut current = vec![];
    for token in stream {
        let ends = match &token {
            TokenTree::Group(group) => group.delimiter() == Delimiter::Brace,
            TokenTree::Punct(punct) => punct.as_char() == ';',
            _ => false,
        };
        current.push(token);
        if ends {
            items.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

/// The keyword of an item after its attributes and visibility: `struct`, `enum`, `impl`, ...
fn keyword(item: &[TokenTree]) -> Option<String> {
    let mut tokens = item.iter();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                tokens.next();
            }
            TokenTree::Ident(ident) if ident == "pub" => {}
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => {}
            TokenTree::Ident(ident) => return Some(ident.to_string()),
            _ => return None,
        }
    }
    None
}

/// Whether `item` is an impl of the trait whose path ends in `name` (`impl ::std::str::FromStr
/// for ...`).
fn impl_of(item: &[TokenTree], name: &str) -> bool {
    matches!(item.first(), Some(TokenTree::Ident(i)) if i == "impl")
        && item
            .iter()
            .take_while(|t| !matches!(t, TokenTree::Ident(i) if i == "for"))
            .any(|t| matches!(t, TokenTree::Ident(i) if i == name))
}

/// Tokens as text without the spaces.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Tokens as text, to compare typify's with the expected ones: both come from `quote!`, so the
/// same code is the same text. (Iterating the tokens of a group would copy them.)
fn text(tokens: &[TokenTree]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for token in tokens {
        let _ = write!(out, "{token} ");
    }
    out
}

/// The positions in `following` (the items after a type) of the `expected` impls (as
/// [`text`]), if they come first and in this order. A `Default` impl among them (typify writes
/// one for a `default`) is no part of them: it stays.
fn exactly(following: &[Vec<TokenTree>], expected: &[String]) -> Option<Vec<usize>> {
    let mut used = vec![];
    let mut at = 0;
    for expected in expected {
        if following
            .get(at)
            .is_some_and(|item| impl_of(item, "Default"))
        {
            at += 1;
        }
        if text(following.get(at)?) != *expected {
            return None;
        }
        used.push(at);
        at += 1;
    }
    Some(used)
}

/// A name that no type has, for the texts of [`Templates`].
const PLACEHOLDER: &str = "SocketsundsoPlaceholderName";

/// What typify writes for every string newtype, as [`text`] for the name [`PLACEHOLDER`]: the
/// struct without its docs, and the impls that do not depend on the rules (all but `FromStr`).
struct Templates {
    newtype: String,
    impls: Vec<String>,
}

impl Templates {
    fn new() -> Self {
        let name = format_ident!("{}", PLACEHOLDER);
        let text_of = |tokens: TokenStream| text(&tokens.into_iter().collect::<Vec<_>>());
        Templates {
            newtype: text_of(quote! {
                #[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
                #[serde(transparent)]
                pub struct #name(::std::string::String);
            }),
            impls: newtype_impls(&name, &Rules::default())
                .into_iter()
                .map(text_of)
                .collect(),
        }
    }

    /// The text of the template `text` for the type `name`.
    fn of(text: &str, name: &str) -> String {
        text.replace(PLACEHOLDER, name)
    }
}

/// The doc attributes, the derives (as written) and the other attributes of an item.
struct Attrs<'a> {
    docs: Vec<&'a syn::Attribute>,
    derives: Vec<String>,
    other: Vec<String>,
}

fn attrs(attrs: &[syn::Attribute]) -> Attrs<'_> {
    let mut out = Attrs {
        docs: vec![],
        derives: vec![],
        other: vec![],
    };
    for attr in attrs {
        if attr.path().is_ident("doc") {
            out.docs.push(attr);
        } else if attr.path().is_ident("derive") {
            let _ = attr.parse_nested_meta(|meta| {
                out.derives
                    .push(squeeze(&meta.path.to_token_stream().to_string()));
                Ok(())
            });
        } else {
            out.other.push(squeeze(&attr.to_token_stream().to_string()));
        }
    }
    out
}

/// Whether the derives are exactly these.
fn derives_are(derives: &[String], expected: &[&str]) -> bool {
    let mut derives: Vec<&str> = derives.iter().map(String::as_str).collect();
    let mut expected = expected.to_vec();
    derives.sort_unstable();
    expected.sort_unstable();
    derives == expected
}

/// `#[derive(...)]` of the derives that are not serde's, in the order given.
fn std_derives(derives: &[String]) -> TokenStream {
    let paths: Vec<TokenStream> = derives
        .iter()
        .filter(|d| !d.starts_with("::serde::"))
        .map(|d| d.parse().unwrap_or_default())
        .collect();
    quote!(#[derive(#(#paths),*)])
}

/// A string newtype that can become an alias.
struct Newtype {
    name: String,
    rules: Rules,
    /// `pub type Name = ::socketsundso::Constrained<rules::Name>;` with the docs.
    alias: TokenStream,
    /// Where its impls are among the items after it.
    used: Vec<usize>,
}

/// A typify string newtype with rules: `pub struct X(String)` and its seven impls, all as
/// typify writes them, with nothing between them (a `Default` would build it by its
/// constructor).
fn string_newtype(
    item: &[TokenTree],
    following: &[Vec<TokenTree>],
    keep: &BTreeSet<String>,
    templates: &Templates,
) -> Option<Newtype> {
    // The doc attributes first: `#` and `[doc = "..."]`.
    let mut at = 0;
    while let (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
        (item.get(at), item.get(at + 1))
        && p.as_char() == '#'
        && g.delimiter() == Delimiter::Bracket
        && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc")
    {
        at += 2;
    }
    let (docs, rest) = item.split_at(at);
    let name = rest
        .iter()
        .skip_while(|t| !matches!(t, TokenTree::Ident(i) if i == "struct"))
        .nth(1)
        .map(ToString::to_string)?;
    if keep.contains(&name) || text(rest) != Templates::of(&templates.newtype, &name) {
        return None;
    }
    // The rules, read from `FromStr`, then checked by rebuilding all of it.
    let from_str = following
        .iter()
        .take(3)
        .find(|item| impl_of(item, "FromStr"))?;
    let rules = rules(from_str);
    let ident = format_ident!("{}", name);
    let mut expected: Vec<String> = templates
        .impls
        .iter()
        .map(|t| Templates::of(t, &name))
        .collect();
    expected[2] = text(
        &from_str_impl(&ident, &rules)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    let used = exactly(following, &expected)?;
    if used.last().is_some_and(|&last| last + 1 != used.len()) {
        return None;
    }
    let docs: TokenStream = docs.iter().cloned().collect();
    let alias = quote! {
        #docs
        pub type #ident = ::socketsundso::Constrained<rules::#ident>;
    };
    Some(Newtype {
        name,
        rules,
        alias,
        used,
    })
}

/// A string newtype's rules, as typify checks them.
#[derive(Default)]
pub(crate) struct Rules {
    max_length: Option<u64>,
    min_length: Option<u64>,
    pattern: Option<String>,
}

/// The rules of a typify `FromStr` of a string newtype: `> N` is `maxLength`, `< N` is
/// `minLength`, the string in `Regex::new(...)` is the pattern. Whether the rest is typify's code
/// is checked by rebuilding it (see [`newtype_impls`]).
fn rules(from_str: &[TokenTree]) -> Rules {
    fn walk(tokens: &[TokenTree], rules: &mut Rules) {
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Punct(p) if matches!(p.as_char(), '<' | '>') => {
                    if let Some(TokenTree::Literal(n)) = tokens.get(i + 1)
                        && let Some(n) = n.to_string().strip_suffix("usize")
                        && let Ok(n) = n.parse()
                    {
                        if p.as_char() == '>' {
                            rules.max_length = Some(n);
                        } else {
                            rules.min_length = Some(n);
                        }
                    }
                }
                TokenTree::Group(group) => {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    if group.delimiter() == Delimiter::Parenthesis
                        && i > 0
                        && matches!(&tokens[i - 1], TokenTree::Ident(id) if id == "new")
                        && let [TokenTree::Literal(literal)] = &inner[..]
                        && let Ok(s) = syn::parse2::<syn::LitStr>(literal.to_token_stream())
                    {
                        rules.pattern = Some(s.value());
                    }
                    walk(&inner, rules);
                }
                _ => {}
            }
        }
    }
    let mut rules = Rules::default();
    walk(from_str, &mut rules);
    rules
}

/// What typify 0.8 writes for a string newtype with these rules (`output_newtype` with
/// `TypeEntryNewtypeConstraints::String`), besides the struct.
fn newtype_impls(name: &Ident, rules: &Rules) -> Vec<TokenStream> {
    let from_str = from_str_impl(name, rules);
    vec![
        quote! {
            impl ::std::ops::Deref for #name {
                type Target = ::std::string::String;
                fn deref(&self) -> &::std::string::String {
                    &self.0
                }
            }
        },
        quote! {
            impl ::std::convert::From<#name> for ::std::string::String {
                fn from(value: #name) -> Self {
                    value.0
                }
            }
        },
        from_str,
        quote! {
            impl ::std::convert::TryFrom<&str> for #name {
                type Error = self::error::ConversionError;

                fn try_from(value: &str) ->
                    ::std::result::Result<Self, self::error::ConversionError>
                {
                    value.parse()
                }
            }
        },
        quote! {
            impl ::std::convert::TryFrom<::std::string::String> for #name {
                type Error = self::error::ConversionError;

                fn try_from(value: ::std::string::String) ->
                    ::std::result::Result<Self, self::error::ConversionError>
                {
                    value.parse()
                }
            }
        },
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D>(
                    deserializer: D,
                ) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    ::std::string::String::deserialize(deserializer)?
                    .parse()
                    .map_err(|e: self::error::ConversionError| {
                        <D::Error as ::serde::de::Error>::custom(
                            e.to_string(),
                        )
                    })
                }
            }
        },
    ]
}
/// typify's `FromStr` of a string newtype with these rules.
fn from_str_impl(name: &Ident, rules: &Rules) -> TokenStream {
    let max = rules.max_length.map(|v| {
        let v = v as usize;
        let err = format!("longer than {v} characters");
        quote! {
            if value.chars().count() > #v {
                return Err(#err.into());
            }
        }
    });
    let min = rules.min_length.map(|v| {
        let v = v as usize;
        let err = format!("shorter than {v} characters");
        quote! {
            if value.chars().count() < #v {
                return Err(#err.into());
            }
        }
    });
    let pattern = rules.pattern.as_ref().map(|p| {
        let err = format!("doesn't match pattern \"{p}\"");
        quote! {
            static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(|| {
                ::regress::Regex::new(#p).unwrap()
            });
            if PATTERN.find(value).is_none() {
                return Err(#err.into());
            }
        }
    });
    quote! {
        impl ::std::str::FromStr for #name {
            type Err = self::error::ConversionError;

            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                #max
                #min
                #pattern

                Ok(Self(value.to_string()))
            }
        }
    }
}

/// A typify enum of strings: unit variants, serde's derives with a `rename` per variant where
/// the name differs, and `Display`, `FromStr` and two `TryFrom`s.
fn string_enum(
    item: &[TokenTree],
    following: &[Vec<TokenTree>],
) -> Option<(TokenStream, Vec<usize>)> {
    let item: syn::ItemEnum = syn::parse2(item.iter().cloned().collect()).ok()?;
    if !item.generics.params.is_empty() || item.variants.is_empty() {
        return None;
    }
    let found = attrs(&item.attrs);
    if !found.other.is_empty()
        || !derives_are(
            &found.derives,
            &[
                "::serde::Serialize",
                "::serde::Deserialize",
                "Clone",
                "Copy",
                "Debug",
                "Eq",
                "Hash",
                "Ord",
                "PartialEq",
                "PartialOrd",
            ],
        )
    {
        return None;
    }
    let mut variants: Vec<syn::Variant> = vec![];
    let mut values: Vec<String> = vec![];
    for variant in &item.variants {
        if !matches!(variant.fields, syn::Fields::Unit) || variant.discriminant.is_some() {
            return None;
        }
        let mut value = variant.ident.to_string();
        let mut kept = variant.clone();
        kept.attrs.clear();
        for attr in &variant.attrs {
            if attr.path().is_ident("doc") {
                kept.attrs.push(attr.clone());
            } else if attr.path().is_ident("serde") {
                value = rename(attr)?;
            } else {
                return None;
            }
        }
        variants.push(kept);
        values.push(value);
    }
    let ident = &item.ident;
    let idents: Vec<&syn::Ident> = item.variants.iter().map(|v| &v.ident).collect();
    let expected: Vec<String> = enum_impls(ident, &idents, &values)
        .into_iter()
        .map(|tokens| text(&tokens.into_iter().collect::<Vec<_>>()))
        .collect();
    let used = exactly(following, &expected)?;
    let docs = &found.docs;
    let derive = std_derives(&found.derives);
    let vis = &item.vis;
    let tokens = quote! {
        #(#docs)*
        #derive
        #vis enum #ident {
            #(#variants),*
        }

        ::socketsundso::codegen::string_enum!(#ident { #(#idents = #values),* });
    };
    Some((tokens, used))
}

/// The value of `#[serde(rename = "...")]`, the only serde attribute typify puts on a variant of
/// an enum of strings.
fn rename(attr: &syn::Attribute) -> Option<String> {
    let mut value = None;
    let mut other = false;
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            let s: syn::LitStr = meta.value()?.parse()?;
            value = Some(s.value());
        } else {
            other = true;
        }
        Ok(())
    })
    .ok()?;
    if other { None } else { value }
}

/// What typify 0.8 writes for an enum of strings besides the enum (`output_enum` with
/// `TypeEntryEnumImpl::AllSimpleVariants`).
fn enum_impls(name: &syn::Ident, variants: &[&syn::Ident], values: &[String]) -> Vec<TokenStream> {
    let idents: Vec<Ident> = variants.iter().map(|v| format_ident!("{}", v)).collect();
    vec![
        quote! {
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match *self {
                        #(Self::#idents => f.write_str(#values),)*
                    }
                }
            }
        },
        quote! {
            impl ::std::str::FromStr for #name {
                type Err = self::error::ConversionError;

                fn from_str(value: &str) ->
                    ::std::result::Result<Self, self::error::ConversionError>
                {
                    match value {
                        #(#values => Ok(Self::#idents),)*
                        _ => Err("invalid value".into()),
                    }
                }
            }
        },
        quote! {
            impl ::std::convert::TryFrom<&str> for #name {
                type Error = self::error::ConversionError;

                fn try_from(value: &str) ->
                    ::std::result::Result<Self, self::error::ConversionError>
                {
                    value.parse()
                }
            }
        },
        quote! {
            impl ::std::convert::TryFrom<::std::string::String> for #name {
                type Error = self::error::ConversionError;

                fn try_from(value: ::std::string::String) ->
                    ::std::result::Result<Self, self::error::ConversionError>
                {
                    value.parse()
                }
            }
        },
    ]
}

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
//! saves. The tokens are taken apart once into a tree of their own ([`Tok`]), so that comparing
//! and reading them neither copies them nor formats them as text.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};

use super::view::Lifted;

/// typify's output, shorter, with its paths to serde and friends through the runtime's
/// re-exports (as [`super::rust::reexport_in`] makes them).
pub(crate) struct Compacted {
    pub(crate) tokens: TokenStream,
    /// The string newtypes that became aliases of `Constrained<rules::Name>`, with their rules.
    pub(crate) strings: BTreeMap<String, Rules>,
}

/// Rewrites the newtypes and enums in typify's output that have exactly typify's shape. `keep`:
/// the types that must stay newtypes (the message payloads). `lifted`: the strings that
/// [`super::view::lift_strings`] took out of typify's hands, each of which typify wrote as a
/// struct that stands in for it; they become aliases like the newtypes, and the fields of them
/// get the doc comment typify gives a string's field. `None` if one of them is not there
/// exactly once as that struct, or its name is used anywhere but in one field (typify gave
/// another schema of the same name that type, or something builds it): typify must then see the
/// strings themselves.
pub(crate) fn compact(
    stream: TokenStream,
    keep: &BTreeSet<String>,
    lifted: &[Lifted],
) -> Option<Compacted> {
    let mut items = split_items(own(stream));
    let mut templates = Templates::new();
    // First the candidates, then whether something else builds them.
    let mut newtypes = vec![];
    let mut stand_ins = vec![None; lifted.len()];
    let mut stand_in_items = BTreeSet::new();
    let mut replace: BTreeMap<usize, TokenStream> = BTreeMap::new();
    let mut remove = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        match keyword(item) {
            Some("struct") => {
                if let Some((n, newtype)) = stand_in(item, lifted) {
                    if stand_ins[n].is_some() || keep.contains(&newtype.name) {
                        return None;
                    }
                    stand_ins[n] = Some(newtype.name.clone());
                    stand_in_items.insert(i);
                    newtypes.push((i, newtype));
                } else if let Some(newtype) =
                    string_newtype(item, &items[i + 1..], keep, &mut templates)
                {
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
    if stand_ins.iter().any(Option::is_none) {
        return None;
    }
    if !lifted.is_empty() {
        let names: BTreeMap<String, usize> = stand_ins
            .iter()
            .enumerate()
            .filter_map(|(n, name)| Some((name.clone()?, n)))
            .collect();
        if !used_once(&items, &stand_in_items, &names, lifted.len()) {
            return None;
        }
        for item in &mut items {
            if keyword(item) == Some("struct")
                && let Some(Tok::Group(Delimiter::Brace, _, body)) = item.last_mut()
            {
                document_fields(body, &names, lifted);
            }
        }
    }
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
    let prefix: Vec<TokenTree> = super::rust::CODEGEN
        .parse::<TokenStream>()
        .expect("a valid path")
        .into_iter()
        .collect();
    let mut out: Vec<TokenTree> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if let Some(tokens) = replace.remove(&i) {
            out.extend(super::rust::reexport_in(tokens, &prefix));
        } else if !remove[i] {
            give_back(item, &prefix, &mut out);
        }
    }
    Some(Compacted {
        tokens: out.into_iter().collect(),
        strings,
    })
}

/// Whether each of the `count` stand-ins (`names`: name → index) is used by one field of one
/// struct and nowhere else, outside its declaration (the items at `decls`).
fn used_once(
    items: &[Vec<Tok>],
    decls: &BTreeSet<usize>,
    names: &BTreeMap<String, usize>,
    count: usize,
) -> bool {
    /// Counts the identifiers of `tokens` that are stand-ins' names, except in attributes
    /// (derives, serde's options, docs: never a type of the file). `text`: a buffer for the
    /// identifiers' text.
    fn uses_in(
        tokens: &[Tok],
        names: &BTreeMap<String, usize>,
        uses: &mut [usize],
        text: &mut String,
    ) {
        let mut after_hash = false;
        for token in tokens {
            match token {
                Tok::Ident(ident) => {
                    use std::fmt::Write as _;
                    text.clear();
                    let _ = write!(text, "{ident}");
                    if let Some(&n) = names.get(text.as_str()) {
                        uses[n] += 1;
                    }
                }
                Tok::Group(Delimiter::Bracket, ..) if after_hash => {}
                Tok::Group(_, _, inner) => uses_in(inner, names, uses, text),
                Tok::Punct(_) | Tok::Literal(_) => {}
            }
            after_hash = matches!(token, Tok::Punct(p) if p.as_char() == '#');
        }
    }
    let mut uses = vec![0; count];
    let mut text = String::new();
    for (i, item) in items.iter().enumerate() {
        if !decls.contains(&i) {
            uses_in(item, names, &mut uses, &mut text);
        }
    }
    uses.iter().all(|&n| n == 1)
}

/// Gives the fields of a struct's `body` whose type is a lifted property's stand-in (`X` or
/// `::std::option::Option<X>`) the property's doc comment, where they have none, as typify
/// writes it for a string (on the field as well as on its type; an object's only on the type):
/// first, before the serde attributes.
fn document_fields(body: &mut Vec<Tok>, names: &BTreeMap<String, usize>, lifted: &[Lifted]) {
    let mut starts = vec![0];
    let mut depth = 0i32;
    for (i, token) in body.iter().enumerate() {
        if let Tok::Punct(p) = token {
            match p.as_char() {
                '<' => depth += 1,
                '>' => depth -= 1,
                ',' if depth == 0 => starts.push(i + 1),
                _ => {}
            }
        }
    }
    // From the last field, so that an insertion leaves the earlier starts as they are.
    for window in starts.windows(2).rev() {
        let field = &body[window[0]..window[1] - 1];
        let documented = doc_attrs(field) > 0;
        let Some(colon) = field
            .iter()
            .position(|t| matches!(t, Tok::Punct(p) if p.as_char() == ':' && p.spacing() == proc_macro2::Spacing::Alone))
        else {
            continue;
        };
        let ty = &field[colon + 1..];
        let stand_in = match ty {
            [Tok::Ident(x)] => Some(x),
            [
                ..,
                Tok::Ident(option),
                Tok::Punct(open),
                Tok::Ident(x),
                Tok::Punct(close),
            ] if option == "Option" && open.as_char() == '<' && close.as_char() == '>' => Some(x),
            _ => None,
        };
        let doc = stand_in
            .and_then(|x| names.get(&x.to_string()))
            .and_then(|&n| lifted[n].field_doc.as_deref());
        if let (Some(doc), false) = (doc, documented) {
            let attr: Vec<Tok> = own(quote!(#[doc = #doc]));
            body.splice(window[0]..window[0], attr);
        }
    }
}

/// How many tokens of the doc attributes (`#` and `[doc = "..."]`) `tokens` start with.
fn doc_attrs(tokens: &[Tok]) -> usize {
    tokens
        .chunks(2)
        .take_while(|pair| {
            matches!(pair, [Tok::Punct(p), Tok::Group(Delimiter::Bracket, _, inner)]
                if p.as_char() == '#' && matches!(inner.first(), Some(Tok::Ident(i)) if i == "doc"))
        })
        .count()
        * 2
}

/// The struct that typify wrote for the `n`th lifted string (see
/// [`super::view::lift_strings`]): its docs, `#[derive(..)]`, `#[serde(deny_unknown_fields)]`
/// and `pub struct Name { pub socketsundso_lifted_string_n: bool, }`. As an alias, with the
/// string's rules.
fn stand_in(item: &[Tok], lifted: &[Lifted]) -> Option<(usize, Newtype)> {
    let [
        ..,
        Tok::Ident(keyword),
        Tok::Ident(name),
        Tok::Group(Delimiter::Brace, _, body),
    ] = item
    else {
        return None;
    };
    let [
        Tok::Ident(public),
        Tok::Ident(field),
        Tok::Punct(colon),
        Tok::Ident(ty),
        Tok::Punct(comma),
    ] = &body[..]
    else {
        return None;
    };
    let n: usize = field
        .to_string()
        .strip_prefix(super::view::LIFTED)?
        .parse()
        .ok()?;
    let string = &lifted.get(n)?.string;
    if keyword != "struct"
        || public != "pub"
        || colon.as_char() != ':'
        || ty != "bool"
        || comma.as_char() != ','
    {
        return None;
    }
    let docs = stream_of(&item[..doc_attrs(item)]);
    let ident = format_ident!("{}", name.to_string());
    let length = |key: &str| string.get(key).and_then(serde_json::Value::as_u64);
    Some((
        n,
        Newtype {
            name: ident.to_string(),
            rules: Rules {
                max_length: length("maxLength"),
                min_length: length("minLength"),
                pattern: string
                    .get("pattern")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
            },
            alias: quote! {
                #docs
                pub type #ident = ::socketsundso::Constrained<rules::#ident>;
            },
            used: vec![],
        },
    ))
}

/// A token of typify's output, owned: a group holds its tokens in a `Vec` that can be read
/// without copying them (a `proc_macro2::Group` copies its stream to iterate it).
enum Tok {
    Ident(Ident),
    Punct(Punct),
    Literal(Literal),
    Group(Delimiter, Span, Vec<Tok>),
}

/// Takes `stream` apart into [`Tok`]s. A group whose stream nobody else holds gives it up
/// without a copy.
fn own(stream: TokenStream) -> Vec<Tok> {
    stream
        .into_iter()
        .map(|token| match token {
            TokenTree::Ident(ident) => Tok::Ident(ident),
            TokenTree::Punct(punct) => Tok::Punct(punct),
            TokenTree::Literal(literal) => Tok::Literal(literal),
            TokenTree::Group(group) => {
                let (delimiter, span, stream) = (group.delimiter(), group.span(), group.stream());
                drop(group);
                Tok::Group(delimiter, span, own(stream))
            }
        })
        .collect()
}

/// [`own`] undone: the tokens appended to `out`, with leading `::serde`, `::serde_json`, … as
/// `::socketsundso::codegen::serde`, … (`prefix`: that path's tokens), as
/// [`super::rust::reexport_in`] rewrites them, in the same pass.
fn give_back(mut tokens: Vec<Tok>, prefix: &[TokenTree], out: &mut Vec<TokenTree>) {
    use super::rust::{CODEGEN, REEXPORTED};
    use proc_macro2::Spacing;
    tokens.reverse();
    while let Some(token) = tokens.pop() {
        let leading = match out.last() {
            Some(TokenTree::Ident(ident)) => [
                "as", "dyn", "impl", "for", "where", "in", "return", "mut", "pub",
            ]
            .iter()
            .any(|k| ident == k),
            Some(TokenTree::Punct(p)) => p.as_char() != '>' || p.spacing() == Spacing::Alone,
            _ => true,
        };
        let n = tokens.len();
        let reexported = leading
            && matches!(&token, Tok::Punct(a) if a.as_char() == ':' && a.spacing() == Spacing::Joint)
            && matches!(tokens.last(), Some(Tok::Punct(b)) if b.as_char() == ':')
            && n >= 2
            && matches!(&tokens[n - 2], Tok::Ident(name) if REEXPORTED.iter().any(|r| name == r));
        if reexported {
            out.extend(prefix.iter().cloned());
            for token in [Some(token), tokens.pop(), tokens.pop()]
                .into_iter()
                .flatten()
            {
                if let Tok::Punct(punct) = token {
                    out.push(TokenTree::Punct(punct));
                } else if let Tok::Ident(ident) = token {
                    out.push(TokenTree::Ident(ident));
                }
            }
            continue;
        }
        match token {
            Tok::Ident(ident) => out.push(TokenTree::Ident(ident)),
            Tok::Punct(punct) => out.push(TokenTree::Punct(punct)),
            Tok::Literal(literal) => {
                // Paths inside attribute strings (`skip_serializing_if = "::serde_json::Map::is_empty"`).
                let text = literal.to_string();
                if !text.contains("\"::") {
                    out.push(TokenTree::Literal(literal));
                    continue;
                }
                let rewritten = REEXPORTED.iter().fold(text.clone(), |text, name| {
                    text.replace(&format!("\"::{name}::"), &format!("\"{CODEGEN}::{name}::"))
                });
                if rewritten == text {
                    out.push(TokenTree::Literal(literal));
                } else {
                    let parsed: TokenStream =
                        rewritten.parse().expect("a rewritten string literal");
                    out.extend(parsed);
                }
            }
            Tok::Group(delimiter, span, inner) => {
                let mut tokens = Vec::with_capacity(inner.len());
                give_back(inner, prefix, &mut tokens);
                let mut group = Group::new(delimiter, tokens.into_iter().collect());
                group.set_span(span);
                out.push(TokenTree::Group(group));
            }
        }
    }
}

/// Copies of `tokens` as a stream (for the few items that syn reads).
fn stream_of(tokens: &[Tok]) -> TokenStream {
    tokens
        .iter()
        .map(|token| match token {
            Tok::Ident(ident) => TokenTree::Ident(ident.clone()),
            Tok::Punct(punct) => TokenTree::Punct(punct.clone()),
            Tok::Literal(literal) => TokenTree::Literal(literal.clone()),
            Tok::Group(delimiter, span, inner) => {
                let mut group = Group::new(*delimiter, stream_of(inner));
                group.set_span(*span);
                TokenTree::Group(group)
            }
        })
        .collect()
}

/// Whether `tokens` are the `expected` ones, where the identifier [`PLACEHOLDER`] in
/// `expected` stands for `name`.
fn same(tokens: &[Tok], expected: &[Tok], name: &str) -> bool {
    tokens.len() == expected.len()
        && tokens.iter().zip(expected).all(|(a, b)| match (a, b) {
            (Tok::Ident(a), Tok::Ident(b)) => {
                if b == PLACEHOLDER {
                    a == name
                } else {
                    a == b
                }
            }
            (Tok::Punct(a), Tok::Punct(b)) => {
                a.as_char() == b.as_char() && a.spacing() == b.spacing()
            }
            (Tok::Literal(a), Tok::Literal(b)) => a.to_string() == b.to_string(),
            (Tok::Group(da, _, a), Tok::Group(db, _, b)) => da == db && same(a, b, name),
            _ => false,
        })
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
fn constructed<'a>(items: impl Iterator<Item = &'a Vec<Tok>>) -> BTreeSet<String> {
    fn walk(tokens: &[Tok], out: &mut BTreeSet<String>) {
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Tok::Ident(ident) => {
                    if matches!(
                        tokens.get(i + 1),
                        Some(Tok::Group(Delimiter::Parenthesis, ..))
                    ) {
                        out.insert(ident.to_string());
                    }
                }
                Tok::Group(_, _, inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    /// Whether the tokens call a method `contains` (`x.contains(..)`).
    fn calls_contains(tokens: &[Tok]) -> bool {
        tokens.iter().enumerate().any(|(i, token)| match token {
            Tok::Punct(p) if p.as_char() == '.' => {
                matches!(tokens.get(i + 1), Some(Tok::Ident(m)) if m == "contains")
                    && matches!(
                        tokens.get(i + 2),
                        Some(Tok::Group(Delimiter::Parenthesis, ..))
                    )
            }
            Tok::Group(_, _, inner) => calls_contains(inner),
            _ => false,
        })
    }
    let mut out = BTreeSet::new();
    for item in items {
        let values = keyword(item) == Some("mod")
            || impl_of(item, "Default")
            || (impl_of(item, "TryFrom") && calls_contains(item));
        if values {
            walk(item, &mut out);
        }
    }
    out
}

/// The top-level items of a token stream: each ends with a `{ ... }` body or a `;`.
fn split_items(tokens: Vec<Tok>) -> Vec<Vec<Tok>> {
    let mut items = vec![];
    let mut current = vec![];
    for token in tokens {
        let ends = match &token {
            Tok::Group(delimiter, ..) => *delimiter == Delimiter::Brace,
            Tok::Punct(punct) => punct.as_char() == ';',
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
fn keyword(item: &[Tok]) -> Option<&'static str> {
    let mut tokens = item.iter();
    while let Some(token) = tokens.next() {
        match token {
            Tok::Punct(p) if p.as_char() == '#' => {
                tokens.next();
            }
            Tok::Ident(ident) if ident == "pub" => {}
            Tok::Group(Delimiter::Parenthesis, ..) => {}
            Tok::Ident(ident) => {
                return [
                    "struct", "enum", "impl", "mod", "type", "fn", "use", "const", "static",
                ]
                .into_iter()
                .find(|k| ident == k);
            }
            _ => return None,
        }
    }
    None
}

/// Whether `item` is an impl of the trait whose path ends in `name` (`impl ::std::str::FromStr
/// for ...`).
fn impl_of(item: &[Tok], name: &str) -> bool {
    matches!(item.first(), Some(Tok::Ident(i)) if i == "impl")
        && item
            .iter()
            .take_while(|t| !matches!(t, Tok::Ident(i) if i == "for"))
            .any(|t| matches!(t, Tok::Ident(i) if i == name))
}

/// Tokens as text without the spaces.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The positions in `following` (the items after a type) of the `expected` impls (with
/// [`PLACEHOLDER`] for `name`), if they come first and in this order. A `Default` impl among
/// them (typify writes one for a `default`) is no part of them: it stays.
fn exactly(following: &[Vec<Tok>], expected: &[&[Tok]], name: &str) -> Option<Vec<usize>> {
    let mut used = vec![];
    let mut at = 0;
    for expected in expected {
        if following
            .get(at)
            .is_some_and(|item| impl_of(item, "Default"))
        {
            at += 1;
        }
        if !same(following.get(at)?, expected, name) {
            return None;
        }
        used.push(at);
        at += 1;
    }
    Some(used)
}

/// A name that no type has, for the texts of [`Templates`].
const PLACEHOLDER: &str = "SocketsundsoPlaceholderName";

/// What typify writes for every string newtype, for the name [`PLACEHOLDER`]: the struct
/// without its docs, and its impls; the `FromStr` impl depends on the rules, and is made once
/// for each set of rules.
struct Templates {
    newtype: Vec<Tok>,
    impls: Vec<Vec<Tok>>,
    from_str: BTreeMap<RulesKey, Vec<Tok>>,
}

/// [`Rules`] as a map key: `maxLength`, `minLength`, `pattern`.
type RulesKey = (Option<u64>, Option<u64>, Option<String>);

impl Templates {
    fn new() -> Self {
        let name = format_ident!("{}", PLACEHOLDER);
        Templates {
            newtype: own(quote! {
                #[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
                #[serde(transparent)]
                pub struct #name(::std::string::String);
            }),
            impls: newtype_impls(&name, &Rules::default())
                .into_iter()
                .map(own)
                .collect(),
            from_str: BTreeMap::new(),
        }
    }

    /// The impls of a string newtype with these rules, in typify's order.
    fn impls(&mut self, rules: &Rules) -> Vec<&[Tok]> {
        let key = (rules.max_length, rules.min_length, rules.pattern.clone());
        let from_str = self
            .from_str
            .entry(key)
            .or_insert_with(|| own(from_str_impl(&format_ident!("{}", PLACEHOLDER), rules)));
        let mut impls: Vec<&[Tok]> = self.impls.iter().map(Vec::as_slice).collect();
        impls[2] = from_str;
        impls
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
    item: &[Tok],
    following: &[Vec<Tok>],
    keep: &BTreeSet<String>,
    templates: &mut Templates,
) -> Option<Newtype> {
    let (docs, rest) = item.split_at(doc_attrs(item));
    let name = rest
        .iter()
        .skip_while(|t| !matches!(t, Tok::Ident(i) if i == "struct"))
        .nth(1)
        .and_then(|t| match t {
            Tok::Ident(ident) => Some(ident.to_string()),
            _ => None,
        })?;
    if keep.contains(&name) || !same(rest, &templates.newtype, &name) {
        return None;
    }
    // The rules, read from `FromStr`, then checked by rebuilding all of it.
    let from_str = following
        .iter()
        .take(3)
        .find(|item| impl_of(item, "FromStr"))?;
    let rules = rules(from_str);
    let used = exactly(following, &templates.impls(&rules), &name)?;
    if used.last().is_some_and(|&last| last + 1 != used.len()) {
        return None;
    }
    let ident = format_ident!("{}", name);
    let docs = stream_of(docs);
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
#[derive(Default, PartialEq)]
pub(crate) struct Rules {
    max_length: Option<u64>,
    min_length: Option<u64>,
    pattern: Option<String>,
}

/// The rules of a typify `FromStr` of a string newtype: `> N` is `maxLength`, `< N` is
/// `minLength`, the string in `Regex::new(...)` is the pattern. Whether the rest is typify's code
/// is checked by rebuilding it (see [`newtype_impls`]).
fn rules(from_str: &[Tok]) -> Rules {
    fn walk(tokens: &[Tok], rules: &mut Rules) {
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Tok::Punct(p) if matches!(p.as_char(), '<' | '>') => {
                    if let Some(Tok::Literal(n)) = tokens.get(i + 1)
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
                Tok::Group(delimiter, _, inner) => {
                    if *delimiter == Delimiter::Parenthesis
                        && i > 0
                        && matches!(&tokens[i - 1], Tok::Ident(id) if id == "new")
                        && let [Tok::Literal(literal)] = &inner[..]
                        && let Ok(s) = syn::parse2::<syn::LitStr>(literal.to_token_stream())
                    {
                        rules.pattern = Some(s.value());
                    }
                    walk(inner, rules);
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
fn string_enum(item: &[Tok], following: &[Vec<Tok>]) -> Option<(TokenStream, Vec<usize>)> {
    let item: syn::ItemEnum = syn::parse2(stream_of(item)).ok()?;
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
    let expected: Vec<Vec<Tok>> = enum_impls(ident, &idents, &values)
        .into_iter()
        .map(own)
        .collect();
    let expected: Vec<&[Tok]> = expected.iter().map(Vec::as_slice).collect();
    let used = exactly(following, &expected, "")?;
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

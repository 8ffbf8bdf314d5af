//! The Rust emitter: payload types from typify, glue code from askama templates, everything
//! formatted by prettyplease.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use askama::Template;
use proc_macro2::{Group, Spacing, TokenStream, TokenTree};
use schemars::schema::Schema as JsonSchema;
use syn::visit_mut::{self, VisitMut};

use super::check::{Checks, FieldFix, serde_rename, validator_document};
use crate::error::{Error, Location, Result};
use crate::ir::{Api, Message, Reply};

/// Crates that typify's output names with absolute paths; generated code reaches them through
/// the runtime's re-export module instead, so users depend on `socketsundso` alone.
pub(super) const REEXPORTED: &[&str] = &["serde", "serde_json", "regress", "chrono", "uuid"];

/// The path of the runtime's re-export module.
pub(super) const CODEGEN: &str = "::socketsundso::codegen";

/// Renders the Rust file for `api`. `source` names the spec in the header. With `client`, the
/// file also gets the `client` module: a typed Rust client of the API (it needs the runtime's
/// `client` feature).
///
/// A large document's payload types are made in two parts at once, on two threads (see
/// [`emit_parts`]), unless its payloads have `default`s; the file is the same.
pub(crate) fn emit(api: &Api, source: &str, client: bool) -> Result<String> {
    let parallel = std::thread::available_parallelism().map_or(1, usize::from);
    // typify writes the functions of the payloads' `default`s into one module, which the parts
    // would each have a piece of: such a document is made in one part from the start.
    let defaults = api.messages.iter().any(|m| has_default(&m.payload.schema));
    let parts = if api.messages.len() >= SPLIT_FROM && parallel >= 2 && !defaults {
        2
    } else {
        1
    };
    emit_parts(api, source, client, parts)
}

/// Whether `schema` has a `default` anywhere (perhaps as a property's name: that only costs the
/// second thread).
fn has_default(schema: &serde_json::Value) -> bool {
    match schema {
        serde_json::Value::Object(object) => {
            object.contains_key("default") || object.values().any(has_default)
        }
        serde_json::Value::Array(items) => items.iter().any(has_default),
        _ => false,
    }
}

/// From how many messages [`emit`] makes the payload types in two parts. Below, a second
/// thread saves less than it costs.
const SPLIT_FROM: usize = 64;

/// [`emit`] with the payload types made in `parts` parts, each on its own thread: the messages
/// are cut into `parts` runs of the document's order, and each part makes the types, checks and
/// rules of its messages and of all definitions, and prints them. The printed items are merged
/// back in the order one part would have written them: typify's types by name, the checks the
/// definitions' first and then the messages' in order, the rules by name. Meanwhile another
/// thread makes the glue, which needs only the names of the open structs from the parts. Where
/// two parts disagree about an item both have (a definition's type, say), or something fails,
/// the file is made in one part, so the code and any error are always the one part's.
pub(crate) fn emit_parts(api: &Api, source: &str, client: bool, parts: usize) -> Result<String> {
    if parts > 1
        && let Some(code) = code_in_parts(api, client, parts)
    {
        return Ok(finish(api, source, &code));
    }
    let types = Types::of(api)?;
    glue_clashes(api, types.names())?;
    let rules = types.rules()?;
    let mut file = glue_file(api, client, &types.open_objects)?;
    file.items.extend(types.types);
    file.items.extend(types.checks);
    file.items.extend(rules.items);
    polish(&mut file);
    Ok(finish(api, source, &prettyplease::unparse(&file)))
}

/// The code of [`emit_parts`] made in parts, before [`finish`]; `None` where the parts disagree
/// or something fails.
fn code_in_parts(api: &Api, client: bool, parts: usize) -> Option<String> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel::<Vec<String>>();
        let glue = scope.spawn(move || {
            let mut file = glue_file(api, client, &[OPEN_OBJECTS_LATER.to_owned()]).ok()?;
            polish(&mut file);
            let open = receive.recv().ok()?;
            // As the templates write it: `&["A","B",]`; none: no constant.
            let list: String = open.iter().map(|name| lit(name) + ",").collect();
            let list = match open.is_empty() {
                true => None,
                false => Some(syn::parse_str(&format!("&[{list}]")).ok()?),
            };
            OpenObjects(list).visit_file_mut(&mut file);
            Some(prettyplease::unparse(&file))
        });
        let printed = Printed::parts(api, parts);
        if let Some(printed) = &printed {
            // The glue thread stops (with `None`) if nothing is sent.
            let _ = send.send(printed.open_objects.clone());
        }
        drop(send);
        let glue = glue.join().ok().flatten();
        let (printed, mut code) = (printed?, glue?);
        // A clash is an error, which one part reports.
        glue_clashes(api, printed.types.iter().map(|(name, _)| name.as_str())).ok()?;
        let mut rules = printed.rules().ok()?;
        polish(&mut rules);
        for text in printed.types.iter().map(|(_, text)| text) {
            code.push_str(text);
        }
        for text in printed
            .modules
            .iter()
            .chain(printed.checks.iter().map(|(_, text)| text))
        {
            code.push_str(text);
        }
        code.push_str(&prettyplease::unparse(&rules));
        Some(code)
    })
}

/// The open structs' name that the glue is made with before the parts know them (see
/// [`code_in_parts`]); [`OpenObjects`] puts the names in.
const OPEN_OBJECTS_LATER: &str = "socketsundso_open_objects_later";

/// Writes the open structs' names into the glue's `const OPEN_OBJECTS`, as the templates would
/// have, or takes the constant out where there are none (`None`: the templates leave it out).
struct OpenObjects(Option<syn::Expr>);

impl VisitMut for OpenObjects {
    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        item.items.retain_mut(|member| match member {
            syn::ImplItem::Const(constant) if constant.ident == "OPEN_OBJECTS" => {
                if let Some(list) = &self.0 {
                    constant.expr = list.clone();
                }
                self.0.is_some()
            }
            _ => true,
        });
        visit_mut::visit_item_impl_mut(self, item);
    }
}

/// The passes over the parsed code before it is printed: the serde crate path and typify's
/// fixups, typed defaults, and the lint allow-list.
fn polish(file: &mut syn::File) {
    Fixups.visit_file_mut(file);
    typed_defaults(file);
    lint_allows(file);
}

/// The generated file: its header, then `code` with blank lines between items.
fn finish(api: &Api, source: &str, code: &str) -> String {
    let mut out = format!(
        "// @generated by socketsundso-codegen {} from {source}. Do not edit by hand:\n\
         // change the AsyncAPI document and generate again.\n\
         //\n\
         // API: {} {}\n\n",
        env!("CARGO_PKG_VERSION"),
        api.title,
        api.version,
    );
    out.push_str(&space_client(&space_items(code)));
    out
}

fn unparse(items: Vec<syn::Item>) -> String {
    prettyplease::unparse(&file_of(items))
}

fn file_of(items: Vec<syn::Item>) -> syn::File {
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    file
}

fn parse_file(tokens: TokenStream, what: &str) -> Result<syn::File> {
    syn::parse2(tokens).map_err(|e| Error::Internal {
        what: what.into(),
        reason: e.to_string(),
    })
}

/// The glue (message enums, dispatch, server) and, with `client`, the Rust client, parsed.
/// `open_objects`: the payload types' structs that accept unknown fields.
fn glue_file(api: &Api, client: bool, open_objects: &[String]) -> Result<syn::File> {
    let mut glue = Glue::new(api);
    glue.open_objects = open_objects.iter().map(|name| lit(name)).collect();
    let client = if client {
        let rendered = ClientGlue::new(api, glue.open_objects.clone())
            .render()
            .map_err(|e| Error::Internal {
                what: "Rust client".into(),
                reason: e.to_string(),
            })?;
        let parsed: syn::File = syn::parse_str(&rendered).map_err(|e| Error::Internal {
            what: "Rust client".into(),
            reason: e.to_string(),
        })?;
        parsed.items
    } else {
        vec![]
    };
    let glue = glue.render().map_err(|e| Error::Internal {
        what: "Rust glue".into(),
        reason: e.to_string(),
    })?;
    let mut glue: syn::File = syn::parse_str(&glue).map_err(|e| Error::Internal {
        what: "Rust glue".into(),
        reason: e.to_string(),
    })?;
    glue.items.extend(client);
    Ok(glue)
}

/// The payload types of `api` (typify's, compacted, with the fields that need it fixed), their
/// checks, and the rules of their constrained strings.
struct Types {
    types: Vec<syn::Item>,
    checks: Vec<syn::Item>,
    /// How many of `checks` are the definitions' (see [`super::check::CheckItems`]).
    of_definitions: usize,
    strings: BTreeMap<String, super::compact::Rules>,
    string_checks: BTreeMap<String, TokenStream>,
    open_objects: Vec<String>,
}

impl Types {
    fn of(api: &Api) -> Result<Self> {
        let compacted = compacted_types(api)?;
        let mut types = parse_file(compacted.tokens, "payload types")?;
        type_clashes(api, &types)?;
        reused_types(api, &types)?;
        field_clashes(api, &types)?;
        let open_objects = open_structs(&types);
        let checks = Checks::new(api, &types, compacted.strings.keys()).items();
        fix_fields(&mut types, &checks.field_fixes);
        let items = checks.items;
        let parsed = parse_file(quote::quote!(#(#items)*), "checks")?;
        Ok(Self {
            types: types.items,
            checks: parsed.items,
            of_definitions: checks.of_definitions,
            strings: compacted.strings,
            string_checks: checks.string_checks,
            open_objects,
        })
    }

    /// The names of typify's types.
    fn names(&self) -> impl Iterator<Item = String> {
        self.types.iter().filter_map(type_name)
    }

    fn rules(&self) -> Result<syn::File> {
        parse_file(
            super::compact::rules_module(&self.strings, &self.string_checks),
            "checks",
        )
    }
}

/// One part of [`emit_parts`]: the payload types of some of the messages (and of all
/// definitions), printed item by item, with what the merge needs to put them in order.
struct Printed {
    /// typify's types, each with the items that follow it (its impls), by type name.
    types: Vec<(String, String)>,
    /// typify's modules (`defaults`, `error`), which follow its types.
    modules: Vec<String>,
    /// The checks, one text each, by the name of the type checked; the first `of_definitions`
    /// are the definitions'.
    checks: Vec<(String, String)>,
    of_definitions: usize,
    strings: BTreeMap<String, super::compact::Rules>,
    /// The string checks as token text.
    string_checks: BTreeMap<String, String>,
    open_objects: Vec<String>,
}

impl Printed {
    /// The payload types of `api` in `parts` parts, each on its own thread, merged; `None` if
    /// a part fails or they disagree.
    fn parts(api: &Api, parts: usize) -> Option<Self> {
        if parts < 2 || api.messages.len() < parts {
            return None;
        }
        std::thread::scope(|scope| {
            let size = api.messages.len().div_ceil(parts);
            let mut runs = api.messages.chunks(size);
            let first = runs.next().unwrap_or_default();
            let others: Vec<_> = runs
                .map(|messages| scope.spawn(move || Self::of(api, messages)))
                .collect();
            let mut printed = vec![Self::of(api, first)];
            printed.extend(others.into_iter().map(|t| t.join().ok().flatten()));
            Self::merge(api, printed.into_iter().collect::<Option<Vec<_>>>()?)
        })
    }

    /// The part of `messages`, a run of `api.messages`; `None` if it fails (the caller then
    /// makes the file in one part, which reports the error).
    fn of(api: &Api, messages: &[Message]) -> Option<Self> {
        let part = Api {
            title: String::new(),
            version: String::new(),
            description: None,
            tag_field: api.tag_field.clone(),
            id_field: api.id_field.clone(),
            messages: messages.to_vec(),
            received: vec![],
            sent: vec![],
            definitions: api.definitions.clone(),
        };
        let types = Types::of(&part).ok()?;
        let count = types.types.len();
        let mut file = file_of(types.types);
        file.items.extend(types.checks);
        polish(&mut file);
        let checks = file.items.split_off(count);
        let mut groups: Vec<(String, Vec<syn::Item>)> = vec![];
        let mut modules = vec![];
        for item in file.items {
            match (type_name(&item), groups.last_mut()) {
                _ if matches!(item, syn::Item::Mod(_)) => modules.push(item),
                // An item after typify's modules, or before its first type.
                (_, _) if !modules.is_empty() => return None,
                (Some(name), _) => groups.push((name, vec![item])),
                (None, Some((_, group))) => group.push(item),
                (None, None) => return None,
            }
        }
        Some(Self {
            types: groups
                .into_iter()
                .map(|(name, items)| (name, unparse(items)))
                .collect(),
            modules: modules.into_iter().map(|m| unparse(vec![m])).collect(),
            checks: checks
                .into_iter()
                .map(|check| {
                    let name = match &check {
                        syn::Item::Impl(imp) => quote::ToTokens::to_token_stream(&imp.self_ty),
                        _ => TokenStream::new(),
                    };
                    (name.to_string(), unparse(vec![check]))
                })
                .collect(),
            of_definitions: types.of_definitions,
            strings: types.strings,
            string_checks: types
                .string_checks
                .into_iter()
                .map(|(name, check)| (name, check.to_string()))
                .collect(),
            open_objects: types.open_objects,
        })
    }

    /// The parts as one, or `None` where they disagree about an item both have, or a part's
    /// types are not in typify's order (by name), or a message's payload type has its name in
    /// another part too (an inline object named like it: an error in one part, see
    /// [`type_clashes`]).
    fn merge(api: &Api, parts: Vec<Self>) -> Option<Self> {
        let payloads: BTreeSet<&str> = api
            .messages
            .iter()
            .map(|m| m.rust_name.as_str())
            .filter(|name| !api.definitions.contains_key(*name))
            .collect();
        let mut parts = parts.into_iter();
        let mut merged = parts.next()?;
        let sorted = |types: &[(String, String)]| types.windows(2).all(|w| w[0].0 < w[1].0);
        if !sorted(&merged.types) {
            return None;
        }
        for part in parts {
            if !sorted(&part.types)
                || part.modules != merged.modules
                || part.of_definitions != merged.of_definitions
                || part.checks.get(..part.of_definitions)
                    != merged.checks.get(..merged.of_definitions)
            {
                return None;
            }
            let mut types = Vec::with_capacity(merged.types.len() + part.types.len());
            let mut theirs = part.types.into_iter().peekable();
            for (name, text) in std::mem::take(&mut merged.types) {
                while let Some(next) = theirs.next_if(|(other, _)| *other < name) {
                    types.push(next);
                }
                if let Some((_, other)) = theirs.next_if(|(other, _)| *other == name)
                    && (other != text || payloads.contains(name.as_str()))
                {
                    return None;
                }
                types.push((name, text));
            }
            types.extend(theirs);
            merged.types = types;
            // A type that messages of two parts reach (a titled schema, say) is checked where the
            // first reaches it, as in one part.
            let mut checked: BTreeMap<String, String> = merged.checks.iter().cloned().collect();
            for (name, text) in part.checks.into_iter().skip(part.of_definitions) {
                match checked.get(&name) {
                    Some(other) if *other != text => return None,
                    Some(_) => {}
                    None => {
                        checked.insert(name.clone(), text.clone());
                        merged.checks.push((name, text));
                    }
                }
            }
            for (name, rules) in part.strings {
                if merged.strings.get(&name).is_some_and(|r| *r != rules) {
                    return None;
                }
                merged.strings.insert(name, rules);
            }
            for (name, check) in part.string_checks {
                if merged.string_checks.get(&name).is_some_and(|c| *c != check) {
                    return None;
                }
                merged.string_checks.insert(name, check);
            }
            let open: BTreeSet<String> = merged
                .open_objects
                .drain(..)
                .chain(part.open_objects)
                .collect();
            merged.open_objects = open.into_iter().collect();
        }
        Some(merged)
    }

    /// The `rules` module of the merged parts.
    fn rules(&self) -> Result<syn::File> {
        let checks = self
            .string_checks
            .iter()
            .map(|(name, text)| {
                let tokens: TokenStream =
                    text.parse()
                        .map_err(|e: proc_macro2::LexError| Error::Internal {
                            what: "checks".into(),
                            reason: e.to_string(),
                        })?;
                Ok((name.clone(), tokens))
            })
            .collect::<Result<BTreeMap<_, _>>>()?;
        parse_file(
            super::compact::rules_module(&self.strings, &checks),
            "checks",
        )
    }
}

/// A blank line between the items of the generated `client` module and of its impls, as
/// [`space_items`] does at the top level. Only there: other nested modules keep their layout.
fn space_client(code: &str) -> String {
    let Some(start) = code.find("\npub mod client {\n") else {
        return code.to_owned();
    };
    let end = code[start + 1..]
        .find("\n}\n")
        .map_or(code.len(), |end| start + 1 + end);
    let mut out = String::with_capacity(code.len() + code.len() / 32);
    out.push_str(&code[..start]);
    let mut previous = "";
    for line in code[start..end].lines() {
        let indent = line.len() - line.trim_start().len();
        let starts_item = ["///", "#[", "pub ", "impl", "fn ", "const ", "type "]
            .iter()
            .any(|p| line.trim_start().starts_with(p));
        let previous_ends_item = previous.len() - previous.trim_start().len() == indent
            && !previous.trim_start().starts_with("//")
            && (previous.trim_start() == "}" || previous.ends_with(';'));
        if (indent == 4 || indent == 8) && starts_item && previous_ends_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    // `lines()` dropped the newline before the module's closing brace.
    out.pop();
    out.push_str(&code[end..]);
    out
}

/// prettyplease puts no blank line between items; one between top-level items makes the file
/// readable.
fn space_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous = "";
    for line in code.lines() {
        let ends_item = previous == "}" || (previous.ends_with(';') && !previous.starts_with(' '));
        if ends_item && !line.is_empty() && !line.starts_with([' ', '}', ')']) {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// typify's types of the payloads and the shared definitions, compacted. First with the payloads'
/// constrained strings lifted out of typify's hands (faster; see [`super::view::lift_strings`]);
/// if typify or the compaction does not take that, with typify seeing every schema as it is, so
/// that the code and any error are typify's own.
fn compacted_types(api: &Api) -> Result<super::compact::Compacted> {
    let payloads = api.messages.iter().map(|m| m.rust_name.clone()).collect();
    let mut lifted = vec![];
    if let Ok(stream) = payload_types(api, Some(&mut lifted))
        && let Some(compacted) = super::compact::compact(stream, &payloads, &lifted)
    {
        return Ok(compacted);
    }
    super::compact::compact(payload_types(api, None)?, &payloads, &[]).ok_or_else(|| {
        Error::Internal {
            what: "payload types".into(),
            reason: "the compaction refused typify's types".into(),
        }
    })
}

/// Runs typify over the payloads and the shared definitions, all in one type space so that
/// references between them resolve. With `lift`, the payloads' constrained strings are taken out
/// first (into `lift`), and an error is only typify's message, without looking for the schema
/// it failed on.
fn payload_types(
    api: &Api,
    mut lift: Option<&mut Vec<super::view::Lifted>>,
) -> Result<TokenStream> {
    let mut settings = typify::TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_owned());
    let mut types = Vec::new();
    for (name, def) in &api.definitions {
        types.push((
            name.clone(),
            to_schemars(
                super::view::typify_view(&def.schema, &api.definitions),
                &def.pointer,
                name,
            )?,
            &def.pointer,
            name.clone(),
        ));
    }
    for message in &api.messages {
        // A binary message's payload is `Bytes`, not a type of typify's.
        if message.binary() {
            continue;
        }
        let mut view = super::view::payload_view(&message.payload.schema, &api.definitions);
        if let Some(lifted) = lift.as_deref_mut() {
            super::view::lift_strings(&mut view, lifted);
        }
        let schema = to_schemars(view, &message.payload.pointer, &message.key)?;
        types.push((
            message.rust_name.clone(),
            schema,
            &message.payload.pointer,
            message.key.clone(),
        ));
    }
    let (defs, places): (Vec<(String, JsonSchema)>, Vec<_>) = types
        .into_iter()
        .map(|(name, schema, pointer, owner)| ((name, schema), (pointer, owner)))
        .unzip();
    // Kept for finding the schema typify fails on, which only the plain run does.
    let kept = lift.is_none().then(|| defs.clone());
    match typify_stream(&settings, defs) {
        Ok(stream) => Ok(stream),
        Err(reason) if lift.is_some() => Err(Error::Internal {
            what: "payload types".into(),
            reason,
        }),
        Err(reason) => {
            // typify does not say which schema it failed on: find it by converting one type at a
            // time, with every other type standing in as "any value".
            let defs = kept.unwrap_or_default();
            let culprit = (0..defs.len()).find(|&i| {
                let alone: Vec<(String, JsonSchema)> = defs
                    .iter()
                    .enumerate()
                    .map(|(j, (name, schema))| {
                        (
                            name.clone(),
                            if i == j {
                                schema.clone()
                            } else {
                                JsonSchema::Bool(true)
                            },
                        )
                    })
                    .collect();
                typify_stream(&settings, alone).is_err()
            });
            let (pointer, owner) = culprit
                .or(Some(0))
                .and_then(|i| places.get(i))
                .map(|(pointer, owner)| ((*pointer).clone(), owner.clone()))
                .unwrap_or_default();
            Err(Error::Schema {
                location: Location {
                    file: "<spec>".into(),
                    pointer,
                    line_col: None,
                },
                message: owner,
                reason,
            })
        }
    }
}

/// Runs typify over `defs`. typify reports most problems as errors, but some schemas make it
/// panic; neither may escape as a panic of the generator.
fn typify_stream(
    settings: &typify::TypeSpaceSettings,
    defs: Vec<(String, JsonSchema)>,
) -> std::result::Result<TokenStream, String> {
    let mut space = typify::TypeSpace::new(settings);
    let result = quietly(|| {
        space.add_ref_types(defs)?;
        Ok::<_, typify::Error>(space.to_stream())
    });
    match result {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "typify failed".to_owned())),
    }
}

thread_local! {
    /// Set while this thread runs typify: its panics are caught and reported as diagnostics, so
    /// their default message on stderr would only confuse.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic, without the panic hook printing it. The first call installs a
/// hook that defers to the one before it, except on a thread inside `quietly`.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|quiet| quiet.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(false));
    result
}

fn to_schemars(schema: serde_json::Value, pointer: &str, owner: &str) -> Result<JsonSchema> {
    serde_json::from_value(schema).map_err(|e| Error::Schema {
        location: Location {
            file: "<spec>".into(),
            pointer: pointer.to_owned(),
            line_col: None,
        },
        message: owner.to_owned(),
        reason: format!("not a valid JSON Schema: {e}"),
    })
}

/// The name of a type item (struct, enum, type alias).
fn type_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        syn::Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// typify names an inline object or enum from its place (`AlphaX` for the property `x` of
/// `Alpha`) or its `title`, and does not check those names against the message payloads' names:
/// a message `alphaX` beside an object property `x` of the message `alpha` would give two
/// `AlphaX` types, and the code would not compile. That is an error at the message, which names
/// the property where it can find it.
fn type_clashes(api: &Api, file: &syn::File) -> Result<()> {
    let mut seen = BTreeSet::new();
    for name in file.items.iter().filter_map(type_name) {
        if seen.insert(name.clone()) {
            continue;
        }
        let message = api.messages.iter().find(|m| m.rust_name == name);
        let what = message.map_or_else(
            || format!("the schema `{name}`"),
            |m| format!("the payload of the message `{}`", m.key),
        );
        let found = origin(api, &name);
        let pointer = message
            .map(|m| m.payload.pointer.clone())
            .or_else(|| api.definitions.get(&name).map(|d| d.pointer.clone()))
            .or_else(|| found.clone())
            .unwrap_or_default();
        let other = found
            .filter(|other| *other != pointer && !other.starts_with("/x-socketsundso-files"))
            .map_or_else(
                || "a schema inside another one".to_owned(),
                |other| format!("the schema at `#{other}`"),
            );
        let remedy = "rename the message, or give that schema another `title`";
        return Err(clash(&name, &what, pointer, &other, remedy));
    }
    Ok(())
}

/// typify gives a name it has met before the type it made first, without a word: a message
/// `alphaX` listed before `alpha` makes `alpha`'s object property `x` of `alphaX`'s type, and
/// of two inline objects with one `title` the second gets the first one's. That code compiles
/// and rejects the second schema's own fields. Walking the payloads' and definitions'
/// properties along typify's structs finds it: an inline object property (of plain keywords
/// only, so that typify makes a struct of exactly its properties) whose struct has other
/// fields is an error at that property.
fn reused_types(api: &Api, file: &syn::File) -> Result<()> {
    use serde_json::Value;
    const PLAIN: &[&str] = &[
        "type",
        "properties",
        "required",
        "additionalProperties",
        "title",
        "description",
        "examples",
        "example",
        "$comment",
        "deprecated",
    ];
    // The structs' fields; structs with a flattened field are left out.
    let mut structs: BTreeMap<String, &syn::FieldsNamed> = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let syn::Fields::Named(named) = &s.fields else {
            continue;
        };
        let flattened = named.named.iter().any(|f| {
            f.attrs.iter().any(|a| match &a.meta {
                syn::Meta::List(list) if list.path.is_ident("serde") => list
                    .tokens
                    .clone()
                    .into_iter()
                    .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "flatten")),
                _ => false,
            })
        });
        if !flattened {
            structs.insert(s.ident.to_string(), named);
        }
    }
    // A struct's fields by wire name, with their types.
    let wires = |named: &&syn::FieldsNamed| -> Vec<(String, syn::Type)> {
        named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?.to_string();
                let wire = serde_rename(&f.attrs)
                    .unwrap_or_else(|| ident.trim_start_matches("r#").to_owned());
                Some((wire, f.ty.clone()))
            })
            .collect()
    };
    // The struct a field's type names: `T`, `Option<T>`, `Box<T>`.
    fn named(ty: &syn::Type) -> Option<String> {
        let syn::Type::Path(path) = ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        match &last.arguments {
            syn::PathArguments::None if path.path.segments.len() == 1 => {
                Some(last.ident.to_string())
            }
            syn::PathArguments::AngleBracketed(args)
                if last.ident == "Option" || last.ident == "Box" =>
            {
                match args.args.first()? {
                    syn::GenericArgument::Type(inner) if args.args.len() == 1 => named(inner),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let plain = |schema: &Value| {
        schema.as_object().is_some_and(|object| {
            object.get("type") == Some(&Value::from("object"))
                && object.get("properties").is_some_and(Value::is_object)
                && object
                    .get("additionalProperties")
                    .is_none_or(|a| *a == Value::Bool(false))
                && object.keys().all(|k| PLAIN.contains(&k.as_str()))
        })
    };
    let mut stack: Vec<(String, &Value, String)> = api
        .messages
        .iter()
        .filter(|m| !m.binary())
        .map(|m| {
            (
                m.rust_name.clone(),
                &m.payload.schema,
                m.payload.pointer.clone(),
            )
        })
        .chain(
            api.definitions
                .iter()
                .map(|(name, d)| (name.clone(), &d.schema, d.pointer.clone())),
        )
        .collect();
    let mut walked = BTreeSet::new();
    while let Some((name, schema, pointer)) = stack.pop() {
        if !walked.insert((name.clone(), pointer.clone())) {
            continue;
        }
        let (Some(fields), Some(properties)) = (
            structs.get(&name),
            schema.get("properties").and_then(Value::as_object),
        ) else {
            continue;
        };
        // Most payloads have no inline object to look at.
        if !properties.values().any(plain) {
            continue;
        }
        for (wire, ty) in wires(fields) {
            let (Some(property), Some(ty)) = (properties.get(&wire), named(&ty)) else {
                continue;
            };
            let Some(theirs) = structs.get(&ty).filter(|_| plain(property)).map(wires) else {
                continue;
            };
            let here = crate::spec::child(&crate::spec::child(&pointer, "properties"), &wire);
            let ours: BTreeSet<&str> = property["properties"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let made: BTreeSet<&str> = theirs.iter().map(|(w, _)| w.as_str()).collect();
            if ours != made {
                let list = |names: &BTreeSet<&str>| match names.is_empty() {
                    true => "none".to_owned(),
                    false => names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let payload = api.messages.iter().find(|m| m.rust_name == ty);
                let other = match payload {
                    Some(m) => format!(" (the payload of the message `{}`)", m.key),
                    None => origin(api, &ty)
                        .filter(|o| *o != here && !o.starts_with("/x-socketsundso-files"))
                        .map_or_else(String::new, |o| format!(" (at `#{o}`)")),
                };
                return Err(Error::Schema {
                    location: Location {
                        file: "<spec>".into(),
                        pointer: here,
                        line_col: None,
                    },
                    message: ty.clone(),
                    reason: format!(
                        "typify gives this schema the type `{ty}` of another schema of that \
                         name{other}, named after its place (the name of the type it is in and \
                         the property's) or its `title`: its fields are {}, this schema's {}; \
                         give this schema a `title` of its own, or rename the other (if an \
                         object around this one shares its `title` with another, typify took \
                         that one whole: retitle it)",
                        list(&made),
                        list(&ours),
                    ),
                });
            }
            stack.push((ty, property, here));
        }
    }
    Ok(())
}

/// The names the glue defines itself (besides typify's types): [`crate::ir::RESERVED`], a
/// binary message's `Bytes` alias, the enum of a handler's several replies; each with what it
/// is, and what to rename.
fn glue_names(api: &Api) -> BTreeMap<String, (String, String)> {
    let mut names: BTreeMap<String, (String, String)> = crate::ir::RESERVED
        .iter()
        .map(|name| {
            let what = "a type of the generated glue".to_owned();
            ((*name).to_owned(), (what, String::new()))
        })
        .collect();
    for message in api.messages.iter().filter(|m| m.binary()) {
        names.insert(
            message.rust_name.clone(),
            (
                format!("the type of the binary message `{}`", message.key),
                format!("rename the message `{}`, or ", message.key),
            ),
        );
    }
    for received in &api.received {
        if let Reply::Many { rust_name, .. } = &received.reply {
            let what = "the enum of a handler's replies".to_owned();
            names.insert(rust_name.clone(), (what, String::new()));
        }
    }
    names
}

/// typify's names (`types`) that the glue defines too (see [`glue_names`]): an error at the
/// schema that typify named so, where it can be found.
fn glue_clashes(api: &Api, types: impl IntoIterator<Item = impl AsRef<str>>) -> Result<()> {
    let glue = glue_names(api);
    for name in types {
        let name = name.as_ref();
        if let Some((what, rename)) = glue.get(name) {
            let (pointer, other) = match origin(api, name) {
                Some(pointer) => (pointer, "this schema".to_owned()),
                None => (
                    api.messages
                        .first()
                        .map(|m| m.payload.pointer.clone())
                        .unwrap_or_default(),
                    "a schema of the document".to_owned(),
                ),
            };
            let remedy = format!("{rename}give it another `title`");
            return Err(clash(name, what, pointer, &other, &remedy));
        }
    }
    Ok(())
}

/// The error of [`type_clashes`] and [`glue_clashes`]: `name` is `what`, and `other` is a schema
/// that typify names after its place or title.
fn clash(name: &str, what: &str, pointer: String, other: &str, remedy: &str) -> Error {
    Error::Schema {
        location: Location {
            file: "<spec>".into(),
            pointer,
            line_col: None,
        },
        message: name.to_owned(),
        reason: format!(
            "two types would be named `{name}`: {what}, and {other}, which typify names after \
             its place (the name of the type it is in, then the property's) or after its \
             `title`; {remedy}"
        ),
    }
}

/// Where typify's name `name` comes from, as far as a walk of the payloads' and definitions'
/// properties can tell: the JSON Pointer of the first inline object or enum whose `title`, or
/// whose parent's name and property name, make `name` (heck's `UpperCamelCase`, as typify's).
/// Only for saying where an error is: typify's own names decide whether there is one (a guess at
/// them rejected valid documents: a schema that typify makes no type of, `required` in another
/// order, typify's sanitizing of titles).
fn origin(api: &Api, name: &str) -> Option<String> {
    use heck::ToUpperCamelCase;
    fn walk(schema: &serde_json::Value, parent: &str, pointer: &str, name: &str) -> Option<String> {
        let properties = schema.get("properties")?.as_object()?;
        for (property, schema) in properties {
            if !schema.is_object() || schema.get("$ref").is_some() {
                continue;
            }
            let child = match schema.get("title").and_then(serde_json::Value::as_str) {
                Some(title) => title.to_upper_camel_case(),
                None => format!("{parent}{}", property.to_upper_camel_case()),
            };
            let here = crate::spec::child(&crate::spec::child(pointer, "properties"), property);
            if child == name && (schema.get("properties").is_some() || schema.get("enum").is_some())
            {
                return Some(here);
            }
            if let Some(found) = walk(schema, &child, &here, name) {
                return Some(found);
            }
        }
        None
    }
    let messages = api
        .messages
        .iter()
        .map(|m| (&m.payload, m.rust_name.as_str()));
    let definitions = api.definitions.iter().map(|(n, d)| (d, n.as_str()));
    messages
        .chain(definitions)
        .find_map(|(schema, parent)| walk(&schema.schema, parent, &schema.pointer, name))
}

/// typify turns property names into snake_case field names and does not check that they stay
/// distinct: `userId` and `user_id` would both be `user_id`, and the code would not compile.
/// That is an error that names both properties.
fn field_clashes(api: &Api, file: &syn::File) -> Result<()> {
    for item in &file.items {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for field in &fields.named {
            let Some(ident) = &field.ident else {
                continue;
            };
            let wire = serde_rename(&field.attrs).unwrap_or_else(|| ident.to_string());
            if let Some(other) = seen.insert(ident.to_string(), wire.clone()) {
                let name = s.ident.to_string();
                let pointer = api
                    .messages
                    .iter()
                    .find(|m| m.rust_name == name)
                    .map(|m| m.payload.pointer.clone())
                    .or_else(|| api.definitions.get(&name).map(|d| d.pointer.clone()))
                    .or_else(|| api.messages.first().map(|m| m.payload.pointer.clone()))
                    .unwrap_or_default();
                return Err(Error::Schema {
                    location: Location {
                        file: "<spec>".into(),
                        pointer,
                        line_col: None,
                    },
                    message: name,
                    reason: format!(
                        "the properties `{other}` and `{wire}` would both be the Rust field `{ident}`; rename one of them"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The structs with named fields that accept unknown fields (no `deny_unknown_fields`): the
/// runtime tracks their keys to reject a repeated one.
fn open_structs(file: &syn::File) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => Some(s),
            _ => None,
        })
        .filter(|s| {
            !s.attrs.iter().any(|a| {
                a.path().is_ident("serde")
                    && quote::ToTokens::to_token_stream(&a.meta)
                        .to_string()
                        .contains("deny_unknown_fields")
            })
        })
        .map(|s| s.ident.to_string())
        .collect()
}

/// Makes the fields that need it stricter than serde's default (see [`FieldFix`]).
fn fix_fields(file: &mut syn::File, fixes: &BTreeMap<(String, String), FieldFix>) {
    for item in &mut file.items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let name = item.ident.to_string();
        for field in item.fields.iter_mut() {
            let Some(ident) = &field.ident else {
                continue;
            };
            let Some(fix) = fixes.get(&(name.clone(), ident.to_string())) else {
                continue;
            };
            // The fix's attribute brings its own `default` and `deserialize_with`.
            for attr in field
                .attrs
                .iter_mut()
                .filter(|a| a.path().is_ident("serde"))
            {
                let mut kept = vec![];
                let _ = attr.parse_nested_meta(|meta| {
                    let tokens = if meta.input.peek(syn::Token![=]) {
                        let value: syn::Expr = meta.value()?.parse()?;
                        let path = &meta.path;
                        quote::quote!(#path = #value)
                    } else {
                        let path = &meta.path;
                        quote::quote!(#path)
                    };
                    if !meta.path.is_ident("default") && !meta.path.is_ident("deserialize_with") {
                        kept.push(tokens);
                    }
                    Ok(())
                });
                *attr = syn::parse_quote!(#[serde(#(#kept),*)]);
            }
            field.attrs.retain(|a| {
                !(a.path().is_ident("serde")
                    && quote::ToTokens::to_token_stream(&a.meta).to_string() == "serde ()")
            });
            field.attrs.push(fix.attribute());
        }
    }
}

/// Rewrites leading `::serde`, `::serde_json`, … in a token stream to
/// `::socketsundso::codegen::serde`, … (inside attributes and derives too); `prefix` holds the
/// tokens of [`CODEGEN`]. Takes the tokens apart by value: a group whose stream nobody else
/// holds gives it up without a copy. (The compaction does the same to typify's output while
/// it puts it back together.)
pub(super) fn reexport_in(stream: TokenStream, prefix: &[TokenTree]) -> TokenStream {
    let mut tokens: Vec<TokenTree> = stream.into_iter().collect();
    tokens.reverse();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
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
            && matches!(&token, TokenTree::Punct(a) if a.as_char() == ':' && a.spacing() == Spacing::Joint)
            && matches!(tokens.last(), Some(TokenTree::Punct(b)) if b.as_char() == ':')
            && n >= 2
            && matches!(&tokens[n - 2], TokenTree::Ident(name) if REEXPORTED.iter().any(|r| name == r));
        if reexported {
            out.extend(prefix.iter().cloned());
            out.push(token);
            out.extend(tokens.pop());
            out.extend(tokens.pop());
            continue;
        }
        match token {
            TokenTree::Literal(literal) => {
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
            TokenTree::Group(group) => {
                let (delimiter, span, stream) = (group.delimiter(), group.span(), group.stream());
                drop(group);
                let mut inner = Group::new(delimiter, reexport_in(stream, prefix));
                inner.set_span(span);
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Syntax-tree fixes to typify's output so that it compiles in a crate that depends on
/// `socketsundso` alone:
/// - every type that derives a serde trait gets `#[serde(crate = "::socketsundso::codegen::serde")]`;
/// - calls like `String::deserialize(d)` become `<String as Deserialize>::deserialize(d)`, so no
///   trait import is needed.
struct Fixups;

impl Fixups {
    fn serde_crate(attrs: &mut Vec<syn::Attribute>) {
        let derives_serde = attrs.iter().any(|attr| {
            attr.path().is_ident("derive") && {
                let text = attr.meta.to_token_stream_string();
                text.contains("Serialize") || text.contains("Deserialize")
            }
        });
        let has_crate = attrs.iter().any(|attr| {
            attr.path().is_ident("serde") && attr.meta.to_token_stream_string().contains("crate")
        });
        if derives_serde && !has_crate {
            attrs.push(syn::parse_quote!(#[serde(crate = "::socketsundso::codegen::serde")]));
        }
    }
}

trait MetaText {
    fn to_token_stream_string(&self) -> String;
}

impl MetaText for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote::ToTokens::to_token_stream(self).to_string()
    }
}

impl VisitMut for Fixups {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        Self::serde_crate(&mut item.attrs);
        visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        Self::serde_crate(&mut item.attrs);
        visit_mut::visit_item_enum_mut(self, item);
    }

    /// typify writes `impl Default for E { fn default() -> Self { E::First } }` for an enum
    /// whose `default` is its first variant, which clippy would have derived.
    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let is_default = item
            .trait_
            .as_ref()
            .is_some_and(|(path, _)| path.segments.last().is_some_and(|s| s.ident == "Default"));
        let returns_a_variant = item.items.iter().any(|member| match member {
            syn::ImplItem::Fn(f) => matches!(
                f.block.stmts.as_slice(),
                [syn::Stmt::Expr(syn::Expr::Path(p), None)] if p.path.segments.len() == 2
            ),
            _ => false,
        });
        if is_default && returns_a_variant {
            item.attrs
                .push(syn::parse_quote!(#[allow(clippy::derivable_impls)]));
        }
        visit_mut::visit_item_impl_mut(self, item);
    }

    /// typify writes `if !list.contains(&value) { Err(..) } else { Ok(..) }`, which clippy's
    /// pedantic `if_not_else` flags: the branches are swapped and the `!` dropped.
    fn visit_expr_if_mut(&mut self, expr: &mut syn::ExprIf) {
        if let syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Not(_),
            expr: inner,
            ..
        }) = &*expr.cond
            && let Some((_, else_branch)) = &mut expr.else_branch
            && let syn::Expr::Block(else_block) = &mut **else_branch
            && else_block.attrs.is_empty()
            && else_block.label.is_none()
        {
            let inner = (**inner).clone();
            *expr.cond = inner;
            std::mem::swap(&mut expr.then_branch, &mut else_block.block);
        }
        visit_mut::visit_expr_if_mut(self, expr);
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        if let syn::Expr::Path(path) = &mut *call.func {
            let segments = &path.path.segments;
            let n = segments.len();
            // typify compiles `pattern`s without Unicode mode; the runtime's `regex` compiles
            // them as the validator does.
            let names: Vec<String> = segments.iter().map(|s| s.ident.to_string()).collect();
            if names.ends_with(&["regress".into(), "Regex".into(), "new".into()]) {
                *call.func = syn::parse_quote!(::socketsundso::codegen::check::regex);
                visit_mut::visit_expr_call_mut(self, call);
                return;
            }
            if path.qself.is_none() && n >= 2 && segments[n - 1].ident == "deserialize" {
                let ty: syn::Path = syn::Path {
                    leading_colon: path.path.leading_colon,
                    segments: segments.iter().take(n - 1).cloned().collect(),
                };
                let is_serde = ty.segments.iter().any(|s| s.ident == "serde");
                if !is_serde {
                    *call.func = syn::parse_quote!(<#ty as ::socketsundso::codegen::serde::Deserialize>::deserialize);
                }
            }
        }
        visit_mut::visit_expr_call_mut(self, call);
    }
}

/// One enum variant.
struct Variant {
    name: String,
    tag_lit: String,
    doc: String,
    /// The runtime validator's schema document, as a raw string literal.
    schema_lit: String,
    /// Where that is in the enum's table of schemas (`None` for binary messages).
    schema_index: Option<usize>,
    /// A later message with the same tag: it serializes with that tag, but deserializing (as a
    /// client would) can only ever produce the first one.
    skip_de: bool,
    /// The message has no tag on the wire: it serializes as it is (`#[serde(untagged)]`).
    untagged: bool,
    /// A binary message (`Bytes`): serde skips it, the runtime sends its bytes.
    binary: bool,
    /// Whether the enum gets `From<payload>` for it.
    from_impl: bool,
}

/// The alias of a binary message's payload type.
struct BinaryType {
    name: String,
    doc: String,
}

/// A handler's reply that is one of several messages.
struct ReplyEnum {
    name: String,
    doc: String,
    variants: Vec<String>,
}

/// One handler method.
struct HandlerView {
    /// What turns the reply into a `ServerMessage` (`ServerMessage::from`).
    reply_ctor: String,
    method: String,
    message: String,
    reply_type: String,
    has_reply: bool,
    blocking: bool,
    doc: String,
}

#[derive(Template)]
#[template(path = "rust/api.rs", escape = "none")]
struct Glue {
    tag_field: String,
    tag_field_lit: String,
    /// The tag is inside a nested object and stays in the payload: the enums are untagged.
    nested_tag: bool,
    /// Enums of the replies of handlers that reply with one of several messages.
    reply_enums: Vec<ReplyEnum>,
    /// `Some("id")` or `None`, as Rust.
    id_field: String,
    /// Tags of received messages whose payload declares the id field.
    declares_id: Vec<String>,
    /// Names (as literals) of the structs that accept unknown fields.
    open_objects: Vec<String>,
    /// Variants of `ServerMessage` whose payload declares the id field.
    sent_declares_id: Vec<String>,
    client: Vec<Variant>,
    server: Vec<Variant>,
    /// The schemas of the tagged `ClientMessage` variants, in the order of `TAGS`.
    client_schemas: Vec<String>,
    /// The schemas of the `ServerMessage` variants that are not binary, in order.
    server_schemas: Vec<String>,
    handlers: Vec<HandlerView>,
    /// The received messages without a tag.
    client_untagged: Vec<UntaggedView>,
    /// The `ClientMessage` variant of the binary message the server receives, if any.
    binary_in: Option<String>,
    /// It is the only `ClientMessage` variant.
    binary_in_only: bool,
    /// The `ServerMessage` variants of binary messages.
    server_binary: Vec<String>,
    /// Every `ServerMessage` variant is binary.
    server_all_binary: bool,
    /// Aliases for the binary messages' payload types.
    binary_types: Vec<BinaryType>,
}

impl Glue {
    fn new(api: &Api) -> Self {
        let variant = |m: &Message, schema: &serde_json::Value| Variant {
            name: m.rust_name.clone(),
            tag_lit: lit(&m.tag),
            doc: doc_attrs(&[
                Some(match m.untagged() {
                    None => format!("`{}`", m.tag),
                    Some(untagged) => untagged_doc(untagged),
                }),
                m.summary.clone(),
                m.description.clone(),
            ]),
            schema_lit: raw_lit(&validator_document(api, schema).to_string()),
            schema_index: None,
            skip_de: false,
            untagged: !m.tagged(),
            binary: m.binary(),
            from_impl: true,
        };
        // serde wants the untagged variants last.
        let received = api
            .received
            .iter()
            .map(|r| r.message)
            .filter(|&i| api.messages[i].tagged())
            .chain(
                api.received
                    .iter()
                    .map(|r| r.message)
                    .filter(|&i| !api.messages[i].tagged()),
            );
        let mut client: Vec<Variant> = received
            .map(|i| variant(&api.messages[i], &api.messages[i].payload.schema))
            .collect();
        let mut seen_tags = BTreeSet::new();
        let mut server: Vec<Variant> = tagged_first(api, &api.sent)
            .into_iter()
            .map(|i| {
                let message = &api.messages[i];
                let skip_de = message.tagged() && !seen_tags.insert(message.tag.clone());
                // Debug builds check the whole serialized message, tag included.
                let schema = if message.tagged() {
                    with_tag(&message.payload.schema, &api.tag_field, &message.tag)
                } else {
                    message.payload.schema.clone()
                };
                Variant {
                    skip_de,
                    ..variant(message, &schema)
                }
            })
            .collect();
        let client_schemas: Vec<String> = client
            .iter()
            .filter(|v| !v.untagged)
            .map(|v| v.schema_lit.clone())
            .collect();
        let mut server_schemas = vec![];
        for v in server.iter_mut().filter(|v| !v.binary) {
            v.schema_index = Some(server_schemas.len());
            server_schemas.push(v.schema_lit.clone());
        }
        let client_untagged = untagged_views(api, api.received.iter().map(|r| r.message));
        // `From<Bytes>` only once per enum: two binary messages would both be `Bytes`.
        for variants in [&mut client, &mut server] {
            let binary = variants.iter().filter(|v| v.binary).count();
            for v in variants.iter_mut().filter(|v| v.binary) {
                v.from_impl = binary == 1;
            }
        }
        let binary_in = client.iter().find(|v| v.binary).map(|v| v.name.clone());
        let binary_in_only = binary_in.is_some() && client.len() == 1;
        let server_binary: Vec<String> = server
            .iter()
            .filter(|v| v.binary)
            .map(|v| v.name.clone())
            .collect();
        let server_all_binary = server_binary.len() == server.len();
        let binary_types = api
            .messages
            .iter()
            .filter(|m| m.binary())
            .map(|m| BinaryType {
                name: m.rust_name.clone(),
                doc: doc_attrs(&[
                    Some(format!(
                        "`{}`: a binary frame, its bytes as they are.",
                        m.tag
                    )),
                    m.summary.clone(),
                    m.description.clone(),
                ]),
            })
            .collect();
        let handlers = api
            .received
            .iter()
            .map(|r| {
                let message = &api.messages[r.message];
                let (reply_type, reply_line) = match &r.reply {
                    Reply::One(i) => {
                        let reply = &api.messages[*i];
                        let what = if reply.binary() { "the binary message " } else { "" };
                        (reply.rust_name.clone(), format!("Replies with {what}`{}` ([`{}`]).", reply.tag, reply.rust_name))
                    }
                    Reply::Many { rust_name, messages } => {
                        let tags: Vec<String> = messages.iter().map(|i| format!("`{}`", api.messages[*i].tag)).collect();
                        (rust_name.clone(), format!("Replies with one of {} ([`{rust_name}`]).", tags.join(", ")))
                    }
                    Reply::None => ("()".to_owned(), "Sends no reply; use `ctx` to send messages.".to_owned()),
                };
                // A binary reply is `Bytes`: its variant, since `From<Bytes>` may not be unique.
                let reply_ctor = match &r.reply {
                    Reply::One(i) if api.messages[*i].binary() => {
                        format!("ServerMessage::{}", api.messages[*i].rust_name)
                    }
                    _ => "ServerMessage::from".to_owned(),
                };
                HandlerView {
                    reply_ctor,
                    method: r.method.clone(),
                    message: message.rust_name.clone(),
                    reply_type,
                    has_reply: r.reply != Reply::None,
                    blocking: r.blocking,
                    doc: doc_attrs(&[
                        Some(format!(
                            "Handles `{}` messages (operation `{}`).",
                            message.tag, r.operation
                        )),
                        r.doc.clone(),
                        Some(reply_line),
                        r.blocking.then(|| "Blocking (`x-socketsundso-blocking: true`): the runtime runs it on the blocking thread pool, so it may do slow synchronous work without stalling other connections.".to_owned()),
                        // A plain `fn` returning `Result` (clippy's pedantic `missing_errors_doc`).
                        r.blocking.then(|| "# Errors".to_owned()),
                        r.blocking.then(|| "An `Err` is sent back to the client as an error message.".to_owned()),
                    ]),
                }
            })
            .collect();
        let mut reply_enums: Vec<ReplyEnum> = vec![];
        for r in &api.received {
            if let Reply::Many {
                rust_name,
                messages,
            } = &r.reply
            {
                if reply_enums.iter().any(|e| &e.name == rust_name) {
                    continue;
                }
                reply_enums.push(ReplyEnum {
                    name: rust_name.clone(),
                    doc: doc_attrs(&[Some(format!(
                        "What the handler of operation `{}` replies with: one of several messages.",
                        r.operation
                    ))]),
                    variants: messages
                        .iter()
                        .map(|i| api.messages[*i].rust_name.clone())
                        .collect(),
                });
            }
        }
        Glue {
            tag_field: api.tag_field.clone(),
            tag_field_lit: lit(&api.tag_field),
            nested_tag: api.nested_tag(),
            reply_enums,
            open_objects: vec![],
            sent_declares_id: api
                .sent
                .iter()
                .map(|&i| &api.messages[i])
                .filter(|m| m.declares_id)
                .map(|m| m.rust_name.clone())
                .collect(),
            id_field: match &api.id_field {
                Some(id) => format!("::std::option::Option::Some({})", lit(id)),
                None => "::std::option::Option::None".to_owned(),
            },
            declares_id: api
                .received
                .iter()
                .map(|r| &api.messages[r.message])
                .filter(|m| m.declares_id)
                .map(|m| lit(&m.tag))
                .collect(),
            client,
            server,
            handlers,
            client_untagged,
            client_schemas,
            server_schemas,
            binary_in,
            binary_in_only,
            server_binary,
            server_all_binary,
            binary_types,
        }
    }
}

/// `indexes` (into [`Api::messages`]) with the tagged messages first, in order.
fn tagged_first(api: &Api, indexes: &[usize]) -> Vec<usize> {
    let (mut tagged, untagged): (Vec<usize>, Vec<usize>) =
        indexes.iter().partition(|&&i| api.messages[i].tagged());
    tagged.extend(untagged);
    tagged
}

/// The untagged messages among `indexes`, in order, as `Incoming::UNTAGGED` lists them.
fn untagged_views(api: &Api, indexes: impl Iterator<Item = usize>) -> Vec<UntaggedView> {
    indexes
        .filter_map(|i| {
            let message = &api.messages[i];
            let untagged = message.untagged()?;
            Some(UntaggedView {
                name: message.rust_name.clone(),
                entry: format!(
                    "::socketsundso::codegen::Untagged {{ name: {}, types: &[{}], key: {}, declares_id: {} }}",
                    lit(&message.tag),
                    untagged
                        .types
                        .iter()
                        .map(|t| lit(t))
                        .collect::<Vec<_>>()
                        .join(", "),
                    match &untagged.key {
                        Some(key) => format!("::std::option::Option::Some({})", lit(key)),
                        None => "::std::option::Option::None".to_owned(),
                    },
                    message.declares_id,
                ),
                schema_lit: raw_lit(
                    &validator_document(api, &message.payload.schema).to_string(),
                ),
            })
        })
        .collect()
}

/// The first line of the doc of an untagged message's variant.
fn untagged_doc(untagged: &crate::ir::Untagged) -> String {
    let what = if untagged.types.is_empty() {
        "any JSON value".to_owned()
    } else {
        untagged
            .types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match &untagged.key {
        Some(key) => format!("No tag: told apart by its shape ({what} with the field `{key}`)."),
        None => format!("No tag: told apart by its shape ({what})."),
    }
}

/// A message without a tag, for `Incoming::UNTAGGED`.
struct UntaggedView {
    /// The variant (and payload type) name.
    name: String,
    /// The `Untagged { .. }` expression.
    entry: String,
    /// The validator's schema document, as a raw string literal.
    schema_lit: String,
}

/// A `send_*` method of the generated client.
struct SendView {
    method: String,
    message: String,
    doc: String,
}

/// A `request_*` method of the generated client.
struct RequestView {
    method: String,
    message: String,
    reply_type: String,
    /// The `ServerMessage` variants that are replies, each with the expression (of `reply`) the
    /// method returns for it.
    arms: Vec<ReplyArm>,
    /// The arms cover every `ServerMessage` variant: no fallback arm.
    exhaustive: bool,
    doc: String,
}

struct ReplyArm {
    variant: String,
    value: String,
}

/// A tag the server sends, with the `ServerMessage` variants that carry it (more than one when
/// messages share a tag).
struct SentTag {
    tag_lit: String,
    variants: Vec<String>,
    /// The validator's schema document of the first variant's payload, as a raw string literal.
    schema_lit: String,
}

/// The generated client: `templates/rust/client.rs`.
#[derive(Template)]
#[template(path = "rust/client.rs", escape = "none")]
struct ClientGlue {
    tag_field_lit: String,
    /// `Some("id")` or `None`, as Rust.
    id_field: String,
    id_field_name: String,
    has_id: bool,
    open_objects: Vec<String>,
    /// Tags (as literals) of sent messages whose payload declares the id field.
    declares_id: Vec<String>,
    sends: Vec<SendView>,
    requests: Vec<RequestView>,
    tags: Vec<SentTag>,
    /// Every `ServerMessage` variant.
    variants: Vec<String>,
    /// The sent messages without a tag.
    untagged: Vec<UntaggedView>,
    /// The `ServerMessage` variant a binary frame is (the first binary message).
    binary: Option<String>,
}

impl ClientGlue {
    fn new(api: &Api, open_objects: Vec<String>) -> Self {
        let has_id = api.id_field.is_some();
        let variants: Vec<String> = api
            .sent
            .iter()
            .map(|&i| api.messages[i].rust_name.clone())
            .collect();
        let mut tags: Vec<SentTag> = vec![];
        for &i in &api.sent {
            let message = &api.messages[i];
            if !message.tagged() {
                continue;
            }
            let tag_lit = lit(&message.tag);
            match tags.iter_mut().find(|t| t.tag_lit == tag_lit) {
                Some(tag) => tag.variants.push(message.rust_name.clone()),
                None => tags.push(SentTag {
                    tag_lit,
                    variants: vec![message.rust_name.clone()],
                    schema_lit: raw_lit(
                        &validator_document(api, &message.payload.schema).to_string(),
                    ),
                }),
            }
        }
        let mut declares_id: Vec<String> = vec![];
        for &i in &api.sent {
            let message = &api.messages[i];
            let tag = lit(&message.tag);
            if message.tagged() && message.declares_id && !declares_id.contains(&tag) {
                declares_id.push(tag);
            }
        }
        let mut sends = vec![];
        let mut requests = vec![];
        for r in &api.received {
            let message = &api.messages[r.message];
            // `on_<tag>`: the handler's name, unique already.
            let base = r.method.strip_prefix("on_").unwrap_or(&r.method);
            let summary = message.summary.clone();
            sends.push(SendView {
                method: format!("send_{base}"),
                message: message.rust_name.clone(),
                doc: doc_attrs(&[
                    Some(format!(
                        "Sends `{}` (operation `{}`) without waiting for a reply.",
                        message.tag, r.operation
                    )),
                    summary.clone(),
                    Some(match &r.reply {
                        Reply::None => "It has no reply. An error it causes arrives on the [`Events`].".to_owned(),
                        _ => "It carries no correlation id, so its reply (or an error it causes) arrives on the\n[`Events`].".to_owned(),
                    }),
                    Some("# Errors".to_owned()),
                    Some("Fails with [`ClientError::Invalid`], sending nothing, when the message breaks its schema;\nwith [`ClientError::Closed`] when the connection is closed.".to_owned()),
                ]),
            });
            // A request needs its id on the way there and back: only tagged messages carry it.
            let replies_tagged = match &r.reply {
                Reply::None => true,
                Reply::One(i) => api.messages[*i].tagged(),
                Reply::Many { messages, .. } => messages.iter().all(|i| api.messages[*i].tagged()),
            };
            if !has_id || !message.tagged() || !replies_tagged {
                continue;
            }
            let (reply_type, replies, reply_line) = match &r.reply {
                Reply::None => continue,
                Reply::One(i) => {
                    let reply = &api.messages[*i];
                    let arm = ReplyArm {
                        variant: reply.rust_name.clone(),
                        value: "reply".to_owned(),
                    };
                    (
                        reply.rust_name.clone(),
                        vec![arm],
                        format!(
                            "Its reply is `{}` ([`super::{}`]).",
                            reply.tag, reply.rust_name
                        ),
                    )
                }
                Reply::Many {
                    rust_name,
                    messages,
                } => {
                    let arms = messages
                        .iter()
                        .map(|i| {
                            let name = &api.messages[*i].rust_name;
                            ReplyArm {
                                variant: name.clone(),
                                value: format!("super::{rust_name}::{name}(reply)"),
                            }
                        })
                        .collect();
                    let tags: Vec<String> = messages
                        .iter()
                        .map(|i| format!("`{}`", api.messages[*i].tag))
                        .collect();
                    (
                        rust_name.clone(),
                        arms,
                        format!(
                            "Its reply is one of {} ([`super::{rust_name}`]).",
                            tags.join(", ")
                        ),
                    )
                }
            };
            let exhaustive = variants
                .iter()
                .all(|v| replies.iter().any(|a| &a.variant == v));
            requests.push(RequestView {
                method: format!("request_{base}"),
                message: message.rust_name.clone(),
                reply_type,
                arms: replies,
                exhaustive,
                doc: doc_attrs(&[
                    Some(format!(
                        "Sends `{}` (operation `{}`) with a correlation id and waits for the reply.",
                        message.tag, r.operation
                    )),
                    summary,
                    Some(reply_line),
                    Some("# Errors".to_owned()),
                    Some("Fails with [`ClientError::Server`] when the server answers with an error object;\n[`ClientError::Invalid`], sending nothing, when the message breaks its schema;\n[`ClientError::Timeout`] when no reply comes in time; [`ClientError::Closed`] when the\nconnection closes first.".to_owned()),
                ]),
            });
        }
        ClientGlue {
            tag_field_lit: lit(&api.tag_field),
            id_field: match &api.id_field {
                Some(id) => format!("::std::option::Option::Some({})", lit(id)),
                None => "::std::option::Option::None".to_owned(),
            },
            id_field_name: api.id_field.clone().unwrap_or_default(),
            has_id,
            open_objects,
            declares_id,
            sends,
            requests,
            tags,
            variants,
            untagged: untagged_views(api, api.sent.iter().copied()),
            binary: api
                .sent
                .iter()
                .map(|&i| &api.messages[i])
                .find(|m| m.binary())
                .map(|m| m.rust_name.clone()),
        }
    }
}

/// The payload schema with its tag property (`const`) put back. A nested tag (`header.type`)
/// never left the payload: its schema is the whole message already. A payload that is a
/// `oneOf`/`anyOf` gets the tag in each branch: beside the `oneOf`, a closed branch would reject
/// it as an unknown field (Kraken's `subscriptionStatus`).
fn with_tag(schema: &serde_json::Value, field: &str, tag: &str) -> serde_json::Value {
    let mut schema = schema.clone();
    if !field.contains('.') {
        put_tag(&mut schema, field, tag);
    }
    schema
}

/// See [`with_tag`].
fn put_tag(schema: &mut serde_json::Value, field: &str, tag: &str) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let mut branched = false;
    for keyword in ["oneOf", "anyOf"] {
        if let Some(serde_json::Value::Array(branches)) = object.get_mut(keyword) {
            branched = true;
            for branch in branches {
                put_tag(branch, field, tag);
            }
        }
    }
    if branched {
        return;
    }
    let properties = object
        .entry("properties")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(properties) = properties.as_object_mut() {
        properties.insert(field.to_owned(), serde_json::json!({ "const": tag }));
    }
    let required = object
        .entry("required")
        .or_insert_with(|| serde_json::Value::Array(vec![]));
    if let Some(required) = required.as_array_mut() {
        required.insert(0, serde_json::Value::from(field));
    }
}

/// A Rust string literal.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// A raw Rust string literal (`r#"..."#`), for embedded JSON. The characters that change the
/// direction of text are written as JSON escapes (`\u202e`): rustc refuses them in a literal
/// (`text_direction_codepoint_in_literal`), and JSON reads the escape back as the character.
fn raw_lit(text: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let escaped;
    let text = if text.contains(bidi) {
        escaped = text
            .chars()
            .map(|c| {
                if bidi(c) {
                    format!("\\u{:04x}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect::<String>();
        escaped.as_str()
    } else {
        text
    };
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

/// `#[doc = "..."]` attributes, one paragraph per present part.
fn doc_attrs(parts: &[Option<String>]) -> String {
    let mut seen = BTreeSet::new();
    let paragraphs: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && seen.insert(p.to_owned()))
        .collect();
    let mut out = String::new();
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push_str("#[doc = \"\"]\n");
        }
        for line in paragraph.lines() {
            out.push_str(&format!(
                "#[doc = {}]\n",
                lit(&format!(" {}", line.trim_end()))
            ));
        }
    }
    out
}

/// Clippy lints that generated code may trigger and allows, each where it can arise, with the
/// reason (the list is in the README, "Generated code"; `tests/src/lib.rs` and
/// `tests/src/bin/private-goldens.rs` compile every golden under `clippy::pedantic`).
const DOC_MARKDOWN: &str = "the doc comments are the AsyncAPI document's own prose";
const STRUCT_FIELD_NAMES: &str = "the field names are the schema's property names";
const TOO_MANY_LINES: &str = "one match arm per message of the API";
const CATCH_ALL: &str = "the catch-all arm stands for any other message, however many there are";
const DERIVABLE_IMPLS: &str =
    "typify writes out the default of a struct whose schema has a `default`";
const IMPLICIT_HASHER: &str = "converts the map newtype into the standard `HashMap` that it wraps";
const TYPE_COMPLEXITY: &str = "the tuple types are the schema's tuple arrays, position by position";

/// typify's `impl Default` of a struct whose fields all have defaults writes
/// `field: Default::default()`, which clippy's pedantic `default_trait_access` asks to name the
/// type of: `None` for an `Option`, `<Type>::default()` for anything else.
fn typed_defaults(file: &mut syn::File) {
    let mut fields: BTreeMap<String, BTreeMap<String, syn::Type>> = BTreeMap::new();
    let mut types = BTreeSet::new();
    for item in &file.items {
        match item {
            syn::Item::Struct(s) => {
                types.insert(s.ident.to_string());
                if let syn::Fields::Named(named) = &s.fields {
                    fields.insert(
                        s.ident.to_string(),
                        named
                            .named
                            .iter()
                            .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                            .collect(),
                    );
                }
            }
            syn::Item::Enum(e) => {
                types.insert(e.ident.to_string());
            }
            syn::Item::Type(t) => {
                types.insert(t.ident.to_string());
            }
            _ => {}
        }
    }
    TypedDefaults {
        fields: &fields,
        types: &types,
        this: None,
        nested: false,
        derivable: false,
    }
    .visit_file_mut(file);
}

/// See [`typed_defaults`]: rewrites the struct literals of the file's structs, in `impl Default`
/// (where the struct is `Self`) and in typify's `defaults` module (where it is `super::Name`, and
/// a type of the file in a field's type needs `super::` too).
struct TypedDefaults<'a> {
    fields: &'a BTreeMap<String, BTreeMap<String, syn::Type>>,
    /// The file's type names.
    types: &'a BTreeSet<String>,
    /// The struct of the `impl Default` being visited.
    this: Option<String>,
    /// Inside a module of the file.
    nested: bool,
    /// The `impl Default` being visited builds `Self` of defaults only.
    derivable: bool,
}

impl TypedDefaults<'_> {
    /// Whether `expr` is `Default::default()`.
    fn trait_default(expr: &syn::Expr) -> bool {
        matches!(expr, syn::Expr::Call(call)
            if call.args.is_empty()
                && matches!(&*call.func, syn::Expr::Path(p)
                    if p.qself.is_none()
                        && p.path.leading_colon.is_none()
                        && p.path.segments.len() == 2
                        && p.path.segments[0].ident == "Default"
                        && p.path.segments[1].ident == "default"))
    }

    /// `ty` as written in a module of the file: its own types through `super::`.
    fn in_module(&self, ty: &syn::Type) -> syn::Type {
        struct Super<'a>(&'a BTreeSet<String>);
        impl VisitMut for Super<'_> {
            fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
                if ty.qself.is_none()
                    && ty.path.leading_colon.is_none()
                    && ty
                        .path
                        .segments
                        .first()
                        .is_some_and(|s| self.0.contains(&s.ident.to_string()))
                {
                    ty.path.segments.insert(0, syn::parse_quote!(super));
                }
                visit_mut::visit_type_path_mut(self, ty);
            }
        }
        let mut ty = ty.clone();
        Super(self.types).visit_type_mut(&mut ty);
        ty
    }
}

impl VisitMut for TypedDefaults<'_> {
    fn visit_item_mod_mut(&mut self, item: &mut syn::ItemMod) {
        let nested = std::mem::replace(&mut self.nested, true);
        visit_mut::visit_item_mod_mut(self, item);
        self.nested = nested;
    }

    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let is_default = item
            .trait_
            .as_ref()
            .is_some_and(|(path, _)| path.segments.last().is_some_and(|s| s.ident == "Default"));
        let this = match &*item.self_ty {
            syn::Type::Path(p) if is_default => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.this, this);
        visit_mut::visit_item_impl_mut(self, item);
        // A default made of defaults only is one that clippy would have derived; typify writes
        // it out (it writes a derive only where the schema has no `default`).
        if std::mem::take(&mut self.derivable) {
            item.attrs.push(allow("derivable_impls", DERIVABLE_IMPLS));
        }
        self.this = outer;
    }

    fn visit_expr_struct_mut(&mut self, literal: &mut syn::ExprStruct) {
        let name = literal.path.segments.last().map(|s| s.ident.to_string());
        let name = if name.as_deref() == Some("Self") {
            self.this.clone()
        } else {
            name
        };
        // The struct of the `impl Default` around it, as `Self` or by name.
        let of_self = self.this.is_some() && name == self.this;
        if let Some(types) = name.and_then(|name| self.fields.get(&name)) {
            self.derivable = of_self
                && literal.fields.len() == types.len()
                && literal.fields.iter().all(|f| Self::trait_default(&f.expr));
            for field in &mut literal.fields {
                let syn::Member::Named(member) = &field.member else {
                    continue;
                };
                let Some(ty) = types
                    .get(&member.to_string())
                    .filter(|_| Self::trait_default(&field.expr))
                else {
                    continue;
                };
                let option = matches!(ty, syn::Type::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
                field.expr = if option {
                    syn::parse_quote!(::std::option::Option::None)
                } else {
                    let ty = if self.nested {
                        self.in_module(ty)
                    } else {
                        ty.clone()
                    };
                    syn::parse_quote!(<#ty>::default())
                };
            }
        }
        visit_mut::visit_expr_struct_mut(self, literal);
    }
}

/// Adds `#[allow(clippy::…, reason = …)]` to the items that trigger pedantic lints which the
/// generator cannot avoid: `doc_markdown` on items whose docs (the spec's `description`s) have
/// a word clippy wants in backticks, `struct_field_names` on structs whose property names
/// repeat the struct's name, `too_many_lines` on functions with one arm per message.
fn lint_allows(file: &mut syn::File) {
    for item in &mut file.items {
        // typify converts a map newtype into the `HashMap` it wraps; over any hasher, the
        // conversion would be another API.
        if let syn::Item::Impl(imp) = item
            && let Some((path, _)) = &imp.trait_
            && path.segments.last().is_some_and(|s| s.ident == "From")
            && quote::ToTokens::to_token_stream(&imp.self_ty)
                .to_string()
                .contains("HashMap")
        {
            imp.attrs.push(allow("implicit_hasher", IMPLICIT_HASHER));
        }
        let mut docs = DocText::default();
        docs.visit_item_mut(item);
        if docs.suspicious()
            && let Some(attrs) = item_attrs(item)
        {
            attrs.push(allow("doc_markdown", DOC_MARKDOWN));
        }
        // clippy's (default) `type_complexity` counts tuples of tuples, or a long one in an
        // `Option`, as complex: a fixed-length tuple array of the document may be either.
        // Not the `client` module: its glue names tuples of its own (`(Client, Events)`).
        let mut tuples = Tuples(false);
        if !matches!(item, syn::Item::Mod(_)) {
            tuples.visit_item_mut(item);
        }
        if tuples.0
            && let Some(attrs) = item_attrs(item)
        {
            attrs.push(allow("type_complexity", TYPE_COMPLEXITY));
        }
    }
    LongFns.visit_file_mut(file);
}

/// Whether an item names a tuple type of two or more positions (it only reads; syn's `visit`,
/// which reads, is not compiled in).
struct Tuples(bool);

impl VisitMut for Tuples {
    fn visit_type_tuple_mut(&mut self, tuple: &mut syn::TypeTuple) {
        if tuple.elems.len() >= 2 {
            self.0 = true;
        }
        visit_mut::visit_type_tuple_mut(self, tuple);
    }
}

fn allow(lint: &str, reason: &str) -> syn::Attribute {
    let lint: syn::Path = syn::parse_str(&format!("clippy::{lint}")).expect("a lint path");
    syn::parse_quote!(#[allow(#lint, reason = #reason)])
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Const(i) => &mut i.attrs,
        syn::Item::Enum(i) => &mut i.attrs,
        syn::Item::Fn(i) => &mut i.attrs,
        syn::Item::Impl(i) => &mut i.attrs,
        syn::Item::Mod(i) => &mut i.attrs,
        syn::Item::Static(i) => &mut i.attrs,
        syn::Item::Struct(i) => &mut i.attrs,
        syn::Item::Trait(i) => &mut i.attrs,
        syn::Item::Type(i) => &mut i.attrs,
        syn::Item::Union(i) => &mut i.attrs,
        syn::Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The doc comments of an item, to tell whether any has a word that clippy's `doc_markdown`
/// would want in backticks (a CamelCase or snake_case word, a path, a bare URL). It errs on the
/// side of allowing: an `allow` that is not needed costs nothing.
#[derive(Default)]
struct DocText {
    /// One doc comment (the consecutive lines of one item, field or variant) after another.
    comments: Vec<Vec<String>>,
}

/// Words clippy's `doc_markdown` accepts as they are (the part of its `doc-valid-idents` that
/// an API's prose may use).
const VALID_IDENTS: &[&str] = &[
    "ECMAScript",
    "GitHub",
    "GitLab",
    "GraphQL",
    "IPv4",
    "IPv6",
    "JavaScript",
    "KiB",
    "MiB",
    "GiB",
    "NaN",
    "NaNs",
    "OAuth",
    "TypeScript",
    "WebAssembly",
    "WebRTC",
    "WebSocket",
    "WebTransport",
    "iOS",
    "macOS",
];

impl DocText {
    fn suspicious(&self) -> bool {
        self.comments.iter().any(|lines| {
            // Fenced code blocks (typify's JSON schema) are not prose.
            let mut prose = String::new();
            let mut fenced = false;
            for line in lines {
                if line.trim_start().starts_with("```") {
                    fenced = !fenced;
                } else if !fenced {
                    prose.push_str(line);
                    prose.push('\n');
                }
            }
            Self::suspicious_prose(&prose)
        })
    }

    fn suspicious_prose(text: &str) -> bool {
        // An unclosed backtick: clippy warns about it too.
        if text.matches('`').count() % 2 == 1 {
            return true;
        }
        text.split('`').step_by(2).any(|prose| {
            // HTML tags (typify's `<details>`) and `<URL>`s are fine.
            let mut rest = prose;
            let mut outside = String::new();
            while let Some(start) = rest.find('<') {
                outside.push_str(&rest[..start]);
                outside.push(' ');
                rest = rest[start..]
                    .find('>')
                    .map_or("", |end| &rest[start + end + 1..]);
            }
            outside.push_str(rest);
            outside.split_whitespace().any(|word| {
                if word.contains("://") || word.contains("::") {
                    return true;
                }
                let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
                if VALID_IDENTS.contains(&word) {
                    return false;
                }
                // clippy's test: alphanumeric, not starting with a digit, at least two capitals
                // and a small letter (a plural `s` aside); or an underscore.
                let singular = word.strip_suffix('s').unwrap_or(word);
                let camel = !word.starts_with(|c: char| c.is_ascii_digit())
                    && singular.chars().all(char::is_alphanumeric)
                    && singular.chars().filter(|c| c.is_uppercase()).count() >= 2
                    && singular.chars().any(char::is_lowercase);
                camel || (word.contains('_') && word.chars().any(char::is_alphabetic))
            })
        })
    }
}

impl VisitMut for DocText {
    fn visit_attribute_mut(&mut self, _: &mut syn::Attribute) {}

    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        let lines: Vec<String> = attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .filter_map(|attr| match &attr.meta {
                syn::Meta::NameValue(syn::MetaNameValue {
                    value:
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(text),
                            ..
                        }),
                    ..
                }) => Some(text.value()),
                _ => None,
            })
            .collect();
        if !lines.is_empty() {
            self.comments.push(lines);
        }
    }
}

/// Marks the functions with one match arm per message that clippy would find too long, and the
/// structs whose field names repeat the struct's name (pedantic `struct_field_names`).
struct LongFns;

impl LongFns {
    /// The lints to allow on a function: `too_many_lines` when prettyplease lays it out long
    /// and it has a long `match`; `match_wildcard_for_single_variants` when a `match` has arms
    /// for variants and a catch-all (a request's expected reply and any other message; the
    /// untagged messages of an enum and the others), which clippy wants named when it stands
    /// for one variant.
    fn fn_allows(attrs: &mut Vec<syn::Attribute>, block: &mut syn::Block, sig: &syn::Signature) {
        // `ArmCount` only reads the block (syn's `visit`, which reads, is not compiled in).
        let mut arms = ArmCount::default();
        arms.visit_block_mut(block);
        if arms.one_and_catch_all {
            attrs.push(allow("match_wildcard_for_single_variants", CATCH_ALL));
        }
        // Each arm takes a line at least: more than 50 need no printing to count them.
        if arms.most > 50 || (arms.most >= 10 && Self::too_long(block, sig)) {
            attrs.push(allow("too_many_lines", TOO_MANY_LINES));
        }
    }

    fn too_long(block: &syn::Block, sig: &syn::Signature) -> bool {
        let file: syn::File = syn::parse_quote!(#sig #block);
        let text = prettyplease::unparse(&file);
        // clippy's limit is 100 lines of code; nested functions are indented deeper, so their
        // arms wrap onto more lines than here: half the limit, to be safe.
        text.lines().filter(|l| !l.trim().is_empty()).count() > 50
    }

    fn repeats_name(item: &syn::ItemStruct) -> bool {
        use heck::ToSnakeCase;
        let syn::Fields::Named(fields) = &item.fields else {
            return false;
        };
        let name = item.ident.to_string().to_snake_case();
        let fields: Vec<String> = fields
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .map(|i| i.to_string().trim_start_matches("r#").to_owned())
            .collect();
        if fields.iter().any(|f| {
            f.starts_with(&format!("{name}_")) || f.ends_with(&format!("_{name}")) || *f == name
        }) {
            return true;
        }
        let first = |f: &String| f.split('_').next().map(str::to_owned);
        let last = |f: &String| f.rsplit('_').next().map(str::to_owned);
        fields.len() >= 3
            && fields.iter().all(|f| f.contains('_'))
            && (fields.iter().all(|f| first(f) == first(&fields[0]))
                || fields.iter().all(|f| last(f) == last(&fields[0])))
    }
}

/// The most arms of a `match` in a function, and whether one has arms for variants and then a
/// catch-all.
#[derive(Default)]
struct ArmCount {
    most: usize,
    one_and_catch_all: bool,
}

impl VisitMut for ArmCount {
    fn visit_expr_match_mut(&mut self, expr: &mut syn::ExprMatch) {
        self.most = self.most.max(expr.arms.len());
        if let [variants @ .., last] = expr.arms.as_slice()
            && !variants.is_empty()
            && variants
                .iter()
                .all(|arm| matches!(arm.pat, syn::Pat::TupleStruct(_)))
            && matches!(last.pat, syn::Pat::Ident(_) | syn::Pat::Wild(_))
        {
            self.one_and_catch_all = true;
        }
        visit_mut::visit_expr_match_mut(self, expr);
    }
}

impl VisitMut for LongFns {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        Self::fn_allows(&mut f.attrs, &mut f.block, &f.sig);
        visit_mut::visit_impl_item_fn_mut(self, f);
    }

    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        Self::fn_allows(&mut f.attrs, &mut f.block, &f.sig);
        visit_mut::visit_item_fn_mut(self, f);
    }

    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        if Self::repeats_name(item) {
            item.attrs
                .push(allow("struct_field_names", STRUCT_FIELD_NAMES));
        }
        visit_mut::visit_item_struct_mut(self, item);
    }
}

#[cfg(test)]
mod tests {
    /// Making the payload types in parts on several threads (see `emit_parts`) writes the file
    /// one part writes, byte for byte: on every document of the test fixtures, the AsyncAPI
    /// corpus, the examples and the benchmark, in two and three parts, with and without the
    /// client. And the parts are used, not given up on, for almost all of them.
    #[test]
    fn parts_make_the_same_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut specs = vec![root.join("benches/specs/large-200.yaml")];
        let mut dirs = vec![
            root.join("tests/fixtures"),
            root.join("tests/asyncapi"),
            root.join("examples"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a directory") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                {
                    specs.push(path);
                }
            }
        }
        specs.sort();
        // Made-up documents: a titled schema that messages of different parts share (one type,
        // checked once), and one that two of them give different contents.
        let dir = std::env::temp_dir().join(format!("socketsundso-parts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let place = "{title: Place, type: object, properties: {n: {type: integer, minimum: 3, maximum: 9}}}";
        let other = "{title: Place, type: object, properties: {n: {type: integer, minimum: 4}}}";
        let short = "{type: string, maxLength: 3}";
        let string = "{type: string}";
        // A message named as an inline object of a message in another part (by its place, or by
        // its title) is an error in one part; in parts too (a review's).
        let placed = "{type: object, properties: {z: {type: string}}}";
        let titled = "{title: Delta, type: object, properties: {z: {type: string}}}";
        for (name, messages) in [
            (
                "shared",
                [
                    ("alpha", "place", place),
                    ("beta", "place", short),
                    ("gamma", "place", place),
                    ("delta", "place", place),
                ],
            ),
            (
                "differing",
                [
                    ("alpha", "place", place),
                    ("beta", "place", short),
                    ("gamma", "place", place),
                    ("delta", "place", other),
                ],
            ),
            (
                "placed",
                [
                    ("alpha", "x", placed),
                    ("beta", "y", string),
                    ("gamma", "y", string),
                    ("alphaX", "z", string),
                ],
            ),
            (
                "titled",
                [
                    ("alpha", "x", titled),
                    ("beta", "y", string),
                    ("gamma", "y", string),
                    ("delta", "z", string),
                ],
            ),
        ] {
            let path = dir.join(format!("{name}.yaml"));
            std::fs::write(&path, received(&messages)).expect("written");
            specs.push(path);
        }
        let (mut split, mut whole) = (vec![], vec![]);
        for spec in &specs {
            let Ok(mut doc) = crate::spec::Document::load(spec) else {
                continue;
            };
            let Ok(api) = crate::ir::Api::build(&mut doc, None).api else {
                continue;
            };
            if api.messages.len() < 2 {
                continue;
            }
            let name = spec.display().to_string();
            for parts in [2, 3] {
                if super::Printed::parts(&api, parts).is_some() {
                    split.push(format!("{name} in {parts}"));
                } else if api.messages.len() >= parts {
                    whole.push(format!("{name} in {parts}"));
                }
                for client in [false, true] {
                    let one = super::emit_parts(&api, "x.yaml", client, 1);
                    let many = super::emit_parts(&api, "x.yaml", client, parts);
                    match (one, many) {
                        (Ok(one), Ok(many)) => assert!(
                            one == many,
                            "{name} in {parts} parts (client: {client}) differs:\n{}",
                            first_difference(&one, &many)
                        ),
                        (Err(one), Err(many)) => assert_eq!(one.to_string(), many.to_string()),
                        (one, many) => panic!("{name}: {one:?} in one part, {many:?} in {parts}"),
                    }
                }
            }
        }
        assert!(
            split.iter().any(|s| s.contains("large-200")),
            "the benchmark document is made in parts"
        );
        assert!(
            split.len() >= 40 && whole.len() * 10 <= split.len(),
            "made in parts: {split:#?}\ngiven up: {whole:#?}"
        );
    }

    /// A document whose server receives `messages` on one channel: each a name and an object
    /// payload of one property (name, schema).
    fn received(messages: &[(&str, &str, &str)]) -> String {
        let mut text = "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  c:\n    address: /c\n    messages:\n".to_owned();
        for (m, ..) in messages {
            text.push_str(&format!(
                "      {m}: {{$ref: '#/components/messages/{m}'}}\n"
            ));
        }
        text.push_str("operations:\n  a:\n    action: receive\n    channel: {$ref: '#/channels/c'}\n    messages:\n");
        for (m, ..) in messages {
            text.push_str(&format!("      - {{$ref: '#/channels/c/messages/{m}'}}\n"));
        }
        text.push_str("components:\n  messages:\n");
        for (m, property, schema) in messages {
            text.push_str(&format!(
                "    {m}: {{payload: {{type: object, properties: {{{property}: {schema}}}}}}}\n"
            ));
        }
        text
    }

    fn first_difference(one: &str, many: &str) -> String {
        one.lines()
            .zip(many.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map_or_else(
                || "(one is a prefix of the other)".to_owned(),
                |(n, (a, b))| format!("line {}: {a:?} vs {b:?}", n + 1),
            )
    }

    /// Lifting the constrained strings out of typify's hands (see `view::lift_strings`) changes
    /// nothing in the code: on every document of the test fixtures, the examples and the
    /// benchmark, the compacted types with the strings lifted are the tokens typify makes when
    /// it sees them, with the same rules. And it is used: most of the strings are lifted.
    #[test]
    fn lifted_strings_make_the_same_types() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut specs = vec![root.join("benches/specs/large-200.yaml")];
        for dir in ["tests/fixtures", "examples/chat", "examples/basics"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("a directory") {
                let path = entry.expect("an entry").path();
                if path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                {
                    specs.push(path);
                }
            }
        }
        specs.sort();
        // Documents made to trip the lifting up (a review's): a struct of the document's own
        // with the stand-in's field, named as a lifted string; and a `default` that builds a
        // stand-in. Both must come out as without the lifting.
        let dir = std::env::temp_dir().join(format!("socketsundso-lifted-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let operations = "operations:\n  a:\n    action: receive\n    channel: {$ref: '#/channels/c'}\n    messages: [{$ref: '#/channels/c/messages/alpha'}]\n";
        for (name, messages, schemas) in [
            (
                "mimic",
                "alpha:\n  payload:\n    type: object\n    properties:\n      a: {type: string, maxLength: 5}\n      f: {$ref: '#/components/schemas/AlphaA'}\n",
                "AlphaA:\n  type: object\n  properties: {socketsundso_lifted_string_0: {type: boolean}}\n  required: [socketsundso_lifted_string_0]\n  additionalProperties: false\n",
            ),
            (
                "built",
                "alpha:\n  payload:\n    type: object\n    properties:\n      v:\n        type: object\n        default: {w: {socketsundso_lifted_string_0: true}}\n        properties:\n          w: {type: string, maxLength: 3}\n",
                "{}\n",
            ),
        ] {
            let indent = |text: &str| {
                text.lines()
                    .map(|l| format!("    {l}\n"))
                    .collect::<String>()
            };
            let text = format!(
                "asyncapi: 3.0.0\ninfo: {{title: T, version: '1'}}\nchannels:\n  c:\n    address: /c\n    messages:\n      alpha: {{$ref: '#/components/messages/alpha'}}\n{operations}components:\n  messages:\n{}  schemas:\n{}",
                indent(messages),
                indent(schemas),
            );
            let path = dir.join(format!("{name}.yaml"));
            std::fs::write(&path, text).expect("written");
            specs.push(path);
        }
        let (mut lifted_in, mut fell_back, mut compared) = (0, vec![], vec![]);
        for spec in &specs {
            let mut doc = crate::spec::Document::load(spec).expect("the document loads");
            let Ok(api) = crate::ir::Api::build(&mut doc, None).api else {
                continue;
            };
            let payloads = api.messages.iter().map(|m| m.rust_name.clone()).collect();
            let plain = crate::emit::compact::compact(
                super::payload_types(&api, None).expect("typify's types"),
                &payloads,
                &[],
            )
            .expect("compacted");
            compared.push(spec.display().to_string());
            let mut lifted = vec![];
            let stream = super::payload_types(&api, Some(&mut lifted)).expect("typify's types");
            let Some(compacted) = crate::emit::compact::compact(stream, &payloads, &lifted) else {
                fell_back.push(spec.display().to_string());
                continue;
            };
            // Not `assert_eq!`: the texts are long.
            assert!(
                compacted.tokens.to_string() == plain.tokens.to_string(),
                "{}: the types differ with the strings lifted",
                spec.display()
            );
            let rules = |c: &crate::emit::compact::Compacted| {
                crate::emit::compact::rules_module(&c.strings, &Default::default()).to_string()
            };
            assert!(
                rules(&compacted) == rules(&plain),
                "{}: the rules differ with the strings lifted",
                spec.display()
            );
            if !lifted.is_empty() {
                lifted_in += 1;
            }
            if spec.ends_with("large-200.yaml") {
                assert!(
                    lifted.len() * 2 > plain.strings.len(),
                    "{} of {} strings lifted",
                    lifted.len(),
                    plain.strings.len()
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(lifted_in >= 5, "lifted in {lifted_in} documents");
        // Only the mimic needs typify to see its strings (the string under a `default` is not
        // lifted at all); both were compared.
        let path = |name: &str| dir.join(format!("{name}.yaml")).display().to_string();
        assert_eq!(fell_back, [path("mimic")]);
        assert!(compared.contains(&path("built")), "{compared:?}");
    }

    #[test]
    fn embedded_json_writes_direction_characters_as_escapes() {
        let json = serde_json::json!({"const": "\u{202e}abc\u{2066}"}).to_string();
        let lit = super::raw_lit(&json);
        assert!(!lit.contains(['\u{202e}', '\u{2066}']), "{lit}");
        let inner = lit
            .strip_prefix("r#\"")
            .and_then(|l| l.strip_suffix("\"#"))
            .expect("a raw literal");
        let back: serde_json::Value = serde_json::from_str(inner).expect("JSON");
        assert_eq!(back["const"], "\u{202e}abc\u{2066}");
        // Anything else is written as it is.
        assert_eq!(super::raw_lit(r#"{"a":"ü"}"#), r##"r#"{"a":"ü"}"#"##);
    }
}

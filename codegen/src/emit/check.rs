//! Generated checks for the constraints that typify's types do not enforce by themselves.
//!
//! serde with typify's types already enforces `type`, `required`, `additionalProperties: false`,
//! `enum`, and the string constraints of its newtypes. What is left (numeric bounds,
//! `multipleOf`, array sizes and uniqueness, formats without a Rust type, ...) becomes an
//! `impl Check` per type: plain comparisons on the decoded value, run on every valid message.
//!
//! The walk goes through the Rust types and their schemas side by side: a struct's field has the
//! schema of its property, a `Vec`'s element the schema of `items`, a tuple's positions the schemas
//! of `items: [..]` (`.0`, `.1`, ...), and so on. Where the two
//! cannot be matched up (composition, untyped values, keywords with no direct check), the check
//! hands that value to the runtime's validator, which interprets the schema. That is slower but
//! always correct, and rare.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use crate::ir::Api;
use crate::keywords::{ENFORCED, is_annotation};

/// Keywords that a generated check or the Rust type itself enforces, by the kind of Rust type.
const STRUCT_KEYWORDS: &[&str] = &["type", "properties", "required", "additionalProperties"];
const NUMBER_KEYWORDS: &[&str] = &[
    "type",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "format",
];
const STRING_KEYWORDS: &[&str] = &["type", "minLength", "maxLength", "format", "enum", "const"];
const ARRAY_KEYWORDS: &[&str] = &["type", "items", "minItems", "maxItems", "uniqueItems"];
const MAP_KEYWORDS: &[&str] = &[
    "type",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// What [`Checks::items`] writes.
pub(crate) struct CheckItems {
    /// The `impl Check` items: first the definitions' (and the types only they reach), then the
    /// messages', in the order of [`Api::messages`].
    pub(crate) items: Vec<TokenStream>,
    /// Fields whose deserialization must be stricter than serde's default (see [`FieldFix`]).
    pub(crate) field_fixes: BTreeMap<(String, String), FieldFix>,
    /// The checks of aliased string newtypes, by name.
    pub(crate) string_checks: BTreeMap<String, TokenStream>,
    /// How many of `items` are the definitions' part.
    pub(crate) of_definitions: usize,
}

/// The checks for all payload types, and for every type reachable from them.
pub(crate) struct Checks<'a> {
    api: &'a Api,
    types: BTreeMap<String, TypeInfo>,
    /// Rust type name → its schema, as found so far.
    schemas: BTreeMap<String, Value>,
    done: BTreeSet<String>,
    queue: Vec<String>,
    /// Fields whose deserialization must be stricter than serde's default (see [`FieldFix`]).
    field_fixes: BTreeMap<(String, String), FieldFix>,
    /// The type whose check is being written.
    current: String,
    /// The named types each type's check reaches (its fields, items, ...).
    calls: BTreeMap<String, BTreeSet<String>>,
    /// The types whose check does something: only these get called. `None` while the first
    /// walk finds out which they are.
    needed: Option<BTreeSet<String>>,
    /// The string newtypes that are aliases of `Constrained<rules::Name>`: their check is part
    /// of their rules, a function of `value: &String`.
    aliases: BTreeSet<String>,
}

/// An expression in generated code: a place of type `T` (`self.amount`) or a reference `&T`
/// (a closure argument `v`).
#[derive(Clone)]
struct Expr {
    tokens: TokenStream,
    is_ref: bool,
    /// The same expression without grouping parentheses, for argument position (where
    /// `unused_parens` would object to them); `None` when `tokens` has none.
    bare: Option<TokenStream>,
}

impl Expr {
    fn place(tokens: TokenStream) -> Self {
        Expr {
            tokens,
            is_ref: false,
            bare: None,
        }
    }

    fn reference(tokens: TokenStream) -> Self {
        Expr {
            tokens,
            is_ref: true,
            bare: None,
        }
    }

    /// For method calls (auto-ref and auto-deref make both forms work).
    fn call(&self) -> &TokenStream {
        &self.tokens
    }

    /// `&T`.
    fn as_ref(&self) -> TokenStream {
        if let (true, Some(bare)) = (self.is_ref, &self.bare) {
            return bare.clone();
        }
        let tokens = &self.tokens;
        if self.is_ref {
            quote!(#tokens)
        } else {
            quote!(&#tokens)
        }
    }

    /// `T` as a place (for comparisons and `Copy` values).
    fn as_value(&self) -> TokenStream {
        let tokens = &self.tokens;
        if self.is_ref {
            quote!(*#tokens)
        } else {
            quote!(#tokens)
        }
    }
}

/// What the walk needs to know about one generated type.
enum TypeInfo {
    /// A struct with named fields.
    Struct(Vec<Field>),
    /// A newtype (tuple struct with one field).
    Newtype(Box<syn::Type>),
    /// An enum whose variants all carry no data (typify's `enum` of strings).
    UnitEnum,
    /// Any other enum (typify's `oneOf`/`anyOf`).
    DataEnum,
}

struct Field {
    wire: String,
    ident: syn::Ident,
    ty: syn::Type,
}

impl<'a> Checks<'a> {
    pub(crate) fn new<'s>(
        api: &'a Api,
        file: &syn::File,
        aliases: impl Iterator<Item = &'s String>,
    ) -> Self {
        let mut types = BTreeMap::new();
        let aliases: BTreeSet<String> = aliases.cloned().collect();
        for name in &aliases {
            types.insert(
                name.clone(),
                TypeInfo::Newtype(Box::new(syn::parse_quote!(::std::string::String))),
            );
        }
        for item in &file.items {
            match item {
                syn::Item::Struct(s) => {
                    let info = match &s.fields {
                        syn::Fields::Named(named) => TypeInfo::Struct(
                            named
                                .named
                                .iter()
                                .filter_map(|f| {
                                    let ident = f.ident.clone()?;
                                    let wire = serde_rename(&f.attrs).unwrap_or_else(|| {
                                        ident.to_string().trim_start_matches("r#").to_owned()
                                    });
                                    Some(Field {
                                        wire,
                                        ident,
                                        ty: f.ty.clone(),
                                    })
                                })
                                .collect(),
                        ),
                        syn::Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                            TypeInfo::Newtype(Box::new(unnamed.unnamed[0].ty.clone()))
                        }
                        _ => TypeInfo::DataEnum,
                    };
                    types.insert(s.ident.to_string(), info);
                }
                syn::Item::Enum(e) => {
                    let unit = e
                        .variants
                        .iter()
                        .all(|v| matches!(v.fields, syn::Fields::Unit));
                    types.insert(
                        e.ident.to_string(),
                        if unit {
                            TypeInfo::UnitEnum
                        } else {
                            TypeInfo::DataEnum
                        },
                    );
                }
                _ => {}
            }
        }
        let mut schemas = BTreeMap::new();
        let mut queue = vec![];
        for (name, def) in &api.definitions {
            schemas.insert(name.clone(), def.schema.clone());
            queue.push(name.clone());
        }
        for message in &api.messages {
            schemas.insert(message.rust_name.clone(), message.payload.schema.clone());
            queue.push(message.rust_name.clone());
        }
        queue.reverse();
        Checks {
            api,
            types,
            schemas,
            done: BTreeSet::new(),
            queue,
            field_fixes: BTreeMap::new(),
            current: String::new(),
            calls: BTreeMap::new(),
            needed: None,
            aliases,
        }
    }

    /// `impl Check` items for the types whose check does something, and for every payload type
    /// (`ClientMessage::check` calls them), and the fields that need a stricter deserializer (see
    /// [`FieldFix`]).
    ///
    /// A type's check does something when the schema has a keyword that its Rust type does not
    /// enforce, or when it reaches a type whose check does: a string newtype, an enum of strings
    /// or a struct of such fields needs none, and gets neither an impl nor a call. The first
    /// walk writes every check with no calls to other types and notes which types each one
    /// reaches; the second writes the checks that are needed, calling only needed ones.
    ///
    /// The checks of aliased string newtypes that need one come apart, by name: they go into
    /// their rules (see [`super::compact::rules_module`]).
    pub(crate) fn items(mut self) -> CheckItems {
        let mut order = vec![];
        let mut direct = BTreeSet::new();
        // The first walk's checks, which are final where they call no needed type.
        let mut bodies: BTreeMap<String, TokenStream> = BTreeMap::new();
        // The messages are the bottom of the stack: what `order` has when the first of them
        // is reached is the definitions' part.
        let messages = self.api.messages.len();
        let mut definitions_end = None;
        while !self.queue.is_empty() {
            if self.queue.len() <= messages && definitions_end.is_none() {
                definitions_end = Some(order.len());
            }
            let Some(name) = self.queue.pop() else {
                break;
            };
            if !self.done.insert(name.clone()) {
                continue;
            }
            let (Some(schema), true) = (
                self.schemas.get(&name).cloned(),
                self.types.contains_key(&name),
            ) else {
                continue;
            };
            self.current.clone_from(&name);
            let body = self.type_body(&name, &schema);
            if !is_true(&body) {
                direct.insert(name.clone());
            }
            bodies.insert(name.clone(), body);
            order.push(name);
        }
        // Needed: a check of its own, or a call of a needed one (to a fixed point, since types
        // may be recursive).
        let mut needed = direct;
        loop {
            let more: Vec<String> = self
                .calls
                .iter()
                .filter(|(name, calls)| {
                    !needed.contains(*name) && calls.iter().any(|c| needed.contains(c))
                })
                .map(|(name, _)| name.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            needed.extend(more);
        }
        let payloads: BTreeSet<&str> = self
            .api
            .messages
            .iter()
            .map(|m| m.rust_name.as_str())
            .collect();
        self.needed = Some(needed.clone());
        let mut items = vec![];
        let mut string_checks = BTreeMap::new();
        let definitions_end = definitions_end.unwrap_or(order.len());
        let mut of_definitions = 0;
        for (position, name) in order.into_iter().enumerate() {
            if !needed.contains(&name) && !payloads.contains(name.as_str()) {
                continue;
            }
            let calls_needed = self
                .calls
                .get(&name)
                .is_some_and(|calls| calls.iter().any(|c| needed.contains(c)));
            let body = match bodies.remove(&name) {
                Some(body) if !calls_needed => body,
                _ => {
                    let schema = self.schemas[&name].clone();
                    self.current.clone_from(&name);
                    self.type_body(&name, &schema)
                }
            };
            if self.aliases.contains(&name) {
                string_checks.insert(name, body);
                continue;
            }
            let ident = format_ident!("{}", name);
            items.push(quote! {
                impl ::socketsundso::codegen::Check for #ident {
                    fn check(&self) -> bool {
                        #body
                    }
                }
            });
            if position < definitions_end {
                of_definitions += 1;
            }
        }
        CheckItems {
            items,
            field_fixes: self.field_fixes,
            string_checks,
            of_definitions,
        }
    }

    fn type_body(&mut self, name: &str, schema: &Value) -> TokenStream {
        let schema = self.resolve(schema);
        let this = Expr::reference(quote!(self));
        match &self.types[name] {
            TypeInfo::Struct(fields) => {
                let Some(object) = schema.as_object() else {
                    return self.fallback(&this, schema);
                };
                if !only(object, STRUCT_KEYWORDS)
                    || object
                        .get("additionalProperties")
                        .is_some_and(|a| !a.is_boolean())
                {
                    return self.fallback(&this, schema);
                }
                let empty = Map::new();
                let properties = object
                    .get("properties")
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                let required: Vec<&str> = object
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for field in fields {
                    let Some(property) = properties.get(&field.wire) else {
                        continue;
                    };
                    let property = self.resolve(property);
                    let key = (name.to_owned(), field.ident.to_string());
                    let Some((wrapper, args)) = type_parts(&field.ty) else {
                        continue;
                    };
                    let inner = match (wrapper.as_str(), args.first()) {
                        ("Option", Some(inner)) => type_parts(inner).map(|(w, _)| w),
                        _ => Some(wrapper.clone()),
                    };
                    let date_time = inner.as_deref() == Some("DateTime");
                    // serde reads `null` as `None` for any `Option`: an optional field that is not
                    // nullable must be read as its inner type.
                    let optional_not_null = wrapper == "Option"
                        && !required.contains(&field.wire.as_str())
                        && !nullable(property);
                    let fix = match (wrapper == "Option", date_time) {
                        (false, true) => Some(FieldFix::DateTime),
                        (true, true) if optional_not_null => Some(FieldFix::PresentDateTime),
                        (true, true) => Some(FieldFix::OptionDateTime),
                        (true, false) if optional_not_null => Some(FieldFix::Present),
                        _ => None,
                    };
                    if let Some(fix) = fix {
                        self.field_fixes.insert(key, fix);
                    }
                }
                let fields: Vec<(String, syn::Ident, syn::Type)> = fields
                    .iter()
                    .map(|f| (f.wire.clone(), f.ident.clone(), f.ty.clone()))
                    .collect();
                let mut checks = vec![];
                for (wire, ident, ty) in fields {
                    let Some(property) = properties.get(&wire) else {
                        continue;
                    };
                    // typify reads an absent optional array or map as an empty one, so the
                    // check cannot tell "absent" (fine) from "present but empty" (maybe too
                    // short): the minimum size is checked while deserializing instead.
                    let absent_is_empty = !required.contains(&wire.as_str())
                        && type_parts(&ty).is_some_and(|(w, _)| {
                            matches!(w.as_str(), "Vec" | "HashMap" | "BTreeMap" | "Map")
                        });
                    if absent_is_empty {
                        let resolved = self.resolve(property);
                        let min = resolved
                            .get("minItems")
                            .or_else(|| resolved.get("minProperties"))
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                        if min > 0 {
                            self.field_fixes.insert(
                                (name.to_owned(), ident.to_string()),
                                FieldFix::MinLen(min),
                            );
                        }
                        // The minimum size is checked while deserializing (above).
                        let mut rest = self.resolve(property).clone();
                        if let Some(object) = rest.as_object_mut() {
                            object.remove("minItems");
                            object.remove("minProperties");
                        }
                        let field_checks =
                            self.value(&Expr::place(quote!(self.#ident)), &ty, &rest, false);
                        if !field_checks.is_empty() {
                            let body = all(field_checks);
                            checks.push(quote!(::socketsundso::codegen::check::absent_or(self.#ident.is_empty(), || #body)));
                        }
                        continue;
                    }
                    checks.extend(self.value(
                        &Expr::place(quote!(self.#ident)),
                        &ty,
                        property,
                        false,
                    ));
                }
                all(checks)
            }
            TypeInfo::Newtype(inner) => {
                let inner = inner.clone();
                // typify's string newtypes check `minLength`, `maxLength` and `pattern` as they
                // deserialize, and so do the aliases of `Constrained`, whose check has the
                // string as `value`.
                let this = if self.aliases.contains(name) {
                    Expr::reference(quote!(value))
                } else {
                    Expr::place(quote!(self.0))
                };
                all(self.value(&this, &inner, schema, true))
            }
            TypeInfo::UnitEnum => match schema.as_object() {
                Some(object) if only(object, &["type", "enum", "const"]) => quote!(true),
                _ => self.fallback(&this, schema),
            },
            TypeInfo::DataEnum => self.fallback(&this, schema),
        }
    }

    /// Boolean expressions that check `expr` (of Rust type `ty`) against `schema`. `newtype`: the
    /// value is the inside of a typify newtype, which enforced its string constraints already.
    fn value(
        &mut self,
        expr: &Expr,
        ty: &syn::Type,
        schema: &Value,
        newtype: bool,
    ) -> Vec<TokenStream> {
        // A reference to a shared schema: the named type has its own check.
        let is_ref = schema.get("$ref").is_some();
        let resolved = self.resolve(schema);
        let Some(object) = resolved.as_object() else {
            // `true`/`false` schemas: typify maps `false` to a type that cannot be built.
            return vec![];
        };
        if let syn::Type::Tuple(tuple) = ty {
            return self.tuple(expr, tuple, resolved);
        }
        let Some((wrapper, args)) = type_parts(ty) else {
            return vec![self.fallback(expr, resolved)];
        };
        match (wrapper.as_str(), args.as_slice()) {
            ("Option", [inner]) => {
                let checks = self.value(&Expr::reference(quote!(v)), inner, schema, newtype);
                if checks.is_empty() {
                    return vec![];
                }
                let body = closure(checks);
                let expr = expr.call();
                vec![quote!(#expr.as_ref().is_none_or(#body))]
            }
            ("Box", [inner]) => {
                let tokens = expr.call();
                let bare = if expr.is_ref {
                    quote!(&**#tokens)
                } else {
                    quote!(&*#tokens)
                };
                let inner_expr = Expr {
                    tokens: quote!((#bare)),
                    is_ref: true,
                    bare: Some(bare),
                };
                self.value(&inner_expr, inner, schema, newtype)
            }
            ("Vec", [inner]) => {
                if !only(object, ARRAY_KEYWORDS) || object.get("items").is_some_and(Value::is_array)
                {
                    return vec![self.fallback(expr, resolved)];
                }
                let mut checks = vec![];
                let call = expr.call();
                if let Some(n) = object.get("minItems").and_then(Value::as_u64) {
                    checks.extend(min_len(&quote!(#call.len()), call, n));
                }
                if let Some(n) = object.get("maxItems").and_then(Value::as_u64) {
                    checks.push(max_len(&quote!(#call.len()), call, n));
                }
                if object.get("uniqueItems") == Some(&Value::Bool(true)) {
                    let reference = expr.as_ref();
                    // Untyped items compare as JSON (`1 == 1.0`); typed ones by their Rust value.
                    if type_parts(inner).is_some_and(|(w, _)| w == "Value") {
                        checks.push(
                            quote!(::socketsundso::codegen::check::unique_values(#reference)),
                        );
                    } else {
                        checks.push(quote!(::socketsundso::codegen::check::unique(#reference)));
                    }
                }
                if let Some(items) = object.get("items") {
                    let inner_checks = self.value(&Expr::reference(quote!(v)), inner, items, false);
                    if !inner_checks.is_empty() {
                        let body = closure(inner_checks);
                        checks.push(quote!(#call.iter().all(#body)));
                    }
                }
                checks
            }
            ("HashMap" | "BTreeMap" | "Map", [_, inner]) => {
                if !only(object, MAP_KEYWORDS) {
                    return vec![self.fallback(expr, resolved)];
                }
                let mut checks = vec![];
                let call = expr.call();
                if let Some(n) = object.get("minProperties").and_then(Value::as_u64) {
                    checks.extend(min_len(&quote!(#call.len()), call, n));
                }
                if let Some(n) = object.get("maxProperties").and_then(Value::as_u64) {
                    checks.push(max_len(&quote!(#call.len()), call, n));
                }
                if let Some(values) = object.get("additionalProperties").filter(|v| v.is_object()) {
                    let inner_checks =
                        self.value(&Expr::reference(quote!(v)), inner, values, false);
                    if !inner_checks.is_empty() {
                        let body = closure(inner_checks);
                        checks.push(quote!(#call.values().all(#body)));
                    }
                }
                checks
            }
            ("String", []) => {
                let enforced: &[&str] = if newtype {
                    &["pattern", "minLength", "maxLength"]
                } else {
                    &[]
                };
                let allowed: Vec<&str> = STRING_KEYWORDS.iter().chain(enforced).copied().collect();
                if !only(object, &allowed) {
                    return vec![self.fallback(expr, resolved)];
                }
                string_checks(expr, object, newtype)
            }
            (
                "DateTime" | "NaiveDate" | "Uuid" | "IpAddr" | "Ipv4Addr" | "Ipv6Addr" | "bool",
                _,
            ) => {
                if only(object, &["type", "format"]) {
                    vec![]
                } else {
                    vec![self.fallback(expr, resolved)]
                }
            }
            (number, []) if is_number(number) => {
                if !only(object, NUMBER_KEYWORDS) {
                    return vec![self.fallback(expr, resolved)];
                }
                let value = if number.starts_with("NonZero") {
                    let call = expr.call();
                    quote!(#call.get())
                } else {
                    expr.as_value()
                };
                number_checks(&value, number, object)
            }
            (name, []) if self.types.contains_key(name) => {
                if !is_ref && !self.schemas.contains_key(name) {
                    self.schemas.insert(name.to_owned(), resolved.clone());
                }
                if !self.done.contains(name) {
                    self.queue.push(name.to_owned());
                }
                self.calls
                    .entry(self.current.clone())
                    .or_default()
                    .insert(name.to_owned());
                if !self.needed.as_ref().is_some_and(|n| n.contains(name)) {
                    return vec![];
                }
                let reference = expr.as_ref();
                vec![quote!(::socketsundso::codegen::Check::check(#reference))]
            }
            _ => {
                if object.keys().all(|k| is_annotation(k)) {
                    vec![]
                } else {
                    vec![self.fallback(expr, resolved)]
                }
            }
        }
    }

    /// The checks of a Rust tuple, typify's type for a tuple of fixed length (see
    /// `view::fixed_tuple`): serde reads exactly as many items as it has positions, so what is
    /// left is each position's own schema, checked on `.0`, `.1`, ...
    fn tuple(&mut self, expr: &Expr, tuple: &syn::TypeTuple, schema: &Value) -> Vec<TokenStream> {
        let positions = match schema.as_object() {
            Some(object) if super::view::fixed_tuple(object) == Some(tuple.elems.len()) => {
                object.get("items").and_then(Value::as_array)
            }
            _ => None,
        };
        let Some(positions) = positions else {
            return vec![self.fallback(expr, schema)];
        };
        let call = expr.call();
        let mut checks = vec![];
        for (i, (ty, position)) in tuple.elems.iter().zip(positions).enumerate() {
            let index = syn::Index::from(i);
            checks.extend(self.value(&Expr::place(quote!(#call.#index)), ty, position, false));
        }
        checks
    }

    /// Hands `expr` to the runtime's validator with `schema`.
    fn fallback(&self, expr: &Expr, schema: &Value) -> TokenStream {
        let document = validator_document(self.api, schema).to_string();
        let expr = expr.as_ref();
        // The block is an argument, never the start of a statement, so `&&` can follow it.
        quote! {
            ::socketsundso::codegen::check_value(#expr, {
                static SCHEMA: ::std::sync::LazyLock<::socketsundso::codegen::Validator> =
                    ::std::sync::LazyLock::new(|| ::socketsundso::codegen::validator(#document));
                &SCHEMA
            })
        }
    }

    /// Follows a `$ref` to a definition.
    fn resolve<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'a: 's,
    {
        let mut current = schema;
        for _ in 0..32 {
            let Some(name) = current
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            else {
                break;
            };
            match self.api.definitions.get(name) {
                Some(def) => current = &def.schema,
                None => break,
            }
        }
        current
    }
}

/// `{"schema": …, "definitions": {…}}` with the definitions `schema` reaches: what the
/// runtime's `Validator` compiles.
pub(crate) fn validator_document(api: &Api, schema: &Value) -> Value {
    let mut names = BTreeSet::new();
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(object) => {
                if let Some(name) = object
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/definitions/"))
                    && names.insert(name.to_owned())
                    && let Some(def) = api.definitions.get(name)
                {
                    stack.push(&def.schema);
                }
                stack.extend(object.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    let definitions: Map<String, Value> = names
        .into_iter()
        .filter_map(|name| {
            api.definitions
                .get(&name)
                .map(|def| (name, def.schema.clone()))
        })
        .collect();
    serde_json::json!({ "schema": schema, "definitions": definitions })
}

fn string_checks(expr: &Expr, object: &Map<String, Value>, newtype: bool) -> Vec<TokenStream> {
    let mut checks = vec![];
    let reference = expr.as_ref();
    let expr_call = expr.call();
    if !newtype {
        if let Some(n) = object.get("minLength").and_then(Value::as_u64) {
            checks.extend(min_len(
                &quote!(::socketsundso::codegen::check::char_len(#reference)),
                expr_call,
                n,
            ));
        }
        if let Some(n) = object.get("maxLength").and_then(Value::as_u64) {
            checks.push(max_len(
                &quote!(::socketsundso::codegen::check::char_len(#reference)),
                expr_call,
                n,
            ));
        }
    }
    let expr = &reference;
    match object.get("format").and_then(Value::as_str) {
        Some("email") => checks.push(quote!(::socketsundso::codegen::check::email(#expr))),
        Some("uri") => checks.push(quote!(::socketsundso::codegen::check::uri(#expr))),
        Some("date-time") => checks.push(quote!(::socketsundso::codegen::check::date_time(#expr))),
        Some("date") => checks.push(quote!(::socketsundso::codegen::check::date(#expr))),
        Some("uuid") => checks.push(quote!(::socketsundso::codegen::check::uuid(#expr))),
        _ => {}
    }
    if let Some(Value::String(value)) = object.get("const") {
        checks.push(quote!(#expr_call.as_str() == #value));
    }
    if let Some(Value::Array(values)) = object.get("enum") {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        checks.push(quote!(matches!(#expr_call.as_str(), #(#values)|*)));
    }
    checks
}

fn number_checks(
    value: &TokenStream,
    number: &str,
    object: &Map<String, Value>,
) -> Vec<TokenStream> {
    let float = number.starts_with('f');
    // An `f64` is compared as it is; anything else converts first.
    let as_f64 = if number == "f64" {
        quote!(#value)
    } else {
        quote!((#value as f64))
    };
    let mut checks = vec![];
    let bound = |key: &str| object.get(key).filter(|v| v.is_number());
    let mut compare = |key: &str, op: TokenStream| {
        if let Some(limit) = bound(key) {
            checks.push(compare_number(value, &as_f64, float, limit, op));
        }
    };
    let exclusive_min_flag = object.get("exclusiveMinimum") == Some(&Value::Bool(true));
    let exclusive_max_flag = object.get("exclusiveMaximum") == Some(&Value::Bool(true));
    compare(
        "minimum",
        if exclusive_min_flag {
            quote!(>)
        } else {
            quote!(>=)
        },
    );
    compare(
        "maximum",
        if exclusive_max_flag {
            quote!(<)
        } else {
            quote!(<=)
        },
    );
    compare("exclusiveMinimum", quote!(>));
    compare("exclusiveMaximum", quote!(<));
    if let Some(divisor) = object.get("multipleOf").and_then(Value::as_f64) {
        match object.get("multipleOf").and_then(Value::as_u64) {
            Some(d) if !float && d > 0 => {
                let d = int_literal(i128::from(d), "i128");
                checks.push(quote!(i128::from(#value) % #d == 0));
            }
            _ => {
                // As an argument the cast needs no parentheses (`unused_parens` would object).
                let argument = if number == "f64" {
                    quote!(#value)
                } else {
                    quote!(#value as f64)
                };
                let divisor = float_literal(divisor);
                checks
                    .push(quote!(::socketsundso::codegen::check::multiple_of(#argument, #divisor)));
            }
        }
    }
    checks
}

/// `value op limit`, exact for integers.
fn compare_number(
    value: &TokenStream,
    as_f64: &TokenStream,
    float: bool,
    limit: &Value,
    op: TokenStream,
) -> TokenStream {
    let integral = limit
        .as_i64()
        .map(i128::from)
        .or_else(|| limit.as_u64().map(i128::from));
    match integral {
        Some(limit) if !float => {
            let limit = int_literal(limit, "i128");
            quote!(i128::from(#value) #op #limit)
        }
        _ => {
            let limit = float_literal(limit.as_f64().unwrap_or_default());
            quote!(#as_f64 #op #limit)
        }
    }
}

fn is_number(name: &str) -> bool {
    matches!(
        name,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64"
    ) || name.starts_with("NonZeroU")
        || name.starts_with("NonZeroI")
}

/// Whether the schema uses only `allowed` keywords, besides those that nothing enforces
/// (annotations, `x-` extensions, and unknown keywords, which the generator warns about).
fn only(object: &Map<String, Value>, allowed: &[&str]) -> bool {
    object
        .keys()
        .all(|k| allowed.contains(&k.as_str()) || !ENFORCED.contains(&k.as_str()))
}

/// How a field must be deserialized, where serde's default is too lenient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldFix {
    /// An optional field that is not nullable: `null` is an error, absence is `None`.
    Present,
    /// A date-time: RFC 3339 only (chrono's own parser accepts more).
    DateTime,
    /// An optional, nullable date-time.
    OptionDateTime,
    /// An optional date-time that is not nullable.
    PresentDateTime,
    /// An optional array or map with a minimum size: when present, at least this many entries.
    MinLen(u64),
}

impl FieldFix {
    /// The `#[serde(...)]` attribute that applies the fix.
    pub(crate) fn attribute(self) -> syn::Attribute {
        match self {
            FieldFix::Present => {
                syn::parse_quote!(#[serde(default, deserialize_with = "::socketsundso::codegen::present")])
            }
            FieldFix::DateTime => {
                syn::parse_quote!(#[serde(deserialize_with = "::socketsundso::codegen::date_time")])
            }
            FieldFix::OptionDateTime => {
                syn::parse_quote!(#[serde(default, deserialize_with = "::socketsundso::codegen::option_date_time")])
            }
            FieldFix::PresentDateTime => {
                syn::parse_quote!(#[serde(default, deserialize_with = "::socketsundso::codegen::present_date_time")])
            }
            FieldFix::MinLen(n) => {
                let path = format!("::socketsundso::codegen::min_len::<_, _, {n}>");
                syn::parse_quote!(#[serde(default, deserialize_with = #path)])
            }
        }
    }
}

/// Whether a schema accepts `null`.
fn nullable(schema: &Value) -> bool {
    let branches = |key: &str| schema.get(key).and_then(Value::as_array);
    if let Some(Value::Array(values)) = schema.get("enum") {
        return values.contains(&Value::Null);
    }
    if let Some(value) = schema.get("const") {
        return value.is_null();
    }
    match schema.get("type") {
        Some(Value::String(t)) => return t == "null",
        Some(Value::Array(types)) => return types.iter().any(|t| t == "null"),
        _ => {}
    }
    if let Some(alternatives) = branches("oneOf").or_else(|| branches("anyOf")) {
        return alternatives.iter().any(nullable);
    }
    if let Some(parts) = branches("allOf") {
        return parts.iter().all(nullable);
    }
    // No type at all: anything goes, `null` too, unless the schema only makes sense for objects
    // or arrays.
    ["properties", "required", "items", "additionalProperties"]
        .iter()
        .all(|k| schema.get(*k).is_none())
}

/// An integer literal with its type suffix, its digits grouped by three (`1_000_000i128`) from
/// six digits on, as clippy's pedantic `unreadable_literal` wants them.
fn int_literal(n: i128, suffix: &str) -> TokenStream {
    let sign = if n < 0 { "-" } else { "" };
    let text = format!(
        "{sign}{}{suffix}",
        group_digits(&n.unsigned_abs().to_string(), true)
    );
    text.parse().unwrap_or_else(|_| quote!(#n))
}

/// A float literal (`f64`), its digits grouped as in [`int_literal`].
fn float_literal(x: f64) -> TokenStream {
    let text = format!("{x:?}");
    let grouped = match text.split_once('.') {
        Some((int, frac)) if x.is_finite() && !text.contains(['e', 'E']) => {
            let sign = if int.starts_with('-') { "-" } else { "" };
            let int = int.trim_start_matches('-');
            if frac == "0" {
                // `1f64`, as `quote!` writes a whole float.
                format!("{sign}{}f64", group_digits(int, true))
            } else {
                format!(
                    "{sign}{}.{}f64",
                    group_digits(int, true),
                    group_digits(frac, false)
                )
            }
        }
        _ => return quote!(#x),
    };
    grouped.parse().unwrap_or_else(|_| quote!(#x))
}

/// `1234567` → `1_234_567` (from the right for an integer part, from the left for a
/// fraction); five digits or fewer stay as they are.
fn group_digits(digits: &str, from_right: bool) -> String {
    if digits.len() <= 5 {
        return digits.to_owned();
    }
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let boundary = if from_right {
            i > 0 && (chars.len() - i).is_multiple_of(3)
        } else {
            i > 0 && i.is_multiple_of(3)
        };
        if boundary {
            out.push('_');
        }
        out.push(*c);
    }
    out
}

/// `len >= n`, written the way clippy likes: nothing for 0, `!is_empty()` for 1.
fn min_len(len: &TokenStream, call: &TokenStream, n: u64) -> Option<TokenStream> {
    match n {
        0 => None,
        1 => Some(quote!(!#call.is_empty())),
        n => {
            let n = int_literal(i128::from(n), "usize");
            Some(quote!(#len >= #n))
        }
    }
}

/// `len <= n`, or `is_empty()` for 0 (clippy objects to `len <= 0`).
fn max_len(len: &TokenStream, call: &TokenStream, n: u64) -> TokenStream {
    if n == 0 {
        quote!(#call.is_empty())
    } else {
        let n = int_literal(i128::from(n), "usize");
        quote!(#len <= #n)
    }
}

/// `|v| a && b`, or the function itself when the closure would only call it.
fn closure(checks: Vec<TokenStream>) -> TokenStream {
    if let [only] = checks.as_slice()
        && only.to_string() == quote!(::socketsundso::codegen::Check::check(v)).to_string()
    {
        return quote!(::socketsundso::codegen::Check::check);
    }
    let body = all(checks);
    quote!(|v| #body)
}

/// Whether a check is `true` (checks nothing).
fn is_true(body: &TokenStream) -> bool {
    let mut tokens = body.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == "true"
    )
}

/// `a && b && c`, or `true`.
fn all(checks: Vec<TokenStream>) -> TokenStream {
    if checks.is_empty() {
        quote!(true)
    } else {
        quote!(#(#checks)&&*)
    }
}

/// The last segment of a type path and its generic type arguments.
fn type_parts(ty: &syn::Type) -> Option<(String, Vec<syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let args = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    Some((last.ident.to_string(), args))
}

/// The value of `#[serde(rename = "...")]`.
pub(crate) fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let mut rename = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if rename.is_some() {
            return rename;
        }
    }
    None
}

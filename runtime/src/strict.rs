//! A deserializer wrapper that makes serde as strict as the schema on the fast path.
//!
//! serde's derived `Deserialize` is lenient in two ways that a JSON Schema is not:
//! - a struct also accepts a JSON array of its field values (`["Ada", 36]` for
//!   `{"name":"Ada","age":36}`);
//! - an object may repeat a key, and the last value wins (a map never notices).
//!
//! [`Strict`] wraps any deserializer and everything it hands out (maps, sequences, options,
//! enums): structs are read only from JSON objects, and a repeated key is rejected wherever it
//! could change or lose data (see [`StrictMap`]). Structs, the common case, pay nothing for it.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// The error message for a repeated key; the slow path reports it with its path.
pub(crate) const DUPLICATE: &str = "duplicate key";

/// A strict view of a deserializer. `.1`: the names of the structs that accept unknown fields
/// (their keys are tracked like a map's, because serde ignores a repeated unknown one).
pub(crate) struct Strict<D>(pub(crate) D, pub(crate) Open);

/// The names of the open structs.
pub(crate) type Open = &'static [&'static str];

/// Forwards `deserialize_*` methods to the inner deserializer with a wrapped visitor.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method($($arg,)* StrictVisitor { inner: visitor, fields: false, integral: false, open: self.1 })
            }
        )*
    };
}

/// Forwards the integer `deserialize_*` methods: the visitor also takes a number with a zero
/// fractional part (`1.0`), which JSON Schema counts as an integer.
macro_rules! forward_integer {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method(StrictVisitor { inner: visitor, fields: false, integral: true, open: self.1 })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_integer! {
        deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64, deserialize_i128,
        deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64, deserialize_u128,
    }

    forward! {
        deserialize_any(), deserialize_bool(), deserialize_f32(), deserialize_f64(), deserialize_char(),
        deserialize_str(), deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
        deserialize_option(), deserialize_unit(), deserialize_seq(), deserialize_map(),
        deserialize_identifier(), deserialize_ignored_any(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    }

    /// A struct is read only from an object, never from an array of its fields.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let open = self.1;
        self.0.deserialize_map(StrictVisitor {
            inner: visitor,
            fields: !open.contains(&name),
            integral: false,
            open,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Wraps what a visitor receives. `fields`: the visitor is a struct's, whose derived code
/// rejects a repeated known field itself. `integral`: it wants an integer, and gets one for a
/// number like `1.0`.
struct StrictVisitor<V> {
    inner: V,
    fields: bool,
    integral: bool,
    open: Open,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StrictVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64), visit_i128(i128),
        visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64), visit_u128(u128),
        visit_f32(f32), visit_char(char), visit_str(&str), visit_borrowed_str(&'de str),
        visit_string(String), visit_bytes(&[u8]), visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        // 2^64 and -2^63: every integral f64 in between converts exactly.
        if self.integral && v.fract() == 0.0 {
            if (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                return self.inner.visit_u64(v as u64);
            }
            if (-9_223_372_036_854_775_808.0..0.0).contains(&v) {
                return self.inner.visit_i64(v as i64);
            }
        }
        self.inner.visit_f64(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Strict(d, self.open))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict(d, self.open))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(StrictSeq(seq, self.open))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        if self.fields {
            self.inner.visit_map(StrictMap::fields(map, self.open))
        } else {
            self.inner.visit_map(StrictMap::new(map, self.open))
        }
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(StrictEnum(data, self.open))
    }
}

/// Hands out strict deserializers to a seed.
struct StrictSeed<S>(S, Open);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d, self.1))
    }
}

struct StrictSeq<A>(A, Open);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(StrictSeed(seed, self.1))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// A map access that rejects a repeated key:
/// - in a map (`HashMap`, a JSON object value), at the top of a message, and in an open struct,
///   it tracks every key;
/// - in a closed struct there is nothing to track: serde's derived code already rejects a
///   repeated field, and an unknown one is an error anyway. This is the common case, and free.
pub(crate) struct StrictMap<'a, 'de, A> {
    map: A,
    mode: Mode<'a, 'de>,
    open: Open,
}

enum Mode<'a, 'de> {
    Fields,
    Map(Seen<'de>),
    /// The top of a message: the tag and the id once; every key once (`seen`) when the payload
    /// type is open. The id goes to its slot.
    Top {
        tag: &'static str,
        seen: Option<Seen<'de>>,
        id: Option<IdSlot<'a>>,
        id_seen: bool,
    },
}

/// Where the top-level map puts the correlation id.
pub(crate) struct IdSlot<'a> {
    /// The id field's name.
    pub(crate) field: &'static str,
    /// Whether the payload declares the field too (then it also gets the value).
    pub(crate) keep: bool,
    /// The id, once found.
    pub(crate) value: &'a mut Option<serde_json::Value>,
    /// The value still to hand to the payload, when `keep`.
    pending: Option<serde_json::Value>,
}

impl<'a> IdSlot<'a> {
    pub(crate) fn new(
        field: &'static str,
        keep: bool,
        value: &'a mut Option<serde_json::Value>,
    ) -> Self {
        IdSlot {
            field,
            keep,
            value,
            pending: None,
        }
    }
}

impl<'de, A: MapAccess<'de>> StrictMap<'static, 'de, A> {
    /// A map (or an open struct): every key once.
    fn new(map: A, open: Open) -> Self {
        StrictMap {
            map,
            mode: Mode::Map(Seen::default()),
            open,
        }
    }

    /// A closed struct's fields.
    fn fields(map: A, open: Open) -> Self {
        StrictMap {
            map,
            mode: Mode::Fields,
            open,
        }
    }
}

impl<'a, 'de, A: MapAccess<'de>> StrictMap<'a, 'de, A> {
    /// The rest of a message's top-level map, after its first key, the tag. `all`: track every
    /// key (an open payload); otherwise only the tag and the id.
    fn top(map: A, tag: &'static str, id: Option<IdSlot<'a>>, open: Open, all: bool) -> Self {
        let seen = all.then(|| {
            let mut seen = Seen::default();
            seen.insert(&Key::Borrowed(tag));
            seen
        });
        StrictMap {
            map,
            mode: Mode::Top {
                tag,
                seen,
                id,
                id_seen: false,
            },
            open,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let key = match &mut self.mode {
            Mode::Fields => return self.map.next_key_seed(StrictSeed(seed, self.open)),
            Mode::Map(seen) => {
                let Some(key) = self.map.next_key_seed(KeySeed)? else {
                    return Ok(None);
                };
                if !seen.insert(&key) {
                    return Err(de::Error::custom(DUPLICATE));
                }
                key
            }
            Mode::Top {
                tag,
                seen,
                id,
                id_seen,
            } => loop {
                let Some(key) = self.map.next_key_seed(KeySeed)? else {
                    return Ok(None);
                };
                let repeated = match seen {
                    Some(seen) => !seen.insert(&key),
                    None => key.as_str() == *tag,
                };
                if repeated {
                    return Err(de::Error::custom(DUPLICATE));
                }
                if let Some(id) = id.as_mut().filter(|id| key.as_str() == id.field) {
                    if std::mem::replace(id_seen, true) {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                    let value: serde_json::Value = self.map.next_value()?;
                    if !id.keep {
                        *id.value = Some(value);
                        continue;
                    }
                    *id.value = Some(value.clone());
                    id.pending = Some(value);
                }
                break key;
            },
        };
        match key {
            Key::Borrowed(key) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(key))
                .map(Some),
            Key::Owned(key) => seed
                .deserialize(de::value::StringDeserializer::new(key))
                .map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if let Mode::Top { id: Some(id), .. } = &mut self.mode
            && let Some(value) = id.pending.take()
        {
            return seed
                .deserialize(Strict(value, self.open))
                .map_err(de::Error::custom);
        }
        self.map.next_value_seed(StrictSeed(seed, self.open))
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The payload of a message: the rest of its top-level map, after the tag. It sees the payload
/// type's name, so it tracks every key only when that type is open.
pub(crate) struct Payload<'a, A> {
    pub(crate) map: A,
    pub(crate) tag: &'static str,
    pub(crate) id: Option<IdSlot<'a>>,
    pub(crate) open: Open,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Payload<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        // Not a struct (an enum of shapes, or a map): track every key.
        visitor.visit_map(StrictMap::top(self.map, self.tag, self.id, self.open, true))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let all = self.open.contains(&name);
        visitor.visit_map(StrictMap::top(self.map, self.tag, self.id, self.open, all))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// An object key: borrowed from the input, or owned when it had escapes.
#[derive(Clone)]
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

/// Reads a key (or the tag's value) as text, borrowing it when it has no escapes.
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

/// The keys of one map so far: borrowed from the input in a small inline array and compared
/// one by one, which is fastest for the usual few keys; past that, in a hash set, so that a map
/// with many keys costs linear time, not quadratic (a client could send one on purpose).
#[derive(Default)]
struct Seen<'de> {
    inline: [&'de str; 8],
    len: usize,
    many: Option<std::collections::HashSet<String>>,
}

impl<'de> Seen<'de> {
    /// Adds a key; `false` if it was there already.
    fn insert(&mut self, key: &Key<'de>) -> bool {
        let k = key.as_str();
        if let Some(many) = &mut self.many {
            return many.insert(k.to_owned());
        }
        if self.inline[..self.len].contains(&k) {
            return false;
        }
        match key {
            Key::Borrowed(key) if self.len < self.inline.len() => {
                self.inline[self.len] = key;
                self.len += 1;
            }
            key => {
                let mut many: std::collections::HashSet<String> = self.inline[..self.len]
                    .iter()
                    .map(|k| (*k).to_owned())
                    .collect();
                many.insert(key.as_str().to_owned());
                self.many = Some(many);
            }
        }
        true
    }
}

struct StrictEnum<A>(A, Open);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for StrictEnum<A> {
    type Error = A::Error;
    type Variant = StrictVariant<A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, StrictVariant(variant, self.1)))
    }
}

struct StrictVariant<A>(A, Open);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for StrictVariant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(StrictSeed(seed, self.1))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(
            len,
            StrictVisitor {
                inner: visitor,
                fields: false,
                integral: false,
                open: self.1,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(
            fields,
            StrictVisitor {
                inner: visitor,
                fields: true,
                integral: false,
                open: self.1,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Person {
        name: String,
        age: u8,
    }

    fn strict<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = T::deserialize(Strict(&mut de, &[]))?;
        de.end()?;
        Ok(value)
    }

    #[test]
    fn objects_still_work() {
        let p: Person = strict(r#"{"name":"Ada","age":36}"#).unwrap();
        assert_eq!(
            p,
            Person {
                name: "Ada".into(),
                age: 36
            }
        );
        let nested: Vec<Option<BTreeMap<String, Person>>> =
            strict(r#"[null,{"a":{"age":1,"name":"x"}}]"#).unwrap();
        assert_eq!(nested.len(), 2);
    }

    #[test]
    fn a_whole_float_is_an_integer() {
        // JSON Schema: `1.0` is an integer.
        assert_eq!(strict::<i64>("1.0").unwrap(), 1);
        assert_eq!(strict::<u8>("255.0").unwrap(), 255);
        assert_eq!(strict::<i32>("-2.0").unwrap(), -2);
        assert_eq!(
            strict::<Vec<u64>>("[1, 2.0, 3e2]").unwrap(),
            vec![1, 2, 300]
        );
        assert!(strict::<i64>("1.5").is_err());
        assert!(strict::<u8>("256.0").is_err(), "out of range");
        assert!(strict::<u64>("-1.0").is_err(), "out of range");
        assert_eq!(strict::<f64>("1.0").unwrap(), 1.0);
    }

    #[test]
    fn a_struct_is_not_read_from_an_array() {
        // Plain serde accepts it; the strict view does not.
        assert!(serde_json::from_str::<Person>(r#"["Ada",36]"#).is_ok());
        assert!(strict::<Person>(r#"["Ada",36]"#).is_err());
        assert!(strict::<Vec<Person>>(r#"[["Ada",36]]"#).is_err());
    }

    #[test]
    fn repeated_keys_are_rejected_in_maps_and_structs() {
        assert!(serde_json::from_str::<BTreeMap<String, u8>>(r#"{"a":1,"a":2}"#).is_ok());
        let e = strict::<BTreeMap<String, u8>>(r#"{"a":1,"a":2}"#).unwrap_err();
        assert!(e.to_string().contains(DUPLICATE), "{e}");
        assert!(
            strict::<BTreeMap<String, u8>>(r#"{"a":1,"\u0061":2}"#).is_err(),
            "escaped duplicate"
        );
        let many: String = (0..20).map(|i| format!(r#""k{i}":{i},"#)).collect();
        assert!(
            strict::<BTreeMap<String, u8>>(&format!("{{{many}\"k3\":0}}")).is_err(),
            "duplicate after the inline keys"
        );
        assert!(strict::<BTreeMap<String, u8>>(&format!("{{{many}\"last\":0}}")).is_ok());
    }
}

//! The reader's framework: streaming serde visitors that fill prost structs field by field.
//!
//! Every message implements [`ReadMessage`]; [`MessageSeed`] drives the object loop, maps keys
//! (camelCase or snake_case) to fields, skips unknown keys without building a tree, and keeps the
//! JSON path in [`Ctx`] so that an error can say where it happened. The path is pushed before a
//! field or element is read and popped after it was read successfully; on error nothing pops, so
//! the stack left behind is the path to the failure.

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::{JsonError, Segment};

/// AnyValues nest (arrays and kvlists of AnyValues); deeper documents are rejected rather than
/// risking the stack. Go's pdata has no such limit, but 128 levels is far beyond real telemetry.
pub const MAX_ANY_VALUE_DEPTH: u32 = 128;

/// State shared by all visitors of one document.
#[derive(Default)]
pub(crate) struct Ctx {
    pub(crate) path: Vec<Segment>,
    any_value_depth: u32,
}

/// A JSON object key of one message type.
pub(crate) trait FieldKey: Copy {
    /// The field a key names, accepting both the camelCase and the snake_case spelling.
    fn from_key(key: &str) -> Option<Self>;
    /// The camelCase name, for error paths.
    fn name(self) -> &'static str;
}

/// A message the reader can fill from a JSON object.
pub(crate) trait ReadMessage: Default {
    /// For "invalid type ..., expected {EXPECTING}" errors.
    const EXPECTING: &'static str;
    /// Whether this message can contain itself (AnyValue); such messages count against
    /// [`MAX_ANY_VALUE_DEPTH`].
    const NESTS: bool = false;
    type Field: FieldKey;

    /// Reads the value of `field` from `map` into `self`. Repeated fields append (as protobuf
    /// merging and Go's pdata do when a key repeats); other fields overwrite.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: Self::Field,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error>;
}

/// Declares the JSON keys of a message: an enum with one variant per field, each with its
/// camelCase key first and any other accepted spellings after it.
macro_rules! json_fields {
    ($name:ident { $($variant:ident = $camel:literal $(| $alt:literal)*),* $(,)? }) => {
        // Variants mirror proto field names, which may share a suffix (`stringValue`, ...).
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        pub(crate) enum $name { $($variant),* }

        impl $crate::json::read::FieldKey for $name {
            #[inline]
            fn from_key(key: &str) -> Option<Self> {
                match key {
                    $($camel $(| $alt)* => Some(Self::$variant),)*
                    _ => None,
                }
            }
            fn name(self) -> &'static str {
                match self { $(Self::$variant => $camel),* }
            }
        }
    };
}
pub(crate) use json_fields;

/// Decodes a whole document: one message, then only whitespace.
pub(crate) fn decode<M: ReadMessage>(input: &[u8]) -> Result<M, JsonError> {
    let mut ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_slice(input);
    // MAX_ANY_VALUE_DEPTH bounds our recursion; unknown fields are skipped iteratively.
    de.disable_recursion_limit();
    let result = MessageSeed::<M>::new(&mut ctx)
        .deserialize(&mut de)
        .and_then(|msg| de.end().map(|()| msg));
    match result {
        // A top-level `null` is an empty request, as in Go's pdata.
        Ok(msg) => Ok(msg.unwrap_or_default()),
        Err(err) => Err(JsonError::from_serde(&err, &ctx.path, input)),
    }
}

/// Reads one message; `null` gives `None`.
pub(crate) struct MessageSeed<'c, M> {
    ctx: &'c mut Ctx,
    _msg: PhantomData<fn() -> M>,
}

impl<'c, M> MessageSeed<'c, M> {
    pub(crate) fn new(ctx: &'c mut Ctx) -> Self {
        MessageSeed {
            ctx,
            _msg: PhantomData,
        }
    }
}

impl<'de, M: ReadMessage> DeserializeSeed<'de> for MessageSeed<'_, M> {
    type Value = Option<M>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<M>, D::Error> {
        if M::NESTS {
            if self.ctx.any_value_depth >= MAX_ANY_VALUE_DEPTH {
                return Err(de::Error::custom(format_args!(
                    "AnyValue nesting exceeds the maximum depth of {MAX_ANY_VALUE_DEPTH}"
                )));
            }
            self.ctx.any_value_depth += 1;
            let ctx = &mut *self.ctx;
            let out = d.deserialize_any(MessageSeed::<M>::new(ctx));
            if out.is_ok() {
                ctx.any_value_depth -= 1;
            }
            out
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de, M: ReadMessage> Visitor<'de> for MessageSeed<'_, M> {
    type Value = Option<M>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(M::EXPECTING)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<M>, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<M>, A::Error> {
        let mut msg = M::default();
        while let Some(key) = map.next_key_seed(KeySeed::<M::Field>(PhantomData))? {
            match key {
                Some(field) => {
                    self.ctx.path.push(Segment::Field(field.name()));
                    msg.read_field(field, &mut map, self.ctx)?;
                    self.ctx.path.pop();
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(msg))
    }
}

/// Maps an object key to a field without allocating (serde_json hands out borrowed keys unless
/// they contain escapes).
struct KeySeed<F>(PhantomData<F>);

impl<'de, F: FieldKey> DeserializeSeed<'de> for KeySeed<F> {
    type Value = Option<F>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<F>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de, F: FieldKey> Visitor<'de> for KeySeed<F> {
    type Value = Option<F>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<F>, E> {
        Ok(F::from_key(key))
    }
}

/// Reads a message-typed field; `null` reads as the message's default.
pub(crate) fn message<'de, A: MapAccess<'de>, M: ReadMessage>(
    map: &mut A,
    ctx: &mut Ctx,
) -> Result<M, A::Error> {
    Ok(map
        .next_value_seed(MessageSeed::<M>::new(ctx))?
        .unwrap_or_default())
}

/// Reads an optional message field (`resource`, `status`, ...); `null` reads as absent.
pub(crate) fn optional_message<'de, A: MapAccess<'de>, M: ReadMessage>(
    map: &mut A,
    ctx: &mut Ctx,
) -> Result<Option<M>, A::Error> {
    map.next_value_seed(MessageSeed::<M>::new(ctx))
}

/// Appends the elements of a JSON array of messages to `out`; `null` appends nothing and a `null`
/// element is a default message.
pub(crate) fn repeated<'de, A: MapAccess<'de>, M: ReadMessage>(
    map: &mut A,
    ctx: &mut Ctx,
    out: &mut Vec<M>,
) -> Result<(), A::Error> {
    map.next_value_seed(RepeatedMessages { ctx, out })
}

/// Appends the elements of a JSON array of scalars, each read with `seed`.
pub(crate) fn repeated_scalar<'de, A, S>(
    map: &mut A,
    ctx: &mut Ctx,
    out: &mut Vec<S::Value>,
    seed: S,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    S: DeserializeSeed<'de> + Copy,
{
    map.next_value_seed(RepeatedScalars { ctx, out, seed })
}

/// A JSON array of messages read into an existing `Vec`, with the index on the path.
struct RepeatedMessages<'c, 'v, M> {
    ctx: &'c mut Ctx,
    out: &'v mut Vec<M>,
}

impl<'de, M: ReadMessage> DeserializeSeed<'de> for RepeatedMessages<'_, '_, M> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, M: ReadMessage> Visitor<'de> for RepeatedMessages<'_, '_, M> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an array of {}", M::EXPECTING)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = self.out.len();
        loop {
            self.ctx.path.push(Segment::Index(index));
            match seq.next_element_seed(MessageSeed::<M>::new(self.ctx))? {
                Some(m) => self.out.push(m.unwrap_or_default()),
                None => {
                    self.ctx.path.pop();
                    return Ok(());
                }
            }
            self.ctx.path.pop();
            index += 1;
        }
    }
}

/// A JSON array of scalars read into an existing `Vec`, with the index on the path.
struct RepeatedScalars<'c, 'v, S, T> {
    ctx: &'c mut Ctx,
    out: &'v mut Vec<T>,
    seed: S,
}

impl<'de, S> DeserializeSeed<'de> for RepeatedScalars<'_, '_, S, S::Value>
where
    S: DeserializeSeed<'de> + Copy,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S> Visitor<'de> for RepeatedScalars<'_, '_, S, S::Value>
where
    S: DeserializeSeed<'de> + Copy,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.out.reserve(n);
        }
        let mut index = self.out.len();
        loop {
            self.ctx.path.push(Segment::Index(index));
            match seq.next_element_seed(self.seed)? {
                Some(v) => self.out.push(v),
                None => {
                    self.ctx.path.pop();
                    return Ok(());
                }
            }
            self.ctx.path.pop();
            index += 1;
        }
    }
}

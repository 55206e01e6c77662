//! The vocabulary of the static message tables in [`otlp`](super::otlp): a [`Schema`] lists a
//! message's fields by number, each with the [`FieldKind`] that decides which wire types prost
//! accepts for it and what the walker checks inside.

/// What a field holds, as far as decoding rules go.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldKind {
    /// int32, int64, uint32, uint64: any valid varint.
    Int,
    /// sint32, sint64: any valid varint (zig-zag).
    SInt,
    /// bool: any valid varint (non-zero is true).
    Bool,
    /// An open enum: any valid varint.
    Enum,
    /// fixed32: four bytes.
    Fixed32,
    /// fixed64: eight bytes.
    Fixed64,
    /// sfixed64: eight bytes.
    SFixed64,
    /// double: eight bytes.
    Double,
    /// A length-delimited UTF-8 string.
    String,
    /// Length-delimited bytes, anything goes.
    Bytes,
    /// A length-delimited nested message.
    Message(&'static Schema),
}

impl FieldKind {
    /// The wire type of one element of a scalar kind; `None` for length-delimited kinds.
    pub(crate) const fn scalar_wire_type(self) -> Option<u8> {
        use super::error::{I32, I64, VARINT};
        match self {
            Self::Int | Self::SInt | Self::Bool | Self::Enum => Some(VARINT),
            Self::Fixed32 => Some(I32),
            Self::Fixed64 | Self::SFixed64 | Self::Double => Some(I64),
            Self::String | Self::Bytes | Self::Message(_) => None,
        }
    }

    /// How error messages name the kind ("wire type 2 for varint field Span.kind").
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::Int | Self::SInt | Self::Bool | Self::Enum => "varint",
            Self::Fixed32 => "fixed32",
            Self::Fixed64 => "fixed64",
            Self::SFixed64 => "sfixed64",
            Self::Double => "double",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Message(_) => "message",
        }
    }
}

/// A field's part in counting items (spans, data points, log records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Holds no items; `count_items` skips it without looking inside.
    None,
    /// Each occurrence is one item (e.g. `ScopeSpans.spans`).
    Item,
    /// A message that contains items further down; counting descends into it.
    Descend,
}

/// One field of a message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) number: u32,
    pub(crate) name: &'static str,
    pub(crate) kind: FieldKind,
    /// `repeated`: scalar kinds then also accept the packed encoding.
    pub(crate) repeated: bool,
    /// Member of the message's (only) oneof: a later occurrence of another member replaces the
    /// value, which matters for counting `Metric.data`.
    pub(crate) oneof: bool,
    pub(crate) role: Role,
}

impl Field {
    pub(crate) const fn new(number: u32, name: &'static str, kind: FieldKind) -> Self {
        Self {
            number,
            name,
            kind,
            repeated: false,
            oneof: false,
            role: Role::None,
        }
    }

    pub(crate) const fn repeated(mut self) -> Self {
        self.repeated = true;
        self
    }

    pub(crate) const fn oneof(mut self) -> Self {
        self.oneof = true;
        self
    }

    pub(crate) const fn items(mut self) -> Self {
        self.role = Role::Item;
        self
    }

    pub(crate) const fn descend(mut self) -> Self {
        self.role = Role::Descend;
        self
    }
}

/// A message: its name (for errors) and its fields indexed by field number.
#[derive(Debug)]
pub(crate) struct Schema {
    pub(crate) name: &'static str,
    /// `by_number[n]` is field `n`; index 0 is always `None`.
    pub(crate) by_number: &'static [Option<Field>],
}

impl Schema {
    /// The field with this number, if the message has one.
    #[inline]
    pub(crate) fn field(&'static self, number: u32) -> Option<&'static Field> {
        self.by_number.get(number as usize)?.as_ref()
    }
}

/// Lays fields out by number (`N` = highest number + 1), checking at compile time that no
/// number is used twice.
pub(crate) const fn by_number<const N: usize, const K: usize>(
    fields: [Field; K],
) -> [Option<Field>; N] {
    let mut out = [None; N];
    let mut i = 0;
    while i < K {
        let number = fields[i].number as usize;
        assert!(
            number > 0 && out[number].is_none(),
            "bad or duplicate field number"
        );
        out[number] = Some(fields[i]);
        i += 1;
    }
    out
}

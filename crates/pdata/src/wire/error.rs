//! [`WireError`]: why a walk rejected its input, with the byte offset and the field involved, so
//! that a receiver's 400 / `INVALID_ARGUMENT` answer tells the client what exactly is wrong.

use std::fmt;

use super::schema::Schema;

/// A protobuf wire type, as the low three bits of a field key.
pub(crate) type WireType = u8;
pub(crate) const VARINT: WireType = 0;
pub(crate) const I64: WireType = 1;
pub(crate) const LEN: WireType = 2;
pub(crate) const SGROUP: WireType = 3;
pub(crate) const EGROUP: WireType = 4;
pub(crate) const I32: WireType = 5;

/// A field of a message, known to its schema or not; used only to describe errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    pub(crate) schema: &'static Schema,
    pub(crate) number: u32,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.schema.field(self.number) {
            Some(field) => write!(f, "{}.{}", self.schema.name, field.name),
            None => write!(f, "{}.{} (unknown field)", self.schema.name, self.number),
        }
    }
}

/// Why a walk stopped.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// The input ended inside a varint.
    TruncatedVarint,
    /// A varint's tenth byte still had its continuation bit set.
    VarintTooLong,
    /// A ten-byte varint whose last byte carries bits beyond 64.
    VarintOverflow,
    /// A field key that does not fit in 32 bits.
    KeyTooLarge(u64),
    /// A field key with wire type 6 or 7.
    InvalidWireType { number: u32, wire_type: WireType },
    /// A field key with field number 0.
    FieldNumberZero,
    /// A known field encoded with a wire type its type does not allow.
    WrongWireType { site: Site, wire_type: WireType },
    /// A length prefix that points past the end of the enclosing message.
    TruncatedLen { site: Site, len: u64, left: usize },
    /// A fixed-width value cut off by the end of the enclosing message.
    TruncatedFixed { site: Site, width: usize },
    /// A packed repeated field whose payload is not a whole number of elements.
    PackedLen {
        site: Site,
        len: usize,
        width: usize,
    },
    /// A string field whose bytes are not UTF-8.
    InvalidUtf8 { site: Site },
    /// More than [`RECURSION_LIMIT`](super::walk::RECURSION_LIMIT) nested messages (or groups).
    RecursionLimit { site: Site },
    /// An end-group key with no start-group open.
    UnexpectedEndGroup { site: Site },
    /// An end-group key whose field number is not the open group's.
    MismatchedEndGroup { site: Site, end: u32 },
    /// A group still open at the end of its enclosing message.
    UnterminatedGroup { site: Site },
}

/// Malformed OTLP protobuf: where (byte offset into the request) and what.
///
/// `Display` reads e.g. `invalid protobuf at byte 1234: string field 'name' (Span.5) is not valid
/// UTF-8`.
#[derive(Clone, Copy, Debug)]
pub struct WireError {
    offset: usize,
    kind: Kind,
}

impl WireError {
    pub(crate) fn new(offset: usize, kind: Kind) -> Self {
        Self { offset, kind }
    }

    /// The byte offset into the request where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Whether the input nests messages deeper than prost (and this walker) accept.
    pub fn is_recursion_limit(&self) -> bool {
        matches!(self.kind, Kind::RecursionLimit { .. })
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid protobuf at byte {}: ", self.offset)?;
        match self.kind {
            Kind::TruncatedVarint => f.write_str("truncated varint"),
            Kind::VarintTooLong => f.write_str("varint longer than 10 bytes"),
            Kind::VarintOverflow => f.write_str("varint overflows 64 bits"),
            Kind::KeyTooLarge(key) => write!(f, "field key {key} does not fit in 32 bits"),
            Kind::InvalidWireType { number, wire_type } => {
                write!(f, "invalid wire type {wire_type} (field {number})")
            }
            Kind::FieldNumberZero => f.write_str("field number 0"),
            Kind::WrongWireType { site, wire_type } => {
                let expected = site
                    .schema
                    .field(site.number)
                    .map_or("", |field| field.kind.label());
                write!(f, "wire type {wire_type} for {expected} field {site}")
            }
            Kind::TruncatedLen { site, len, left } => write!(
                f,
                "truncated length-delimited field {site} (needs {len} bytes, {left} left)"
            ),
            Kind::TruncatedFixed { site, width } => {
                write!(f, "truncated {}-bit field {site}", width * 8)
            }
            Kind::PackedLen { site, len, width } => write!(
                f,
                "packed field {site} has length {len}, not a multiple of {width}"
            ),
            Kind::InvalidUtf8 { site } => {
                let name = site
                    .schema
                    .field(site.number)
                    .map_or("", |field| field.name);
                write!(
                    f,
                    "string field '{name}' ({}.{}) is not valid UTF-8",
                    site.schema.name, site.number
                )
            }
            Kind::RecursionLimit { site } => write!(f, "recursion limit reached at {site}"),
            Kind::UnexpectedEndGroup { site } => {
                write!(f, "end-group key for {site} without a start-group")
            }
            Kind::MismatchedEndGroup { site, end } => {
                write!(f, "group {site} closed by an end-group key of field {end}")
            }
            Kind::UnterminatedGroup { site } => write!(f, "unterminated group {site}"),
        }
    }
}

impl std::error::Error for WireError {}

//! The one generic walker that interprets the [`Schema`] tables: it checks a message field by
//! field with prost's rules and returns how many items (spans, data points, log records) it holds.

use std::ops::Range;

use super::error::{EGROUP, Kind, LEN, SGROUP, Site, VARINT, WireError, WireType};
use super::reader::Reader;
use super::schema::{Field, FieldKind, Role, Schema};

/// prost's `RECURSION_LIMIT`: a request may nest at most this many messages below itself.
pub(crate) const RECURSION_LIMIT: u32 = 100;

/// The "message" that fields inside a skipped group belong to, for error messages.
static GROUP: Schema = Schema {
    name: "(group)",
    by_number: &[],
};

/// How much of the input a walk looks at; a const generic parameter so that each mode gets its
/// own branch-free copy of the walker.
pub(crate) type Mode = bool;
/// Check every field of every nested message, as a prost decode would.
pub(crate) const VALIDATE: Mode = false;
/// Descend only into fields on the way to items; skip everything else by wire type.
pub(crate) const COUNT: Mode = true;

/// Walks the message `schema` in `data[range]` and returns its item count.
///
/// `budget` is prost's `DecodeContext::recurse_count` for the message's fields: entering a nested
/// message, or skipping any unknown field, needs a non-zero budget, and a nested message's fields
/// get one less. A top-level request starts with [`RECURSION_LIMIT`].
pub(crate) fn message<const MODE: Mode>(
    schema: &'static Schema,
    data: &[u8],
    range: Range<usize>,
    budget: u32,
) -> Result<usize, WireError> {
    let mut r = Reader::new(data, range);
    let mut items = 0usize;
    // The oneof member seen last and the items under it: prost keeps only the last member (and
    // merges repeated occurrences of the same member), so only those items survive a decode.
    let mut oneof_number = 0u32;
    let mut oneof_items = 0usize;
    while !r.at_end() {
        let key_at = r.pos();
        let (number, wire_type) = r.key()?;
        let site = Site { schema, number };
        let Some(field) = schema.field(number) else {
            skip(&mut r, site, wire_type, budget, key_at)?;
            continue;
        };
        let n = if MODE == COUNT && field.role == Role::None {
            skip(&mut r, site, wire_type, budget, key_at)?;
            0
        } else {
            known::<MODE>(&mut r, data, field, site, wire_type, budget, key_at)?
        };
        if field.oneof {
            if number == oneof_number {
                oneof_items += n;
            } else {
                oneof_number = number;
                oneof_items = n;
            }
        } else {
            items += n;
        }
    }
    Ok(items + oneof_items)
}

/// Checks one occurrence of a field the schema knows and returns the items in it.
#[inline]
fn known<const MODE: Mode>(
    r: &mut Reader<'_>,
    data: &[u8],
    field: &'static Field,
    site: Site,
    wire_type: WireType,
    budget: u32,
    key_at: usize,
) -> Result<usize, WireError> {
    let wrong = || WireError::new(key_at, Kind::WrongWireType { site, wire_type });
    match field.kind {
        FieldKind::Message(child) => {
            if wire_type != LEN {
                return Err(wrong());
            }
            if budget == 0 {
                return Err(WireError::new(key_at, Kind::RecursionLimit { site }));
            }
            let body = r.length_delimited(site)?;
            match field.role {
                Role::Item if MODE == COUNT => Ok(1),
                Role::Item => {
                    message::<MODE>(child, data, body, budget - 1)?;
                    Ok(1)
                }
                _ => message::<MODE>(child, data, body, budget - 1),
            }
        }
        FieldKind::String => {
            if wire_type != LEN {
                return Err(wrong());
            }
            let body = r.length_delimited(site)?;
            if MODE == VALIDATE {
                utf8(&data[body.clone()], body.start, site)?;
            }
            Ok(0)
        }
        FieldKind::Bytes => {
            if wire_type != LEN {
                return Err(wrong());
            }
            r.length_delimited(site)?;
            Ok(0)
        }
        scalar => {
            // Only length-delimited kinds have no scalar wire type, and they are matched above.
            let expected = scalar.scalar_wire_type().unwrap_or(LEN);
            if wire_type == expected {
                scalar_value(r, wire_type, site)?;
            } else if field.repeated && wire_type == LEN {
                let body = r.length_delimited(site)?;
                packed(data, body, expected, site)?;
            } else {
                return Err(wrong());
            }
            Ok(0)
        }
    }
}

/// Checks that a string field's bytes are UTF-8. OTLP strings are mostly short ASCII (attribute
/// keys and values), for which `is_ascii` is much cheaper than a full `from_utf8` call.
#[inline]
fn utf8(bytes: &[u8], offset: usize, site: Site) -> Result<(), WireError> {
    if bytes.is_ascii() {
        return Ok(());
    }
    std::str::from_utf8(bytes)
        .map(drop)
        .map_err(|e| WireError::new(offset + e.valid_up_to(), Kind::InvalidUtf8 { site }))
}

/// Skips one varint, 64-bit or 32-bit value.
#[inline]
fn scalar_value(r: &mut Reader<'_>, wire_type: WireType, site: Site) -> Result<(), WireError> {
    match wire_type {
        VARINT => r.varint().map(drop),
        super::error::I64 => r.fixed(8, site),
        _ => r.fixed(4, site),
    }
}

/// Checks a packed repeated scalar payload: whole varints, or a multiple of the fixed width.
fn packed(data: &[u8], body: Range<usize>, element: WireType, site: Site) -> Result<(), WireError> {
    let width = match element {
        VARINT => {
            let mut r = Reader::new(data, body);
            while !r.at_end() {
                r.varint()?;
            }
            return Ok(());
        }
        super::error::I64 => 8,
        _ => 4,
    };
    let len = body.len();
    if !len.is_multiple_of(width) {
        return Err(WireError::new(
            body.start,
            Kind::PackedLen { site, len, width },
        ));
    }
    Ok(())
}

/// Skips a field by its wire type, as prost's `skip_field` does for unknown fields: it needs a
/// non-zero recursion budget, and groups nest (each level costs one).
pub(crate) fn skip(
    r: &mut Reader<'_>,
    site: Site,
    wire_type: WireType,
    budget: u32,
    key_at: usize,
) -> Result<(), WireError> {
    if budget == 0 {
        return Err(WireError::new(key_at, Kind::RecursionLimit { site }));
    }
    match wire_type {
        LEN => r.length_delimited(site).map(drop),
        SGROUP => loop {
            if r.at_end() {
                return Err(WireError::new(key_at, Kind::UnterminatedGroup { site }));
            }
            let inner_at = r.pos();
            let (number, inner) = r.key()?;
            if inner == EGROUP {
                if number != site.number {
                    return Err(WireError::new(
                        inner_at,
                        Kind::MismatchedEndGroup { site, end: number },
                    ));
                }
                return Ok(());
            }
            let inner_site = Site {
                schema: &GROUP,
                number,
            };
            skip(r, inner_site, inner, budget - 1, inner_at)?;
        },
        EGROUP => Err(WireError::new(key_at, Kind::UnexpectedEndGroup { site })),
        scalar => scalar_value(r, scalar, site),
    }
}

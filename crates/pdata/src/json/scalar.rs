//! Seeds for scalar fields, accepting what Go's pdata accepts.
//!
//! Go's `pdata/internal/json.Iterator` reads every integer from a JSON number or a decimal string,
//! every double from a number or anything `strconv.ParseFloat` takes (`"NaN"`, `"Infinity"`, hex
//! floats, ...), enums from an integer or their proto name, ids from hex and bytes from padded
//! standard base64. Here `null` additionally reads as the field's default everywhere.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Unexpected, Visitor};

/// Go's `base64.StdEncoding`: standard alphabet, padding required, non-zero trailing bits
/// tolerated (Go only rejects them in `Strict` mode).
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Implements `DeserializeSeed` for a unit-like seed by handing its visitor to `deserialize_any`.
macro_rules! any_seed {
    ($seed:ty, $value:ty) => {
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = $value;
            #[inline]
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<$value, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

/// A string; `null` is "".
#[derive(Clone, Copy)]
pub(crate) struct Str;
any_seed!(Str, String);

impl Visitor<'_> for Str {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

/// `true` or `false`; `null` is false. Strings are rejected, as in Go.
#[derive(Clone, Copy)]
pub(crate) struct Bool;
any_seed!(Bool, bool);

impl Visitor<'_> for Bool {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Integer seeds: a JSON integer in range or a decimal string (`strconv.ParseInt`/`ParseUint`
/// with base 10: an optional sign for signed types only, no spaces, no fraction or exponent).
macro_rules! int_seed {
    ($seed:ident, $ty:ty, $what:literal) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $seed;
        any_seed!($seed, $ty);

        impl Visitor<'_> for $seed {
            type Value = $ty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("an ", $what, " (integer or decimal string)"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                <$ty>::try_from(v).map_err(|_| {
                    E::custom(format_args!(concat!("{} is out of range for ", $what), v))
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                <$ty>::try_from(v).map_err(|_| {
                    E::custom(format_args!(concat!("{} is out of range for ", $what), v))
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                // Rust's integer parsing takes a leading '+' for unsigned types; Go's does not.
                let signed = <$ty>::MIN != 0;
                if !signed && v.starts_with('+') {
                    return Err(E::invalid_value(Unexpected::Str(v), &self));
                }
                v.parse::<$ty>()
                    .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<$ty, E> {
                Ok(0)
            }
        }
    };
}

int_seed!(U32, u32, "uint32");
int_seed!(I32, i32, "int32");
int_seed!(U64, u64, "uint64");
int_seed!(I64, i64, "int64");

/// A double: a JSON number or a string `strconv.ParseFloat` accepts; `null` is 0.
#[derive(Clone, Copy)]
pub(crate) struct F64;
any_seed!(F64, f64);

impl Visitor<'_> for F64 {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a double (number, \"NaN\", \"Infinity\" or \"-Infinity\")")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_go_float(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(0.0)
    }
}

/// An optional double (`sum`, `min`, `max` of histograms); `null` is absent.
#[derive(Clone, Copy)]
pub(crate) struct OptF64;
any_seed!(OptF64, Option<f64>);

impl Visitor<'_> for OptF64 {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        F64.expecting(f)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
        F64.visit_f64(v).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
        F64.visit_u64(v).map(Some)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
        F64.visit_i64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<f64>, E> {
        F64.visit_str(v).map(Some)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }
}

/// Parses a double the way Go's `strconv.ParseFloat(s, 64)` does: decimal with optional sign,
/// fraction and exponent; case-insensitive `inf`/`infinity` with an optional sign and `nan`
/// without one; hexadecimal `0x1.8p3`. Out-of-range finite values are errors (Go returns
/// `ErrRange`), underflow rounds to zero.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let signed = unsigned.len() != s.len();
    let first = unsigned.as_bytes().first()?;
    if unsigned.len() > 2
        && unsigned.as_bytes()[0] == b'0'
        && matches!(unsigned.as_bytes()[1], b'x' | b'X')
    {
        let v = parse_hex_float(&unsigned[2..])?;
        return Some(if s.starts_with('-') { -v } else { v });
    }
    if signed && matches!(first, b'n' | b'N') {
        return None;
    }
    // Rust's f64 grammar is Go's decimal grammar (both take "1.", ".5", "1E+5", "inf",
    // "infinity", "nan" in any case) minus underscores, which Go allows only after a base prefix.
    let v: f64 = s.parse().ok()?;
    if v.is_infinite() && !matches!(first, b'i' | b'I') {
        return None;
    }
    Some(v)
}

/// The part of a Go hex float after "0x": hex mantissa with an optional point, then a mandatory
/// binary exponent `p[+-]dd`. Mantissa digits past the 15th are folded into the exponent
/// (truncating), which is exact for every value a double can hold to 60 bits.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once(['p', 'P'])?;
    let mut exp: i64 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut m: u64 = 0;
    let mut digits = 0;
    for (i, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let d = c.to_digit(16)?;
        let in_fraction = i >= int_part.len();
        if digits < 15 {
            if m != 0 || d != 0 {
                digits += 1;
            }
            m = m * 16 + u64::from(d);
            if in_fraction {
                exp -= 4;
            }
        } else if !in_fraction {
            exp += 4;
        }
    }
    let exp = i32::try_from(exp.clamp(-2000, 2000)).ok()?;
    // Scale in two steps so that an exponent past the f64 range of 2^±1023 cannot overflow
    // an intermediate result.
    let half = exp / 2;
    let v = (m as f64) * 2f64.powi(half) * 2f64.powi(exp - half);
    if v.is_infinite() {
        return None;
    }
    Some(v)
}

/// An enum field: an int32 or one of the proto value names; `null` is 0. Unknown names are errors,
/// as in Go; unknown numbers are kept.
#[derive(Clone, Copy)]
pub(crate) struct Enum {
    pub(crate) name: &'static str,
    pub(crate) from_name: fn(&str) -> Option<i32>,
}
any_seed!(Enum, i32);

impl Visitor<'_> for Enum {
    type Value = i32;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} (integer or value name)", self.name)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
        I32.visit_u64(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
        I32.visit_i64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i32, E> {
        (self.from_name)(v)
            .ok_or_else(|| E::custom(format_args!("unknown {} value name {v:?}", self.name)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<i32, E> {
        Ok(0)
    }
}

/// A trace id (N = 16) or span id (N = 8) as case-insensitive hex; "" and `null` are the empty id.
#[derive(Clone, Copy)]
pub(crate) struct HexId<const N: usize>;

impl<const N: usize> HexId<N> {
    const WHAT: &'static str = if N == 16 { "trace id" } else { "span id" };
}

impl<'de, const N: usize> DeserializeSeed<'de> for HexId<N> {
    type Value = Bytes;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Bytes, D::Error> {
        d.deserialize_any(self)
    }
}

impl<const N: usize> Visitor<'_> for HexId<N> {
    type Value = Bytes;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} as a hex string", Self::WHAT)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
        if v.is_empty() {
            return Ok(Bytes::new());
        }
        if v.len() / 2 != N {
            return Err(E::custom(format_args!(
                "invalid length {} for {} (want {N} bytes)",
                v.len() / 2,
                Self::WHAT
            )));
        }
        if !v.len().is_multiple_of(2) {
            return Err(E::custom(format_args!(
                "invalid {}: odd number of hex digits ({})",
                Self::WHAT,
                v.len()
            )));
        }
        let mut id = [0u8; N];
        hex::decode_to_slice(v, &mut id)
            .map_err(|e| E::custom(format_args!("invalid {} {v:?}: {e}", Self::WHAT)))?;
        Ok(Bytes::copy_from_slice(&id))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Bytes, E> {
        Ok(Bytes::new())
    }
}

/// A `bytes` field as standard padded base64 (Go's `base64.StdEncoding`, which also skips
/// `\r` and `\n`); "" and `null` are empty.
#[derive(Clone, Copy)]
pub(crate) struct Base64;
any_seed!(Base64, Bytes);

impl Visitor<'_> for Base64 {
    type Value = Bytes;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("base64 bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
        let decoded = if v.contains(['\r', '\n']) {
            let compact: String = v.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            GO_STD_BASE64.decode(compact)
        } else {
            GO_STD_BASE64.decode(v)
        };
        decoded
            .map(Bytes::from)
            .map_err(|e| E::custom(format_args!("invalid base64: {e}")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Bytes, E> {
        Ok(Bytes::new())
    }
}

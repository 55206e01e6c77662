//! Byte sizes for configs: an integer number of bytes, or a string such as `20MiB`, `1GB`,
//! `512 KiB`, `1.5GiB`.
//!
//! Units are case-insensitive: `B`; decimal `KB MB GB TB PB` (and `K M G T P`) are powers of
//! 1000; binary `KiB MiB GiB TiB PiB` (and `Ki Mi Gi Ti Pi`) are powers of 1024. Upstream
//! collector configs mostly use plain integers (`limit_mib`); this type is ours, for fields
//! where a unit reads better.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::yaml::go_quote;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ByteSizeError(String);

impl ByteSize {
    pub const fn bytes(self) -> u64 {
        self.0
    }

    pub const fn kib(n: u64) -> Self {
        ByteSize(n.saturating_mul(1024))
    }

    pub const fn mib(n: u64) -> Self {
        ByteSize(n.saturating_mul(1024 * 1024))
    }

    pub fn parse(orig: &str) -> Result<ByteSize, ByteSizeError> {
        let invalid = || ByteSizeError(format!("invalid byte size {}", go_quote(orig)));
        let s = orig.trim();
        let num_len = s
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map_or(s.len(), |(i, _)| i);
        let (num, unit) = s.split_at(num_len);
        if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
            return Err(invalid());
        }
        let unit = unit.trim_start().to_ascii_lowercase();
        let mult: u64 = match unit.as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "m" | "mb" => 1000_u64.pow(2),
            "g" | "gb" => 1000_u64.pow(3),
            "t" | "tb" => 1000_u64.pow(4),
            "p" | "pb" => 1000_u64.pow(5),
            "ki" | "kib" => 1 << 10,
            "mi" | "mib" => 1 << 20,
            "gi" | "gib" => 1 << 30,
            "ti" | "tib" => 1 << 40,
            "pi" | "pib" => 1 << 50,
            _ => return Err(invalid()),
        };
        if let Ok(n) = num.parse::<u64>() {
            return n.checked_mul(mult).map(ByteSize).ok_or_else(invalid);
        }
        let f: f64 = num.parse().map_err(|_| invalid())?;
        let total = f * mult as f64;
        if !total.is_finite() || total >= u64::MAX as f64 {
            return Err(invalid());
        }
        Ok(ByteSize(total as u64))
    }
}

impl FromStr for ByteSize {
    type Err = ByteSizeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ByteSize::parse(s)
    }
}

impl fmt::Display for ByteSize {
    /// The largest binary unit that divides the size exactly (`20MiB`), else bytes (`1000B`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shift, name) in [
            (50, "PiB"),
            (40, "TiB"),
            (30, "GiB"),
            (20, "MiB"),
            (10, "KiB"),
        ] {
            let unit = 1u64 << shift;
            if self.0 != 0 && self.0.is_multiple_of(unit) {
                return write!(f, "{}{name}", self.0 / unit);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("uint64")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ByteSize, E> {
                ByteSize::parse(s).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v).map(ByteSize).map_err(|_| {
                    E::custom(format!(
                        "cannot parse value as 'uint64': {v} overflows uint"
                    ))
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByteSize, E> {
                if v.is_finite() && v >= 0.0 && v < u64::MAX as f64 {
                    Ok(ByteSize(v as u64))
                } else {
                    Err(E::custom(format!(
                        "cannot parse value as 'uint64': {v} overflows uint"
                    )))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<ByteSize, E> {
                Ok(ByteSize(0))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sizes() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("1024", 1024),
            ("10B", 10),
            ("1KB", 1000),
            ("1kb", 1000),
            ("1K", 1000),
            ("1KiB", 1024),
            ("20MiB", 20 << 20),
            ("20 MiB", 20 << 20),
            ("1GB", 1_000_000_000),
            ("1GiB", 1 << 30),
            ("1.5GiB", 3 << 29),
            ("2Ti", 2 << 40),
            ("1PB", 1_000_000_000_000_000),
            (" 7mb ", 7_000_000),
        ];
        for (s, want) in cases {
            assert_eq!(ByteSize::parse(s), Ok(ByteSize(*want)), "{s}");
        }
    }

    #[test]
    fn invalid_sizes() {
        for s in [
            "",
            "abc",
            "MiB",
            "-1",
            "1.5.5MB",
            "1XB",
            ".5MB",
            "5.MB",
            "1e3",
            "99999999999999PiB",
        ] {
            let err = ByteSize::parse(s).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("invalid byte size {}", go_quote(s)),
                "{s}"
            );
        }
    }

    #[test]
    fn display() {
        assert_eq!(ByteSize(20 << 20).to_string(), "20MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000B");
        assert_eq!(ByteSize(0).to_string(), "0B");
    }
}

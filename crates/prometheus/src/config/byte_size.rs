//! Prometheus' base-2 byte sizes (`units.Base2Bytes`, as in `body_size_limit: 10MB`).
//!
//! The syntax is a sequence of `<decimal><unit>` terms (`1MB512KB`, `1.5GB`), each unit a power
//! of 1024: `B`, `KB`/`KiB`, `MB`/`MiB`, `GB`/`GiB`, `TB`/`TiB`, `PB`/`PiB`, `EB`/`EiB`. A bare
//! `0` is allowed. `kB` (lowercase) is rejected, as in Go.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A size in bytes written in Prometheus' base-2 syntax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

const UNITS: [(&str, u32); 7] = [
    ("B", 0),
    ("K", 1),
    ("M", 2),
    ("G", 3),
    ("T", 4),
    ("P", 5),
    ("E", 6),
];

fn unit_factor(unit: &str) -> Option<f64> {
    if unit == "B" {
        return Some(1.0);
    }
    let (prefix, rest) = unit.split_at_checked(1)?;
    if rest != "B" && rest != "iB" {
        return None;
    }
    let (_, power) = UNITS.iter().skip(1).find(|(p, _)| *p == prefix)?;
    Some(1024f64.powi(*power as i32))
}

impl ByteSize {
    /// Parses the syntax; errors are `units`' (`units: invalid <s>`, `units: missing unit in
    /// <s>`, `units: unknown unit <u> in <s>`).
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "0" {
            return Ok(ByteSize(0));
        }
        if s.is_empty() {
            return Err(format!("units: invalid {s}"));
        }
        let mut rest = s;
        let mut total = 0f64;
        while !rest.is_empty() {
            let num_len = rest
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'.')
                .count();
            let number = &rest[..num_len];
            if number.is_empty() || number == "." || number.matches('.').count() > 1 {
                return Err(format!("units: invalid {s}"));
            }
            let value: f64 = number.parse().map_err(|_| format!("units: invalid {s}"))?;
            rest = &rest[num_len..];
            let unit_len = rest
                .bytes()
                .take_while(|b| !b.is_ascii_digit() && *b != b'.')
                .count();
            if unit_len == 0 {
                return Err(format!("units: missing unit in {s}"));
            }
            let unit = &rest[..unit_len];
            let factor =
                unit_factor(unit).ok_or_else(|| format!("units: unknown unit {unit} in {s}"))?;
            total += value * factor;
            rest = &rest[unit_len..];
        }
        if total >= u64::MAX as f64 {
            return Err(format!("units: invalid {s}"));
        }
        Ok(ByteSize(total as u64))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ByteSize {
    /// The largest unit that divides the size exactly (`10MB`), as `Base2Bytes.String` for
    /// round sizes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0B");
        }
        for (prefix, power) in UNITS.iter().rev() {
            let factor = 1u64 << (10 * power);
            if self.0.is_multiple_of(factor) {
                let suffix = if *power == 0 { "" } else { "B" };
                return write!(f, "{}{prefix}{suffix}", self.0 / factor);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ByteSize::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base2_units() {
        let p = |s: &str| ByteSize::parse(s).map(|b| b.0);
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("100B"), Ok(100));
        assert_eq!(p("10MB"), Ok(10 << 20));
        assert_eq!(p("10MiB"), Ok(10 << 20));
        assert_eq!(p("1KB"), Ok(1024));
        assert_eq!(p("1.5KB"), Ok(1536));
        assert_eq!(p("1GB512MB"), Ok((1 << 30) + (512 << 20)));
        assert_eq!(p("10"), Err("units: missing unit in 10".into()));
        assert_eq!(p("10kB"), Err("units: unknown unit kB in 10kB".into()));
        assert_eq!(p("MB"), Err("units: invalid MB".into()));
        assert_eq!(p(""), Err("units: invalid ".into()));
    }

    #[test]
    fn displays_round_sizes() {
        assert_eq!(ByteSize(10 << 20).to_string(), "10MB");
        assert_eq!(ByteSize(1536).to_string(), "1536B");
        assert_eq!(ByteSize(0).to_string(), "0B");
    }
}

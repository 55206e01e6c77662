//! Prometheus durations (`model.Duration`): `1y2w3d4h5m6s7ms` with every unit optional but in
//! that order, integers only, `0` allowed. Unlike Go's `time.ParseDuration`, `1d`/`1w`/`1y` are
//! accepted and `1.5m` or `30m1h` are not ("not a valid duration string").

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration written in Prometheus' syntax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromDuration(pub Duration);

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

impl PromDuration {
    pub fn from_secs(secs: u64) -> Self {
        PromDuration(Duration::from_secs(secs))
    }

    /// Parses Prometheus' syntax; the error is Prometheus' `not a valid duration string: "<s>"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let invalid = || format!("not a valid duration string: {s:?}");
        if s == "0" {
            return Ok(PromDuration(Duration::ZERO));
        }
        if s.is_empty() {
            return Err("empty duration string".to_string());
        }
        let mut rest = s;
        let mut millis: u64 = 0;
        // Each unit may appear once, in the order of UNITS.
        let mut next_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(invalid());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| invalid())?;
            rest = &rest[digits..];
            // "ms" must be tried before "m".
            let unit = UNITS
                .iter()
                .enumerate()
                .skip(next_unit)
                .filter(|(_, (name, _))| rest.starts_with(name))
                .max_by_key(|(_, (name, _))| name.len())
                .ok_or_else(invalid)?;
            let (index, (name, factor)) = unit;
            rest = &rest[name.len()..];
            next_unit = index + 1;
            millis = n
                .checked_mul(*factor)
                .and_then(|v| millis.checked_add(v))
                .ok_or_else(|| "duration out of range".to_string())?;
        }
        Ok(PromDuration(Duration::from_millis(millis)))
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }
}

impl fmt::Display for PromDuration {
    /// Prometheus' `Duration.String`: the largest units first, `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis() as u64;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (name, factor) in UNITS {
            if ms >= factor {
                write!(f, "{}{name}", ms / factor)?;
                ms %= factor;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PromDuration::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_syntax() {
        let ms = |s: &str| PromDuration::parse(s).map(|d| d.0.as_millis());
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("15s"), Ok(15_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("1d"), Ok(86_400_000));
        assert_eq!(ms("2w"), Ok(14 * 86_400_000));
        assert_eq!(ms("1m500ms"), Ok(60_500));
        assert_eq!(ms("100ms"), Ok(100));
        for bad in ["1.5m", "30m1h", "1s1s", "10", "s", "-1s", " 1s", "1sm"] {
            assert_eq!(
                ms(bad),
                Err(format!("not a valid duration string: {bad:?}")),
                "{bad}"
            );
        }
    }

    #[test]
    fn displays_like_prometheus() {
        for s in ["0s", "15s", "1h30m", "1d", "1m500ms", "1y2w"] {
            assert_eq!(PromDuration::parse(s).unwrap().to_string(), s);
        }
    }
}

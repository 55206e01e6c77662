//! Go's `time.Duration` for configs: `200ms`, `1m30s`, `1.5h`, `300us`/`µs`, `-1s`, `0`.
//!
//! Parsing follows Go's `time.ParseDuration` exactly (units `ns us µs μs ms s m h`, a sign, a
//! bare `0`, fractions, overflow checks) and prints like Go's `Duration.String` (`1m30s`).
//! When decoding a config, an integer is nanoseconds and a float is truncated nanoseconds, as
//! mapstructure does for Go's `int64`-based `time.Duration`. A bad string reports
//! mapstructure's shortened form (`time: invalid duration`), since v2.4 of mapstructure drops
//! the value from messages; [`Duration::parse`] keeps Go's full text.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::yaml::go_quote;

/// A signed span of nanoseconds, like Go's `time.Duration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

const NS: u64 = 1;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
const MIN: u64 = 60 * SEC;
const HOUR: u64 = 60 * MIN;

/// An invalid duration, with Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(String);

impl DurationError {
    /// The message mapstructure (v2.4+) prints: Go's text without the quoted input.
    pub fn mapstructure_message(&self) -> String {
        let msg = &self.0;
        if msg.starts_with("time: unknown unit ") {
            return "time: unknown unit".to_string();
        }
        match msg.rfind(' ') {
            Some(i) if msg.starts_with("time: ") => msg[..i].to_string(),
            _ => msg.clone(),
        }
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_nanos(nanos: i64) -> Self {
        Duration(nanos)
    }

    pub const fn from_millis(ms: i64) -> Self {
        Duration(ms.saturating_mul(1_000_000))
    }

    pub const fn from_secs(s: i64) -> Self {
        Duration(s.saturating_mul(1_000_000_000))
    }

    /// Saturates at Go's maximum (about 292 years).
    pub fn from_std(d: std::time::Duration) -> Self {
        Duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `None` for negative durations, which `std` cannot represent.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// Negative durations become zero.
    pub fn to_std_saturating(self) -> std::time::Duration {
        self.to_std().unwrap_or_default()
    }

    /// Go's `time.ParseDuration`.
    pub fn parse(orig: &str) -> Result<Duration, DurationError> {
        let invalid = || DurationError(format!("time: invalid duration {}", go_quote(orig)));
        let mut s = orig;
        let mut neg = false;
        if let Some(c @ ('-' | '+')) = s.chars().next() {
            neg = c == '-';
            s = &s[1..];
        }
        if s == "0" {
            return Ok(Duration(0));
        }
        if s.is_empty() {
            return Err(invalid());
        }
        let mut d: u64 = 0;
        while !s.is_empty() {
            let b = s.as_bytes();
            if !(b[0] == b'.' || b[0].is_ascii_digit()) {
                return Err(invalid());
            }
            // Integer part.
            let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut v: u64 = 0;
            for &c in &b[..int_len] {
                if v > (1 << 63) / 10 {
                    return Err(invalid());
                }
                v = v * 10 + u64::from(c - b'0');
                if v > 1 << 63 {
                    return Err(invalid());
                }
            }
            let pre = int_len > 0;
            s = &s[int_len..];
            // Fraction.
            let mut f: u64 = 0;
            let mut scale: f64 = 1.0;
            let mut post = false;
            if s.starts_with('.') {
                s = &s[1..];
                let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
                let mut overflow = false;
                for c in s[..frac_len].bytes() {
                    if overflow {
                        continue;
                    }
                    if f > (1 << 63) / 10 {
                        overflow = true;
                        continue;
                    }
                    let y = f * 10 + u64::from(c - b'0');
                    if y > 1 << 63 {
                        overflow = true;
                        continue;
                    }
                    f = y;
                    scale *= 10.0;
                }
                post = frac_len > 0;
                s = &s[frac_len..];
            }
            if !pre && !post {
                return Err(invalid());
            }
            // Unit.
            let unit_len = s
                .char_indices()
                .find(|(_, c)| *c == '.' || c.is_ascii_digit())
                .map_or(s.len(), |(i, _)| i);
            if unit_len == 0 {
                return Err(DurationError(format!(
                    "time: missing unit in duration {}",
                    go_quote(orig)
                )));
            }
            let u = &s[..unit_len];
            s = &s[unit_len..];
            let unit = match u {
                "ns" => NS,
                "us" | "\u{b5}s" | "\u{3bc}s" => US,
                "ms" => MS,
                "s" => SEC,
                "m" => MIN,
                "h" => HOUR,
                _ => {
                    return Err(DurationError(format!(
                        "time: unknown unit {} in duration {}",
                        go_quote(u),
                        go_quote(orig)
                    )));
                }
            };
            if v > (1 << 63) / unit {
                return Err(invalid());
            }
            v *= unit;
            if f > 0 {
                v += (f as f64 * (unit as f64 / scale)) as u64;
                if v > 1 << 63 {
                    return Err(invalid());
                }
            }
            d += v;
            if d > 1 << 63 {
                return Err(invalid());
            }
        }
        if neg {
            return Ok(Duration((d as i128).wrapping_neg() as i64));
        }
        i64::try_from(d).map(Duration).map_err(|_| invalid())
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration::from_std(d)
    }
}

/// Go's fractional formatting: `v` has `prec` decimal digits, trailing zeros dropped.
fn frac(v: u64, prec: u32) -> String {
    let div = 10u64.pow(prec);
    let (int, mut fr) = (v / div, v % div);
    if fr == 0 {
        return int.to_string();
    }
    let mut digits = prec as usize;
    while fr % 10 == 0 {
        fr /= 10;
        digits -= 1;
    }
    format!("{int}.{fr:0digits$}")
}

impl fmt::Display for Duration {
    /// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let u = self.0.unsigned_abs();
        let sign = if neg { "-" } else { "" };
        if u == 0 {
            return f.write_str("0s");
        }
        if u < SEC {
            return if u < US {
                write!(f, "{sign}{u}ns")
            } else if u < MS {
                write!(f, "{sign}{}µs", frac(u, 3))
            } else {
                write!(f, "{sign}{}ms", frac(u, 6))
            };
        }
        let secs = frac(u % MIN, 9);
        let mins = (u / MIN) % 60;
        let hours = u / HOUR;
        if hours > 0 {
            write!(f, "{sign}{hours}h{mins}m{secs}s")
        } else if mins > 0 {
            write!(f, "{sign}{mins}m{secs}s")
        } else {
            write!(f, "{sign}{secs}s")
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("time.Duration")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                Duration::parse(s).map_err(|e| E::custom(e.mapstructure_message()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                Ok(Duration(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                i64::try_from(v)
                    .map(Duration)
                    .map_err(|_| E::custom("cannot parse value as 'time.Duration': strconv.ParseInt: value out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                if v.is_finite() && v.abs() < 9.2e18 {
                    Ok(Duration(v.trunc() as i64))
                } else {
                    Err(E::custom(
                        "cannot parse value as 'time.Duration': strconv.ParseInt: value out of range",
                    ))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Duration, E> {
                Ok(Duration(0))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("+0", 0),
            ("5s", 5 * SEC as i64),
            ("30s", 30 * SEC as i64),
            ("1478s", 1478 * SEC as i64),
            ("-5s", -5 * SEC as i64),
            ("+5s", 5 * SEC as i64),
            ("-0s", 0),
            ("5.0s", 5 * SEC as i64),
            ("5.6s", 5 * SEC as i64 + 600 * MS as i64),
            ("5.s", 5 * SEC as i64),
            (".5s", 500 * MS as i64),
            ("1.004s", SEC as i64 + 4 * MS as i64),
            ("1.0040s", SEC as i64 + 4 * MS as i64),
            ("100.00100s", 100 * SEC as i64 + MS as i64),
            ("10ns", 10),
            ("11us", 11 * US as i64),
            ("12µs", 12 * US as i64),
            ("12μs", 12 * US as i64),
            ("13ms", 13 * MS as i64),
            ("200ms", 200 * MS as i64),
            ("14s", 14 * SEC as i64),
            ("15m", 15 * MIN as i64),
            ("16h", 16 * HOUR as i64),
            ("3h30m", 3 * HOUR as i64 + 30 * MIN as i64),
            ("1m30s", 90 * SEC as i64),
            ("1.5h", 90 * MIN as i64),
            (
                "10.5s4m",
                4 * MIN as i64 + 10 * SEC as i64 + 500 * MS as i64,
            ),
            (
                "-2m3.4s",
                -(2 * MIN as i64 + 3 * SEC as i64 + 400 * MS as i64),
            ),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425 * MS as i64),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * MIN as i64),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-2562047h", -9_223_369_200_000_000_000),
            ("0.100000000000000000000h", 6 * MIN as i64),
            (
                "0.830103483285477580700h",
                49 * MIN as i64 + 48 * SEC as i64 + 372_539_827,
            ),
        ];
        for (s, want) in ok {
            assert_eq!(Duration::parse(s), Ok(Duration(*want)), "{s}");
        }
    }

    #[test]
    fn rejects_like_go() {
        let bad: &[(&str, &str)] = &[
            ("", "time: invalid duration \"\""),
            ("3", "time: missing unit in duration \"3\""),
            ("-", "time: invalid duration \"-\""),
            ("s", "time: invalid duration \"s\""),
            (".", "time: invalid duration \".\""),
            ("-.", "time: invalid duration \"-.\""),
            (".s", "time: invalid duration \".s\""),
            ("+.s", "time: invalid duration \"+.s\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
            ("abc", "time: invalid duration \"abc\""),
            ("1.5 s", "time: unknown unit \" s\" in duration \"1.5 s\""),
            (
                "9223372036854775808ns",
                "time: invalid duration \"9223372036854775808ns\"",
            ),
            (
                "9223372036854775.808us",
                "time: invalid duration \"9223372036854775.808us\"",
            ),
            (
                "9223372036854ms775us808ns",
                "time: invalid duration \"9223372036854ms775us808ns\"",
            ),
            (
                "-9223372036854775809ns",
                "time: invalid duration \"-9223372036854775809ns\"",
            ),
        ];
        for (s, want) in bad {
            assert_eq!(Duration::parse(s).unwrap_err().to_string(), *want, "{s}");
        }
    }

    #[test]
    fn mapstructure_drops_the_value() {
        let m = |s: &str| Duration::parse(s).unwrap_err().mapstructure_message();
        assert_eq!(m("abc"), "time: invalid duration");
        assert_eq!(m("3"), "time: missing unit in duration");
        assert_eq!(m("1d"), "time: unknown unit");
    }

    #[test]
    fn prints_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MIN as i64 + 5 * SEC as i64, "4m5s"),
            (4 * MIN as i64 + 5_001 * MS as i64, "4m5.001s"),
            (
                5 * HOUR as i64 + 6 * MIN as i64 + 7_001 * MS as i64,
                "5h6m7.001s",
            ),
            (8 * MIN as i64 + 1, "8m0.000000001s"),
            (HOUR as i64, "1h0m0s"),
            (200 * MS as i64, "200ms"),
            (-(SEC as i64), "-1s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (d, want) in cases {
            assert_eq!(Duration(*d).to_string(), *want);
        }
    }

    #[test]
    fn std_conversions() {
        assert_eq!(
            Duration::from_secs(2).to_std(),
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(Duration::from_secs(-2).to_std(), None);
        assert_eq!(
            Duration::from_secs(-2).to_std_saturating(),
            std::time::Duration::ZERO
        );
        assert_eq!(
            Duration::from_std(std::time::Duration::MAX).as_nanos(),
            i64::MAX
        );
    }
}

//! Time values printed the way Go prints them, because probes and dashboards parse the
//! health document upstream's Go code writes: `time.Duration.String()` for `uptime` and
//! `time.Time` JSON (RFC 3339 with nanoseconds, trailing zeros trimmed) for `upSince`.

use std::time::Duration;

use chrono::{DateTime, Offset, TimeZone};

/// `time.Duration.String()`: `0s`, `1.5µs`, `2.25ms`, `1m2.5s`, `1h0m0s`.
pub fn duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        // Below a second Go picks the largest unit that keeps an integer part.
        let (unit_nanos, unit) = if nanos < 1_000 {
            (1, "ns")
        } else if nanos < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        return format!("{}{unit}", fraction(nanos, unit_nanos));
    }
    let total_secs = nanos / 1_000_000_000;
    let hours = total_secs / 3600;
    let minutes = (total_secs % 3600) / 60;
    let seconds = fraction(nanos % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// `value / unit` with the fractional digits Go keeps: all significant ones, no trailing zeros.
fn fraction(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let rest = value % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's `time.Time` JSON form (RFC 3339 with up to nine fractional digits, `Z` for UTC).
pub fn rfc3339_nano<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{}", format!("{nanos:09}").trim_end_matches('0'))
    };
    let offset = t.offset().fix().local_minus_utc();
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
    };
    format!("{base}{frac}{zone}")
}

/// What Go writes for a zero `time.Time`, which upstream sends as `upSince` while not ready.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    #[test]
    fn durations_print_like_go() {
        for (d, s) in [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_micros(2_250), "2.25ms"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_millis(62_500), "1m2.5s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_nanos(3_723_000_000_001), "1h2m3.000000001s"),
            (Duration::from_secs(60), "1m0s"),
        ] {
            assert_eq!(duration(d), s);
        }
    }

    #[test]
    fn times_print_like_go_json() {
        let t = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
        assert_eq!(rfc3339_nano(&t), "2024-05-06T07:08:09Z");
        let t = t + chrono::Duration::nanoseconds(120_000_000);
        assert_eq!(rfc3339_nano(&t), "2024-05-06T07:08:09.12Z");
        let east = FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(
            rfc3339_nano(&t.with_timezone(&east)),
            "2024-05-06T09:08:09.12+02:00"
        );
    }
}

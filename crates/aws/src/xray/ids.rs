//! Trace and segment ids between OpenTelemetry's bytes and X-Ray's text forms.
//!
//! X-Ray trace id: `1-` + 8 hex digits (the first 4 bytes, by convention the epoch second the
//! trace started) + `-` + 24 hex digits (the other 12 bytes), 35 characters. Segment ids are the
//! 8-byte span id in 16 lower-case hex digits.

use std::fmt::Write as _;

/// The length of an X-Ray trace id.
pub const TRACE_ID_LEN: usize = 35;

/// X-Ray refuses traces older than 30 days; upstream keeps a margin and refuses 28.
pub const MAX_TRACE_AGE_SECS: i64 = 60 * 60 * 24 * 28;
/// Clock skew tolerated for trace ids from the future.
pub const MAX_TRACE_SKEW_SECS: i64 = 60 * 5;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("invalid xray traceid: {0}")]
    TraceIdOutOfRange(String),
    #[error("invalid X-Ray trace id {0:?}: expected 1-<8 hex digits>-<24 hex digits>")]
    BadTraceId(String),
    #[error("invalid segment id {0:?}: expected 16 hex digits")]
    BadSegmentId(String),
}

/// `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy` from 16 bytes.
pub fn trace_id_to_xray(id: &[u8; 16]) -> String {
    let mut s = String::with_capacity(TRACE_ID_LEN);
    s.push_str("1-");
    push_hex(&mut s, &id[..4]);
    s.push('-');
    push_hex(&mut s, &id[4..]);
    s
}

/// Upstream's timestamp validation (used when the `exporter.awsxray.skiptimestampvalidation`
/// gate is off): the first 4 bytes read as an epoch second must be at most 28 days old and at
/// most 5 minutes ahead of `now_secs`. The error names the id in OTel hex, as upstream.
pub fn check_trace_id_epoch(id: &[u8; 16], now_secs: i64) -> Result<(), IdError> {
    let epoch = i64::from(u32::from_be_bytes([id[0], id[1], id[2], id[3]]));
    let delta = now_secs - epoch;
    if !(-MAX_TRACE_SKEW_SECS..=MAX_TRACE_AGE_SECS).contains(&delta) {
        return Err(IdError::TraceIdOutOfRange(hex(id)));
    }
    Ok(())
}

/// The 16 bytes of an X-Ray trace id.
pub fn trace_id_from_xray(s: &str) -> Result<[u8; 16], IdError> {
    let bad = || IdError::BadTraceId(s.to_string());
    let b = s.as_bytes();
    if b.len() != TRACE_ID_LEN || &b[..2] != b"1-" || b[10] != b'-' {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    decode_hex(&b[2..10], &mut out[..4]).ok_or_else(bad)?;
    decode_hex(&b[11..], &mut out[4..]).ok_or_else(bad)?;
    Ok(out)
}

/// A segment id as 16 hex digits.
pub fn segment_id_to_hex(id: &[u8; 8]) -> String {
    hex(id)
}

/// The 8 bytes of a segment id.
pub fn segment_id_from_hex(s: &str) -> Result<[u8; 8], IdError> {
    let mut out = [0u8; 8];
    if s.len() != 16 {
        return Err(IdError::BadSegmentId(s.to_string()));
    }
    decode_hex(s.as_bytes(), &mut out).ok_or_else(|| IdError::BadSegmentId(s.to_string()))?;
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    push_hex(&mut s, b);
    s
}

fn push_hex(s: &mut String, b: &[u8]) {
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
}

fn decode_hex(src: &[u8], dst: &mut [u8]) -> Option<()> {
    if src.len() != dst.len() * 2 {
        return None;
    }
    let nibble = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    for (i, d) in dst.iter_mut().enumerate() {
        *d = (nibble(src[2 * i])? << 4) | nibble(src[2 * i + 1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OTEL: [u8; 16] = [
        0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47,
        0x36,
    ];

    #[test]
    fn trace_ids_convert_both_ways() {
        let x = trace_id_to_xray(&OTEL);
        assert_eq!(x, "1-4bf92f35-77b34da6a3ce929d0e0e4736");
        assert_eq!(trace_id_from_xray(&x), Ok(OTEL));
        assert_eq!(
            trace_id_from_xray("1-5759E988-BD862E3FE1BE46A994272793").map(|b| b[0]),
            Ok(0x57)
        );
    }

    #[test]
    fn malformed_trace_ids_are_refused() {
        for bad in [
            "",
            "abc",
            "2-4bf92f35-77b34da6a3ce929d0e0e4736",
            "1-4bf92f35x77b34da6a3ce929d0e0e4736",
            "1-4bf92f3g-77b34da6a3ce929d0e0e4736",
            "1-4bf92f35-77b34da6a3ce929d0e0e473",
            "1-4bf92f35-77b34da6a3ce929d0e0e47366",
        ] {
            assert_eq!(
                trace_id_from_xray(bad),
                Err(IdError::BadTraceId(bad.to_string())),
                "{bad}"
            );
        }
    }

    #[test]
    fn segment_ids_convert_both_ways() {
        let id = [1, 2, 3, 4, 5, 6, 7, 0xff];
        assert_eq!(segment_id_to_hex(&id), "01020304050607ff");
        assert_eq!(segment_id_from_hex("01020304050607FF"), Ok(id));
        assert!(segment_id_from_hex("0102").is_err());
        assert!(segment_id_from_hex("01020304050607fz").is_err());
    }

    #[test]
    fn epoch_validation_accepts_28_days_and_5_minutes() {
        let now: i64 = 0x4bf9_2f35;
        assert!(check_trace_id_epoch(&OTEL, now).is_ok());
        assert!(check_trace_id_epoch(&OTEL, now + MAX_TRACE_AGE_SECS).is_ok());
        assert_eq!(
            check_trace_id_epoch(&OTEL, now + MAX_TRACE_AGE_SECS + 1),
            Err(IdError::TraceIdOutOfRange(
                "4bf92f3577b34da6a3ce929d0e0e4736".into()
            ))
        );
        assert!(check_trace_id_epoch(&OTEL, now - MAX_TRACE_SKEW_SECS).is_ok());
        assert!(check_trace_id_epoch(&OTEL, now - MAX_TRACE_SKEW_SECS - 1).is_err());
    }
}

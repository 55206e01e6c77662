//! Prometheus exemplars → OTLP exemplars (contrib `convertExemplar`).

use bytes::Bytes;
use pdata::proto::metrics::v1::{Exemplar, exemplar};
use prometheus::scrape::Exemplar as PromExemplar;

use super::resource::string_kv;

/// Converts one exemplar. `trace_id`/`span_id` labels (any case) that are valid hex become the
/// exemplar's ids (right-aligned and zero-padded when short, truncated when long); otherwise they
/// stay filtered attributes like every other label.
pub fn convert(e: &PromExemplar) -> Exemplar {
    let mut out = Exemplar {
        time_unix_nano: ms_to_nanos(e.timestamp_ms.unwrap_or(0)),
        value: Some(exemplar::Value::AsDouble(e.value)),
        ..Default::default()
    };
    for (name, value) in &e.labels {
        let id = if name.eq_ignore_ascii_case("trace_id") {
            decode_id::<16>(value).map(|id| (&mut out.trace_id, id.to_vec()))
        } else if name.eq_ignore_ascii_case("span_id") {
            decode_id::<8>(value).map(|id| (&mut out.span_id, id.to_vec()))
        } else {
            None
        };
        match id {
            // An all-zero id is the empty id, which OTLP encodes as no bytes.
            Some((slot, id)) => {
                *slot = if id.iter().all(|b| *b == 0) {
                    Bytes::new()
                } else {
                    Bytes::from(id)
                }
            }
            None => out
                .filtered_attributes
                .push(string_kv(name.clone(), value.clone())),
        }
    }
    out
}

/// Prometheus milliseconds → OTLP nanoseconds, wrapping like Go's `pcommon.Timestamp(ms * 1e6)`.
pub fn ms_to_nanos(ms: i64) -> u64 {
    ms.wrapping_mul(1_000_000) as u64
}

/// Go's `decodeAndCopyToLowerBytes`: a value of at least `N` bytes decodes its first `2N` hex
/// digits; a shorter one lands in the low bytes. Odd lengths and non-hex digits fail.
fn decode_id<const N: usize>(hex: &str) -> Option<[u8; N]> {
    let src = hex.as_bytes();
    let mut dst = [0u8; N];
    let decoded_len = src.len() / 2;
    let (src, offset) = if decoded_len >= N {
        (&src[..2 * N], 0)
    } else {
        if src.len() % 2 == 1 {
            return None;
        }
        (src, N - decoded_len)
    };
    for (i, pair) in src.chunks_exact(2).enumerate() {
        dst[offset + i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(dst)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_ids_like_go() {
        assert_eq!(
            decode_id::<8>("0102030405060708"),
            Some([1, 2, 3, 4, 5, 6, 7, 8])
        );
        // Short: right-aligned.
        assert_eq!(decode_id::<8>("abcd"), Some([0, 0, 0, 0, 0, 0, 0xab, 0xcd]));
        // Long: the first N bytes.
        assert_eq!(decode_id::<2>("abcdef01"), Some([0xab, 0xcd]));
        assert_eq!(decode_id::<8>("abc"), None);
        assert_eq!(decode_id::<8>("zz"), None);
        assert_eq!(decode_id::<8>(""), Some([0; 8]));
    }
}

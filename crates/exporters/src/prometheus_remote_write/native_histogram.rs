//! OTLP exponential histogram points → Prometheus native histograms (remote write 1.0
//! `Histogram`), as contrib's `exponentialToNativeHistogram` converts them.
//!
//! An OTLP bucket `i` (at scale `s`) covers `(base^i, base^(i+1)]`; a Prometheus bucket `k`
//! covers `(base^(k-1), base^k]`, so OTLP index `i` is Prometheus index `i + 1`. Scales above 8
//! (Prometheus' finest schema) are reduced to 8 by merging `2^(s-8)` neighbouring buckets.
//! Scales below -4 cannot be represented and are refused.

use pdata::proto::metrics::v1::ExponentialHistogramDataPoint;
use pdata::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use prometheus::remote::proto::histogram::{Count, ResetHint, ZeroCount};
use prometheus::remote::{BucketSpan, Histogram, STALE_NAN_BITS};

/// Prometheus' default zero threshold, used when the point has none.
const DEFAULT_ZERO_THRESHOLD: f64 = 1e-128;

/// A gap of more than this many empty buckets starts a new span (client_golang's rule).
const MAX_FILLED_GAP: i32 = 2;

pub fn convert(p: &ExponentialHistogramDataPoint, timestamp_ms: i64) -> Result<Histogram, String> {
    let mut scale = p.scale;
    if scale < -4 {
        return Err(format!(
            "cannot convert exponential to native histogram. Scale must be >= -4, was {scale}"
        ));
    }
    let mut scale_down = 0;
    if scale > 8 {
        scale_down = scale - 8;
        scale = 8;
    }
    let (positive_spans, positive_deltas) = layout(p.positive.as_ref(), scale_down);
    let (negative_spans, negative_deltas) = layout(p.negative.as_ref(), scale_down);
    let stale = p.flags & 1 == 1;
    Ok(Histogram {
        // Counter resets are left to Prometheus to detect: a wrong `No` hint would corrupt it.
        reset_hint: ResetHint::Unknown as i32,
        schema: scale,
        zero_count: Some(ZeroCount::ZeroCountInt(p.zero_count)),
        zero_threshold: if p.zero_threshold > 0.0 {
            p.zero_threshold
        } else {
            DEFAULT_ZERO_THRESHOLD
        },
        positive_spans,
        positive_deltas,
        negative_spans,
        negative_deltas,
        count: Some(Count::CountInt(if stale {
            STALE_NAN_BITS
        } else {
            p.count
        })),
        sum: if stale {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            p.sum.unwrap_or(0.0)
        },
        timestamp: timestamp_ms,
        ..Default::default()
    })
}

/// Spans and delta-encoded counts of one side's buckets at the reduced scale.
fn layout(buckets: Option<&Buckets>, scale_down: i32) -> (Vec<BucketSpan>, Vec<i64>) {
    let Some(b) = buckets.filter(|b| !b.bucket_counts.is_empty()) else {
        return (Vec::new(), Vec::new());
    };
    // Prometheus index of each OTLP bucket, merged where the reduced scale folds them together.
    let mut merged: Vec<(i32, i64)> = Vec::with_capacity(b.bucket_counts.len());
    for (i, &count) in b.bucket_counts.iter().enumerate() {
        let index = ((b.offset as i64 + i as i64) >> scale_down) as i32 + 1;
        match merged.last_mut() {
            Some((last, c)) if *last == index => *c += count as i64,
            _ => merged.push((index, count as i64)),
        }
    }
    // Empty buckets need not be sent: spans skip them (short runs are filled below).
    merged.retain(|(_, count)| *count != 0);
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(merged.len());
    let mut previous_count = 0i64;
    let mut next_index = 0i32;
    for (index, count) in merged {
        let gap = index - next_index;
        match spans.last_mut() {
            Some(span) if gap <= MAX_FILLED_GAP => {
                // Fill a small gap with empty buckets rather than open a span.
                for _ in 0..gap {
                    deltas.push(-previous_count);
                    previous_count = 0;
                    span.length += 1;
                }
                span.length += 1;
            }
            _ => spans.push(BucketSpan {
                // The first span's offset is absolute; later ones count from the previous end.
                offset: if spans.is_empty() { index } else { gap },
                length: 1,
            }),
        }
        deltas.push(count - previous_count);
        previous_count = count;
        next_index = index + 1;
    }
    (spans, deltas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(scale: i32, offset: i32, counts: Vec<u64>) -> ExponentialHistogramDataPoint {
        ExponentialHistogramDataPoint {
            scale,
            count: counts.iter().sum(),
            sum: Some(10.0),
            positive: Some(Buckets {
                offset,
                bucket_counts: counts,
            }),
            ..Default::default()
        }
    }

    /// Expands spans and deltas back to (index, count) pairs.
    fn expand(spans: &[BucketSpan], deltas: &[i64]) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        let (mut index, mut count, mut d) = (0i32, 0i64, 0usize);
        // The first offset is absolute, later ones count from the end of the previous span.
        for s in spans {
            index += s.offset;
            for _ in 0..s.length {
                count += deltas[d];
                d += 1;
                out.push((index, count));
                index += 1;
            }
        }
        out
    }

    #[test]
    fn indices_shift_by_one_and_small_gaps_are_filled() {
        let h = convert(&point(0, 2, vec![1, 0, 3, 0, 0, 0, 2]), 7).unwrap();
        assert_eq!(h.schema, 0);
        assert_eq!(h.timestamp, 7);
        assert_eq!(h.count, Some(Count::CountInt(6)));
        // OTLP indices 2..=8 → Prometheus 3..=9; zeros inside are kept up to a gap of 2, so
        // indices 3,4,5 form one span and 9 (after three empty buckets) another.
        assert_eq!(
            expand(&h.positive_spans, &h.positive_deltas),
            vec![(3, 1), (4, 0), (5, 3), (9, 2)]
        );
        assert_eq!(h.positive_spans.len(), 2);
        assert_eq!(h.positive_spans[0].offset, 3);
        assert_eq!(h.positive_spans[1].offset, 3);
    }

    #[test]
    fn high_scales_merge_buckets() {
        // Scale 10 → 8: groups of four OTLP buckets become one.
        let h = convert(&point(10, 0, vec![1, 1, 1, 1, 2, 2, 2, 2]), 0).unwrap();
        assert_eq!(h.schema, 8);
        assert_eq!(
            expand(&h.positive_spans, &h.positive_deltas),
            vec![(1, 4), (2, 8)]
        );
        // Negative offsets round towards minus infinity, as an arithmetic shift does.
        let h = convert(&point(9, -3, vec![1, 1, 1]), 0).unwrap();
        assert_eq!(
            expand(&h.positive_spans, &h.positive_deltas),
            vec![(-1, 1), (0, 2)]
        );
    }

    #[test]
    fn too_coarse_scales_are_refused_and_stale_points_marked() {
        assert!(convert(&point(-5, 0, vec![1]), 0).is_err());
        let mut p = point(0, 0, vec![1]);
        p.flags = 1;
        let h = convert(&p, 0).unwrap();
        assert_eq!(h.sum.to_bits(), STALE_NAN_BITS);
        assert_eq!(h.count, Some(Count::CountInt(STALE_NAN_BITS)));
        let empty = convert(&ExponentialHistogramDataPoint::default(), 0).unwrap();
        assert!(empty.positive_spans.is_empty() && empty.negative_deltas.is_empty());
        assert_eq!(empty.zero_threshold, DEFAULT_ZERO_THRESHOLD);
    }
}

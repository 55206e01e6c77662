//! Cutting log events into PutLogEvents batches that CloudWatch Logs accepts.
//!
//! The service's limits (PutLogEvents API reference): at most 10,000 events and 1,048,576 bytes
//! per call, where an event counts its UTF-8 message length plus 26 bytes; at most 256 KiB per
//! event (overhead included); events in chronological order; one batch spanning at most 24
//! hours; nothing older than 14 days or more than 2 hours in the future.
//!
//! Upstream (`internal/aws/cwlogs/pusher.go`) starts a new batch at 256 KiB (the *event*
//! limit), which makes four times more calls than needed; this uses the real 1 MiB call limit.
//! Upstream fails the whole push on one out-of-range event; here that event alone is dropped
//! and counted (the service would reject it anyway).

use super::LogEvent;

pub const MAX_EVENTS_PER_BATCH: usize = 10_000;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const PER_EVENT_OVERHEAD: usize = 26;
/// An event's size limit, overhead included.
pub const MAX_EVENT_BYTES: usize = 262_144;
/// Appended to a message cut to fit [`MAX_EVENT_BYTES`] (upstream's suffix).
pub const TRUNCATED_SUFFIX: &str = "[Truncated...]";
pub const MAX_BATCH_SPAN_MS: i64 = 24 * 3600 * 1000;
pub const MAX_EVENT_AGE_MS: i64 = 14 * 24 * 3600 * 1000;
pub const MAX_EVENT_FUTURE_MS: i64 = 2 * 3600 * 1000;

/// Events left out before sending, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// An empty message (the API refuses it).
    pub empty: usize,
    /// Older than 14 days.
    pub too_old: usize,
    /// More than 2 hours in the future.
    pub too_new: usize,
}

impl Dropped {
    pub fn total(&self) -> usize {
        self.empty + self.too_old + self.too_new
    }

    pub fn add(&mut self, other: Dropped) {
        self.empty += other.empty;
        self.too_old += other.too_old;
        self.too_new += other.too_new;
    }
}

/// Batches ready to send, and what was dropped or truncated on the way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prepared {
    pub batches: Vec<Vec<LogEvent>>,
    pub dropped: Dropped,
    /// Events whose message was cut to fit [`MAX_EVENT_BYTES`].
    pub truncated: usize,
}

/// The size an event counts for in a call.
pub fn event_size(e: &LogEvent) -> usize {
    e.message.len() + PER_EVENT_OVERHEAD
}

/// Validates, truncates and sorts `events` (stable, by timestamp), then cuts them into
/// batches within every limit. A timestamp of 0 means "now" (`now_ms`), as upstream.
pub fn prepare(events: Vec<LogEvent>, now_ms: i64) -> Prepared {
    let mut out = Prepared::default();
    let mut kept: Vec<LogEvent> = Vec::with_capacity(events.len());
    for mut e in events {
        if e.timestamp_ms == 0 {
            e.timestamp_ms = now_ms;
        }
        if e.message.is_empty() {
            out.dropped.empty += 1;
            continue;
        }
        if e.timestamp_ms < now_ms - MAX_EVENT_AGE_MS {
            out.dropped.too_old += 1;
            continue;
        }
        if e.timestamp_ms > now_ms + MAX_EVENT_FUTURE_MS {
            out.dropped.too_new += 1;
            continue;
        }
        if truncate(&mut e.message) {
            out.truncated += 1;
        }
        kept.push(e);
    }
    kept.sort_by_key(|e| e.timestamp_ms);

    let mut batch: Vec<LogEvent> = Vec::new();
    let mut bytes = 0usize;
    let mut first_ts = 0i64;
    for e in kept {
        let size = event_size(&e);
        let full = batch.len() >= MAX_EVENTS_PER_BATCH
            || bytes + size > MAX_BATCH_BYTES
            || (!batch.is_empty() && e.timestamp_ms - first_ts > MAX_BATCH_SPAN_MS);
        if full && !batch.is_empty() {
            out.batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        if batch.is_empty() {
            first_ts = e.timestamp_ms;
        }
        bytes += size;
        batch.push(e);
    }
    if !batch.is_empty() {
        out.batches.push(batch);
    }
    out
}

/// Cuts `message` so that it plus the overhead fits [`MAX_EVENT_BYTES`], ending in
/// [`TRUNCATED_SUFFIX`]. Cuts on a character boundary (upstream cuts bytes and may leave
/// invalid UTF-8, which the service then rejects). Returns whether it cut.
pub fn truncate(message: &mut String) -> bool {
    if message.len() + PER_EVENT_OVERHEAD <= MAX_EVENT_BYTES {
        return false;
    }
    let mut keep = MAX_EVENT_BYTES - PER_EVENT_OVERHEAD - TRUNCATED_SUFFIX.len();
    while !message.is_char_boundary(keep) {
        keep -= 1;
    }
    message.truncate(keep);
    message.push_str(TRUNCATED_SUFFIX);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn ev(ts: i64, msg: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            message: msg.to_string(),
        }
    }

    #[test]
    fn at_most_10000_events_per_batch() {
        let events: Vec<_> = (0..25_001).map(|i| ev(NOW - 1000 + (i % 7), "x")).collect();
        let p = prepare(events, NOW);
        let sizes: Vec<usize> = p.batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10_000, 10_000, 5_001]);
    }

    #[test]
    fn at_most_1_mib_per_batch_counting_26_bytes_per_event() {
        // 100 KiB messages: 10 fit (10 * (102400+26) = 1,024,260), the 11th would exceed.
        let msg = "a".repeat(102_400);
        let events: Vec<_> = (0..25).map(|i| ev(NOW - 100 + i, &msg)).collect();
        let p = prepare(events, NOW);
        let sizes: Vec<usize> = p.batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![10, 10, 5]);
        for b in &p.batches {
            assert!(b.iter().map(event_size).sum::<usize>() <= MAX_BATCH_BYTES);
        }
        // Exactly at the limit is allowed: 4 events of (MAX/4 - 26) bytes fill one batch.
        let exact = "b".repeat(MAX_BATCH_BYTES / 4 - PER_EVENT_OVERHEAD);
        let p = prepare((0..5).map(|i| ev(NOW - 10 + i, &exact)).collect(), NOW);
        let sizes: Vec<usize> = p.batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 1]);
    }

    #[test]
    fn an_oversized_event_is_truncated_to_256_kib_with_the_suffix() {
        let mut p = prepare(vec![ev(NOW, &"z".repeat(300_000)), ev(NOW, "small")], NOW);
        assert_eq!(p.truncated, 1);
        let batch = p.batches.pop().unwrap();
        let big = &batch[0].message;
        assert_eq!(big.len() + PER_EVENT_OVERHEAD, MAX_EVENT_BYTES);
        assert!(big.ends_with(TRUNCATED_SUFFIX));
        assert_eq!(batch[1].message, "small");
        // Exactly at the limit stays as it is.
        let mut at_limit = "y".repeat(MAX_EVENT_BYTES - PER_EVENT_OVERHEAD);
        assert!(!truncate(&mut at_limit));
    }

    #[test]
    fn truncation_keeps_utf8_valid() {
        // 3-byte characters: the cut point falls inside one.
        let mut m = "€".repeat(100_000);
        assert!(truncate(&mut m));
        assert!(m.len() + PER_EVENT_OVERHEAD <= MAX_EVENT_BYTES);
        assert!(m.ends_with(TRUNCATED_SUFFIX));
        assert!(
            m.trim_end_matches(TRUNCATED_SUFFIX)
                .chars()
                .all(|c| c == '€')
        );
    }

    #[test]
    fn a_batch_spans_at_most_24_hours() {
        let day = MAX_BATCH_SPAN_MS;
        let events = vec![
            ev(NOW - 3 * day, "a"),
            ev(NOW - 2 * day, "b"), // exactly 24 h after the first: same batch
            ev(NOW - 2 * day + 1, "c"), // 24 h + 1 ms after the first: new batch
            ev(NOW, "d"),
        ];
        let p = prepare(events, NOW);
        let msgs: Vec<Vec<&str>> = p
            .batches
            .iter()
            .map(|b| b.iter().map(|e| e.message.as_str()).collect())
            .collect();
        assert_eq!(msgs, vec![vec!["a", "b"], vec!["c"], vec!["d"]]);
    }

    #[test]
    fn events_are_sorted_stably_by_timestamp() {
        let events = vec![
            ev(NOW - 5, "late"),
            ev(NOW - 9, "first"),
            ev(NOW - 5, "late2"),
            ev(NOW - 7, "mid"),
        ];
        let p = prepare(events, NOW);
        let msgs: Vec<&str> = p.batches[0].iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, vec!["first", "mid", "late", "late2"]);
        for b in &p.batches {
            assert!(b.windows(2).all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
        }
    }

    #[test]
    fn out_of_range_and_empty_events_are_dropped_and_counted() {
        let events = vec![
            ev(NOW - MAX_EVENT_AGE_MS - 1, "old"),
            ev(NOW - MAX_EVENT_AGE_MS, "oldest allowed"),
            ev(NOW + MAX_EVENT_FUTURE_MS + 1, "future"),
            ev(NOW + MAX_EVENT_FUTURE_MS, "latest allowed"),
            ev(NOW, ""),
            ev(0, "no timestamp"),
        ];
        let p = prepare(events, NOW);
        assert_eq!(
            p.dropped,
            Dropped {
                empty: 1,
                too_old: 1,
                too_new: 1
            }
        );
        let kept: Vec<(i64, &str)> = p
            .batches
            .iter()
            .flatten()
            .map(|e| (e.timestamp_ms, e.message.as_str()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (NOW - MAX_EVENT_AGE_MS, "oldest allowed"),
                (NOW, "no timestamp"),
                (NOW + MAX_EVENT_FUTURE_MS, "latest allowed"),
            ]
        );
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert_eq!(prepare(vec![], NOW), Prepared::default());
    }
}

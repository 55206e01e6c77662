//! Cumulative → delta conversion (upstream `internal/aws/metrics.MetricCalculator`): the first
//! value of a series is kept as the baseline and not emitted (unless
//! `retain_initial_value_of_delta_metric`), later values are emitted as the difference to the
//! previous one, and a reset (the value went down) emits the new raw value.
//!
//! Series not seen for five minutes are forgotten, so the state is bounded by the series alive
//! in the last five minutes. Upstream ages entries by their point timestamp; ferrocol ages them
//! by when they were last updated, so that replayed old data does not lose its baseline at every
//! sweep.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::labels::Labels;

/// How long a series may be silent before its baseline is dropped, and how often to sweep.
pub const SERIES_TTL: Duration = Duration::from_secs(300);

/// What identifies one cumulative series.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub name: String,
    pub namespace: String,
    pub log_group: String,
    pub log_stream: String,
    pub labels: Vec<(String, String)>,
}

impl SeriesKey {
    pub fn new(name: &str, namespace: &str, group: &str, stream: &str, labels: &Labels) -> Self {
        SeriesKey {
            name: name.to_string(),
            namespace: namespace.to_string(),
            log_group: group.to_string(),
            log_stream: stream.to_string(),
            labels: labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }
}

/// A cumulative reading: one number (a sum) or a summary's sum and count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    Value(f64),
    SumCount(f64, u64),
}

struct Entry {
    raw: Reading,
    seen: Instant,
}

/// The baselines of every cumulative series this exporter has seen.
pub struct DeltaCalculator {
    retain_initial: bool,
    series: HashMap<SeriesKey, Entry>,
    last_sweep: Instant,
}

impl DeltaCalculator {
    pub fn new(retain_initial: bool) -> Self {
        DeltaCalculator {
            retain_initial,
            series: HashMap::new(),
            last_sweep: Instant::now(),
        }
    }

    /// The delta to emit for `raw`, or `None` for a first value kept as the baseline.
    pub fn delta(&mut self, key: SeriesKey, raw: Reading, now: Instant) -> Option<Reading> {
        self.sweep(now);
        let entry = Entry { raw, seen: now };
        let Some(prev) = self.series.insert(key, entry) else {
            return self.retain_initial.then_some(raw);
        };
        Some(match (prev.raw, raw) {
            (Reading::Value(p), Reading::Value(v)) => {
                if v < p {
                    Reading::Value(v)
                } else {
                    Reading::Value(v - p)
                }
            }
            (Reading::SumCount(ps, pc), Reading::SumCount(s, c)) => {
                // A summary restarts when its count goes down; its sum may legitimately shrink
                // (negative observations), so only the count decides.
                if c < pc {
                    Reading::SumCount(s, c)
                } else {
                    Reading::SumCount(s - ps, c - pc)
                }
            }
            // The same series changed shape (a sum became a summary): start again from here.
            (_, now_raw) => return self.retain_initial.then_some(now_raw),
        })
    }

    fn sweep(&mut self, now: Instant) {
        if now.duration_since(self.last_sweep) < SERIES_TTL {
            return;
        }
        self.last_sweep = now;
        self.series
            .retain(|_, e| now.duration_since(e.seen) < SERIES_TTL);
    }

    /// Series currently holding a baseline.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> SeriesKey {
        SeriesKey::new(name, "ns", "g", "s", &Labels::new())
    }

    #[test]
    fn first_value_is_the_baseline_then_deltas_then_resets() {
        let mut c = DeltaCalculator::new(false);
        let t = Instant::now();
        assert_eq!(c.delta(key("a"), Reading::Value(10.0), t), None);
        assert_eq!(
            c.delta(key("a"), Reading::Value(15.0), t),
            Some(Reading::Value(5.0))
        );
        assert_eq!(
            c.delta(key("a"), Reading::Value(3.0), t),
            Some(Reading::Value(3.0))
        );
        assert_eq!(
            c.delta(key("a"), Reading::Value(4.5), t),
            Some(Reading::Value(1.5))
        );
        // Another series has its own baseline.
        assert_eq!(c.delta(key("b"), Reading::Value(4.5), t), None);
    }

    #[test]
    fn retained_initial_value_is_emitted() {
        let mut c = DeltaCalculator::new(true);
        let t = Instant::now();
        assert_eq!(
            c.delta(key("a"), Reading::SumCount(2.0, 3), t),
            Some(Reading::SumCount(2.0, 3))
        );
        assert_eq!(
            c.delta(key("a"), Reading::SumCount(5.0, 4), t),
            Some(Reading::SumCount(3.0, 1))
        );
    }

    #[test]
    fn silent_series_are_forgotten() {
        let mut c = DeltaCalculator::new(false);
        let t = Instant::now();
        c.delta(key("old"), Reading::Value(1.0), t);
        let later = t + SERIES_TTL + Duration::from_secs(1);
        assert_eq!(c.delta(key("new"), Reading::Value(1.0), later), None);
        assert_eq!(c.len(), 1);
        // The forgotten series starts again from a baseline.
        assert_eq!(c.delta(key("old"), Reading::Value(7.0), later), None);
    }
}

//! The backend's failure modes: refuse a share of requests (as unavailable, throttled or
//! permanently failed) and delay answers. Which requests fail is deterministic: with a share of
//! 0.25 exactly every fourth request fails, so tests can assert exact counts.

use std::time::Duration;

/// How a refused request is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum FaultKind {
    /// gRPC `UNAVAILABLE` / HTTP 503: retryable.
    #[default]
    Unavailable,
    /// gRPC `RESOURCE_EXHAUSTED` / HTTP 429: throttled, retryable.
    Throttled,
    /// gRPC `INVALID_ARGUMENT` / HTTP 400: permanent, the data is dropped.
    Permanent,
}

/// What the backend does to the requests it gets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Share of requests refused, 0.0..=1.0.
    pub share: f64,
    pub kind: FaultKind,
    /// Wait this long before answering any request.
    pub delay: Duration,
    /// `Retry-After` seconds on HTTP 429/503 answers.
    pub retry_after: Option<u32>,
}

impl Faults {
    /// Whether request number `seq` (0-based) is refused: the share is spread evenly, so after
    /// `n` requests exactly `floor(n * share)` were refused.
    pub fn refuses(&self, seq: u64) -> bool {
        let share = self.share.clamp(0.0, 1.0);
        ((seq + 1) as f64 * share).floor() > (seq as f64 * share).floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(share: f64, n: u64) -> Vec<u64> {
        let f = Faults {
            share,
            ..Faults::default()
        };
        (0..n).filter(|&s| f.refuses(s)).collect()
    }

    #[test]
    fn the_share_is_exact_and_spread_evenly() {
        assert_eq!(refused(0.25, 12), vec![3, 7, 11]);
        assert_eq!(refused(0.5, 6), vec![1, 3, 5]);
        assert_eq!(refused(0.0, 100), Vec::<u64>::new());
        assert_eq!(refused(1.0, 4), vec![0, 1, 2, 3]);
        assert_eq!(refused(0.1, 1000).len(), 100);
    }

    #[test]
    fn out_of_range_shares_are_clamped() {
        assert_eq!(refused(7.0, 3).len(), 3);
        assert!(refused(-1.0, 3).is_empty());
    }
}

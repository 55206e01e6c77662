//! What a run did, as the JSON line the binary prints and the testbed reads.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Encoding, Protocol, Signal};
use crate::transport::Outcome;

/// Counters of one worker, merged at the end (no shared atomics on the hot path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub requests: u64,
    pub sent_items: u64,
    pub acked_items: u64,
    /// Requests per error key (`grpc:UNAVAILABLE`, `http:503`, `transport:closed`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Items per error key.
    pub failed_items: BTreeMap<String, u64>,
}

impl Tally {
    pub fn record(&mut self, items: u64, outcome: &Outcome) {
        self.requests += 1;
        self.sent_items += items;
        match outcome {
            Outcome::Accepted => self.acked_items += items,
            Outcome::Refused(key) | Outcome::Failed(key) => {
                *self.errors.entry(key.clone()).or_default() += 1;
                *self.failed_items.entry(key.clone()).or_default() += items;
            }
        }
    }

    /// Counts a connection attempt that failed (no request was sent).
    pub fn connect_failed(&mut self) {
        *self.errors.entry("connect".into()).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.sent_items += other.sent_items;
        self.acked_items += other.acked_items;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for (k, v) in other.failed_items {
            *self.failed_items.entry(k).or_default() += v;
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub signal: Signal,
    pub protocol: Protocol,
    pub encoding: Encoding,
    pub gzip: bool,
    pub workers: usize,
    pub batch_size: usize,
    /// The requested rate in items/s (0 = unpaced).
    pub target_rate: u64,
    pub requests: u64,
    /// Items in every request sent, answered or not.
    pub sent_items: u64,
    /// Items in requests the server accepted (gRPC OK, HTTP 2xx).
    pub acked_items: u64,
    /// Items in requests that were refused or got no answer.
    pub failed_items: u64,
    /// Failed requests (or connection attempts) by gRPC code / HTTP status / transport error.
    pub errors: BTreeMap<String, u64>,
    pub elapsed_seconds: f64,
    /// Acknowledged items per second.
    pub achieved_rate: f64,
}

impl Summary {
    pub(crate) fn new(config: &crate::LoadConfig, tally: Tally, elapsed_seconds: f64) -> Self {
        Summary {
            signal: config.signal,
            protocol: config.protocol,
            encoding: config.encoding,
            gzip: config.gzip,
            workers: config.workers,
            batch_size: config.shape.batch_size,
            target_rate: config.rate,
            requests: tally.requests,
            sent_items: tally.sent_items,
            acked_items: tally.acked_items,
            failed_items: tally.failed_items.values().sum(),
            errors: tally.errors,
            elapsed_seconds,
            achieved_rate: if elapsed_seconds > 0.0 {
                tally.acked_items as f64 / elapsed_seconds
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_split_accepted_and_failed_items_by_key() {
        let mut a = Tally::default();
        a.record(100, &Outcome::Accepted);
        a.record(100, &Outcome::Refused("grpc:UNAVAILABLE".into()));
        let mut b = Tally::default();
        b.record(50, &Outcome::Refused("grpc:UNAVAILABLE".into()));
        b.record(50, &Outcome::Failed("transport:closed".into()));
        b.connect_failed();
        a.merge(b);
        assert_eq!(a.requests, 4);
        assert_eq!(a.sent_items, 300);
        assert_eq!(a.acked_items, 100);
        assert_eq!(a.errors["grpc:UNAVAILABLE"], 2);
        assert_eq!(a.failed_items["grpc:UNAVAILABLE"], 150);
        assert_eq!(a.errors["connect"], 1);
    }
}

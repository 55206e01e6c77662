//! Maps keyed by a series' label hash: the key already is a good hash, so hashing it again
//! (SipHash) would only cost time on the per-sample paths (staleness tracking, start times).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Passes a `u64` key through as its own hash.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Only `u64` keys are expected; anything else is folded in so the map stays correct.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A map from a label-set hash to `V`.
pub type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>;

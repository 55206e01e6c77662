//! zap's sampler (`zapcore.NewSamplerWithOptions(core, time.Second, initial, thereafter)`), which
//! upstream wraps around the debug exporter's logger: per one-second tick and per message, the
//! first `initial` entries pass, then every `thereafter`-th.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// zap keeps 4096 counters per level and hashes messages onto them.
const COUNTERS: usize = 4096;
const TICK: Duration = Duration::from_secs(1);

pub struct Sampler {
    initial: u64,
    thereafter: u64,
    state: Mutex<State>,
}

struct State {
    tick_start: Instant,
    counts: Vec<u64>,
}

impl Sampler {
    pub fn new(initial: i64, thereafter: i64) -> Self {
        Sampler {
            initial: initial.max(0) as u64,
            thereafter: thereafter.max(0) as u64,
            state: Mutex::new(State {
                tick_start: Instant::now(),
                counts: vec![0; COUNTERS],
            }),
        }
    }

    /// Whether an entry with this message is written now.
    pub fn allow(&self, message: &str) -> bool {
        self.allow_at(message, Instant::now())
    }

    fn allow_at(&self, message: &str, now: Instant) -> bool {
        let mut hasher = DefaultHasher::new();
        message.hash(&mut hasher);
        let slot = (hasher.finish() as usize) % COUNTERS;
        let mut state = self.state.lock();
        if now.duration_since(state.tick_start) >= TICK {
            state.tick_start = now;
            state.counts.iter_mut().for_each(|c| *c = 0);
        }
        state.counts[slot] += 1;
        let n = state.counts[slot];
        if n <= self.initial {
            return true;
        }
        // A zero `thereafter` drops everything past the initial entries.
        self.thereafter > 0 && (n - self.initial).is_multiple_of(self.thereafter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_then_every_nth_per_second() {
        let s = Sampler::new(2, 3);
        let t0 = Instant::now();
        let got: Vec<bool> = (0..8).map(|_| s.allow_at("Traces", t0)).collect();
        assert_eq!(got, [true, true, false, false, true, false, false, true]);
        // Another message has its own counter.
        assert!(s.allow_at("Logs", t0));
        // A new tick starts over.
        assert!(s.allow_at("Traces", t0 + TICK));
        assert!(s.allow_at("Traces", t0 + TICK));
        assert!(!s.allow_at("Traces", t0 + TICK));
    }

    #[test]
    fn defaults_let_everything_through() {
        let s = Sampler::new(2, 1);
        let t0 = Instant::now();
        assert!((0..100).all(|_| s.allow_at("Traces", t0)));
    }
}

//! A token bucket: each worker paces its own share of the rate, so workers never contend on a lock.
//!
//! Time is passed in rather than read, so the arithmetic is tested without sleeping.

use std::time::{Duration, Instant};

/// Tokens are items; a request of `n` items takes `n` tokens. The balance may go negative: the
/// caller then waits until it is back to zero, which keeps the long-run rate exact even when one
/// request is larger than the burst.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` tokens per second, holding at most `burst`; starts full.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes `n` tokens and returns how long to wait before using them (zero when they were there).
    pub fn take(&mut self, n: f64, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= n;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// Tokens available now (negative while in debt).
    pub fn available(&mut self, now: Instant) -> f64 {
        self.refill(now);
        self.tokens
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_full_then_waits_for_the_debt() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000.0, 100.0, t0);
        assert_eq!(b.take(100.0, t0), Duration::ZERO);
        // Empty: the next 100 tokens take 100 ms at 1000/s.
        let wait = b.take(100.0, t0);
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
    }

    #[test]
    fn refills_at_the_rate_up_to_the_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000.0, 100.0, t0);
        b.take(100.0, t0);
        assert!((b.available(t0 + Duration::from_millis(50)) - 50.0).abs() < 1e-6);
        // Idle time never accumulates more than the burst.
        assert!((b.available(t0 + Duration::from_secs(60)) - 100.0).abs() < 1e-6);
    }

    #[test]
    fn requests_larger_than_the_burst_keep_the_long_run_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000.0, 10.0, t0);
        let mut now = t0;
        // 50 requests of 100 items at 1000 items/s must take ~4.99 s (the first 10 are free).
        for _ in 0..50 {
            now += b.take(100.0, now);
        }
        let elapsed = now.duration_since(t0).as_secs_f64();
        assert!((elapsed - 4.99).abs() < 1e-6, "{elapsed}");
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut b = TokenBucket::new(10.0, 10.0, t0);
        b.take(10.0, t0);
        assert!(b.available(t0 - Duration::from_millis(500)).abs() < 1e-9);
    }
}

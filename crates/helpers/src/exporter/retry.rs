//! One payload's way to the backend: attempts bounded by the timeout, separated by exponential
//! backoff with jitter, given up on a permanent error, after `max_elapsed_time`, or at the shutdown
//! deadline.

use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use component::ConsumeError;
use parking_lot::Mutex;
use pdata::payload::{Payload, Request};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Sender;
use super::config::RetryConfig;

/// The delays between attempts, as upstream's exponential backoff computes them: the `n`th wait
/// is drawn uniformly from `interval_n × [1 - randomization_factor, 1 + randomization_factor]`,
/// where `interval_0 = initial_interval` and each next interval is `interval × multiplier`, or
/// `max_interval` once that product would reach it.
#[derive(Clone, Debug)]
pub struct Backoff {
    interval: Duration,
    randomization_factor: f64,
    multiplier: f64,
    max_interval: Duration,
}

impl Backoff {
    pub fn new(cfg: &RetryConfig) -> Self {
        Backoff {
            interval: cfg.initial_interval.to_std_saturating(),
            randomization_factor: cfg.randomization_factor,
            multiplier: cfg.multiplier,
            max_interval: cfg.max_interval.to_std_saturating(),
        }
    }

    /// The next wait, given a uniform random number in `[0, 1)`.
    pub fn next_with(&mut self, random: f64) -> Duration {
        let current = self.interval.as_secs_f64();
        let delta = self.randomization_factor * current;
        let low = current - delta;
        let wait = low + random * 2.0 * delta;
        // Grow the interval for next time, capped at max_interval.
        let max = self.max_interval.as_secs_f64();
        self.interval = if self.multiplier <= 0.0 || current >= max / self.multiplier {
            self.max_interval
        } else {
            Duration::from_secs_f64(current * self.multiplier)
        };
        Duration::try_from_secs_f64(wait.max(0.0)).unwrap_or(Duration::MAX)
    }

    /// The next wait, with process-wide randomness.
    pub fn next_delay(&mut self) -> Duration {
        self.next_with(random_unit())
    }
}

/// A uniform number in `[0, 1)` from a process-wide SplitMix64 sequence: enough to spread retries
/// of many exporters apart, with no dependency and no lock.
pub(crate) fn random_unit() -> f64 {
    static SALT: LazyLock<u64> = LazyLock::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed)
            ^ u64::from(std::process::id()).rotate_left(32)
    });
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(*SALT);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A duration as Go's `time.Duration.String` prints it (`7.5s`, `1m30s`, `200ms`), so log lines
/// and messages read as upstream's.
pub(crate) fn go_duration(d: Duration) -> String {
    confmap::Duration::from_std(d).to_string()
}

/// The same class of error with `prefix` before its message, as upstream's `fmt.Errorf("...: %w")`
/// keeps the wrapped error's class.
pub fn wrap(err: ConsumeError, prefix: &str) -> ConsumeError {
    match err {
        ConsumeError::Permanent(e) => ConsumeError::Permanent(format!("{prefix}{e}").into()),
        ConsumeError::Retryable(e) => ConsumeError::Retryable(format!("{prefix}{e}").into()),
        ConsumeError::Throttled { error, retry_after } => ConsumeError::Throttled {
            error: format!("{prefix}{error}").into(),
            retry_after,
        },
    }
}

/// Shutdown state shared by the retry loops of one helper.
#[derive(Default)]
pub(crate) struct Stop {
    /// Set when shutdown begins: a retry that would start after it is not attempted.
    pub(crate) deadline: Mutex<Option<Instant>>,
    /// Cancelled at the shutdown deadline: attempts and backoff waits end at once.
    pub(crate) now: CancellationToken,
}

/// Sends through timeout and retry.
pub(crate) struct Attempts<M: Request> {
    pub(crate) id: String,
    pub(crate) sender: Arc<dyn Sender<M>>,
    /// Zero: no bound.
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryConfig,
    pub(crate) stop: Arc<Stop>,
}

impl<M: Request> Attempts<M> {
    /// One attempt, bounded by the timeout; a timed-out attempt is retryable.
    async fn attempt(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        let send = self.sender.send(data);
        if self.timeout.is_zero() {
            return send.await;
        }
        match tokio::time::timeout(self.timeout, send).await {
            Ok(result) => result,
            Err(_) => Err(ConsumeError::retryable(format!(
                "context deadline exceeded: the export attempt took longer than the {} timeout",
                go_duration(self.timeout)
            ))),
        }
    }

    /// Sends `data` until it is accepted or given up; the error says why it was given up, with
    /// upstream's prefixes (`not retryable error: `, `no more retries left: `, ...).
    pub(crate) async fn send(&self, data: &Payload<M>) -> Result<(), ConsumeError> {
        let start = Instant::now();
        let mut backoff = Backoff::new(&self.retry);
        loop {
            let result = tokio::select! {
                biased;
                () = self.stop.now.cancelled() => Err(ConsumeError::retryable(
                    "interrupted due to shutdown: the export attempt was cancelled at the shutdown deadline",
                )),
                r = self.attempt(data.clone()) => r,
            };
            let err = match result {
                Ok(()) => return Ok(()),
                Err(e) if self.stop.now.is_cancelled() => return Err(e),
                Err(e) => e,
            };
            if !self.retry.enabled {
                return Err(err);
            }
            if err.is_permanent() {
                return Err(wrap(err, "not retryable error: "));
            }
            let mut delay = backoff.next_delay();
            if let ConsumeError::Throttled { retry_after, .. } = &err {
                delay = delay.max(*retry_after);
            }
            let now = Instant::now();
            let next = now.checked_add(delay);
            let max_elapsed = self.retry.max_elapsed_time.to_std_saturating();
            if !max_elapsed.is_zero() {
                let give_up = start.checked_add(max_elapsed);
                if matches!((give_up, next), (Some(g), Some(n)) if g < n) || next.is_none() {
                    return Err(wrap(err, "no more retries left: "));
                }
            }
            let deadline = *self.stop.deadline.lock();
            if let Some(deadline) = deadline
                && next.is_none_or(|n| deadline < n)
            {
                return Err(wrap(err, "request will be cancelled before next retry: "));
            }
            tracing::info!(
                exporter = %self.id,
                error = %err,
                interval = %go_duration(delay),
                "Exporting failed. Will retry the request after interval."
            );
            tokio::select! {
                biased;
                () = self.stop.now.cancelled() => {
                    return Err(wrap(err, "interrupted due to shutdown: "));
                }
                () = sleep(delay) => {}
            }
        }
    }
}

async fn sleep(delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
    } else if let Some(at) = Instant::now().checked_add(delay) {
        tokio::time::sleep_until(at).await;
    } else {
        std::future::pending::<()>().await;
    }
}

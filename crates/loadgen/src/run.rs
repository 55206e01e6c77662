//! Runs the workers: each owns a connection, a token bucket for its share of the rate, and its
//! own counters; the run ends at the deadline, when the item budget is spent, or when cancelled.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::time::sleep_until;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, LoadConfig};
use crate::pacing::TokenBucket;
use crate::pool::{self, Pool, Prepared};
use crate::summary::{Summary, Tally};
use crate::transport::{Client, Outcome, Target, TransportError};

/// Pause after a failed connection attempt, so a dead server costs no CPU spinning.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// A configured generator with its requests already encoded; it can run several times (a
/// warm-up and a measured phase share the pool).
#[derive(Clone)]
pub struct Generator {
    config: LoadConfig,
    target: Target,
    pool: Arc<Pool>,
}

impl Generator {
    /// Validates the configuration and encodes the pool.
    pub fn new(config: LoadConfig) -> Result<Self, LoadError> {
        config.validate()?;
        let target = Target::from_config(&config)?;
        let pool = Arc::new(Pool::build(&config));
        Ok(Generator {
            config,
            target,
            pool,
        })
    }

    pub fn config(&self) -> &LoadConfig {
        &self.config
    }

    /// The same generator and pool with other bounds (and rate).
    pub fn with_limits(&self, duration: Option<Duration>, items: Option<u64>, rate: u64) -> Self {
        let mut g = self.clone();
        g.config.duration = duration;
        g.config.items = items;
        g.config.rate = rate;
        g
    }

    /// Runs until the duration passes, the items are sent, or `cancel` fires.
    pub async fn run(&self, cancel: CancellationToken) -> Result<Summary, LoadError> {
        self.config.validate()?;
        let start = Instant::now();
        let deadline = self.config.duration.map(|d| start + d);
        let budget = Arc::new(AtomicU64::new(self.config.items.unwrap_or(u64::MAX)));
        let workers: Vec<_> = (0..self.config.workers)
            .map(|w| {
                let worker = Worker {
                    index: w,
                    config: self.config.clone(),
                    target: self.target.clone(),
                    pool: self.pool.clone(),
                    budget: budget.clone(),
                    deadline,
                    cancel: cancel.clone(),
                };
                tokio::spawn(worker.run())
            })
            .collect();
        let mut tally = Tally::default();
        for w in workers {
            // A worker only ends by returning its tally; a panic would be a bug worth seeing.
            tally.merge(w.await.expect("load worker panicked"));
        }
        Ok(Summary::new(
            &self.config,
            tally,
            start.elapsed().as_secs_f64(),
        ))
    }

    /// Runs on a runtime of its own (for callers without one).
    pub fn run_blocking(&self, threads: usize) -> Result<Summary, LoadError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| TransportError::Connect(format!("tokio runtime: {e}")))?;
        rt.block_on(self.run(CancellationToken::new()))
    }
}

struct Worker {
    index: usize,
    config: LoadConfig,
    target: Target,
    pool: Arc<Pool>,
    budget: Arc<AtomicU64>,
    deadline: Option<Instant>,
    cancel: CancellationToken,
}

impl Worker {
    async fn run(self) -> Tally {
        let mut tally = Tally::default();
        let batch = self.config.shape.batch_size as u64;
        let per_worker_rate = self.config.rate as f64 / self.config.workers as f64;
        // Credit for 100 ms (at least one request): a request that stalls is made up by the next
        // ones, so the run reaches its rate, without letting idle time pile up into a flood.
        let burst = (per_worker_rate / 10.0).max(batch as f64);
        let mut bucket = (self.config.rate > 0)
            .then(|| TokenBucket::new(per_worker_rate, burst, Instant::now()));
        let mut client: Option<Client> = None;
        let mut next = self.index;
        loop {
            if self.cancel.is_cancelled() || self.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let Some(items) = self.claim(batch) else {
                break;
            };
            if let Some(b) = bucket.as_mut() {
                let wait = b.take(items as f64, Instant::now());
                if !wait.is_zero() && !self.pause(wait).await {
                    self.refund(items);
                    break;
                }
            }
            if client.is_none() {
                match Client::connect(&self.config, &self.target).await {
                    Ok(c) => client = Some(c),
                    Err(_) => {
                        tally.connect_failed();
                        self.refund(items);
                        if !self.pause(RECONNECT_PAUSE).await {
                            break;
                        }
                        continue;
                    }
                }
            }
            let request = self.request(next, items);
            next = next.wrapping_add(self.config.workers);
            let Some(c) = client.as_mut() else { continue };
            let outcome = match tokio::time::timeout(
                self.config.request_timeout,
                c.send(request.body.clone()),
            )
            .await
            {
                Ok(o) => o,
                Err(_) => Outcome::Failed("timeout".into()),
            };
            if matches!(outcome, Outcome::Failed(_)) {
                client = None;
            }
            tally.record(request.items, &outcome);
        }
        tally
    }

    /// Takes up to `batch` items from the budget; None when it is spent.
    fn claim(&self, batch: u64) -> Option<u64> {
        let mut taken = 0;
        self.budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                taken = left.min(batch);
                (taken > 0).then(|| left - taken)
            })
            .ok()?;
        Some(taken)
    }

    fn refund(&self, items: u64) {
        if self.config.items.is_some() {
            self.budget.fetch_add(items, Ordering::Relaxed);
        }
    }

    /// The next pool request, or a short one built now for the budget's last items.
    fn request(&self, next: usize, items: u64) -> Prepared {
        let full = &self.pool.requests[next % self.pool.requests.len()];
        if items == full.items {
            full.clone()
        } else {
            pool::prepare(&self.config, items as usize, next as u64)
        }
    }

    /// Sleeps for `wait` unless the deadline or cancellation comes first; false if they did.
    async fn pause(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        if self.deadline.is_some_and(|d| until >= d) {
            if let Some(d) = self.deadline {
                tokio::select! {
                    _ = sleep_until(d.into()) => {}
                    _ = self.cancel.cancelled() => {}
                }
            }
            return false;
        }
        tokio::select! {
            _ = sleep_until(until.into()) => true,
            _ = self.cancel.cancelled() => false,
        }
    }
}

//! The limiter shared by every pipeline instance of one `memory_limiter` id: it measures memory
//! every `check_interval` and decides whether data must be refused (upstream
//! `internal/memorylimiter/memorylimiter.go`).
//!
//! Upstream forces a Go GC when above a limit. There is no GC here: allocations are freed when
//! they are dropped, and what stays resident beyond them is memory jemalloc keeps for reuse. So
//! where upstream forces a GC we ask jemalloc to purge those pages, rate-limited by the same
//! `min/max_gc_interval_when_{soft,hard}_limited` settings and backed off the same way when a
//! purge does not release at least 5%.
//!
//! Upstream decides only at each check, so between two checks it admits whatever arrives: on a
//! fast link that is tens of MiB per 100 ms above the soft limit. Here each admitted request's
//! encoded size is added to the last measurement, and once that estimate reaches the soft limit
//! the limiter refuses at once, until the next check measures again. The first request after a
//! check is always admitted, so a request larger than the headroom is not refused forever.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use telemetry::metrics::{Gauge, GaugeMerge, global};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::{Limits, MIB, MemoryLimiterConfig, PurgeIntervals};
use super::source::{MemorySource, MemoryUsage};

/// The error every refused request gets, upstream's `ErrDataRefused`. It is retryable, so
/// receivers answer gRPC `Unavailable` / HTTP 503 and clients retry.
pub const DATA_REFUSED: &str = "data refused due to high memory usage";

/// Upstream's threshold for an effective GC, applied to a purge: it must lower the measurement
/// by at least this many percent.
const EFFECTIVE_PURGE_PERCENT: u64 = 5;

pub struct MemoryLimiter {
    processor: String,
    /// The config it was built from: a reload with the same id but another config gets a new one.
    pub(crate) config: MemoryLimiterConfig,
    limits: Limits,
    check_interval: Duration,
    intervals: PurgeIntervals,
    source: Arc<dyn MemorySource>,
    refusing: AtomicBool,
    /// The last check's measurement, and the encoded bytes admitted since it.
    baseline: AtomicU64,
    admitted_since_check: AtomicU64,
    checks: Mutex<CheckState>,
    allocated_gauge: Gauge,
    resident_gauge: Gauge,
    runner: Mutex<Runner>,
}

/// What one check remembers for the next.
struct CheckState {
    last_purge: Instant,
    /// Back-off between purges on each path; 0 = none (the configured minimum applies).
    soft_backoff: Duration,
    hard_backoff: Duration,
    last_measured: u64,
}

/// The measurement task, shared by the pipeline instances that started the limiter.
#[derive(Default)]
struct Runner {
    users: usize,
    task: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

fn mib(bytes: u64) -> u64 {
    bytes / MIB
}

impl MemoryLimiter {
    pub fn new(
        processor: &str,
        config: &MemoryLimiterConfig,
        limits: Limits,
        source: Arc<dyn MemorySource>,
    ) -> Self {
        tracing::info!(
            processor,
            limit_mib = mib(limits.hard),
            spike_limit_mib = mib(limits.spike),
            check_interval = ?config.check_interval(),
            "Memory limiter configured"
        );
        let labels = || vec![("processor", processor.to_string())];
        MemoryLimiter {
            processor: processor.to_string(),
            config: config.clone(),
            limits,
            check_interval: config.check_interval(),
            intervals: config.purge_intervals(),
            source,
            refusing: AtomicBool::new(false),
            baseline: AtomicU64::new(0),
            admitted_since_check: AtomicU64::new(0),
            checks: Mutex::new(CheckState {
                last_purge: Instant::now(),
                soft_backoff: Duration::ZERO,
                hard_backoff: Duration::ZERO,
                last_measured: 0,
            }),
            // Readings of the one process: while a reload briefly runs the old and the new limiter
            // of this id, the series shows the larger reading, and it goes when the last limiter
            // of the id is dropped.
            allocated_gauge: global().gauge_merged(
                "otelcol_processor_memory_limiter_allocated_bytes",
                "Bytes held by the allocator (jemalloc stats.allocated) at the last check.",
                labels(),
                GaugeMerge::Max,
            ),
            resident_gauge: global().gauge_merged(
                "otelcol_processor_memory_limiter_rss_bytes",
                "Resident set size of the process at the last check.",
                labels(),
                GaugeMerge::Max,
            ),
            runner: Mutex::new(Runner::default()),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether data is being refused now: the last check found memory above the soft limit, or
    /// what was admitted since would have crossed it.
    pub fn must_refuse(&self) -> bool {
        self.refusing.load(Ordering::Relaxed)
    }

    /// Whether a request of `bytes` (encoded) may pass: not while refusing, and not when the
    /// last measurement plus what was admitted since would reach the soft limit. Crossing it
    /// switches refusing on until the next check.
    pub fn admit(&self, bytes: u64) -> bool {
        if self.must_refuse() {
            return false;
        }
        let before = self
            .admitted_since_check
            .fetch_add(bytes, Ordering::Relaxed);
        let estimate = self.baseline.load(Ordering::Relaxed) + before + bytes;
        if before == 0 || estimate < self.limits.soft() {
            return true;
        }
        self.admitted_since_check
            .fetch_sub(bytes, Ordering::Relaxed);
        if !self.refusing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                processor = %self.processor,
                estimated_mem_mib = mib(estimate),
                "Memory usage is above soft limit. Refusing data."
            );
        }
        false
    }

    fn measure(&self) -> u64 {
        let usage: MemoryUsage = self.source.usage();
        self.allocated_gauge.set(usage.allocated as i64);
        self.resident_gauge.set(usage.resident as i64);
        let measured = usage.measured();
        // What was admitted before this reading is in it now.
        self.baseline.store(measured, Ordering::Relaxed);
        self.admitted_since_check.store(0, Ordering::Relaxed);
        measured
    }

    /// One check: measure, purge if a limit is crossed and the rate limit allows, and switch
    /// refusing on or off, logging each transition once.
    pub fn check(&self) {
        let mut state = self.checks.lock();
        let mut measured = self.measure();
        tracing::debug!(processor = %self.processor, cur_mem_mib = mib(measured), "Currently used memory.");

        let mut above_soft = self.note_measurement(&mut state, measured, false);
        if !above_soft {
            if self.refusing.swap(false, Ordering::Relaxed) {
                tracing::info!(
                    processor = %self.processor,
                    cur_mem_mib = mib(measured),
                    "Memory usage back within limits. Resuming normal operation."
                );
            }
            return;
        }

        let above_hard = measured >= self.limits.hard;
        let gate = if above_hard {
            self.intervals.min_hard.max(state.hard_backoff)
        } else {
            self.intervals.min_soft.max(state.soft_backoff)
        };
        if state.last_purge.elapsed() > gate {
            if above_hard {
                tracing::warn!(
                    processor = %self.processor,
                    cur_mem_mib = mib(measured),
                    "Memory usage is above hard limit. Purging."
                );
            } else {
                tracing::info!(
                    processor = %self.processor,
                    cur_mem_mib = mib(measured),
                    "Memory usage is above soft limit. Purging."
                );
            }
            if let Err(error) = self.source.purge() {
                tracing::debug!(processor = %self.processor, %error, "allocator purge failed");
            }
            state.last_purge = Instant::now();
            measured = self.measure();
            tracing::info!(
                processor = %self.processor,
                cur_mem_mib = mib(measured),
                "Memory usage after purge."
            );
            above_soft = self.note_measurement(&mut state, measured, true);
        }

        let was_refusing = self.refusing.swap(above_soft, Ordering::Relaxed);
        if above_soft && !was_refusing {
            tracing::warn!(
                processor = %self.processor,
                cur_mem_mib = mib(measured),
                "Memory usage is above soft limit. Refusing data."
            );
        } else if !above_soft && was_refusing {
            tracing::info!(
                processor = %self.processor,
                cur_mem_mib = mib(measured),
                "Memory usage back within limits. Resuming normal operation."
            );
        }
    }

    /// Records a measurement and returns whether it is above the soft limit. After a purge that
    /// left memory above the soft limit without lowering it by 5%, the purge intervals back off
    /// (doubling, capped by the max settings); any effective drop resets them.
    fn note_measurement(&self, state: &mut CheckState, measured: u64, after_purge: bool) -> bool {
        let above_soft = measured >= self.limits.soft();
        let effective =
            !above_soft || measured <= state.last_measured * (100 - EFFECTIVE_PURGE_PERCENT) / 100;
        state.last_measured = measured;
        if effective {
            state.soft_backoff = Duration::ZERO;
            state.hard_backoff = Duration::ZERO;
        } else if after_purge {
            state.soft_backoff = self.next_backoff(
                state.soft_backoff,
                self.intervals.min_soft,
                self.intervals.max_soft,
            );
            state.hard_backoff = self.next_backoff(
                state.hard_backoff,
                self.intervals.min_hard,
                self.intervals.max_hard,
            );
            tracing::warn!(
                processor = %self.processor,
                next_soft_purge_interval = ?state.soft_backoff,
                next_hard_purge_interval = ?state.hard_backoff,
                cur_mem_mib = mib(measured),
                "Purge did not release enough memory. Will back off purge frequency."
            );
        }
        above_soft
    }

    /// Upstream's back-off: pinned to the minimum when the cap is 0; otherwise doubling from
    /// max(min, 95% of the check interval) up to max(cap, min). The 95% keeps the next tick's
    /// `elapsed > gate` test passing despite timer slop.
    fn next_backoff(&self, current: Duration, min: Duration, cap: Duration) -> Duration {
        if cap.is_zero() {
            return min;
        }
        let floor = min.max(self.check_interval.mul_f64(0.95));
        (current.max(floor) * 2).min(cap.max(min))
    }

    /// Starts measuring, once for all pipeline instances that share this limiter.
    pub fn start(self: &Arc<Self>) {
        let mut runner = self.runner.lock();
        runner.users += 1;
        if runner.task.is_some() {
            return;
        }
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(self.clone().measure_every_interval(stopped));
        runner.task = Some((stop, task));
    }

    /// Stops measuring when the last instance that started the limiter shuts down.
    pub async fn shutdown(&self) {
        let task = {
            let mut runner = self.runner.lock();
            if runner.users == 0 {
                return;
            }
            runner.users -= 1;
            if runner.users > 0 {
                return;
            }
            runner.task.take()
        };
        if let Some((stop, task)) = task {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    async fn measure_every_interval(self: Arc<Self>, mut stop: oneshot::Receiver<()>) {
        let mut ticks =
            tokio::time::interval_at(Instant::now() + self.check_interval, self.check_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = ticks.tick() => {
                    // Reading /proc and purging are blocking calls; keep them off the async
                    // workers.
                    let limiter = self.clone();
                    let _ = tokio::task::spawn_blocking(move || limiter.check()).await;
                }
            }
        }
    }
}

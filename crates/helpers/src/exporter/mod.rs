//! The exporter helper: what every exporter puts between the pipeline and its [`Sender`] —
//! a per-attempt timeout, retries with exponential backoff, a bounded sending queue with its
//! consumers, and the `otelcol_exporter_*` self-metrics — with upstream exporterhelper's config
//! keys, defaults, error strings and log lines (collector-semantics.md §3).
//!
//! ```text
//! consume ─► [sending_queue] ─► num_consumers tasks ─► retry ─► timeout ─► Sender::send
//!              (or inline when the queue is disabled)
//! ```
//!
//! Where ferrocol differs from upstream, it is to lose less data:
//! - **Accounting.** Every payload given to [`Consumer::consume`] ends in exactly one of
//!   `otelcol_exporter_sent_*` (sent), `otelcol_exporter_send_failed_*` (given up, logged) or
//!   `otelcol_exporter_enqueue_failed_*` (refused to the caller with an error it can act on) —
//!   including payloads still queued at the shutdown deadline, payloads whose caller went away
//!   while waiting for room, and sends whose [`Sender`] panicked.
//! - **Shutdown drains.** Upstream stops retrying as soon as shutdown begins, so a backend blip
//!   during a rollout loses whatever is queued (collector#12647). Here the queue keeps being sent,
//!   retries included, until the deadline given to [`ExporterHelper::shutdown`]; a retry that
//!   would start after the deadline is not attempted (`request will be cancelled before next
//!   retry: …`), and at the deadline the remaining attempts and waits are cut short
//!   (`interrupted due to shutdown: …`) and what is left is counted as failed and logged with its
//!   count.
//! - **A payload larger than the whole queue** is refused with a *permanent* error
//!   (`element size too large`): upstream's retryable refusal makes clients retry something that
//!   can never fit.
//!
//! Not implemented yet, and refused by [`ExporterHelper::new`] rather than silently ignored:
//! `sending_queue::storage` (the persistent queue) and `sending_queue::batch`.

mod config;
mod queue;
mod retry;
#[cfg(test)]
mod tests;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use component::{BoxFuture, ComponentId, ConsumeError, Consumer, Signal};
use futures::FutureExt;
use parking_lot::Mutex;
use pdata::payload::{Payload, Request};
use telemetry::metrics::{Counter, global};
use telemetry::obs::ExporterObs;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

pub use config::{
    PartitionConfig, QueueBatchConfig, QueueConfig, RetryConfig, Sizer, TimeoutConfig,
};

use queue::{Entry, Queue, Refusal};
use retry::{Attempts, Stop};

/// What an exporter implements: one attempt to deliver one payload to its backend.
///
/// The helper calls it once per attempt with a cheap clone of the payload (the encoded bytes are
/// shared). Classify failures: [`ConsumeError::Permanent`] is never retried,
/// [`ConsumeError::Throttled`] waits at least `retry_after`, anything else is retried with
/// backoff. The future may be dropped (timeout, shutdown deadline), which must cancel the attempt.
pub trait Sender<M: Request>: Send + Sync + 'static {
    fn send(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>>;
}

/// Timeout, retry and queueing around one exporter's [`Sender`], for one signal. It is the
/// exporter's [`Consumer`] in the pipeline.
pub struct ExporterHelper<M: Request> {
    inner: Arc<Inner<M>>,
}

struct QueueMode<M: Request> {
    queue: Queue<M>,
    sizer: Sizer,
    num_consumers: usize,
    wait_for_result: bool,
}

struct Inner<M: Request> {
    id: String,
    signal: Signal,
    obs: ExporterObs,
    /// The same series `obs` counts into, for outcomes whose log line is not the one `obs` writes.
    send_failed: Counter,
    enqueue_failed: Counter,
    /// Appended to the failure log line, as upstream suggests the missing feature.
    failure_hint: &'static str,
    attempts: Attempts<M>,
    queue: Option<QueueMode<M>>,
    stop: Arc<Stop>,
    started: AtomicBool,
    closing: AtomicBool,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Inline sends in progress (queue disabled), so shutdown can wait for them.
    inflight: AtomicUsize,
    idle: Notify,
}

fn send_failed_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "otelcol_exporter_send_failed_spans",
        Signal::Metrics => "otelcol_exporter_send_failed_metric_points",
        Signal::Logs => "otelcol_exporter_send_failed_log_records",
    }
}

fn enqueue_failed_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "otelcol_exporter_enqueue_failed_spans",
        Signal::Metrics => "otelcol_exporter_enqueue_failed_metric_points",
        Signal::Logs => "otelcol_exporter_enqueue_failed_log_records",
    }
}

/// The error a full queue answers with (upstream `ErrQueueIsFull`).
pub const QUEUE_FULL: &str = "sending queue is full";
/// The error for a payload larger than the queue's capacity (upstream `errSizeTooLarge`).
pub const SIZE_TOO_LARGE: &str = "element size too large";
/// The error for data offered after shutdown began.
pub const SHUTTING_DOWN: &str = "the exporter is shutting down";

impl<M: Request> ExporterHelper<M> {
    /// Builds the helper for exporter `id` and `signal`. `timeout` bounds each attempt (zero: no
    /// bound). Fails on an invalid config, and on `sending_queue::storage` or
    /// `sending_queue::batch`, which are not supported yet.
    pub fn new(
        id: &ComponentId,
        signal: Signal,
        timeout: Duration,
        queue: QueueConfig,
        retry: RetryConfig,
        sender: Arc<dyn Sender<M>>,
    ) -> Result<Self, String> {
        retry.validate_at("retry_on_failure")?;
        queue.validate_at("sending_queue")?;
        if queue.enabled {
            if queue.storage.is_some() {
                return Err("sending_queue::storage is not supported yet".into());
            }
            if queue.batch.is_some() {
                return Err("sending_queue::batch is not supported yet".into());
            }
        }
        let obs = ExporterObs::new(id);
        let labels = || vec![("exporter", id.to_string())];
        let send_failed = global().counter(
            send_failed_name(signal),
            "Number of items in failed attempts to send to destination.",
            labels(),
        );
        let enqueue_failed = global().counter(
            enqueue_failed_name(signal),
            "Number of items failed to be added to the sending queue.",
            labels(),
        );
        let failure_hint = match (retry.enabled, queue.enabled) {
            (true, true) => "",
            (false, true) => {
                " Try enabling retry_on_failure config option to retry on retryable errors."
            }
            (true, false) => " Try enabling sending_queue to survive temporary failures.",
            (false, false) => {
                " Try enabling retry_on_failure config option to retry on retryable errors. Try enabling sending_queue to survive temporary failures."
            }
        };
        let queue = queue.enabled.then(|| {
            let (size, capacity) = obs.queue_gauges(signal);
            capacity.set(queue.queue_size);
            QueueMode {
                queue: Queue::new(queue.queue_size as u64, queue.block_on_overflow, size),
                sizer: queue.sizer,
                num_consumers: queue.num_consumers as usize,
                wait_for_result: queue.wait_for_result,
            }
        });
        let stop = Arc::new(Stop::default());
        Ok(ExporterHelper {
            inner: Arc::new(Inner {
                id: id.to_string(),
                signal,
                obs,
                send_failed,
                enqueue_failed,
                failure_hint,
                attempts: Attempts {
                    id: id.to_string(),
                    sender,
                    timeout,
                    retry,
                    stop: stop.clone(),
                },
                queue,
                stop,
                started: AtomicBool::new(false),
                closing: AtomicBool::new(false),
                workers: Mutex::new(Vec::new()),
                inflight: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        })
    }

    /// Spawns the queue's consumers on the current tokio runtime. Payloads queued before `start`
    /// wait for it.
    pub fn start(&self) -> Result<(), String> {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return Err(format!("exporter {} was already started", self.inner.id));
        }
        let Some(q) = &self.inner.queue else {
            return Ok(());
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            "the exporter helper must be started inside a tokio runtime".to_string()
        })?;
        let mut workers = self.inner.workers.lock();
        for _ in 0..q.num_consumers {
            workers.push(runtime.spawn(worker(self.inner.clone())));
        }
        Ok(())
    }

    /// Stops taking data, sends what is queued (retrying as the deadline allows), and returns by
    /// `deadline`; whatever could not be sent by then is counted in `send_failed` and logged with
    /// its count.
    pub async fn shutdown(&self, deadline: std::time::Instant) {
        let inner = &self.inner;
        // Measured on the std clock, waited on tokio's (which tests may pause).
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let now = tokio::time::Instant::now();
        let at = now
            .checked_add(remaining)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        inner.closing.store(true, Ordering::SeqCst);
        *inner.stop.deadline.lock() = Some(at);
        if let Some(q) = &inner.queue {
            q.queue.close();
        }
        let mut workers = std::mem::take(&mut *inner.workers.lock());
        let drained = async {
            while let Some(w) = workers.last_mut() {
                let _ = w.await;
                workers.pop();
            }
            inner.wait_idle().await;
        };
        if tokio::time::timeout_at(at, drained).await.is_err() {
            // The deadline: cut attempts and backoff waits short; each worker and inline send
            // accounts for what it held.
            inner.stop.now.cancel();
            for w in workers.drain(..).rev() {
                let _ = w.await;
            }
            inner.wait_idle().await;
        }
        inner.stop.now.cancel();
        if let Some(q) = &inner.queue {
            inner.account_leftovers(q, "the exporter shut down before they could be sent");
        }
    }

    /// The queue's current size in sizer units (waiting and in-flight payloads); 0 without a
    /// queue.
    pub fn queue_size(&self) -> u64 {
        self.inner.queue.as_ref().map_or(0, |q| q.queue.size())
    }
}

impl<M: Request> Drop for ExporterHelper<M> {
    /// Dropped without [`ExporterHelper::shutdown`]: stop taking data and let the consumers finish
    /// what is queued in the background (they hold their own reference), so their tasks end and
    /// every payload is still accounted for. Never started: nobody will send what is queued, so
    /// it is counted as failed now.
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.closing.store(true, Ordering::SeqCst);
        let Some(q) = &inner.queue else {
            return;
        };
        q.queue.close();
        if inner.workers.lock().is_empty() {
            inner.account_leftovers(q, "the exporter was dropped before its queue was sent");
        }
    }
}

impl<M: Request> Inner<M> {
    /// Counts, logs once and answers every payload still waiting in the queue, which will not be
    /// sent.
    fn account_leftovers(&self, q: &QueueMode<M>, why: &str) {
        let left = q.queue.take_all();
        if left.is_empty() {
            return;
        }
        let requests = left.len();
        let items: usize = left.iter().map(|e| e.items).sum();
        let reason = format!(
            "interrupted due to shutdown: {requests} requests ({items} items) were still in the sending queue: {why}"
        );
        self.obs.send_failed(self.signal, items, &reason);
        for entry in left {
            if let Some(done) = entry.done {
                let _ = done.send(Err(ConsumeError::retryable(reason.clone())));
            }
        }
    }

    async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.inflight.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Counts and logs data refused at the queue's door.
    fn refuse(&self, refusal: Refusal, items: usize) -> ConsumeError {
        match refusal {
            Refusal::Full => {
                self.obs.enqueue_failed(self.signal, items);
                ConsumeError::retryable(QUEUE_FULL)
            }
            Refusal::TooLarge => {
                self.enqueue_failed.add(items as u64);
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, items,
                    "Refusing data larger than the whole sending_queue. Try increasing queue_size."
                );
                ConsumeError::permanent(SIZE_TOO_LARGE)
            }
            Refusal::Closed => {
                self.enqueue_failed.add(items as u64);
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, items,
                    "Refusing data because the exporter is shutting down."
                );
                ConsumeError::retryable(SHUTTING_DOWN)
            }
        }
    }

    /// Counts and logs data whose send failed with the error returned to the caller (no queue).
    fn reject(&self, items: usize, error: &ConsumeError) {
        self.send_failed.add(items as u64);
        tracing::error!(
            exporter = %self.id, signal = %self.signal, error = %error, rejected_items = items,
            "Exporting failed. Rejecting data.{}", self.failure_hint
        );
    }

    async fn consume_queued(&self, q: &QueueMode<M>, data: Payload<M>) -> Result<(), ConsumeError> {
        let items = data.items();
        let size = match q.sizer {
            Sizer::Requests => 1,
            Sizer::Items => items as u64,
            Sizer::Bytes => data.encoded_len() as u64,
        };
        if size == 0 {
            // An empty request under the items or bytes sizer: nothing to send or count
            // (upstream ignores it too).
            return Ok(());
        }
        if self.closing.load(Ordering::SeqCst) {
            return Err(self.refuse(Refusal::Closed, items));
        }
        let (done, result) = if q.wait_for_result {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let entry = Entry {
            payload: data,
            items,
            size,
            done,
        };
        // Until the offer settles, a caller that goes away (while blocked on a full queue) has
        // had its data refused: count it.
        let mut pending = Unsettled {
            settle: Some(|| {
                self.enqueue_failed.add(items as u64);
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, items,
                    "Refusing data: the caller stopped waiting for room in the sending_queue."
                );
            }),
        };
        let offered = q.queue.offer(entry).await;
        pending.disarm();
        if let Err((refusal, _entry)) = offered {
            return Err(self.refuse(refusal, items));
        }
        match result {
            None => Ok(()),
            Some(rx) => rx.await.unwrap_or_else(|_| {
                Err(ConsumeError::retryable(
                    "the sending queue ended without reporting the result",
                ))
            }),
        }
    }

    async fn consume_inline(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        let items = data.items();
        // Counted in flight before looking at `closing`, so shutdown either sees this send or
        // this send sees shutdown.
        self.inflight.fetch_add(1, Ordering::SeqCst);
        let _inflight = Unsettled {
            settle: Some(|| {
                if self.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
                    self.idle.notify_waiters();
                }
            }),
        };
        if self.closing.load(Ordering::SeqCst) {
            let err = ConsumeError::retryable(SHUTTING_DOWN);
            self.reject(items, &err);
            return Err(err);
        }
        let mut pending = Unsettled {
            settle: Some(|| {
                self.reject(
                    items,
                    &ConsumeError::retryable("the caller stopped waiting for the export"),
                );
            }),
        };
        let result = AssertUnwindSafe(self.attempts.send(&data))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(ConsumeError::permanent(
                    "the exporter panicked while sending",
                ))
            });
        pending.disarm();
        match &result {
            Ok(()) => self.obs.sent(self.signal, items),
            Err(e) => self.reject(items, e),
        }
        result
    }
}

/// Runs `settle` when dropped unless disarmed: accounts for a future its caller abandoned.
struct Unsettled<F: FnOnce()> {
    settle: Option<F>,
}

impl<F: FnOnce()> Unsettled<F> {
    fn disarm(&mut self) {
        self.settle = None;
    }
}

impl<F: FnOnce()> Drop for Unsettled<F> {
    fn drop(&mut self) {
        if let Some(f) = self.settle.take() {
            f();
        }
    }
}

/// One queue consumer: takes payloads until the queue is closed and empty or the shutdown
/// deadline passes, and accounts for each one it took.
async fn worker<M: Request>(inner: Arc<Inner<M>>) {
    let Some(q) = &inner.queue else {
        return;
    };
    while let Some(entry) = q.queue.pop(&inner.stop.now).await {
        let result = AssertUnwindSafe(inner.attempts.send(&entry.payload))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(ConsumeError::permanent(
                    "the exporter panicked while sending",
                ))
            });
        match &result {
            Ok(()) => inner.obs.sent(inner.signal, entry.items),
            Err(e) => inner.obs.send_failed(inner.signal, entry.items, e),
        }
        q.queue.release(entry.size);
        if let Some(done) = entry.done {
            let _ = done.send(result);
        }
    }
}

impl<M: Request> Consumer<Payload<M>> for ExporterHelper<M> {
    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            match &self.inner.queue {
                Some(q) => self.inner.consume_queued(q, data).await,
                None => self.inner.consume_inline(data).await,
            }
        })
    }
}

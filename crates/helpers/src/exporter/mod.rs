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
//!
//! **Persistent queue** (`sending_queue::storage: <storage extension id>`, e.g. `file_storage`):
//! [`ExporterHelper::start_with_host`] finds the extension and opens the queue's storage client
//! (`exporter_<type>_<name>_<signal>`), then queues what the previous run left, before anything
//! new. `consume` stores the request (protobuf bytes and request metadata, see `persist.rs`)
//! and returns `Ok` only once it is stored — durably on disk when the storage fsyncs — so what a
//! client saw acknowledged survives `kill -9`. Consumers read it back, send it through retry and
//! timeout, and acknowledge it to the storage once sent or permanently failed (counted in
//! `send_failed`). Where upstream loses data, this queue keeps it:
//! - a request whose retries ran out on a *retryable* error (a long outage: `max_elapsed_time`)
//!   is not dropped but goes back to the end of the queue, still stored (WARN
//!   `Exporting failed. Keeping the data in the persistent queue to retry it later.`);
//! - at shutdown, what is not sent stays stored and is not counted as failed (INFO with how many
//!   requests remain);
//! - delivery is **at least once**: a request sent but not yet acknowledged to the storage when
//!   the process dies is sent again after the restart.
//!
//! `queue_size` (with `sizer`) bounds what is stored; `otelcol_exporter_queue_size` counts it.
//! Up to 32 MiB of stored requests stay in memory too, so that a healthy pipeline does not read
//! back what it just wrote.
//!
//! **Queue batching** (`sending_queue::batch`): a consumer takes requests until `min_size` (in the
//! batch sizer's units) or `flush_timeout` after the first, merges them without decoding
//! ([`Payload::merge`]) and cuts the result into pieces of at most `max_size` at resource-record
//! boundaries, decoding only a record that straddles a cut ([`pdata::split`]). Requests are
//! batched only with requests whose `partition::metadata_keys` values are the same. With the
//! `bytes` sizer, `max_size` is turned into an item count from the batch's average item size, so a
//! piece may exceed it slightly.

mod config;
mod persist;
#[cfg(test)]
mod persist_tests;
mod queue;
mod retry;
#[cfg(test)]
mod tests;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use component::storage::DurableQueue;
use component::{BoxFuture, ComponentId, ConsumeError, Consumer, Host, Signal};
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
pub use retry::{Backoff, wrap as wrap_error};

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
    /// The storage extension of a persistent queue.
    storage: Option<ComponentId>,
    batch: Option<BatchMode>,
}

/// `sending_queue::batch`, resolved.
struct BatchMode {
    flush_timeout: Duration,
    min_size: u64,
    max_size: u64,
    sizer: Sizer,
    /// Lower-cased `partition::metadata_keys`.
    keys: Vec<String>,
    /// One consumer gathers a batch at a time, so batches fill up; sending is concurrent.
    turn: tokio::sync::Mutex<()>,
}

impl BatchMode {
    fn measure<M: Request>(&self, p: &Payload<M>) -> u64 {
        match self.sizer {
            Sizer::Bytes => p.encoded_len() as u64,
            _ => p.items() as u64,
        }
    }

    fn partition<M: Request>(&self, p: &Payload<M>) -> Vec<Vec<String>> {
        self.keys
            .iter()
            .map(|k| p.meta().metadata.get(k).cloned().unwrap_or_default())
            .collect()
    }

    /// Merges the payloads and cuts the result at `max_size`.
    fn chunks<M: Request>(&self, id: &str, mut payloads: Vec<Payload<M>>) -> Vec<Payload<M>> {
        let merged = if payloads.len() == 1 {
            payloads.pop()
        } else {
            Payload::merge(payloads)
        };
        let Some(merged) = merged else {
            return Vec::new();
        };
        if self.max_size == 0 || self.measure(&merged) <= self.max_size {
            return vec![merged];
        }
        let max_items = match self.sizer {
            Sizer::Bytes => {
                let per_item = merged.encoded_len() as u64 / (merged.items() as u64).max(1);
                (self.max_size / per_item.max(1)).max(1)
            }
            _ => self.max_size,
        };
        let (pieces, problems) =
            pdata::split::split_into(merged, usize::try_from(max_items).unwrap_or(usize::MAX));
        for why in problems {
            tracing::warn!(exporter = %id, "sending_queue::batch: {why}; sending a batch above max_size");
        }
        pieces
    }
}

/// Stored requests kept in memory as well, so that they are not read back from disk.
const CACHE_LIMIT: usize = 32 << 20;

struct Inner<M: Request> {
    id: String,
    component_id: ComponentId,
    /// The persistent queue's storage, once started.
    durable: Mutex<Option<Arc<dyn DurableQueue>>>,
    /// Bytes of stored payloads also held in memory.
    cached: AtomicUsize,
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
    /// bound). Fails on an invalid config. A persistent queue (`sending_queue::storage`) needs
    /// [`ExporterHelper::start_with_host`].
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
        let storage = match &queue.storage {
            Some(s) if queue.enabled => {
                Some(ComponentId::parse(s).map_err(|e| format!("sending_queue: storage: {e}"))?)
            }
            _ => None,
        };
        let batch = match (queue.batch.get(), queue.batch_sizer()) {
            (Some(b), Some(sizer)) if queue.enabled => Some(BatchMode {
                flush_timeout: b.flush_timeout.to_std_saturating(),
                min_size: b.min_size.max(0) as u64,
                max_size: b.max_size.max(0) as u64,
                sizer,
                keys: b
                    .partition
                    .metadata_keys
                    .iter()
                    .map(|k| k.to_lowercase())
                    .collect(),
                turn: tokio::sync::Mutex::new(()),
            }),
            _ => None,
        };
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
        let obs = obs.with_failure_hint(failure_hint);
        let queue = queue.enabled.then(|| {
            let (size, capacity) = obs.queue_gauges(signal);
            capacity.set(queue.queue_size);
            QueueMode {
                queue: Queue::new(queue.queue_size as u64, queue.block_on_overflow, size),
                sizer: queue.sizer,
                num_consumers: queue.num_consumers as usize,
                wait_for_result: queue.wait_for_result,
                storage,
                batch,
            }
        });
        let stop = Arc::new(Stop::default());
        Ok(ExporterHelper {
            inner: Arc::new(Inner {
                id: id.to_string(),
                component_id: id.clone(),
                durable: Mutex::new(None),
                cached: AtomicUsize::new(0),
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
    /// wait for it. A persistent queue needs [`ExporterHelper::start_with_host`].
    pub fn start(&self) -> Result<(), String> {
        self.start_inner(None)
    }

    /// [`ExporterHelper::start`] with the host, where a persistent queue finds its storage
    /// extension; the queue then replays what the previous run left before taking new data.
    pub fn start_with_host(&self, host: &Host) -> Result<(), String> {
        self.start_inner(Some(host))
    }

    fn start_inner(&self, host: Option<&Host>) -> Result<(), String> {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return Err(format!("exporter {} was already started", self.inner.id));
        }
        let Some(q) = &self.inner.queue else {
            return Ok(());
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            "the exporter helper must be started inside a tokio runtime".to_string()
        })?;
        self.inner.open_persistent(q, host)?;
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
            if q.storage.is_some() {
                inner.close_persistent(q);
            } else {
                inner.account_leftovers(q, "the exporter shut down before they could be sent");
            }
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
            if q.storage.is_some() {
                inner.close_persistent(q);
            } else {
                inner.account_leftovers(q, "the exporter was dropped before its queue was sent");
            }
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

    /// The persistent queue's storage, while it is open.
    fn durable(&self) -> Option<Arc<dyn DurableQueue>> {
        self.durable.lock().clone()
    }

    /// Takes `len` bytes of the memory cache of stored payloads; 0 when it is full.
    fn cache_admit(&self, len: usize) -> usize {
        let before = self.cached.fetch_add(len, Ordering::SeqCst);
        if before + len <= CACHE_LIMIT {
            len
        } else {
            self.cached.fetch_sub(len, Ordering::SeqCst);
            0
        }
    }

    fn size_of(sizer: Sizer, p: &Payload<M>) -> u64 {
        match sizer {
            Sizer::Requests => 1,
            Sizer::Items => p.items() as u64,
            Sizer::Bytes => p.encoded_len() as u64,
        }
    }

    /// Finds the storage extension, opens this queue's client and queues what it holds.
    fn open_persistent(&self, q: &QueueMode<M>, host: Option<&Host>) -> Result<(), String> {
        let Some(storage_id) = &q.storage else {
            return Ok(());
        };
        let fail = |why: &str| {
            format!(
                "failed to get storage extension {:?}: {why}",
                storage_id.to_string()
            )
        };
        let host = host.ok_or_else(|| fail("the exporter was started without a host"))?;
        let extension = host
            .extension(storage_id)
            .ok_or_else(|| fail("no storage client extension found"))?;
        let storage = component::storage::queue_storage(extension.as_ref())
            .ok_or_else(|| fail("requested extension is not a storage extension"))?;
        let client = persist::client_name(&self.component_id, self.signal);
        let durable: Arc<dyn DurableQueue> =
            Arc::from(storage.open_queue(&client).map_err(|e| {
                format!("sending_queue: failed to open the persistent queue {client:?}: {e}")
            })?);
        let (mut requests, mut items) = (0usize, 0usize);
        for record in durable.pending() {
            match durable.read(record.id).and_then(persist::decode::<M>) {
                Ok(payload) => {
                    let size = Self::size_of(q.sizer, &payload);
                    if size == 0 {
                        let _ = durable.ack(record.id);
                        continue;
                    }
                    requests += 1;
                    items += payload.items();
                    let cached = self.cache_admit(payload.encoded_len());
                    q.queue.push_forced(Entry {
                        items: payload.items(),
                        payload: (cached > 0).then_some(payload),
                        stored: Some(record.id),
                        size,
                        done: None,
                        cached,
                    });
                }
                Err(error) => {
                    tracing::error!(
                        exporter = %self.id, signal = %self.signal, record = record.id, %error,
                        "Dropping an unreadable record from the persistent queue."
                    );
                    let _ = durable.ack(record.id);
                }
            }
        }
        if requests > 0 {
            tracing::info!(
                exporter = %self.id, signal = %self.signal, requests, items, client = %client,
                "Replaying data the previous run left in the persistent queue."
            );
        }
        *self.durable.lock() = Some(durable);
        Ok(())
    }

    /// At shutdown: forgets the in-memory index (the data stays stored), logs what remains and
    /// closes the storage client.
    fn close_persistent(&self, q: &QueueMode<M>) {
        for entry in q.queue.take_all() {
            self.cached.fetch_sub(entry.cached, Ordering::SeqCst);
        }
        if let Some(durable) = self.durable.lock().take() {
            let remaining = durable.len();
            if remaining > 0 {
                tracing::info!(
                    exporter = %self.id, signal = %self.signal, requests = remaining,
                    bytes = durable.bytes(),
                    "Requests remain in the persistent queue; they will be sent after the next start."
                );
            }
        }
    }

    /// Stores a request in the persistent queue whose room `size` was reserved, and queues it.
    /// Runs to the end even if the caller goes away: it accounts for the request either way.
    async fn store(
        &self,
        durable: Arc<dyn DurableQueue>,
        data: Payload<M>,
        items: usize,
        size: u64,
    ) -> Result<(), ConsumeError> {
        let Some(q) = &self.queue else {
            return Err(ConsumeError::permanent("the exporter has no sending queue"));
        };
        let record = persist::encode(&data);
        let appended = tokio::task::spawn_blocking(move || durable.append(&record))
            .await
            .unwrap_or_else(|e| Err(format!("the storage task failed: {e}")));
        match appended {
            Ok(id) => {
                let cached = self.cache_admit(data.encoded_len());
                q.queue.push_reserved(Entry {
                    payload: (cached > 0).then_some(data),
                    stored: Some(id),
                    items,
                    size,
                    done: None,
                    cached,
                });
                Ok(())
            }
            Err(error) => {
                q.queue.release(size);
                self.enqueue_failed.add(items as u64);
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, items, %error,
                    "Refusing data: it could not be stored in the persistent queue."
                );
                Err(ConsumeError::retryable(format!(
                    "failed to store the data in the persistent queue: {error}"
                )))
            }
        }
    }

    /// The persistent path of `consume`: room, then storage, then `Ok`.
    async fn consume_persistent(
        self: &Arc<Self>,
        q: &QueueMode<M>,
        data: Payload<M>,
    ) -> Result<(), ConsumeError> {
        let items = data.items();
        let size = Self::size_of(q.sizer, &data);
        if size == 0 {
            return Ok(());
        }
        if self.closing.load(Ordering::SeqCst) {
            return Err(self.refuse(Refusal::Closed, items));
        }
        let Some(durable) = self.durable() else {
            self.enqueue_failed.add(items as u64);
            return Err(ConsumeError::retryable(
                "the persistent queue is not open: the exporter has not started",
            ));
        };
        let mut pending = Unsettled {
            settle: Some(|| {
                self.enqueue_failed.add(items as u64);
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, items,
                    "Refusing data: the caller stopped waiting for room in the sending_queue."
                );
            }),
        };
        let reserved = q.queue.reserve(size).await;
        pending.disarm();
        if let Err(refusal) = reserved {
            return Err(self.refuse(refusal, items));
        }
        let inner = self.clone();
        tokio::spawn(async move { inner.store(durable, data, items, size).await })
            .await
            .unwrap_or_else(|_| {
                Err(ConsumeError::retryable(
                    "the persistent queue failed while storing the data",
                ))
            })
    }

    /// The next entry with its payload in memory, read back from storage if need be; `None` as
    /// [`Queue::pop_until`].
    async fn next_loaded(
        &self,
        q: &QueueMode<M>,
        until: Option<tokio::time::Instant>,
    ) -> Option<Entry<M>> {
        loop {
            let mut entry = q.queue.pop_until(&self.stop.now, until).await?;
            self.cached.fetch_sub(entry.cached, Ordering::SeqCst);
            entry.cached = 0;
            if entry.payload.is_some() {
                return Some(entry);
            }
            let loaded = match (self.durable(), entry.stored) {
                (Some(durable), Some(id)) => tokio::task::spawn_blocking(move || {
                    durable.read(id).and_then(persist::decode::<M>)
                })
                .await
                .unwrap_or_else(|e| Err(format!("the storage task failed: {e}"))),
                _ => Err("the persistent queue is closed".to_string()),
            };
            match loaded {
                Ok(payload) => {
                    entry.payload = Some(payload);
                    return Some(entry);
                }
                Err(error) => {
                    self.obs.send_failed(
                        self.signal,
                        entry.items,
                        &format!("failed to read the data back from the persistent queue: {error}"),
                    );
                    self.forget(&[entry.stored]).await;
                    q.queue.release(entry.size);
                }
            }
        }
    }

    /// Acknowledges stored records: they will not be sent again.
    async fn forget(&self, ids: &[Option<u64>]) {
        let ids: Vec<u64> = ids.iter().flatten().copied().collect();
        let Some(durable) = self.durable() else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        let id = self.id.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for record in ids {
                if let Err(error) = durable.ack(record) {
                    tracing::warn!(exporter = %id, record, %error,
                        "Failed to acknowledge a record of the persistent queue; it may be sent again after a restart.");
                }
            }
        })
        .await;
    }

    /// The next entries to send together: one, or a batch with `sending_queue::batch`.
    async fn next_group(&self, q: &QueueMode<M>) -> Option<Vec<Entry<M>>> {
        let Some(batch) = &q.batch else {
            return self.next_loaded(q, None).await.map(|e| vec![e]);
        };
        let _turn = batch.turn.lock().await;
        let first = self.next_loaded(q, None).await?;
        let key = first.payload.as_ref().map(|p| batch.partition(p));
        let mut size = first.payload.as_ref().map_or(0, |p| batch.measure(p));
        let mut group = vec![first];
        let mut others = Vec::new();
        let until = tokio::time::Instant::now() + batch.flush_timeout;
        while size < batch.min_size {
            let Some(next) = self.next_loaded(q, Some(until)).await else {
                break;
            };
            if next.payload.as_ref().map(|p| batch.partition(p)) == key {
                size += next.payload.as_ref().map_or(0, |p| batch.measure(p));
                group.push(next);
            } else {
                others.push(next);
            }
        }
        q.queue.unpop(others);
        Some(group)
    }

    /// Sends a group and settles each of its entries. Returns false when the consumer should
    /// stop: a persistent queue at shutdown keeps what fails for the next start.
    async fn process(&self, q: &QueueMode<M>, mut group: Vec<Entry<M>>) -> bool {
        let payloads: Vec<Payload<M>> = group.iter_mut().filter_map(|e| e.payload.take()).collect();
        let single = payloads.len() == 1 && q.batch.is_none();
        let chunks = match &q.batch {
            Some(batch) => batch.chunks(&self.id, payloads),
            None => payloads,
        };
        // Retryable failures are kept only where they survive: in storage, with retries on
        // (without them every attempt is the last, and keeping would spin).
        let keeps = q.storage.is_some() && self.attempts.retry.enabled;
        let mut first_error = None;
        let mut kept = Vec::new();
        for chunk in chunks {
            let items = chunk.items();
            let result = AssertUnwindSafe(self.attempts.send(&chunk))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    Err(ConsumeError::permanent(
                        "the exporter panicked while sending",
                    ))
                });
            match result {
                Ok(()) => self.obs.sent(self.signal, items),
                Err(e) if keeps && !e.is_permanent() => kept.push((chunk, e)),
                Err(e) => {
                    self.obs.send_failed(self.signal, items, &e);
                    first_error.get_or_insert(e);
                }
            }
        }
        let closing = self.closing.load(Ordering::SeqCst);
        let keep_going = kept.is_empty() || !closing;
        if single && let Some((_, error)) = kept.pop() {
            // The entry's record stays stored as it is: queue it again, or at shutdown leave it
            // for the next start.
            let mut entry = group.pop().expect("one entry for one payload");
            if closing {
                q.queue.release(entry.size);
            } else {
                tracing::warn!(
                    exporter = %self.id, signal = %self.signal, %error, items = entry.items,
                    "Exporting failed. Keeping the data in the persistent queue to retry it later."
                );
                entry.payload = None;
                q.queue.push_reserved(entry);
            }
            return keep_going;
        }
        // Batched pieces that failed are stored as records of their own before the records they
        // came from are acknowledged.
        for (chunk, error) in kept {
            let items = chunk.items();
            let record = persist::encode(&chunk);
            let stored = match self.durable() {
                Some(durable) => tokio::task::spawn_blocking(move || durable.append(&record))
                    .await
                    .unwrap_or_else(|e| Err(format!("the storage task failed: {e}"))),
                None => Err("the persistent queue is closed".to_string()),
            };
            match stored {
                Ok(id) => {
                    if !closing {
                        tracing::warn!(
                            exporter = %self.id, signal = %self.signal, %error, items,
                            "Exporting failed. Keeping the data in the persistent queue to retry it later."
                        );
                        q.queue.push_forced(Entry {
                            size: Self::size_of(q.sizer, &chunk),
                            payload: None,
                            stored: Some(id),
                            items,
                            done: None,
                            cached: 0,
                        });
                    }
                }
                Err(store_error) => {
                    let e = ConsumeError::retryable(format!(
                        "{error}; and it could not be kept in the persistent queue: {store_error}"
                    ));
                    self.obs.send_failed(self.signal, items, &e);
                }
            }
        }
        let ids: Vec<Option<u64>> = group.iter().map(|e| e.stored).collect();
        self.forget(&ids).await;
        for entry in group {
            q.queue.release(entry.size);
            if let Some(done) = entry.done {
                let _ = done.send(match &first_error {
                    None => Ok(()),
                    Some(e) => Err(copy_error(e)),
                });
            }
        }
        keep_going
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
            payload: Some(data),
            stored: None,
            items,
            size,
            done,
            cached: 0,
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

/// The same error again, for every caller of a batch that failed with it.
fn copy_error(e: &ConsumeError) -> ConsumeError {
    match e {
        ConsumeError::Permanent(e) => ConsumeError::permanent(e.to_string()),
        ConsumeError::Retryable(e) => ConsumeError::retryable(e.to_string()),
        ConsumeError::Throttled { error, retry_after } => ConsumeError::Throttled {
            error: error.to_string().into(),
            retry_after: *retry_after,
        },
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

/// One queue consumer: takes payloads (a batch of them with `sending_queue::batch`) until the
/// queue is closed and empty or the shutdown deadline passes, and accounts for each one it took.
async fn worker<M: Request>(inner: Arc<Inner<M>>) {
    let Some(q) = &inner.queue else {
        return;
    };
    while let Some(group) = inner.next_group(q).await {
        if !inner.process(q, group).await {
            break;
        }
    }
}

impl<M: Request> Consumer<Payload<M>> for ExporterHelper<M> {
    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            match &self.inner.queue {
                Some(q) if q.storage.is_some() => self.inner.consume_persistent(q, data).await,
                Some(q) => self.inner.consume_queued(q, data).await,
                None => self.inner.consume_inline(data).await,
            }
        })
    }
}

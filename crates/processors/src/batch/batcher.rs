//! One batcher: a task that owns the pending batch of one (processor instance, metadata value
//! combination), sends it when it reaches `send_batch_size` or when `timeout` passes, and flushes
//! it when its input closes at shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use component::Consumer;
use pdata::{Payload, RequestMeta};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::pending::PendingBatch;
use super::telemetry::{BatchTelemetry, Trigger};
use crate::signal::SignalRequest;
use pdata::split::SplitItems;

/// The parts of the config a batcher acts on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatcherSettings {
    pub(crate) timeout: Duration,
    pub(crate) send_batch_size: usize,
    pub(crate) send_batch_max_size: usize,
}

impl BatcherSettings {
    /// Upstream runs a timer only when both the timeout and the size trigger are set; without
    /// one, every request is sent as soon as it arrives (cut at the maximum size).
    fn has_timer(&self) -> bool {
        !self.timeout.is_zero() && self.send_batch_size > 0
    }
}

/// What the processor keeps of a running batcher.
pub(crate) struct BatcherHandle<M: SignalRequest> {
    /// Feeds the batcher. Bounded, so a batcher busy exporting slows its callers down instead of
    /// buffering without limit (upstream's channel holds one request per CPU).
    pub(crate) input: mpsc::Sender<Payload<M>>,
    /// Items accepted by `consume` and not yet handed on or given up: what a missed shutdown
    /// deadline would lose, so that it can be counted.
    pub(crate) unsent: Arc<AtomicUsize>,
}

pub(crate) struct Batcher<M: SignalRequest + SplitItems> {
    settings: BatcherSettings,
    /// The metadata every batch of this batcher carries: the values of `metadata_keys` only.
    meta: RequestMeta,
    next: Arc<dyn Consumer<Payload<M>>>,
    telemetry: BatchTelemetry,
    pending: PendingBatch<M>,
    unsent: Arc<AtomicUsize>,
}

/// How many requests may wait for a batcher: one per CPU, as upstream.
fn input_capacity() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl<M: SignalRequest + SplitItems> Batcher<M> {
    /// Starts a batcher task; it ends after its input is closed and everything is flushed.
    pub(crate) fn spawn(
        settings: BatcherSettings,
        meta: RequestMeta,
        next: Arc<dyn Consumer<Payload<M>>>,
        telemetry: BatchTelemetry,
    ) -> (BatcherHandle<M>, tokio::task::JoinHandle<()>) {
        let (input, rx) = mpsc::channel(input_capacity());
        let unsent = Arc::new(AtomicUsize::new(0));
        let batcher = Batcher {
            settings,
            meta,
            next,
            telemetry,
            pending: PendingBatch::default(),
            unsent: unsent.clone(),
        };
        let task = tokio::spawn(batcher.run(rx));
        (BatcherHandle { input, unsent }, task)
    }

    async fn run(mut self, mut input: mpsc::Receiver<Payload<M>>) {
        // When the pending batch must go out even if it stays small. Armed when the first item
        // arrives rather than ticking while idle; the oldest item still waits at most `timeout`.
        let mut deadline: Option<Instant> = None;
        loop {
            let armed = deadline;
            let timer = async move {
                match armed {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = input.recv() => match received {
                    Some(payload) => self.on_request(payload, &mut deadline).await,
                    None => break,
                },
                () = timer => {
                    self.send_all(Trigger::Timeout).await;
                    deadline = None;
                }
            }
        }
        // Input closed: the processor is shutting down. Upstream counts this flush as a timeout
        // trigger.
        self.send_all(Trigger::Timeout).await;
    }

    async fn on_request(&mut self, payload: Payload<M>, deadline: &mut Option<Instant>) {
        let items = payload.items();
        self.pending.push(payload);
        if items == 0 {
            // Nothing was queued; the accepted count already excludes it.
            return;
        }
        if !self.settings.has_timer() {
            self.send_all(Trigger::Size).await;
            return;
        }
        let mut sent = false;
        while self.pending.items() >= self.settings.send_batch_size {
            self.send_one(Trigger::Size).await;
            sent = true;
        }
        if self.pending.items() == 0 {
            *deadline = None;
        } else if sent || deadline.is_none() {
            // Upstream restarts its timer after a size-triggered send.
            *deadline = Some(Instant::now() + self.settings.timeout);
        }
    }

    async fn send_all(&mut self, trigger: Trigger) {
        while self.pending.items() > 0 {
            self.send_one(trigger).await;
        }
    }

    /// Sends the next batch (at most `send_batch_max_size` items) and waits for the next
    /// component. Like upstream, a failure is logged and the batch is not retried here; unlike
    /// upstream, its items are counted.
    async fn send_one(&mut self, trigger: Trigger) {
        let Some((batch, items)) = self
            .pending
            .take(self.settings.send_batch_max_size, &self.meta)
        else {
            return;
        };
        match self.next.consume(batch).await {
            Ok(()) => self.telemetry.sent(trigger, items),
            Err(error) => {
                self.telemetry.send_failed(items);
                tracing::warn!(
                    processor = self.telemetry.processor(),
                    items,
                    error = %error,
                    "Sender failed"
                );
            }
        }
        self.unsent.fetch_sub(items, Ordering::Relaxed);
    }
}

//! The batch processor of one pipeline: routes each request to the batcher of its metadata
//! values and returns as soon as the batcher has taken it (it does not wait for the export).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use component::{BoxFuture, Component, ComponentId, ConsumeError, Consumer, Host, StartError};
use parking_lot::Mutex;
use pdata::{Payload, RequestMeta};
use tokio::task::JoinHandle;

use super::batcher::{Batcher, BatcherHandle, BatcherSettings};
use super::config::BatchConfig;
use super::telemetry::BatchTelemetry;
use crate::signal::SignalRequest;
use pdata::split::SplitItems;

/// Upstream's refusal when `metadata_cardinality_limit` is reached; permanent, as upstream's.
pub const TOO_MANY_BATCHERS: &str = "too many batcher metadata-value combinations";
/// Returned to a caller that races with shutdown.
const SHUT_DOWN: &str = "batch processor is shut down";

/// The values of `metadata_keys` in a request, in the (sorted) key order. An absent key and an
/// empty value are different combinations, as upstream.
type MetadataValues = Vec<Vec<String>>;

pub(crate) struct BatchProcessor<M: SignalRequest + SplitItems> {
    settings: BatcherSettings,
    /// Lower-cased and sorted.
    metadata_keys: Vec<String>,
    /// 0 = unlimited.
    cardinality_limit: usize,
    next: Arc<dyn Consumer<Payload<M>>>,
    telemetry: BatchTelemetry,
    state: Mutex<State<M>>,
}

struct State<M: SignalRequest> {
    batchers: HashMap<MetadataValues, BatcherHandle<M>>,
    tasks: Vec<(JoinHandle<()>, Arc<AtomicUsize>)>,
    shut_down: bool,
}

impl<M: SignalRequest + SplitItems> BatchProcessor<M> {
    pub(crate) fn new(
        id: &ComponentId,
        config: &BatchConfig,
        next: Arc<dyn Consumer<Payload<M>>>,
    ) -> Self {
        BatchProcessor {
            settings: BatcherSettings {
                timeout: config.timeout(),
                send_batch_size: config.send_batch_size as usize,
                send_batch_max_size: config.send_batch_max_size as usize,
            },
            metadata_keys: config.normalized_metadata_keys(),
            cardinality_limit: config.metadata_cardinality_limit as usize,
            next,
            telemetry: BatchTelemetry::new(id, M::SIGNAL),
            state: Mutex::new(State {
                batchers: HashMap::new(),
                tasks: Vec::new(),
                shut_down: false,
            }),
        }
    }

    fn values_of(&self, meta: &RequestMeta) -> MetadataValues {
        self.metadata_keys
            .iter()
            .map(|k| meta.metadata.get(k).cloned().unwrap_or_default())
            .collect()
    }

    /// The batcher for `values`, started on first use.
    fn batcher_for(
        &self,
        values: MetadataValues,
    ) -> Result<(tokio::sync::mpsc::Sender<Payload<M>>, Arc<AtomicUsize>), ConsumeError> {
        let mut state = self.state.lock();
        if state.shut_down {
            return Err(ConsumeError::retryable(SHUT_DOWN));
        }
        if let Some(b) = state.batchers.get(&values) {
            return Ok((b.input.clone(), b.unsent.clone()));
        }
        // The single batcher used without metadata_keys is not limited, as upstream.
        if !self.metadata_keys.is_empty()
            && self.cardinality_limit != 0
            && state.batchers.len() >= self.cardinality_limit
        {
            return Err(ConsumeError::permanent(TOO_MANY_BATCHERS));
        }
        // Batches carry only the values of metadata_keys, as upstream exports with a client
        // context holding just those.
        let meta = RequestMeta {
            client_addr: None,
            metadata: self
                .metadata_keys
                .iter()
                .zip(&values)
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let (handle, task) = Batcher::spawn(
            self.settings,
            meta,
            self.next.clone(),
            self.telemetry.clone(),
        );
        let out = (handle.input.clone(), handle.unsent.clone());
        state.tasks.push((task, handle.unsent.clone()));
        state.batchers.insert(values, handle);
        self.telemetry.cardinality.add(1);
        Ok(out)
    }

    async fn accept(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        let (input, unsent) = self.batcher_for(self.values_of(data.meta()))?;
        let items = data.items();
        unsent.fetch_add(items, Ordering::Relaxed);
        if input.send(data).await.is_err() {
            unsent.fetch_sub(items, Ordering::Relaxed);
            return Err(ConsumeError::retryable(SHUT_DOWN));
        }
        Ok(())
    }

    async fn stop(&self, deadline: Instant) {
        let tasks = {
            let mut state = self.state.lock();
            state.shut_down = true;
            // Dropping the inputs lets each batcher drain what callers already handed it, flush,
            // and end.
            let alive = state.batchers.len() as i64;
            state.batchers.clear();
            self.telemetry.cardinality.add(-alive);
            std::mem::take(&mut state.tasks)
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        for (mut task, unsent) in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                let lost = unsent.swap(0, Ordering::Relaxed);
                self.telemetry.send_failed(lost);
                tracing::error!(
                    processor = self.telemetry.processor(),
                    items = lost,
                    "Shutdown deadline passed before pending batches were sent. Dropping data."
                );
            }
        }
    }
}

impl<M: SignalRequest + SplitItems> Consumer<Payload<M>> for BatchProcessor<M> {
    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(self.accept(data))
    }
}

impl<M: SignalRequest + SplitItems> Component for BatchProcessor<M> {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            // Without metadata_keys there is exactly one batcher; starting it now makes the
            // cardinality gauge read 1 from the start, as upstream's.
            if self.metadata_keys.is_empty() {
                self.batcher_for(Vec::new())
                    .map_err(|e| StartError(e.to_string()))?;
            }
            Ok(())
        })
    }

    fn shutdown(&self, deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(self.stop(deadline))
    }
}

//! Tests of the persistent sending queue and of queue batching. The storage here is an
//! in-memory [`DurableQueue`] shared across "restarts" (two helpers one after the other); the
//! file format and its crash behaviour are tested with the `file_storage` extension, and the
//! whole path with `kill -9` in `crates/ferrocol/tests/e2e_persistent_queue.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use component::storage::{DurableQueue, PendingRecord, QueueStorage};
use component::{
    BoxFuture, CollectorStatus, Component, ComponentId, ConsumeError, Consumer, Extension, Host,
    Signal, StartError,
};
use parking_lot::Mutex;
use pdata::ExportTraceServiceRequest;
use pdata::payload::{Payload, RequestMeta};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

use super::*;

type Traces = Payload<ExportTraceServiceRequest>;

/// Records kept in memory, shared by every queue opened on it, as a disk would be.
#[derive(Default)]
struct Disk {
    queues: Mutex<BTreeMap<String, Arc<MemQueue>>>,
}

#[derive(Default)]
struct MemQueue {
    records: Mutex<BTreeMap<u64, Vec<u8>>>,
    next: Mutex<u64>,
    /// Appends fail while set (a full store).
    full: Arc<std::sync::atomic::AtomicBool>,
}

struct Opened(Arc<MemQueue>);

impl DurableQueue for Opened {
    fn append(&self, record: &[u8]) -> Result<u64, String> {
        if self.0.full.load(Ordering::SeqCst) {
            return Err("the storage is full".into());
        }
        let mut next = self.0.next.lock();
        let id = *next;
        *next += 1;
        self.0.records.lock().insert(id, record.to_vec());
        Ok(id)
    }
    fn pending(&self) -> Vec<PendingRecord> {
        self.0
            .records
            .lock()
            .iter()
            .map(|(id, r)| PendingRecord {
                id: *id,
                len: r.len(),
            })
            .collect()
    }
    fn read(&self, id: u64) -> Result<Vec<u8>, String> {
        self.0
            .records
            .lock()
            .get(&id)
            .cloned()
            .ok_or_else(|| format!("no record {id}"))
    }
    fn ack(&self, id: u64) -> Result<(), String> {
        self.0.records.lock().remove(&id);
        Ok(())
    }
    fn len(&self) -> usize {
        self.0.records.lock().len()
    }
    fn bytes(&self) -> u64 {
        self.0.records.lock().values().map(|r| r.len() as u64).sum()
    }
}

struct DiskStorage(Arc<Disk>, Arc<std::sync::atomic::AtomicBool>);

impl QueueStorage for DiskStorage {
    fn open_queue(&self, client: &str) -> Result<Box<dyn DurableQueue>, String> {
        let q = self
            .0
            .queues
            .lock()
            .entry(client.to_string())
            .or_insert_with(|| {
                Arc::new(MemQueue {
                    full: self.1.clone(),
                    ..Default::default()
                })
            })
            .clone();
        Ok(Box::new(Opened(q)))
    }
}

/// A storage extension over a [`Disk`].
struct StorageExt(Arc<dyn QueueStorage>);

impl Component for StorageExt {
    fn start<'a>(&'a self, _: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self, _: std::time::Instant) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl Extension for StorageExt {
    fn as_any(&self) -> &dyn std::any::Any {
        &self.0
    }
}

/// Not a storage extension.
struct Other;
impl Component for Other {
    fn start<'a>(&'a self, _: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self, _: std::time::Instant) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}
impl Extension for Other {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn host(disk: &Arc<Disk>) -> Host {
    let full = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let storage: Arc<dyn QueueStorage> = Arc::new(DiskStorage(disk.clone(), full));
    let mut extensions: BTreeMap<ComponentId, Arc<dyn Extension>> = BTreeMap::new();
    extensions.insert(
        ComponentId::new("file_storage", None),
        Arc::new(StorageExt(storage)),
    );
    extensions.insert(ComponentId::new("health_check", None), Arc::new(Other));
    let (_tx, rx) = tokio::sync::watch::channel(CollectorStatus::Starting);
    Host::new(extensions, rx)
}

fn stored(disk: &Disk) -> usize {
    disk.queues
        .lock()
        .values()
        .map(|q| q.records.lock().len())
        .sum()
}

/// `n` spans named `<prefix>-<i>`, in one resource.
fn spans(prefix: &str, n: usize) -> Traces {
    spans_with(prefix, n, RequestMeta::default())
}

fn spans_with(prefix: &str, n: usize, meta: RequestMeta) -> Traces {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..n)
                    .map(|i| Span {
                        name: format!("{prefix}-{i}"),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    Payload::from_bytes(request.encode_to_vec().into(), meta).expect("valid")
}

fn names(p: &Traces) -> Vec<String> {
    let m = ExportTraceServiceRequest::decode(p.bytes()).expect("valid");
    m.resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| s.name.clone())
        .collect()
}

/// A sender that records what it is sent, answering from a script (then `Ok`) or failing
/// retryably while `down` is set.
#[derive(Default)]
struct Backend {
    down: std::sync::atomic::AtomicBool,
    script: Mutex<std::collections::VecDeque<Result<(), ConsumeError>>>,
    received: Mutex<Vec<Traces>>,
}

impl Sender<ExportTraceServiceRequest> for Backend {
    fn send(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err(ConsumeError::retryable("connection refused"));
            }
            let r = self.script.lock().pop_front().unwrap_or(Ok(()));
            if r.is_ok() {
                self.received.lock().push(data);
            }
            r
        })
    }
}

impl Backend {
    fn names(&self) -> Vec<String> {
        self.received.lock().iter().flat_map(names).collect()
    }
    fn sizes(&self) -> Vec<usize> {
        self.received.lock().iter().map(Payload::items).collect()
    }
}

fn metric(name: &str, id: &ComponentId) -> i128 {
    let id = id.to_string();
    telemetry::metrics::global()
        .value(name, &[("exporter", id.as_str())])
        .unwrap_or(0)
}

fn persistent(queue_size: i64) -> QueueConfig {
    QueueConfig {
        storage: Some("file_storage".into()),
        num_consumers: 2,
        queue_size,
        ..Default::default()
    }
}

fn fast_retry() -> RetryConfig {
    RetryConfig {
        initial_interval: confmap::Duration::from_millis(10),
        max_interval: confmap::Duration::from_millis(50),
        max_elapsed_time: confmap::Duration::from_millis(200),
        ..Default::default()
    }
}

fn make(
    id: &ComponentId,
    queue: QueueConfig,
    retry: RetryConfig,
    backend: &Arc<Backend>,
) -> ExporterHelper<ExportTraceServiceRequest> {
    ExporterHelper::new(
        id,
        Signal::Traces,
        Duration::from_secs(5),
        queue,
        retry,
        backend.clone(),
    )
    .expect("valid config")
}

async fn settle(mut done: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached");
}

#[tokio::test(start_paused = true)]
async fn a_restart_delivers_everything_acknowledged_before_it() {
    let id = ComponentId::new("otlp", Some("restart"));
    let disk = Arc::new(Disk::default());
    let down = Arc::new(Backend::default());
    down.down.store(true, Ordering::SeqCst);
    let a = make(&id, persistent(100), fast_retry(), &down);
    a.start_with_host(&host(&disk)).unwrap();
    for i in 0..20 {
        a.consume(spans(&format!("r{i}"), 3)).await.unwrap();
    }
    assert_eq!(stored(&disk), 20);
    assert_eq!(a.queue_size(), 20);
    // The process goes away mid-outage: nothing is drained, nothing is counted as failed.
    a.shutdown(std::time::Instant::now()).await;
    drop(a);
    assert_eq!(stored(&disk), 20, "everything is still stored");
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 0);
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 0);

    // The next run, with the backend back: the stored requests go first, then new ones.
    let up = Arc::new(Backend::default());
    let b = make(&id, persistent(100), fast_retry(), &up);
    b.start_with_host(&host(&disk)).unwrap();
    b.consume(spans("new", 2)).await.unwrap();
    settle(|| stored(&disk) == 0).await;
    let got: BTreeSet<String> = up.names().into_iter().collect();
    assert_eq!(got.len(), 62);
    for i in 0..20 {
        assert!(got.contains(&format!("r{i}-2")));
    }
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 62);
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 0);
    b.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_counted_and_acknowledged() {
    let id = ComponentId::new("otlp", Some("permanent"));
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    backend.script.lock().extend([
        Err(ConsumeError::permanent("bad data")),
        Err(ConsumeError::permanent("bad data")),
    ]);
    let h = make(
        &id,
        QueueConfig {
            num_consumers: 1,
            ..persistent(100)
        },
        fast_retry(),
        &backend,
    );
    h.start_with_host(&host(&disk)).unwrap();
    for i in 0..5 {
        h.consume(spans(&format!("p{i}"), 4)).await.unwrap();
    }
    settle(|| stored(&disk) == 0 && h.queue_size() == 0).await;
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 8);
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 12);
    assert_eq!(h.queue_size(), 0);
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_keep_the_data_instead_of_dropping_it() {
    let id = ComponentId::new("otlp", Some("outage"));
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    backend.down.store(true, Ordering::SeqCst);
    let h = make(&id, persistent(100), fast_retry(), &backend);
    h.start_with_host(&host(&disk)).unwrap();
    for i in 0..4 {
        h.consume(spans(&format!("o{i}"), 5)).await.unwrap();
    }
    // Many times max_elapsed_time: upstream would have dropped everything by now.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(stored(&disk), 4);
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 0);
    backend.down.store(false, Ordering::SeqCst);
    settle(|| stored(&disk) == 0).await;
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 20);
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 0);
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn queue_size_bounds_what_is_stored_and_a_full_store_refuses() {
    let id = ComponentId::new("otlp", Some("bounded"));
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    backend.down.store(true, Ordering::SeqCst);
    let h = make(&id, persistent(3), fast_retry(), &backend);
    let host = host(&disk);
    h.start_with_host(&host).unwrap();
    for i in 0..3 {
        h.consume(spans(&format!("b{i}"), 1)).await.unwrap();
    }
    let err = h.consume(spans("b3", 1)).await.unwrap_err();
    assert_eq!(err.to_string(), QUEUE_FULL);
    assert_eq!(stored(&disk), 3);
    let gauge = telemetry::metrics::global()
        .value(
            "otelcol_exporter_queue_size",
            &[
                ("exporter", id.to_string().as_str()),
                ("data_type", "traces"),
            ],
        )
        .unwrap();
    assert_eq!(gauge, 3);
    assert_eq!(metric("otelcol_exporter_enqueue_failed_spans", &id), 1);
    h.shutdown(std::time::Instant::now()).await;

    // A storage that cannot write refuses at the door, counted as enqueue_failed.
    let id = ComponentId::new("otlp", Some("store_full"));
    let full_disk = Arc::new(Disk::default());
    let full = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let storage: Arc<dyn QueueStorage> = Arc::new(DiskStorage(full_disk.clone(), full));
    let mut extensions: BTreeMap<ComponentId, Arc<dyn Extension>> = BTreeMap::new();
    extensions.insert(
        ComponentId::new("file_storage", None),
        Arc::new(StorageExt(storage)),
    );
    let (_tx, rx) = tokio::sync::watch::channel(CollectorStatus::Starting);
    let h = make(&id, persistent(10), fast_retry(), &backend);
    h.start_with_host(&Host::new(extensions, rx)).unwrap();
    let err = h.consume(spans("f", 2)).await.unwrap_err();
    assert!(err.to_string().contains("the storage is full"), "{err}");
    assert!(!err.is_permanent());
    assert_eq!(metric("otelcol_exporter_enqueue_failed_spans", &id), 2);
    assert_eq!(h.queue_size(), 0);
    h.shutdown(std::time::Instant::now()).await;
}

#[tokio::test]
async fn a_missing_or_wrong_storage_extension_fails_start() {
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    let id = ComponentId::new("otlp", Some("nostore"));
    let missing = QueueConfig {
        storage: Some("file_storage/nope".into()),
        ..Default::default()
    };
    let h = make(&id, missing, fast_retry(), &backend);
    assert_eq!(
        h.start_with_host(&host(&disk)).unwrap_err(),
        "failed to get storage extension \"file_storage/nope\": no storage client extension found"
    );
    let wrong = QueueConfig {
        storage: Some("health_check".into()),
        ..Default::default()
    };
    let h = make(&id, wrong, fast_retry(), &backend);
    assert_eq!(
        h.start_with_host(&host(&disk)).unwrap_err(),
        "failed to get storage extension \"health_check\": requested extension is not a storage extension"
    );
    let h = make(&id, persistent(10), fast_retry(), &backend);
    assert!(h.start().unwrap_err().contains("without a host"));
}

#[tokio::test(start_paused = true)]
async fn the_storage_client_is_named_like_upstreams_file() {
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    let h = make(
        &ComponentId::new("otlp_grpc", None),
        persistent(10),
        fast_retry(),
        &backend,
    );
    h.start_with_host(&host(&disk)).unwrap();
    let named = make(
        &ComponentId::new("otlp_grpc", Some("a")),
        persistent(10),
        fast_retry(),
        &backend,
    );
    named.start_with_host(&host(&disk)).unwrap();
    let clients: Vec<String> = disk.queues.lock().keys().cloned().collect();
    assert_eq!(
        clients,
        ["exporter_otlp_grpc__traces", "exporter_otlp_grpc_a_traces"]
    );
    h.shutdown(std::time::Instant::now()).await;
    named.shutdown(std::time::Instant::now()).await;
}

fn batching(min_size: i64, max_size: i64, keys: &[&str]) -> QueueConfig {
    QueueConfig {
        num_consumers: 1,
        queue_size: 10_000,
        sizer: Sizer::Items,
        batch: confmap::Optional::some(QueueBatchConfig {
            min_size,
            max_size,
            partition: PartitionConfig {
                metadata_keys: keys.iter().map(|k| k.to_string()).collect(),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn batching_merges_until_min_size_and_splits_exactly_at_max_size() {
    let id = ComponentId::new("otlp", Some("batch_split"));
    let backend = Arc::new(Backend::default());
    let h = make(&id, batching(10, 10, &[]), fast_retry(), &backend);
    // Queued before start, so the consumer finds all of them at once.
    for i in 0..4 {
        h.consume(spans(&format!("m{i}"), 3)).await.unwrap();
    }
    h.start().unwrap();
    settle(|| backend.sizes().iter().sum::<usize>() == 12).await;
    // 12 items gathered (≥ 10), cut at 10 inside the fourth request, in order.
    assert_eq!(backend.sizes(), [10, 2]);
    let expected: Vec<String> = (0..4)
        .flat_map(|i| (0..3).map(move |j| format!("m{i}-{j}")))
        .collect();
    assert_eq!(backend.names(), expected);
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 12);
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn batching_flushes_a_small_batch_after_flush_timeout() {
    let id = ComponentId::new("otlp", Some("batch_timeout"));
    let backend = Arc::new(Backend::default());
    let h = make(&id, batching(100, 0, &[]), fast_retry(), &backend);
    h.start().unwrap();
    let t0 = tokio::time::Instant::now();
    h.consume(spans("a", 3)).await.unwrap();
    h.consume(spans("b", 2)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(backend.sizes().is_empty(), "too early");
    settle(|| !backend.sizes().is_empty()).await;
    assert!(t0.elapsed() >= Duration::from_millis(200));
    assert_eq!(backend.sizes(), [5], "one merged request");
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn batching_keeps_partitions_apart() {
    let id = ComponentId::new("otlp", Some("batch_partition"));
    let backend = Arc::new(Backend::default());
    let h = make(&id, batching(6, 0, &["Tenant"]), fast_retry(), &backend);
    let tenant = |t: &str| {
        let mut m = RequestMeta::default();
        m.metadata.insert("tenant".into(), vec![t.into()]);
        m
    };
    for (i, t) in ["x", "y", "x", "y"].iter().enumerate() {
        h.consume(spans_with(&format!("{t}{i}"), 3, tenant(t)))
            .await
            .unwrap();
    }
    h.start().unwrap();
    settle(|| backend.sizes().iter().sum::<usize>() == 12).await;
    for p in backend.received.lock().iter() {
        let tenants: BTreeSet<String> = names(p).iter().map(|n| n[..1].to_string()).collect();
        assert_eq!(tenants.len(), 1, "one tenant per batch: {:?}", names(p));
        assert_eq!(p.items(), 6);
    }
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test(start_paused = true)]
async fn batched_pieces_that_fail_are_kept_as_records_of_their_own() {
    let id = ComponentId::new("otlp", Some("batch_persist"));
    let disk = Arc::new(Disk::default());
    let backend = Arc::new(Backend::default());
    backend.down.store(true, Ordering::SeqCst);
    let queue = QueueConfig {
        storage: Some("file_storage".into()),
        ..batching(4, 4, &[])
    };
    let h = make(&id, queue, fast_retry(), &backend);
    h.start_with_host(&host(&disk)).unwrap();
    for i in 0..3 {
        h.consume(spans(&format!("k{i}"), 2)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(metric("otelcol_exporter_send_failed_spans", &id), 0);
    assert_eq!(
        stored(&disk),
        2,
        "the batch and the third request are stored"
    );
    backend.down.store(false, Ordering::SeqCst);
    settle(|| stored(&disk) == 0).await;
    let got: BTreeSet<String> = backend.names().into_iter().collect();
    assert_eq!(got.len(), 6);
    assert_eq!(backend.names().len(), 6, "nothing sent twice");
    assert_eq!(metric("otelcol_exporter_sent_spans", &id), 6);
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
}

//! Batch processor tests: triggers (with tokio's paused clock), exact splitting of all three
//! signals, metadata batchers, shutdown, failures and self-metrics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use component::{
    AnyConfig, AnyConsumer, BoxFuture, ComponentId, ConsumeError, Consumer, CreateContext, Host,
};
use parking_lot::Mutex;
use pdata::payload::Request;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
    metric::Data,
};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Payload,
    RequestMeta, Traces,
};
use proptest::prelude::*;
use prost::Message;
use tokio::sync::{mpsc, watch};

use super::config::BatchConfig;
use super::pending::PendingBatch;
use super::{TOO_MANY_BATCHERS, factory};
use pdata::split::SplitItems;

// ---------------------------------------------------------------------------------------------
// Fixtures: requests whose items carry a sequence number and the ids of their resource and
// scope, so that a test can check order, conservation and that items keep their containers.

/// resources → scopes → items per scope.
type Shape = Vec<Vec<usize>>;

fn string_attr(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
    }
}

fn resource(id: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![string_attr("resource.id", id.to_string())],
        ..Default::default()
    })
}

fn scope(id: &str) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: id.to_string(),
        ..Default::default()
    })
}

/// One item as a test sees it: (sequence number, resource id, scope id).
type Seen = (u64, String, String);

fn resource_id(r: &Option<Resource>) -> String {
    match r
        .as_ref()
        .and_then(|r| r.attributes.first())
        .and_then(|kv| kv.value.as_ref())
    {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(s)),
        }) => s.clone(),
        _ => String::new(),
    }
}

fn scope_id(s: &Option<InstrumentationScope>) -> String {
    s.as_ref().map(|s| s.name.clone()).unwrap_or_default()
}

/// Builds and reads back requests of one signal.
trait Fixture: Request + SplitItems + crate::signal::SignalRequest {
    /// A request of `shape` whose items are numbered from `*seq`; containers are named
    /// `<tag>.r<i>` / `<tag>.r<i>.s<j>`.
    fn build(shape: &Shape, tag: &str, seq: &mut u64) -> Self;
    /// Every item in order.
    fn seen(&self) -> Vec<Seen>;
}

impl Fixture for ExportTraceServiceRequest {
    fn build(shape: &Shape, tag: &str, seq: &mut u64) -> Self {
        ExportTraceServiceRequest {
            resource_spans: shape
                .iter()
                .enumerate()
                .map(|(i, scopes)| ResourceSpans {
                    resource: resource(&format!("{tag}.r{i}")),
                    schema_url: format!("schema-{tag}-{i}"),
                    scope_spans: scopes
                        .iter()
                        .enumerate()
                        .map(|(j, n)| ScopeSpans {
                            scope: scope(&format!("{tag}.r{i}.s{j}")),
                            spans: (0..*n)
                                .map(|_| {
                                    *seq += 1;
                                    Span {
                                        name: format!("span-{}", *seq - 1),
                                        start_time_unix_nano: *seq - 1,
                                        trace_id: Bytes::from(vec![1; 16]),
                                        span_id: Bytes::from(vec![2; 8]),
                                        ..Default::default()
                                    }
                                })
                                .collect(),
                            ..Default::default()
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        let mut out = Vec::new();
        for rs in &self.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.push((
                        s.start_time_unix_nano,
                        resource_id(&rs.resource),
                        scope_id(&ss.scope),
                    ));
                }
            }
        }
        out
    }
}

impl Fixture for ExportLogsServiceRequest {
    fn build(shape: &Shape, tag: &str, seq: &mut u64) -> Self {
        ExportLogsServiceRequest {
            resource_logs: shape
                .iter()
                .enumerate()
                .map(|(i, scopes)| ResourceLogs {
                    resource: resource(&format!("{tag}.r{i}")),
                    schema_url: String::new(),
                    scope_logs: scopes
                        .iter()
                        .enumerate()
                        .map(|(j, n)| ScopeLogs {
                            scope: scope(&format!("{tag}.r{i}.s{j}")),
                            log_records: (0..*n)
                                .map(|_| {
                                    *seq += 1;
                                    LogRecord {
                                        time_unix_nano: *seq - 1,
                                        body: Some(AnyValue {
                                            value: Some(any_value::Value::StringValue(
                                                "hello".into(),
                                            )),
                                        }),
                                        ..Default::default()
                                    }
                                })
                                .collect(),
                            schema_url: String::new(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        let mut out = Vec::new();
        for rl in &self.resource_logs {
            for sl in &rl.scope_logs {
                for l in &sl.log_records {
                    out.push((
                        l.time_unix_nano,
                        resource_id(&rl.resource),
                        scope_id(&sl.scope),
                    ));
                }
            }
        }
        out
    }
}

/// A metric of one of the five kinds (chosen by `kind`) holding `points` data points numbered
/// from `*seq`, each kind with its own descriptive fields so a split can be checked to keep them.
fn metric(kind: usize, name: String, points: usize, seq: &mut u64) -> Metric {
    let mut times = || {
        (0..points)
            .map(|_| {
                *seq += 1;
                *seq - 1
            })
            .collect::<Vec<u64>>()
    };
    let data = match kind % 5 {
        0 => Data::Gauge(Gauge {
            data_points: times()
                .into_iter()
                .map(|t| NumberDataPoint {
                    time_unix_nano: t,
                    ..Default::default()
                })
                .collect(),
        }),
        1 => Data::Sum(Sum {
            data_points: times()
                .into_iter()
                .map(|t| NumberDataPoint {
                    time_unix_nano: t,
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: 2,
            is_monotonic: true,
        }),
        2 => Data::Histogram(Histogram {
            data_points: times()
                .into_iter()
                .map(|t| HistogramDataPoint {
                    time_unix_nano: t,
                    count: 3,
                    bucket_counts: vec![1, 2],
                    explicit_bounds: vec![1.0],
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: 1,
        }),
        3 => Data::ExponentialHistogram(ExponentialHistogram {
            data_points: times()
                .into_iter()
                .map(|t| ExponentialHistogramDataPoint {
                    time_unix_nano: t,
                    scale: 2,
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: 2,
        }),
        _ => Data::Summary(Summary {
            data_points: times()
                .into_iter()
                .map(|t| SummaryDataPoint {
                    time_unix_nano: t,
                    ..Default::default()
                })
                .collect(),
        }),
    };
    Metric {
        name,
        unit: "1".into(),
        description: format!("kind {}", kind % 5),
        data: Some(data),
        ..Default::default()
    }
}

fn metric_points(m: &Metric) -> Vec<u64> {
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Some(Data::Sum(s)) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Some(Data::Histogram(h)) => h.data_points.iter().map(|p| p.time_unix_nano).collect(),
        Some(Data::ExponentialHistogram(h)) => {
            h.data_points.iter().map(|p| p.time_unix_nano).collect()
        }
        Some(Data::Summary(s)) => s.data_points.iter().map(|p| p.time_unix_nano).collect(),
        None => Vec::new(),
    }
}

/// The kind and descriptive fields of a metric, which every piece of a split metric keeps.
fn metric_identity(m: &Metric) -> String {
    let kind = match &m.data {
        Some(Data::Gauge(_)) => "gauge".to_string(),
        Some(Data::Sum(s)) => format!("sum/{}/{}", s.aggregation_temporality, s.is_monotonic),
        Some(Data::Histogram(h)) => format!("histogram/{}", h.aggregation_temporality),
        Some(Data::ExponentialHistogram(h)) => format!("exp/{}", h.aggregation_temporality),
        Some(Data::Summary(_)) => "summary".to_string(),
        None => "none".to_string(),
    };
    format!("{}|{}|{}|{kind}", m.name, m.unit, m.description)
}

impl Fixture for ExportMetricsServiceRequest {
    /// Each scope's items are spread over metrics of at most 3 points, cycling through kinds.
    fn build(shape: &Shape, tag: &str, seq: &mut u64) -> Self {
        ExportMetricsServiceRequest {
            resource_metrics: shape
                .iter()
                .enumerate()
                .map(|(i, scopes)| ResourceMetrics {
                    resource: resource(&format!("{tag}.r{i}")),
                    schema_url: String::new(),
                    scope_metrics: scopes
                        .iter()
                        .enumerate()
                        .map(|(j, n)| {
                            let mut metrics = Vec::new();
                            let mut left = *n;
                            let mut k = 0;
                            while left > 0 {
                                let points = left.min(3);
                                metrics.push(metric(
                                    k + j,
                                    format!("{tag}.r{i}.s{j}.m{k}"),
                                    points,
                                    seq,
                                ));
                                left -= points;
                                k += 1;
                            }
                            ScopeMetrics {
                                scope: scope(&format!("{tag}.r{i}.s{j}")),
                                metrics,
                                schema_url: String::new(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The scope id is extended with the metric's identity, so a split metric that lost its
    /// type, temporality or name shows up as a different container.
    fn seen(&self) -> Vec<Seen> {
        let mut out = Vec::new();
        for rm in &self.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    for t in metric_points(m) {
                        out.push((
                            t,
                            resource_id(&rm.resource),
                            format!("{}#{}", scope_id(&sm.scope), metric_identity(m)),
                        ));
                    }
                }
            }
        }
        out
    }
}

fn encoded<M: Fixture>(message: &M, meta: RequestMeta) -> Payload<M> {
    Payload::from_bytes(Bytes::from(message.encode_to_vec()), meta).expect("valid request")
}

fn seen_in<M: Fixture>(p: &Payload<M>) -> Vec<Seen> {
    // Tests may decode what they check; only the processor must not.
    M::decode(p.bytes()).expect("valid batch").seen()
}

// ---------------------------------------------------------------------------------------------
// PendingBatch: exact cuts, conservation and order, for all three signals.

/// Feeds `payloads` to a pending batch, sending whenever `max` items wait (as the size trigger
/// with send_batch_size = max does), then drains. Returns the batches.
fn run_pending<M: Fixture>(payloads: Vec<Payload<M>>, max: usize) -> Vec<Payload<M>> {
    let meta = RequestMeta::default();
    let mut pending = PendingBatch::<M>::default();
    let mut out = Vec::new();
    for p in payloads {
        pending.push(p);
        while pending.items() >= max {
            let (batch, n) = pending.take(max, &meta).expect("items waiting");
            assert_eq!(n, max, "a cut holds exactly send_batch_max_size items");
            assert_eq!(batch.items(), max);
            out.push(batch);
        }
    }
    while let Some((batch, n)) = pending.take(max, &meta) {
        assert!(n <= max);
        assert_eq!(batch.items(), n);
        out.push(batch);
    }
    assert_eq!(pending.items(), 0);
    out
}

fn check_split_conserves<M: Fixture>(shapes: &[Shape], max: usize) {
    let mut seq = 0;
    let requests: Vec<M> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| M::build(s, &format!("p{i}"), &mut seq))
        .collect();
    let expected: Vec<Seen> = requests.iter().flat_map(|r| r.seen()).collect();
    let payloads = requests
        .iter()
        .map(|r| encoded(r, RequestMeta::default()))
        .collect();
    let batches = run_pending(payloads, max);
    let mut got = Vec::new();
    for b in &batches {
        assert!(b.items() <= max, "batch of {} > max {max}", b.items());
        let items = seen_in(b);
        assert_eq!(items.len(), b.items(), "item count matches the bytes");
        got.extend(items);
    }
    assert_eq!(
        got, expected,
        "items conserved, in order, in their containers"
    );
}

fn shape_strategy() -> impl Strategy<Value = Vec<Shape>> {
    // Up to 8 requests of up to 3 resources of up to 3 scopes of up to 12 items (zeros included:
    // empty scopes, resources and requests must pass through too).
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(0usize..12, 0..4), 0..4),
        0..9,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn split_traces_exact_conserving_ordered(shapes in shape_strategy(), max in 1usize..40) {
        check_split_conserves::<ExportTraceServiceRequest>(&shapes, max);
    }

    #[test]
    fn split_metrics_exact_conserving_ordered(shapes in shape_strategy(), max in 1usize..40) {
        check_split_conserves::<ExportMetricsServiceRequest>(&shapes, max);
    }

    #[test]
    fn split_logs_exact_conserving_ordered(shapes in shape_strategy(), max in 1usize..40) {
        check_split_conserves::<ExportLogsServiceRequest>(&shapes, max);
    }
}

#[test]
fn split_keeps_resource_and_scope_on_both_sides() {
    let mut seq = 0;
    let request = ExportTraceServiceRequest::build(&vec![vec![5]], "x", &mut seq);
    let (head, tail) = request.split_items(2);
    assert_eq!(head.item_count(), 2);
    assert_eq!(tail.item_count(), 3);
    for part in [&head, &tail] {
        let rs = &part.resource_spans[0];
        assert_eq!(resource_id(&rs.resource), "x.r0");
        assert_eq!(rs.schema_url, "schema-x-0");
        assert_eq!(scope_id(&rs.scope_spans[0].scope), "x.r0.s0");
    }
}

#[test]
fn merging_is_concatenation_of_the_received_bytes() {
    let mut seq = 0;
    let a = ExportTraceServiceRequest::build(&vec![vec![2]], "a", &mut seq);
    let b = ExportTraceServiceRequest::build(&vec![vec![3], vec![1]], "b", &mut seq);
    let mut pending = PendingBatch::default();
    pending.push(encoded(&a, RequestMeta::default()));
    pending.push(encoded(&b, RequestMeta::default()));
    let (batch, n) = pending.take(0, &RequestMeta::default()).unwrap();
    assert_eq!(n, 6);
    assert!(batch.is_encoded());
    let mut expected = a.encode_to_vec();
    expected.extend(b.encode_to_vec());
    assert_eq!(batch.bytes().as_ref(), expected.as_slice());
}

#[test]
fn a_cut_between_resources_reuses_the_bytes() {
    let mut seq = 0;
    let request = ExportTraceServiceRequest::build(&vec![vec![3], vec![4]], "a", &mut seq);
    let bytes = request.encode_to_vec();
    let mut pending = PendingBatch::default();
    pending.push(encoded(&request, RequestMeta::default()));
    let (head, n) = pending.take(3, &RequestMeta::default()).unwrap();
    assert_eq!(n, 3);
    let (tail, m) = pending.take(3, &RequestMeta::default()).unwrap();
    assert_eq!(m, 3);
    // The first record went out as it was received; the second one had to be cut.
    let first_record = ExportTraceServiceRequest {
        resource_spans: vec![request.resource_spans[0].clone()],
    }
    .encode_to_vec();
    assert_eq!(head.bytes().as_ref(), first_record.as_slice());
    assert!(bytes.starts_with(&first_record));
    assert_eq!(tail.items(), 3);
    assert_eq!(pending.items(), 1);
}

// ---------------------------------------------------------------------------------------------
// The processor, through its factory.

/// What the next component received, and whether it should fail or hang.
struct Sink<M: Request> {
    received: Mutex<Vec<Payload<M>>>,
    notify: mpsc::UnboundedSender<usize>,
    fail: AtomicBool,
    hang: AtomicBool,
}

impl<M: Request> Sink<M> {
    fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<usize>) {
        let (notify, rx) = mpsc::unbounded_channel();
        (
            Arc::new(Sink {
                received: Mutex::new(Vec::new()),
                notify,
                fail: AtomicBool::new(false),
                hang: AtomicBool::new(false),
            }),
            rx,
        )
    }

    fn sizes(&self) -> Vec<usize> {
        self.received.lock().iter().map(Payload::items).collect()
    }
}

impl<M: Request> Consumer<Payload<M>> for Sink<M> {
    fn consume(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            if self.hang.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            let n = data.items();
            if self.fail.load(Ordering::Relaxed) {
                let _ = self.notify.send(n);
                return Err(ConsumeError::retryable("backend down"));
            }
            self.received.lock().push(data);
            let _ = self.notify.send(n);
            Ok(())
        })
    }
}

struct Running<M: Request> {
    component: Arc<dyn component::Component>,
    consumer: Arc<dyn Consumer<Payload<M>>>,
}

fn host() -> Host {
    let (_tx, rx) = watch::channel(component::CollectorStatus::Ready);
    Host::new(BTreeMap::new(), rx)
}

async fn start<M: Fixture>(name: &str, config: BatchConfig, sink: Arc<Sink<M>>) -> Running<M> {
    let ctx = CreateContext {
        id: ComponentId::new("batch", Some(name)),
        build_version: "test",
    };
    let (component, consumer) = factory()
        .create(ctx, &AnyConfig::new(config), M::erase_consumer(sink))
        .expect("created");
    let consumer = M::typed_consumer(consumer).expect("same signal");
    component.start(&host()).await.expect("started");
    Running {
        component,
        consumer,
    }
}

fn spans(n: usize, meta: RequestMeta) -> Traces {
    let mut seq = 0;
    encoded(
        &ExportTraceServiceRequest::build(&vec![vec![n]], "t", &mut seq),
        meta,
    )
}

fn metric_value(name: &str, processor: &str) -> i128 {
    telemetry::metrics::global()
        .value(name, &[("processor", processor)])
        .unwrap_or(0)
}

fn bucket(processor: &str, le: &str) -> i128 {
    telemetry::metrics::global()
        .value(
            "otelcol_processor_batch_batch_send_size_bucket",
            &[("processor", processor), ("le", le)],
        )
        .unwrap_or(0)
}

fn config(size: u32, max: u32, timeout_ms: i64) -> BatchConfig {
    BatchConfig {
        send_batch_size: size,
        send_batch_max_size: max,
        timeout: confmap::Duration::from_millis(timeout_ms),
        ..Default::default()
    }
}

async fn settle() {
    // Lets spawned batchers run without moving the paused clock much.
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test(start_paused = true)]
async fn size_trigger_sends_once_the_size_is_reached_and_does_not_cap() {
    let (sink, mut sent) = Sink::new();
    let p = start("size", config(10, 0, 10_000), sink.clone()).await;
    p.consumer
        .consume(spans(4, RequestMeta::default()))
        .await
        .unwrap();
    p.consumer
        .consume(spans(4, RequestMeta::default()))
        .await
        .unwrap();
    settle().await;
    assert!(sink.sizes().is_empty(), "8 < send_batch_size");
    p.consumer
        .consume(spans(4, RequestMeta::default()))
        .await
        .unwrap();
    assert_eq!(sent.recv().await, Some(12));
    assert_eq!(sink.sizes(), vec![12], "a trigger, not a cap");
    assert!(sink.received.lock()[0].is_encoded());
    let id = "batch/size";
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_size_trigger_send", id),
        1
    );
    assert_eq!(
        metric_value("otelcol_processor_batch_timeout_trigger_send", id),
        0
    );
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_send_size_sum", id),
        12
    );
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_send_size_count", id),
        1
    );
    assert_eq!(bucket(id, "10"), 0);
    assert_eq!(bucket(id, "25"), 1);
    assert_eq!(bucket(id, "+Inf"), 1);
    assert_eq!(
        metric_value("otelcol_processor_batch_metadata_cardinality", id),
        1
    );
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(
        metric_value("otelcol_processor_batch_metadata_cardinality", id),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_trigger_sends_a_small_batch_after_the_timeout() {
    let (sink, mut sent) = Sink::new();
    let p = start("timeout", config(8192, 0, 200), sink.clone()).await;
    let started = tokio::time::Instant::now();
    p.consumer
        .consume(spans(3, RequestMeta::default()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(sink.sizes().is_empty());
    assert_eq!(sent.recv().await, Some(3));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_millis(210),
        "{waited:?}"
    );
    let id = "batch/timeout";
    assert_eq!(
        metric_value("otelcol_processor_batch_timeout_trigger_send", id),
        1
    );
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_size_trigger_send", id),
        0
    );
    // Idle: nothing more is sent however long we wait.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(sink.sizes(), vec![3]);
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
}

#[tokio::test(start_paused = true)]
async fn zero_timeout_sends_immediately_cut_at_the_max_size() {
    let (sink, mut sent) = Sink::new();
    let p = start("immediate", config(8192, 8192, 0), sink.clone()).await;
    p.consumer
        .consume(spans(3, RequestMeta::default()))
        .await
        .unwrap();
    assert_eq!(sent.recv().await, Some(3));
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;

    let (sink, mut sent) = Sink::new();
    let p = start("immediate_max", config(5, 5, 0), sink.clone()).await;
    p.consumer
        .consume(spans(12, RequestMeta::default()))
        .await
        .unwrap();
    for expected in [5, 5, 2] {
        assert_eq!(sent.recv().await, Some(expected));
    }
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
}

/// Through the running processor, for each signal: batches are at most the max, exactly the max
/// while more waits, and carry every item in order.
async fn max_size_through_the_processor<M: Fixture>(name: &str) {
    let (sink, mut sent) = Sink::<M>::new();
    let p = start(name, config(10, 10, 60_000), sink.clone()).await;
    let mut seq = 0;
    let mut expected = Vec::new();
    for i in 0..3 {
        let r = M::build(&vec![vec![4, 3]], &format!("{name}{i}"), &mut seq);
        expected.extend(r.seen());
        p.consumer
            .consume(encoded(&r, RequestMeta::default()))
            .await
            .unwrap();
    }
    assert_eq!(sent.recv().await, Some(10));
    assert_eq!(sent.recv().await, Some(10));
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(
        sent.recv().await,
        Some(1),
        "the rest is flushed at shutdown"
    );
    let got: Vec<Seen> = sink.received.lock().iter().flat_map(seen_in).collect();
    assert_eq!(got, expected);
}

#[tokio::test(start_paused = true)]
async fn max_size_split_traces() {
    max_size_through_the_processor::<ExportTraceServiceRequest>("split_traces").await;
}

#[tokio::test(start_paused = true)]
async fn max_size_split_metrics() {
    max_size_through_the_processor::<ExportMetricsServiceRequest>("split_metrics").await;
}

#[tokio::test(start_paused = true)]
async fn max_size_split_logs() {
    max_size_through_the_processor::<ExportLogsServiceRequest>("split_logs").await;
}

fn tenant(values: &[&str]) -> RequestMeta {
    let mut meta = RequestMeta::default();
    meta.metadata.insert(
        "x-tenant".into(),
        values.iter().map(|v| v.to_string()).collect(),
    );
    meta.metadata.insert("other".into(), vec!["dropped".into()]);
    meta
}

#[tokio::test(start_paused = true)]
async fn metadata_keys_get_their_own_batchers() {
    let (sink, mut sent) = Sink::new();
    let cfg = BatchConfig {
        metadata_keys: vec!["X-Tenant".into()],
        ..config(2, 0, 60_000)
    };
    let p = start("metadata", cfg, sink.clone()).await;
    p.consumer.consume(spans(1, tenant(&["a"]))).await.unwrap();
    p.consumer.consume(spans(1, tenant(&["b"]))).await.unwrap();
    p.consumer
        .consume(spans(1, RequestMeta::default()))
        .await
        .unwrap();
    p.consumer.consume(spans(1, tenant(&[""]))).await.unwrap();
    settle().await;
    assert!(sink.sizes().is_empty(), "no batcher has 2 items yet");
    p.consumer.consume(spans(1, tenant(&["a"]))).await.unwrap();
    assert_eq!(sent.recv().await, Some(2));
    {
        let received = sink.received.lock();
        let meta = received[0].meta();
        // Only the configured keys travel with the batch.
        assert_eq!(
            meta.metadata,
            BTreeMap::from([("x-tenant".to_string(), vec!["a".to_string()])])
        );
    }
    let id = "batch/metadata";
    // a, b, absent and "" are four combinations.
    assert_eq!(
        metric_value("otelcol_processor_batch_metadata_cardinality", id),
        4
    );
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    let mut sizes = sink.sizes();
    sizes.sort();
    assert_eq!(sizes, vec![1, 1, 1, 2]);
    assert_eq!(
        metric_value("otelcol_processor_batch_metadata_cardinality", id),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn cardinality_limit_refuses_new_combinations() {
    let (sink, _sent) = Sink::new();
    let cfg = BatchConfig {
        metadata_keys: vec!["x-tenant".into()],
        metadata_cardinality_limit: 2,
        ..config(100, 0, 60_000)
    };
    let p = start("cardinality", cfg, sink.clone()).await;
    p.consumer.consume(spans(1, tenant(&["a"]))).await.unwrap();
    p.consumer.consume(spans(1, tenant(&["b"]))).await.unwrap();
    let err = p
        .consumer
        .consume(spans(1, tenant(&["c"])))
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), TOO_MANY_BATCHERS);
    assert_eq!(
        err.to_string(),
        "too many batcher metadata-value combinations"
    );
    // Known combinations still flow.
    p.consumer.consume(spans(1, tenant(&["a"]))).await.unwrap();
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    let mut sizes = sink.sizes();
    sizes.sort();
    assert_eq!(sizes, vec![1, 2]);
}

#[tokio::test(start_paused = true)]
async fn shutdown_flushes_everything_pending() {
    let (sink, _sent) = Sink::new();
    let cfg = BatchConfig {
        metadata_keys: vec!["x-tenant".into()],
        ..config(1000, 0, 60_000)
    };
    let p = start("flush", cfg, sink.clone()).await;
    for t in ["a", "b", "a", "c"] {
        p.consumer.consume(spans(5, tenant(&[t]))).await.unwrap();
    }
    settle().await;
    assert!(sink.sizes().is_empty());
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(sink.sizes().iter().sum::<usize>(), 20);
    assert_eq!(
        metric_value(
            "otelcol_processor_batch_timeout_trigger_send",
            "batch/flush"
        ),
        3
    );
    // After shutdown the processor takes nothing more.
    let err = p
        .consumer
        .consume(spans(1, tenant(&["a"])))
        .await
        .unwrap_err();
    assert!(!err.is_permanent());
}

#[tokio::test(start_paused = true)]
async fn shutdown_deadline_is_kept_and_lost_items_are_counted() {
    let (sink, _sent) = Sink::new();
    sink.hang.store(true, Ordering::Relaxed);
    let p = start("deadline", config(1000, 0, 60_000), sink.clone()).await;
    p.consumer
        .consume(spans(7, RequestMeta::default()))
        .await
        .unwrap();
    let before = tokio::time::Instant::now();
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(2))
        .await;
    assert!(before.elapsed() <= Duration::from_secs(3));
    assert_eq!(
        metric_value(
            "otelcol_processor_batch_send_failed_spans",
            "batch/deadline"
        ),
        7
    );
}

#[tokio::test(start_paused = true)]
async fn export_failures_are_logged_and_counted_not_returned() {
    let (sink, mut sent) = Sink::new();
    sink.fail.store(true, Ordering::Relaxed);
    let p = start("failing", config(4, 0, 60_000), sink.clone()).await;
    // consume returns once the batcher has the data, as upstream; the failure comes later.
    p.consumer
        .consume(spans(5, RequestMeta::default()))
        .await
        .unwrap();
    assert_eq!(sent.recv().await, Some(5));
    settle().await;
    let id = "batch/failing";
    assert_eq!(
        metric_value("otelcol_processor_batch_send_failed_spans", id),
        5
    );
    // Like upstream, a failed send records no trigger or size.
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_size_trigger_send", id),
        0
    );
    assert_eq!(
        metric_value("otelcol_processor_batch_batch_send_size_count", id),
        0
    );
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
}

#[tokio::test(start_paused = true)]
async fn empty_requests_are_not_sent() {
    let (sink, _sent) = Sink::new();
    let p = start("empty", config(1, 0, 60_000), sink.clone()).await;
    p.consumer
        .consume(spans(0, RequestMeta::default()))
        .await
        .unwrap();
    p.component
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert!(sink.sizes().is_empty());
}

#[test]
fn factory_describes_batch() {
    let f = factory();
    assert_eq!(f.kind(), "batch");
    for s in component::Signal::ALL {
        assert_eq!(f.stability(s), Some(component::Stability::Beta));
    }
    let config = f.decode_config(None).expect("defaults are valid");
    assert_eq!(config.get::<BatchConfig>(), &BatchConfig::default());
}

/// Keeps `AnyConsumer` in use for the signal dispatch check below.
#[test]
fn create_dispatches_on_the_consumer_signal() {
    let (sink, _) = Sink::<ExportLogsServiceRequest>::new();
    let ctx = CreateContext {
        id: ComponentId::new("batch", Some("dispatch")),
        build_version: "test",
    };
    let (_, consumer) = factory()
        .create(
            ctx,
            &AnyConfig::new(BatchConfig::default()),
            AnyConsumer::Logs(sink),
        )
        .unwrap();
    assert!(matches!(consumer, AnyConsumer::Logs(_)));
}

//! Tests of the exporter helper. Time-dependent ones run on tokio's paused clock, which advances
//! only when every task waits, so backoff sequences are exact and the tests take no real time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use component::{BoxFuture, ComponentId, ConsumeError, Consumer, Signal};
use parking_lot::Mutex;
use pdata::ExportTraceServiceRequest;
use pdata::payload::{Payload, RequestMeta};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tokio::time::Instant;

use super::retry::{Backoff, go_duration};
use super::*;

type Traces = Payload<ExportTraceServiceRequest>;

fn secs(s: f64) -> confmap::Duration {
    confmap::Duration::from_std(Duration::from_secs_f64(s))
}

fn traces(n: usize) -> Traces {
    let spans = (0..n)
        .map(|i| Span {
            name: format!("span-{i}"),
            ..Default::default()
        })
        .collect();
    Payload::from_message(
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        },
        RequestMeta::default(),
    )
}

fn id(name: &str) -> ComponentId {
    ComponentId::new("otlp", Some(name))
}

fn metric(name: &str, id: &ComponentId) -> i128 {
    let id = id.to_string();
    telemetry::metrics::global()
        .value(name, &[("exporter", id.as_str())])
        .unwrap_or(0)
}

fn sent(id: &ComponentId) -> i128 {
    metric("otelcol_exporter_sent_spans", id)
}
fn send_failed(id: &ComponentId) -> i128 {
    metric("otelcol_exporter_send_failed_spans", id)
}
fn enqueue_failed(id: &ComponentId) -> i128 {
    metric("otelcol_exporter_enqueue_failed_spans", id)
}
fn queue_gauge(name: &str, id: &ComponentId) -> i128 {
    let id = id.to_string();
    telemetry::metrics::global()
        .value(name, &[("exporter", id.as_str()), ("data_type", "traces")])
        .expect("queue gauge registered")
}

/// A sender that answers from a script (then `Ok`), records when each attempt started, and may
/// take time.
#[derive(Default)]
struct Scripted {
    script: Mutex<VecDeque<Result<(), ConsumeError>>>,
    attempts: Mutex<Vec<Instant>>,
    delay: Duration,
    items: AtomicUsize,
}

impl Scripted {
    fn new(script: Vec<Result<(), ConsumeError>>) -> Arc<Self> {
        Arc::new(Scripted {
            script: Mutex::new(script.into()),
            ..Default::default()
        })
    }
    fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Scripted {
            delay,
            ..Default::default()
        })
    }
    fn attempts(&self) -> Vec<Instant> {
        self.attempts.lock().clone()
    }
}

impl Sender<ExportTraceServiceRequest> for Scripted {
    fn send(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            self.attempts.lock().push(Instant::now());
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let r = self.script.lock().pop_front().unwrap_or(Ok(()));
            if r.is_ok() {
                self.items.fetch_add(data.items(), Ordering::SeqCst);
            }
            r
        })
    }
}

/// A sender that always fails with a retryable error.
struct Failing;
impl Sender<ExportTraceServiceRequest> for Failing {
    fn send(&self, _: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async { Err(ConsumeError::retryable("backend unavailable")) })
    }
}

fn no_queue() -> QueueConfig {
    QueueConfig {
        enabled: false,
        ..Default::default()
    }
}

fn helper(
    name: &str,
    queue: QueueConfig,
    retry: RetryConfig,
    sender: Arc<dyn Sender<ExportTraceServiceRequest>>,
) -> (ComponentId, ExporterHelper<ExportTraceServiceRequest>) {
    let id = id(name);
    let h = ExporterHelper::new(
        &id,
        Signal::Traces,
        Duration::from_secs(5),
        queue,
        retry,
        sender,
    )
    .expect("valid config");
    (id, h)
}

fn far() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(3600)
}

// ---------------------------------------------------------------------------------------------
// Config

#[test]
fn defaults_are_upstreams() {
    let r = RetryConfig::default();
    assert!(r.enabled);
    assert_eq!(
        r.initial_interval.to_std_saturating(),
        Duration::from_secs(5)
    );
    assert_eq!(r.randomization_factor, 0.5);
    assert_eq!(r.multiplier, 1.5);
    assert_eq!(r.max_interval.to_std_saturating(), Duration::from_secs(30));
    assert_eq!(
        r.max_elapsed_time.to_std_saturating(),
        Duration::from_secs(300)
    );
    let q = QueueConfig::default();
    assert!(q.enabled);
    assert_eq!((q.num_consumers, q.queue_size), (10, 1000));
    assert_eq!(q.sizer, Sizer::Requests);
    assert!(!q.wait_for_result && !q.block_on_overflow);
    assert_eq!(q.storage, None);
    assert!(q.batch.is_none());
    let b = QueueBatchConfig::default();
    assert_eq!(
        b.flush_timeout.to_std_saturating(),
        Duration::from_millis(200)
    );
    assert_eq!((b.min_size, b.max_size, b.sizer), (8192, 0, None));
    assert_eq!(
        TimeoutConfig::default().timeout.to_std_saturating(),
        Duration::from_secs(5)
    );
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(q.validate(), Ok(()));
}

fn decode<T: serde::de::DeserializeOwned>(yaml: &str) -> Result<T, String> {
    let node = confmap::parse_yaml(yaml)
        .map_err(|e| e.to_string())?
        .unwrap_or_else(confmap::Node::null);
    confmap::decode(&node).map_err(|e| e.to_string())
}

#[test]
fn decodes_upstream_keys_and_refuses_unknown_ones() {
    let q: QueueConfig = decode(
        "enabled: true\nnum_consumers: 2\nqueue_size: 5000\nsizer: items\nblock_on_overflow: true\nbatch: {}\n",
    )
    .unwrap();
    assert_eq!(
        (q.num_consumers, q.queue_size, q.sizer),
        (2, 5000, Sizer::Items)
    );
    assert!(q.block_on_overflow);
    assert_eq!(q.batch.get(), Some(&QueueBatchConfig::default()));
    assert_eq!(q.batch_sizer(), Some(Sizer::Items));
    let r: RetryConfig = decode("initial_interval: 1s\nmax_elapsed_time: 0s\n").unwrap();
    assert_eq!(
        r.initial_interval.to_std_saturating(),
        Duration::from_secs(1)
    );
    assert_eq!(r.max_elapsed_time.to_std_saturating(), Duration::ZERO);
    assert_eq!(r.multiplier, 1.5);
    let err = decode::<QueueConfig>("sizer: spans\n").unwrap_err();
    assert!(err.contains("invalid sizer: \"spans\""), "{err}");
    let err = decode::<QueueConfig>("queue_sise: 10\n").unwrap_err();
    assert!(err.contains("queue_sise"), "{err}");
}

#[test]
fn retry_validation_messages() {
    let bad = |f: fn(&mut RetryConfig)| {
        let mut c = RetryConfig::default();
        f(&mut c);
        c.validate().unwrap_err()
    };
    assert_eq!(
        bad(|c| c.max_elapsed_time = secs(1.0)),
        "'max_elapsed_time' must not be less than 'initial_interval'"
    );
    assert_eq!(
        bad(|c| c.max_elapsed_time = secs(10.0)),
        "'max_elapsed_time' must not be less than 'max_interval'"
    );
    assert_eq!(
        bad(|c| c.randomization_factor = 1.5),
        "randomization_factor value must be less than or equal to 1"
    );
    assert_eq!(
        bad(|c| {
            c.randomization_factor = -0.1;
            c.multiplier = -1.0;
        }),
        "multiplier value must be greater than or equal to 0\n\
         randomization_factor value must be greater than or equal to 0"
    );
    assert_eq!(
        bad(|c| c.initial_interval = confmap::Duration::from_secs(-1)),
        "initial_interval value must be greater than or equal to 0"
    );
    assert_eq!(
        bad(|c| c.max_elapsed_time = confmap::Duration::from_secs(-1)),
        "max_elapsed_time value must be greater than or equal to 0"
    );
    assert_eq!(
        TimeoutConfig {
            timeout: confmap::Duration::from_millis(-1)
        }
        .validate(),
        Err("'timeout' must be non-negative".to_string())
    );
    // 0 = retry forever: no comparison with the intervals.
    let c = RetryConfig {
        max_elapsed_time: secs(0.0),
        ..Default::default()
    };
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn queue_validation_messages() {
    let bad = |f: fn(&mut QueueConfig)| {
        let mut c = QueueConfig::default();
        f(&mut c);
        c.validate().unwrap_err()
    };
    assert_eq!(
        bad(|c| c.num_consumers = 0),
        "`num_consumers` must be positive"
    );
    assert_eq!(bad(|c| c.queue_size = -1), "`queue_size` must be positive");
    assert_eq!(
        bad(|c| {
            c.storage = Some("file_storage/x".into());
            c.wait_for_result = true;
        }),
        "`wait_for_result` is not supported with a persistent queue configured with `storage`"
    );
    assert_eq!(
        bad(|c| {
            c.sizer = Sizer::Items;
            c.batch = confmap::Optional::some(QueueBatchConfig::default());
        }),
        "`min_size` must be less than or equal to `queue_size`"
    );
    assert_eq!(
        bad(|c| {
            c.batch = confmap::Optional::some(QueueBatchConfig {
                sizer: Some(Sizer::Requests),
                min_size: 10,
                ..Default::default()
            })
        }),
        "batch: `batch` supports only `items` or `bytes` sizer, found \"requests\""
    );
    assert_eq!(
        bad(|c| {
            c.batch = confmap::Optional::some(QueueBatchConfig {
                max_size: 10,
                min_size: 20,
                ..Default::default()
            })
        }),
        "batch: `max_size` (10) must be greater or equal to `min_size` (20)"
    );
    assert_eq!(
        bad(|c| {
            c.batch = confmap::Optional::some(QueueBatchConfig {
                partition: PartitionConfig {
                    metadata_keys: vec!["Tenant".into(), "tenant".into()],
                },
                ..Default::default()
            })
        }),
        "batch::partition: duplicate entry in metadata_keys: \"tenant\" (case-insensitive)"
    );
    assert_eq!(
        bad(|c| {
            c.batch = confmap::Optional::some(QueueBatchConfig {
                flush_timeout: confmap::Duration::ZERO,
                ..Default::default()
            })
        }),
        "batch: `flush_timeout` must be positive, found 0"
    );
    // Every struct is checked; the full text carries the path.
    let both = QueueConfig {
        num_consumers: 0,
        batch: confmap::Optional::some(QueueBatchConfig {
            max_size: -1,
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        both.validate_at("sending_queue").unwrap_err(),
        "sending_queue: `num_consumers` must be positive\n\
         sending_queue::batch: `max_size` must be non-negative, found -1"
    );
    // A disabled queue is not checked.
    let c = QueueConfig {
        enabled: false,
        num_consumers: 0,
        ..Default::default()
    };
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn new_accepts_storage_and_batch_and_refuses_invalid_configs() {
    let build = |q: QueueConfig, r: RetryConfig| {
        ExporterHelper::<ExportTraceServiceRequest>::new(
            &id("new_refuses"),
            Signal::Traces,
            Duration::from_secs(5),
            q,
            r,
            Arc::new(Failing),
        )
        .err()
    };
    let storage = QueueConfig {
        storage: Some("file_storage/x".into()),
        ..Default::default()
    };
    assert_eq!(build(storage, RetryConfig::default()), None);
    let batch = QueueConfig {
        batch: confmap::Optional::some(QueueBatchConfig::default()),
        queue_size: 10_000,
        ..Default::default()
    };
    assert_eq!(build(batch, RetryConfig::default()), None);
    let invalid = QueueConfig {
        num_consumers: 0,
        ..Default::default()
    };
    assert_eq!(
        build(invalid, RetryConfig::default()).as_deref(),
        Some("sending_queue: `num_consumers` must be positive")
    );
    let retry = RetryConfig {
        max_elapsed_time: secs(1.0),
        ..Default::default()
    };
    assert_eq!(
        build(QueueConfig::default(), retry).as_deref(),
        Some("retry_on_failure: 'max_elapsed_time' must not be less than 'initial_interval'")
    );
}

// ---------------------------------------------------------------------------------------------
// Backoff and retry

#[test]
fn backoff_sequence_stays_within_upstream_bounds() {
    let cfg = RetryConfig::default();
    // interval_n = 5s × 1.5^n, capped at 30s; wait_n ∈ interval_n × [0.5, 1.5].
    let intervals = [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0, 30.0];
    let mut low = Backoff::new(&cfg);
    let mut high = Backoff::new(&cfg);
    let mut mid = Backoff::new(&cfg);
    let mut random = Backoff::new(&cfg);
    for (n, i) in intervals.iter().enumerate() {
        let close = |d: Duration, want: f64| (d.as_secs_f64() - want).abs() < 1e-6;
        assert!(close(low.next_with(0.0), i * 0.5), "low {n}");
        assert!(close(high.next_with(1.0), i * 1.5), "high {n}");
        assert!(close(mid.next_with(0.5), *i), "mid {n}");
        let r = random.next_delay().as_secs_f64();
        assert!(
            r >= i * 0.5 - 1e-9 && r <= i * 1.5 + 1e-9,
            "random {n}: {r}"
        );
    }
    // No randomization: exactly the intervals.
    let mut exact = Backoff::new(&RetryConfig {
        randomization_factor: 0.0,
        ..cfg
    });
    for i in intervals {
        assert_eq!(exact.next_with(0.9), Duration::from_secs_f64(i));
    }
}

#[test]
fn random_unit_is_in_range_and_varies() {
    let draws: Vec<f64> = (0..1000).map(|_| retry::random_unit()).collect();
    assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    assert!((0.4..0.6).contains(&mean), "mean {mean}");
}

#[test]
fn go_duration_strings() {
    for (d, s) in [
        (Duration::ZERO, "0s"),
        (Duration::from_nanos(12), "12ns"),
        (Duration::from_micros(1500), "1.5ms"),
        (Duration::from_millis(200), "200ms"),
        (Duration::from_secs(5), "5s"),
        (Duration::from_millis(7500), "7.5s"),
        (Duration::from_secs(90), "1m30s"),
        (Duration::from_secs(120), "2m0s"),
        (Duration::from_secs(3600), "1h0m0s"),
        (Duration::from_nanos(4_213_422_901), "4.213422901s"),
    ] {
        assert_eq!(go_duration(d), s);
    }
}

#[tokio::test(start_paused = true)]
async fn retries_follow_the_backoff_sequence() {
    let script = (0..6)
        .map(|_| Err(ConsumeError::retryable("unavailable")))
        .collect();
    let sender = Scripted::new(script);
    let (id, h) = helper(
        "retries_follow_backoff",
        no_queue(),
        RetryConfig::default(),
        sender.clone(),
    );
    h.consume(traces(3)).await.expect("sent on the 7th attempt");
    let at = sender.attempts();
    assert_eq!(at.len(), 7);
    let intervals = [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0];
    for (n, i) in intervals.iter().enumerate() {
        let gap = (at[n + 1] - at[n]).as_secs_f64();
        assert!(
            gap >= i * 0.5 - 1e-3 && gap <= i * 1.5 + 1e-3,
            "gap {n}: {gap}"
        );
    }
    assert_eq!(sent(&id), 3);
    assert_eq!(send_failed(&id), 0);
}

#[tokio::test(start_paused = true)]
async fn throttle_delay_wins_over_a_shorter_backoff() {
    let sender = Scripted::new(vec![
        Err(ConsumeError::Throttled {
            error: "slow down".into(),
            retry_after: Duration::from_secs(60),
        }),
        // A throttle shorter than the backoff: the backoff (≥ 0.5 × 7.5s) wins.
        Err(ConsumeError::Throttled {
            error: "slow down".into(),
            retry_after: Duration::from_millis(1),
        }),
    ]);
    let (id, h) = helper(
        "throttle_wins",
        no_queue(),
        RetryConfig::default(),
        sender.clone(),
    );
    h.consume(traces(1)).await.unwrap();
    let at = sender.attempts();
    assert_eq!(at.len(), 3);
    assert_eq!(at[1] - at[0], Duration::from_secs(60));
    assert!(at[2] - at[1] >= Duration::from_millis(3750));
    assert_eq!(sent(&id), 1);
}

#[tokio::test(start_paused = true)]
async fn permanent_error_stops_at_once() {
    let sender = Scripted::new(vec![Err(ConsumeError::permanent("bad data"))]);
    let (id, h) = helper(
        "permanent_stops",
        no_queue(),
        RetryConfig::default(),
        sender.clone(),
    );
    let start = Instant::now();
    let err = h.consume(traces(4)).await.unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), "not retryable error: bad data");
    assert_eq!(sender.attempts().len(), 1);
    assert_eq!(Instant::now(), start);
    assert_eq!((sent(&id), send_failed(&id)), (0, 4));
}

#[tokio::test(start_paused = true)]
async fn gives_up_when_the_next_attempt_would_pass_max_elapsed_time() {
    let retry = RetryConfig {
        randomization_factor: 0.0,
        multiplier: 1.0,
        initial_interval: secs(5.0),
        max_interval: secs(5.0),
        max_elapsed_time: secs(12.0),
        ..Default::default()
    };
    let (id, h) = helper("max_elapsed", no_queue(), retry, Arc::new(Failing));
    let start = Instant::now();
    let err = h.consume(traces(2)).await.unwrap_err();
    // Attempts at 0s, 5s, 10s; one at 15s would pass 12s.
    assert_eq!(Instant::now() - start, Duration::from_secs(10));
    assert!(matches!(err, ConsumeError::Retryable(_)), "keeps its class");
    assert_eq!(err.to_string(), "no more retries left: backend unavailable");
    assert_eq!(send_failed(&id), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_disabled_makes_one_attempt() {
    let retry = RetryConfig {
        enabled: false,
        ..Default::default()
    };
    let sender = Scripted::new(vec![Err(ConsumeError::retryable("unavailable"))]);
    let (id, h) = helper("retry_disabled", no_queue(), retry, sender.clone());
    let err = h.consume(traces(1)).await.unwrap_err();
    assert_eq!(err.to_string(), "unavailable");
    assert_eq!(sender.attempts().len(), 1);
    assert_eq!(send_failed(&id), 1);
}

#[tokio::test(start_paused = true)]
async fn each_attempt_is_bounded_by_the_timeout() {
    let retry = RetryConfig {
        enabled: false,
        ..Default::default()
    };
    let id = id("timeout");
    let h = ExporterHelper::new(
        &id,
        Signal::Traces,
        Duration::from_secs(1),
        no_queue(),
        retry.clone(),
        Scripted::slow(Duration::from_secs(10)),
    )
    .unwrap();
    let start = Instant::now();
    let err = h.consume(traces(1)).await.unwrap_err();
    assert_eq!(Instant::now() - start, Duration::from_secs(1));
    assert!(matches!(err, ConsumeError::Retryable(_)));
    assert!(
        err.to_string().contains("context deadline exceeded"),
        "{err}"
    );

    // A timed-out attempt is retried.
    let sender = Arc::new(Scripted {
        delay: Duration::from_secs(2),
        ..Default::default()
    });
    let h = ExporterHelper::new(
        &id,
        Signal::Traces,
        Duration::from_secs(1),
        no_queue(),
        RetryConfig {
            max_elapsed_time: secs(30.0),
            ..Default::default()
        },
        sender.clone(),
    )
    .unwrap();
    assert!(h.consume(traces(1)).await.is_err());
    assert!(sender.attempts().len() > 1);

    // Zero: no bound.
    let h = ExporterHelper::new(
        &id,
        Signal::Traces,
        Duration::ZERO,
        no_queue(),
        retry,
        Scripted::slow(Duration::from_secs(10)),
    )
    .unwrap();
    h.consume(traces(1)).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Queue

#[tokio::test(start_paused = true)]
async fn full_queue_refuses_by_requests() {
    let q = QueueConfig {
        queue_size: 2,
        ..Default::default()
    };
    let (id, h) = helper(
        "full_requests",
        q,
        RetryConfig::default(),
        Scripted::new(vec![]),
    );
    // Not started: nothing leaves the queue.
    h.consume(traces(5)).await.unwrap();
    h.consume(traces(5)).await.unwrap();
    assert_eq!(queue_gauge("otelcol_exporter_queue_size", &id), 2);
    assert_eq!(queue_gauge("otelcol_exporter_queue_capacity", &id), 2);
    let err = h.consume(traces(7)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::Retryable(_)));
    assert_eq!(err.to_string(), "sending queue is full");
    assert_eq!(enqueue_failed(&id), 7);
    h.start().unwrap();
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 10);
    assert_eq!(queue_gauge("otelcol_exporter_queue_size", &id), 0);
}

#[tokio::test(start_paused = true)]
async fn full_queue_refuses_by_items() {
    let q = QueueConfig {
        queue_size: 10,
        sizer: Sizer::Items,
        ..Default::default()
    };
    let (id, h) = helper(
        "full_items",
        q,
        RetryConfig::default(),
        Scripted::new(vec![]),
    );
    h.consume(traces(4)).await.unwrap();
    h.consume(traces(4)).await.unwrap();
    assert_eq!(queue_gauge("otelcol_exporter_queue_size", &id), 8);
    assert_eq!(
        h.consume(traces(3)).await.unwrap_err().to_string(),
        QUEUE_FULL
    );
    h.consume(traces(2)).await.unwrap();
    // Larger than the whole queue: can never fit, so permanent.
    let err = h.consume(traces(11)).await.unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), "element size too large");
    assert_eq!(enqueue_failed(&id), 3 + 11);
    // An empty request under the items sizer is nothing to send.
    h.consume(traces(0)).await.unwrap();
    h.start().unwrap();
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 10);
}

#[tokio::test(start_paused = true)]
async fn full_queue_refuses_by_bytes() {
    let one = traces(3).encoded_len() as i64;
    let q = QueueConfig {
        queue_size: one * 2 + one / 2,
        sizer: Sizer::Bytes,
        ..Default::default()
    };
    let (id, h) = helper(
        "full_bytes",
        q,
        RetryConfig::default(),
        Scripted::new(vec![]),
    );
    h.consume(traces(3)).await.unwrap();
    h.consume(traces(3)).await.unwrap();
    assert_eq!(
        queue_gauge("otelcol_exporter_queue_size", &id),
        (one * 2) as i128
    );
    assert_eq!(
        h.consume(traces(3)).await.unwrap_err().to_string(),
        QUEUE_FULL
    );
    assert_eq!(enqueue_failed(&id), 3);
    // A smaller request still fits.
    assert!(traces(1).encoded_len() as i64 <= one / 2);
    h.consume(traces(1)).await.unwrap();
    h.start().unwrap();
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 7);
}

#[tokio::test(start_paused = true)]
async fn block_on_overflow_waits_for_room() {
    let q = QueueConfig {
        queue_size: 1,
        num_consumers: 1,
        block_on_overflow: true,
        ..Default::default()
    };
    let sender = Scripted::slow(Duration::from_secs(1));
    let (id, h) = helper(
        "block_on_overflow",
        q,
        RetryConfig::default(),
        sender.clone(),
    );
    let h = Arc::new(h);
    h.consume(traces(1)).await.unwrap();
    let second = tokio::spawn({
        let h = h.clone();
        async move { h.consume(traces(2)).await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!second.is_finished(), "waits while the queue is full");
    assert_eq!(enqueue_failed(&id), 0);
    h.start().unwrap();
    second.await.unwrap().unwrap();
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 3);
    assert_eq!(enqueue_failed(&id), 0);

    // A caller that gives up waiting has its data counted as refused.
    let q = QueueConfig {
        queue_size: 1,
        block_on_overflow: true,
        ..Default::default()
    };
    let (id, h) = helper(
        "block_on_overflow_abandoned",
        q,
        RetryConfig::default(),
        sender,
    );
    h.consume(traces(1)).await.unwrap();
    let gave_up = tokio::time::timeout(Duration::from_secs(1), h.consume(traces(4))).await;
    assert!(gave_up.is_err());
    assert_eq!(enqueue_failed(&id), 4);
    // And a blocked caller is released with an error when shutdown begins.
    let h = Arc::new(h);
    let blocked = tokio::spawn({
        let h = h.clone();
        async move { h.consume(traces(5)).await }
    });
    tokio::task::yield_now().await;
    h.shutdown(far()).await;
    assert_eq!(
        blocked.await.unwrap().unwrap_err().to_string(),
        SHUTTING_DOWN
    );
    assert_eq!(enqueue_failed(&id), 9);
    assert_eq!(
        send_failed(&id),
        1,
        "never started: the queued request is counted"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_for_result_returns_the_send_outcome() {
    let q = QueueConfig {
        wait_for_result: true,
        ..Default::default()
    };
    let sender = Scripted::new(vec![Err(ConsumeError::permanent("rejected by backend"))]);
    let (id, h) = helper("wait_for_result", q, RetryConfig::default(), sender.clone());
    h.start().unwrap();
    let err = h.consume(traces(2)).await.unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), "not retryable error: rejected by backend");
    assert_eq!(send_failed(&id), 2);
    h.consume(traces(3)).await.unwrap();
    // The result came back only after the send happened.
    assert_eq!(sender.items.load(Ordering::SeqCst), 3);
    assert_eq!(sent(&id), 3);
    h.shutdown(far()).await;
}

#[tokio::test(start_paused = true)]
async fn without_wait_for_result_consume_returns_once_queued() {
    let sender = Scripted::slow(Duration::from_secs(2));
    let (id, h) = helper(
        "queued_returns",
        QueueConfig::default(),
        RetryConfig::default(),
        sender,
    );
    h.start().unwrap();
    let start = Instant::now();
    h.consume(traces(2)).await.unwrap();
    assert_eq!(Instant::now(), start);
    assert_eq!(sent(&id), 0);
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 2);
}

#[tokio::test(start_paused = true)]
async fn disabled_queue_returns_errors_to_the_caller() {
    let retry = RetryConfig {
        enabled: false,
        ..Default::default()
    };
    let sender = Scripted::new(vec![
        Err(ConsumeError::retryable("unavailable")),
        Err(ConsumeError::Throttled {
            error: "slow down".into(),
            retry_after: Duration::from_secs(3),
        }),
    ]);
    let (id, h) = helper("disabled_queue", no_queue(), retry, sender);
    h.start().unwrap();
    assert!(matches!(
        h.consume(traces(2)).await,
        Err(ConsumeError::Retryable(_))
    ));
    assert!(matches!(
        h.consume(traces(3)).await,
        Err(ConsumeError::Throttled { retry_after, .. }) if retry_after == Duration::from_secs(3)
    ));
    h.consume(traces(4)).await.unwrap();
    assert_eq!(
        (sent(&id), send_failed(&id), enqueue_failed(&id)),
        (4, 5, 0)
    );
    assert_eq!(h.queue_size(), 0);
    h.shutdown(far()).await;
    assert_eq!(
        h.consume(traces(1)).await.unwrap_err().to_string(),
        SHUTTING_DOWN
    );
    assert_eq!(send_failed(&id), 6);
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[tokio::test(start_paused = true)]
async fn shutdown_drains_the_queue_with_retries() {
    let q = QueueConfig {
        num_consumers: 2,
        ..Default::default()
    };
    // Every other attempt fails once: draining must keep retrying.
    let script = (0..50)
        .map(|i| {
            if i % 2 == 0 {
                Err(ConsumeError::retryable("blip"))
            } else {
                Ok(())
            }
        })
        .collect();
    let sender = Arc::new(Scripted {
        script: Mutex::new(script),
        delay: Duration::from_millis(100),
        ..Default::default()
    });
    let (id, h) = helper("drain", q, RetryConfig::default(), sender.clone());
    for _ in 0..50 {
        h.consume(traces(2)).await.unwrap();
    }
    h.start().unwrap();
    h.shutdown(far()).await;
    assert_eq!(sent(&id), 100);
    assert_eq!(send_failed(&id), 0);
    assert_eq!(queue_gauge("otelcol_exporter_queue_size", &id), 0);
    // Closed: new data is refused (and counted).
    assert_eq!(
        h.consume(traces(1)).await.unwrap_err().to_string(),
        SHUTTING_DOWN
    );
    assert_eq!(enqueue_failed(&id), 1);
}

#[tokio::test(start_paused = true)]
async fn shutdown_deadline_counts_what_is_left() {
    let q = QueueConfig {
        num_consumers: 1,
        ..Default::default()
    };
    let sender = Scripted::slow(Duration::from_secs(1));
    let (id, h) = helper("deadline", q, RetryConfig::default(), sender);
    for _ in 0..10 {
        h.consume(traces(3)).await.unwrap();
    }
    h.start().unwrap();
    let start = Instant::now();
    h.shutdown(std::time::Instant::now() + Duration::from_millis(3500))
        .await;
    assert_close(Instant::now() - start, Duration::from_millis(3500));
    // 3 sent; the 4th was cut short at the deadline; 6 never left the queue.
    assert_eq!(sent(&id), 9);
    assert_eq!(send_failed(&id), 21);
    assert_eq!(queue_gauge("otelcol_exporter_queue_size", &id), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_backoff_stops_retrying_and_counts_the_data() {
    let q = QueueConfig {
        wait_for_result: true,
        ..Default::default()
    };
    let (id, h) = helper(
        "shutdown_backoff",
        q,
        RetryConfig::default(),
        Arc::new(Failing),
    );
    let h = Arc::new(h);
    h.start().unwrap();
    let waiting = tokio::spawn({
        let h = h.clone();
        async move { h.consume(traces(6)).await }
    });
    // The first attempt failed at once; the retry waits at least 2.5s.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start = Instant::now();
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
    assert_close(Instant::now() - start, Duration::from_secs(1));
    let err = waiting.await.unwrap().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("interrupted due to shutdown: backend unavailable"),
        "{err}"
    );
    assert_eq!((sent(&id), send_failed(&id)), (0, 6));

    // A failure after shutdown began whose retry would start after the deadline: not retried.
    let sender = Arc::new(Scripted {
        script: Mutex::new(
            (0..5)
                .map(|_| Err(ConsumeError::retryable("blip")))
                .collect(),
        ),
        delay: Duration::from_millis(500),
        ..Default::default()
    });
    let q = QueueConfig {
        wait_for_result: true,
        ..Default::default()
    };
    let (id, h) = helper(
        "shutdown_next_retry",
        q,
        RetryConfig::default(),
        sender.clone(),
    );
    let h = Arc::new(h);
    h.start().unwrap();
    let waiting = tokio::spawn({
        let h = h.clone();
        async move { h.consume(traces(2)).await }
    });
    tokio::task::yield_now().await;
    let start = Instant::now();
    h.shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
    assert_close(Instant::now() - start, Duration::from_millis(500));
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "request will be cancelled before next retry: blip"
    );
    assert_eq!(sender.attempts().len(), 1);
    assert_eq!(send_failed(&id), 2);
}

/// Equal within the timer's millisecond granularity (the deadline is measured on the real clock).
fn assert_close(got: Duration, want: Duration) {
    let diff = got.abs_diff(want);
    assert!(
        diff <= Duration::from_millis(2),
        "got {got:?}, want {want:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_helper_still_accounts_for_its_queue() {
    // Never started: nothing will send the queue, so it is counted at once.
    let (id, h) = helper(
        "dropped_unstarted",
        QueueConfig::default(),
        RetryConfig::default(),
        Scripted::new(vec![]),
    );
    h.consume(traces(4)).await.unwrap();
    drop(h);
    assert_eq!((sent(&id), send_failed(&id)), (0, 4));
    // Started: the consumers finish the queue in the background, then end.
    let sender = Scripted::slow(Duration::from_secs(1));
    let (id, h) = helper(
        "dropped_started",
        QueueConfig::default(),
        RetryConfig::default(),
        sender.clone(),
    );
    h.start().unwrap();
    h.consume(traces(3)).await.unwrap();
    drop(h);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sent(&id), 3);
    assert_eq!(Arc::strong_count(&sender), 1, "the consumer tasks ended");
}

// ---------------------------------------------------------------------------------------------
// The accounting invariant

/// A sender that fails in every way, deterministically from a seed.
struct Flaky {
    state: AtomicU64,
    ok_items: AtomicUsize,
}

impl Flaky {
    fn new(seed: u64) -> Arc<Self> {
        Arc::new(Flaky {
            state: AtomicU64::new(seed),
            ok_items: AtomicUsize::new(0),
        })
    }
    fn roll(&self) -> u64 {
        // xorshift64
        let mut x = self.state.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.store(x, Ordering::Relaxed);
        x % 100
    }
}

impl Sender<ExportTraceServiceRequest> for Flaky {
    fn send(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        let roll = self.roll();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(roll % 7)).await;
            match roll {
                0..=39 => Err(ConsumeError::retryable("unavailable")),
                40..=44 => Err(ConsumeError::permanent("bad")),
                45..=49 => Err(ConsumeError::Throttled {
                    error: "slow down".into(),
                    retry_after: Duration::from_millis(30),
                }),
                50..=52 => {
                    // Slower than the timeout.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok(())
                }
                _ => {
                    self.ok_items.fetch_add(data.items(), Ordering::SeqCst);
                    Ok(())
                }
            }
        })
    }
}

async fn accounting_case(name: &str, queue: QueueConfig, shutdown_after: Duration) {
    let retry = RetryConfig {
        initial_interval: secs(0.01),
        max_interval: secs(0.05),
        max_elapsed_time: secs(0.2),
        ..Default::default()
    };
    let caller_sees_result = !queue.enabled || queue.wait_for_result;
    let sender = Flaky::new(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let id = id(name);
    let h = Arc::new(
        ExporterHelper::new(
            &id,
            Signal::Traces,
            Duration::from_millis(100),
            queue,
            retry,
            sender.clone(),
        )
        .unwrap(),
    );
    h.start().unwrap();
    let offered = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut producers = Vec::new();
    for p in 0..16usize {
        let (h, offered, accepted) = (h.clone(), offered.clone(), accepted.clone());
        producers.push(tokio::spawn(async move {
            for i in 0..100usize {
                let n = 1 + (p * 7 + i * 13) % 9;
                offered.fetch_add(n, Ordering::SeqCst);
                if h.consume(traces(n)).await.is_ok() {
                    accepted.fetch_add(n, Ordering::SeqCst);
                }
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }));
    }
    tokio::time::sleep(shutdown_after).await;
    h.shutdown(std::time::Instant::now() + Duration::from_millis(150))
        .await;
    for p in producers {
        p.await.unwrap();
    }
    let offered = offered.load(Ordering::SeqCst) as i128;
    let (s, f, e) = (sent(&id), send_failed(&id), enqueue_failed(&id));
    assert_eq!(
        s + f + e,
        offered,
        "{name}: sent {s} + failed {f} + refused {e}"
    );
    assert!(s > 0 && f > 0, "{name}: the case exercises both outcomes");
    // What the sender saw accepted (minus the slow successes cut by the timeout, which it counted
    // not at all) matches `sent`.
    assert_eq!(sender.ok_items.load(Ordering::SeqCst) as i128, s, "{name}");
    // And the callers' view agrees: `Ok` means queued (or, when waiting for the result or
    // without a queue, sent).
    let accepted = accepted.load(Ordering::SeqCst) as i128;
    if caller_sees_result {
        assert_eq!(accepted, s, "{name}");
    } else {
        assert_eq!(accepted, s + f, "{name}");
        assert_eq!(offered - accepted, e, "{name}");
    }
    assert_eq!(h.queue_size(), 0);
}

#[tokio::test(start_paused = true)]
async fn every_item_is_sent_failed_or_refused() {
    let small = QueueConfig {
        queue_size: 20,
        num_consumers: 4,
        ..Default::default()
    };
    // Producers still running when shutdown begins, leftovers at the deadline.
    accounting_case("acct_queue", small.clone(), Duration::from_millis(50)).await;
    accounting_case(
        "acct_queue_drained",
        QueueConfig {
            queue_size: 100_000,
            sizer: Sizer::Items,
            ..small.clone()
        },
        Duration::from_secs(30),
    )
    .await;
    accounting_case(
        "acct_blocking",
        QueueConfig {
            block_on_overflow: true,
            ..small.clone()
        },
        Duration::from_millis(200),
    )
    .await;
    accounting_case(
        "acct_wait",
        QueueConfig {
            wait_for_result: true,
            ..small
        },
        Duration::from_millis(200),
    )
    .await;
    accounting_case("acct_inline", no_queue(), Duration::from_millis(200)).await;
}

// ---------------------------------------------------------------------------------------------
// Log lines

thread_local! {
    static CAPTURED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Records every event on a thread that asked for it, as `LEVEL message field=value ...`. A
/// process-wide subscriber, because a scoped one races with other test threads over tracing's
/// per-callsite interest cache. The test runtime is single-threaded, so every task's events land
/// on the test's thread.
struct Capture;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0.push_str(&format!(" {v:?}"));
                } else {
                    self.0.push_str(&format!(" {}={v:?}", f.name()));
                }
            }
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                self.0.push_str(&format!(" {}={v}", f.name()));
            }
        }
        CAPTURED.with(|c| {
            if let Some(lines) = c.borrow_mut().as_mut() {
                let mut line = Line(event.metadata().level().to_string());
                event.record(&mut line);
                lines.push(line.0);
            }
        });
    }
}

fn start_capture() {
    use tracing_subscriber::layer::SubscriberExt;
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Capture))
            .expect("no other global subscriber in these tests");
    });
    tracing::callsite::rebuild_interest_cache();
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
}

fn captured() -> Vec<String> {
    CAPTURED.with(|c| c.borrow_mut().take().unwrap_or_default())
}

#[tokio::test(start_paused = true)]
async fn log_lines_are_upstreams() {
    start_capture();
    let retry = RetryConfig {
        randomization_factor: 0.0,
        max_interval: secs(5.0),
        max_elapsed_time: secs(6.0),
        ..Default::default()
    };
    let (_, h) = helper(
        "log_lines_inline",
        no_queue(),
        retry.clone(),
        Arc::new(Failing),
    );
    h.consume(traces(2)).await.unwrap_err();
    let q = QueueConfig {
        wait_for_result: true,
        ..Default::default()
    };
    let (_, h) = helper("log_lines_queue", q, retry, Arc::new(Failing));
    h.start().unwrap();
    h.consume(traces(3)).await.unwrap_err();
    h.shutdown(far()).await;
    let lines = captured();
    let find = |needle: &str| {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
            .clone()
    };
    let retry_line = find("Exporting failed. Will retry the request after interval.");
    assert!(retry_line.starts_with("INFO"), "{retry_line}");
    assert!(retry_line.contains("interval=5s"), "{retry_line}");
    assert!(
        retry_line.contains("error=backend unavailable"),
        "{retry_line}"
    );
    let rejected = find(
        "Exporting failed. Rejecting data. Try enabling sending_queue to survive temporary failures.",
    );
    assert!(rejected.starts_with("ERROR"), "{rejected}");
    assert!(rejected.contains("rejected_items=2"), "{rejected}");
    assert!(
        rejected.contains("error=no more retries left: backend unavailable"),
        "{rejected}"
    );
    let dropped = find("Exporting failed. Dropping data.");
    assert!(
        dropped.starts_with("ERROR") && dropped.contains("items=3"),
        "{dropped}"
    );
}

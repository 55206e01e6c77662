//! memory_limiter tests with an injected memory source: refusal, recovery, purging and its rate
//! limit, the exact strings, limits math, validation, sharing per id and the background task.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use component::{
    AnyConfig, AnyConsumer, BoxFuture, ComponentConfig, ComponentId, ConsumeError, Consumer,
    CreateContext, Host, ProcessorFactory,
};
use parking_lot::Mutex;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces};
use prost::Message;

use super::MemoryLimiterFactory;
use super::config::{Limits, MIB, MemoryLimiterConfig};
use super::limiter::{DATA_REFUSED, MemoryLimiter};
use super::source::{MemorySource, MemoryUsage};

// ---------------------------------------------------------------------------------------------
// An injected memory source and a log capture.

/// Memory the test sets; a purge releases `purge_releases` bytes of the resident size.
#[derive(Default)]
struct FakeMemory {
    allocated: AtomicU64,
    resident: AtomicU64,
    purge_releases: AtomicU64,
    purges: AtomicUsize,
}

impl FakeMemory {
    fn set_mib(&self, allocated: u64, resident: u64) {
        self.allocated.store(allocated * MIB, Ordering::Relaxed);
        self.resident.store(resident * MIB, Ordering::Relaxed);
    }

    fn purges(&self) -> usize {
        self.purges.load(Ordering::Relaxed)
    }
}

impl MemorySource for FakeMemory {
    fn usage(&self) -> MemoryUsage {
        MemoryUsage {
            allocated: self.allocated.load(Ordering::Relaxed),
            resident: self.resident.load(Ordering::Relaxed),
        }
    }

    fn purge(&self) -> Result<(), String> {
        self.purges.fetch_add(1, Ordering::Relaxed);
        let release = self.purge_releases.load(Ordering::Relaxed);
        let _ = self
            .resident
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                Some(r.saturating_sub(release))
            });
        Ok(())
    }
}

/// Everything logged while the guard lives, as plain text lines.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogCapture {
    fn start() -> (LogCapture, tracing::subscriber::DefaultGuard) {
        let capture = LogCapture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(capture.clone())
            .with_ansi(false)
            .without_time()
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (capture, guard)
    }

    /// Lines at `level` whose message is exactly `message` (fields may follow).
    fn count(&self, level: &str, message: &str) -> usize {
        let text = String::from_utf8(self.0.lock().clone()).unwrap();
        text.lines()
            .filter(|l| l.trim_start().starts_with(level))
            .filter(|l| {
                l.split_once(": ").is_some_and(|(_, rest)| {
                    rest == message || rest.starts_with(&format!("{message} "))
                })
            })
            .count()
    }
}

// ---------------------------------------------------------------------------------------------

fn config(limit_mib: u32, spike_mib: u32) -> MemoryLimiterConfig {
    MemoryLimiterConfig {
        check_interval: confmap::Duration::from_secs(1),
        limit_mib,
        spike_limit_mib: spike_mib,
        ..Default::default()
    }
}

fn limiter(source: Arc<FakeMemory>, config: &MemoryLimiterConfig) -> MemoryLimiter {
    let limits = Limits::from_config(config, || Err("unused".into())).unwrap();
    MemoryLimiter::new("memory_limiter/test", config, limits, source)
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Consumer<Traces> for Count {
    fn consume(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        self.0.fetch_add(data.items(), Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

fn spans(n: usize) -> Traces {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..n)
                    .map(|_| Span {
                        trace_id: Bytes::from(vec![1; 16]),
                        span_id: Bytes::from(vec![2; 8]),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    Traces::from_bytes(Bytes::from(request.encode_to_vec()), RequestMeta::default()).unwrap()
}

fn host() -> Host {
    let (_tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    Host::new(BTreeMap::new(), rx)
}

fn counter(name: &str, processor: &str) -> i128 {
    telemetry::metrics::global()
        .value(name, &[("processor", processor)])
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Validation and limits.

#[test]
fn validation_messages_are_upstreams() {
    let ok = config(100, 20);
    assert_eq!(ok.validate(), Ok(()));
    let cases: Vec<(MemoryLimiterConfig, &str)> = vec![
        (
            MemoryLimiterConfig {
                check_interval: confmap::Duration::ZERO,
                ..ok.clone()
            },
            "'check_interval' must be greater than zero",
        ),
        (
            MemoryLimiterConfig {
                check_interval: confmap::Duration::from_secs(-1),
                ..ok.clone()
            },
            "'check_interval' must be greater than zero",
        ),
        (
            MemoryLimiterConfig {
                limit_mib: 0,
                spike_limit_mib: 0,
                ..ok.clone()
            },
            "'limit_mib' or 'limit_percentage' must be greater than zero",
        ),
        (
            MemoryLimiterConfig {
                spike_limit_mib: 100,
                ..ok.clone()
            },
            "'spike_limit_mib' must be smaller than 'limit_mib'",
        ),
        (
            MemoryLimiterConfig {
                limit_mib: 0,
                spike_limit_mib: 0,
                limit_percentage: 101,
                ..ok.clone()
            },
            "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred",
        ),
        (
            MemoryLimiterConfig {
                limit_mib: 0,
                spike_limit_mib: 0,
                limit_percentage: 50,
                spike_limit_percentage: 50,
                ..ok.clone()
            },
            "'spike_limit_percentage' must be smaller than 'limit_percentage'",
        ),
        (
            MemoryLimiterConfig {
                min_gc_interval_when_hard_limited: confmap::Duration::from_secs(11),
                ..ok.clone()
            },
            "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'",
        ),
        (
            MemoryLimiterConfig {
                max_gc_interval_when_soft_limited: confmap::Duration::from_secs(-1),
                ..ok.clone()
            },
            "'max_gc_interval_when_soft_limited' must be non-negative",
        ),
        (
            MemoryLimiterConfig {
                max_gc_interval_when_hard_limited: confmap::Duration::from_secs(-1),
                ..ok.clone()
            },
            "'max_gc_interval_when_hard_limited' must be non-negative",
        ),
        (
            MemoryLimiterConfig {
                max_gc_interval_when_soft_limited: confmap::Duration::from_secs(5),
                ..ok.clone()
            },
            "'max_gc_interval_when_soft_limited' must be greater than or equal to 'min_gc_interval_when_soft_limited' (or 0 to disable)",
        ),
        (
            MemoryLimiterConfig {
                min_gc_interval_when_hard_limited: confmap::Duration::from_secs(5),
                max_gc_interval_when_hard_limited: confmap::Duration::from_secs(4),
                ..ok.clone()
            },
            "'max_gc_interval_when_hard_limited' must be greater than or equal to 'min_gc_interval_when_hard_limited' (or 0 to disable)",
        ),
        (
            MemoryLimiterConfig {
                max_gc_interval_when_hard_limited: confmap::Duration::from_secs(40),
                ..ok.clone()
            },
            "'max_gc_interval_when_soft_limited' should be larger than or equal to 'max_gc_interval_when_hard_limited' (when both are set)",
        ),
    ];
    for (c, message) in cases {
        assert_eq!(c.validate().unwrap_err(), message);
    }
    // Upstream's default config does not validate: a limit and an interval are required.
    assert_eq!(
        MemoryLimiterConfig::default().validate().unwrap_err(),
        "'check_interval' must be greater than zero"
    );
}

#[test]
fn defaults_are_upstreams() {
    let c = MemoryLimiterConfig::default();
    assert_eq!(c.check_interval, confmap::Duration::ZERO);
    assert_eq!((c.limit_mib, c.spike_limit_mib), (0, 0));
    assert_eq!((c.limit_percentage, c.spike_limit_percentage), (0, 0));
    assert_eq!(
        c.min_gc_interval_when_soft_limited,
        confmap::Duration::from_secs(10)
    );
    assert_eq!(c.min_gc_interval_when_hard_limited, confmap::Duration::ZERO);
    assert_eq!(
        c.max_gc_interval_when_soft_limited,
        confmap::Duration::from_secs(30)
    );
    assert_eq!(
        c.max_gc_interval_when_hard_limited,
        confmap::Duration::from_secs(30)
    );
}

#[test]
fn limits_from_mib_and_percentages() {
    let never = || -> Result<u64, String> { panic!("limit_mib needs no total") };
    // upstream's example: 4000 / 800 gives a 3200 MiB soft limit.
    let l = Limits::from_config(&config(4000, 800), never).unwrap();
    assert_eq!(
        (l.hard, l.spike, l.soft()),
        (4000 * MIB, 800 * MIB, 3200 * MIB)
    );
    // An unset spike is 20% of the limit.
    let l = Limits::from_config(&config(1000, 0), never).unwrap();
    assert_eq!((l.hard, l.spike), (1000 * MIB, 200 * MIB));

    let pct = |limit, spike| MemoryLimiterConfig {
        limit_mib: 0,
        limit_percentage: limit,
        spike_limit_percentage: spike,
        ..config(0, 0)
    };
    let total = || Ok(2000 * MIB);
    let l = Limits::from_config(&pct(50, 10), total).unwrap();
    assert_eq!(
        (l.hard, l.spike, l.soft()),
        (1000 * MIB, 200 * MIB, 800 * MIB)
    );
    let l = Limits::from_config(&pct(80, 0), total).unwrap();
    assert_eq!((l.hard, l.spike), (1600 * MIB, 320 * MIB));
    // limit_mib wins when both are set.
    let both = MemoryLimiterConfig {
        limit_percentage: 50,
        ..config(300, 0)
    };
    assert_eq!(Limits::from_config(&both, never).unwrap().hard, 300 * MIB);
    let err = Limits::from_config(&pct(50, 10), || Err("no /proc".into())).unwrap_err();
    assert_eq!(
        err,
        "failed to get total memory, use fixed memory settings (limit_mib): no /proc"
    );
}

// ---------------------------------------------------------------------------------------------
// The check.

#[tokio::test(start_paused = true)]
async fn refuses_above_the_soft_limit_and_recovers() {
    let (logs, _guard) = LogCapture::start();
    let memory = Arc::new(FakeMemory::default());
    // hard 100 MiB, soft 80 MiB; purges are not due yet (min soft interval 10s).
    let l = limiter(memory.clone(), &config(100, 20));
    memory.set_mib(10, 50);
    l.check();
    assert!(!l.must_refuse());

    // RSS above the soft limit counts even though the allocator holds little.
    memory.set_mib(10, 85);
    l.check();
    assert!(l.must_refuse());
    l.check();
    assert!(l.must_refuse());
    assert_eq!(
        logs.count("WARN", "Memory usage is above soft limit. Refusing data."),
        1,
        "logged once per transition"
    );
    assert_eq!(
        memory.purges(),
        0,
        "the soft-limit purge waits for its interval"
    );

    // And the allocator's number counts when it is the larger one.
    memory.set_mib(90, 10);
    l.check();
    assert!(l.must_refuse());

    memory.set_mib(10, 60);
    l.check();
    assert!(!l.must_refuse());
    assert_eq!(
        logs.count(
            "INFO",
            "Memory usage back within limits. Resuming normal operation."
        ),
        1
    );
    l.check();
    assert_eq!(
        logs.count(
            "INFO",
            "Memory usage back within limits. Resuming normal operation."
        ),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn admitted_bytes_count_toward_the_soft_limit_between_checks() {
    let (logs, _guard) = LogCapture::start();
    let memory = Arc::new(FakeMemory::default());
    // soft limit 80 MiB; measured 50 MiB leaves 30 MiB of headroom until the next check.
    let l = limiter(memory.clone(), &config(100, 20));
    memory.set_mib(10, 50);
    l.check();
    assert!(l.admit(10 * MIB));
    assert!(l.admit(15 * MIB));
    assert!(!l.admit(5 * MIB), "50 + 25 + 5 reaches the soft limit");
    assert!(l.must_refuse());
    assert!(!l.admit(1), "refusing until the next check");
    assert_eq!(
        logs.count("WARN", "Memory usage is above soft limit. Refusing data."),
        1
    );

    // The next check measures what those requests really hold, and starts counting afresh.
    memory.set_mib(10, 60);
    l.check();
    assert!(!l.must_refuse());
    assert!(l.admit(19 * MIB));
    assert!(!l.admit(MIB));

    // The first request after a check passes whatever its size, so that a request larger than
    // the headroom is not refused forever.
    l.check();
    assert!(l.admit(40 * MIB));
    assert!(!l.admit(1));
}

#[tokio::test(start_paused = true)]
async fn above_the_hard_limit_it_purges() {
    let (logs, _guard) = LogCapture::start();
    let memory = Arc::new(FakeMemory::default());
    let l = limiter(memory.clone(), &config(100, 20));
    // A purge releasing 50 MiB brings 120 MiB under the soft limit within the same check.
    memory.purge_releases.store(50 * MIB, Ordering::Relaxed);
    memory.set_mib(10, 120);
    tokio::time::advance(Duration::from_millis(1)).await;
    l.check();
    assert_eq!(memory.purges(), 1);
    assert_eq!(
        logs.count("WARN", "Memory usage is above hard limit. Purging."),
        1
    );
    assert_eq!(logs.count("INFO", "Memory usage after purge."), 1);
    assert!(!l.must_refuse(), "the purge helped");
    assert_eq!(
        logs.count("WARN", "Memory usage is above soft limit. Refusing data."),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn ineffective_purges_back_off() {
    let (logs, _guard) = LogCapture::start();
    let memory = Arc::new(FakeMemory::default());
    let l = limiter(memory.clone(), &config(100, 20));
    memory.set_mib(10, 150);
    tokio::time::advance(Duration::from_millis(1)).await;
    l.check();
    assert_eq!(memory.purges(), 1);
    assert!(l.must_refuse());
    assert_eq!(
        logs.count(
            "WARN",
            "Purge did not release enough memory. Will back off purge frequency."
        ),
        1
    );
    // Backed off to 2 x 95% of the 1s check interval: the next tick does not purge...
    tokio::time::advance(Duration::from_secs(1)).await;
    l.check();
    assert_eq!(memory.purges(), 1);
    // ...the one after does, and the interval doubles again (capped at 30s).
    tokio::time::advance(Duration::from_secs(1)).await;
    l.check();
    assert_eq!(memory.purges(), 2);
    tokio::time::advance(Duration::from_secs(3)).await;
    l.check();
    assert_eq!(memory.purges(), 2, "3.8s not yet passed");
    tokio::time::advance(Duration::from_secs(1)).await;
    l.check();
    assert_eq!(memory.purges(), 3);
    // Memory falling on its own resets the back-off.
    memory.set_mib(10, 50);
    l.check();
    assert!(!l.must_refuse());
    memory.set_mib(10, 150);
    tokio::time::advance(Duration::from_millis(10)).await;
    l.check();
    assert_eq!(memory.purges(), 4);
}

#[test]
fn the_refusal_is_retryable_with_upstreams_message() {
    assert_eq!(DATA_REFUSED, "data refused due to high memory usage");
}

// ---------------------------------------------------------------------------------------------
// The processor through its factory.

fn create(
    factory: &MemoryLimiterFactory,
    name: &str,
    config: &MemoryLimiterConfig,
    next: Arc<Count>,
) -> (Arc<dyn component::Component>, Arc<dyn Consumer<Traces>>) {
    let ctx = CreateContext {
        id: ComponentId::new("memory_limiter", Some(name)),
        build_version: "test",
    };
    let (component, consumer) = factory
        .create(
            ctx,
            &AnyConfig::new(config.clone()),
            AnyConsumer::Traces(next),
        )
        .unwrap();
    let AnyConsumer::Traces(consumer) = consumer else {
        panic!("traces")
    };
    (component, consumer)
}

#[tokio::test(start_paused = true)]
async fn consume_refuses_while_limited_and_counts() {
    let memory = Arc::new(FakeMemory::default());
    let factory = MemoryLimiterFactory::new(memory.clone());
    let cfg = config(100, 20);
    let next = Arc::new(Count::default());
    let (_component, consumer) = create(&factory, "consume", &cfg, next.clone());
    let id = ComponentId::new("memory_limiter", Some("consume"));
    let l = factory.limiter(&id, &cfg).unwrap();

    memory.set_mib(10, 10);
    l.check();
    consumer.consume(spans(3)).await.unwrap();
    assert_eq!(next.0.load(Ordering::Relaxed), 3);

    memory.set_mib(10, 90);
    l.check();
    let err = consumer.consume(spans(4)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::Retryable(_)), "{err:?}");
    assert_eq!(err.to_string(), "data refused due to high memory usage");
    assert_eq!(next.0.load(Ordering::Relaxed), 3);

    let p = "memory_limiter/consume";
    assert_eq!(
        counter("otelcol_processor_memory_limiter_accepted_spans", p),
        3
    );
    assert_eq!(
        counter("otelcol_processor_memory_limiter_refused_spans", p),
        4
    );
    assert_eq!(
        counter("otelcol_processor_memory_limiter_rss_bytes", p),
        i128::from(90 * MIB)
    );
    assert_eq!(
        counter("otelcol_processor_memory_limiter_allocated_bytes", p),
        i128::from(10 * MIB)
    );
}

#[test]
fn one_limiter_per_id_shared_by_pipelines() {
    let memory = Arc::new(FakeMemory::default());
    let factory = MemoryLimiterFactory::new(memory);
    let cfg = config(100, 20);
    let id = ComponentId::new("memory_limiter", None);
    let a = factory.limiter(&id, &cfg).unwrap();
    let b = factory.limiter(&id, &cfg).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "same id and config: one limiter");
    let other = factory
        .limiter(&ComponentId::new("memory_limiter", Some("2")), &cfg)
        .unwrap();
    assert!(!Arc::ptr_eq(&a, &other));
    let changed = factory.limiter(&id, &config(200, 20)).unwrap();
    assert!(!Arc::ptr_eq(&a, &changed), "a reload with another config");
    drop((a, b, changed));
    let fresh = factory.limiter(&id, &cfg).unwrap();
    assert_eq!(fresh.limits().hard, 100 * MIB);
}

#[test]
fn percentage_limits_use_the_injected_total() {
    let factory = MemoryLimiterFactory::new(Arc::new(FakeMemory::default()))
        .with_total_memory(|| Ok(1000 * MIB));
    let cfg = MemoryLimiterConfig {
        limit_percentage: 50,
        spike_limit_percentage: 10,
        ..config(0, 0)
    };
    let l = factory
        .limiter(&ComponentId::new("memory_limiter", Some("pct")), &cfg)
        .unwrap();
    assert_eq!((l.limits().hard, l.limits().soft()), (500 * MIB, 400 * MIB));

    let failing = MemoryLimiterFactory::new(Arc::new(FakeMemory::default()))
        .with_total_memory(|| Err("unreadable".into()));
    let err = failing
        .limiter(&ComponentId::new("memory_limiter", Some("pct")), &cfg)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "failed to get total memory, use fixed memory settings (limit_mib): unreadable"
    );
}

#[tokio::test(start_paused = true)]
async fn the_background_task_checks_every_interval_until_the_last_shutdown() {
    let memory = Arc::new(FakeMemory::default());
    let factory = MemoryLimiterFactory::new(memory.clone());
    let cfg = config(100, 20);
    // Two pipelines share the id.
    let (traces, consumer) = create(&factory, "task", &cfg, Arc::new(Count::default()));
    let (other, _) = create(&factory, "task", &cfg, Arc::new(Count::default()));
    traces.start(&host()).await.unwrap();
    other.start(&host()).await.unwrap();

    memory.set_mib(10, 95);
    // Waits for a tick to run the check (it runs on a blocking thread).
    let refused = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if consumer.consume(spans(1)).await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), refused)
        .await
        .expect("refusing within a few check intervals");

    // One pipeline stops: the shared task keeps measuring.
    other
        .shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
    memory.set_mib(10, 10);
    let accepted = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if consumer.consume(spans(1)).await.is_ok() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), accepted)
        .await
        .expect("accepting again after recovery");

    // The last one stops: no more checks.
    traces
        .shutdown(std::time::Instant::now() + Duration::from_secs(1))
        .await;
    memory.set_mib(10, 95);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(consumer.consume(spans(1)).await.is_ok());
}

#[test]
fn factory_describes_memory_limiter() {
    let f = super::factory();
    assert_eq!(f.kind(), "memory_limiter");
    for s in component::Signal::ALL {
        assert_eq!(f.stability(s), Some(component::Stability::Beta));
    }
    // The default config is upstream's, which does not validate.
    assert_eq!(
        f.decode_config(None).err().unwrap().to_string(),
        "'check_interval' must be greater than zero"
    );
}

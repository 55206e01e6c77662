//! Sending-queue throughput: payloads pushed through `consume` → queue → consumers → a no-op
//! sender, until every one is sent. Measures the helper's own overhead per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use component::{BoxFuture, ComponentId, ConsumeError, Consumer, Signal};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use helpers::exporter::{ExporterHelper, QueueConfig, RetryConfig, Sender, Sizer};
use pdata::ExportTraceServiceRequest;
use pdata::payload::{Payload, RequestMeta};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

struct Noop;

impl Sender<ExportTraceServiceRequest> for Noop {
    fn send(
        &self,
        _: Payload<ExportTraceServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async { Ok(()) })
    }
}

fn payload(spans: usize) -> Payload<ExportTraceServiceRequest> {
    let spans = (0..spans)
        .map(|i| Span {
            name: format!("span-{i}"),
            ..Default::default()
        })
        .collect();
    let message = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    Payload::from_message(message, RequestMeta::default())
}

fn bench(c: &mut Criterion) {
    const BATCH: u64 = 10_000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data = payload(10);
    let mut group = c.benchmark_group("sending_queue");
    group.throughput(Throughput::Elements(BATCH));
    group.measurement_time(Duration::from_secs(5));
    for (name, sizer) in [("requests", Sizer::Requests), ("items", Sizer::Items)] {
        group.bench_function(format!("enqueue_dequeue_{name}"), |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let helper = ExporterHelper::new(
                            &ComponentId::new("otlp", Some("bench")),
                            Signal::Traces,
                            Duration::from_secs(5),
                            QueueConfig {
                                queue_size: 1_000_000,
                                sizer,
                                block_on_overflow: true,
                                ..Default::default()
                            },
                            RetryConfig::default(),
                            Arc::new(Noop),
                        )
                        .expect("valid config");
                        helper.start().expect("start");
                        let start = Instant::now();
                        for _ in 0..BATCH {
                            helper.consume(data.clone()).await.expect("queued");
                        }
                        helper
                            .shutdown(std::time::Instant::now() + Duration::from_secs(60))
                            .await;
                        total += start.elapsed();
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

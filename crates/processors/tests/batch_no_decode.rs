//! `batch` never decodes what it only merges or cuts at resource boundaries, and decodes only the
//! one resource record it must cut inside. `pdata::decode_count()` is process-wide, so this file
//! holds a single test: nothing else in this binary decodes concurrently.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{
    AnyConfig, AnyConsumer, BoxFuture, ComponentId, ConsumeError, Consumer, CreateContext, Host,
};
use parking_lot::Mutex;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces, decode_count};
use processors::batch::BatchConfig;
use prost::Message;

#[derive(Default)]
struct Collect(Mutex<Vec<Traces>>);

impl Consumer<Traces> for Collect {
    fn consume(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        self.0.lock().push(data);
        Box::pin(async { Ok(()) })
    }
}

/// A request with one resource record per entry of `resources`, each with that many spans.
fn request(resources: &[usize]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: resources
            .iter()
            .map(|n| ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (0..*n)
                        .map(|i| Span {
                            name: format!("s{i}"),
                            trace_id: Bytes::from(vec![1; 16]),
                            span_id: Bytes::from(vec![2; 8]),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

fn payload(resources: &[usize]) -> Traces {
    Traces::from_bytes(
        Bytes::from(request(resources).encode_to_vec()),
        RequestMeta::default(),
    )
    .unwrap()
}

/// Runs payloads through a started batch processor and shuts it down; returns what came out.
async fn run(name: &str, config: BatchConfig, inputs: Vec<Traces>) -> Vec<Traces> {
    let sink = Arc::new(Collect::default());
    let ctx = CreateContext {
        id: ComponentId::new("batch", Some(name)),
        build_version: "test",
    };
    let (component, consumer) = processors::batch_factory()
        .create(
            ctx,
            &AnyConfig::new(config),
            AnyConsumer::Traces(sink.clone()),
        )
        .unwrap();
    let AnyConsumer::Traces(consumer) = consumer else {
        panic!("traces in, traces out")
    };
    let (_status, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    component
        .start(&Host::new(BTreeMap::new(), rx))
        .await
        .unwrap();
    for p in inputs {
        consumer.consume(p).await.unwrap();
    }
    component
        .shutdown(Instant::now() + Duration::from_secs(10))
        .await;
    std::mem::take(&mut *sink.0.lock())
}

fn config(size: u32, max: u32) -> BatchConfig {
    BatchConfig {
        send_batch_size: size,
        send_batch_max_size: max,
        timeout: confmap::Duration::from_secs(60),
        ..Default::default()
    }
}

#[tokio::test]
async fn batch_decodes_only_records_it_must_cut_inside() {
    // Merging only: five 3-span requests, one batch of 15.
    let inputs: Vec<Traces> = (0..5).map(|_| payload(&[3])).collect();
    let mut expected = Vec::new();
    for p in &inputs {
        expected.extend_from_slice(&p.bytes());
    }
    let before = decode_count();
    let out = run("merge_only", config(15, 0), inputs).await;
    assert_eq!(decode_count(), before, "merging decoded something");
    assert_eq!(out.len(), 1);
    assert!(out[0].is_encoded());
    assert_eq!(out[0].items(), 15);
    assert_eq!(out[0].bytes().as_ref(), expected.as_slice());

    // Cuts at resource boundaries: records of 3 spans, max 3.
    let before = decode_count();
    let out = run(
        "cut_at_records",
        config(3, 3),
        vec![payload(&[3, 3]), payload(&[3, 3])],
    )
    .await;
    assert_eq!(
        decode_count(),
        before,
        "a cut between records decoded something"
    );
    assert_eq!(
        out.iter().map(Traces::items).collect::<Vec<_>>(),
        vec![3, 3, 3, 3]
    );

    // Cuts inside records: max 4 over [3,3] + [3,3] cuts the 2nd record of each request, and
    // decodes exactly those two records.
    let before = decode_count();
    let out = run(
        "cut_inside",
        config(4, 4),
        vec![payload(&[3, 3]), payload(&[3, 3])],
    )
    .await;
    assert_eq!(decode_count() - before, 2);
    assert_eq!(
        out.iter().map(Traces::items).collect::<Vec<_>>(),
        vec![4, 4, 4]
    );
}

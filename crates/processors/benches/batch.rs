//! `batch` on encoded requests: merging 100 requests of 100 spans (10 attributes each), and
//! cutting the merged 10,000 spans at a maximum size, at resource boundaries (no decode) and
//! inside resources (one record decoded per cut). The decode-merge-encode baseline is what a
//! batcher working on decoded data would pay.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces};
use processors::batch::PendingBatch;
use prost::Message;

fn request(spans: usize, seed: usize) -> ExportTraceServiceRequest {
    let attr = |k: String, v: String| KeyValue {
        key: k,
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v)),
        }),
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr("service.name".into(), format!("svc-{seed}"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        name: format!("operation-{i}"),
                        trace_id: Bytes::from(vec![seed as u8; 16]),
                        span_id: Bytes::from((i as u64).to_be_bytes().to_vec()),
                        start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                        end_time_unix_nano: 1_700_000_000_000_500_000 + i as u64,
                        attributes: (0..10)
                            .map(|a| attr(format!("attr.{a}"), format!("value-{i}-{a}")))
                            .collect(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn inputs() -> Vec<Traces> {
    (0..100)
        .map(|i| {
            Traces::from_bytes(
                Bytes::from(request(100, i).encode_to_vec()),
                RequestMeta::default(),
            )
            .unwrap()
        })
        .collect()
}

fn cut_all(inputs: Vec<Traces>, max: usize) -> usize {
    let meta = RequestMeta::default();
    let mut pending = PendingBatch::default();
    for p in inputs {
        pending.push(p);
    }
    let mut batches = 0;
    while let Some((batch, _)) = pending.take(max, &meta) {
        black_box(batch);
        batches += 1;
    }
    batches
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let meta = RequestMeta::default();
    let mut group = c.benchmark_group("batch");

    group.bench_function("merge_100x100_encoded", |b| {
        b.iter_batched(
            || inputs.clone(),
            |inputs| {
                let mut pending = PendingBatch::default();
                for p in inputs {
                    pending.push(p);
                }
                black_box(pending.take(0, &meta))
            },
            BatchSize::SmallInput,
        )
    });

    group.bench_function("merge_100x100_decode_encode_baseline", |b| {
        b.iter_batched(
            || inputs.clone(),
            |inputs| {
                let mut merged = ExportTraceServiceRequest::default();
                for p in inputs {
                    let m = ExportTraceServiceRequest::decode(p.bytes()).unwrap();
                    merged.resource_spans.extend(m.resource_spans);
                }
                black_box(merged.encode_to_vec())
            },
            BatchSize::SmallInput,
        )
    });

    group.bench_function("split_10000_at_1000_resource_boundaries", |b| {
        b.iter_batched(
            || inputs.clone(),
            |inputs| assert_eq!(cut_all(inputs, 1000), 10),
            BatchSize::SmallInput,
        )
    });

    group.bench_function("split_10000_at_1050_inside_resources", |b| {
        b.iter_batched(
            || inputs.clone(),
            |inputs| assert_eq!(cut_all(inputs, 1050), 10),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

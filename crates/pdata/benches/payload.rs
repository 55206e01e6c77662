//! The batch processor's hot paths on encoded payloads (DESIGN.md §3): wrapping received bytes
//! (`Payload::from_bytes`, one validating walk), merging encoded requests by concatenation
//! (`Payload::merge`), counting items of a merged payload, and cutting a request at resource
//! boundaries (`wire::resource_records`, what a split uses). None of them decodes.
//!
//! `cargo bench -p pdata --bench payload`

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::wire::{self, SignalKind};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces, decode_count};
use prost::Message;

fn kv(key: String, value: String) -> KeyValue {
    KeyValue {
        key,
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
    }
}

/// One request as a client sends it in the testbed: 100 spans x 10 attributes, one resource.
fn request(seed: u64) -> Bytes {
    let spans = (0..100u64)
        .map(|i| Span {
            trace_id: Bytes::copy_from_slice(
                &(u128::from(seed) << 64 | u128::from(i)).to_be_bytes(),
            ),
            span_id: Bytes::copy_from_slice(&(i + 1).to_be_bytes()),
            name: format!("GET /api/{i}"),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000 + i,
            end_time_unix_nano: 1_700_000_000_000_000_500 + i,
            attributes: (0..10)
                .map(|a| kv(format!("attribute.{a}"), format!("value-{seed}-{i}-{a}")))
                .collect(),
            ..Default::default()
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name".into(), format!("svc-{seed}"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            schema_url: String::new(),
        }],
    };
    Bytes::from(req.encode_to_vec())
}

fn bench(c: &mut Criterion) {
    let parts: Vec<Bytes> = (0..10).map(request).collect();
    let wrap = |b: &Bytes| Traces::from_bytes(b.clone(), RequestMeta::default()).unwrap();
    let total_bytes: usize = parts.iter().map(Bytes::len).sum();
    let decodes_before = decode_count();

    let mut group = c.benchmark_group("payload/100 spans x 10 attributes");
    group.throughput(Throughput::Bytes(parts[0].len() as u64));
    group.bench_function("from_bytes (validate + wrap)", |b| {
        b.iter(|| wrap(black_box(&parts[0])))
    });
    group.finish();

    let mut group = c.benchmark_group("payload/10 requests x 100 spans");
    group.throughput(Throughput::Bytes(total_bytes as u64));
    let payloads: Vec<Traces> = parts.iter().map(wrap).collect();
    group.bench_function("merge", |b| {
        b.iter_batched(
            || payloads.clone(),
            |p| Traces::merge(black_box(p)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let merged = Traces::merge(payloads.clone()).unwrap();
    let merged_bytes = merged.bytes();
    assert_eq!(merged.items(), 1000);
    group.bench_function("items (cached after merge)", |b| {
        b.iter(|| black_box(&merged).items())
    });
    group.bench_function("wire::count_items of the merged bytes", |b| {
        b.iter(|| wire::count_items(SignalKind::Traces, black_box(&merged_bytes)).unwrap())
    });
    group.bench_function("wire::resource_records (split points)", |b| {
        b.iter(|| wire::resource_records(SignalKind::Traces, black_box(&merged_bytes)).unwrap())
    });
    group.finish();

    // The point of these paths: none of them decoded anything.
    assert_eq!(decode_count(), decodes_before, "a payload hot path decoded");
}

criterion_group!(benches, bench);
criterion_main!(benches);

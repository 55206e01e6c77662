//! `wire::validate` vs `wire::count_items` vs a prost decode, on the request DESIGN.md §3
//! measures: one resource, one scope, 1,000 spans x 10 string attributes.
//!
//! `cargo bench -p pdata --bench wire`

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdata::ExportTraceServiceRequest;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use pdata::wire::{self, SignalKind};
use prost::Message;

fn string_attribute(key: String, value: String) -> KeyValue {
    KeyValue {
        key,
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
    }
}

fn request() -> Bytes {
    let spans = (0..1000u64)
        .map(|i| Span {
            trace_id: Bytes::copy_from_slice(&(u128::from(i) << 64 | 0xabcd).to_be_bytes()),
            span_id: Bytes::copy_from_slice(&(i + 1).to_be_bytes()),
            parent_span_id: Bytes::copy_from_slice(&i.to_be_bytes()),
            name: format!("GET /api/v1/items/{i}"),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000,
            end_time_unix_nano: 1_700_000_000_000_000_000 + i * 1000 + 500,
            attributes: (0..10)
                .map(|a| string_attribute(format!("attribute.key.{a}"), format!("value-{i}-{a}")))
                .collect(),
            status: Some(Status {
                message: String::new(),
                code: 1,
            }),
            ..Default::default()
        })
        .collect();
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string_attribute("service.name".into(), "checkout".into()),
                    string_attribute("host.name".into(), "ip-10-0-0-1".into()),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "io.opentelemetry.http".into(),
                    version: "1.0.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    Bytes::from(request.encode_to_vec())
}

fn bench(c: &mut Criterion) {
    let bytes = request();
    assert_eq!(wire::validate(SignalKind::Traces, &bytes).unwrap(), 1000);
    let mut group = c.benchmark_group("wire/1000 spans x 10 attributes");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("validate", |b| {
        b.iter(|| wire::validate(SignalKind::Traces, black_box(&bytes)).unwrap())
    });
    group.bench_function("count_items", |b| {
        b.iter(|| wire::count_items(SignalKind::Traces, black_box(&bytes)).unwrap())
    });
    group.bench_function("prost decode", |b| {
        b.iter(|| ExportTraceServiceRequest::decode(black_box(bytes.clone())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

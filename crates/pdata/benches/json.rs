//! OTLP/JSON decode and encode of one request of 1,000 spans x 10 attributes (the request size
//! DESIGN.md §3 measures protobuf with), reported as time and MB/s of JSON.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdata::json;
use pdata::proto::collector::trace::v1::ExportTraceServiceRequest;
use pdata::proto::common::v1::any_value::Value;
use pdata::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use pdata::proto::resource::v1::Resource;
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

fn attribute(i: usize, j: usize) -> KeyValue {
    let value = match j % 4 {
        0 => Value::StringValue(format!("value-{i}-{j}")),
        1 => Value::IntValue((i * 31 + j) as i64),
        2 => Value::DoubleValue(i as f64 * 0.25 + j as f64),
        _ => Value::BoolValue(i.is_multiple_of(2)),
    };
    KeyValue {
        key: format!("attribute.key.{j}"),
        value: Some(AnyValue { value: Some(value) }),
    }
}

fn request() -> ExportTraceServiceRequest {
    let spans = (0..1000)
        .map(|i| Span {
            trace_id: (0..16u8)
                .map(|b| b.wrapping_mul(i as u8 + 1))
                .collect::<Vec<_>>()
                .into(),
            span_id: (0..8u8)
                .map(|b| b.wrapping_add(i as u8))
                .collect::<Vec<_>>()
                .into(),
            parent_span_id: (0..8u8).map(|b| b ^ i as u8).collect::<Vec<_>>().into(),
            name: format!("GET /api/v1/items/{i}"),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64 * 1000,
            end_time_unix_nano: 1_700_000_000_000_500_000 + i as u64 * 1000,
            attributes: (0..10).map(|j| attribute(i, j)).collect(),
            status: Some(Status {
                message: String::new(),
                code: 1,
            }),
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(Value::StringValue("bench".into())),
                    }),
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "bench".into(),
                    version: "1.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn bench(c: &mut Criterion) {
    let req = request();
    let body = json::encode_traces(&req);
    assert_eq!(json::decode_traces(&body).expect("bench body decodes"), req);

    let mut group = c.benchmark_group("otlp_json_1000_spans_x_10_attrs");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| json::decode_traces(black_box(&body)).expect("decodes"))
    });
    group.bench_function("encode", |b| {
        b.iter(|| json::encode_traces(black_box(&req)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

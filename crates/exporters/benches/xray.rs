//! X-Ray translation throughput: 1,000 spans (a server span, an HTTP client span with the new
//! semantic conventions, a SQL span, and an error span with a Java exception stack, repeated)
//! with 10 resource attributes and a few span attributes each, through the awsxray translator
//! to segment documents — the exporter's CPU work per span, without the network.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exporters::awsxray::translate::{IdSource, Options, Translator};
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value as V};
use pdata::proto::trace::v1::span::{Event, SpanKind};
use pdata::proto::trace::v1::{Span, Status, status::StatusCode};

// The collector binary runs on jemalloc; measure with it.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SPANS: usize = 1_000;
const NOW: i64 = 1_700_000_000;

fn kv(k: &str, v: V) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
    }
}
fn s(v: &str) -> V {
    V::StringValue(v.into())
}

fn resource() -> Vec<KeyValue> {
    vec![
        kv("service.name", s("checkout")),
        kv("service.version", s("1.4.2")),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_ecs")),
        kv("cloud.region", s("us-west-2")),
        kv("aws.ecs.launchtype", s("fargate")),
        kv(
            "aws.ecs.task.arn",
            s("arn:aws:ecs:us-west-2:123456789012:task/c/abc"),
        ),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("java")),
        kv("telemetry.sdk.version", s("1.40.0")),
    ]
}

fn spans() -> Vec<Span> {
    (0..SPANS)
        .map(|i| {
            let mut sp = Span {
                trace_id: [0x65, 0x5b, 0x8e, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (i % 256) as u8]
                    .to_vec()
                    .into(),
                span_id: ((i as u64) + 1).to_be_bytes().to_vec().into(),
                parent_span_id: if i % 4 == 0 {
                    Default::default()
                } else {
                    (i as u64).to_be_bytes().to_vec().into()
                },
                name: "GET /api/orders/{id}".into(),
                start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64 * 1_000_000,
                end_time_unix_nano: 1_700_000_000_020_000_000 + i as u64 * 1_000_000,
                ..Default::default()
            };
            match i % 4 {
                0 => {
                    sp.kind = SpanKind::Server as i32;
                    sp.attributes = vec![
                        kv("http.method", s("GET")),
                        kv("http.target", s("/api/orders/17")),
                        kv("http.host", s("shop.example.com")),
                        kv("http.status_code", V::IntValue(200)),
                        kv("user.id", s("u-17")),
                    ];
                }
                1 => {
                    sp.kind = SpanKind::Client as i32;
                    sp.attributes = vec![
                        kv("http.request.method", s("POST")),
                        kv("url.full", s("http://inventory/reserve")),
                        kv("http.response.status_code", V::IntValue(200)),
                        kv("peer.service", s("inventory")),
                    ];
                }
                2 => {
                    sp.kind = SpanKind::Client as i32;
                    sp.attributes = vec![
                        kv("db.system", s("postgresql")),
                        kv("db.name", s("orders")),
                        kv("db.statement", s("SELECT * FROM orders WHERE id = $1")),
                        kv("db.connection_string", s("postgresql://db:5432")),
                    ];
                }
                _ => {
                    sp.kind = SpanKind::Internal as i32;
                    sp.status = Some(Status {
                        code: StatusCode::Error as i32,
                        message: "failed".into(),
                    });
                    sp.events = vec![Event {
                        name: "exception".into(),
                        attributes: vec![
                            kv("exception.type", s("java.lang.IllegalStateException")),
                            kv("exception.message", s("bad state")),
                            kv(
                                "exception.stacktrace",
                                s("java.lang.IllegalStateException: bad state\n\tat com.shop.Orders.get(Orders.java:42)\n\tat com.shop.Api.handle(Api.java:17)\n\tat java.base/java.lang.Thread.run(Thread.java:833)\n"),
                            ),
                        ],
                        ..Default::default()
                    }];
                }
            }
            sp
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let resource = resource();
    let spans = spans();
    let t = Translator::with_ids(
        Options {
            indexed_attributes: vec!["user.id".into()],
            ..Options::default()
        },
        IdSource::seeded(1),
    );
    let mut g = c.benchmark_group("xray");
    g.throughput(Throughput::Elements(SPANS as u64));
    g.bench_function("translate_1000_spans", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for sp in &spans {
                for d in t.documents(sp, &resource, NOW).expect("translates") {
                    bytes += d.json.len();
                }
            }
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Parses a synthetic 100k-series exposition; the throughput is in samples/s.

use std::fmt::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus::exposition::{Entry, Format, Parser, Strictness};

const SERIES: usize = 100_000;

fn body(format: Format) -> String {
    let mut s = String::with_capacity(SERIES * 80);
    let families = SERIES / 100;
    for f in 0..families {
        let _ = writeln!(
            s,
            "# HELP http_requests_{f} Requests handled, by path and code."
        );
        let _ = writeln!(s, "# TYPE http_requests_{f} counter");
        let name = match format {
            Format::Text004 => format!("http_requests_{f}"),
            Format::OpenMetrics => format!("http_requests_{f}_total"),
        };
        for i in 0..100 {
            let _ = writeln!(
                s,
                "{name}{{method=\"GET\",path=\"/api/v1/item/{i}\",code=\"200\"}} {}.5",
                i * 7 + f
            );
        }
    }
    if format == Format::OpenMetrics {
        s.push_str("# EOF\n");
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(SERIES as u64));
    group.sample_size(20);
    for (label, format, strictness) in [
        (
            "text004_prometheus",
            Format::Text004,
            Strictness::Prometheus,
        ),
        (
            "openmetrics_prometheus",
            Format::OpenMetrics,
            Strictness::Prometheus,
        ),
        (
            "openmetrics_strict",
            Format::OpenMetrics,
            Strictness::OpenMetricsStrict,
        ),
    ] {
        let input = body(format);
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for e in Parser::new(&input, format, strictness) {
                    if let Ok(Entry::Sample(s)) = e {
                        n += s.labels.iter().count();
                    }
                }
                assert_eq!(n, SERIES * 3);
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

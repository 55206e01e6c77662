//! Parse → ScrapeBatch (target labels, limits, staleness bookkeeping, synthetic series) in
//! steady state (the target's series are known from earlier scrapes), for node_exporter 1.5's
//! captured output and a synthetic 100k-series exposition. Throughput is in samples/s.

use std::fmt::Write;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus::discovery::LabelSet;
use prometheus::exposition::Format;
use prometheus::scrape::{AppendSettings, ScrapeInput, SeriesState, TargetInfo};

// The collector binary runs on jemalloc; measure with it.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const NODE_EXPORTER: &str = include_str!("../testdata/node_exporter_1.5.0.prom");
const SERIES: usize = 100_000;

fn synthetic() -> String {
    let mut s = String::with_capacity(SERIES * 80);
    for f in 0..SERIES / 100 {
        let _ = writeln!(
            s,
            "# HELP http_requests_{f} Requests handled, by path and code."
        );
        let _ = writeln!(s, "# TYPE http_requests_{f} counter");
        for i in 0..100 {
            let _ = writeln!(
                s,
                "http_requests_{f}{{method=\"GET\",path=\"/api/v1/item/{i}\",code=\"200\"}} {}.5",
                i * 7 + f
            );
        }
    }
    s
}

fn target() -> Arc<TargetInfo> {
    let labels: LabelSet = [("instance", "127.0.0.1:9100"), ("job", "node")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Arc::new(TargetInfo {
        job: "node".into(),
        labels,
        discovered_labels: LabelSet::new(),
        url: "http://127.0.0.1:9100/metrics".into(),
    })
}

fn bench_body(c: &mut Criterion, name: &str, body: &str, samples: u64) {
    let target = target();
    let settings = AppendSettings {
        honor_timestamps: true,
        ..AppendSettings::default()
    };
    let mut state = SeriesState::new();
    let input = || ScrapeInput::Body {
        text: body,
        format: Format::Text004,
        body_size: body.len(),
    };
    // Warm the series cache, as a long-running target's loop has.
    let (_, report) = state.append(&target, &settings, input(), 1, || 0.0);
    assert_eq!(report.error, None);
    assert_eq!(report.samples_scraped, samples);
    let mut group = c.benchmark_group("scrape_append");
    group.throughput(Throughput::Elements(samples));
    group.sample_size(20);
    let mut ts = 2;
    group.bench_function(name, |b| {
        b.iter(|| {
            ts += 1;
            let (batch, _) = state.append(&target, &settings, input(), ts, || 0.0);
            batch
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    bench_body(c, "node_exporter_1.5", NODE_EXPORTER, 507);
    let body = synthetic();
    bench_body(c, "synthetic_100k", &body, SERIES as u64);
}

criterion_group!(benches, bench);
criterion_main!(benches);

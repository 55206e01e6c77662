//! Throughput of the prometheus receiver's conversion (one scrape batch → one OTLP request), in
//! samples per second, for a node_exporter-sized scrape (~500 samples: counters, gauges,
//! untyped, one summary, like node_exporter 1.5) and a 100k-series scrape (counters, gauges and
//! 10-bucket histograms with five labels).
//!
//! The `_start_time_adjuster` cases time the start-time adjuster alone (gate
//! `RemoveStartTimeAdjustment` off) on the converted request, in its steady state: its cost per
//! scrape on top of the conversion.
//!
//! `cargo bench -p receivers --bench prometheus_convert`

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus::discovery::LabelSet;
use prometheus::scrape::{MetricMetadata, MetricType, Sample, ScrapeBatch, TargetInfo};
use receivers::prometheus::convert::{ConvertOptions, convert};
use receivers::prometheus::start_time::{StartTimeAdjuster, gc_interval};

const TS: i64 = 1_700_000_000_000;

struct Gen {
    target: Arc<TargetInfo>,
    samples: Vec<Sample>,
    metadata: HashMap<String, MetricMetadata>,
}

impl Gen {
    fn new() -> Self {
        let labels: LabelSet = [("job", "node"), ("instance", "10.0.0.7:9100")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let discovered: LabelSet = [("__address__", "10.0.0.7:9100"), ("__scheme__", "http")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Gen {
            target: Arc::new(TargetInfo {
                job: "node".into(),
                labels,
                discovered_labels: discovered,
                url: "http://10.0.0.7:9100/metrics".into(),
            }),
            samples: Vec::new(),
            metadata: HashMap::new(),
        }
    }

    fn family(&mut self, name: &str, t: Option<MetricType>) {
        if let Some(t) = t {
            self.metadata.insert(
                name.to_string(),
                MetricMetadata {
                    metric_type: t,
                    help: format!("Help text of {name}."),
                    unit: String::new(),
                },
            );
        }
    }

    fn sample(&mut self, name: &str, labels: &[(String, String)], value: f64) {
        let mut all = vec![
            ("__name__".to_string(), name.to_string()),
            ("instance".to_string(), "10.0.0.7:9100".to_string()),
            ("job".to_string(), "node".to_string()),
        ];
        all.extend(labels.iter().cloned());
        all.sort();
        self.samples.push(Sample {
            labels: all,
            timestamp_ms: TS,
            value,
            exemplar: None,
        });
    }

    fn synthetic(&mut self) {
        for (name, v) in [
            ("up", 1.0),
            ("scrape_duration_seconds", 0.01),
            ("scrape_samples_scraped", 507.0),
            ("scrape_samples_post_metric_relabeling", 507.0),
            ("scrape_series_added", 0.0),
        ] {
            self.sample(name, &[], v);
        }
    }

    fn build(self) -> ScrapeBatch {
        ScrapeBatch {
            target: self.target,
            scrape_timestamp_ms: TS,
            samples: self.samples,
            metadata: self.metadata,
        }
    }
}

fn l(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// node_exporter 1.5's shape: 283 families (60 counter, 175 gauge, 1 summary, 47 untyped),
/// 502 samples plus the 5 synthetic series.
fn node_exporter_batch() -> ScrapeBatch {
    let mut g = Gen::new();
    // Counters: 20 per-CPU (2 CPUs x 4 modes) and 40 single-series counters.
    for f in 0..60 {
        let name = format!("node_counter_{f}_total");
        g.family(&name, Some(MetricType::Counter));
        let series = if f < 20 { 8 } else { 1 };
        for i in 0..series {
            let labels = l(&[
                ("cpu", (i / 4).to_string()),
                ("mode", format!("m{}", i % 4)),
            ]);
            g.sample(
                &name,
                if series > 1 { &labels } else { &[] },
                1234.5 + i as f64,
            );
        }
    }
    for f in 0..175 {
        let name = format!("node_gauge_{f}");
        g.family(&name, Some(MetricType::Gauge));
        let series = if f < 25 { 3 } else { 1 };
        for i in 0..series {
            g.sample(&name, &l(&[("device", format!("sda{i}"))]), f as f64 * 0.5);
        }
    }
    g.family("go_gc_duration_seconds", Some(MetricType::Summary));
    for q in ["0", "0.25", "0.5", "0.75", "1"] {
        g.sample(
            "go_gc_duration_seconds",
            &l(&[("quantile", q.to_string())]),
            0.0001,
        );
    }
    g.sample("go_gc_duration_seconds_sum", &[], 0.02);
    g.sample("go_gc_duration_seconds_count", &[], 120.0);
    for f in 0..47 {
        let name = format!("node_untyped_{f}");
        g.family(&name, Some(MetricType::Unknown));
        g.sample(&name, &l(&[("chip", "platform".to_string())]), 1.0);
    }
    g.synthetic();
    g.build()
}

/// 100,000 series: 400 counters x 100, 400 gauges x 100, and 16 histograms x 100 label sets x
/// (10 buckets + `+Inf` + `_sum` + `_count`) ≈ 20,800 samples; each with five labels.
fn large_batch() -> ScrapeBatch {
    let mut g = Gen::new();
    let labels = |i: usize| {
        l(&[
            ("pod", format!("pod-{}", i % 50)),
            ("namespace", format!("ns-{}", i % 7)),
            ("container", "app".to_string()),
            ("code", (200 + i % 5).to_string()),
            ("path", format!("/api/v1/items/{i}")),
        ])
    };
    for f in 0..400 {
        let name = format!("app_requests_{f}_total");
        g.family(&name, Some(MetricType::Counter));
        for i in 0..100 {
            g.sample(&name, &labels(i), (f * i) as f64);
        }
    }
    for f in 0..400 {
        let name = format!("app_gauge_{f}");
        g.family(&name, Some(MetricType::Gauge));
        for i in 0..100 {
            g.sample(&name, &labels(i), i as f64 * 0.25);
        }
    }
    for f in 0..16 {
        let base = format!("app_latency_{f}_seconds");
        g.family(&base, Some(MetricType::Histogram));
        for i in 0..100 {
            let ls = labels(i);
            let mut cumulative = 0.0;
            for b in 0..10 {
                cumulative += 3.0;
                let mut bl = ls.clone();
                bl.push(("le".to_string(), format!("{}", 0.005 * f64::from(1 << b))));
                g.sample(&format!("{base}_bucket"), &bl, cumulative);
            }
            let mut bl = ls.clone();
            bl.push(("le".to_string(), "+Inf".to_string()));
            g.sample(&format!("{base}_bucket"), &bl, cumulative + 1.0);
            g.sample(&format!("{base}_sum"), &ls, 12.5);
            g.sample(&format!("{base}_count"), &ls, cumulative + 1.0);
        }
    }
    g.synthetic();
    g.build()
}

fn bench(c: &mut Criterion) {
    let options = ConvertOptions {
        trim_metric_suffixes: false,
        scope_version: "0.1.0".into(),
        ignore_created_metric: false,
    };
    let mut group = c.benchmark_group("prometheus_convert");
    for (name, batch) in [
        ("node_exporter", node_exporter_batch()),
        ("100k_series", large_batch()),
    ] {
        group.throughput(Throughput::Elements(batch.samples.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(convert(black_box(&batch), &options)))
        });
        // The adjuster alone, in its steady state (every series known, the full lookup and
        // comparison path on every point): its cost per scrape on top of the conversion.
        let adjuster = StartTimeAdjuster::new(gc_interval(Duration::from_secs(15)), Instant::now());
        let mut request = convert(&batch, &options).request;
        adjuster.adjust(&mut request);
        group.bench_function(format!("{name}_start_time_adjuster"), |b| {
            b.iter(|| adjuster.adjust(black_box(&mut request)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The start-time adjuster (`RemoveStartTimeAdjustment` off): scrapes are converted as the
//! receiver does, then adjusted, and the start times checked against upstream's rules.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pdata::ExportMetricsServiceRequest;
use pdata::proto::metrics::v1::{Metric, metric};
use prometheus::discovery::LabelSet;
use prometheus::scrape::batch::STALE_NAN_BITS;
use prometheus::scrape::{MetricMetadata, MetricType, Sample, ScrapeBatch, TargetInfo};

use crate::prometheus::convert::{ConvertOptions, convert};
use crate::prometheus::start_time::{StartTimeAdjuster, gc_interval};

const T0: i64 = 1_700_000_000_000;
const MS: u64 = 1_000_000;

fn ns(ms: i64) -> u64 {
    ms as u64 * MS
}

/// A sample to expose: name, labels, value.
type S<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);
/// Labels of samples built at run time.
type OwnedLabels<'a> = Vec<(&'a str, &'a str)>;

const NONE: &[(&str, &str)] = &[];

fn stale() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// One scrape of one target: `(name, labels, value)` samples at `ts_ms`, with the types of
/// `counter`, `hist`, `summ` and `temp` declared.
fn scrape(instance: &str, ts_ms: i64, samples: &[S<'_>]) -> ScrapeBatch {
    let target_labels: LabelSet = [("job", "app"), ("instance", instance)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut metadata = HashMap::new();
    for (name, t) in [
        ("counter", MetricType::Counter),
        ("hist", MetricType::Histogram),
        ("summ", MetricType::Summary),
        ("temp", MetricType::Gauge),
        ("req", MetricType::Counter),
    ] {
        metadata.insert(
            name.to_string(),
            MetricMetadata {
                metric_type: t,
                help: String::new(),
                unit: String::new(),
            },
        );
    }
    ScrapeBatch {
        target: Arc::new(TargetInfo {
            job: "app".into(),
            labels: target_labels.clone(),
            discovered_labels: LabelSet::new(),
            url: format!("http://{instance}/metrics"),
        }),
        scrape_timestamp_ms: ts_ms,
        samples: samples
            .iter()
            .map(|(name, labels, value)| {
                let mut all: Vec<(String, String)> = vec![("__name__".into(), name.to_string())];
                all.extend(target_labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                all.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                all.sort();
                Sample {
                    labels: all,
                    timestamp_ms: ts_ms,
                    value: *value,
                    exemplar: None,
                }
            })
            .collect(),
        metadata,
    }
}

fn options() -> ConvertOptions {
    ConvertOptions {
        trim_metric_suffixes: false,
        scope_version: "1".into(),
        ignore_created_metric: false,
    }
}

fn adjusted(
    adj: &StartTimeAdjuster,
    batch: &ScrapeBatch,
    now: Instant,
) -> ExportMetricsServiceRequest {
    let mut request = convert(batch, &options()).request;
    adj.adjust_at(&mut request, now);
    request
}

fn metric<'r>(r: &'r ExportMetricsServiceRequest, name: &str) -> &'r Metric {
    r.resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// The start times of a metric's points, in order.
fn starts(r: &ExportMetricsServiceRequest, name: &str) -> Vec<u64> {
    match metric(r, name).data.as_ref().expect("data") {
        metric::Data::Sum(s) => s
            .data_points
            .iter()
            .map(|p| p.start_time_unix_nano)
            .collect(),
        metric::Data::Gauge(g) => g
            .data_points
            .iter()
            .map(|p| p.start_time_unix_nano)
            .collect(),
        metric::Data::Histogram(h) => h
            .data_points
            .iter()
            .map(|p| p.start_time_unix_nano)
            .collect(),
        metric::Data::Summary(s) => s
            .data_points
            .iter()
            .map(|p| p.start_time_unix_nano)
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

fn adjuster(now: Instant) -> StartTimeAdjuster {
    StartTimeAdjuster::new(gc_interval(Duration::from_secs(15)), now)
}

#[test]
fn gc_interval_is_upstreams() {
    assert_eq!(
        gc_interval(Duration::from_secs(15)),
        Duration::from_secs(120)
    );
    assert_eq!(
        gc_interval(Duration::from_secs(60)),
        Duration::from_secs(120)
    );
    assert_eq!(
        gc_interval(Duration::from_secs(90)),
        Duration::from_secs(150)
    );
    assert_eq!(
        gc_interval(Duration::from_secs(300)),
        Duration::from_secs(360)
    );
}

#[test]
fn first_point_starts_at_itself_and_later_points_keep_that_start() {
    let now = Instant::now();
    let adj = adjuster(now);
    let r = adjusted(
        &adj,
        &scrape(
            "a:1",
            T0,
            &[("counter_total", &[("k", "v")], 5.0), ("temp", NONE, 20.0)],
        ),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(T0)]);
    assert_eq!(starts(&r, "temp"), [0], "gauges are untouched");
    for (i, v) in [5.0, 7.0, 7.0, 100.0].into_iter().enumerate() {
        let t = T0 + 15_000 * (i as i64 + 1);
        let r = adjusted(
            &adj,
            &scrape("a:1", t, &[("counter_total", &[("k", "v")], v)]),
            now,
        );
        assert_eq!(starts(&r, "counter_total"), [ns(T0)], "scrape {i}");
    }
    assert_eq!(adj.series(), 1);
    assert_eq!(adj.targets(), 1);
}

#[test]
fn a_decreasing_sum_is_a_reset_that_starts_at_the_point() {
    let now = Instant::now();
    let adj = adjuster(now);
    adjusted(
        &adj,
        &scrape("a:1", T0, &[("counter_total", NONE, 50.0)]),
        now,
    );
    let t1 = T0 + 15_000;
    let r = adjusted(
        &adj,
        &scrape("a:1", t1, &[("counter_total", NONE, 3.0)]),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(t1)]);
    let t2 = t1 + 15_000;
    let r = adjusted(
        &adj,
        &scrape("a:1", t2, &[("counter_total", NONE, 4.0)]),
        now,
    );
    assert_eq!(
        starts(&r, "counter_total"),
        [ns(t1)],
        "the new start is kept"
    );
}

fn histogram(count: f64, sum: f64) -> Vec<S<'static>> {
    vec![
        ("hist_bucket", &[("le", "1")], count / 2.0),
        ("hist_bucket", &[("le", "+Inf")], count),
        ("hist_count", NONE, count),
        ("hist_sum", NONE, sum),
    ]
}

fn summary(count: f64, sum: f64) -> Vec<S<'static>> {
    vec![
        ("summ", &[("quantile", "0.5")], 0.1),
        ("summ_count", NONE, count),
        ("summ_sum", NONE, sum),
    ]
}

#[test]
fn histogram_and_summary_reset_on_a_lower_count_or_sum() {
    let now = Instant::now();
    let adj = adjuster(now);
    let at = |i: i64| T0 + 15_000 * i;
    let both = |count: f64, sum: f64| {
        let mut s = histogram(count, sum);
        s.extend(summary(count, sum));
        s
    };
    let steps = [
        // (count, sum, expected start index)
        (10.0, 5.0, 0),
        (12.0, 6.0, 0),
        (11.0, 7.0, 2), // count went down
        (13.0, 6.5, 3), // sum went down
        (13.0, 6.5, 3), // unchanged: no reset
        (20.0, 9.0, 3),
    ];
    for (i, (count, sum, start)) in steps.into_iter().enumerate() {
        let r = adjusted(&adj, &scrape("a:1", at(i as i64), &both(count, sum)), now);
        assert_eq!(starts(&r, "hist"), [ns(at(start))], "histogram, scrape {i}");
        assert_eq!(starts(&r, "summ"), [ns(at(start))], "summary, scrape {i}");
    }
}

#[test]
fn stale_points_get_the_remembered_start_and_never_reset() {
    let now = Instant::now();
    let adj = adjuster(now);
    adjusted(
        &adj,
        &scrape("a:1", T0, &[("counter_total", NONE, 50.0)]),
        now,
    );
    let mut samples = histogram(10.0, 5.0);
    samples.push(("counter_total", NONE, 60.0));
    adjusted(&adj, &scrape("a:1", T0 + 1, &samples), now);
    // Stale markers: value NaN (count 0 once converted), which would look like a reset.
    let t = T0 + 30_000;
    let r = adjusted(
        &adj,
        &scrape(
            "a:1",
            t,
            &[
                ("counter_total", NONE, stale()),
                ("hist_bucket", &[("le", "1")], stale()),
                ("hist_bucket", &[("le", "+Inf")], stale()),
                ("hist_count", NONE, stale()),
                ("hist_sum", NONE, stale()),
            ],
        ),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(T0)]);
    assert_eq!(starts(&r, "hist"), [ns(T0 + 1)]);
    // The stale point changed nothing: the same value again is no reset.
    let r = adjusted(
        &adj,
        &scrape("a:1", t + 15_000, &[("counter_total", NONE, 60.0)]),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(T0)]);
}

#[test]
fn created_start_times_are_left_alone() {
    let now = Instant::now();
    let adj = adjuster(now);
    let created_s = 1_699_999_000.0;
    for (i, v) in [10.0, 2.0].into_iter().enumerate() {
        let t = T0 + 15_000 * i as i64;
        let r = adjusted(
            &adj,
            &scrape(
                "a:1",
                t,
                &[("req_total", NONE, v), ("req_created", NONE, created_s)],
            ),
            now,
        );
        assert_eq!(
            starts(&r, "req_total"),
            [1_699_999_000_000_000_000],
            "scrape {i}: _created wins, even over a drop in value"
        );
    }
    assert_eq!(
        adj.series(),
        0,
        "nothing remembered for series with _created"
    );
}

#[test]
fn series_are_kept_per_job_and_instance_and_per_attributes() {
    let now = Instant::now();
    let adj = adjuster(now);
    adjusted(
        &adj,
        &scrape("a:1", T0, &[("counter_total", &[("k", "x")], 10.0)]),
        now,
    );
    let t = T0 + 15_000;
    // Same name on another instance, and another label value: both are first sightings.
    let r = adjusted(
        &adj,
        &scrape("b:1", t, &[("counter_total", &[("k", "x")], 1.0)]),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(t)]);
    let r = adjusted(
        &adj,
        &scrape(
            "a:1",
            t,
            &[
                ("counter_total", &[("k", "x")], 11.0),
                ("counter_total", &[("k", "y")], 1.0),
            ],
        ),
        now,
    );
    assert_eq!(starts(&r, "counter_total"), [ns(T0), ns(t)]);
    assert_eq!(adj.targets(), 2);
    assert_eq!(adj.series(), 3);
}

#[test]
fn unseen_series_are_forgotten_and_churn_does_not_grow_the_state() {
    let start = Instant::now();
    let interval = gc_interval(Duration::from_secs(15));
    let adj = StartTimeAdjuster::new(interval, start);
    // A target whose every scrape (15 s apart) exposes 10 series never seen before, plus one
    // steady series; an hour of scrapes.
    let mut largest = 0;
    for i in 0..240i64 {
        let now = start + Duration::from_secs(15 * i as u64);
        let ids: Vec<String> = (0..10).map(|j| format!("{i}-{j}")).collect();
        let mut samples: Vec<(&str, OwnedLabels, f64)> = ids
            .iter()
            .map(|id| ("counter_total", vec![("id", id.as_str())], 1.0))
            .collect();
        samples.push(("counter_total", vec![("id", "steady")], i as f64));
        let samples: Vec<S> = samples
            .iter()
            .map(|(n, l, v)| (*n, l.as_slice(), *v))
            .collect();
        let r = adjusted(&adj, &scrape("a:1", T0 + 15_000 * i, &samples), now);
        let steady = starts(&r, "counter_total")[10];
        assert_eq!(
            steady,
            ns(T0),
            "the steady series keeps its start (scrape {i})"
        );
        largest = largest.max(adj.series());
    }
    // Collections run on a scrape once more than an interval (120 s) has passed, so every
    // 135 s here; a series lives until the second collection after its last sighting: at most
    // 270 s, i.e. 18 scrapes of 10 new series, plus the steady one.
    let bound = 18 * 10 + 1;
    assert!(largest <= bound, "state grew to {largest} series");
    assert!(
        largest > 10 * 9,
        "collections do not forget seen series early"
    );

    // The target goes away: after two more collections nothing is left of it.
    let mut now = start + Duration::from_secs(15 * 240);
    for _ in 0..3 {
        now += interval + Duration::from_secs(1);
        adj.adjust_at(&mut ExportMetricsServiceRequest::default(), now);
    }
    assert_eq!(adj.series(), 0);
    assert_eq!(adj.targets(), 0);
}

#[test]
fn a_series_seen_within_an_interval_survives_collection() {
    let start = Instant::now();
    let interval = gc_interval(Duration::from_secs(60));
    let adj = StartTimeAdjuster::new(interval, start);
    // Scraped every 60 s for 10 minutes: collections run in between, the start stays.
    for i in 0..10u64 {
        let now = start + Duration::from_secs(60 * i);
        let t = T0 + 60_000 * i as i64;
        let r = adjusted(
            &adj,
            &scrape("a:1", t, &[("counter_total", NONE, i as f64)]),
            now,
        );
        assert_eq!(starts(&r, "counter_total"), [ns(T0)], "scrape {i}");
    }
}

//! The appender: converts, hands on, counts accepted and refused points with upstream's
//! `otelcol_receiver_*` names (transport `http`), and never retries a refused scrape.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use component::{BoxFuture, ComponentId, ConsumeError, Consumer};
use pdata::Metrics;
use prometheus::discovery::LabelSet;
use prometheus::scrape::{Appender, Sample, ScrapeBatch, TargetInfo};

use crate::prometheus::appender::PipelineAppender;
use crate::prometheus::convert::ConvertOptions;

/// Accepts or refuses everything, and remembers what it was given.
struct Sink {
    refuse: bool,
    calls: AtomicUsize,
    points: AtomicUsize,
}

impl Consumer<Metrics> for Sink {
    fn consume(&self, data: Metrics) -> BoxFuture<'_, Result<(), ConsumeError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.points.fetch_add(data.items(), Ordering::SeqCst);
        let refuse = self.refuse;
        Box::pin(async move {
            if refuse {
                Err(ConsumeError::retryable("queue is full"))
            } else {
                Ok(())
            }
        })
    }
}

fn batch(samples: &[(&str, f64)]) -> ScrapeBatch {
    let labels: LabelSet = [("job", "j"), ("instance", "10.0.0.1:80")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ScrapeBatch {
        target: Arc::new(TargetInfo {
            job: "j".into(),
            labels: labels.clone(),
            discovered_labels: LabelSet::new(),
            url: "http://10.0.0.1:80/metrics".into(),
        }),
        scrape_timestamp_ms: 1,
        samples: samples
            .iter()
            .map(|(name, v)| {
                let mut l = vec![("__name__".to_string(), name.to_string())];
                l.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                l.sort();
                Sample {
                    labels: l,
                    timestamp_ms: 1,
                    value: *v,
                    exemplar: None,
                }
            })
            .collect(),
        metadata: HashMap::new(),
    }
}

fn counter(name: &str, id: &str) -> i128 {
    telemetry::metrics::global()
        .value(name, &[("receiver", id), ("transport", "http")])
        .unwrap_or(0)
}

fn appender(id: &str, refuse: bool) -> (PipelineAppender, Arc<Sink>) {
    let sink = Arc::new(Sink {
        refuse,
        calls: AtomicUsize::new(0),
        points: AtomicUsize::new(0),
    });
    let id = ComponentId::parse(id).unwrap();
    let a = PipelineAppender::new(&id, ConvertOptions::default(), sink.clone());
    (a, sink)
}

#[tokio::test]
async fn accepted_points_are_counted() {
    let (a, sink) = appender("prometheus/accepts", false);
    a.append(batch(&[("up", 1.0), ("g", 2.0)])).await.unwrap();
    assert_eq!(sink.calls.load(Ordering::SeqCst), 1);
    assert_eq!(sink.points.load(Ordering::SeqCst), 2);
    let id = "prometheus/accepts";
    assert_eq!(counter("otelcol_receiver_accepted_metric_points", id), 2);
    assert_eq!(counter("otelcol_receiver_refused_metric_points", id), 0);
}

#[tokio::test]
async fn a_refused_scrape_is_counted_and_not_retried() {
    let (a, sink) = appender("prometheus/refuses", true);
    let err = a
        .append(batch(&[("up", 1.0), ("g", 2.0), ("h", 3.0)]))
        .await
        .unwrap_err();
    assert!(err.contains("queue is full"), "{err}");
    assert_eq!(sink.calls.load(Ordering::SeqCst), 1, "no retry");
    let id = "prometheus/refuses";
    assert_eq!(counter("otelcol_receiver_refused_metric_points", id), 3);
    assert_eq!(counter("otelcol_receiver_accepted_metric_points", id), 0);
}

#[tokio::test]
async fn nothing_is_sent_for_a_scrape_without_points_and_drops_are_counted() {
    let (a, sink) = appender("prometheus/drops", false);
    let mut b = batch(&[("x", 1.0)]);
    b.samples[0].labels.retain(|(k, _)| k != "__name__");
    a.append(b).await.unwrap();
    assert_eq!(sink.calls.load(Ordering::SeqCst), 0);
    let dropped = telemetry::metrics::global()
        .value(
            "otelcol_receiver_prometheus_dropped_samples",
            &[("receiver", "prometheus/drops")],
        )
        .unwrap_or(0);
    assert_eq!(dropped, 1);
}

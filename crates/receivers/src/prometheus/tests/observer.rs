//! The failure self-metrics and the feature gates the receiver reads at start.

use std::collections::BTreeMap;

use component::host::{FeatureGateDescription, GraphDescription};
use component::{ComponentId, Host};
use prometheus::scrape::pool::ScrapeObserver;
use telemetry::metrics::global;

use crate::prometheus::observer::ReceiverObserver;
use crate::prometheus::{
    GATE_REMOVE_START_TIME_ADJUSTMENT, GATE_USE_CREATED_METRIC, StartTimeGates,
};

fn value(name: &str, labels: &[(&str, &str)]) -> Option<i128> {
    global().value(name, labels)
}

#[test]
fn failed_scrapes_sd_errors_and_targets_are_counted_per_receiver_and_job() {
    let observer = ReceiverObserver::new(&ComponentId::parse("prometheus/observed").unwrap());
    let rx = ("receiver", "prometheus/observed");
    // Both discovery counters exist at zero from the start.
    for mechanism in ["file", "kubernetes"] {
        assert_eq!(
            value(
                "otelcol_receiver_prometheus_sd_errors",
                &[rx, ("mechanism", mechanism)]
            ),
            Some(0)
        );
    }
    let a = observer.job("a");
    let b = observer.job("b");
    a.scrape_failed();
    a.scrape_failed();
    b.scrape_failed();
    a.active_targets(3);
    b.active_targets(1);
    a.discovery_failed("file");
    b.discovery_failed("kubernetes");
    b.discovery_failed("kubernetes");
    let failed = |job| {
        value(
            "otelcol_receiver_prometheus_failed_scrapes",
            &[rx, ("scrape_job", job)],
        )
    };
    assert_eq!(failed("a"), Some(2));
    assert_eq!(failed("b"), Some(1));
    let targets = |job| {
        value(
            "otelcol_receiver_prometheus_targets",
            &[rx, ("scrape_job", job)],
        )
    };
    assert_eq!(targets("a"), Some(3));
    a.active_targets(2);
    assert_eq!(targets("a"), Some(2));
    let sd = |m| {
        value(
            "otelcol_receiver_prometheus_sd_errors",
            &[rx, ("mechanism", m)],
        )
    };
    assert_eq!(sd("file"), Some(1));
    assert_eq!(sd("kubernetes"), Some(2));
    // A stopped pool takes its target count with it; its counters stay.
    drop(a);
    assert_eq!(targets("a"), None);
    assert_eq!(failed("a"), Some(2));
    assert_eq!(targets("b"), Some(1));
}

fn host(gates: &[(&str, bool)]) -> Host {
    let (_tx, rx) = tokio::sync::watch::channel(component::host::CollectorStatus::Ready);
    Host::new(BTreeMap::new(), rx).with_graph(GraphDescription {
        feature_gates: gates
            .iter()
            .map(|(id, enabled)| FeatureGateDescription {
                id: id.to_string(),
                enabled: *enabled,
                stage: "Beta".into(),
                description: String::new(),
            })
            .collect(),
        ..Default::default()
    })
}

#[test]
fn gates_decide_start_times() {
    // Not registered by the binary, or registered at their defaults: today's behaviour.
    assert_eq!(
        StartTimeGates::from_host(&host(&[])),
        StartTimeGates::default()
    );
    let defaults = host(&[
        (GATE_REMOVE_START_TIME_ADJUSTMENT, true),
        (GATE_USE_CREATED_METRIC, true),
    ]);
    assert_eq!(
        StartTimeGates::from_host(&defaults),
        StartTimeGates {
            adjust_start_times: false,
            use_created_metric: true
        }
    );
    // `--feature-gates=-receiver.prometheusreceiver.RemoveStartTimeAdjustment,-...UseCreatedMetric`
    let adot = host(&[
        (GATE_REMOVE_START_TIME_ADJUSTMENT, false),
        (GATE_USE_CREATED_METRIC, false),
    ]);
    assert_eq!(
        StartTimeGates::from_host(&adot),
        StartTimeGates {
            adjust_start_times: true,
            use_created_metric: false
        }
    );
}

//! The EKS sidecar seed (`examples/seeds/eks-sidecar-prometheus-emf.yaml`), unchanged: the
//! `prometheus` receiver scrapes an application on `localhost:3000` every 30 s, `batch/metrics`
//! holds points up to 60 s, and `awsemf` writes EMF to CloudWatch Logs — here moto, with SigV4
//! verification on, reached through `AWS_*` environment variables only.
//!
//! The application is a fixed exposition served by this test on 127.0.0.1:3000. After the first
//! scrape the collector is stopped (SIGTERM), which flushes the batch, and the EMF events are
//! read back with FilterLogEvents and checked against the EMF specification. The seed binds the
//! default ports (13133, 8888, 3000), so it runs in the serial `default-ports` group, as does the
//! ECS sidecar seed below (4317, 4318).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::moto::Moto;
use common::{Collector, metric, python_script, wait_for_port};
use serde_json::Value;

const EXPOSITION: &str = "# HELP task_queue_depth Tasks waiting.\n# TYPE task_queue_depth gauge\n\
task_queue_depth{queue=\"emails\"} 17\n# HELP task_runs_total Tasks run.\n# TYPE task_runs_total counter\n\
task_runs_total{queue=\"emails\"} 1234\n";

fn serve_app() {
    let listener = TcpListener::bind("127.0.0.1:3000").expect("bind 127.0.0.1:3000");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{EXPOSITION}",
                EXPOSITION.len()
            );
        }
    });
}

#[test]
fn eks_sidecar_seed_scrapes_and_writes_emf_to_cloudwatch_logs() {
    serve_app();
    let moto = Moto::start();
    let seed = common::shared_dir().join("examples/seeds/eks-sidecar-prometheus-emf.yaml");
    let mut env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("AWS_ENDPOINT_URL".to_string(), moto.endpoint.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut c = Collector::start_in(dir, &["--config", seed.to_str().unwrap()], &env);
    c.wait_ready();

    // The first scrape comes within one 30 s interval (Prometheus' per-target offset).
    let deadline = Instant::now() + Duration::from_secs(45);
    while metric(
        8888,
        "otelcol_receiver_accepted_metric_points",
        &[("receiver", "prometheus")],
    )
    .unwrap_or(0.0)
        == 0.0
    {
        assert!(Instant::now() < deadline, "no scrape\n{}", c.logs());
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(c.stop().success(), "{}", c.logs());

    // The namespace and log group come from service.name, the job.
    let group = "/metrics/prod/task-service";
    let events: Vec<Value> =
        serde_json::from_str(moto.peer(&["group-events", group]).trim()).expect("events");
    assert!(!events.is_empty(), "no EMF events\n{}", c.logs());
    let emf: Vec<Value> = events
        .iter()
        .map(|e| {
            let m = e["message"].as_str().unwrap();
            if let Err(err) = exporters::awsemf::spec::validate(m) {
                panic!("invalid EMF ({err}): {m}");
            }
            serde_json::from_str(m).unwrap()
        })
        .collect();
    let depth = emf
        .iter()
        .find(|v| v.get("task_queue_depth").is_some())
        .unwrap_or_else(|| panic!("no task_queue_depth in {emf:#?}"));
    assert_eq!(depth["task_queue_depth"], 17.0);
    assert_eq!(depth["queue"], "emails");
    // `prom_metric_type` needs the resource attribute `receiver: prometheus`, which this seed
    // does not add (Container Insights configs add it with a `resource` processor), as upstream.
    assert!(depth.get("prom_metric_type").is_none());
    assert_eq!(
        depth["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "prod/task-service"
    );
    // A counter's first value is the delta baseline: it is not sent (upstream's behaviour).
    assert!(emf.iter().all(|v| v.get("task_runs_total").is_none()));
}

/// The ECS sidecar seed (`examples/seeds/ecs-sidecar-traces-metrics.yaml`), metrics half,
/// unchanged: OTLP/HTTP on the default 4318 from the Python SDK → `memory_limiter` → `batch` →
/// `awsemf` with `region: us-west-2` and `NoDimensionRollup`, into moto.
#[test]
fn ecs_sidecar_seed_sends_sdk_metrics_as_emf() {
    let moto = Moto::start();
    let seed = common::shared_dir().join("examples/seeds/ecs-sidecar-traces-metrics.yaml");
    let mut env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("AWS_ENDPOINT_URL".to_string(), moto.endpoint.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut c = Collector::start_in(dir, &["--config", seed.to_str().unwrap()], &env);
    c.wait_ready();
    assert!(wait_for_port(4318, Duration::from_secs(10)));
    python_script("emf_metrics.py", &["--endpoint", "127.0.0.1:4318"]);
    // Stopping flushes the batch processor.
    assert!(c.stop().success(), "{}", c.logs());

    let group = "/metrics/shop/emf-e2e";
    let events: Vec<Value> =
        serde_json::from_str(moto.peer(&["group-events", group, "us-west-2"]).trim())
            .expect("events");
    assert!(!events.is_empty(), "no EMF events\n{}", c.logs());
    let mut orders = Vec::new();
    for e in &events {
        let m = e["message"].as_str().unwrap();
        if let Err(err) = exporters::awsemf::spec::validate(m) {
            panic!("invalid EMF ({err}): {m}");
        }
        let v: Value = serde_json::from_str(m).unwrap();
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "shop/emf-e2e"
        );
        if let Some(o) = v.get("orders").and_then(Value::as_f64) {
            orders.push(o);
        }
    }
    // The counter's first value is the delta baseline; the SDK's cumulative 12 then 12 give 7, 0.
    assert_eq!(orders, [7.0, 0.0], "{events:#?}");
}

//! The OTLP specification's JSON examples (shared/conformance/otlp-json), posted to the HTTP
//! receiver and written back as OTLP/JSON by the `file` exporter, keep every field.

mod common;

use common::{Collector, free_port, http, shared_dir};

#[test]
fn spec_examples_round_trip_through_the_collector() {
    let port = free_port();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_path_buf();
    let c = Collector::start(&format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}\n\
         exporters:\n  file/t:\n    path: OUT/traces.json\n  file/m:\n    path: OUT/metrics.json\n  file/l:\n    path: OUT/logs.json\n\
         service:\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file/t]\n    metrics:\n      receivers: [otlp]\n      exporters: [file/m]\n    logs:\n      receivers: [otlp]\n      exporters: [file/l]\n"
    ).replace("OUT", &out.display().to_string()));
    c.wait_ready();
    let dir = shared_dir().join("conformance/otlp-json");
    let cases = [
        ("trace.json", "/v1/traces", "traces.json"),
        ("metrics.json", "/v1/metrics", "metrics.json"),
        ("logs.json", "/v1/logs", "logs.json"),
        ("events.json", "/v1/logs", "logs.json"),
    ];
    for (file, path, _) in cases {
        let body = std::fs::read(dir.join(file)).unwrap();
        let r = http(
            port,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            &body,
        )
        .unwrap();
        assert_eq!(r.status, 200, "{file}: {}", r.text());
    }
    let mut c = c;
    assert!(c.stop().success());
    let lines = |name: &str| -> Vec<String> {
        std::fs::read_to_string(out.join(name))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let traces = lines("traces.json");
    assert_eq!(
        pdata::json::decode_traces(traces[0].as_bytes()).unwrap(),
        pdata::json::decode_traces(&std::fs::read(dir.join("trace.json")).unwrap()).unwrap()
    );
    let metrics = lines("metrics.json");
    assert_eq!(
        pdata::json::decode_metrics(metrics[0].as_bytes()).unwrap(),
        pdata::json::decode_metrics(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap()
    );
    let logs = lines("logs.json");
    assert_eq!(logs.len(), 2);
    for (line, file) in logs.iter().zip(["logs.json", "events.json"]) {
        assert_eq!(
            pdata::json::decode_logs(line.as_bytes()).unwrap(),
            pdata::json::decode_logs(&std::fs::read(dir.join(file)).unwrap()).unwrap(),
            "{file}"
        );
    }
}

//! Reload on SIGHUP (good and broken configs), health status, graceful shutdown.

mod common;

use std::time::Duration;

use common::{Collector, free_port, http};

fn config(port: u16, health: u16, out: &std::path::Path) -> String {
    format!(
        "extensions:\n  health_check:\n    endpoint: 127.0.0.1:{health}\n\
         receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}\n\
         exporters:\n  file:\n    path: {}\n\
         service:\n  extensions: [health_check]\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [file]\n",
        out.display()
    )
}

fn send_log(port: u16, body: &str) {
    let json = format!(
        "{{\"resourceLogs\":[{{\"scopeLogs\":[{{\"logRecords\":[{{\"body\":{{\"stringValue\":\"{body}\"}}}}]}}]}}]}}"
    );
    let r = http(
        port,
        "POST",
        "/v1/logs",
        &[("Content-Type", "application/json")],
        json.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}

fn wait_file_contains(path: &std::path::Path, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::fs::read_to_string(path)
            .unwrap_or_default()
            .contains(needle)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn sighup_reloads_and_a_broken_config_keeps_the_old_one() {
    let (port, health) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let conf = dir.path().join("config.yaml");
    std::fs::write(&conf, config(port, health, &a)).unwrap();
    let conf_arg = conf.to_string_lossy().into_owned();
    let mut c = Collector::start_in(dir, &["--config", &conf_arg], &[]);
    c.wait_ready();
    assert_eq!(http(health, "GET", "/", &[], b"").unwrap().status, 200);
    send_log(port, "first");
    assert!(wait_file_contains(&a, "first"));

    // A good new config: data goes to the new file.
    std::fs::write(&conf, config(port, health, &b)).unwrap();
    c.signal("HUP");
    assert!(
        c.wait_for_log("Config reloaded", Duration::from_secs(20)),
        "{}",
        c.logs()
    );
    assert_eq!(http(health, "GET", "/", &[], b"").unwrap().status, 200);
    send_log(port, "second");
    assert!(wait_file_contains(&b, "second"));
    assert!(!std::fs::read_to_string(&a).unwrap().contains("second"));

    // A broken config: logged, and the running pipelines keep running.
    std::fs::write(&conf, "receivers: [this is not a map\n").unwrap();
    c.signal("HUP");
    assert!(
        c.wait_for_log("Config reload failed", Duration::from_secs(20)),
        "{}",
        c.logs()
    );
    send_log(port, "third");
    assert!(wait_file_contains(&b, "third"));

    // A config that validates but cannot start (its port is taken) falls back to the old one.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = blocker.local_addr().unwrap().port();
    std::fs::write(&conf, config(taken, health, &a)).unwrap();
    c.signal("HUP");
    assert!(
        c.wait_for_log("restarting the previous one", Duration::from_secs(30)),
        "{}",
        c.logs()
    );
    assert!(c.wait_for_log("Everything is ready", Duration::from_secs(20)));
    send_log(port, "fourth");
    assert!(wait_file_contains(&b, "fourth"), "{}", c.logs());

    assert!(c.stop().success());
    assert!(c.logs().contains("Shutdown complete."));
    assert!(!c.logs().contains("panicked"));
}

#[test]
fn logs_follow_service_telemetry_logs() {
    let port = free_port();
    let mut c = Collector::start(&format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}\n\
         exporters:\n  nop:\n\
         service:\n  telemetry:\n    logs:\n      level: debug\n      encoding: json\n      initial_fields:\n        deployment: e2e\n    metrics:\n      level: none\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [nop]\n"
    ));
    c.wait_ready();
    assert!(c.stop().success());
    let logs = c.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let ready = lines
        .iter()
        .find(|v| v["msg"] == "Everything is ready. Begin running and processing data.")
        .unwrap_or_else(|| panic!("no ready line in:\n{logs}"));
    assert_eq!(ready["level"], "info");
    assert_eq!(ready["deployment"], "e2e");
    assert!(ready["ts"].as_str().is_some());
    assert!(
        lines.iter().any(|v| v["level"] == "debug"),
        "debug level not applied:\n{logs}"
    );
}

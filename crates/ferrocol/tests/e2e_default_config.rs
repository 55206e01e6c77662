//! `ferrocol` with no arguments runs the embedded default configuration on the default ports:
//! OTLP gRPC 4317 and HTTP 4318 → memory_limiter → batch → debug, health_check on 13133,
//! self-metrics on 8888. This is the only test that uses the default ports.

mod common;

use std::time::Duration;

use common::{Collector, http, metric, python_script, wait_for_port};

#[test]
fn no_arguments_runs_the_default_pipeline() {
    for port in [4317, 4318, 13133, 8888] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is taken: the default-config test needs it free"
        );
    }
    let mut c = Collector::start_in(tempfile::tempdir().unwrap(), &[], &[]);
    c.wait_ready();
    assert!(wait_for_port(13133, Duration::from_secs(5)));

    let health = http(13133, "GET", "/", &[], b"").unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    assert!(
        health.text().contains("\"status\":\"Server available\""),
        "{}",
        health.text()
    );

    for (protocol, port) in [("grpc", 4317), ("http-proto", 4318), ("http-json", 4318)] {
        let rec = c.path(&format!("{protocol}.rec"));
        python_script(
            "sdk_client.py",
            &[
                "--protocol",
                protocol,
                "--endpoint",
                &format!("localhost:{port}"),
                "--record",
                rec.to_str().unwrap(),
            ],
        );
    }
    // The SDK client sends 3 spans per protocol; batch flushes within its 200 ms timeout.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sent = metric(
            8888,
            "otelcol_exporter_sent_spans",
            &[("exporter", "debug")],
        );
        if sent == Some(9.0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "debug exporter sent {sent:?} spans, want 9:\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for (transport, spans) in [("grpc", 3.0), ("http", 6.0)] {
        assert_eq!(
            metric(
                8888,
                "otelcol_receiver_accepted_spans",
                &[("receiver", "otlp"), ("transport", transport)]
            ),
            Some(spans)
        );
    }
    assert!(
        c.logs().contains("Traces"),
        "debug output missing:\n{}",
        c.logs()
    );
    assert!(c.stop().success());
    assert!(c.logs().contains("Shutdown complete."));
}

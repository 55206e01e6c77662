use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use component::{CollectorStatus, ComponentId, CreateContext, ExtensionFactory, FactoryInfo, Host};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running {
    ext: Arc<dyn component::Extension>,
    status: watch::Sender<CollectorStatus>,
    addr: String,
}

async fn start(mut config: HealthCheckConfig) -> Running {
    let addr = format!("127.0.0.1:{}", free_port());
    config.endpoint = addr.clone();
    let factory = HealthCheckFactory;
    let ext = factory
        .create(
            CreateContext {
                id: ComponentId::new("health_check", None),
                build_version: "test",
            },
            &component::AnyConfig::new(config),
        )
        .unwrap();
    let (status, rx) = watch::channel(CollectorStatus::Starting);
    let host = Host::new(BTreeMap::new(), rx);
    ext.start(&host).await.unwrap();
    Running { ext, status, addr }
}

/// A raw HTTP/1.1 GET, so the test sees exactly the bytes a probe gets.
async fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let code = head[9..12].parse().unwrap();
    (code, head.to_ascii_lowercase(), body.to_string())
}

async fn wait_for(addr: &str, path: &str, code: u16) -> (String, String) {
    for _ in 0..100 {
        let (c, head, body) = get(addr, path).await;
        if c == code {
            return (head, body);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never answered {code}");
}

#[tokio::test]
async fn reports_not_ready_then_ready_then_not_ready() {
    let r = start(HealthCheckConfig::default()).await;
    let (head, body) = wait_for(&r.addr, "/", 503).await;
    assert!(head.contains("content-type: application/json"));
    assert_eq!(
        body,
        r#"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#
    );

    r.status.send(CollectorStatus::Ready).unwrap();
    let (_, body) = wait_for(&r.addr, "/anything/below/root", 200).await;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["status"], "Server available");
    let up_since = doc["upSince"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(up_since).is_ok(),
        "{up_since}"
    );
    let uptime = doc["uptime"].as_str().unwrap();
    assert!(uptime.ends_with('s') && uptime != "0s", "{uptime}");
    assert!(
        body.starts_with(r#"{"status":"Server available","upSince":""#),
        "{body}"
    );

    r.status.send(CollectorStatus::ShuttingDown).unwrap();
    wait_for(&r.addr, "/", 503).await;

    r.ext
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;
    assert!(tokio::net::TcpStream::connect(&r.addr).await.is_err());
}

#[tokio::test]
async fn custom_path_bodies_and_headers() {
    let config = HealthCheckConfig {
        path: "/health/status".into(),
        response_body: Some(ResponseBody {
            healthy: "I'm OK".into(),
            unhealthy: "I'm not well".into(),
        }),
        response_headers: BTreeMap::from([("x-probe".to_string(), "yes".to_string())]),
        ..Default::default()
    };
    let r = start(config).await;
    let (head, body) = wait_for(&r.addr, "/health/status", 503).await;
    assert_eq!(body, "I'm not well");
    assert!(head.contains("x-probe: yes"));
    r.status.send(CollectorStatus::Ready).unwrap();
    let (_, body) = wait_for(&r.addr, "/health/status", 200).await;
    assert_eq!(body, "I'm OK");
    // Go's ServeMux: a pattern without a trailing slash matches only itself.
    let (code, _, body) = get(&r.addr, "/health/status/x").await;
    assert_eq!((code, body.as_str()), (404, "404 page not found\n"));
    r.ext
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;
}

#[tokio::test]
async fn bind_failure_is_a_start_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let config = HealthCheckConfig {
        endpoint: addr.clone(),
        ..Default::default()
    };
    let ext = HealthCheckFactory
        .create(
            CreateContext {
                id: ComponentId::new("health_check", None),
                build_version: "test",
            },
            &component::AnyConfig::new(config),
        )
        .unwrap();
    let (_tx, rx) = watch::channel(CollectorStatus::Starting);
    let err = ext
        .start(&Host::new(BTreeMap::new(), rx))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("failed to bind to address {addr}: ")),
        "{err}"
    );
}

#[test]
fn defaults_and_validation() {
    let d = HealthCheckConfig::default();
    assert_eq!(d.endpoint, "localhost:13133");
    assert_eq!(d.path, "/");
    assert!(!d.check_collector_pipeline.enabled);
    assert_eq!(
        d.check_collector_pipeline.interval.to_std_saturating(),
        Duration::from_secs(300)
    );
    assert_eq!(d.check_collector_pipeline.exporter_failure_threshold, 5);
    assert!(component::ComponentConfig::validate(&d).is_ok());
    assert_eq!(HealthCheckFactory.kind(), "health_check");

    let bad_path = HealthCheckConfig {
        path: "health".into(),
        ..Default::default()
    };
    assert_eq!(
        component::ComponentConfig::validate(&bad_path).unwrap_err(),
        "bad config: path must start with /"
    );
    let mut bad_threshold = HealthCheckConfig::default();
    bad_threshold
        .check_collector_pipeline
        .exporter_failure_threshold = 0;
    assert_eq!(
        component::ComponentConfig::validate(&bad_threshold).unwrap_err(),
        "bad config: exporter_failure_threshold expects a positive number"
    );
    let no_endpoint = HealthCheckConfig {
        endpoint: String::new(),
        ..Default::default()
    };
    assert_eq!(
        component::ComponentConfig::validate(&no_endpoint).unwrap_err(),
        "bad config: endpoint must be specified"
    );
}

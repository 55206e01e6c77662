use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use component::config::decode_typed;
use component::{
    CollectorStatus, ComponentId, CreateContext, ExtensionFactory, FactoryInfo,
    FeatureGateDescription, GraphDescription, Host, PipelineDescription,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::*;

fn decode(yaml: &str) -> Result<ZpagesConfig, String> {
    let node = confmap::parse_yaml(yaml).expect("valid yaml");
    decode_typed::<ZpagesConfig>(node.as_ref()).map_err(|e| e.to_string())
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn graph() -> GraphDescription {
    GraphDescription {
        command: "ferrocol".into(),
        version: "9.9.9".into(),
        pipelines: vec![
            PipelineDescription {
                id: "traces/in".into(),
                signal: "traces".into(),
                receivers: vec!["otlp".into()],
                processors: vec!["memory_limiter".into(), "batch".into()],
                exporters: vec!["debug".into(), "otlp_grpc/backend".into()],
            },
            PipelineDescription {
                id: "metrics".into(),
                signal: "metrics".into(),
                receivers: vec!["otlp".into()],
                processors: vec![],
                exporters: vec!["file/x<y>".into()],
            },
        ],
        extensions: vec!["zpages".into(), "health_check".into()],
        feature_gates: vec![FeatureGateDescription {
            id: "adot.exporter.datadogexporter.deprecation".into(),
            enabled: true,
            stage: "Alpha".into(),
            description: "removes the datadog exporter".into(),
        }],
    }
}

async fn start_with(config: ZpagesConfig, graph: GraphDescription) -> Arc<dyn Extension> {
    let ext = ZpagesFactory
        .create(
            CreateContext {
                id: ComponentId::new("zpages", None),
                build_version: "test",
            },
            &AnyConfig::new(config),
        )
        .unwrap();
    let (_tx, rx) = watch::channel(CollectorStatus::Ready);
    let host = Host::new(BTreeMap::new(), rx).with_graph(graph);
    ext.start(&host).await.unwrap();
    ext
}

/// A raw HTTP/1.1 GET: (status, lower-cased head, body).
async fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        head.to_ascii_lowercase(),
        body.to_string(),
    )
}

#[test]
fn defaults_and_upstream_keys() {
    let d = ZpagesConfig::default();
    assert_eq!(d.endpoint, "localhost:55679");
    assert_eq!(d.transport, "tcp");
    assert!(!d.expvar.enabled);
    assert!(d.keep_alives_enabled);
    assert_eq!(
        d.read_header_timeout.to_std_saturating(),
        Duration::from_secs(60)
    );
    assert_eq!(ZpagesFactory.kind(), "zpages");
    assert_eq!(ZpagesFactory.stability(), Stability::Beta);

    // No section at all: the defaults.
    let empty = decode_typed::<ZpagesConfig>(None).unwrap();
    assert_eq!(empty.endpoint, "localhost:55679");

    // Upstream's testdata plus the confighttp keys it accepts.
    let c = decode(
        "endpoint: localhost:56888\ntransport: tcp\nexpvar:\n  enabled: true\n\
         dialer:\n  timeout: 5s\nresponse_headers:\n  x-a: b\nread_timeout: 10s\n\
         read_header_timeout: 2s\nwrite_timeout: 3s\nidle_timeout: 4s\nkeep_alives_enabled: false\n\
         max_request_body_size: 100\ninclude_metadata: true\ncompression_algorithms: [gzip]\n",
    )
    .unwrap();
    assert_eq!(c.endpoint, "localhost:56888");
    assert!(c.expvar.enabled);
    assert_eq!(c.dialer.timeout.to_std_saturating(), Duration::from_secs(5));
    assert_eq!(c.response_headers["x-a"], "b");
    assert!(!c.keep_alives_enabled);
}

#[test]
fn validation() {
    assert!(
        decode("endpoint: \"\"\n")
            .unwrap_err()
            .contains("\"endpoint\" is required when using the \"zpages\" extension")
    );
    assert!(
        decode("transport: udp\n")
            .unwrap_err()
            .contains("unsupported transport")
    );
    assert!(decode("transport: tcp6\n").is_ok());
    assert!(decode("bogus: 1\n").unwrap_err().contains("bogus"));
    assert!(
        decode("expvar:\n  bogus: 1\n")
            .unwrap_err()
            .contains("bogus")
    );
    assert!(
        decode("cors:\n  allowed_origins: ['*']\n")
            .unwrap_err()
            .contains("'cors' is not supported")
    );
    assert!(
        decode("response_headers:\n  \"bad name\": x\n")
            .unwrap_err()
            .contains("invalid header name")
    );
}

#[tokio::test]
async fn pages_show_the_live_graph() {
    let addr = free_addr();
    let config = ZpagesConfig {
        endpoint: addr.clone(),
        response_headers: BTreeMap::from([("x-team".to_string(), "obs".to_string())]),
        ..Default::default()
    };
    let ext = start_with(config, graph()).await;

    let (code, head, body) = get(&addr, "/debug/pipelinez").await;
    assert_eq!(code, 200);
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("x-team: obs"), "{head}");
    assert!(body.contains("<title>builtPipelines</title>"));
    // Both pipelines, sorted by id as upstream, with every component in order.
    let metrics = body.find("<td>metrics</td>").expect("metrics row");
    let traces = body.find("<td>traces/in</td>").expect("traces row");
    assert!(metrics < traces);
    for id in [
        "otlp",
        "memory_limiter",
        "batch",
        "debug",
        "otlp_grpc/backend",
    ] {
        assert!(body.contains(&format!(">{id}</a>")), "{id} missing: {body}");
    }
    assert!(body.find(">memory_limiter</a>").unwrap() < body.find(">batch</a>").unwrap());
    assert!(body.contains(
        "?zpipelinename=traces/in&amp;zcomponentname=otlp_grpc/backend&amp;zcomponentkind=exporter"
    ));
    // Names are escaped.
    assert!(body.contains(">file/x&lt;y&gt;</a>"), "{body}");
    assert!(!body.contains("x<y>"));

    // A component link heads the page with it; a processor is named within its pipeline.
    let (_, _, body) = get(
        &addr,
        "/debug/pipelinez?zpipelinename=traces%2Fin&zcomponentname=batch&zcomponentkind=processor",
    )
    .await;
    assert!(
        body.contains("<h6>processor: traces/in/batch</h6>"),
        "{body}"
    );

    let (code, _, body) = get(&addr, "/debug/extensionz").await;
    assert_eq!(code, 200);
    assert!(body.contains("<title>Extensions</title>"));
    let hc = body.find(">health_check</a>").expect("health_check");
    let zp = body.find(">zpages</a>").expect("zpages");
    assert!(hc < zp, "sorted");

    let (code, _, body) = get(&addr, "/debug/servicez").await;
    assert_eq!(code, 200);
    assert!(body.contains("<title>Service ferrocol</title>"));
    assert!(body.contains("<b>Version</b>") && body.contains("<td>9.9.9</td>"));
    assert!(body.contains("StartTimestamp"));
    for link in ["pipelinez", "extensionz", "featurez"] {
        assert!(body.contains(&format!("<a href=\"{link}\">")), "{link}");
    }

    let (code, _, body) = get(&addr, "/debug/featurez").await;
    assert_eq!(code, 200);
    assert!(body.contains("<td>adot.exporter.datadogexporter.deprecation</td>"));
    assert!(body.contains("<td>true</td>"));

    let (code, head, body) = get(&addr, "/debug/tracez").await;
    assert_eq!(code, 200);
    assert!(head.contains("text/html"));
    assert!(body.contains("<title>Trace Spans</title>"));
    assert!(body.contains("No sampled spans"));
    assert!(body.contains("&gt;1m40s"));

    // expvar is off by default, and unknown paths are Go's 404.
    let (code, head, body) = get(&addr, "/debug/expvarz").await;
    assert_eq!((code, body.as_str()), (404, "404 page not found\n"));
    assert!(head.contains("x-content-type-options: nosniff"));
    let (code, _, _) = get(&addr, "/debug/servicez/extra").await;
    assert_eq!(code, 404);

    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
}

#[tokio::test]
async fn expvarz_when_enabled() {
    let addr = free_addr();
    let config = ZpagesConfig {
        endpoint: addr.clone(),
        expvar: ExpvarConfig { enabled: true },
        ..Default::default()
    };
    let ext = start_with(config, GraphDescription::default()).await;
    let (code, head, body) = get(&addr, "/debug/expvarz").await;
    assert_eq!(code, 200);
    assert!(head.contains("application/json"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["cmdline"].as_array().is_some_and(|a| !a.is_empty()));
    // An empty graph still renders.
    let (code, _, body) = get(&addr, "/debug/pipelinez").await;
    assert_eq!(code, 200);
    assert!(body.contains("FullName"));
    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
}

#[tokio::test]
async fn bind_error_names_the_endpoint_and_shutdown_closes_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let ext = ZpagesFactory
        .create(
            CreateContext {
                id: ComponentId::new("zpages", None),
                build_version: "test",
            },
            &AnyConfig::new(ZpagesConfig {
                endpoint: addr.clone(),
                ..Default::default()
            }),
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
    drop(taken);

    let addr = free_addr();
    let ext = start_with(
        ZpagesConfig {
            endpoint: addr.clone(),
            ..Default::default()
        },
        graph(),
    )
    .await;
    // A keep-alive connection held open across the shutdown is closed too.
    let mut held = tokio::net::TcpStream::connect(&addr).await.unwrap();
    held.write_all(b"GET /debug/servicez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 64];
    assert!(held.read(&mut buf).await.unwrap() > 0);
    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), held.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "held connection still open");
}

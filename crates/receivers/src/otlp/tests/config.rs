//! Config decoding from YAML, defaults and validation errors, as upstream.

use component::config::decode_typed;

use super::super::config::*;

fn decode(yaml: &str) -> Result<OtlpReceiverConfig, String> {
    let node = confmap::parse_yaml(yaml).expect("valid yaml");
    decode_typed::<OtlpReceiverConfig>(node.as_ref()).map_err(|e| e.to_string())
}

#[test]
fn protocols_present_but_empty_get_upstream_defaults() {
    let c = decode("protocols:\n  grpc:\n  http:\n").unwrap();
    let g = c.protocols.grpc.get().expect("grpc on");
    assert_eq!(g.endpoint, "localhost:4317");
    assert_eq!(g.transport, "tcp");
    assert_eq!(g.read_buffer_size, 512 * 1024);
    assert_eq!(g.max_recv_msg_size(), 4 * 1024 * 1024);
    let h = c.protocols.http.get().expect("http on");
    assert_eq!(h.endpoint, "localhost:4318");
    assert_eq!(h.max_request_body_size(), 20 * 1024 * 1024);
    assert_eq!(h.paths(), ["/v1/traces", "/v1/metrics", "/v1/logs"]);
    assert_eq!(
        h.compression_algorithms().unwrap(),
        [
            "",
            "gzip",
            "zstd",
            "zlib",
            "snappy",
            "deflate",
            "lz4",
            "x-snappy-framed"
        ]
    );
    assert!(h.keep_alives_enabled);
    assert!(
        h.write_timeout.is_zero() && h.idle_timeout.is_zero() && h.read_header_timeout.is_zero()
    );

    let only_http = decode("protocols:\n  http:\n    endpoint: 0.0.0.0:4318\n").unwrap();
    assert!(only_http.protocols.grpc.get().is_none());
}

#[test]
fn every_upstream_key_is_accepted() {
    let c = decode(
        r#"
protocols:
  grpc:
    endpoint: 0.0.0.0:4317
    transport: tcp
    max_recv_msg_size_mib: 16
    max_concurrent_streams: 100
    read_buffer_size: 1024
    write_buffer_size: 2048
    include_metadata: true
    keepalive:
      server_parameters:
        max_connection_idle: 11s
        max_connection_age: 12s
        max_connection_age_grace: 13s
        time: 30s
        timeout: 5s
      enforcement_policy:
        min_time: 10s
        permit_without_stream: true
  http:
    endpoint: 0.0.0.0:4318
    include_metadata: true
    max_request_body_size: 1048576
    compression_algorithms: [gzip, zstd]
    response_headers:
      X-Test: yes
    cors:
      allowed_origins: ["https://*.example.com"]
      allowed_headers: [X-Custom]
      max_age: 7200
    traces_url_path: /t
    metrics_url_path: m
    logs_url_path: /l
    read_timeout: 1s
    read_header_timeout: 2s
    write_timeout: 3s
    idle_timeout: 4s
"#,
    )
    .unwrap();
    let g = c.protocols.grpc.get().unwrap();
    assert_eq!(g.max_recv_msg_size(), 16 << 20);
    let k = g.keepalive_params();
    assert_eq!(k.max_connection_idle.to_std_saturating().as_secs(), 11);
    assert_eq!(
        g.ping(),
        (
            std::time::Duration::from_secs(30),
            std::time::Duration::from_secs(5)
        )
    );
    let h = c.protocols.http.get().unwrap();
    assert_eq!(h.paths(), ["/t", "/m", "/l"]);
    assert_eq!(h.compression_algorithms().unwrap(), ["gzip", "zstd"]);
    assert_eq!(h.cors.get().unwrap().max_age, 7200);
}

#[test]
fn validation_errors() {
    assert_eq!(
        decode("protocols:\n").unwrap_err(),
        "must specify at least one protocol when using the OTLP receiver"
    );
    assert_eq!(
        decode("protocols:\n  grpc:\n    read_buffer_size: -1\n").unwrap_err(),
        "protocols::grpc: invalid read_buffer_size value: -1"
    );
    let e = decode("protocols:\n  grpc:\n    tls:\n      min_version: \"1.1\"\n").unwrap_err();
    assert!(
        e.contains("TLS configuration must include both certificate and key"),
        "{e}"
    );
    let e = decode("protocols:\n  http:\n    compression_algorithms: [brotli]\n").unwrap_err();
    assert!(
        e.contains("unsupported compression algorithm \"brotli\""),
        "{e}"
    );
    assert!(
        decode("protocols:\n  grpc:\n    endpoitn: x\n").is_err(),
        "unknown keys are refused"
    );
    assert!(decode("protocols:\n  http:\n    transport: unix\n").is_err());
}

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{ComponentId, CreateContext, ExporterFactory, Host, Signal};
use pdata::payload::{Payload, RequestMeta};
use pdata::proto::common::v1::{AnyValue, KeyValue, any_value};
use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use pdata::proto::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric::Data, number_data_point,
};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;

use super::*;

fn traces(n: usize, pad: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..n)
                    .map(|i| Span {
                        name: format!("span-{i}-{}", "x".repeat(pad)),
                        trace_id: Bytes::from(vec![1; 16]),
                        span_id: Bytes::from(vec![2; 8]),
                        start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn metrics() -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "g".into(),
                    data: Some(Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            value: Some(number_data_point::Value::AsDouble(2.5)),
                            time_unix_nano: 5,
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn logs() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("hello".into())),
                    }),
                    attributes: vec![KeyValue {
                        key: "k".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::IntValue(7)),
                        }),
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn encoded<M: pdata::payload::Request>(m: &M) -> Payload<M> {
    Payload::from_bytes(Bytes::from(m.encode_to_vec()), RequestMeta::default()).unwrap()
}

async fn start(config: FileConfig) -> component::Exporter {
    let exporter = FileFactory
        .create(
            CreateContext {
                id: ComponentId::new("file", None),
                build_version: "test",
            },
            &component::AnyConfig::new(config),
            &Signal::ALL,
        )
        .unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    exporter
        .component
        .start(&Host::new(Default::default(), rx))
        .await
        .unwrap();
    exporter
}

async fn write_all_signals(e: &component::Exporter) {
    e.traces
        .as_ref()
        .unwrap()
        .consume(encoded(&traces(3, 0)))
        .await
        .unwrap();
    e.metrics
        .as_ref()
        .unwrap()
        .consume(encoded(&metrics()))
        .await
        .unwrap();
    e.logs
        .as_ref()
        .unwrap()
        .consume(encoded(&logs()))
        .await
        .unwrap();
}

/// Splits `4-byte big-endian length + body` frames.
fn frames(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let len = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
        out.push(data[4..4 + len].to_vec());
        data = &data[4 + len..];
    }
    out
}

fn config(path: &Path, format: &str, compression: &str) -> FileConfig {
    FileConfig {
        path: path.to_string_lossy().into_owned(),
        format: format.into(),
        compression: compression.into(),
        ..FileConfig::default()
    }
}

#[tokio::test]
async fn json_lines_read_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let e = start(config(&path, "json", "")).await;
    write_all_signals(&e).await;
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        pdata::json::decode_traces(lines[0].as_bytes()).unwrap(),
        traces(3, 0)
    );
    assert_eq!(
        pdata::json::decode_metrics(lines[1].as_bytes()).unwrap(),
        metrics()
    );
    assert_eq!(
        pdata::json::decode_logs(lines[2].as_bytes()).unwrap(),
        logs()
    );
}

#[tokio::test]
async fn proto_frames_are_the_received_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.pb");
    let e = start(config(&path, "proto", "")).await;
    let sent = encoded(&traces(2, 0));
    let kept = sent.clone();
    e.traces.as_ref().unwrap().consume(sent).await.unwrap();
    e.metrics
        .as_ref()
        .unwrap()
        .consume(encoded(&metrics()))
        .await
        .unwrap();
    e.logs
        .as_ref()
        .unwrap()
        .consume(encoded(&logs()))
        .await
        .unwrap();
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    let f = frames(&std::fs::read(&path).unwrap());
    assert_eq!(f.len(), 3);
    assert_eq!(f[0], kept.bytes().to_vec());
    // Written without decoding: the payload it shares its cache with is still only bytes.
    assert!(kept.is_encoded());
    assert_eq!(
        ExportMetricsServiceRequest::decode(&f[1][..]).unwrap(),
        metrics()
    );
    assert_eq!(ExportLogsServiceRequest::decode(&f[2][..]).unwrap(), logs());
}

#[tokio::test]
async fn zstd_compresses_each_frame_in_both_formats() {
    for format in ["proto", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zst");
        let e = start(config(&path, format, "zstd")).await;
        write_all_signals(&e).await;
        e.component
            .shutdown(Instant::now() + Duration::from_secs(5))
            .await;
        let f: Vec<Vec<u8>> = frames(&std::fs::read(&path).unwrap())
            .into_iter()
            .map(|c| zstd::decode_all(&c[..]).unwrap())
            .collect();
        assert_eq!(f.len(), 3, "{format}");
        if format == "proto" {
            assert_eq!(
                ExportTraceServiceRequest::decode(&f[0][..]).unwrap(),
                traces(3, 0)
            );
            assert_eq!(ExportLogsServiceRequest::decode(&f[2][..]).unwrap(), logs());
        } else {
            assert_eq!(pdata::json::decode_traces(&f[0]).unwrap(), traces(3, 0));
            assert_eq!(pdata::json::decode_metrics(&f[1]).unwrap(), metrics());
            assert_eq!(pdata::json::decode_logs(&f[2]).unwrap(), logs());
        }
    }
}

#[tokio::test]
async fn flushes_on_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let mut c = config(&path, "json", "");
    c.flush_interval = confmap::Duration::from_std(Duration::from_millis(100));
    let e = start(c).await;
    e.logs
        .as_ref()
        .unwrap()
        .consume(encoded(&logs()))
        .await
        .unwrap();
    // Buffered, not yet on disk.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    let deadline = Instant::now() + Duration::from_secs(3);
    while std::fs::metadata(&path).unwrap().len() == 0 {
        assert!(Instant::now() < deadline, "never flushed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
}

#[tokio::test]
async fn append_keeps_and_default_truncates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    std::fs::write(&path, "old\n").unwrap();
    let mut c = config(&path, "json", "");
    c.append = true;
    let e = start(c).await;
    e.logs
        .as_ref()
        .unwrap()
        .consume(encoded(&logs()))
        .await
        .unwrap();
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("old\n{")
    );
    let e = start(config(&path, "json", "")).await;
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
}

#[test]
fn rotation_renames_like_lumberjack() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telemetry.json");
    let rotation = Rotation {
        max_backups: 2,
        ..Rotation::default()
    };
    let mut f = rotate::RotatingFile::new(&path, &rotation).with_max_size(100);
    f.open().unwrap();
    for i in 0..5 {
        f.write_all(&[b'a' + i; 60]).unwrap();
        f.flush().unwrap();
        // Backup names carry millisecond timestamps; keep them distinct.
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The live file plus the two newest backups.
    assert_eq!(names.len(), 3, "{names:?}");
    let re = regex_lite_backup();
    assert!(names[..2].iter().all(|n| re(n)), "{names:?}");
    assert_eq!(names[2], "telemetry.json");
    assert_eq!(std::fs::read(&path).unwrap(), vec![b'e'; 60]);
    assert_eq!(
        std::fs::read(dir.path().join(&names[1])).unwrap(),
        vec![b'd'; 60]
    );
    let too_big = f.write_all(&[0; 101]).unwrap_err();
    assert_eq!(
        too_big.to_string(),
        "write length 101 exceeds maximum file size 100"
    );
}

/// `telemetry-2006-01-02T15-04-05.000.json`.
fn regex_lite_backup() -> impl Fn(&str) -> bool {
    |n: &str| {
        let Some(stamp) = n
            .strip_prefix("telemetry-")
            .and_then(|s| s.strip_suffix(".json"))
        else {
            return false;
        };
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H-%M-%S%.3f").is_ok()
            && stamp.len() == "2006-01-02T15-04-05.000".len()
    }
}

#[tokio::test]
async fn rotation_through_the_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pb");
    let mut c = config(&path, "proto", "");
    c.rotation = Some(Rotation {
        max_megabytes: 1,
        ..Rotation::default()
    });
    let e = start(c).await;
    // Three ~400 KiB requests: the third does not fit in 1 MiB and starts a new file.
    for _ in 0..3 {
        e.traces
            .as_ref()
            .unwrap()
            .consume(encoded(&traces(4, 100 * 1024)))
            .await
            .unwrap();
    }
    e.component
        .shutdown(Instant::now() + Duration::from_secs(5))
        .await;
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 2);
    assert_eq!(frames(&std::fs::read(&path).unwrap()).len(), 1);
}

#[test]
fn validation_messages() {
    use component::ComponentConfig;
    let ok = |c: FileConfig| c.validate();
    assert_eq!(
        ok(FileConfig::default()).unwrap_err(),
        "path must be non-empty"
    );
    let base = || FileConfig {
        path: "x".into(),
        ..FileConfig::default()
    };
    assert!(ok(base()).is_ok());
    assert_eq!(base().flush_every(), Duration::from_secs(1));
    let mut c = base();
    c.format = "yaml".into();
    assert_eq!(ok(c).unwrap_err(), "format type is not supported");
    let mut c = base();
    c.compression = "gzip".into();
    assert_eq!(ok(c).unwrap_err(), "compression is not supported");
    let mut c = base();
    c.append = true;
    c.compression = "zstd".into();
    assert_eq!(
        ok(c).unwrap_err(),
        "append and compression enabled at the same time is not supported"
    );
    let mut c = base();
    c.append = true;
    c.rotation = Some(Rotation::default());
    assert_eq!(
        ok(c).unwrap_err(),
        "append and rotation enabled at the same time is not supported"
    );
    let mut c = base();
    c.group_by.enabled = true;
    assert_eq!(
        ok(c).unwrap_err(),
        "path must contain exactly one * when group_by is enabled"
    );
    let mut c = base();
    c.path = "/data/*/out.json".into();
    c.group_by.enabled = true;
    assert_eq!(
        ok(c).unwrap_err(),
        "group_by is not supported by ferrocol's file exporter yet"
    );
    let mut c = base();
    c.directory_permissions = "0755".into();
    assert_eq!(
        ok(c).unwrap_err(),
        "directory_permissions requires create_directory to be true"
    );
    assert_eq!(Rotation::default().max_backups, 100);
    assert_eq!(
        GroupBy::default().resource_attribute,
        "fileexporter.path_segment"
    );
}

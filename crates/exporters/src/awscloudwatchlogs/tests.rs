use component::config::decode_typed;

use super::*;

fn decode(yaml: &str) -> Result<AwsCloudWatchLogsConfig, String> {
    let node = confmap::yaml::parse(yaml).unwrap();
    decode_typed::<AwsCloudWatchLogsConfig>(node.as_ref()).map_err(|e| e.to_string())
}

#[test]
fn defaults_are_upstreams() {
    let c = AwsCloudWatchLogsConfig::default();
    assert_eq!(c.sending_queue.num_consumers, 1);
    assert!(c.sending_queue.enabled);
    assert!(c.retry_on_failure.enabled);
    assert_eq!(c.session.max_retries, 2);
    assert_eq!(c.session.request_timeout_seconds, 30);
    assert_eq!(c.session.num_workers, 8);
    assert!(!c.raw_log && !c.emf_only);
}

#[test]
fn all_keys_decode_including_the_squashed_session_keys() {
    let c = decode(
        r#"
log_group_name: g
log_stream_name: s
log_retention: 7
tags: {team: obs}
raw_log: true
emf_only: true
region: us-west-2
endpoint: http://127.0.0.1:4566
role_arn: arn:aws:iam::123456789012:role/x
max_retries: 5
no_verify_ssl: true
local_mode: true
request_timeout_seconds: 10
sending_queue: {num_consumers: 3}
retry_on_failure: {enabled: false}
"#,
    )
    .unwrap();
    assert_eq!(c.log_group_name, "g");
    assert_eq!(c.log_retention, 7);
    assert_eq!(c.tags.unwrap()["team"], "obs");
    assert!(c.raw_log && c.emf_only);
    assert_eq!(c.session.region, "us-west-2");
    assert_eq!(c.session.endpoint, "http://127.0.0.1:4566");
    assert_eq!(c.session.max_retries, 5);
    assert_eq!(c.session.request_timeout_seconds, 10);
    assert!(c.session.no_verify_ssl && c.session.local_mode);
    assert_eq!(c.sending_queue.num_consumers, 3);
    assert!(!c.retry_on_failure.enabled);
}

#[test]
fn unknown_keys_are_refused() {
    let err = decode("log_group_name: g\nlog_stream_name: s\nbogus_key: 1\n").unwrap_err();
    assert!(err.contains("bogus_key"), "{err}");
}

#[test]
fn validation_uses_upstreams_messages() {
    assert!(
        decode("log_stream_name: s")
            .unwrap_err()
            .contains("'log_group_name' must be set")
    );
    assert!(
        decode("log_group_name: g")
            .unwrap_err()
            .contains("'log_stream_name' must be set")
    );
    assert!(
        decode("log_group_name: g\nlog_stream_name: s\nlog_retention: 2")
            .unwrap_err()
            .contains("invalid value for retention policy")
    );
    assert!(
        decode("log_group_name: g\nlog_stream_name: s\nemf_only: true")
            .unwrap_err()
            .contains("emf only is true, but raw log is false")
    );
    assert!(
        decode("log_group_name: g\nlog_stream_name: s\ntags: {}")
            .unwrap_err()
            .contains("Please input at least 1 tag")
    );
    assert!(
        decode("log_group_name: g\nlog_stream_name: s\nmax_retries: -1")
            .unwrap_err()
            .contains("max_retries must not be negative")
    );
}

fn logs(records: Vec<(u64, &str)>) -> ExportLogsServiceRequest {
    use pdata::proto::common::v1::{AnyValue, any_value::Value as V};
    use pdata::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records
                    .into_iter()
                    .map(|(t, body)| LogRecord {
                        time_unix_nano: t,
                        body: Some(AnyValue {
                            value: Some(V::StringValue(body.into())),
                        }),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn sender(yaml: &str) -> CwlSender {
    CwlSender::new(
        &ComponentId::parse("awscloudwatchlogs").unwrap(),
        decode(yaml).unwrap(),
    )
}

#[test]
fn raw_emf_bodies_choose_their_stream_and_emf_only_drops_the_rest() {
    let s = sender("log_group_name: g\nlog_stream_name: s\nraw_log: true\nemf_only: true");
    let req = logs(vec![
        (
            2_000_000,
            r#"{"_aws":{"LogGroupName":"emf-group","CloudWatchMetrics":[]},"m":1}"#,
        ),
        (3_000_000, "not emf"),
        (
            4_000_000,
            r#"{"log_group_name":"v0","log_stream_name":"v0s"}"#,
        ),
    ]);
    let (streams, not_emf) = s.events(&req);
    assert_eq!(not_emf, 1);
    let keys: Vec<(&str, &str)> = streams
        .keys()
        .map(|(g, s)| (g.as_str(), s.as_str()))
        .collect();
    assert_eq!(keys, vec![("emf-group", "s"), ("v0", "v0s")]);
    assert_eq!(
        streams[&("emf-group".to_string(), "s".to_string())][0].timestamp_ms,
        2
    );
}

#[test]
fn wrapped_records_go_to_the_configured_stream() {
    let s = sender("log_group_name: g\nlog_stream_name: s");
    let (streams, not_emf) = s.events(&logs(vec![(5_000_000, "hello"), (6_000_000, "world")]));
    assert_eq!(not_emf, 0);
    let events = &streams[&("g".to_string(), "s".to_string())];
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, vec![r#"{"body":"hello"}"#, r#"{"body":"world"}"#]);
}

//! The CloudWatch Logs client against moto with SigV4 verification on: logs land and are read
//! back with boto3, the group is created with its tags and retention, and a wrong secret is
//! refused with a clear, permanent error.

#[path = "support/moto.rs"]
#[allow(dead_code)] // each test crate uses part of the harness
mod moto;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws::cloudwatch_logs::{LogEvent, LogsClient, LogsSettings};
use aws::credentials::{CredentialChain, Credentials};
use aws::http_client::{HttpClient, HttpSettings};
use aws::{AwsSession, ErrorKind, Service};
use moto::{MOTO_REGION, Moto};

fn session(moto: &Moto, secret: &str) -> Arc<AwsSession> {
    let creds = Credentials::new(
        moto.access_key.clone(),
        secret.to_string(),
        None,
        None,
        "test",
    );
    Arc::new(AwsSession::from_parts(
        MOTO_REGION,
        aws::endpoint::parse(&moto.endpoint).unwrap(),
        Service::LOGS,
        CredentialChain::from_static(creds),
        HttpClient::new(&HttpSettings::default()).unwrap(),
        1,
    ))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn logs_land_in_a_created_group_with_tags_and_retention() {
    let moto = Moto::start();
    let client = LogsClient::new(
        session(&moto, &moto.secret_key),
        LogsSettings {
            log_retention: 7,
            tags: BTreeMap::from([("team".to_string(), "observability".to_string())]),
            emf: true,
        },
    );
    let t = now_ms();
    // Out of order on purpose: the client sorts; one empty message is dropped and counted.
    let events = vec![
        LogEvent {
            timestamp_ms: t - 10,
            message: "second".into(),
        },
        LogEvent {
            timestamp_ms: t - 20,
            message: "first".into(),
        },
        LogEvent {
            timestamp_ms: t,
            message: String::new(),
        },
    ];
    let report = client
        .put_log_events("/ferrocol/test", "stream-1", events)
        .await
        .unwrap_or_else(|f| panic!("{f}\n{}", moto.log_text()));
    assert_eq!(report.sent, 2);
    assert_eq!(report.batches, 1);
    assert_eq!(report.dropped.empty, 1);
    assert!(report.created, "the group and stream did not exist");

    let out = moto.peer(&["log-events", "/ferrocol/test", "stream-1"]);
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        got,
        serde_json::json!([
            {"timestamp": t - 20, "message": "first"},
            {"timestamp": t - 10, "message": "second"},
        ])
    );
    let group: serde_json::Value =
        serde_json::from_str(&moto.peer(&["log-group", "/ferrocol/test"])).unwrap();
    assert_eq!(group["retention"], 7);
    assert_eq!(group["tags"]["team"], "observability");

    // A second put to the existing stream needs no creation.
    let report = client
        .put_log_events(
            "/ferrocol/test",
            "stream-1",
            vec![LogEvent {
                timestamp_ms: t + 1,
                message: "third".into(),
            }],
        )
        .await
        .unwrap();
    assert!(!report.created);
    let out = moto.peer(&["log-events", "/ferrocol/test", "stream-1"]);
    assert!(out.contains("\"third\""), "{out}");
}

#[tokio::test]
async fn a_new_stream_in_an_existing_group_is_created() {
    let moto = Moto::start();
    let client = LogsClient::new(session(&moto, &moto.secret_key), LogsSettings::default());
    let t = now_ms();
    let one = |m: &str| {
        vec![LogEvent {
            timestamp_ms: t,
            message: m.into(),
        }]
    };
    client.put_log_events("g", "a", one("in a")).await.unwrap();
    let report = client.put_log_events("g", "b", one("in b")).await.unwrap();
    assert!(report.created);
    assert!(moto.peer(&["log-events", "g", "b"]).contains("in b"));
    // No retention was asked for.
    let group: serde_json::Value = serde_json::from_str(&moto.peer(&["log-group", "g"])).unwrap();
    assert_eq!(group["retention"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_permanently_with_the_services_message() {
    let moto = Moto::start();
    let client = LogsClient::new(session(&moto, "wrong-secret"), LogsSettings::default());
    let failure = client
        .put_log_events(
            "g",
            "s",
            vec![LogEvent {
                timestamp_ms: now_ms(),
                message: "x".into(),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.code, "SignatureDoesNotMatch",
        "{}",
        failure.error
    );
    assert_eq!(failure.error.status, Some(403));
    assert_eq!(failure.error.kind, ErrorKind::Client);
    assert!(!failure.error.is_retryable());
    assert!(
        failure.error.message.contains("signature"),
        "{}",
        failure.error
    );
    assert_eq!(failure.unsent, 1);
    assert_eq!(failure.report.sent, 0);
}

#[tokio::test]
async fn service_errors_carry_code_and_message() {
    let moto = Moto::start();
    let s = session(&moto, &moto.secret_key);
    // A stream in a group that does not exist: moto's ResourceNotFoundException.
    let err = s
        .json_call(
            "Logs_20140328.CreateLogStream",
            br#"{"logGroupName":"missing","logStreamName":"s"}"#.to_vec().into(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(err.kind, ErrorKind::Client);
    assert_eq!(err.status, Some(400));
    assert!(!err.message.is_empty());
}

//! The AWS configuration sources end to end, against moto with SigV4 verification on: `s3:`
//! in both URI forms, `ssm:` (plain, `#json-key`, SecureString), and ADOT's ECS/SSM path,
//! where the task's secret puts an SSM parameter's value into `AOT_CONFIG_CONTENT`.

mod common;

use std::time::{Duration, Instant};

use common::moto::{MOTO_REGION, Moto};
use common::{Collector, free_port, http, run, wait_for_port};

/// The environment a ferrocol child needs to reach this moto with its keys.
fn aws_env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", moto.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret_key.clone()),
        ("AWS_REGION", MOTO_REGION.to_string()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

fn ferrocol(args: &[&str], env: &[(&'static str, String)]) -> (bool, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(args, &env);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SMALL_CONFIG: &str = "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:4999\n\
exporters:\n  debug:\n    verbosity: detailed\n\
service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug]\n";

fn upload(moto: &Moto, bucket: &str, key: &str, text: &str) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    moto.peer(&["put-object", bucket, key, &file.path().to_string_lossy()]);
}

#[test]
fn s3_virtual_hosted_uri_reaches_the_endpoint_from_the_environment() {
    let moto = Moto::start();
    upload(
        &moto,
        "ferrocol-config",
        "conf/otel config.yaml",
        SMALL_CONFIG,
    );
    let uri = format!("s3://ferrocol-config.s3.{MOTO_REGION}.amazonaws.com/conf/otel config.yaml");
    let (ok, stdout, stderr) = ferrocol(&["print-config", "--config", &uri], &aws_env(&moto));
    assert!(ok, "{stderr}\nmoto:\n{}", moto.log_text());
    assert!(stdout.contains("127.0.0.1:4999"), "{stdout}");
    assert!(stdout.contains("detailed"), "{stdout}");
}

#[test]
fn s3_path_style_uri_names_its_endpoint() {
    let moto = Moto::start();
    upload(&moto, "cfg", "otel.yaml", SMALL_CONFIG);
    // No AWS_ENDPOINT_URL: the URI's host is the endpoint.
    let env: Vec<(&'static str, String)> = aws_env(&moto)
        .into_iter()
        .filter(|(k, _)| *k != "AWS_ENDPOINT_URL")
        .collect();
    let uri = format!(
        "s3://127.0.0.1:{}/cfg/otel.yaml?region={MOTO_REGION}",
        moto.port
    );
    let (ok, stdout, stderr) = ferrocol(&["validate", "--config", &uri], &env);
    assert!(ok, "{stdout}{stderr}\nmoto:\n{}", moto.log_text());

    // A missing key is an error naming the URI and the service's answer.
    let missing = format!("s3://127.0.0.1:{}/cfg/nope.yaml", moto.port);
    let (ok, _, stderr) = ferrocol(&["validate", "--config", &missing], &env);
    assert!(!ok);
    assert!(
        stderr.contains("file in S3 failed to fetch uri"),
        "{stderr}"
    );
    assert!(stderr.contains("NoSuchKey"), "{stderr}");

    // A wrong secret is refused by the signature check, and said so.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    wrong.push(("AWS_SECRET_ACCESS_KEY", "wrong".into()));
    let (ok, _, stderr) = ferrocol(&["validate", "--config", &uri], &wrong);
    assert!(!ok);
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
}

#[test]
fn ssm_references_resolve_plain_json_keys_and_secure_strings() {
    let moto = Moto::start();
    moto.peer(&[
        "put-parameter",
        "/ferrocol/endpoint",
        "127.0.0.1:4998",
        "String",
    ]);
    moto.peer(&[
        "put-parameter",
        "/ferrocol/settings",
        r#"{"verbosity":"detailed","retries":3}"#,
        "String",
    ]);
    moto.peer(&[
        "put-parameter",
        "/ferrocol/token",
        "s3cr3t-token",
        "SecureString",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: ${ssm:/ferrocol/endpoint}\n\
         exporters:\n  debug:\n    verbosity: ${ssm:/ferrocol/settings#verbosity}\n\
         \x20 otlp_http:\n    endpoint: http://127.0.0.1:1\n    headers:\n      x-token: \"Bearer ${ssm:/ferrocol/token}\"\n\
         service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug, otlp_http]\n",
    )
    .unwrap();
    let path = path.to_string_lossy().into_owned();
    let (ok, stdout, stderr) = ferrocol(
        &["print-config", "--mode", "unredacted", "--config", &path],
        &aws_env(&moto),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("127.0.0.1:4998"), "{stdout}");
    assert!(stdout.contains("verbosity: detailed"), "{stdout}");
    assert!(
        stdout.contains("Bearer s3cr3t-token"),
        "the SecureString was not decrypted: {stdout}"
    );

    // A missing parameter and a missing JSON key fail with upstream's wording.
    std::fs::write(
        &path,
        "exporters:\n  debug:\n    verbosity: ${ssm:/ferrocol/missing}\n",
    )
    .unwrap();
    let (ok, _, stderr) = ferrocol(&["print-config", "--config", &path], &aws_env(&moto));
    assert!(!ok);
    assert!(
        stderr.contains("error getting parameter: ParameterNotFound"),
        "{stderr}"
    );
    std::fs::write(
        &path,
        "exporters:\n  debug:\n    verbosity: ${ssm:/ferrocol/settings#nope}\n",
    )
    .unwrap();
    let (ok, _, stderr) = ferrocol(&["print-config", "--config", &path], &aws_env(&moto));
    assert!(!ok);
    assert!(
        stderr.contains(r#"key "nope" not found in JSON parameter"#),
        "{stderr}"
    );
}

#[test]
fn a_config_from_ssm_in_aot_config_content_runs() {
    let moto = Moto::start();
    let (http_port, health_port) = (free_port(), free_port());
    // The configuration an ECS task would keep in Parameter Store: OTLP in, CloudWatch Logs out.
    let config = format!(
        "extensions:\n  health_check:\n    endpoint: 127.0.0.1:{health_port}\n\
         receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  awscloudwatchlogs:\n    region: {MOTO_REGION}\n    endpoint: {}\n    log_group_name: /ecs/from-ssm\n    log_stream_name: task-1\n\
         service:\n  extensions: [health_check]\n  telemetry:\n    metrics:\n      level: none\n\
         \x20 pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [awscloudwatchlogs]\n",
        moto.endpoint
    );
    moto.peer(&["put-parameter", "/ecs/otel-config", &config, "String"]);
    // What ECS does with `secrets: [{name: AOT_CONFIG_CONTENT, valueFrom: /ecs/otel-config}]`.
    let content = moto.peer(&["get-parameter", "/ecs/otel-config"]);
    assert_eq!(content, config);

    let env: Vec<(&str, &str)> = vec![
        ("AOT_CONFIG_CONTENT", content.as_str()),
        ("AWS_ACCESS_KEY_ID", moto.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret_key.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    // A --config that would fail proves AOT_CONFIG_CONTENT replaced it.
    let c = Collector::start_in(
        tempfile::tempdir().unwrap(),
        &["--config", "/nonexistent/ferrocol.yaml"],
        &env,
    );
    assert!(
        wait_for_port(http_port, Duration::from_secs(15)),
        "{}",
        c.logs()
    );
    let body = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()).to_string(),
         "body": {"stringValue": "configured from SSM"}}
    ]}]}]})
    .to_string();
    let r = http(
        http_port,
        "POST",
        "/v1/logs",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = moto.peer_output(&["log-events", "/ecs/from-ssm", "task-1"]);
        if out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains("configured from SSM")
        {
            break;
        }
        assert!(Instant::now() < deadline, "no log event\n{}", c.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
}

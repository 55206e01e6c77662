//! The credential and region chains, each source on its own: environment, profile files with
//! `AWS_PROFILE`, web identity (STS in moto), ECS container credentials (a local fake
//! endpoint), EC2 IMDSv2 (a local fake), `role_arn` AssumeRole (STS in moto), and the
//! `NoAwsRegion` error. Moto tells which identity signed (`GetCallerIdentity`) and, with
//! verification on, that the signature is right.
//!
//! Each case runs the session in a child process (this test binary re-run with only the
//! ignored `probe` test) so that it sees exactly the environment the case sets up, and a clean
//! HOME without the machine's `~/.aws`.

#[path = "support/fake_http.rs"]
#[allow(dead_code)]
mod fake_http;
#[path = "support/moto.rs"]
#[allow(dead_code)] // each test crate uses part of the harness
mod moto;

use std::path::Path;
use std::process::Command;

use aws::{AwsSession, AwsSessionConfig, Service};
use fake_http::FakeHttp;
use moto::Moto;
use serde_json::{Value, json};

/// Run only as a child of the cases below: builds a session from `FERROCOL_PROBE_CONFIG`
/// (an `AwsSessionConfig` as JSON) and calls STS GetCallerIdentity with it.
#[test]
#[ignore = "a helper the other tests run in a child process"]
fn probe() {
    let cfg: AwsSessionConfig =
        serde_json::from_str(&std::env::var("FERROCOL_PROBE_CONFIG").expect("probe config"))
            .expect("probe config JSON");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let session = match AwsSession::new(&cfg, Service::STS).await {
            Ok(s) => s,
            Err(e) => return json!({"code": e.code, "error": e.to_string()}),
        };
        let reply = session
            .call(
                http::Method::POST,
                "/",
                "Action=GetCallerIdentity&Version=2011-06-15".into(),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        match reply {
            Ok(r) => {
                let text = String::from_utf8_lossy(&r.body).into_owned();
                let arn = text
                    .split("<Arn>")
                    .nth(1)
                    .and_then(|s| s.split("</Arn>").next())
                    .unwrap_or_default()
                    .to_string();
                json!({"region": session.region(), "arn": arn})
            }
            Err(e) => json!({"region": session.region(), "code": e.code, "error": e.to_string()}),
        }
    });
    println!("PROBE {out}");
}

fn run_probe(cfg: Value, env: &[(&str, String)], home: &Path) -> Value {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "probe",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("FERROCOL_PROBE_CONFIG", cfg.to_string())
        // No instance metadata unless a case fakes it.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("PROBE ").map(|(_, json)| json))
        .unwrap_or_else(|| {
            panic!(
                "probe printed nothing: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

fn user_arn(v: &Value) -> String {
    assert!(v.get("error").is_none(), "probe failed: {v}");
    v["arn"].as_str().unwrap().to_string()
}

#[test]
fn environment_keys_sign_and_the_endpoint_comes_from_aws_endpoint_url() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", moto.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret_key.clone()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
    ];
    let v = run_probe(json!({}), &env, home.path());
    assert!(user_arn(&v).ends_with(":user/ferrocol"), "{v}");
    assert_eq!(v["region"], "us-east-1");

    // The same with a wrong secret: refused by the signature check.
    let env = [
        ("AWS_ACCESS_KEY_ID", moto.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", "wrong".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
    ];
    let v = run_probe(json!({"endpoint": moto.endpoint}), &env, home.path());
    assert_eq!(v["code"], "SignatureDoesNotMatch", "{v}");
}

#[test]
fn a_named_profile_gives_keys_and_region() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let credentials = home.path().join("credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-west-1\n\n[profile dev]\nregion = eu-west-3\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n\n[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            moto.access_key, moto.secret_key
        ),
    )
    .unwrap();
    let env = [
        ("AWS_PROFILE", "dev".to_string()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
    ];
    let v = run_probe(
        json!({"endpoint": moto.endpoint, "local_mode": true}),
        &env,
        home.path(),
    );
    assert!(user_arn(&v).ends_with(":user/ferrocol"), "{v}");
    assert_eq!(v["region"], "eu-west-3");
}

#[test]
fn web_identity_assumes_the_role_through_sts() {
    // AssumeRoleWithWebIdentity is an unsigned call, so this moto does not verify signatures;
    // the caller identity shows the credentials came from the assumed role.
    let moto = Moto::start_without_auth();
    let home = tempfile::tempdir().unwrap();
    let token = home.path().join("token");
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl").unwrap();
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/irsa-role".to_string(),
        ),
        ("AWS_ROLE_SESSION_NAME", "ferrocol-irsa".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
    ];
    let v = run_probe(json!({"endpoint": moto.endpoint}), &env, home.path());
    let arn = user_arn(&v);
    assert!(arn.contains(":assumed-role/irsa-role/ferrocol-irsa"), "{v}");
}

/// The credentials JSON of the ECS and EC2 endpoints.
fn creds_json(moto: &Moto) -> String {
    json!({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": moto.access_key,
        "SecretAccessKey": moto.secret_key,
        "Token": "",
        "LastUpdated": "2026-01-01T00:00:00Z",
        "Expiration": "2999-01-01T00:00:00Z",
        "RoleArn": "arn:aws:iam::123456789012:role/task",
    })
    .to_string()
}

#[test]
fn ecs_container_credentials_come_from_the_full_uri_with_the_authorization_token() {
    let moto = Moto::start();
    let body = creds_json(&moto);
    // A fake of the ECS agent's credentials endpoint.
    let ecs = FakeHttp::start(move |req| {
        if req.path == "/v2/credentials/task" && req.header("authorization") == Some("ecs-secret") {
            (200, body.clone())
        } else {
            (401, "{}".into())
        }
    });
    let home = tempfile::tempdir().unwrap();
    let env = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ecs.url("/v2/credentials/task"),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "ecs-secret".to_string(),
        ),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    let v = run_probe(json!({"endpoint": moto.endpoint}), &env, home.path());
    assert!(user_arn(&v).ends_with(":user/ferrocol"), "{v}");
    assert!(!ecs.requests().is_empty());
}

#[test]
fn imds_v2_gives_region_and_credentials_with_a_session_token() {
    let moto = Moto::start();
    let body = creds_json(&moto);
    // A fake of EC2 instance metadata that, like IMDSv2 with tokens required, answers GETs
    // only with the token it handed out.
    let imds = FakeHttp::start(move |req| {
        const TOKEN: &str = "imds-token-123";
        if req.method == "PUT" && req.path == "/latest/api/token" {
            return match req.header("x-aws-ec2-metadata-token-ttl-seconds") {
                Some(_) => (200, TOKEN.into()),
                None => (400, String::new()),
            };
        }
        if req.header("x-aws-ec2-metadata-token") != Some(TOKEN) {
            return (401, String::new());
        }
        match req.path.as_str() {
            "/latest/meta-data/placement/region" => (200, "ap-southeast-2".into()),
            "/latest/meta-data/iam/security-credentials/" => (200, "instance-role".into()),
            "/latest/meta-data/iam/security-credentials/instance-role" => (200, body.clone()),
            _ => (404, String::new()),
        }
    });
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_EC2_METADATA_DISABLED", "false".to_string()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url("")),
    ];
    let v = run_probe(json!({"endpoint": moto.endpoint}), &env, home.path());
    assert!(
        v.get("error").is_none(),
        "{v}\nmetadata requests: {:?}",
        imds.requests()
    );
    assert!(user_arn(&v).ends_with(":user/ferrocol"), "{v}");
    assert_eq!(v["region"], "ap-southeast-2");
    let seen = imds.requests();
    assert!(seen.iter().any(|r| r.method == "PUT"), "{seen:?}");
    assert!(
        seen.iter()
            .filter(|r| r.method == "GET")
            .all(|r| r.header("x-aws-ec2-metadata-token").is_some())
    );
}

#[test]
fn role_arn_assumes_the_role_with_the_chains_credentials() {
    let moto = Moto::start();
    let role = moto.peer(&["role", "ferrocol-role"]).trim().to_string();
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", moto.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret_key.clone()),
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
    ];
    let v = run_probe(
        json!({"endpoint": moto.endpoint, "region": "us-east-1", "role_arn": role}),
        &env,
        home.path(),
    );
    assert!(user_arn(&v).contains(":assumed-role/ferrocol-role/"), "{v}");
}

#[test]
fn no_region_anywhere_is_upstreams_startup_error() {
    let home = tempfile::tempdir().unwrap();
    let v = run_probe(json!({"local_mode": true}), &[], home.path());
    assert_eq!(v["code"], "NoAwsRegion", "{v}");
    assert_eq!(
        v["error"],
        "NoAwsRegion: Cannot fetch region variable from config file, environment variables and ec2 metadata."
    );
}

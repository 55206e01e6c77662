//! What the X-Ray end-to-end tests share beyond `common` (and its moto harness): boto3 queries
//! of moto's X-Ray through `tests/python/xray_query.py`.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::common::moto::{Moto, moto_python, moto_repo_root};

/// Runs `xray_query.py <endpoint> <args>` with the moto's keys; returns stdout.
pub fn xray_query(moto: &Moto, args: &[&str]) -> String {
    let mut cmd = Command::new(moto_python());
    cmd.arg(moto_repo_root().join("tests/python/xray_query.py"))
        .arg(&moto.endpoint)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run xray_query.py");
    assert!(
        out.status.success(),
        "xray_query.py {args:?} failed: {}\n{}\nmoto log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        moto.log_text()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// BatchGetTraces: `[{"Id": trace id, "Segments": [parsed documents]}]`.
pub fn batch_get_traces(moto: &Moto, trace_ids: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["batch-get-traces"];
    args.extend_from_slice(trace_ids);
    serde_json::from_str(&xray_query(moto, &args)).expect("batch-get-traces JSON")
}

/// The environment a collector needs to call this moto with its IAM user.
pub fn collector_env(moto: &Moto) -> Vec<(String, String)> {
    moto.env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Polls BatchGetTraces until the trace has `n` segments.
pub fn wait_for_segments(moto: &Moto, trace_id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let traces = batch_get_traces(moto, &[trace_id]);
        let segments: Vec<Value> = traces
            .first()
            .and_then(|t| t["Segments"].as_array().cloned())
            .unwrap_or_default();
        if segments.len() >= n || Instant::now() > deadline {
            return segments;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

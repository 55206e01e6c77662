//! `ferrocol check-metrics` on a good and a bad exposition.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn check(args: &[&str], body: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocol"))
        .arg("check-metrics")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrocol");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn good_text_exposition_passes() {
    let out = check(
        &[],
        "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 1027 1395066363000\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn good_openmetrics_exposition_passes() {
    let out = check(
        &["--openmetrics"],
        "# TYPE a counter\n# HELP a help\na_total 0 123 # {a=\"b\"} 0.5\n# EOF\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_exposition_fails_with_line_numbers() {
    let out = check(
        &["--openmetrics"],
        "# TYPE a counter\na_total -1\n# TYPE b gauge\nb 1 z\n# EOF\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2:"), "{err}");
    assert!(err.contains("line 4:"), "{err}");

    let out = check(&[], "a{b=\"c\" 1\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1:"));

    // OpenMetrics requires `# EOF`.
    let out = check(&["--openmetrics"], "a 1\n");
    assert!(!out.status.success());
}

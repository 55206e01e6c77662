// A moto server (the AWS API emulator from the test venv) on 127.0.0.1 for ferrocol's AWS
// tests, with SigV4 verification switched on and an IAM user allowed everything, so that a
// wrong signature is refused as AWS would refuse it. Shared by the `aws` crate's tests and
// the binary's end-to-end tests (`crates/ferrocol/tests/common/moto.rs` includes this file).
//
// No moto, no test: a missing venv fails the test (it is installed by `scripts/test.sh`).

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The region every moto test uses.
pub const MOTO_REGION: &str = "us-east-1";

/// A running moto server; stopped (by its own process id) when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    /// Keys of the IAM user created in moto (with verification off: any non-empty key works).
    pub access_key: String,
    pub secret_key: String,
    log: tempfile::NamedTempFile,
}

/// The repository root (both crates that use this sit two levels below it).
pub fn moto_repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test venv's Python (`FERROCOL_TEST_PYTHON`, else `.venv-test/bin/python`).
pub fn moto_python() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = moto_repo_root().join(".venv-test/bin/python");
    assert!(
        venv.exists(),
        "FERROCOL_TEST_PYTHON is not set and .venv-test does not exist: run ./scripts/test.sh, which installs moto"
    );
    venv
}

impl Moto {
    /// moto with SigV4 verification on and an allow-all IAM user whose keys are in
    /// `access_key`/`secret_key`.
    pub fn start() -> Moto {
        let mut moto = Moto::start_without_auth();
        let out = moto.peer(&["iam-user"]);
        let keys: serde_json::Value = serde_json::from_str(out.trim()).expect("iam-user output");
        moto.access_key = keys["access_key"].as_str().expect("access_key").to_string();
        moto.secret_key = keys["secret_key"].as_str().expect("secret_key").to_string();
        moto
    }

    /// moto without signature verification (any signature passes; `GetCallerIdentity` still
    /// tells which key signed). For credential-chain tests.
    pub fn start_without_auth() -> Moto {
        let log = tempfile::NamedTempFile::new().expect("moto log file");
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free port");
            let child = Command::new(moto_python())
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("moto log"))
                .stderr(log.reopen().expect("moto log"))
                .spawn()
                .expect("start moto");
            let mut moto = Moto {
                child,
                port,
                endpoint: format!("http://127.0.0.1:{port}"),
                access_key: "AKIAFERROCOLTEST".into(),
                secret_key: "not-checked".into(),
                log: tempfile::NamedTempFile::new().expect("log"),
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = moto.child.try_wait() {
                    last_err = format!("moto exited: {status}");
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    moto.log = log;
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // Lost the port to someone else, or too slow: try another.
            let _ = moto.child.kill();
            let _ = moto.child.wait();
        }
        panic!(
            "moto did not start: {last_err}\n{}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        );
    }

    /// The environment a client of this moto needs: its keys, region, and endpoint.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_REGION", MOTO_REGION.into()),
            ("AWS_DEFAULT_REGION", MOTO_REGION.into()),
        ]
    }

    /// Runs `tests/python/aws_peer.py <endpoint> <args>` (boto3) with this moto's keys and
    /// returns its stdout; panics with its output when it fails.
    pub fn peer(&self, args: &[&str]) -> String {
        let out = self.peer_output(args);
        assert!(
            out.status.success(),
            "aws_peer.py {args:?} failed: {}\n{}\nmoto log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_text()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn peer_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(moto_python());
        cmd.arg(moto_repo_root().join("tests/python/aws_peer.py"))
            .arg(&self.endpoint)
            .args(args)
            .stdin(Stdio::null())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd.output().expect("run aws_peer.py")
    }

    /// What moto logged (one line per request), for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

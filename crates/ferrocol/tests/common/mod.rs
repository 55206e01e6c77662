//! Shared helpers for the end-to-end tests: they run the real `ferrocol` binary on 127.0.0.1 and
//! talk to it with real clients (the OpenTelemetry Python SDK, plain HTTP).
#![allow(dead_code)]

pub mod moto;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: the release build `scripts/test.sh` makes (`FERROCOL_BIN`), or the
/// one cargo built for this test run.
pub fn bin() -> PathBuf {
    std::env::var_os("FERROCOL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ferrocol")))
}

/// The Python interpreter of the test venv, with the OpenTelemetry SDK installed. Tests that need
/// it fail (not skip) without it, so CI cannot pass while silently not testing.
pub fn python() -> PathBuf {
    match std::env::var_os("FERROCOL_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = repo_root().join(".venv-test/bin/python");
            assert!(
                venv.exists(),
                "FERROCOL_TEST_PYTHON is not set and .venv-test does not exist: run ./scripts/test.sh, which installs the Python peers"
            );
            venv
        }
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// A port free at the time of the call.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A running collector; killed when dropped.
pub struct Collector {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

impl Collector {
    /// Starts `ferrocol --config <file with yaml>`.
    pub fn start(yaml: &str) -> Collector {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, yaml).expect("write config");
        let config = config.to_string_lossy().into_owned();
        Self::start_in(dir, &["--config", &config], &[])
    }

    /// Starts the binary with arguments and extra environment, logging to a file.
    pub fn start_in(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Collector {
        let log = dir.path().join("collector.log");
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_remove("AOT_CONFIG_CONTENT")
            .stdout(file.try_clone().expect("dup"))
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn ferrocol");
        Collector {
            child: Some(child),
            dir,
            log,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Everything the collector logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until a log line contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.logs().contains(needle) {
                return true;
            }
            if self.is_dead() {
                panic!(
                    "collector exited before logging {needle:?}:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }

    /// Waits for "Everything is ready", failing with the log when it does not come.
    pub fn wait_ready(&self) {
        assert!(
            self.wait_for_log("Everything is ready", Duration::from_secs(20)),
            "collector did not become ready:\n{}",
            self.logs()
        );
    }

    /// True once the process has exited (a zombie or gone). Read from /proc so that `&self`
    /// suffices while the test holds the collector.
    pub fn is_dead(&self) -> bool {
        let Some(child) = self.child.as_ref() else {
            return true;
        };
        match std::fs::read_to_string(format!("/proc/{}/stat", child.id())) {
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                .is_some_and(|state| state == "Z"),
            Err(_) => true,
        }
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM, then waits for the process to exit.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("collector did not stop within 30 s:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs the binary to completion (for `validate`, `components`, ...).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).env_remove("AOT_CONFIG_CONTENT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run ferrocol")
}

/// A minimal HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`), read to the end.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    // The server may answer and close before reading an oversized body; that is fine.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("non-utf8 head"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).ok()?.trim(), 16).ok()?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// Scrapes the self-metrics endpoint and returns the value of the first series of `name` whose
/// labels include all of `labels` (`key="value"` pairs).
pub fn metric(port: u16, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = http(port, "GET", "/metrics", &[], b"").ok()?.text();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Runs a Python script from tests/python with the test venv's interpreter.
pub fn python_script(script: &str, args: &[&str]) -> Output {
    let out = Command::new(python())
        .arg(repo_root().join("tests/python").join(script))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{script} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Reads a recording written by sdk_client.py: (signal code, request bytes) in send order.
pub fn read_recording(path: &Path) -> Vec<(char, Vec<u8>)> {
    let data = std::fs::read(path).expect("recording");
    let mut out = Vec::new();
    let mut b = &data[..];
    while !b.is_empty() {
        let sig = b[0] as char;
        let len = u32::from_be_bytes(b[1..5].try_into().expect("4 bytes")) as usize;
        out.push((sig, b[5..5 + len].to_vec()));
        b = &b[5 + len..];
    }
    out
}

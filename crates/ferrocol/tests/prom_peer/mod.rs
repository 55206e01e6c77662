//! A Debian Prometheus 2.42 server for the end-to-end tests: started on a free loopback port with
//! the remote-write receiver and native histograms on, a data directory that survives restarts,
//! and helpers to query it. Fails (does not skip) when the binary is missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, free_port};

pub fn prometheus_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_TEST_PROMETHEUS") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("prometheus"))
            .find(|p| p.is_file())
    });
    found.expect(
        "the `prometheus` binary is needed (Debian package `prometheus`, or set FERROCOL_TEST_PROMETHEUS)",
    )
}

/// A Prometheus server on 127.0.0.1 with a data directory that outlives restarts.
pub struct Prometheus {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    /// Extra top-level YAML of prometheus.yml (scrape_configs).
    extra: String,
}

impl Prometheus {
    pub fn start(dir: &Path) -> Prometheus {
        Self::start_with(dir, "")
    }

    /// Starts with `extra` appended to prometheus.yml (e.g. `scrape_configs: [...]`).
    pub fn start_with(dir: &Path, extra: &str) -> Prometheus {
        let mut p = Prometheus {
            child: None,
            port: free_port(),
            dir: dir.to_path_buf(),
            extra: extra.to_string(),
        };
        p.restart();
        p
    }

    /// Starts (again) on the same port and data directory.
    pub fn restart(&mut self) {
        std::fs::create_dir_all(self.dir.join("data")).unwrap();
        let config = self.dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!("global: {{scrape_interval: 1m}}\n{}\n", self.extra),
        )
        .unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("prometheus.log"))
            .unwrap();
        let child = Command::new(prometheus_bin())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                self.dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--web.enable-remote-write-receiver")
            .arg("--enable-feature=native-histograms")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = common::http(self.port, "GET", "/-/ready", &[], b"")
                && r.status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus did not become ready:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let _ = c.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    pub fn write_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/write", self.port)
    }

    /// The result vector of an instant query.
    pub fn query(&self, q: &str) -> Vec<serde_json::Value> {
        let path = format!("/api/v1/query?query={}", urlencode(q));
        let r = common::http(self.port, "GET", &path, &[], b"").expect("query prometheus");
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(v["status"], "success", "{q}: {v}");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// The single float value of `q`, once Prometheus has it (None after 20 s).
    pub fn value(&self, q: &str) -> Option<f64> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = self.query(q);
            if let Some(first) = r.first() {
                assert_eq!(r.len(), 1, "{q} matched several series: {r:?}");
                return first["value"][1].as_str().and_then(|s| s.parse().ok());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

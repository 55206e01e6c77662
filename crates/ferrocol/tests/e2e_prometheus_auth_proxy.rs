//! The `prometheus` receiver scraping an HTTPS target that wants an OAuth 2.0 token, through a
//! real HTTP proxy: Debian's `tinyproxy` (with Basic proxy authentication) on 127.0.0.1, which
//! the scrape crosses with `CONNECT`. The target and its token endpoint are a strict fake in
//! `tests/python/oauth_tls_target.py` (no real OAuth 2.0 server runs here). What ferrocol
//! scraped is read back from its `prometheus` exporter.
//!
//! Needs `tinyproxy` on PATH (or `FERROCOL_TEST_TINYPROXY`): the test fails, not skips, without
//! it; `scripts/test.sh` installs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Collector, free_port, metric, wait_for_port};

/// A peer process killed when dropped.
struct Peer {
    child: Child,
    log: PathBuf,
}

impl Peer {
    fn spawn(name: &str, dir: &Path, cmd: &mut Command) -> Peer {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Peer { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tinyproxy_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_TEST_TINYPROXY") {
        return p.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("tinyproxy"))
        .find(|p| p.is_file())
        .expect(
            "tinyproxy is needed (Debian package `tinyproxy`, or set FERROCOL_TEST_TINYPROXY); scripts/test.sh installs it",
        )
}

/// Polls until `f` gives a value, or panics with `context()` after 30 s.
fn eventually<T>(what: &str, context: impl Fn() -> String, f: impl Fn() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn oauth2_https_target_scraped_through_tinyproxy() {
    let dir = tempfile::tempdir().unwrap();
    let (target, token, proxy, exporter, metrics) = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    );

    let fake = Peer::spawn(
        "oauth_tls_target",
        dir.path(),
        Command::new(common::python())
            .arg(common::repo_root().join("tests/python/oauth_tls_target.py"))
            .arg(dir.path())
            .args([
                &target.to_string(),
                &token.to_string(),
                "scraper",
                "s3cr3t",
                "metrics.read",
            ]),
    );
    let conf = dir.path().join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {proxy}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nBasicAuth proxyuser proxypw\nLogLevel Info\n"
        ),
    )
    .unwrap();
    let tinyproxy = Peer::spawn(
        "tinyproxy",
        dir.path(),
        Command::new(tinyproxy_binary())
            .arg("-d")
            .arg("-c")
            .arg(&conf),
    );
    let ready = dir.path().join("ready");
    eventually(
        "the fake target",
        || fake.log(),
        || ready.exists().then_some(()),
    );
    assert!(
        wait_for_port(proxy, Duration::from_secs(10)),
        "tinyproxy did not start:\n{}",
        tinyproxy.log()
    );

    let ca = dir.path().join("ca.pem");
    let yaml = format!(
        r#"
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: secured
          scrape_interval: 1s
          scheme: https
          proxy_url: http://proxyuser:proxypw@127.0.0.1:{proxy}
          tls_config: {{ca_file: {ca}}}
          oauth2:
            client_id: scraper
            client_secret: s3cr3t
            scopes: [metrics.read]
            token_url: http://127.0.0.1:{token}/token
          static_configs: [{{targets: ['127.0.0.1:{target}']}}]
        - job_name: wrong_secret
          scrape_interval: 1s
          scheme: https
          proxy_url: http://proxyuser:proxypw@127.0.0.1:{proxy}
          tls_config: {{ca_file: {ca}}}
          oauth2:
            client_id: scraper
            client_secret: wrong
            scopes: [metrics.read]
            token_url: http://127.0.0.1:{token}/token
          static_configs: [{{targets: ['localhost:{target}']}}]
exporters:
  prometheus:
    endpoint: 127.0.0.1:{exporter}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [prometheus]
"#,
        ca = ca.display()
    );
    let c = Collector::start(&yaml);
    c.wait_ready();
    let context = || {
        format!(
            "exposition:\n{}\ncollector:\n{}\ntinyproxy:\n{}\nfake:\n{}",
            common::http(exporter, "GET", "/metrics", &[], b"")
                .map(|r| r.text())
                .unwrap_or_default(),
            c.logs(),
            tinyproxy.log(),
            fake.log()
        )
    };

    // The target answered: through the tunnel, over TLS verified with the CA, with the token.
    let value = eventually("secured_metric", context, || {
        metric(exporter, "secured_metric", &[("job", "secured")])
    });
    assert_eq!(value, 42.0);
    let up = eventually("up of the secured job", context, || {
        metric(exporter, "up", &[("job", "secured")])
    });
    assert_eq!(up, 1.0, "{}", context());
    assert!(
        tinyproxy
            .log()
            .contains(&format!("CONNECT 127.0.0.1:{target}")),
        "{}",
        context()
    );
    // The job whose token request is refused is down.
    let down = eventually("up of the wrong_secret job", context, || {
        metric(exporter, "up", &[("job", "wrong_secret")])
    });
    assert_eq!(down, 0.0, "{}", context());
    assert!(
        c.logs().contains(&format!(
            "oauth2: cannot fetch token from http://127.0.0.1:{token}/token: 401 Unauthorized"
        )),
        "{}",
        context()
    );
    // Several scrapes of the secured job used one token (valid for an hour): the fake issued
    // one token to the right credentials, however many scrapes it served.
    let scrapes = dir.path().join("scrapes.log");
    let served = eventually("three scrapes", context, || {
        let s = std::fs::read_to_string(&scrapes).unwrap_or_default();
        (s.lines().count() >= 3).then_some(s)
    });
    assert!(served.lines().all(|l| l == "Bearer tok-1"), "{served}");
    let tokens = std::fs::read_to_string(dir.path().join("tokens.log")).unwrap();
    assert!(!tokens.contains("form=False"), "{tokens}");
    assert_eq!(
        tokens
            .lines()
            .filter(|l| *l == "form=True creds=True")
            .count(),
        1,
        "{tokens}"
    );
}

//! Scrape tests: the per-scrape processing (labels, limits, staleness, synthetic series), the
//! HTTP side against a loopback test server, and whole pools through the manager.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;

use super::append::{AppendSettings, ScrapeInput, SeriesState};
use super::batch::{Appender, ScrapeBatch, TargetInfo, is_stale_nan};
use super::http::{Buffers, HttpScraper};
use crate::config::{PromConfig, ScrapeJob};
use crate::discovery::LabelSet;
use crate::exposition::Format;

fn ls(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn target() -> Arc<TargetInfo> {
    Arc::new(TargetInfo {
        job: "node".into(),
        labels: ls(&[("instance", "h:1"), ("job", "node")]),
        discovered_labels: ls(&[("__address__", "h:1")]),
        url: "http://h:1/metrics".into(),
    })
}

fn settings() -> AppendSettings {
    AppendSettings {
        honor_timestamps: true,
        ..AppendSettings::default()
    }
}

fn scrape(
    state: &mut SeriesState,
    s: &AppendSettings,
    body: &str,
    ts: i64,
) -> (ScrapeBatch, super::AppendReport) {
    state.append(
        &target(),
        s,
        ScrapeInput::Body {
            text: body,
            format: Format::Text004,
            body_size: body.len(),
        },
        ts,
        || 0.25,
    )
}

/// `name{labels} value` lines of a batch, labels sorted, for comparisons.
fn lines(batch: &ScrapeBatch) -> Vec<String> {
    batch
        .samples
        .iter()
        .map(|s| {
            let labels: Vec<String> = s
                .labels
                .iter()
                .filter(|(n, _)| n != "__name__")
                .map(|(n, v)| format!("{n}={v:?}"))
                .collect();
            let value = if is_stale_nan(s.value) {
                "STALE".to_string()
            } else {
                s.value.to_string()
            };
            format!(
                "{}{{{}}} {value} @{}",
                s.name(),
                labels.join(","),
                s.timestamp_ms
            )
        })
        .collect()
}

fn synthetic(batch: &ScrapeBatch, name: &str) -> f64 {
    batch
        .samples
        .iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .value
}

#[test]
fn samples_get_target_labels_and_synthetic_series() {
    let mut st = SeriesState::new();
    let body = "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"1\"} 3\nb 2 1000\n";
    let (batch, report) = scrape(&mut st, &settings(), body, 5000);
    assert_eq!(report.error, None);
    assert_eq!(
        lines(&batch),
        [
            r#"a_total{instance="h:1",job="node",x="1"} 3 @5000"#,
            r#"b{instance="h:1",job="node"} 2 @1000"#,
            r#"up{instance="h:1",job="node"} 1 @5000"#,
            r#"scrape_duration_seconds{instance="h:1",job="node"} 0.25 @5000"#,
            r#"scrape_samples_scraped{instance="h:1",job="node"} 2 @5000"#,
            r#"scrape_samples_post_metric_relabeling{instance="h:1",job="node"} 2 @5000"#,
            r#"scrape_series_added{instance="h:1",job="node"} 2 @5000"#,
        ]
    );
    let meta = &batch.metadata["a_total"];
    assert_eq!(meta.metric_type, super::MetricType::Counter);
    assert_eq!(meta.help, "Things.");
    assert!(!batch.metadata.contains_key("b"));
    // Second scrape: nothing new.
    let (batch, _) = scrape(&mut st, &settings(), body, 6000);
    assert_eq!(synthetic(&batch, "scrape_series_added"), 0.0);
    // honor_timestamps: false uses the scrape's time.
    let s = AppendSettings::default();
    let (batch, _) = scrape(&mut SeriesState::new(), &s, body, 7000);
    assert!(lines(&batch)[1].ends_with("@7000"));
}

#[test]
fn honor_labels_decides_clashes() {
    let body = "m{job=\"original\",instance=\"foo\",exported_job=\"x\"} 1\n";
    let (batch, _) = scrape(&mut SeriesState::new(), &settings(), body, 1);
    assert_eq!(
        lines(&batch)[0],
        r#"m{exported_exported_job="original",exported_instance="foo",exported_job="x",instance="h:1",job="node"} 1 @1"#
    );
    let honor = AppendSettings {
        honor_labels: true,
        ..settings()
    };
    let (batch, _) = scrape(&mut SeriesState::new(), &honor, body, 1);
    assert_eq!(
        lines(&batch)[0],
        r#"m{exported_job="x",instance="foo",job="original"} 1 @1"#
    );
    // Empty label values are absent, so they do not clash.
    let (batch, _) = scrape(&mut SeriesState::new(), &settings(), "m{job=\"\"} 1\n", 1);
    assert_eq!(lines(&batch)[0], r#"m{instance="h:1",job="node"} 1 @1"#);
}

fn relabel(yaml: &str) -> Arc<[crate::relabel::RelabelConfig]> {
    let node = confmap::parse_yaml(yaml).unwrap().unwrap();
    let v: Vec<crate::relabel::RelabelConfig> = confmap::decode(&node).unwrap();
    v.into()
}

#[test]
fn metric_relabelling_applies_to_samples_not_synthetics() {
    let s = AppendSettings {
        metric_relabel_configs: relabel(
            "- {action: drop, source_labels: [__name__], regex: 'drop_me|up'}\n\
             - {target_label: job, replacement: renamed}\n",
        ),
        ..settings()
    };
    let body = "keep 1\ndrop_me 2\nup 3\n";
    let (batch, report) = scrape(&mut SeriesState::new(), &s, body, 1);
    assert_eq!(report.samples_scraped, 3);
    assert_eq!(report.samples_post_relabel, 1);
    let l = lines(&batch);
    assert_eq!(l[0], r#"keep{instance="h:1",job="renamed"} 1 @1"#);
    assert_eq!(
        l[1], r#"up{instance="h:1",job="node"} 1 @1"#,
        "synthetic up untouched"
    );
    assert_eq!(
        synthetic(&batch, "scrape_samples_post_metric_relabeling"),
        1.0
    );
}

#[test]
fn each_limit_fails_the_whole_scrape() {
    let body = "lim{a=\"1\",b=\"2\",c=\"3\"} 1\nother 2\n";
    let cases = [
        (
            AppendSettings {
                label_limit: 4,
                ..settings()
            },
            "label_limit exceeded (metric: lim, number of labels: 6, limit: 4)",
        ),
        (
            AppendSettings {
                label_name_length_limit: 3,
                ..settings()
            },
            "label_name_length_limit exceeded (metric: lim, label name: __name__, length: 8, limit: 3)",
        ),
        (
            AppendSettings {
                label_value_length_limit: 2,
                ..settings()
            },
            r#"label_value_length_limit exceeded (metric: lim, label name: __name__, value: "lim", length: 3, limit: 2)"#,
        ),
        (
            AppendSettings {
                sample_limit: 1,
                ..settings()
            },
            "sample limit exceeded",
        ),
    ];
    for (s, want) in cases {
        let mut st = SeriesState::new();
        // A good scrape first, so that the failure has series to mark stale.
        let (_, r) = scrape(&mut st, &AppendSettings { ..settings() }, "prev 1\n", 1);
        assert_eq!(r.error, None);
        let (batch, report) = scrape(&mut st, &s, body, 2);
        assert_eq!(report.error.as_deref(), Some(want));
        let l = lines(&batch);
        assert_eq!(
            l[0], r#"prev{instance="h:1",job="node"} STALE @2"#,
            "{want}"
        );
        assert_eq!(synthetic(&batch, "up"), 0.0);
        assert!(batch.samples.iter().all(|s| s.name() != "lim"));
        assert_eq!(synthetic(&batch, "scrape_series_added"), 0.0);
    }
    // The sample limit still counts every scraped sample.
    let mut st = SeriesState::new();
    let s = AppendSettings {
        sample_limit: 1,
        ..settings()
    };
    let (batch, _) = scrape(&mut st, &s, "a 1\nb 2\nc 3\n", 1);
    assert_eq!(synthetic(&batch, "scrape_samples_scraped"), 3.0);
    // Within the limit: fine.
    let s = AppendSettings {
        sample_limit: 3,
        label_limit: 6,
        label_name_length_limit: 8,
        label_value_length_limit: 5,
        ..settings()
    };
    let (_, r) = scrape(&mut SeriesState::new(), &s, body, 1);
    assert_eq!(r.error, None);
}

#[test]
fn staleness_for_series_that_disappear() {
    let mut st = SeriesState::new();
    let s = settings();
    scrape(
        &mut st,
        &s,
        "g{s=\"stays\"} 1\ng{s=\"goes_away\"} 2\nts_only 5 100\n",
        1000,
    );
    let (batch, report) = scrape(&mut st, &s, "g{s=\"stays\"} 1\n", 2000);
    assert_eq!(report.stale_markers, 1);
    let l = lines(&batch);
    assert_eq!(l[0], r#"g{instance="h:1",job="node",s="stays"} 1 @2000"#);
    assert_eq!(
        l[1],
        r#"g{instance="h:1",job="node",s="goes_away"} STALE @2000"#
    );
    // Exactly Prometheus' StaleNaN bits; the series with its own timestamp gets none.
    let marker = &batch.samples[1];
    assert_eq!(marker.value.to_bits(), super::batch::STALE_NAN_BITS);
    assert!(batch.samples.iter().all(|s| s.name() != "ts_only"));
    // With track_timestamps_staleness it does.
    let tracked = AppendSettings {
        track_timestamps_staleness: true,
        ..settings()
    };
    let mut st = SeriesState::new();
    scrape(&mut st, &tracked, "ts_only 5 100\n", 1000);
    let (batch, _) = scrape(&mut st, &tracked, "", 2000);
    assert_eq!(
        lines(&batch)[0],
        r#"ts_only{instance="h:1",job="node"} STALE @2000"#
    );
}

#[test]
fn failed_scrape_marks_everything_stale_and_target_removal_marks_synthetics() {
    let mut st = SeriesState::new();
    let s = settings();
    scrape(&mut st, &s, "a 1\nb 2\n", 1000);
    let (batch, _) = st.append(&target(), &s, ScrapeInput::Failed, 2000, || 0.5);
    assert_eq!(
        lines(&batch),
        [
            r#"a{instance="h:1",job="node"} STALE @2000"#,
            r#"b{instance="h:1",job="node"} STALE @2000"#,
            r#"up{instance="h:1",job="node"} 0 @2000"#,
            r#"scrape_duration_seconds{instance="h:1",job="node"} 0.5 @2000"#,
            r#"scrape_samples_scraped{instance="h:1",job="node"} 0 @2000"#,
            r#"scrape_samples_post_metric_relabeling{instance="h:1",job="node"} 0 @2000"#,
            r#"scrape_series_added{instance="h:1",job="node"} 0 @2000"#,
        ]
    );
    // A parse error is a failed scrape too; series of the failed scrape never existed.
    scrape(&mut st, &s, "a 1\n", 3000);
    let (batch, report) = scrape(&mut st, &s, "a 1\nnew 2\nbad line here\n", 4000);
    assert!(
        report.error.as_deref().unwrap().starts_with("line 3"),
        "{report:?}"
    );
    assert_eq!(
        lines(&batch)[0],
        r#"a{instance="h:1",job="node"} STALE @4000"#
    );
    assert_eq!(synthetic(&batch, "scrape_samples_scraped"), 2.0);
    assert!(st.is_empty());
    // The target leaves discovery: markers for its series and the synthetic ones.
    scrape(&mut st, &s, "a 1\n", 5000);
    let batch = st.end_of_run(&target(), &s, 6000).unwrap();
    assert_eq!(
        lines(&batch),
        [
            r#"a{instance="h:1",job="node"} STALE @6000"#,
            r#"up{instance="h:1",job="node"} STALE @6000"#,
            r#"scrape_duration_seconds{instance="h:1",job="node"} STALE @6000"#,
            r#"scrape_samples_scraped{instance="h:1",job="node"} STALE @6000"#,
            r#"scrape_samples_post_metric_relabeling{instance="h:1",job="node"} STALE @6000"#,
            r#"scrape_series_added{instance="h:1",job="node"} STALE @6000"#,
        ]
    );
    assert!(st.end_of_run(&target(), &s, 7000).is_none(), "once");
}

#[test]
fn duplicates_extras_and_external_labels() {
    let s = AppendSettings {
        extra_scrape_metrics: true,
        sample_limit: 10,
        scrape_timeout_seconds: 10.0,
        external_labels: ls(&[("region", "eu"), ("job", "ignored")]),
        ..settings()
    };
    let body = "dup{a=\"1\"} 1\ndup{a=\"1\"} 2\n";
    let (batch, report) = scrape(&mut SeriesState::new(), &s, body, 1);
    assert_eq!(report.duplicates, 1);
    let l = lines(&batch);
    assert_eq!(
        l[0], r#"dup{a="1",instance="h:1",job="node",region="eu"} 1 @1"#,
        "first wins"
    );
    assert_eq!(synthetic(&batch, "scrape_samples_scraped"), 2.0);
    assert_eq!(synthetic(&batch, "scrape_timeout_seconds"), 10.0);
    assert_eq!(synthetic(&batch, "scrape_sample_limit"), 10.0);
    assert_eq!(
        synthetic(&batch, "scrape_body_size_bytes"),
        body.len() as f64
    );
    // Duplicate label names fail the scrape.
    let (_, r) = scrape(
        &mut SeriesState::new(),
        &settings(),
        "m{a=\"1\",a=\"2\"} 1\n",
        1,
    );
    assert_eq!(
        r.error.as_deref(),
        Some(r#"line 1: duplicate label name "a""#)
    );
}

#[test]
fn openmetrics_bodies_carry_exemplars_and_units() {
    let body = "# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\nfoo_seconds_total 1 # {trace_id=\"abc\"} 0.5 1.5\n# EOF\n";
    let (batch, r) = SeriesState::new().append(
        &target(),
        &settings(),
        ScrapeInput::Body {
            text: body,
            format: Format::OpenMetrics,
            body_size: body.len(),
        },
        1,
        || 0.0,
    );
    assert_eq!(r.error, None);
    let ex = batch.samples[0].exemplar.as_ref().unwrap();
    assert_eq!(ex.labels, vec![("trace_id".to_string(), "abc".to_string())]);
    assert_eq!((ex.value, ex.timestamp_ms), (0.5, Some(1500)));
    assert_eq!(batch.metadata["foo_seconds"].unit, "seconds");
}

// ---------------------------------------------------------------------------------------
// HTTP, against a loopback server.

#[derive(Clone)]
struct Reply {
    status: u16,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    gzip: bool,
    location: Option<String>,
}

impl Reply {
    fn text(body: &str) -> Reply {
        Reply {
            status: 200,
            content_type: Some("text/plain; version=0.0.4; charset=utf-8"),
            body: body.as_bytes().to_vec(),
            gzip: false,
            location: None,
        }
    }
}

/// A server answering each path with a configured reply and recording request headers.
struct TestServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<(String, http::HeaderMap)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn serve(replies: &[(&str, Reply)]) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let replies = Arc::new(Mutex::new(
        replies
            .iter()
            .map(|(p, r)| (p.to_string(), r.clone()))
            .collect::<HashMap<_, _>>(),
    ));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (r2, q2) = (replies.clone(), requests.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (replies, requests) = (r2.clone(), q2.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let path = req.uri().to_string();
                    requests
                        .lock()
                        .unwrap()
                        .push((path.clone(), req.headers().clone()));
                    let reply = replies.lock().unwrap().get(req.uri().path()).cloned();
                    async move {
                        let reply = reply.unwrap_or(Reply {
                            status: 404,
                            content_type: None,
                            body: b"not found".to_vec(),
                            gzip: false,
                            location: None,
                        });
                        let mut b = Response::builder().status(reply.status);
                        if let Some(ct) = reply.content_type {
                            b = b.header("content-type", ct);
                        }
                        if let Some(l) = &reply.location {
                            b = b.header("location", l);
                        }
                        let body = if reply.gzip {
                            b = b.header("content-encoding", "gzip");
                            gzip(&reply.body)
                        } else {
                            reply.body.clone()
                        };
                        Ok::<_, std::convert::Infallible>(
                            b.body(Full::new(Bytes::from(body))).unwrap(),
                        )
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, svc)
                    .await;
            });
        }
    });
    TestServer {
        addr,
        requests,
        task,
    }
}

fn job(yaml: &str) -> ScrapeJob {
    let node = confmap::parse_yaml(yaml).unwrap().unwrap();
    let c: PromConfig = confmap::decode(&node).unwrap();
    c.validate().unwrap();
    c.scrape_jobs().unwrap().remove(0)
}

#[tokio::test]
async fn request_headers_and_gzip() {
    let body = "m 1\n".repeat(1000);
    let mut gz = Reply::text(&body);
    gz.gzip = true;
    let srv = serve(&[("/metrics", gz)]).await;
    let j = job("scrape_configs: [{job_name: a, authorization: {credentials: secret}}]");
    let scraper = HttpScraper::new(&j, "ferrocol-test/1.0").unwrap();
    let mut buf = Buffers::default();
    let url = format!("http://{}/metrics", srv.addr);
    let format = scraper
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap();
    assert_eq!(format, Format::Text004);
    assert_eq!(buf.body(), body.as_bytes(), "gzip decoded");
    let h = srv.requests.lock().unwrap()[0].1.clone();
    assert_eq!(
        h["accept"],
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
    assert_eq!(h["accept-encoding"], "gzip");
    assert_eq!(h["x-prometheus-scrape-timeout-seconds"], "5");
    assert_eq!(h["user-agent"], "ferrocol-test/1.0");
    assert_eq!(h["authorization"], "Bearer secret");
    // enable_compression: false asks for identity; basic auth.
    let j = job(
        "scrape_configs: [{job_name: a, enable_compression: false, basic_auth: {username: u, password: p}}]",
    );
    let scraper = HttpScraper::new(&j, "x").unwrap();
    scraper
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap();
    let reqs = srv.requests.lock().unwrap();
    assert_eq!(reqs[1].1["accept-encoding"], "identity");
    assert_eq!(reqs[1].1["authorization"], "Basic dTpw");
}

#[tokio::test]
async fn body_size_limit_statuses_redirects_and_content_types() {
    let big = "m 1\n".repeat(300); // 1200 bytes
    let mut gz = Reply::text(&big);
    gz.gzip = true;
    let mut om = Reply::text("a 1\n# EOF\n");
    om.content_type = Some("application/openmetrics-text; version=1.0.0");
    let mut moved = Reply::text("");
    moved.status = 302;
    moved.location = Some("/metrics".into());
    let srv = serve(&[
        ("/metrics", Reply::text(&big)),
        ("/gz", gz),
        ("/om", om),
        ("/moved", moved),
    ])
    .await;
    let base = format!("http://{}", srv.addr);
    let t = Duration::from_secs(5);
    let mut buf = Buffers::default();
    let limited = HttpScraper::new(
        &job("scrape_configs: [{job_name: a, body_size_limit: 1KB}]"),
        "x",
    )
    .unwrap();
    for path in ["/metrics", "/gz"] {
        assert_eq!(
            limited
                .scrape(&format!("{base}{path}"), t, &mut buf)
                .await
                .unwrap_err(),
            "body size limit exceeded",
            "{path}"
        );
    }
    let roomy = HttpScraper::new(
        &job("scrape_configs: [{job_name: a, body_size_limit: 2KB}]"),
        "x",
    )
    .unwrap();
    roomy
        .scrape(&format!("{base}/gz"), t, &mut buf)
        .await
        .unwrap();
    assert_eq!(buf.body().len(), 1200);
    assert_eq!(
        roomy
            .scrape(&format!("{base}/nope"), t, &mut buf)
            .await
            .unwrap_err(),
        "server returned HTTP status 404 Not Found"
    );
    assert_eq!(
        roomy.scrape(&format!("{base}/om"), t, &mut buf).await,
        Ok(Format::OpenMetrics)
    );
    roomy
        .scrape(&format!("{base}/moved"), t, &mut buf)
        .await
        .unwrap();
    assert_eq!(buf.body().len(), 1200, "redirect followed");
    let no_follow = HttpScraper::new(
        &job("scrape_configs: [{job_name: a, follow_redirects: false}]"),
        "x",
    )
    .unwrap();
    assert_eq!(
        no_follow
            .scrape(&format!("{base}/moved"), t, &mut buf)
            .await
            .unwrap_err(),
        "server returned HTTP status 302 Found"
    );
    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let e = roomy
        .scrape(&format!("http://{closed}/metrics"), t, &mut buf)
        .await
        .unwrap_err();
    assert!(
        e.starts_with(&format!("Get \"http://{closed}/metrics\": ")),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Whole pools through the manager.

#[derive(Default)]
struct Collect {
    batches: Mutex<Vec<ScrapeBatch>>,
    notify: tokio::sync::Notify,
}

impl Appender for Collect {
    fn append(&self, batch: ScrapeBatch) -> BoxFuture<'_, Result<(), String>> {
        self.batches.lock().unwrap().push(batch);
        self.notify.notify_waiters();
        async { Ok(()) }.boxed()
    }
}

impl Collect {
    /// Waits until `pred` holds for the collected batches (bounded, so a broken manager
    /// fails the test instead of hanging it).
    async fn wait_for(&self, what: &str, pred: impl Fn(&[ScrapeBatch]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.notify.notified();
            if pred(&self.batches.lock().unwrap()) {
                return;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => panic!("timed out waiting for {what}"),
            }
        }
    }
}

fn up_of(b: &ScrapeBatch) -> Option<f64> {
    b.samples.iter().find(|s| s.name() == "up").map(|s| s.value)
}

#[tokio::test]
async fn manager_scrapes_static_targets_and_enforces_target_limit() {
    let srv = serve(&[("/metrics", Reply::text("node_load1 0.5\n"))]).await;
    let yaml = format!(
        "scrape_configs:\n- job_name: node\n  scrape_interval: 1s\n  static_configs: [{{targets: ['{}'], labels: {{env: test}}}}]\n",
        srv.addr
    );
    let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
    let config: PromConfig = confmap::decode(&node).unwrap();
    config.validate().unwrap();
    let sink = Arc::new(Collect::default());
    let running = super::ScrapeManager::new(&config, sink.clone())
        .unwrap()
        .start();
    sink.wait_for("two scrapes", |b| b.len() >= 2).await;
    running.shutdown().await;
    let batches = sink.batches.lock().unwrap().clone();
    let b = &batches[0];
    assert_eq!(b.target.url, format!("http://{}/metrics", srv.addr));
    assert_eq!(up_of(b), Some(1.0));
    let s = &b.samples[0];
    assert_eq!(s.name(), "node_load1");
    assert_eq!(s.label("env"), Some("test"));
    assert_eq!(s.label("instance"), Some(srv.addr.to_string().as_str()));
    assert_eq!(b.target.discovered_labels["__scrape_interval__"], "1s");
    assert!(
        batches[1].scrape_timestamp_ms - batches[0].scrape_timestamp_ms >= 900,
        "one interval apart"
    );

    // Two targets, target_limit 1: every target of the pool fails with Prometheus' message.
    let yaml = format!(
        "scrape_configs:\n- job_name: node\n  scrape_interval: 1s\n  target_limit: 1\n  static_configs: [{{targets: ['{0}', 'localhost:{1}']}}]\n",
        srv.addr,
        srv.addr.port()
    );
    let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
    let config: PromConfig = confmap::decode(&node).unwrap();
    let sink = Arc::new(Collect::default());
    let running = super::ScrapeManager::new(&config, sink.clone())
        .unwrap()
        .start();
    sink.wait_for("both targets", |b| {
        let urls: std::collections::HashSet<&str> =
            b.iter().map(|b| b.target.url.as_str()).collect();
        urls.len() == 2
    })
    .await;
    running.shutdown().await;
    assert!(
        sink.batches
            .lock()
            .unwrap()
            .iter()
            .all(|b| up_of(b) == Some(0.0))
    );
}

#[tokio::test]
async fn target_leaving_file_sd_gets_staleness_markers() {
    let srv = serve(&[("/metrics", Reply::text("g 1\n"))]).await;
    let dir = tempfile::tempdir().unwrap();
    let sd = dir.path().join("targets.json");
    std::fs::write(&sd, format!(r#"[{{"targets": ["{}"]}}]"#, srv.addr)).unwrap();
    let yaml = format!(
        "scrape_configs:\n- job_name: f\n  scrape_interval: 1s\n  file_sd_configs: [{{files: ['{}'], refresh_interval: 1s}}]\n",
        sd.display()
    );
    let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
    let config: PromConfig = confmap::decode(&node).unwrap();
    config.validate().unwrap();
    let sink = Arc::new(Collect::default());
    let running = super::ScrapeManager::new(&config, sink.clone())
        .unwrap()
        .start();
    sink.wait_for("a scrape", |b| !b.is_empty()).await;
    std::fs::write(&sd, "[]").unwrap();
    sink.wait_for("end-of-run markers", |b| {
        b.last().is_some_and(|b| up_of(b).is_some_and(is_stale_nan))
    })
    .await;
    running.shutdown().await;
    let batches = sink.batches.lock().unwrap();
    let last = batches.last().unwrap();
    let before = &batches[batches.len() - 2];
    let names: Vec<&str> = last.samples.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "g",
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added"
        ]
    );
    assert!(last.samples.iter().all(|s| is_stale_nan(s.value)));
    assert_eq!(
        last.scrape_timestamp_ms,
        before.scrape_timestamp_ms + 1000,
        "at the last scrape + one interval"
    );
}

#[tokio::test]
async fn plain_http_scrapes_go_through_proxy_url() {
    let proxy = serve(&[("/metrics", Reply::text("m 1\n"))]).await;
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://user:pw@{}'}}]",
        proxy.addr
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let mut buf = Buffers::default();
    // The target's host does not resolve: only the proxy can answer.
    let url = "http://target.invalid:9100/metrics";
    scraper
        .scrape(url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap();
    assert_eq!(buf.body(), b"m 1\n");
    let (uri, headers) = proxy.requests.lock().unwrap()[0].clone();
    assert_eq!(uri, url, "absolute-form request line");
    assert_eq!(headers["proxy-authorization"], "Basic dXNlcjpwdw==");
    // An https target is refused rather than sent around the proxy.
    let e = scraper
        .scrape(
            "https://target.invalid/metrics",
            Duration::from_secs(5),
            &mut buf,
        )
        .await
        .unwrap_err();
    assert!(e.contains("CONNECT tunnel"), "{e}");
}

#[tokio::test]
async fn scrape_timeout_is_prometheus_deadline_error() {
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", silent.local_addr().unwrap());
    let j = job("scrape_configs: [{job_name: a}]");
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let mut buf = Buffers::default();
    let e = scraper
        .scrape(&url, Duration::from_millis(200), &mut buf)
        .await
        .unwrap_err();
    assert_eq!(e, format!("Get {url:?}: context deadline exceeded"));
}

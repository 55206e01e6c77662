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

/// A staleness marker must name the same series as the samples before it, so it carries the
/// external labels too (and the synthetic series' markers do as well).
#[test]
fn staleness_markers_carry_external_labels() {
    let s = AppendSettings {
        external_labels: ls(&[("region", "eu")]),
        ..settings()
    };
    let mut st = SeriesState::new();
    let (first, _) = scrape(&mut st, &s, "g{s=\"é\\u0000\"} 1\nkept 2\n", 1000);
    assert_eq!(
        lines(&first)[0],
        r#"g{instance="h:1",job="node",region="eu",s="é\\u0000"} 1 @1000"#
    );
    let (batch, _) = scrape(&mut st, &s, "kept 2\n", 2000);
    assert_eq!(
        lines(&batch)[1],
        r#"g{instance="h:1",job="node",region="eu",s="é\\u0000"} STALE @2000"#
    );
    let batch = st.end_of_run(&target(), &s, 3000).unwrap();
    assert_eq!(
        lines(&batch)[0],
        r#"kept{instance="h:1",job="node",region="eu"} STALE @3000"#
    );
    assert!(
        lines(&batch)[1].starts_with(r#"up{instance="h:1",job="node",region="eu"} STALE"#),
        "{:?}",
        lines(&batch)
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
    serve_with(replies, None).await
}

/// [`serve`], over TLS when `tls` is given.
async fn serve_with(
    replies: &[(&str, Reply)],
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> TestServer {
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
            let tls = tls.clone();
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
                let builder = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = builder.serve_connection(io, svc).await;
                    }
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else {
                            return;
                        };
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = builder.serve_connection(io, svc).await;
                    }
                }
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

// ---------------------------------------------------------------------------------------
// https targets through proxy_url (CONNECT), against Debian's tinyproxy and a fake proxy.

/// A CA, and a server certificate for `localhost` and `127.0.0.1` signed by it:
/// `(ca_pem, acceptor)`.
fn tls_pki() -> (String, tokio_rustls::TlsAcceptor) {
    use rustls_pki_types::pem::PemObject as _;
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(cert.pem().as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key =
        rustls_pki_types::PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    (ca.pem(), tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// `$FERROCOL_TEST_TINYPROXY`, else `tinyproxy` on `PATH`. Absent, the test fails (as the
/// Prometheus peer tests do): scripts/test.sh installs Debian's `tinyproxy`.
fn tinyproxy_binary() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_TEST_TINYPROXY") {
        return p.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("tinyproxy"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the proxy tests need tinyproxy: install Debian's `tinyproxy` package \
                 (apt-get install tinyproxy) or set FERROCOL_TEST_TINYPROXY to its binary"
            )
        })
}

/// A tinyproxy running in the foreground on a loopback port, killed on drop.
struct Tinyproxy {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tinyproxy {
    /// Starts tinyproxy; with `basic_auth`, it answers 407 to requests without them.
    async fn start(basic_auth: Option<(&str, &str)>) -> Tinyproxy {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nLogLevel Info\n"
        );
        if let Some((u, p)) = basic_auth {
            conf.push_str(&format!("BasicAuth {u} {p}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let log = std::fs::File::create(dir.path().join("tinyproxy.log")).unwrap();
        let child = std::process::Command::new(tinyproxy_binary())
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start tinyproxy");
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut proxy = Tinyproxy { child, addr, dir };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return proxy;
            }
            if let Ok(Some(status)) = proxy.child.try_wait() {
                panic!("tinyproxy exited ({status}): {}", proxy.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tinyproxy did not listen on {addr}: {}", proxy.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default()
    }
}

#[tokio::test]
async fn https_targets_tunnel_through_tinyproxy() {
    let (ca, acceptor) = tls_pki();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let target = serve_with(
        &[("/metrics", Reply::text("tunnelled 1\n"))],
        Some(acceptor),
    )
    .await;
    let proxy = Tinyproxy::start(Some(("user", "pw"))).await;
    let port = target.addr.port();
    let mut buf = Buffers::default();

    // Credentials from the proxy URL; the certificate is verified against the target's IP.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, scheme: https, proxy_url: 'http://user:pw@{}', tls_config: {{ca_file: '{}'}}}}]",
        proxy.addr,
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let url = format!("https://127.0.0.1:{port}/metrics");
    let r = scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await;
    assert_eq!(r, Ok(Format::Text004), "tinyproxy log: {}", proxy.log());
    assert_eq!(buf.body(), b"tunnelled 1\n");
    {
        let reqs = target.requests.lock().unwrap();
        let (uri, headers) = &reqs[0];
        assert_eq!(uri, "/metrics", "origin-form inside the tunnel");
        assert!(
            !headers.contains_key("proxy-authorization"),
            "proxy credentials never reach the target"
        );
    }
    assert!(
        proxy.log().contains(&format!("CONNECT 127.0.0.1:{port}")),
        "{}",
        proxy.log()
    );

    // tls_config.server_name is what is verified (and sent as SNI) inside the tunnel; the
    // credentials come from proxy_connect_header this time.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://{}', proxy_connect_header: {{Proxy-Authorization: ['Basic dXNlcjpwdw==']}}, tls_config: {{ca_file: '{}', server_name: localhost}}}}]",
        proxy.addr,
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let r = scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await;
    assert_eq!(r, Ok(Format::Text004), "tinyproxy log: {}", proxy.log());
    // A name the certificate does not carry fails the handshake inside the tunnel.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://user:pw@{}', tls_config: {{ca_file: '{}', server_name: other.example}}}}]",
        proxy.addr,
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let e = scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap_err();
    assert!(e.contains("certificate"), "{e}");

    // Without credentials tinyproxy answers 407: the scrape fails with its status line.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://{}', tls_config: {{ca_file: '{}'}}}}]",
        proxy.addr,
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let e = scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap_err();
    assert!(
        e.contains(&format!("refused CONNECT 127.0.0.1:{port}"))
            && e.contains("407 Proxy Authentication Required"),
        "{e}"
    );
    assert_eq!(
        target.requests.lock().unwrap().len(),
        2,
        "the 407 reached no target"
    );
}

#[tokio::test]
async fn plain_http_targets_go_through_tinyproxy_in_absolute_form() {
    let target = serve(&[("/metrics", Reply::text("plain 1\n"))]).await;
    let proxy = Tinyproxy::start(Some(("user", "pw"))).await;
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://user:pw@{}'}}]",
        proxy.addr
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let mut buf = Buffers::default();
    let url = format!("http://{}/metrics", target.addr);
    let r = scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await;
    assert_eq!(r, Ok(Format::Text004), "tinyproxy log: {}", proxy.log());
    assert_eq!(buf.body(), b"plain 1\n");
    // tinyproxy forwards in origin form and strips Proxy-Authorization.
    let reqs = target.requests.lock().unwrap();
    assert_eq!(reqs[0].0, "/metrics");
    assert!(!reqs[0].1.contains_key("proxy-authorization"));
}

/// A strict fake proxy for what tinyproxy cannot show: records each CONNECT request's
/// header block, answers `status_line`, and on 2xx splices the connection to the target.
/// Over TLS when `tls` is given (an `https://` proxy).
async fn fake_connect_proxy(
    status_line: &'static str,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    async fn handle<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
        mut s: S,
        status_line: &str,
        seen: Arc<Mutex<Vec<String>>>,
    ) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let target = head
            .strip_prefix("CONNECT ")
            .and_then(|r| r.split(' ').next())
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push(head);
        let _ = s
            .write_all(format!("{status_line}\r\ncontent-length: 0\r\n\r\n").as_bytes())
            .await;
        if !status_line.starts_with("HTTP/1.1 2") {
            return;
        }
        if let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await {
            let _ = tokio::io::copy_bidirectional(&mut s, &mut upstream).await;
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (seen, tls) = (seen2.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => handle(stream, status_line, seen).await,
                    Some(a) => {
                        if let Ok(s) = a.accept(stream).await {
                            handle(s, status_line, seen).await;
                        }
                    }
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn connect_request_headers_status_and_https_proxies() {
    let (ca, acceptor) = tls_pki();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let target = serve_with(
        &[("/metrics", Reply::text("m 1\n"))],
        Some(acceptor.clone()),
    )
    .await;
    let url = format!("https://localhost:{}/metrics", target.addr.port());
    let mut buf = Buffers::default();

    // A 2xx other than 200 opens the tunnel too; the request line, Host, the user info's
    // Proxy-Authorization and proxy_connect_header are sent, in that form.
    let (proxy, seen) = fake_connect_proxy("HTTP/1.1 204 Tunnel open", None).await;
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://u:p@{proxy}', proxy_connect_header: {{X-Tenant: [a, b]}}, tls_config: {{ca_file: '{}'}}}}]",
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap();
    let host = format!("localhost:{}", target.addr.port());
    assert_eq!(
        seen.lock().unwrap()[0],
        format!(
            "CONNECT {host} HTTP/1.1\r\nHost: {host}\r\nx-tenant: a\r\nx-tenant: b\r\nProxy-Authorization: Basic dTpw\r\n\r\n"
        )
    );

    // An https:// proxy: TLS to the proxy (verified against its address), CONNECT inside,
    // TLS to the target inside that.
    let (proxy, seen) =
        fake_connect_proxy("HTTP/1.1 200 Connection established", Some(acceptor)).await;
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'https://{proxy}', tls_config: {{ca_file: '{}'}}}}]",
        ca_file.display()
    ));
    let scraper = HttpScraper::new(&j, "x").unwrap();
    scraper
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap();
    assert_eq!(buf.body(), b"m 1\n");
    assert_eq!(seen.lock().unwrap().len(), 1);

    // A refusal carries the proxy's status line; nothing reaches the target.
    let before = target.requests.lock().unwrap().len();
    let (proxy, _) = fake_connect_proxy("HTTP/1.1 403 Forbidden", None).await;
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://{proxy}', tls_config: {{ca_file: '{}'}}}}]",
        ca_file.display()
    ));
    let e = HttpScraper::new(&j, "x")
        .unwrap()
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap_err();
    assert!(
        e.contains(&format!("refused CONNECT {host}: HTTP/1.1 403 Forbidden")),
        "{e}"
    );
    assert_eq!(target.requests.lock().unwrap().len(), before);
}

#[tokio::test]
async fn no_proxy_targets_are_scraped_directly() {
    let target = serve(&[("/metrics", Reply::text("direct 1\n"))]).await;
    // Nothing listens at the proxy address: only a direct connection can succeed.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let mut buf = Buffers::default();
    // httpproxy's rule: with no_proxy set, loopback targets never use the proxy.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://{dead_addr}', no_proxy: 'example.com'}}]"
    ));
    let url = format!("http://{}/metrics", target.addr);
    HttpScraper::new(&j, "x")
        .unwrap()
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap();
    assert_eq!(buf.body(), b"direct 1\n");
    // Without no_proxy the same target goes to the (dead) proxy, as Go's http.ProxyURL does.
    let j = job(&format!(
        "scrape_configs: [{{job_name: a, proxy_url: 'http://{dead_addr}'}}]"
    ));
    let e = HttpScraper::new(&j, "x")
        .unwrap()
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap_err();
    assert!(e.contains(&format!("proxyconnect tcp: {dead_addr}")), "{e}");
}

// ---------------------------------------------------------------------------------------
// oauth2. No real OAuth 2.0 server is available to the tests, so this is a strict fake
// token endpoint: it checks what golang.org/x/oauth2/clientcredentials sends (method,
// content type, grant_type, scope, endpoint_params, credentials) and counts requests.

#[derive(Clone)]
struct TokenPolicy {
    secret: String,
    /// Credentials accepted in a Basic header / in the form.
    accept_basic: bool,
    accept_form: bool,
    /// Forced status (e.g. 401 for everything).
    status: Option<u16>,
    expires_in: Option<i64>,
}

struct TokenServer {
    url: String,
    policy: Arc<Mutex<TokenPolicy>>,
    /// `(how the credentials came: "basic" | "form" | "none", user agent)` per request.
    requests: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn form_pairs(body: &str) -> HashMap<String, String> {
    let unescape = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (unescape(k), unescape(v)))
        .collect()
}

async fn token_server(policy: TokenPolicy) -> TokenServer {
    use base64::Engine as _;
    use http_body_util::BodyExt as _;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let policy = Arc::new(Mutex::new(policy));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (p2, r2) = (policy.clone(), requests.clone());
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (policy, requests) = (p2.clone(), r2.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (policy, requests) = (policy.clone(), requests.clone());
                    async move {
                        let reply = |status: u16, body: String| {
                            Ok::<_, std::convert::Infallible>(
                                Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        };
                        let bad = |what: &str| {
                            reply(
                                400,
                                format!(
                                    r#"{{"error":"invalid_request","error_description":"{what}"}}"#
                                ),
                            )
                        };
                        let policy = policy.lock().unwrap().clone();
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let form = form_pairs(std::str::from_utf8(&body).unwrap());
                        let ua = parts
                            .headers
                            .get("user-agent")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        let basic = parts
                            .headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string());
                        let how = match (&basic, form.contains_key("client_id")) {
                            (Some(_), false) => "basic",
                            (None, true) => "form",
                            (None, false) => "none",
                            (Some(_), true) => "both",
                        };
                        requests.lock().unwrap().push((how.to_string(), ua));
                        if parts.method != http::Method::POST || parts.uri.path() != "/token" {
                            return bad("method or path");
                        }
                        if parts.headers.get("content-type").map(|v| v.as_bytes())
                            != Some(b"application/x-www-form-urlencoded")
                        {
                            return bad("content type");
                        }
                        if form.get("grant_type").map(String::as_str) != Some("client_credentials")
                            || form.get("scope").map(String::as_str) != Some("read metrics:all")
                            || form.get("audience").map(String::as_str) != Some("prom&co")
                        {
                            return bad("form parameters");
                        }
                        if let Some(status) = policy.status {
                            return reply(status, r#"{"error":"invalid_client"}"#.into());
                        }
                        let want = base64::engine::general_purpose::STANDARD
                            .encode(format!("my-client:{}", policy.secret));
                        let ok = match how {
                            "basic" => {
                                policy.accept_basic && basic == Some(format!("Basic {want}"))
                            }
                            "form" => {
                                policy.accept_form
                                    && form["client_id"] == "my-client"
                                    && form.get("client_secret") == Some(&policy.secret)
                            }
                            _ => false,
                        };
                        if !ok {
                            return reply(401, r#"{"error":"invalid_client"}"#.into());
                        }
                        let n = requests.lock().unwrap().len();
                        let expires = policy
                            .expires_in
                            .map(|e| format!(r#","expires_in":{e}"#))
                            .unwrap_or_default();
                        reply(
                            200,
                            format!(
                                r#"{{"access_token":"tok-{n}","token_type":"bearer"{expires}}}"#
                            ),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    TokenServer {
        url: format!("http://{addr}/token"),
        policy,
        requests,
        task,
    }
}

fn oauth2_job(token_url: &str, secret: &str) -> ScrapeJob {
    job(&format!(
        "scrape_configs: [{{job_name: a, oauth2: {{client_id: my-client, {secret}, scopes: [read, 'metrics:all'], token_url: '{token_url}', endpoint_params: {{audience: 'prom&co'}}}}}}]"
    ))
}

fn policy(secret: &str, expires_in: Option<i64>) -> TokenPolicy {
    TokenPolicy {
        secret: secret.into(),
        accept_basic: true,
        accept_form: true,
        status: None,
        expires_in,
    }
}

#[tokio::test]
async fn oauth2_token_is_reused_until_near_expiry_and_follows_the_secret_file() {
    let target = serve(&[("/metrics", Reply::text("m 1\n"))]).await;
    let url = format!("http://{}/metrics", target.addr);
    let tokens = token_server(policy("s3cr3t", Some(3600))).await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "s3cr3t\n").unwrap();
    let j = oauth2_job(
        &tokens.url,
        &format!("client_secret_file: '{}'", secret_file.display()),
    );
    let scraper = HttpScraper::new(&j, "ferrocol-test/1").unwrap();
    let mut buf = Buffers::default();
    for _ in 0..3 {
        scraper
            .scrape(&url, Duration::from_secs(5), &mut buf)
            .await
            .unwrap();
    }
    // One token for three scrapes (valid for an hour), sent with Basic credentials first and
    // the scrape's User-Agent.
    assert_eq!(
        *tokens.requests.lock().unwrap(),
        [("basic".to_string(), "ferrocol-test/1".to_string())]
    );
    let auths: Vec<String> = target
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, h)| h["authorization"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-1"]);

    // The secret file changes: a new token is fetched with the new secret at once.
    tokens.policy.lock().unwrap().secret = "rotated".into();
    std::fs::write(&secret_file, "rotated").unwrap();
    scraper
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap();
    assert_eq!(tokens.requests.lock().unwrap().len(), 2);
    assert_eq!(
        target.requests.lock().unwrap()[3].1["authorization"],
        "Bearer tok-2"
    );

    // A token that expires within Go's 10 s margin is fetched again for every scrape.
    tokens.policy.lock().unwrap().expires_in = Some(10);
    let scraper = HttpScraper::new(&j, "x").unwrap();
    for _ in 0..2 {
        scraper
            .scrape(&url, Duration::from_secs(5), &mut buf)
            .await
            .unwrap();
    }
    assert_eq!(tokens.requests.lock().unwrap().len(), 4);
    assert_eq!(
        target.requests.lock().unwrap()[5].1["authorization"],
        "Bearer tok-4"
    );
    // Without expires_in a token never expires (Go's zero Expiry).
    tokens.policy.lock().unwrap().expires_in = None;
    let scraper = HttpScraper::new(&j, "x").unwrap();
    for _ in 0..2 {
        scraper
            .scrape(&url, Duration::from_secs(5), &mut buf)
            .await
            .unwrap();
    }
    assert_eq!(tokens.requests.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn oauth2_falls_back_to_form_credentials_and_token_errors_fail_the_scrape() {
    let target = serve(&[("/metrics", Reply::text("m 1\n"))]).await;
    let url = format!("http://{}/metrics", target.addr);
    // A server that only takes credentials in the form: the Basic attempt is refused, the
    // form attempt works, and the form is used directly from then on.
    let mut p = policy("inline", Some(10));
    p.accept_basic = false;
    let tokens = token_server(p).await;
    let j = oauth2_job(&tokens.url, "client_secret: inline");
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let mut buf = Buffers::default();
    for _ in 0..2 {
        scraper
            .scrape(&url, Duration::from_secs(5), &mut buf)
            .await
            .unwrap();
    }
    let hows: Vec<String> = tokens
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h.clone())
        .collect();
    assert_eq!(hows, ["basic", "form", "form"]);

    // The token endpoint refuses: the scrape fails, naming the token URL and the status,
    // and the target is not asked.
    tokens.policy.lock().unwrap().status = Some(401);
    let before = target.requests.lock().unwrap().len();
    let scraper = HttpScraper::new(&j, "x").unwrap();
    let e = scraper
        .scrape(&url, Duration::from_secs(5), &mut buf)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        format!(
            "Get {url:?}: oauth2: cannot fetch token from {}: 401 Unauthorized: \"invalid_client\"",
            tokens.url
        )
    );
    assert_eq!(target.requests.lock().unwrap().len(), before);
}

#[tokio::test]
async fn manager_reports_up_0_when_the_token_endpoint_refuses() {
    let target = serve(&[("/metrics", Reply::text("m 1\n"))]).await;
    let mut p = policy("right", Some(3600));
    p.status = Some(401);
    let tokens = token_server(p).await;
    let yaml = format!(
        "scrape_configs:\n- job_name: node\n  scrape_interval: 1s\n  oauth2: {{client_id: my-client, client_secret: wrong, scopes: [read, 'metrics:all'], token_url: '{}', endpoint_params: {{audience: 'prom&co'}}}}\n  static_configs: [{{targets: ['{}']}}]\n",
        tokens.url, target.addr
    );
    let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
    let config: PromConfig = confmap::decode(&node).unwrap();
    config.validate().unwrap();
    let sink = Arc::new(Collect::default());
    let running = super::ScrapeManager::new(&config, sink.clone())
        .unwrap()
        .start();
    sink.wait_for("one scrape", |b| !b.is_empty()).await;
    running.shutdown().await;
    assert_eq!(up_of(&sink.batches.lock().unwrap()[0]), Some(0.0));
    assert!(target.requests.lock().unwrap().is_empty());
    // Header attempt then form attempt, both refused.
    assert!(tokens.requests.lock().unwrap().len() >= 2);
}

#[tokio::test]
async fn oauth2_token_requests_use_their_own_proxy_settings() {
    let target = serve(&[("/metrics", Reply::text("m 1\n"))]).await;
    let url = format!("http://{}/metrics", target.addr);
    let tokens = token_server(policy("s", Some(3600))).await;
    let proxy = Tinyproxy::start(Some(("user", "pw"))).await;
    // Only the token request goes through the proxy (oauth2.proxy_url); the scrape is direct.
    let j = oauth2_job(
        &tokens.url,
        &format!(
            "client_secret: s, proxy_url: 'http://user:pw@{}'",
            proxy.addr
        ),
    );
    let mut buf = Buffers::default();
    let r = HttpScraper::new(&j, "x")
        .unwrap()
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await;
    assert_eq!(r, Ok(Format::Text004), "tinyproxy log: {}", proxy.log());
    assert_eq!(tokens.requests.lock().unwrap().len(), 1);
    assert!(
        proxy.log().contains(&format!("POST {}", tokens.url)),
        "{}",
        proxy.log()
    );
    // Without the proxy's credentials the token request is refused by the proxy: the scrape
    // fails and names the token URL and the proxy's status.
    let j = oauth2_job(
        &tokens.url,
        &format!("client_secret: s, proxy_url: 'http://{}'", proxy.addr),
    );
    let e = HttpScraper::new(&j, "x")
        .unwrap()
        .scrape(&url, Duration::from_secs(10), &mut buf)
        .await
        .unwrap_err();
    assert!(
        e.contains(&format!("cannot fetch token from {}: 407", tokens.url)),
        "{e}"
    );
}

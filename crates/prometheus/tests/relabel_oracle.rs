//! Relabelling against a real Prometheus (Debian's 2.42): a `file_sd` job per case, whose
//! targets carry synthetic `__meta_*` labels, and `relabel_configs` covering every action.
//! Prometheus' `/api/v1/targets` gives, per target, the discovered labels and either the
//! final labels (active) or nothing (dropped); a target whose relabelled labels are invalid
//! (no address, timeout > interval) appears in neither list. For every target, ours must give
//! the same: `file::read_file` for the groups, `populate_labels` (`crate::relabel` + the
//! `job`/`instance`/`__` handling) for the outcome.
//!
//! Prometheus 2.42 reports, for an active target, `discoveredLabels` that relabelling has
//! partly overwritten (its builder reuses the slice), so active targets are compared by what
//! is reliable: the final labels and the scrape URL (which shows `__address__`, `__scheme__`,
//! `__metrics_path__` and `__param_*` after relabelling). The same overwriting shows in a
//! dropped target's `discoveredLabels` when a rule changed labels before the one that dropped
//! it, so dropped targets are compared by their `__meta_id`, and by their full discovered
//! labels in the jobs whose only rule is the dropping one.
//!
//! The binary is `$FERROCOL_TEST_PROMETHEUS`, else `prometheus` on `PATH`. Without it the
//! test fails: it never skips.
//!
//! Known version difference, asserted as such rather than hidden: Prometheus 2.42 anchors
//! regexes as `^(?:re)$`, so `.` does not match `\n`; our engine follows 3.x (`^(?s:re)$`,
//! which the OTel receiver embeds), where it does. The `dot_matches_newline` case checks that
//! exactly this, and nothing else, differs.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use prometheus::discovery::file::read_file;
use prometheus::discovery::{LabelSet, PopulatedTarget, TargetDefaults, populate_labels};
use prometheus::duration::PromDuration;
use prometheus::relabel::RelabelConfig;
use serde_json::{Value, json};

/// The synthetic targets: two groups with group-level labels, covering present, missing and
/// multi-line values, a target-level `job` and `instance`, and the hashmod test vector.
fn target_groups() -> Value {
    json!([
        {
            "targets": ["127.0.0.1:9001"],
            "labels": {"__meta_env": "prod", "__meta_ns": "Prod-NS", "__meta_pod_label_app": "web",
                       "__meta_pod_label_tier": "front", "__meta_node": "node-a", "team": "a",
                       "__meta_group": "g1", "__meta_id": "t1"}
        },
        {
            "targets": ["127.0.0.1:9002"],
            "labels": {"__meta_env": "dev", "__meta_ns": "dev-ns", "__meta_pod_label_app": "db",
                       "__meta_node": "node-b", "__meta_env2": "dev", "env_copy": "dev",
                       "team": "a", "__meta_group": "g1", "__meta_id": "t2"}
        },
        {
            "targets": ["127.0.0.1:9003"],
            "labels": {"__meta_ns": "MiXeD", "__meta_node": "node-a", "instance": "custom-instance",
                       "__meta_multi": "a\nb", "__meta_group": "g1", "__meta_id": "t3"}
        },
        {
            "targets": ["127.0.0.1:8000"],
            "labels": {"__meta_env": "prod", "__meta_env2": "prod", "env_copy": "dev",
                       "team": "b", "__meta_id": "t4"}
        },
        {
            "targets": ["127.0.0.1:9005"],
            "labels": {"__meta_weird": "straße İstanbul ǅ", "__meta_pod_label_app": "web",
                       "job": "from-target", "team": "b", "__meta_id": "t5"}
        }
    ])
}

struct Case {
    name: &'static str,
    relabel: Value,
    /// Extra scrape-config keys (params, metrics_path, scheme, ...).
    extra: Value,
}

fn case(name: &'static str, relabel: Value) -> Case {
    Case {
        name,
        relabel,
        extra: json!({}),
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("no_rules", json!([])),
        case(
            "replace_groups_and_gotcha",
            json!([
                {"source_labels": ["__meta_ns"], "regex": "(.*)-NS", "target_label": "ns_prefix", "replacement": "${1}"},
                {"source_labels": ["__meta_ns"], "regex": "(.+)", "target_label": "bad_expand", "replacement": "$1_x"},
                {"source_labels": ["__meta_ns"], "regex": "(.+)", "target_label": "good_expand", "replacement": "${1}_x"},
                {"source_labels": ["__meta_ns"], "regex": "Prod", "target_label": "partial", "replacement": "matched"},
                {"source_labels": ["__meta_env", "__meta_node"], "separator": "/", "target_label": "env_node"},
                {"source_labels": ["__meta_env", "__meta_missing", "__meta_node"], "regex": "prod;;(.*)", "target_label": "node_of_prod"}
            ]),
        ),
        case(
            "replace_no_match_and_delete",
            json!([
                {"source_labels": ["__meta_env"], "regex": "nomatch", "target_label": "team", "replacement": "x"},
                {"source_labels": ["__meta_missing"], "target_label": "team"},
                {"target_label": "static", "replacement": "value"},
                {"source_labels": ["__meta_pod_label_app"], "regex": "(.+)", "target_label": "lbl_${1}", "replacement": "yes"},
                {"source_labels": ["__meta_node"], "regex": "(.+)", "target_label": "lbl_${1}", "replacement": "skipped: invalid name"}
            ]),
        ),
        case(
            "keep",
            json!([{"action": "keep", "source_labels": ["__meta_node"], "regex": "node-a"}]),
        ),
        case(
            "drop",
            json!([{"action": "drop", "source_labels": ["__meta_env"], "regex": "dev|"}]),
        ),
        case(
            "keepequal",
            json!([{"action": "keepequal", "source_labels": ["__meta_env2"], "target_label": "env_copy"}]),
        ),
        case(
            "dropequal",
            json!([{"action": "dropequal", "source_labels": ["__meta_env2"], "target_label": "env_copy"}]),
        ),
        case(
            "hashmod",
            json!([
                {"action": "hashmod", "source_labels": ["__address__"], "modulus": 4, "target_label": "__tmp_hash"},
                {"source_labels": ["__tmp_hash"], "target_label": "shard"},
                {"action": "hashmod", "source_labels": ["__meta_ns", "__meta_node"], "modulus": 1000, "target_label": "shard1000"}
            ]),
        ),
        case(
            "labelmap",
            json!([
                {"action": "labelmap", "regex": "__meta_pod_label_(.+)", "replacement": "k8s_$1"},
                {"action": "labelmap", "regex": "__meta_(env|node)"},
                {"action": "labelmap", "regex": "__meta_(id)", "replacement": "meta_${1}_copy"}
            ]),
        ),
        case(
            "labeldrop",
            json!([
                {"action": "labeldrop", "regex": "team|__meta_env.*|env_copy"},
                {"action": "labelmap", "regex": "__meta_(.+)", "replacement": "m_$1"}
            ]),
        ),
        case(
            "labelkeep",
            json!([
                {"action": "labelmap", "regex": "__meta_(node)"},
                {"action": "labelkeep", "regex": "__.*|job|node"}
            ]),
        ),
        case(
            "labelkeep_loses_address",
            json!([{"action": "labelkeep", "regex": "job|team"}]),
        ),
        case(
            "case_mapping",
            json!([
                {"action": "lowercase", "source_labels": ["__meta_ns"], "target_label": "ns_lower"},
                {"action": "uppercase", "source_labels": ["__meta_ns"], "target_label": "ns_upper"},
                {"action": "uppercase", "source_labels": ["__meta_weird"], "target_label": "weird_upper"},
                {"action": "lowercase", "source_labels": ["__meta_weird"], "target_label": "weird_lower"}
            ]),
        ),
        case(
            "case_insensitive_actions",
            json!([
                {"action": "Replace", "source_labels": ["__meta_ns"], "target_label": "ns"},
                {"action": "KEEP", "source_labels": ["__meta_id"], "regex": "t[1-4]"},
                {"action": "LabelMap", "regex": "__meta_pod_label_(.+)", "replacement": "app_$1"},
                {"action": "DROPEQUAL", "source_labels": ["__meta_env2"], "target_label": "env_copy"}
            ]),
        ),
        case(
            "address_and_instance",
            json!([
                {"source_labels": ["__address__"], "regex": "127\\.0\\.0\\.1:(\\d+)", "target_label": "__address__", "replacement": "localhost:1${1}"},
                {"source_labels": ["__meta_id"], "regex": "t2", "target_label": "instance", "replacement": "fixed"},
                {"source_labels": ["__meta_id"], "regex": "t4", "target_label": "job", "replacement": "renamed"}
            ]),
        ),
        case(
            "invalid_results",
            json!([
                {"source_labels": ["__meta_id"], "regex": "t1", "target_label": "__scrape_timeout__", "replacement": "2m"},
                {"source_labels": ["__meta_id"], "regex": "t2", "target_label": "__address__", "replacement": "host/path:1"},
                {"source_labels": ["__meta_id"], "regex": "t3", "target_label": "__scrape_interval__", "replacement": "1.5m"}
            ]),
        ),
        Case {
            name: "params_path_scheme",
            relabel: json!([
                {"source_labels": ["__param_module"], "target_label": "module"},
                {"source_labels": ["__scheme__", "__metrics_path__"], "separator": "", "target_label": "url_part"},
                {"source_labels": ["__meta_id"], "regex": "t5", "target_label": "__param_module", "replacement": "tcp"},
                {"source_labels": ["__param_module"], "target_label": "module_after"}
            ]),
            extra: json!({"params": {"module": ["http_2xx", "second"]}, "metrics_path": "/probe", "scheme": "https",
                          "scrape_interval": "30s", "scrape_timeout": "5s"}),
        },
        case(
            "dot_matches_newline",
            json!([{"action": "keep", "source_labels": ["__meta_multi"], "regex": "a.b"}]),
        ),
    ]
}

/// The jobs whose 2.42 result is expected to differ from ours, and how: `(job, __meta_id)`
/// of targets Prometheus 2.42 drops and we keep.
const VERSION_DIFFERENCES: [(&str, &str); 1] = [("dot_matches_newline", "t3")];

fn prometheus_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_TEST_PROMETHEUS") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the relabel oracle needs Prometheus: install Debian's `prometheus` package \
                 (apt-get install prometheus) or set FERROCOL_TEST_PROMETHEUS to its binary"
            )
        })
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A plain HTTP/1.0 GET on loopback (the server closes the connection after the body).
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

fn defaults_for(case: &Case) -> TargetDefaults {
    let dur = |key: &str, default: u64| {
        case.extra
            .get(key)
            .and_then(Value::as_str)
            .map(|s| PromDuration::parse(s).expect("duration"))
            .unwrap_or(PromDuration::from_secs(default))
    };
    let params = case
        .extra
        .get("params")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let values = v
                        .as_array()
                        .expect("list")
                        .iter()
                        .map(|s| s.as_str().expect("string").to_string())
                        .collect();
                    (k.clone(), values)
                })
                .collect()
        })
        .unwrap_or_default();
    TargetDefaults {
        job_name: case.name.to_string(),
        scrape_interval: dur("scrape_interval", 60),
        scrape_timeout: dur("scrape_timeout", 10),
        metrics_path: metrics_path(case),
        scheme: case
            .extra
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("http")
            .into(),
        params,
    }
}

/// Each job scrapes its own path, so that a dropped target (listed by Prometheus 2.42 with
/// its discovered labels only, which a target-level `job` label can override) can be
/// attributed to its job.
fn metrics_path(case: &Case) -> String {
    let base = case
        .extra
        .get("metrics_path")
        .and_then(Value::as_str)
        .unwrap_or("/metrics");
    format!("{base}/{}", case.name)
}

fn relabel_configs(v: &Value) -> Vec<RelabelConfig> {
    // The same text Prometheus reads (JSON is YAML), through the collector's YAML decoder.
    let node = confmap::parse_yaml(&v.to_string())
        .expect("yaml")
        .expect("document");
    confmap::decode(&node).expect("our decoder accepts what Prometheus accepts")
}

fn to_label_set(v: &Value) -> LabelSet {
    v.as_object()
        .expect("label object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
        .collect()
}

/// One job's targets as Prometheus reports them (or as we compute them), sorted.
#[derive(Debug, Default, PartialEq, Eq)]
struct JobTargets {
    /// Final labels and scrape URL of each active target.
    active: Vec<(LabelSet, String)>,
    /// Discovered labels of each dropped target.
    dropped: Vec<LabelSet>,
}

impl JobTargets {
    fn len(&self) -> usize {
        self.active.len() + self.dropped.len()
    }

    fn sort(&mut self) {
        self.active.sort();
        self.dropped.sort();
    }
}

fn prometheus_targets(body: &str) -> BTreeMap<String, JobTargets> {
    let v: Value = serde_json::from_str(body).expect("targets JSON");
    let data = &v["data"];
    let mut out: BTreeMap<String, JobTargets> = BTreeMap::new();
    for t in data["activeTargets"].as_array().expect("activeTargets") {
        let job = t["scrapePool"].as_str().expect("scrapePool").to_string();
        let url = t["scrapeUrl"].as_str().expect("scrapeUrl").to_string();
        out.entry(job)
            .or_default()
            .active
            .push((to_label_set(&t["labels"]), url));
    }
    for t in data["droppedTargets"].as_array().expect("droppedTargets") {
        let disc = to_label_set(&t["discoveredLabels"]);
        let path = disc.get("__metrics_path__").cloned().unwrap_or_default();
        let job = path.rsplit('/').next().unwrap_or_default().to_string();
        out.entry(job).or_default().dropped.push(disc);
    }
    for j in out.values_mut() {
        j.sort();
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Prometheus' `Target.URL()`: the config's params, with each `__param_<name>` label
/// replacing the first value of `<name>`, encoded in name order.
fn scrape_url(labels: &LabelSet, config_params: &[(String, Vec<String>)]) -> String {
    let mut params: BTreeMap<String, Vec<String>> = config_params.iter().cloned().collect();
    for (name, value) in labels {
        if let Some(k) = name.strip_prefix("__param_") {
            let values = params.entry(k.to_string()).or_default();
            match values.first_mut() {
                Some(first) => *first = value.clone(),
                None => values.push(value.clone()),
            }
        }
    }
    let query: Vec<String> = params
        .iter()
        .flat_map(|(k, vs)| {
            vs.iter()
                .map(move |v| format!("{}={}", query_escape(k), query_escape(v)))
        })
        .collect();
    let mut url = format!(
        "{}://{}{}",
        labels["__scheme__"], labels["__address__"], labels["__metrics_path__"]
    );
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

fn write_config(dir: &Path, targets_file: &Path, cases: &[Case]) -> PathBuf {
    let jobs: Vec<Value> = cases
        .iter()
        .map(|c| {
            let mut job = json!({
                "job_name": c.name,
                "file_sd_configs": [{"files": [targets_file.to_string_lossy()]}],
                "relabel_configs": c.relabel,
            });
            for (k, v) in c.extra.as_object().expect("object") {
                job[k] = v.clone();
            }
            job["metrics_path"] = json!(metrics_path(c));
            job
        })
        .collect();
    let config = json!({
        "global": {"scrape_interval": "1m", "scrape_timeout": "10s"},
        "scrape_configs": jobs,
    });
    let path = dir.join("prometheus.yml");
    std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
    path
}

#[test]
fn relabelling_matches_prometheus() {
    let bin = prometheus_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let targets_file = dir.path().join("targets.json");
    std::fs::write(&targets_file, target_groups().to_string()).expect("write targets");
    let cases = cases();
    let config = write_config(dir.path(), &targets_file, &cases);

    // Ours first: it also tells how many targets Prometheus should list per job.
    let groups = read_file(&targets_file).expect("our file_sd reads the targets file");
    let mut ours: BTreeMap<String, JobTargets> = BTreeMap::new();
    // Targets that Prometheus 2.42 drops and we keep (the documented anchoring difference).
    let mut expected_differences = Vec::new();
    let mut invalid = 0;
    for c in &cases {
        let rules = relabel_configs(&c.relabel);
        let defaults = defaults_for(c);
        let job = ours.entry(c.name.to_string()).or_default();
        for g in &groups {
            let id = g.labels["__meta_id"].as_str();
            for t in &g.targets {
                match populate_labels(t, &g.labels, &defaults, &rules) {
                    Err(_) => invalid += 1,
                    Ok(PopulatedTarget::Dropped { discovered }) => job.dropped.push(discovered),
                    Ok(PopulatedTarget::Active { labels, discovered }) => {
                        let url = scrape_url(&labels, &defaults.params);
                        let public = PopulatedTarget::Active {
                            labels,
                            discovered: discovered.clone(),
                        }
                        .public_labels();
                        if VERSION_DIFFERENCES.contains(&(c.name, id)) {
                            expected_differences.push((c.name, discovered));
                        } else {
                            job.active.push((public, url));
                        }
                    }
                }
            }
        }
        job.sort();
    }
    assert_eq!(
        invalid,
        5 + 3,
        "the labelkeep_loses_address and invalid_results cases"
    );

    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
    let child = Command::new(&bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let _running = Running(child);

    // Discovery results reach the scrape manager every 5 s; wait until every job lists as
    // many targets (active + dropped) as we expect, then compare.
    let expected_counts: BTreeMap<&str, usize> = ours
        .iter()
        .map(|(job, t)| {
            let diff = expected_differences
                .iter()
                .filter(|(j, _)| j == job)
                .count();
            (job.as_str(), t.len() + diff)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last_counts = BTreeMap::new();
    let mut theirs = loop {
        if let Some((200, body)) = http_get(port, "/api/v1/targets?state=any") {
            let targets = prometheus_targets(&body);
            last_counts = targets.iter().map(|(j, t)| (j.clone(), t.len())).collect();
            let complete = expected_counts
                .iter()
                .all(|(job, n)| targets.get(*job).map_or(0, JobTargets::len) >= *n);
            if complete {
                break targets;
            }
        }
        if Instant::now() > deadline {
            let log =
                std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
            panic!(
                "Prometheus did not list the expected targets within 120 s: expected {expected_counts:?}, listed {last_counts:?}; log:\n{log}"
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };

    // The known difference: Prometheus 2.42 must have dropped exactly those targets.
    for (job, discovered) in &expected_differences {
        let t = theirs.get_mut(*job).expect("job listed");
        let pos = t.dropped.iter().position(|d| d == discovered);
        assert!(
            pos.is_some(),
            "{job}: Prometheus 2.42 was expected to drop {discovered:?} (no (?s) in 2.x); it lists {t:?}"
        );
        t.dropped.remove(pos.expect("checked"));
    }

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (job, our) in &ours {
        compared += our.len();
        let their = theirs.remove(job).unwrap_or_default();
        if our.active != their.active {
            mismatches.push(format!(
                "{job}: active targets differ\n  ours:       {:?}\n  Prometheus: {:?}",
                our.active, their.active
            ));
        }
        let ids = |v: &[LabelSet]| -> Vec<String> {
            let mut ids: Vec<String> = v
                .iter()
                .map(|d| d.get("__meta_id").cloned().unwrap_or_default())
                .collect();
            ids.sort();
            ids
        };
        let single_rule = cases
            .iter()
            .find(|c| c.name == job)
            .is_some_and(|c| c.relabel.as_array().is_some_and(|r| r.len() == 1));
        let dropped_differ = if single_rule {
            our.dropped != their.dropped
        } else {
            ids(&our.dropped) != ids(&their.dropped)
        };
        if dropped_differ {
            mismatches.push(format!(
                "{job}: dropped targets differ: ours {:?}, Prometheus {:?}\n  ours:       {:?}\n  Prometheus: {:?}",
                ids(&our.dropped),
                ids(&their.dropped),
                our.dropped,
                their.dropped
            ));
        }
    }
    assert!(
        theirs.is_empty(),
        "Prometheus lists jobs we did not configure: {theirs:?}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} jobs differ from Prometheus:\n{}",
        mismatches.len(),
        ours.len(),
        mismatches.join("\n")
    );
    assert_eq!(expected_differences.len(), VERSION_DIFFERENCES.len());
    assert!(
        compared >= 75,
        "every case ran on every target ({compared})"
    );
}

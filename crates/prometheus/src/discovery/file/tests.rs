//! file_sd: parsing, globs, change detection, vanished and malformed files.

use std::time::Duration;

use super::*;

fn write(path: &Path, content: &str) {
    std::fs::write(path, content).expect("write file");
}

fn config(files: &[&Path]) -> FileSdConfig {
    FileSdConfig {
        files: files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        ..Default::default()
    }
}

/// Receives the next update, failing the test if none comes within a generous bound.
async fn next(rx: &mut mpsc::Receiver<Vec<TargetGroup>>) -> Vec<TargetGroup> {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an update arrives")
        .expect("the discoverer is running")
}

fn start(cfg: &FileSdConfig) -> (mpsc::Receiver<Vec<TargetGroup>>, CancellationToken) {
    let (tx, rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let d = Box::new(FileDiscoverer::new(cfg).with_poll_interval(Duration::from_millis(20)));
    tokio::spawn(d.run(tx, cancel.clone()));
    (rx, cancel)
}

fn addresses(g: &TargetGroup) -> Vec<&str> {
    g.targets
        .iter()
        .map(|t| t["__address__"].as_str())
        .collect()
}

#[test]
fn yaml_and_json_files_parse_to_groups_with_filepath_and_sources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yml = dir.path().join("a.yml");
    write(
        &yml,
        "- targets: ['h1:9100', 'h2:9100']\n  labels: {env: prod}\n- targets: ['h3:1']\n",
    );
    let json = dir.path().join("b.JSON");
    write(
        &json,
        r#"[{"targets": ["j:1"], "labels": {"team": "x"}, "ignored": 1}]"#,
    );
    let g = read_file(&yml).expect("yaml parses");
    assert_eq!(g.len(), 2);
    let p = yml.to_string_lossy();
    assert_eq!(g[0].source, format!("{p}:0"));
    assert_eq!(g[1].source, format!("{p}:1"));
    assert_eq!(addresses(&g[0]), ["h1:9100", "h2:9100"]);
    assert_eq!(g[0].labels["env"], "prod");
    assert_eq!(g[0].labels[FILEPATH_LABEL], p);
    assert_eq!(
        g[1].labels[FILEPATH_LABEL], p,
        "added to groups without labels too"
    );

    let g = read_file(&json).expect("json parses (unknown keys ignored, as Go's json)");
    assert_eq!(addresses(&g[0]), ["j:1"]);
    assert_eq!(g[0].labels["team"], "x");
}

#[test]
fn malformed_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("unknown.yml", "- targets: [a:1]\n  extra: 1\n"),
        ("badlabel.yaml", "- targets: [a:1]\n  labels: {'a-b': x}\n"),
        ("nil.yml", "- targets: [a:1]\n- null\n"),
        ("syntax.json", "[{\"targets\": [}"),
        ("notalist.yml", "targets: [a:1]\n"),
    ];
    for (name, content) in cases {
        let p = dir.path().join(name);
        write(&p, content);
        let err = read_file(&p).expect_err(name);
        assert!(!err.is_empty(), "{name}");
    }
    let p = dir.path().join("badlabel.yaml");
    assert_eq!(
        read_file(&p).unwrap_err(),
        r#""a-b" is not a valid label name"#
    );
    let p = dir.path().join("nil.yml");
    assert_eq!(read_file(&p).unwrap_err(), "nil target group item found");
    // An empty file is no groups, not an error.
    let p = dir.path().join("empty.yml");
    write(&p, "");
    assert_eq!(read_file(&p).expect("empty ok"), vec![]);
}

#[test]
fn validation_follows_prometheus() {
    let ok = |f: &str| {
        FileSdConfig {
            files: vec![f.into()],
            ..Default::default()
        }
        .validate()
    };
    assert!(ok("/etc/sd/*.yml").is_ok());
    assert!(ok("/etc/sd/targets-*.json").is_ok());
    assert!(ok("a.YAML").is_ok());
    assert_eq!(
        ok("/etc/*/x.yml").unwrap_err(),
        r#"path name "/etc/*/x.yml" is not valid for file discovery"#
    );
    assert!(ok("/etc/sd/*.txt").is_err());
    assert!(ok("/etc/sd/a*b*.yml").is_err());
    assert_eq!(
        FileSdConfig::default().validate().unwrap_err(),
        "file service discovery config must contain at least one path name"
    );
    assert_eq!(
        FileSdConfig::default().refresh_interval,
        PromDuration::from_secs(300)
    );
}

#[test]
fn decodes_with_prometheus_field_names() {
    let node = confmap::parse_yaml("files: [a.yml]\nrefresh_interval: 30s\n")
        .expect("yaml")
        .expect("doc");
    let c: FileSdConfig = confmap::decode(&node).expect("decodes");
    assert_eq!(c.refresh_interval, PromDuration::from_secs(30));
    let node = confmap::parse_yaml("files: [a.yml]\nrefresh: 30s\n")
        .expect("yaml")
        .expect("doc");
    assert!(
        confmap::decode::<FileSdConfig>(&node).is_err(),
        "unknown keys are refused"
    );
}

#[test]
fn glob_matching() {
    assert!(wildcard_match("*.yml", "a.yml"));
    assert!(wildcard_match("t-*.yml", "t-1.yml"));
    assert!(!wildcard_match("t-*.yml", "x-1.yml"));
    assert!(wildcard_match("a?c.json", "abc.json"));
    assert!(!wildcard_match("*.yml", "a.yaml"));
    assert!(wildcard_match("*a*", "bab"));
}

#[tokio::test]
async fn picks_up_changes_new_files_and_vanished_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one.yml");
    write(&one, "- targets: ['a:1']\n- targets: ['b:1']\n");
    let pattern = dir.path().join("*.yml");
    let (mut rx, cancel) = start(&config(&[&pattern]));

    let first = next(&mut rx).await;
    assert_eq!(first.len(), 2);
    let one_s = one.to_string_lossy().into_owned();
    assert_eq!(first[0].source, format!("{one_s}:0"));

    // A change that shrinks the file: group 0 changes, group 1 is sent empty.
    write(&one, "- targets: ['a:2', 'a:3']\n");
    let update = next(&mut rx).await;
    let by_source: BTreeMap<&str, &TargetGroup> =
        update.iter().map(|g| (g.source.as_str(), g)).collect();
    assert_eq!(
        addresses(by_source[format!("{one_s}:0").as_str()]),
        ["a:2", "a:3"]
    );
    assert!(by_source[format!("{one_s}:1").as_str()].targets.is_empty());

    // A new file matching the glob.
    let two = dir.path().join("two.yml");
    write(&two, "- targets: ['c:1']\n");
    let update = next(&mut rx).await;
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].source, format!("{}:0", two.to_string_lossy()));

    // A malformed file keeps its previous groups: nothing is sent for it...
    write(&two, "- targets: [\n");
    // ...and the next valid change elsewhere is all that arrives.
    write(&one, "- targets: ['a:9']\n");
    let update = next(&mut rx).await;
    assert!(
        update.iter().all(|g| g.source.starts_with(&one_s)),
        "{update:?}"
    );

    // Deleting a file sends its groups empty.
    std::fs::remove_file(&one).expect("remove");
    let update = next(&mut rx).await;
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].source, format!("{one_s}:0"));
    assert!(update[0].targets.is_empty());
    cancel.cancel();
}

#[tokio::test]
async fn first_update_is_sent_even_with_no_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut rx, cancel) = start(&config(&[&dir.path().join("*.json")]));
    assert_eq!(next(&mut rx).await, vec![]);
    cancel.cancel();
}

#[test]
fn each_failed_read_is_reported_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.yml");
    let bad = dir.path().join("bad.yml");
    write(&good, "- targets: ['a:1']\n");
    write(&bad, "- targets: ['b:1'\n");
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let errors = DiscoveryErrors::new(move |mechanism| {
        assert_eq!(mechanism, "file");
        c.fetch_add(1, Ordering::SeqCst);
    });
    let patterns = vec![dir.path().join("*.yml").to_string_lossy().into_owned()];
    let mut state = FileState::default();
    let groups = state.refresh(&patterns, true, &errors);
    assert_eq!(groups.len(), 1, "the good file's group");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Unchanged files are not read again between full refreshes: no new error.
    state.refresh(&patterns, false, &errors);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // A full refresh reads (and fails) again, as does a changed, still malformed file.
    state.refresh(&patterns, true, &errors);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    write(&bad, "- targets: ['b:1', 'c:1'\n");
    state.refresh(&patterns, false, &errors);
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // Fixed: its group arrives and nothing more is counted.
    write(&bad, "- targets: ['b:1']\n");
    let groups = state.refresh(&patterns, false, &errors);
    assert_eq!(groups.len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

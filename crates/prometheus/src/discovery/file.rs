//! `file_sd_configs`: targets listed in YAML or JSON files (Prometheus' `discovery/file`).
//!
//! Each file holds a list of `{targets: [...], labels: {...}}`; group `i` of file `p` has
//! source `p:i` and the label `__meta_filepath=p`. Files are found by glob (`*` only in the
//! last path segment). Changes are noticed by polling each file's size and modification
//! time every second (cheap, and unlike inotify it also works for files replaced through
//! symlinks, as Kubernetes ConfigMap volumes do), and every file is re-read each
//! `refresh_interval` regardless, as Prometheus does. A file that vanishes has its groups
//! sent empty; a malformed file is logged, counted ([`DiscoveryErrors`], mechanism `file`)
//! and its previous groups are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use futures::FutureExt as _;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::static_config::address_target;
use super::{Discoverer, DiscoveryErrors, LabelSet, TargetGroup, validate_label_set};
use crate::duration::PromDuration;

/// The label carrying the path of the file a target came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// How often files are checked for changes.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// One `file_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileSdConfig {
    pub files: Vec<String>,
    pub refresh_interval: PromDuration,
}

impl Default for FileSdConfig {
    fn default() -> Self {
        FileSdConfig {
            files: Vec::new(),
            refresh_interval: PromDuration::from_secs(5 * 60),
        }
    }
}

impl FileSdConfig {
    /// Prometheus' checks and messages.
    pub fn validate(&self) -> Result<(), String> {
        if self.files.is_empty() {
            return Err("file service discovery config must contain at least one path name".into());
        }
        for name in &self.files {
            if !valid_file_sd_name(name) {
                return Err(format!(
                    "path name {name:?} is not valid for file discovery"
                ));
            }
        }
        Ok(())
    }

    /// The discoverer for this entry.
    pub fn discoverer(&self) -> Box<dyn Discoverer> {
        Box::new(FileDiscoverer::new(self))
    }
}

/// `^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$`: at most one `*`, and only in the last
/// path segment.
fn valid_file_sd_name(name: &str) -> bool {
    let ext_ok = ["json", "yml", "yaml", "JSON", "YML", "YAML"]
        .iter()
        .any(|ext| {
            name.strip_suffix(ext)
                .is_some_and(|stem| stem.ends_with('.'))
        });
    if !ext_ok {
        return false;
    }
    match name.find('*') {
        None => true,
        Some(i) => !name[i + 1..].contains(['*', '/']),
    }
}

/// The file_sd discoverer.
pub struct FileDiscoverer {
    patterns: Vec<String>,
    refresh_interval: Duration,
    poll_interval: Duration,
    errors: DiscoveryErrors,
}

impl FileDiscoverer {
    pub fn new(config: &FileSdConfig) -> Self {
        FileDiscoverer {
            patterns: config.files.clone(),
            refresh_interval: config.refresh_interval.as_duration(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            errors: DiscoveryErrors::default(),
        }
    }

    /// Checks for changes this often instead of every second.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

impl Discoverer for FileDiscoverer {
    fn run(
        self: Box<Self>,
        updates: mpsc::Sender<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) -> futures::future::BoxFuture<'static, ()> {
        async move {
            let mut state = FileState::default();
            let mut first = true;
            let mut last_full = Instant::now();
            loop {
                let full = first || last_full.elapsed() >= self.refresh_interval;
                if full {
                    last_full = Instant::now();
                }
                let changed = state.refresh(&self.patterns, full, &self.errors);
                // The first update is sent even when empty: it tells the manager we synced.
                if first || !changed.is_empty() {
                    first = false;
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        sent = updates.send(changed) => if sent.is_err() { return },
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        }
        .boxed()
    }

    fn report_errors_to(&mut self, errors: DiscoveryErrors) {
        self.errors = errors;
    }
}

/// What was last read from each file.
#[derive(Default)]
struct FileState {
    files: BTreeMap<PathBuf, FileEntry>,
}

struct FileEntry {
    fingerprint: Option<(SystemTime, u64)>,
    /// The groups last sent for this file (kept when a later read fails).
    groups: Vec<TargetGroup>,
}

impl FileState {
    /// Re-reads the files that changed (all of them when `full`) and returns the groups to
    /// send: those whose content changed, and empty groups for those that went away.
    fn refresh(
        &mut self,
        patterns: &[String],
        full: bool,
        errors: &DiscoveryErrors,
    ) -> Vec<TargetGroup> {
        let mut out = Vec::new();
        let current = list_files(patterns);
        // Vanished files: every group they had is sent empty.
        let gone: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| !current.contains(*p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(entry) = self.files.remove(&path) {
                out.extend(entry.groups.into_iter().map(|g| empty_group(g.source)));
            }
        }
        for path in current {
            let fingerprint = fingerprint(&path);
            let entry = self.files.entry(path.clone()).or_insert(FileEntry {
                fingerprint: None,
                groups: Vec::new(),
            });
            if !full && entry.fingerprint.is_some() && entry.fingerprint == fingerprint {
                continue;
            }
            entry.fingerprint = fingerprint;
            match read_file(&path) {
                Ok(groups) => {
                    let old = std::mem::take(&mut entry.groups);
                    // A file with fewer groups than before: the missing indices go empty.
                    for stale in old.iter().skip(groups.len()) {
                        out.push(empty_group(stale.source.clone()));
                    }
                    for (i, g) in groups.iter().enumerate() {
                        if old.get(i) != Some(g) {
                            out.push(g.clone());
                        }
                    }
                    entry.groups = groups;
                }
                Err(e) => {
                    // A file is read once per change (and per full refresh), so a malformed
                    // version counts once per read, as Prometheus' read-error counter.
                    errors.report("file");
                    tracing::error!(path = %path.display(), error = %e, "Error reading file");
                }
            }
        }
        out
    }
}

fn empty_group(source: String) -> TargetGroup {
    TargetGroup {
        source,
        ..Default::default()
    }
}

fn fingerprint(path: &Path) -> Option<(SystemTime, u64)> {
    let md = std::fs::metadata(path).ok()?;
    Some((md.modified().ok()?, md.len()))
}

/// The files the patterns name now, sorted and without duplicates.
fn list_files(patterns: &[String]) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    for pattern in patterns {
        let path = Path::new(pattern);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.contains(['*', '?']) {
            if path.is_file() {
                out.insert(path.to_path_buf());
            }
            continue;
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(candidate) = file_name.to_str() else {
                continue;
            };
            if wildcard_match(name, candidate) && entry.path().is_file() {
                // Keep the pattern's spelling of the directory, as Go's Glob does.
                out.insert(path.with_file_name(candidate));
            }
        }
    }
    out
}

/// Glob matching of one path segment: `*` any run of characters, `?` one character.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer matching with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A group as written in a YAML file (strict: unknown keys are errors, as `UnmarshalStrict`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: LabelSet,
}

/// A group as written in a JSON file (Go's `encoding/json` ignores unknown keys).
#[derive(Deserialize)]
struct JsonGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: LabelSet,
}

/// Reads one file into its groups, with sources `<path>:<index>`.
pub fn read_file(path: &Path) -> Result<Vec<TargetGroup>, String> {
    let content = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let raw: Vec<(Vec<String>, LabelSet)> = match ext.as_str() {
        "json" => serde_json::from_str::<Vec<Option<JsonGroup>>>(&content)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|g| g.map(|g| (g.targets, g.labels)))
            .collect::<Option<_>>()
            .ok_or("nil target group item found")?,
        "yml" | "yaml" => match confmap::parse_yaml(&content).map_err(|e| e.to_string())? {
            None => Vec::new(),
            Some(node) if node.is_null() => Vec::new(),
            Some(node) => confmap::decode::<Vec<Option<YamlGroup>>>(&node)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|g| g.map(|g| (g.targets, g.labels)))
                .collect::<Option<_>>()
                .ok_or("nil target group item found")?,
        },
        other => {
            return Err(format!(
                "unhandled file extension {:?}",
                format!(".{other}")
            ));
        }
    };
    let filepath = path.to_string_lossy().into_owned();
    raw.into_iter()
        .enumerate()
        .map(|(i, (targets, mut labels))| {
            validate_label_set(&labels)?;
            labels.insert(FILEPATH_LABEL.to_string(), filepath.clone());
            Ok(TargetGroup {
                source: format!("{filepath}:{i}"),
                targets: targets.iter().map(|t| address_target(t)).collect(),
                labels,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;

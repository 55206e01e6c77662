//! A scrape pool: one job's discoverers, the targets their groups yield, and one loop per
//! target (Prometheus' `scrapePool.Sync`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::ScrapeJob;
use crate::discovery::{DiscoveryErrors, LabelSet, PopulatedTarget, TargetGroup, populate_labels};

use super::scrape_loop::{self, LoopContext};
use super::target::ScrapeTarget;

/// What the scrape pools report about themselves, for the owner's self-metrics (the receiver's
/// `otelcol_receiver_prometheus_*`). The library only reports events; it keeps no telemetry of
/// its own, so it does not depend on a metrics registry.
pub trait ScrapeObserver: Send + Sync + 'static {
    /// The observer of one job, asked once when the job's pool starts and kept while it runs
    /// (so that per-event calls need no lookup).
    fn job(&self, job: &str) -> Arc<dyn JobObserver>;
}

/// What one job's pool reports.
pub trait JobObserver: Send + Sync + 'static {
    /// A scrape ended with `up` 0: the fetch failed, a limit was exceeded, the body did not
    /// parse, or the pool is over its `target_limit`.
    fn scrape_failed(&self);
    /// The pool now runs `active` targets (after relabelling and deduplication).
    fn active_targets(&self, active: usize);
    /// One of the job's discoverers failed a refresh (`mechanism`: `file`, `kubernetes`).
    fn discovery_failed(&self, mechanism: &'static str);
}

/// Reports nothing: the default when the owner does not observe.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl ScrapeObserver for NoObserver {
    fn job(&self, _job: &str) -> Arc<dyn JobObserver> {
        Arc::new(NoObserver)
    }
}

impl JobObserver for NoObserver {
    fn scrape_failed(&self) {}
    fn active_targets(&self, _active: usize) {}
    fn discovery_failed(&self, _mechanism: &'static str) {}
}

/// The targets a set of groups yields after relabelling: deduplicated by their labels (two
/// discovered targets that relabel to the same labels are scraped once), plus how many were
/// dropped by relabelling and the errors of the ones that could not be built.
pub fn build_targets<'a>(
    job: &ScrapeJob,
    groups: impl IntoIterator<Item = &'a TargetGroup>,
) -> (BTreeMap<LabelSet, ScrapeTarget>, usize, Vec<String>) {
    let defaults = job.target_defaults();
    let mut targets = BTreeMap::new();
    let mut dropped = 0;
    let mut errors = Vec::new();
    for group in groups {
        for (i, t) in group.targets.iter().enumerate() {
            match populate_labels(t, &group.labels, &defaults, &job.relabel_configs) {
                Ok(PopulatedTarget::Active { labels, discovered }) => {
                    if targets.contains_key(&labels) {
                        continue;
                    }
                    match ScrapeTarget::new(&job.job_name, labels.clone(), discovered, &job.params)
                    {
                        Ok(st) => {
                            targets.insert(labels, st);
                        }
                        Err(e) => {
                            errors.push(format!("instance {i} in group {}: {e}", group.source))
                        }
                    }
                }
                Ok(PopulatedTarget::Dropped { .. }) => dropped += 1,
                Err(e) => errors.push(format!("instance {i} in group {}: {e}", group.source)),
            }
        }
    }
    (targets, dropped, errors)
}

/// Prometheus' message when a pool has more targets than `target_limit`.
pub fn target_limit_error(targets: usize, limit: u64) -> Option<String> {
    (limit > 0 && targets as u64 > limit)
        .then(|| format!("target_limit exceeded (number of targets: {targets}, limit: {limit})"))
}

struct RunningLoop {
    stop: CancellationToken,
}

/// Runs one job until `ctx.shutdown`.
pub(crate) async fn run(job: Arc<ScrapeJob>, ctx: LoopContext) {
    let (tx, mut rx) = mpsc::channel::<(usize, Vec<TargetGroup>)>(16);
    let mut tasks = JoinSet::new();
    for (index, mut discoverer) in job.discoverers().into_iter().enumerate() {
        let observer = ctx.observer.clone();
        discoverer.report_errors_to(DiscoveryErrors::new(move |mechanism| {
            observer.discovery_failed(mechanism)
        }));
        let (dtx, mut drx) = mpsc::channel::<Vec<TargetGroup>>(4);
        tasks.spawn(discoverer.run(dtx, ctx.shutdown.child_token()));
        let tx = tx.clone();
        tasks.spawn(async move {
            while let Some(groups) = drx.recv().await {
                if tx.send((index, groups)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut groups: BTreeMap<(usize, String), TargetGroup> = BTreeMap::new();
    let mut loops: HashMap<LabelSet, RunningLoop> = HashMap::new();
    let mut loop_tasks = JoinSet::new();
    loop {
        let update = tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            u = rx.recv() => u,
        };
        let Some((index, update)) = update else {
            // Every discoverer has finished (static configs only): keep scraping.
            ctx.shutdown.cancelled().await;
            break;
        };
        apply(&mut groups, index, update);
        // Coalesce updates that are already queued into one sync.
        while let Ok((index, update)) = rx.try_recv() {
            apply(&mut groups, index, update);
        }
        sync(&job, &ctx, &groups, &mut loops, &mut loop_tasks);
        // Reap loops that have finished (stopped targets after their staleness markers).
        while loop_tasks.try_join_next().is_some() {}
    }
    tasks.abort_all();
    while loop_tasks.join_next().await.is_some() {}
}

fn apply(
    groups: &mut BTreeMap<(usize, String), TargetGroup>,
    index: usize,
    update: Vec<TargetGroup>,
) {
    for g in update {
        let key = (index, g.source.clone());
        if g.targets.is_empty() {
            groups.remove(&key);
        } else {
            groups.insert(key, g);
        }
    }
}

fn sync(
    job: &Arc<ScrapeJob>,
    ctx: &LoopContext,
    groups: &BTreeMap<(usize, String), TargetGroup>,
    loops: &mut HashMap<LabelSet, RunningLoop>,
    loop_tasks: &mut JoinSet<()>,
) {
    let (targets, dropped, errors) = build_targets(job, groups.values());
    for e in &errors {
        tracing::error!(scrape_pool = %job.job_name, error = %e, "Creating target failed");
    }
    let limit_error = target_limit_error(targets.len(), job.target_limit);
    if let Some(e) = &limit_error {
        tracing::error!(scrape_pool = %job.job_name, error = %e, "Target limit reached: every target of the pool fails its scrapes");
    }
    *ctx.forced_error.lock().unwrap_or_else(|p| p.into_inner()) = limit_error;
    loops.retain(|labels, running| {
        let keep = targets.contains_key(labels);
        if !keep {
            running.stop.cancel();
        }
        keep
    });
    for (labels, target) in targets {
        if loops.contains_key(&labels) {
            continue;
        }
        let stop = CancellationToken::new();
        loop_tasks.spawn(scrape_loop::run(target, ctx.clone(), stop.clone()));
        loops.insert(labels, RunningLoop { stop });
    }
    ctx.observer.active_targets(loops.len());
    tracing::debug!(
        scrape_pool = %job.job_name,
        active = loops.len(),
        dropped,
        "Synced targets"
    );
}

#[cfg(test)]
mod observer_tests {
    //! What a pool reports to its [`ScrapeObserver`]: every failed scrape (refused connection,
    //! `target_limit`), its target count, and failed discovery refreshes.

    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use futures::FutureExt as _;
    use futures::future::BoxFuture;

    use super::*;
    use crate::config::PromConfig;
    use crate::scrape::{Appender, ScrapeBatch, ScrapeManager};

    #[derive(Default, Debug, Clone, PartialEq)]
    struct Seen {
        failed: u64,
        targets: Option<usize>,
        sd_errors: Vec<&'static str>,
    }

    #[derive(Default)]
    struct Recorder {
        jobs: Mutex<HashMap<String, Seen>>,
        notify: tokio::sync::Notify,
    }

    struct JobRecorder {
        job: String,
        recorder: Arc<Recorder>,
    }

    impl JobRecorder {
        fn update(&self, f: impl FnOnce(&mut Seen)) {
            f(self
                .recorder
                .jobs
                .lock()
                .unwrap()
                .entry(self.job.clone())
                .or_default());
            self.recorder.notify.notify_waiters();
        }
    }

    impl JobObserver for JobRecorder {
        fn scrape_failed(&self) {
            self.update(|s| s.failed += 1);
        }
        fn active_targets(&self, active: usize) {
            self.update(|s| s.targets = Some(active));
        }
        fn discovery_failed(&self, mechanism: &'static str) {
            self.update(|s| s.sd_errors.push(mechanism));
        }
    }

    struct Shared(Arc<Recorder>);

    impl ScrapeObserver for Shared {
        fn job(&self, job: &str) -> Arc<dyn JobObserver> {
            Arc::new(JobRecorder {
                job: job.to_string(),
                recorder: self.0.clone(),
            })
        }
    }

    impl Recorder {
        async fn wait_for(&self, what: &str, pred: impl Fn(&HashMap<String, Seen>) -> bool) {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let notified = self.notify.notified();
                if pred(&self.jobs.lock().unwrap()) {
                    return;
                }
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep_until(deadline) => {
                        panic!("timed out waiting for {what}: {:?}", self.jobs.lock().unwrap())
                    }
                }
            }
        }
    }

    struct Discard;

    impl Appender for Discard {
        fn append(&self, _batch: ScrapeBatch) -> BoxFuture<'_, Result<(), String>> {
            async { Ok(()) }.boxed()
        }
    }

    /// A loopback port nothing listens on.
    fn refused_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn failed_scrapes_target_counts_and_discovery_errors_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yml");
        std::fs::write(&bad, "- targets: ['127.0.0.1:1'\n  labels: {").unwrap();
        let down = refused_port();
        let yaml = format!(
            "scrape_configs:\n\
             - job_name: down\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  static_configs: [{{targets: ['127.0.0.1:{down}']}}]\n  file_sd_configs: [{{files: ['{}']}}]\n\
             - job_name: limited\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  target_limit: 1\n  static_configs: [{{targets: ['127.0.0.1:{down}', 'localhost:{down}']}}]\n\
             - job_name: quiet\n  scrape_interval: 1h\n  static_configs: [{{targets: ['127.0.0.1:{down}']}}]\n",
            bad.display()
        );
        let node = confmap::parse_yaml(&yaml).unwrap().unwrap();
        let config: PromConfig = confmap::decode(&node).unwrap();
        config.validate().unwrap();
        let recorder = Arc::new(Recorder::default());
        let running = ScrapeManager::new(&config, Arc::new(Discard))
            .unwrap()
            .with_observer(Arc::new(Shared(recorder.clone())))
            .start();
        recorder
            .wait_for("failed scrapes of both jobs", |jobs| {
                let failed = |j: &str| jobs.get(j).map_or(0, |s| s.failed);
                failed("down") >= 2 && failed("limited") >= 2
            })
            .await;
        running.shutdown().await;
        let jobs = recorder.jobs.lock().unwrap().clone();
        let down = &jobs["down"];
        assert_eq!(down.targets, Some(1), "the malformed file adds no target");
        assert_eq!(
            down.sd_errors,
            ["file"],
            "a malformed file counts once per read, not once per poll"
        );
        // Over target_limit, the pool still runs both targets; both fail every scrape.
        assert_eq!(jobs["limited"].targets, Some(2));
        assert!(jobs["limited"].sd_errors.is_empty());
        // A target whose first scrape has not come yet has failed nothing.
        assert_eq!(
            jobs["quiet"],
            Seen {
                failed: 0,
                targets: Some(1),
                sd_errors: Vec::new()
            }
        );
    }
}

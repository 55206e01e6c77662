//! A scrape pool: one job's discoverers, the targets their groups yield, and one loop per
//! target (Prometheus' `scrapePool.Sync`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::ScrapeJob;
use crate::discovery::{LabelSet, PopulatedTarget, TargetGroup, populate_labels};

use super::scrape_loop::{self, LoopContext};
use super::target::ScrapeTarget;

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
    for (index, discoverer) in job.discoverers().into_iter().enumerate() {
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
    tracing::debug!(
        scrape_pool = %job.job_name,
        active = loops.len(),
        dropped,
        "Synced targets"
    );
}

//! One target's scrape loop: wait for the target's slot, scrape every interval, hand each
//! batch to the appender, and write end-of-run staleness markers when the target leaves
//! discovery (not when the whole manager shuts down, as Prometheus on reload).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::append::{AppendSettings, ScrapeInput, SeriesState};
use super::batch::Appender;
use super::http::{Buffers, HttpScraper};
use super::pool::JobObserver;
use super::target::ScrapeTarget;

/// Everything a loop shares with its pool.
#[derive(Clone)]
pub(crate) struct LoopContext {
    pub scraper: Arc<HttpScraper>,
    pub settings: Arc<AppendSettings>,
    pub appender: Arc<dyn Appender>,
    /// Set while the pool is over its `target_limit`: every scrape fails with it.
    pub forced_error: Arc<Mutex<Option<String>>>,
    /// The whole manager stops (no staleness markers).
    pub shutdown: CancellationToken,
    pub offset_seed: u64,
    /// Told about every failed scrape and the pool's target count.
    pub observer: Arc<dyn JobObserver>,
}

fn now_since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Runs until `stop` (the target left discovery: staleness markers follow) or the context's
/// `shutdown` (none).
pub(crate) async fn run(target: ScrapeTarget, ctx: LoopContext, stop: CancellationToken) {
    let mut state = SeriesState::new();
    let mut buffers = Buffers::default();
    let offset = target.offset(now_since_epoch().as_nanos(), ctx.offset_seed);
    tokio::select! {
        _ = ctx.shutdown.cancelled() => return,
        _ = stop.cancelled() => return,
        _ = tokio::time::sleep(offset) => {}
    }
    let mut ticker = tokio::time::interval(target.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_scrape_ms: Option<i64> = None;
    loop {
        tokio::select! {
            biased;
            _ = ctx.shutdown.cancelled() => return,
            _ = stop.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let started = Instant::now();
        let timestamp_ms = now_since_epoch().as_millis() as i64;
        let forced = ctx
            .forced_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let fetched = match forced {
            Some(e) => Err(e),
            None => {
                tokio::select! {
                    _ = ctx.shutdown.cancelled() => return,
                    r = ctx.scraper.scrape(&target.info.url, target.timeout, &mut buffers) => r,
                }
            }
        };
        let (input, fetch_error) = match &fetched {
            Ok(format) => match std::str::from_utf8(buffers.body()) {
                Ok(text) => (
                    ScrapeInput::Body {
                        text,
                        format: *format,
                        body_size: buffers.body().len(),
                    },
                    None,
                ),
                Err(e) => (
                    ScrapeInput::Failed,
                    Some(format!(
                        "invalid UTF-8 in the body at byte {}",
                        e.valid_up_to()
                    )),
                ),
            },
            Err(e) => (ScrapeInput::Failed, Some(e.clone())),
        };
        let (batch, report) =
            state.append(&target.info, &ctx.settings, input, timestamp_ms, || {
                started.elapsed().as_secs_f64()
            });
        if let Some(err) = fetch_error.as_ref().or(report.error.as_ref()) {
            ctx.observer.scrape_failed();
            tracing::warn!(
                scrape_pool = %target.info.job,
                target = %target.info.url,
                error = %err,
                "Failed to scrape Prometheus endpoint"
            );
        }
        if report.duplicates > 0 {
            tracing::warn!(
                scrape_pool = %target.info.job,
                target = %target.info.url,
                num_dropped = report.duplicates,
                "Error on ingesting samples with different value but same timestamp"
            );
        }
        deliver(&ctx, &target, batch).await;
        last_scrape_ms = Some(timestamp_ms);
    }
    // The target left discovery. Prometheus waits for the next scrape slot plus 10% of the
    // interval (so that a target that only flapped keeps its series), then marks every
    // series stale at the time the next scrape would have run.
    let Some(last) = last_scrape_ms else { return };
    let interval_ms = target.interval.as_millis() as i64;
    let stale_at = last + interval_ms;
    let wait_until = stale_at + interval_ms / 10;
    let wait = (wait_until - now_since_epoch().as_millis() as i64).max(0) as u64;
    tokio::select! {
        _ = ctx.shutdown.cancelled() => return,
        _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
    }
    if let Some(batch) = state.end_of_run(&target.info, &ctx.settings, stale_at) {
        deliver(&ctx, &target, batch).await;
    }
}

async fn deliver(ctx: &LoopContext, target: &ScrapeTarget, batch: super::batch::ScrapeBatch) {
    let samples = batch.samples.len();
    if let Err(e) = ctx.appender.append(batch).await {
        tracing::warn!(
            scrape_pool = %target.info.job,
            target = %target.info.url,
            error = %e,
            samples,
            "Appending scrape report failed; the scrape's samples are dropped"
        );
    }
}

//! The scrape manager: one pool per scrape job, run until cancelled.

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{PromConfig, ScrapeJob};

use super::append::AppendSettings;
use super::batch::Appender;
use super::http::HttpScraper;
use super::pool::{NoObserver, ScrapeObserver};
use super::scrape_loop::LoopContext;

/// Options that do not come from the Prometheus config.
#[derive(Debug, Clone)]
pub struct ScrapeOptions {
    /// Sent as `User-Agent` (the receiver sends `<command>/<version>`).
    pub user_agent: String,
}

impl Default for ScrapeOptions {
    fn default() -> Self {
        ScrapeOptions {
            user_agent: format!("ferrocol/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

struct Pool {
    job: Arc<ScrapeJob>,
    scraper: Arc<HttpScraper>,
    settings: Arc<AppendSettings>,
}

/// Runs the scrape jobs of a [`PromConfig`], delivering every scrape to an [`Appender`].
pub struct ScrapeManager {
    pools: Vec<Pool>,
    appender: Arc<dyn Appender>,
    offset_seed: u64,
    observer: Arc<dyn ScrapeObserver>,
}

/// A manager started with [`ScrapeManager::start`].
pub struct RunningScrapeManager {
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl RunningScrapeManager {
    /// Stops every scrape loop and discoverer and waits for them (no staleness markers are
    /// written, as Prometheus on reload).
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "scrape manager task failed");
        }
    }
}

impl ScrapeManager {
    /// Resolves every scrape job (including `scrape_config_files`) and builds each job's
    /// HTTP client (reading CA and client certificates); nothing runs yet.
    pub fn new(config: &PromConfig, appender: Arc<dyn Appender>) -> Result<Self, String> {
        Self::with_options(config, appender, ScrapeOptions::default())
    }

    pub fn with_options(
        config: &PromConfig,
        appender: Arc<dyn Appender>,
        options: ScrapeOptions,
    ) -> Result<Self, String> {
        let jobs = config.scrape_jobs()?;
        Self::from_jobs(jobs, appender, options)
    }

    /// From already resolved jobs.
    pub fn from_jobs(
        jobs: Vec<ScrapeJob>,
        appender: Arc<dyn Appender>,
        options: ScrapeOptions,
    ) -> Result<Self, String> {
        let mut pools = Vec::with_capacity(jobs.len());
        let mut seed_input = Vec::new();
        for job in jobs {
            let scraper = HttpScraper::new(&job, &options.user_agent)
                .map_err(|e| format!("scrape config with job name {:?}: {e}", job.job_name))?;
            let settings = AppendSettings {
                honor_labels: job.honor_labels,
                honor_timestamps: job.honor_timestamps,
                track_timestamps_staleness: job.track_timestamps_staleness,
                sample_limit: job.sample_limit,
                label_limit: job.label_limit,
                label_name_length_limit: job.label_name_length_limit,
                label_value_length_limit: job.label_value_length_limit,
                metric_relabel_configs: job.metric_relabel_configs.clone().into(),
                external_labels: job.external_labels.clone(),
                extra_scrape_metrics: job.extra_scrape_metrics,
                scrape_timeout_seconds: job.scrape_timeout.0.as_secs_f64(),
            };
            seed_input = job
                .external_labels
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            pools.push(Pool {
                job: Arc::new(job),
                scraper: Arc::new(scraper),
                settings: Arc::new(settings),
            });
        }
        // Prometheus seeds the offsets with the external labels and the host name, so that
        // HA pairs with different external labels scrape at different times.
        let host = std::env::var("HOSTNAME").unwrap_or_default();
        seed_input.push(("__host__".to_string(), host));
        let offset_seed = super::append::hash_labels(&seed_input);
        Ok(ScrapeManager {
            pools,
            appender,
            offset_seed,
            observer: Arc::new(NoObserver),
        })
    }

    /// Reports failed scrapes, target counts and discovery failures to `observer` (see
    /// [`ScrapeObserver`]); without it nothing is reported.
    pub fn with_observer(mut self, observer: Arc<dyn ScrapeObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// The job names, in config order.
    pub fn job_names(&self) -> Vec<&str> {
        self.pools.iter().map(|p| p.job.job_name.as_str()).collect()
    }

    /// Runs every pool until `shutdown` fires, then waits for them to stop.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        for pool in self.pools {
            let ctx = LoopContext {
                scraper: pool.scraper,
                settings: pool.settings,
                appender: self.appender.clone(),
                forced_error: Arc::new(Mutex::new(None)),
                shutdown: shutdown.clone(),
                offset_seed: self.offset_seed,
                observer: self.observer.job(&pool.job.job_name),
            };
            tasks.spawn(super::pool::run(pool.job, ctx));
        }
        while let Some(r) = tasks.join_next().await {
            if let Err(e) = r {
                tracing::error!(error = %e, "scrape pool task failed");
            }
        }
    }

    /// Spawns [`Self::run`] on the current runtime.
    pub fn start(self) -> RunningScrapeManager {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(self.run(shutdown.clone()));
        RunningScrapeManager { shutdown, task }
    }
}

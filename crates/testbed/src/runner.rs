//! Runs one scenario against one collector: start the mock backend and the collector, warm up,
//! load for a fixed time while sampling the collector, wait for the pipeline to drain, then
//! check delivery exactly: every item the collector acknowledged reached the backend, once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use loadgen::{CancellationToken, Generator, LoadConfig, Protocol, Summary};
use serde::Serialize;
use tokio::runtime::Runtime;

use crate::collector::{CollectorKind, Ports, RunningCollector, scrape_metric};
use crate::mock_backend::MockBackend;
use crate::sampler::{Sampler, Usage};
use crate::scenario::{Load, Scenario};

/// How long each phase lasts.
#[derive(Clone, Debug, Serialize)]
pub struct RunOptions {
    pub duration: Duration,
    pub warmup: Duration,
    /// How long the drain wait lasts without a new item reaching the backend before the
    /// delivery check gives up (a collector still delivering gets up to 3 minutes).
    pub drain_timeout: Duration,
    pub sample_interval: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            duration: Duration::from_secs(30),
            warmup: Duration::from_secs(3),
            drain_timeout: Duration::from_secs(10),
            sample_interval: Duration::from_millis(200),
        }
    }
}

/// How a scenario ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Verdict {
    Passed,
    Failed(String),
    /// The collector cannot run the scenario (e.g. a receiver or counter it lacks).
    #[serde(rename = "n/a")]
    NotApplicable(String),
}

/// Everything measured for one scenario and one collector.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub collector: String,
    pub verdict: Verdict,
    /// Items sent / acknowledged by the collector, warm-up included.
    pub sent_items: u64,
    pub acked_items: u64,
    /// Items the mock backend accepted after the drain wait.
    pub received_items: u64,
    /// Failed requests by gRPC code / HTTP status / transport error.
    pub errors: BTreeMap<String, u64>,
    /// Acknowledged items per second in the measured window.
    pub items_per_second: f64,
    /// The collector's CPU and memory in the measured window.
    pub usage: Option<Usage>,
    pub cpu_seconds_per_million_items: Option<f64>,
    /// Items per second per fully used core: the throughput divided by (CPU% / 100).
    pub items_per_second_per_core: Option<f64>,
    /// ferrocol only: payloads decoded from protobuf (`ferrocol_payload_decodes`).
    pub decodes: Option<u64>,
    /// Whether the collector exited within 10 s of SIGTERM.
    pub clean_shutdown: Option<bool>,
}

impl ScenarioResult {
    fn empty(scenario: &Scenario, kind: &CollectorKind, verdict: Verdict) -> Self {
        ScenarioResult {
            scenario: scenario.name.to_string(),
            collector: kind.name().to_string(),
            verdict,
            sent_items: 0,
            acked_items: 0,
            received_items: 0,
            errors: BTreeMap::new(),
            items_per_second: 0.0,
            usage: None,
            cpu_seconds_per_million_items: None,
            items_per_second_per_core: None,
            decodes: None,
            clean_shutdown: None,
        }
    }
}

/// Runs `scenario` against `kind`; never panics on a collector's failure, it reports it.
pub fn run(
    rt: &Runtime,
    kind: &CollectorKind,
    scenario: &Scenario,
    opts: &RunOptions,
) -> ScenarioResult {
    if let Err(reason) = kind.template(scenario) {
        return ScenarioResult::empty(scenario, kind, Verdict::NotApplicable(reason));
    }
    match run_checked(rt, kind, scenario, opts) {
        Ok(r) => r,
        Err(reason) => ScenarioResult::empty(scenario, kind, Verdict::Failed(reason)),
    }
}

fn run_checked(
    rt: &Runtime,
    kind: &CollectorKind,
    scenario: &Scenario,
    opts: &RunOptions,
) -> Result<ScenarioResult, String> {
    let backend = rt
        .block_on(MockBackend::start())
        .map_err(|e| format!("mock backend: {e}"))?;
    let ports =
        Ports::allocate(backend.grpc_addr, backend.http_addr).map_err(|e| format!("ports: {e}"))?;
    let mut collector = RunningCollector::start(kind, scenario, ports)?;

    let rate = match scenario.load {
        Load::Steady { rate } => rate,
        Load::Saturate => 0,
    };
    let port = match scenario.protocol {
        Protocol::Grpc => ports.grpc,
        Protocol::Http => ports.http,
    };
    let mut config = LoadConfig::new(
        scenario.signal,
        scenario.protocol,
        format!("127.0.0.1:{port}"),
    );
    config.gzip = scenario.gzip;
    config.rate = rate;
    config.workers = scenario.workers;
    config.shape = scenario.shape();
    let generator = Generator::new(config).map_err(|e| format!("load generator: {e}"))?;
    let phase = |duration: Duration| -> Result<Summary, String> {
        rt.block_on(
            generator
                .with_limits(Some(duration), None, rate)
                .run(CancellationToken::new()),
        )
        .map_err(|e| format!("load generator: {e}"))
    };

    let warm = if opts.warmup.is_zero() {
        None
    } else {
        Some(phase(opts.warmup)?)
    };
    let sampler = Sampler::start(collector.pid(), opts.sample_interval)
        .map_err(|e| format!("sampler: {e}"))?;
    let measured = phase(opts.duration)?;
    let usage = sampler.stop();

    let acked = measured.acked_items + warm.as_ref().map_or(0, |w| w.acked_items);
    let sent = measured.sent_items + warm.as_ref().map_or(0, |w| w.sent_items);
    let mut errors = measured.errors.clone();
    for (k, v) in warm.iter().flat_map(|w| w.errors.iter()) {
        *errors.entry(k.clone()).or_default() += v;
    }
    let received = drain(&backend, scenario, acked, opts.drain_timeout);
    let decodes = match kind {
        CollectorKind::Ferrocol { .. } => Some(
            scrape_metric(ports.metrics, "ferrocol_payload_decodes")
                .map_err(|e| format!("reading ferrocol's decode counter: {e}"))? as u64,
        ),
        CollectorKind::Rotel { .. } => None,
    };
    let alive = collector.is_running();
    let clean_exit = collector.stop(Duration::from_secs(10));

    let verdict = if !alive {
        Verdict::Failed(format!(
            "the collector died during the run:\n{}",
            collector.logs()
        ))
    } else if measured.acked_items == 0 {
        Verdict::Failed(format!(
            "nothing was acknowledged (errors {errors:?}):\n{}",
            collector.logs()
        ))
    } else if received != acked {
        Verdict::Failed(format!(
            "delivery: the collector acknowledged {acked} items, the backend received {received}\n{}",
            collector.logs()
        ))
    } else if decodes.is_some_and(|d| d > 0) {
        Verdict::Failed(format!(
            "OTLP → OTLP decoded {} payloads; it must forward the received bytes",
            decodes.unwrap_or(0)
        ))
    } else {
        Verdict::Passed
    };
    let cpu_fraction = usage.cpu_percent / 100.0;
    let per_second = measured.achieved_rate;
    Ok(ScenarioResult {
        scenario: scenario.name.to_string(),
        collector: kind.name().to_string(),
        verdict,
        sent_items: sent,
        acked_items: acked,
        received_items: received,
        errors,
        items_per_second: per_second,
        cpu_seconds_per_million_items: (measured.acked_items > 0)
            .then(|| usage.cpu_seconds / measured.acked_items as f64 * 1e6),
        items_per_second_per_core: (cpu_fraction > 0.0).then(|| per_second / cpu_fraction),
        usage: Some(usage),
        decodes,
        clean_shutdown: Some(clean_exit),
    })
}

/// Waits until the backend has what was acknowledged (then a little longer, so duplicates
/// show). A collector still delivering is given time, because a backlog is not a loss: the
/// wait ends early only when nothing new arrived for `idle_timeout`, and in any case after
/// [`DRAIN_CAP`]. Returns what the backend has.
fn drain(backend: &MockBackend, scenario: &Scenario, acked: u64, idle_timeout: Duration) -> u64 {
    let start = Instant::now();
    let received = || backend.counts().received(scenario.signal);
    let (mut last, mut last_change) = (received(), Instant::now());
    while last < acked && last_change.elapsed() < idle_timeout && start.elapsed() < DRAIN_CAP {
        std::thread::sleep(Duration::from_millis(50));
        let now = received();
        if now != last {
            (last, last_change) = (now, Instant::now());
        }
    }
    // A collector that duplicates would overshoot shortly after matching.
    std::thread::sleep(Duration::from_millis(500));
    received()
}

/// The longest drain wait, however steadily the collector is still delivering.
const DRAIN_CAP: Duration = Duration::from_secs(180);

//! The `timeout`, `retry_on_failure` and `sending_queue` sections every exporter embeds, with
//! upstream's keys, defaults and validation messages (collector-semantics.md §3).

use serde::{Deserialize, Deserializer};

/// Upstream `timeout`: the bound on each send attempt. `0` means no bound.
///
/// Upstream squashes this into the exporter's own config, so the key is `timeout` at the
/// exporter's top level. Serde cannot flatten into a `deny_unknown_fields` struct, so an exporter
/// config declares `pub timeout: confmap::Duration` itself, with
/// `TimeoutConfig::default().timeout` as its default, checks it with [`TimeoutConfig::validate`]
/// and passes `timeout.to_std_saturating()` to [`ExporterHelper::new`](super::ExporterHelper::new).
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    pub timeout: confmap::Duration,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        TimeoutConfig {
            timeout: confmap::Duration::from_secs(5),
        }
    }
}

impl TimeoutConfig {
    /// Upstream's check: a negative timeout would fail every send.
    pub fn validate(&self) -> Result<(), String> {
        if self.timeout.is_negative() {
            return Err("'timeout' must be non-negative".into());
        }
        Ok(())
    }
}

/// Upstream `retry_on_failure`: exponential backoff with jitter between send attempts.
///
/// Defaults: enabled, `initial_interval: 5s`, `randomization_factor: 0.5`, `multiplier: 1.5`,
/// `max_interval: 30s`, `max_elapsed_time: 300s` (`0` = retry forever).
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub enabled: bool,
    /// The wait after the first failure.
    pub initial_interval: confmap::Duration,
    /// Each wait is drawn uniformly from `interval × [1 - factor, 1 + factor]`.
    pub randomization_factor: f64,
    /// The interval grows by this factor after each failure...
    pub multiplier: f64,
    /// ...up to this bound (the randomised wait may still exceed it by the randomization factor).
    pub max_interval: confmap::Duration,
    /// Give up when the next attempt would start later than this after the first one; `0` never
    /// gives up.
    pub max_elapsed_time: confmap::Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            enabled: true,
            initial_interval: confmap::Duration::from_secs(5),
            randomization_factor: 0.5,
            multiplier: 1.5,
            max_interval: confmap::Duration::from_secs(30),
            max_elapsed_time: confmap::Duration::from_secs(300),
        }
    }
}

impl RetryConfig {
    /// Upstream's checks and messages (`configretry`); several failures are reported together,
    /// one per line, as Go's `errors.Join` prints them. Checked whether or not `enabled` is set,
    /// as upstream does.
    pub fn validate(&self) -> Result<(), String> {
        let mut errs: Vec<&str> = Vec::new();
        let max_elapsed = self.max_elapsed_time.as_nanos();
        if max_elapsed > 0 {
            if max_elapsed < self.initial_interval.as_nanos() {
                errs.push("'max_elapsed_time' must not be less than 'initial_interval'");
            } else if max_elapsed < self.max_interval.as_nanos() {
                errs.push("'max_elapsed_time' must not be less than 'max_interval'");
            }
        }
        if self.initial_interval.is_negative() {
            errs.push("initial_interval value must be greater than or equal to 0");
        }
        if self.max_elapsed_time.is_negative() {
            errs.push("max_elapsed_time value must be greater than or equal to 0");
        }
        if self.max_interval.is_negative() {
            errs.push("max_interval value must be greater than or equal to 0");
        }
        if self.multiplier < 0.0 || self.multiplier.is_nan() {
            errs.push("multiplier value must be greater than or equal to 0");
        }
        if self.randomization_factor < 0.0 || self.randomization_factor.is_nan() {
            errs.push("randomization_factor value must be greater than or equal to 0");
        }
        if self.randomization_factor > 1.0 {
            errs.push("randomization_factor value must be less than or equal to 1");
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n"))
        }
    }

    /// [`RetryConfig::validate`] with the section's path, as upstream prints it
    /// (`retry_on_failure: ...`; upstream joins this struct's errors into one, so only the first
    /// line carries the path).
    pub fn validate_at(&self, path: &str) -> Result<(), String> {
        self.validate().map_err(|e| format!("{path}: {e}"))
    }
}

/// How the queue (and a queue batch) measures its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sizer {
    /// One per payload (export request): the cheapest.
    #[default]
    Requests,
    /// Spans, metric data points or log records.
    Items,
    /// Bytes of the protobuf encoding.
    Bytes,
}

impl Sizer {
    pub fn as_str(self) -> &'static str {
        match self {
            Sizer::Requests => "requests",
            Sizer::Items => "items",
            Sizer::Bytes => "bytes",
        }
    }
}

impl std::fmt::Display for Sizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Sizer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "requests" => Ok(Sizer::Requests),
            "items" => Ok(Sizer::Items),
            "bytes" => Ok(Sizer::Bytes),
            // Upstream's wording (`request.SizerType.UnmarshalText`).
            other => Err(serde::de::Error::custom(format!(
                "invalid sizer: {other:?}"
            ))),
        }
    }
}

/// Upstream `sending_queue::batch::partition`.
#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PartitionConfig {
    pub metadata_keys: Vec<String>,
}

/// Upstream `sending_queue::batch`: off unless present; `batch: {}` means the defaults
/// `flush_timeout: 200ms`, `min_size: 8192`, `max_size: 0`.
///
/// Not implemented yet: [`ExporterHelper::new`](super::ExporterHelper::new) refuses a config with
/// `batch` set rather than silently not batching. The section is still decoded and validated
/// with upstream's rules so that the error a user sees is the most useful one.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QueueBatchConfig {
    pub flush_timeout: confmap::Duration,
    pub min_size: i64,
    pub max_size: i64,
    /// `None` inherits: see [`QueueConfig::batch_sizer`].
    pub sizer: Option<Sizer>,
    pub partition: PartitionConfig,
}

impl Default for QueueBatchConfig {
    fn default() -> Self {
        QueueBatchConfig {
            flush_timeout: confmap::Duration::from_millis(200),
            min_size: 8192,
            max_size: 0,
            sizer: None,
            partition: PartitionConfig::default(),
        }
    }
}

/// Upstream `sending_queue`: an in-memory queue between the pipeline and the exporter.
///
/// Defaults: enabled, `num_consumers: 10`, `queue_size: 1000`, `sizer: requests`,
/// `wait_for_result: false`, `block_on_overflow: false`, no `storage`, no `batch`.
///
/// `storage` (the persistent queue) and `batch` are accepted by the decoder but refused by
/// [`ExporterHelper::new`](super::ExporterHelper::new) until they are implemented, so a config
/// that asks for persistence never silently gets a memory queue.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    pub enabled: bool,
    /// Tasks that take payloads from the queue and send them concurrently.
    pub num_consumers: i64,
    /// Capacity, in units of `sizer`; it counts payloads being sent as well as waiting ones.
    pub queue_size: i64,
    pub sizer: Sizer,
    /// `consume` waits until the payload is sent (or given up) and returns that outcome.
    pub wait_for_result: bool,
    /// A full queue makes `consume` wait for room instead of refusing.
    pub block_on_overflow: bool,
    /// The id of a storage extension for a persistent queue (not supported yet).
    pub storage: Option<String>,
    /// Batching in the queue (not supported yet). Present (even as `batch:` or `batch: {}`)
    /// means on, with the defaults for what is not written, as upstream's `configoptional`.
    pub batch: confmap::Optional<QueueBatchConfig>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            enabled: true,
            num_consumers: 10,
            queue_size: 1000,
            sizer: Sizer::Requests,
            wait_for_result: false,
            block_on_overflow: false,
            storage: None,
            batch: confmap::Optional::none(),
        }
    }
}

impl QueueConfig {
    /// The sizer a queue batch uses: its own when set; otherwise the queue's. Upstream inherits
    /// the queue's sizer only when `sending_queue::sizer` was written explicitly and otherwise
    /// uses `items`; a decoded struct cannot tell an explicit `requests` from the default, so an
    /// inherited `requests` becomes `items` here (the only case where upstream would instead
    /// reject the config).
    pub fn batch_sizer(&self) -> Option<Sizer> {
        let batch = self.batch.get()?;
        Some(batch.sizer.unwrap_or(match self.sizer {
            Sizer::Requests => Sizer::Items,
            other => other,
        }))
    }

    /// Upstream's checks and messages (`queuebatch.Config`, `BatchConfig`, `PartitionConfig`),
    /// relative to the `sending_queue` section: the queue's own error bare, the batch's prefixed
    /// `batch: `, one per line. A disabled queue is not checked, as upstream skips a disabled
    /// optional section. [`QueueConfig::validate_at`] gives the full upstream text.
    pub fn validate(&self) -> Result<(), String> {
        join(self.errors().into_iter().map(|(sub, msg)| match sub {
            "" => msg,
            sub => format!("{sub}: {msg}"),
        }))
    }

    /// [`QueueConfig::validate`] with the section's path, as upstream prints it:
    /// `sending_queue: ...`, `sending_queue::batch: ...`.
    pub fn validate_at(&self, path: &str) -> Result<(), String> {
        join(self.errors().into_iter().map(|(sub, msg)| match sub {
            "" => format!("{path}: {msg}"),
            sub => format!("{path}::{sub}: {msg}"),
        }))
    }

    /// Each struct's first error, as upstream's `Validate` methods return one error each and
    /// the config walker collects them all, with the sub-path they belong to.
    fn errors(&self) -> Vec<(&'static str, String)> {
        let mut errs = Vec::new();
        if !self.enabled {
            return errs;
        }
        if let Err(e) = self.own_error() {
            errs.push(("", e));
        }
        if let (Some(batch), Some(sizer)) = (self.batch.get(), self.batch_sizer()) {
            if let Err(e) = batch.own_error(sizer) {
                errs.push(("batch", e));
            }
            if let Err(e) = batch.partition.own_error() {
                errs.push(("batch::partition", e));
            }
        }
        errs
    }

    fn own_error(&self) -> Result<(), String> {
        if self.num_consumers <= 0 {
            return Err("`num_consumers` must be positive".into());
        }
        if self.queue_size <= 0 {
            return Err("`queue_size` must be positive".into());
        }
        if let Some(storage) = &self.storage {
            component::ComponentId::parse(storage).map_err(|e| format!("storage: {e}"))?;
            if self.wait_for_result {
                return Err(
                    "`wait_for_result` is not supported with a persistent queue configured with `storage`"
                        .into(),
                );
            }
        }
        if let (Some(batch), Some(sizer)) = (self.batch.get(), self.batch_sizer())
            && sizer == self.sizer
            && batch.min_size > self.queue_size
        {
            return Err("`min_size` must be less than or equal to `queue_size`".into());
        }
        Ok(())
    }
}

impl QueueBatchConfig {
    fn own_error(&self, sizer: Sizer) -> Result<(), String> {
        if sizer == Sizer::Requests {
            return Err(format!(
                "`batch` supports only `items` or `bytes` sizer, found {:?}",
                sizer.as_str()
            ));
        }
        if self.flush_timeout.as_nanos() <= 0 {
            return Err(format!(
                "`flush_timeout` must be positive, found {}",
                self.flush_timeout.as_nanos()
            ));
        }
        if self.min_size < 0 {
            return Err(format!(
                "`min_size` must be non-negative, found {}",
                self.min_size
            ));
        }
        if self.max_size < 0 {
            return Err(format!(
                "`max_size` must be non-negative, found {}",
                self.max_size
            ));
        }
        if self.max_size > 0 && self.max_size < self.min_size {
            return Err(format!(
                "`max_size` ({}) must be greater or equal to `min_size` ({})",
                self.max_size, self.min_size
            ));
        }
        Ok(())
    }
}

impl PartitionConfig {
    fn own_error(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for key in &self.metadata_keys {
            let lower = key.to_lowercase();
            if !seen.insert(lower.clone()) {
                return Err(format!(
                    "duplicate entry in metadata_keys: {lower:?} (case-insensitive)"
                ));
            }
        }
        Ok(())
    }
}

fn join(lines: impl Iterator<Item = String>) -> Result<(), String> {
    let lines: Vec<String> = lines.collect();
    if lines.is_empty() {
        Ok(())
    } else {
        Err(lines.join("\n"))
    }
}

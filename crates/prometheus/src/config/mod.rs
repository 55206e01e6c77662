//! The Prometheus configuration a `prometheus` receiver embeds under `config:`: `global`,
//! `scrape_configs` and `scrape_config_files`, with Prometheus 3's defaults and validation
//! messages and the receiver's refusal of the server-only sections.
//!
//! Decode [`PromConfig`] with serde (confmap's deserializer names the YAML path of a bad key or
//! type; `${env}` expansion and `$$` unescaping happen before, in confmap), then call
//! [`PromConfig::validate`] at config validation and [`PromConfig::scrape_jobs`] to get the
//! resolved [`ScrapeJob`]s the scrape manager runs. [`PromConfig::check_files`] is the
//! receiver's check that credential and certificate files exist; it is separate because those
//! files often exist only where the collector runs (a Kubernetes service-account token).

mod byte_size;
mod files;
mod global;
mod protocol;
mod scrape_config;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};

pub use byte_size::ByteSize;
pub use global::{DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, GlobalConfig, ResolvedGlobal};
pub use protocol::{
    DEFAULT_SCRAPE_PROTOCOLS, PROTO_FIRST_SCRAPE_PROTOCOLS, ProtocolName, ScrapeProtocol,
    accept_header, parse_protocols,
};
pub use scrape_config::{HttpHeader, ScrapeConfig, ScrapeJob};

/// A list whose content the receiver ignores but whose length matters (a non-empty
/// `remote_write` is refused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListLen(pub usize);

impl<'de> Deserialize<'de> for ListLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListLen;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_unit<E>(self) -> Result<ListLen, E> {
                Ok(ListLen(0))
            }
            fn visit_none<E>(self) -> Result<ListLen, E> {
                Ok(ListLen(0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListLen, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(ListLen(n))
            }
        }
        d.deserialize_any(V)
    }
}

/// `alerting:` — only to refuse it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertingConfig {
    pub alert_relabel_configs: ListLen,
    pub alertmanagers: ListLen,
}

/// The receiver's `config:` (Prometheus' `Config`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromConfig {
    pub global: GlobalConfig,
    pub scrape_configs: Vec<Option<ScrapeConfig>>,
    /// Globs (`*` only in the last path segment), relative to the collector's working
    /// directory; each file holds `scrape_configs:`.
    pub scrape_config_files: Vec<String>,
    // Refused when non-empty, as the receiver does.
    pub remote_write: ListLen,
    pub remote_read: ListLen,
    pub rule_files: ListLen,
    pub alerting: AlertingConfig,
    // Prometheus-server sections without meaning in a receiver, accepted and ignored, as
    // the receiver (which hands the whole config to Prometheus' loader) does.
    pub runtime: Option<IgnoredAny>,
    pub storage: Option<IgnoredAny>,
    pub tracing: Option<IgnoredAny>,
    pub otlp: Option<IgnoredAny>,
}

/// The file `scrape_config_files` entries hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ScrapeConfigsFile {
    scrape_configs: Vec<Option<ScrapeConfig>>,
}

impl PromConfig {
    /// The receiver's `PromConfig.Validate` and Prometheus' load-time checks, except the
    /// file-existence checks ([`Self::check_files`]) and the reading of
    /// `scrape_config_files` ([`Self::scrape_jobs`]).
    pub fn validate(&self) -> Result<(), String> {
        self.check_unsupported()?;
        let global = self.global.resolve()?;
        for pattern in &self.scrape_config_files {
            files::check_pattern(pattern)?;
        }
        self.inline_jobs(&global)?;
        Ok(())
    }

    /// `unsupported features:` for the server-only sections, sorted, as the receiver.
    fn check_unsupported(&self) -> Result<(), String> {
        let mut unsupported = Vec::new();
        if self.remote_write.0 != 0 {
            unsupported.push("remote_write");
        }
        if self.remote_read.0 != 0 {
            unsupported.push("remote_read");
        }
        if self.rule_files.0 != 0 {
            unsupported.push("rule_files");
        }
        if self.alerting.alert_relabel_configs.0 != 0 {
            unsupported.push("alert_config.relabel_configs");
        }
        if self.alerting.alertmanagers.0 != 0 {
            unsupported.push("alert_config.alertmanagers");
        }
        if unsupported.is_empty() {
            return Ok(());
        }
        unsupported.sort_unstable();
        Err(format!(
            "unsupported features:\n\t{}",
            unsupported.join("\n\t")
        ))
    }

    fn inline_jobs(&self, global: &ResolvedGlobal) -> Result<Vec<ScrapeJob>, String> {
        let mut seen: HashMap<String, ()> = HashMap::new();
        let mut jobs = Vec::with_capacity(self.scrape_configs.len());
        for sc in &self.scrape_configs {
            let sc = sc
                .as_ref()
                .ok_or_else(|| "empty or null scrape config section".to_string())?;
            let job = sc.resolve(global)?;
            if seen.insert(job.job_name.clone(), ()).is_some() {
                return Err(format!(
                    "found multiple scrape configs with job name {:?}",
                    job.job_name
                ));
            }
            jobs.push(job);
        }
        Ok(jobs)
    }

    /// Every scrape job, inline ones first, then those of `scrape_config_files` (read now,
    /// in glob order), validated against `global` (Prometheus' `GetScrapeConfigs`).
    pub fn scrape_jobs(&self) -> Result<Vec<ScrapeJob>, String> {
        self.check_unsupported()?;
        let global = self.global.resolve()?;
        let mut jobs = self.inline_jobs(&global)?;
        let mut origin: HashMap<String, String> = jobs
            .iter()
            .map(|j| (j.job_name.clone(), "main config file".to_string()))
            .collect();
        for pattern in &self.scrape_config_files {
            files::check_pattern(pattern)?;
            for path in files::glob(pattern)? {
                let file_err = |e: String| format!("{:?}: {e}", path.display().to_string());
                let text = std::fs::read_to_string(&path).map_err(|e| file_err(e.to_string()))?;
                let parsed: ScrapeConfigsFile = match confmap::parse_yaml(&text) {
                    Ok(Some(node)) => {
                        confmap::decode(&node).map_err(|e| file_err(e.to_string()))?
                    }
                    Ok(None) => ScrapeConfigsFile::default(),
                    Err(e) => return Err(file_err(e.to_string())),
                };
                for sc in parsed.scrape_configs {
                    let sc =
                        sc.ok_or_else(|| file_err("empty or null scrape config section".into()))?;
                    let job = sc.resolve(&global).map_err(file_err)?;
                    if let Some(first) = origin.get(&job.job_name) {
                        return Err(file_err(format!(
                            "found multiple scrape configs with job name {:?}, first found in {first}",
                            job.job_name
                        )));
                    }
                    origin.insert(
                        job.job_name.clone(),
                        format!("{:?}", path.display().to_string()),
                    );
                    jobs.push(job);
                }
            }
        }
        Ok(jobs)
    }

    /// The receiver's file checks for every scrape job.
    pub fn check_files(&self) -> Result<(), String> {
        for job in self.scrape_jobs()? {
            job.check_files()?;
        }
        Ok(())
    }

    /// Whether any scrape job is configured inline or through `scrape_config_files` (the
    /// receiver refuses a config with neither and no target allocator).
    pub fn has_scrape_configs(&self) -> bool {
        self.scrape_jobs().is_ok_and(|j| !j.is_empty())
    }
}

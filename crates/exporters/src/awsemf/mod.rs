//! `awsemf` (contrib `exporter/awsemfexporter`, beta for metrics): writes metrics as CloudWatch
//! Embedded Metric Format (EMF) log events, to CloudWatch Logs or to stdout.
//!
//! The translation (`translate/`) follows upstream v0.115 (grouping, rollups, declarations,
//! cumulative → delta with the first value kept as baseline, stats-only histograms, midpoint
//! exponential histograms, summaries, units, `StorageResolution`, `prom_metric_type`, version 0
//! and 1, log group/stream placeholders). Where ferrocol differs, it is so that CloudWatch
//! extracts what upstream's output loses:
//! - output order is deterministic (sorted) where upstream's follows Go map iteration;
//! - a group whose directives name more than 100 metrics becomes several events of at most 100
//!   (CloudWatch ignores larger directives; upstream sends them);
//! - declared dimension sets may name up to 30 dimensions (upstream drops sets over 10), and a
//!   set over 30 (which CloudWatch refuses) is left out of the directive, counted and logged;
//! - an exponential histogram with more than 100 buckets is split (newer upstream does too);
//! - a unit CloudWatch does not know is written as `""` instead of being passed through;
//! - unknown `output_destination`, `dimension_rollup_option` and `version` values are config
//!   errors instead of silently producing useless output.
//!
//! Self-metrics besides the helper's `otelcol_exporter_*`:
//! `otelcol_exporter_awsemf_distinct_metrics{exporter}` (distinct CloudWatch metrics —
//! namespace, name, dimension names and values — written since start, what CloudWatch bills),
//! `otelcol_exporter_awsemf_dropped_metric_points{exporter,reason}` and
//! `otelcol_exporter_awsemf_dropped_dimension_sets{exporter}`.

mod config;
mod exporter;
mod sink;
pub mod spec;
#[cfg(test)]
mod tests;
pub mod translate;

use std::sync::Arc;

use component::{
    AnyConfig, BoxFuture, ConfigError, CreateContext, CreateError, Exporter, ExporterFactory,
    FactoryInfo, Host, Kind, Signal, Stability, StartError,
};

pub use config::{
    AwsEmfConfig, Destination, LabelMatcher, MetricDeclaration, MetricDescriptor,
    ResourceToTelemetry, Rollup,
};
pub use exporter::EmfExporter;

use aws::cloudwatch_logs::LogsSettings;
use sink::{CloudWatch, Sink};
use translate::{Rules, Translator};

use crate::shared::helped::{self, Backend, HelperSettings, Senders};

pub struct AwsEmfFactory;

impl FactoryInfo for AwsEmfFactory {
    fn kind(&self) -> Kind {
        "awsemf"
    }

    fn module(&self) -> String {
        "ferrocol/awsemf (contrib exporter/awsemfexporter)".into()
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<AwsEmfConfig>(node)
    }
}

impl ExporterFactory for AwsEmfFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Metrics).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &AwsEmfConfig = config.get();
        let translator = translator(config).map_err(CreateError)?;
        let sink = match config.destination().map_err(CreateError)? {
            Destination::Stdout => Sink::Stdout,
            Destination::CloudWatch => Sink::CloudWatch(Box::new(CloudWatch::new(
                config.session.clone(),
                LogsSettings {
                    log_retention: config.log_retention,
                    tags: config.tags.clone().unwrap_or_default(),
                    emf: true,
                },
                &config.namespace,
                &config.log_group_name,
            ))),
        };
        let sender = Arc::new(EmfExporter::new(ctx.id.to_string(), translator, sink));
        helped::only(Signal::Metrics, signals)?;
        // Upstream's awsemf has no sending queue, retry or timeout: the helper only counts.
        helped::build(
            &ctx.id,
            HelperSettings::counting_only(),
            Senders {
                metrics: Some(sender.clone()),
                ..Senders::default()
            },
            sender,
        )
    }
}

impl Backend for EmfExporter {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        // Upstream fails start when no region can be found (`NoAwsRegion`).
        Box::pin(self.sink().start())
    }
}

/// The translator a config asks for, with this instance's default log stream.
pub fn translator(config: &AwsEmfConfig) -> Result<Translator, String> {
    let default_stream = format!("otel-stream-{}", uuid::Uuid::new_v4());
    let rules = Rules::new(config, default_stream)?;
    Ok(Translator::new(
        rules,
        config.retain_initial_value_of_delta_metric,
    ))
}

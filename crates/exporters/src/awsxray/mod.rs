//! `awsxray` (contrib `exporter/awsxrayexporter`, beta, traces): each span becomes an X-Ray
//! segment document ([`translate`]) sent with PutTraceSegments (REST-JSON
//! `POST /TraceSegments`, `{"TraceSegmentDocuments": [...]}`), 50 documents per call, signed
//! with SigV4 through `aws::AwsSession`.
//!
//! Behind the exporter helper (`sending_queue`, `retry_on_failure`), which upstream's exporter
//! lacks. Segments X-Ray lists in `UnprocessedTraceSegments` with a throttling or internal
//! error code are sent again (up to 3 rounds within one attempt, then the attempt fails and the
//! helper retries the payload: PutTraceSegments is idempotent per segment id); other unprocessed
//! segments are dropped with their error code. A throttled or failing service is retried; a
//! request the service refuses (bad signature, access denied) is permanent.
//!
//! Spans that make no document are counted in
//! `otelcol_exporter_awsxray_dropped_spans{exporter, reason}`: `invalid` (bad ids, or a trace id
//! outside X-Ray's time window when timestamp validation is on), `too_large` (over 64 KB even
//! without metadata and stack frames) and `rejected` (unprocessed by X-Ray, not retryable).
//! Documents trimmed to fit 64 KB are logged.
//!
//! Feature gates read at start: `exporter.awsxray.skiptimestampvalidation` and
//! `exporter.xray.allowDot` (both beta, on unless the service lists them disabled).

mod config;
mod telemetry_records;
pub mod translate;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws::xray::MAX_SEGMENTS_PER_PUT;
use aws::{AwsError, AwsSession, Service};
use component::{
    AnyConfig, BoxFuture, ComponentId, ConfigError, ConsumeError, CreateContext, CreateError,
    Exporter, ExporterFactory, FactoryInfo, Host, Kind, Signal, Stability, StartError,
};
use helpers::Sender;
use pdata::ExportTraceServiceRequest;
use pdata::payload::Payload;
use serde::Deserialize;
use telemetry::metrics::{Counter, global};
use telemetry::ratelimit::DropLog;

use crate::shared::helped::{self, Backend, HelperSettings, Senders};

pub use config::{AwsXrayExporterConfig, TelemetryConfig};
use telemetry_records::TelemetryRecorder;
use translate::{Options, TranslateError, Translator};

const GATE_SKIP_TIMESTAMP_VALIDATION: &str = "exporter.awsxray.skiptimestampvalidation";
const GATE_ALLOW_DOT: &str = "exporter.xray.allowDot";

/// Rounds of re-sending retryable unprocessed segments within one attempt.
const UNPROCESSED_ROUNDS: u32 = 3;

pub struct AwsXrayFactory;

impl FactoryInfo for AwsXrayFactory {
    fn kind(&self) -> Kind {
        "awsxray"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<AwsXrayExporterConfig>(node)
    }
}

impl ExporterFactory for AwsXrayFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Traces).then_some(Stability::Beta)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &AwsXrayExporterConfig = config.get();
        helped::only(Signal::Traces, signals)?;
        let sender = Arc::new(XraySender::new(&ctx, config.clone()));
        helped::build(
            &ctx.id,
            HelperSettings {
                // Each HTTP exchange is bounded by `request_timeout_seconds`.
                timeout: Duration::ZERO,
                queue: config.sending_queue.clone(),
                retry: config.retry_on_failure.clone(),
            },
            Senders {
                traces: Some(sender.clone()),
                ..Senders::default()
            },
            sender,
        )
    }
}

/// `otelcol_exporter_awsxray_dropped_spans{exporter, reason}`.
struct Drops {
    invalid: Counter,
    too_large: Counter,
    rejected: Counter,
    log: DropLog,
    trimmed_log: DropLog,
}

impl Drops {
    fn new(id: &ComponentId) -> Self {
        let counter = |reason: &str| {
            global().counter(
                "otelcol_exporter_awsxray_dropped_spans",
                "Spans the awsxray exporter did not deliver, by reason.",
                vec![("exporter", id.to_string()), ("reason", reason.to_string())],
            )
        };
        Drops {
            invalid: counter("invalid"),
            too_large: counter("too_large"),
            rejected: counter("rejected"),
            log: DropLog::default(),
            trimmed_log: DropLog::default(),
        }
    }

    fn dropped(&self, id: &ComponentId, reason: &str, counter: &Counter, detail: &str) {
        counter.add(1);
        if let Some(held) = self.log.admit(1) {
            tracing::warn!(
                exporter = %id, reason, error = detail, suppressed_events = held.events,
                "Dropping a span that cannot be sent to X-Ray"
            );
        }
    }
}

#[derive(Deserialize)]
struct PutResponse {
    #[serde(rename = "UnprocessedTraceSegments", default)]
    unprocessed: Vec<Unprocessed>,
}

#[derive(Deserialize)]
struct Unprocessed {
    #[serde(rename = "Id", default)]
    id: Option<String>,
    #[serde(rename = "ErrorCode", default)]
    error_code: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
}

impl Unprocessed {
    /// Throttling and service-side failures are worth another try; a malformed document is not.
    fn retryable(&self) -> bool {
        let code = self.error_code.as_deref().unwrap_or("");
        code.contains("Throttl")
            || code.contains("Internal")
            || code.contains("ServiceUnavailable")
            || code.starts_with('5')
    }
}

struct XraySender {
    id: ComponentId,
    build_version: &'static str,
    config: AwsXrayExporterConfig,
    session: OnceLock<AwsSession>,
    translator: OnceLock<Translator>,
    telemetry: OnceLock<TelemetryRecorder>,
    drops: Drops,
}

/// The segment id of a document, to match `UnprocessedTraceSegments` entries.
fn document_id(doc: &str) -> Option<&str> {
    let rest = &doc[doc.find("\"id\":\"")? + 6..];
    Some(&rest[..rest.find('"')?])
}

impl Backend for XraySender {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(self.connect(host))
    }

    /// The last telemetry records go out once no more segments are sent.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(t) = self.telemetry.get() {
                t.stop().await;
            }
        })
    }
}

impl XraySender {
    fn new(ctx: &CreateContext, config: AwsXrayExporterConfig) -> Self {
        XraySender {
            id: ctx.id.clone(),
            build_version: ctx.build_version,
            drops: Drops::new(&ctx.id),
            config,
            session: OnceLock::new(),
            translator: OnceLock::new(),
            telemetry: OnceLock::new(),
        }
    }

    /// Resolves region, endpoint and credentials (no region fails start, as upstream) and reads
    /// the feature gates.
    async fn connect(&self, host: &Host) -> Result<(), StartError> {
        let gates = host.graph_description();
        let _ = self.translator.set(Translator::new(Options {
            indexed_attributes: self.config.indexed_attributes.clone(),
            index_all_attributes: self.config.index_all_attributes,
            log_groups: self.config.aws_log_groups.clone(),
            skip_timestamp_validation: gates.gate_enabled(GATE_SKIP_TIMESTAMP_VALIDATION),
            allow_dot: gates.gate_enabled(GATE_ALLOW_DOT),
        }));
        if self.session.get().is_none() {
            let exec_env =
                std::env::var("AWS_EXECUTION_ENV").unwrap_or_else(|_| "UNKNOWN".to_string());
            let suffix = format!(
                "xray-otel-exporter/{} exec-env/{exec_env} OS/{}-{}",
                self.build_version,
                std::env::consts::OS,
                std::env::consts::ARCH
            );
            let session = AwsSession::new(&self.config.session, Service::XRAY)
                .await
                .map_err(|e| StartError(e.to_string()))?
                .with_user_agent_suffix(&suffix);
            if self.config.telemetry.enabled {
                let recorder = TelemetryRecorder::start(
                    session.clone(),
                    self.config.telemetry.clone(),
                    self.config.session.resource_arn.clone(),
                );
                let _ = self.telemetry.set(recorder);
            }
            let _ = self.session.set(session);
        }
        Ok(())
    }

    /// Documents for every span of the request; spans that make none are counted and logged.
    fn documents(&self, translator: &Translator, req: &ExportTraceServiceRequest) -> Vec<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut docs = Vec::new();
        for rs in &req.resource_spans {
            let resource = rs
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or(&[]);
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    match translator.documents(span, resource, now) {
                        Ok(made) => {
                            for d in made {
                                if let Some(what) = d.trimmed
                                    && let Some(held) = self.drops.trimmed_log.admit(1)
                                {
                                    tracing::warn!(
                                        exporter = %self.id, left_out = what,
                                        suppressed_events = held.events,
                                        "A segment document over 64 KB was sent without some of its data"
                                    );
                                }
                                docs.push(d.json);
                            }
                        }
                        Err(e @ TranslateError::TooLarge(_)) => self.drops.dropped(
                            &self.id,
                            "too_large",
                            &self.drops.too_large,
                            &e.to_string(),
                        ),
                        Err(e) => self.drops.dropped(
                            &self.id,
                            "invalid",
                            &self.drops.invalid,
                            &e.to_string(),
                        ),
                    }
                }
            }
        }
        docs
    }

    /// One PutTraceSegments call; the documents X-Ray did not take.
    async fn put(
        &self,
        session: &AwsSession,
        docs: &[String],
    ) -> Result<Vec<Unprocessed>, AwsError> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(rename = "TraceSegmentDocuments")]
            docs: &'a [String],
        }
        let body = serde_json::to_vec(&Body { docs })
            .map_err(|e| AwsError::config("SerializationError", e.to_string()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let timestamp = format!("{now:.9}");
        let result = session
            .rest_json(
                http::Method::POST,
                "/TraceSegments",
                body.into(),
                &[("x-amzn-xray-timestamp", timestamp.as_str())],
            )
            .await;
        if let Some(t) = self.telemetry.get() {
            t.record_call(docs.len(), result.as_ref().err());
        }
        let body = result?;
        if body.is_empty() {
            return Ok(Vec::new());
        }
        let parsed: PutResponse = serde_json::from_slice(&body).map_err(|e| {
            AwsError::transient(
                "SerializationError",
                format!("PutTraceSegments answer: {e}"),
            )
        })?;
        if let Some(t) = self.telemetry.get() {
            t.record_rejected(parsed.unprocessed.len());
        }
        Ok(parsed.unprocessed)
    }

    /// Sends one chunk, re-sending retryable unprocessed documents.
    async fn send_chunk(&self, session: &AwsSession, chunk: &[String]) -> Result<(), ConsumeError> {
        let mut pending: Vec<String> = chunk.to_vec();
        for round in 0..UNPROCESSED_ROUNDS {
            let unprocessed = self.put(session, &pending).await.map_err(|e| {
                if e.is_retryable() {
                    ConsumeError::retryable(e.to_string())
                } else {
                    ConsumeError::permanent(e.to_string())
                }
            })?;
            if unprocessed.is_empty() {
                return Ok(());
            }
            let mut again = Vec::new();
            for u in &unprocessed {
                let doc = pending
                    .iter()
                    .find(|d| u.id.is_some() && document_id(d) == u.id.as_deref());
                if u.retryable() {
                    if let Some(d) = doc {
                        again.push(d.clone());
                    }
                } else {
                    self.drops.dropped(
                        &self.id,
                        "rejected",
                        &self.drops.rejected,
                        &format!(
                            "segment {} unprocessed: {}: {}",
                            u.id.as_deref().unwrap_or("?"),
                            u.error_code.as_deref().unwrap_or(""),
                            u.message.as_deref().unwrap_or("")
                        ),
                    );
                }
            }
            if again.is_empty() {
                return Ok(());
            }
            pending = again;
            if round + 1 < UNPROCESSED_ROUNDS {
                tokio::time::sleep(aws::error::backoff(round, true)).await;
            }
        }
        Err(ConsumeError::retryable(format!(
            "X-Ray left {} segment(s) unprocessed after {UNPROCESSED_ROUNDS} rounds",
            pending.len()
        )))
    }
}

impl Sender<ExportTraceServiceRequest> for XraySender {
    fn send(
        &self,
        data: Payload<ExportTraceServiceRequest>,
    ) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let (Some(session), Some(translator)) = (self.session.get(), self.translator.get())
            else {
                return Err(ConsumeError::retryable("exporter not started"));
            };
            let req = data.message().map_err(ConsumeError::permanent)?;
            if let Some(t) = self.telemetry.get() {
                t.record_received(data.items());
            }
            let docs = self.documents(translator, &req);
            for chunk in docs.chunks(MAX_SEGMENTS_PER_PUT) {
                self.send_chunk(session, chunk).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;

//! `file` (contrib `exporter/fileexporter`, alpha): writes every request to a file, as OTLP JSON
//! lines or as protobuf frames (a 4-byte big-endian length, then the message), optionally
//! zstd-compressed per request, with lumberjack-style rotation.

mod config;
mod rotate;
#[cfg(test)]
mod tests;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use component::{
    AnyConfig, BoxFuture, ConfigError, ConsumeError, CreateContext, CreateError, Exporter,
    ExporterFactory, FactoryInfo, Host, Kind, Signal, Stability, StartError,
};
use helpers::{QueueConfig, RetryConfig, Sender};
use parking_lot::Mutex;
use pdata::payload::{Payload, Request};
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

pub use config::{FileConfig, GroupBy, Rotation};

use crate::shared::helped::{self, Backend, HelperSettings, Senders};
use writer::FileWriter;

pub struct FileFactory;

impl FactoryInfo for FileFactory {
    fn kind(&self) -> Kind {
        "file"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<FileConfig>(node)
    }
}

impl ExporterFactory for FileFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Alpha)
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let config: &FileConfig = config.get();
        let shared = Arc::new(FileShared {
            config: config.clone(),
            writer: Mutex::new(None),
        });
        // Upstream builds the file exporter without queue, retry or timeout options.
        let settings = HelperSettings {
            timeout: Duration::ZERO,
            queue: QueueConfig {
                enabled: false,
                ..QueueConfig::default()
            },
            retry: RetryConfig {
                enabled: false,
                ..RetryConfig::default()
            },
        };
        helped::build(
            &ctx.id,
            settings,
            Senders::all(shared.clone(), signals),
            shared,
        )
    }
}

/// One file shared by every signal of the exporter, as upstream's shared component.
struct FileShared {
    config: FileConfig,
    writer: Mutex<Option<Arc<FileWriter>>>,
}

impl Backend for FileShared {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let config = self.config.clone();
            let writer = tokio::task::spawn_blocking(move || FileWriter::start(&config))
                .await
                .map_err(|e| StartError(e.to_string()))?
                .map_err(|e| StartError(format!("{}: {e}", self.config.path)))?;
            *self.writer.lock() = Some(Arc::new(writer));
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let writer = self.writer.lock().take();
            if let Some(w) = writer {
                w.close(Duration::from_secs(5)).await;
            }
        })
    }
}

/// How one signal is written in the `json` format.
trait JsonSignal: Request {
    fn to_json(m: &Self) -> Vec<u8>;
}

impl JsonSignal for ExportTraceServiceRequest {
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_traces(m)
    }
}
impl JsonSignal for ExportMetricsServiceRequest {
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_metrics(m)
    }
}
impl JsonSignal for ExportLogsServiceRequest {
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_logs(m)
    }
}

impl FileShared {
    /// The bytes for one request: the protobuf as received (no decode) or OTLP JSON, compressed
    /// if configured, then framed or terminated by a newline.
    fn record<M: JsonSignal>(&self, p: &Payload<M>) -> Result<Vec<u8>, ConsumeError> {
        let body: Vec<u8> = if self.config.is_proto() {
            p.bytes().to_vec()
        } else {
            M::to_json(&*p.message().map_err(ConsumeError::permanent)?)
        };
        let body = if self.config.compression == "zstd" {
            zstd::bulk::compress(&body, zstd::DEFAULT_COMPRESSION_LEVEL)
                .map_err(ConsumeError::permanent)?
        } else {
            body
        };
        Ok(if self.config.framed() {
            let len = u32::try_from(body.len()).map_err(|_| {
                ConsumeError::permanent(format!(
                    "a {} byte request does not fit a frame",
                    body.len()
                ))
            })?;
            let mut framed = Vec::with_capacity(4 + body.len());
            framed.extend_from_slice(&len.to_be_bytes());
            framed.extend_from_slice(&body);
            framed
        } else {
            let mut line = body;
            line.push(b'\n');
            line
        })
    }
}

impl<M: JsonSignal> Sender<M> for FileShared {
    fn send(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let record = self.record(&data)?;
            let writer = self.writer.lock().clone();
            let Some(writer) = writer else {
                return Err(ConsumeError::permanent("file exporter is not started"));
            };
            writer.write(record).await.map_err(ConsumeError::permanent)
        })
    }
}

//! Printing: the count line every export gets, then the content at `normal` or `detailed`,
//! through the collector's logger or to `output_paths`, sampled as upstream samples.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Arc;

use component::{BoxFuture, ConsumeError};
use parking_lot::Mutex;
use pdata::payload::Payload;

use super::config::{DebugConfig, Verbosity};
use super::counts::{Counts, DebugSignal};
use super::sampler::Sampler;

/// Where the text goes.
enum Sink {
    /// The collector's logger at INFO, as upstream's internal logger.
    Tracing,
    /// zap's console encoding without time and level, as upstream's custom logger:
    /// `<message>\t{"key": value, ...}`.
    Writers(Mutex<Vec<Box<dyn Write + Send>>>),
}

pub struct Printer {
    id: String,
    verbosity: Verbosity,
    sampler: Sampler,
    sink: Sink,
}

impl Printer {
    pub fn new(id: String, config: &DebugConfig) -> Result<Self, String> {
        let sink = if config.use_internal_logger {
            Sink::Tracing
        } else {
            let paths = config
                .output_paths
                .clone()
                .unwrap_or_else(|| vec!["stdout".to_string()]);
            let writers = paths
                .iter()
                .map(|p| open_output(p))
                .collect::<Result<Vec<_>, _>>()?;
            Sink::Writers(Mutex::new(writers))
        };
        Ok(Printer {
            id,
            verbosity: config.verbosity,
            sampler: Sampler::new(config.sampling_initial, config.sampling_thereafter),
            sink,
        })
    }

    #[cfg(test)]
    pub fn to_writer(config: &DebugConfig, writer: Box<dyn Write + Send>) -> Self {
        Printer {
            id: "debug".into(),
            verbosity: config.verbosity,
            sampler: Sampler::new(config.sampling_initial, config.sampling_thereafter),
            sink: Sink::Writers(Mutex::new(vec![writer])),
        }
    }

    /// Prints one payload. Basic verbosity reads only counts, so it never decodes.
    pub fn print<M: DebugSignal>(&self, p: &Payload<M>) -> Result<(), ConsumeError> {
        self.counts_line(M::counts(p));
        let text = match self.verbosity {
            Verbosity::Basic | Verbosity::None => return Ok(()),
            Verbosity::Normal => M::normal(&*p.message().map_err(ConsumeError::permanent)?),
            Verbosity::Detailed => M::detailed(&*p.message().map_err(ConsumeError::permanent)?),
        };
        if self.sampler.allow(&text) {
            match &self.sink {
                Sink::Tracing => tracing::info!(exporter = %self.id, "{text}"),
                Sink::Writers(w) => write_all(w, &format!("{text}\n")),
            }
        }
        Ok(())
    }

    fn counts_line(&self, counts: Counts) {
        let message = match counts {
            Counts::Traces { .. } => "Traces",
            Counts::Metrics { .. } => "Metrics",
            Counts::Logs { .. } => "Logs",
        };
        if !self.sampler.allow(message) {
            return;
        }
        let id = &self.id;
        match (&self.sink, counts) {
            (Sink::Tracing, Counts::Traces { resources, spans }) => {
                tracing::info!(exporter = %id, "resource spans" = resources, spans, "Traces")
            }
            (
                Sink::Tracing,
                Counts::Metrics {
                    resources,
                    metrics,
                    points,
                },
            ) => tracing::info!(
                exporter = %id, "resource metrics" = resources, metrics, "data points" = points,
                "Metrics"
            ),
            (Sink::Tracing, Counts::Logs { resources, records }) => tracing::info!(
                exporter = %id, "resource logs" = resources, "log records" = records, "Logs"
            ),
            (Sink::Writers(w), counts) => write_all(w, &console_counts_line(counts)),
        }
    }
}

/// The count line as zap's console encoder writes it without time and level.
pub fn console_counts_line(counts: Counts) -> String {
    match counts {
        Counts::Traces { resources, spans } => {
            format!("Traces\t{{\"resource spans\": {resources}, \"spans\": {spans}}}\n")
        }
        Counts::Metrics {
            resources,
            metrics,
            points,
        } => format!(
            "Metrics\t{{\"resource metrics\": {resources}, \"metrics\": {metrics}, \"data points\": {points}}}\n"
        ),
        Counts::Logs { resources, records } => {
            format!("Logs\t{{\"resource logs\": {resources}, \"log records\": {records}}}\n")
        }
    }
}

fn write_all(writers: &Mutex<Vec<Box<dyn Write + Send>>>, text: &str) {
    let mut writers = writers.lock();
    for w in writers.iter_mut() {
        // Like zap, a failed write of a debug line is not the pipeline's problem.
        let _ = w.write_all(text.as_bytes()).and_then(|_| w.flush());
    }
}

/// zap's output paths: `stdout`, `stderr`, or a file opened for appending.
fn open_output(path: &str) -> Result<Box<dyn Write + Send>, String> {
    Ok(match path {
        "stdout" => Box::new(std::io::stdout()),
        "stderr" => Box::new(std::io::stderr()),
        file => Box::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .map_err(|e| format!("couldn't open sink {file:?}: {e}"))?,
        ),
    })
}

/// The exporter helper's sender: printing is the whole export.
pub struct DebugSender {
    pub printer: Arc<Printer>,
}

impl<M: DebugSignal> helpers::Sender<M> for DebugSender {
    fn send(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        let result = self.printer.print(&data);
        Box::pin(async move { result })
    }
}

//! Log lines shaped like the Go collector's zap output, so that log pipelines parsing ADOT's
//! output keep working: console is tab-separated `ts level target message {fields}`, JSON is one
//! object per line with `level`, `ts`, `caller`, `msg` and the fields.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::logs::Encoding;

pub struct ZapFormat {
    encoding: Encoding,
    initial: BTreeMap<String, serde_json::Value>,
}

impl ZapFormat {
    pub fn new(encoding: Encoding, initial: BTreeMap<String, serde_json::Value>) -> Self {
        ZapFormat { encoding, initial }
    }
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    fields: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, serde_json::Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, serde_json::Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, serde_json::Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, serde_json::Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, serde_json::Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, serde_json::Value::from(format!("{value:?}")));
    }
}

impl Fields {
    /// tracing records the format string as the first field named `message`; an explicit
    /// `message = ...` field (upstream's `Partial success response` has one) comes after it and
    /// stays an ordinary field.
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" && self.message.is_none() {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl<S, N> FormatEvent<S, N> for ZapFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut f = Fields::default();
        event.record(&mut f);
        let message = f.message.take().unwrap_or_default();
        for (k, v) in &self.initial {
            f.fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let ts = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        let level = meta.level().as_str().to_ascii_lowercase();
        match self.encoding {
            Encoding::Json => {
                let mut obj = serde_json::Map::new();
                obj.insert("level".into(), level.into());
                obj.insert("ts".into(), ts.into());
                obj.insert("caller".into(), meta.target().into());
                obj.insert("msg".into(), message.into());
                obj.extend(f.fields);
                writeln!(writer, "{}", serde_json::Value::Object(obj))
            }
            Encoding::Console => {
                write!(writer, "{ts}\t{level}\t{}\t{message}", meta.target())?;
                if !f.fields.is_empty() {
                    write!(writer, "\t{}", serde_json::Value::Object(f.fields))?;
                }
                writeln!(writer)
            }
        }
    }
}

/// Where log lines go: `stderr` (default), `stdout`, or a file appended to.
#[derive(Clone)]
pub enum Output {
    Stderr,
    Stdout,
    File(Arc<Mutex<std::fs::File>>),
}

impl Output {
    pub fn open(path: Option<&str>) -> Result<Self, String> {
        Ok(match path {
            None | Some("stderr") => Output::Stderr,
            Some("stdout") => Output::Stdout,
            Some(p) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("cannot open log output {p:?}: {e}"))?;
                Output::File(Arc::new(Mutex::new(file)))
            }
        })
    }
}

pub enum OutputWriter {
    Stderr(std::io::Stderr),
    Stdout(std::io::Stdout),
    File(Arc<Mutex<std::fs::File>>),
}

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            OutputWriter::Stderr(s) => s.write(buf),
            OutputWriter::Stdout(s) => s.write(buf),
            OutputWriter::File(f) => f.lock().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            OutputWriter::Stderr(s) => s.flush(),
            OutputWriter::Stdout(s) => s.flush(),
            OutputWriter::File(f) => f.lock().flush(),
        }
    }
}

impl<'a> MakeWriter<'a> for Output {
    type Writer = OutputWriter;
    fn make_writer(&'a self) -> Self::Writer {
        match self {
            Output::Stderr => OutputWriter::Stderr(std::io::stderr()),
            Output::Stdout => OutputWriter::Stdout(std::io::stdout()),
            Output::File(f) => OutputWriter::File(f.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    fn capture(encoding: Encoding, f: impl FnOnce()) -> String {
        let buf = Buf::default();
        let initial = [("team".to_string(), serde_json::json!("obs"))].into();
        let layer = tracing_subscriber::fmt::layer()
            .event_format(ZapFormat::new(encoding, initial))
            .with_writer(buf.clone());
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
        String::from_utf8(buf.0.lock().clone()).unwrap()
    }

    #[test]
    fn json_lines_keep_the_text_and_an_explicit_message_field() {
        let out = capture(Encoding::Json, || {
            tracing::warn!(message = %"2 spans too old", dropped_spans = 2, "Partial success response");
        });
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["msg"], "Partial success response");
        assert_eq!(v["message"], "2 spans too old");
        assert_eq!(v["dropped_spans"], 2);
        assert_eq!(v["level"], "warn");
        assert_eq!(v["team"], "obs");
    }

    #[test]
    fn console_lines_are_tab_separated() {
        let out = capture(Encoding::Console, || {
            tracing::info!(items = 3, "Everything is ready.")
        });
        let parts: Vec<&str> = out.trim_end().split('\t').collect();
        assert_eq!(parts[1], "info");
        assert_eq!(parts[3], "Everything is ready.");
        assert_eq!(parts[4], r#"{"items":3,"team":"obs"}"#);
    }
}

//! The graph with fake components: instances, fan-out with copy-on-write, fan-in, error
//! combination, and start/stop order.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use component::factory::FactoryInfo;
use component::{
    AnyConfig, AnyConsumer, BoxFuture, CollectorStatus, Component, ConfigError, ConsumeError,
    Consumer, CreateContext, CreateError, Exporter, ExporterFactory, Factories, Host,
    ProcessorFactory, ReceiverConsumers, ReceiverFactory, Signal, Stability, StartError,
};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces};
use service::{Config, Graph};

type Log = Arc<Mutex<Vec<String>>>;
/// (exporter id, span names) per call.
type Seen = Arc<Mutex<Vec<(String, Vec<String>)>>>;

struct Named {
    name: String,
    log: Log,
}

impl Component for Named {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        self.log
            .lock()
            .unwrap()
            .push(format!("start {}", self.name));
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        self.log.lock().unwrap().push(format!("stop {}", self.name));
        Box::pin(async {})
    }
}

/// Receiver whose consumers the test drives directly.
struct FakeReceiverFactory {
    log: Log,
    created: Arc<Mutex<Vec<(String, ReceiverConsumers)>>>,
}

impl FactoryInfo for FakeReceiverFactory {
    fn kind(&self) -> &'static str {
        "fakerecv"
    }
    fn decode_config(&self, _: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        Ok(AnyConfig::new(()))
    }
}

impl ReceiverFactory for FakeReceiverFactory {
    fn stability(&self, _: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }
    fn create(
        &self,
        ctx: CreateContext,
        _: &AnyConfig,
        next: ReceiverConsumers,
    ) -> Result<Arc<dyn Component>, CreateError> {
        self.created
            .lock()
            .unwrap()
            .push((ctx.id.to_string(), next));
        Ok(Arc::new(Named {
            name: format!("receiver {}", ctx.id),
            log: self.log.clone(),
        }))
    }
}

/// Processor that renames every span, proving it gets its own copy.
struct RenameFactory {
    log: Log,
}

struct Rename {
    next: Arc<dyn Consumer<Traces>>,
}

impl Consumer<Traces> for Rename {
    fn mutates_data(&self) -> bool {
        true
    }
    fn consume(&self, mut data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            for rs in &mut data.make_mut().unwrap().resource_spans {
                for ss in &mut rs.scope_spans {
                    for s in &mut ss.spans {
                        s.name = format!("renamed {}", s.name);
                    }
                }
            }
            self.next.consume(data).await
        })
    }
}

impl FactoryInfo for RenameFactory {
    fn kind(&self) -> &'static str {
        "rename"
    }
    fn decode_config(&self, _: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        Ok(AnyConfig::new(()))
    }
}

impl ProcessorFactory for RenameFactory {
    fn stability(&self, s: Signal) -> Option<Stability> {
        (s == Signal::Traces).then_some(Stability::Alpha)
    }
    fn create(
        &self,
        ctx: CreateContext,
        _: &AnyConfig,
        next: AnyConsumer,
    ) -> Result<(Arc<dyn Component>, AnyConsumer), CreateError> {
        let AnyConsumer::Traces(next) = next else {
            return Err(CreateError("traces only".into()));
        };
        Ok((
            Arc::new(Named {
                name: format!("processor {}", ctx.id),
                log: self.log.clone(),
            }),
            AnyConsumer::Traces(Arc::new(Rename { next })),
        ))
    }
}

/// Exporter recording span names; `fail` answers a permanent error.
struct RecordFactory {
    log: Log,
    seen: Seen,
}

struct Record {
    id: String,
    seen: Seen,
}

impl Consumer<Traces> for Record {
    fn consume(&self, data: Traces) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(async move {
            let names = data
                .message()
                .unwrap()
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
                .map(|s| s.name.clone())
                .collect();
            self.seen.lock().unwrap().push((self.id.clone(), names));
            if self.id.starts_with("record/fail") {
                Err(ConsumeError::permanent("backend said no"))
            } else {
                Ok(())
            }
        })
    }
}

impl FactoryInfo for RecordFactory {
    fn kind(&self) -> &'static str {
        "record"
    }
    fn decode_config(&self, _: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        Ok(AnyConfig::new(()))
    }
}

impl ExporterFactory for RecordFactory {
    fn stability(&self, s: Signal) -> Option<Stability> {
        (s != Signal::Logs).then_some(Stability::Beta)
    }
    fn create(
        &self,
        ctx: CreateContext,
        _: &AnyConfig,
        signals: &[Signal],
    ) -> Result<Exporter, CreateError> {
        let rec = Arc::new(Record {
            id: ctx.id.to_string(),
            seen: self.seen.clone(),
        });
        Ok(Exporter {
            component: Arc::new(Named {
                name: format!("exporter {}", ctx.id),
                log: self.log.clone(),
            }),
            traces: signals.contains(&Signal::Traces).then(|| rec.clone() as _),
            metrics: None,
            logs: None,
        })
    }
}

struct Fixture {
    log: Log,
    receivers: Arc<Mutex<Vec<(String, ReceiverConsumers)>>>,
    seen: Seen,
    factories: Factories,
}

fn fixture() -> Fixture {
    let log: Log = Arc::default();
    let receivers = Arc::default();
    let seen = Arc::default();
    let factories = Factories {
        receivers: vec![Arc::new(FakeReceiverFactory {
            log: log.clone(),
            created: Arc::clone(&receivers),
        })],
        processors: vec![Arc::new(RenameFactory { log: log.clone() })],
        exporters: vec![Arc::new(RecordFactory {
            log: log.clone(),
            seen: Arc::clone(&seen),
        })],
        extensions: vec![],
    };
    Fixture {
        log,
        receivers,
        seen,
        factories,
    }
}

fn node(yaml: &str) -> confmap::Node {
    confmap::yaml::parse(yaml).unwrap().unwrap()
}

fn spans(names: &[&str]) -> Traces {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: names
                    .iter()
                    .map(|n| Span {
                        name: n.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let bytes = bytes::Bytes::from(prost::Message::encode_to_vec(&req));
    Traces::from_bytes(bytes, RequestMeta::default()).unwrap()
}

const TWO_PIPELINES: &str = r#"
receivers: {fakerecv: {}}
processors: {rename: {}}
exporters: {record/a: {}, record/b: {}}
service:
  pipelines:
    traces/plain:
      receivers: [fakerecv]
      exporters: [record/a]
    traces/renamed:
      receivers: [fakerecv]
      processors: [rename]
      exporters: [record/a, record/b]
"#;

#[tokio::test]
async fn fan_out_copies_for_the_mutating_branch_only_and_fans_in() {
    let f = fixture();
    let config = Config::from_node(&node(TWO_PIPELINES), &f.factories).unwrap();
    let graph = Graph::build(&config).unwrap();
    // One receiver instance serving both pipelines.
    let created = f.receivers.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    let traces = created[0].1.traces.clone().expect("traces consumer");
    assert!(created[0].1.metrics.is_none());

    traces.consume(spans(&["a", "b"])).await.unwrap();
    let mut seen = f.seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (
                "record/a".to_string(),
                vec!["a".to_string(), "b".to_string()]
            ),
            (
                "record/a".to_string(),
                vec!["renamed a".to_string(), "renamed b".to_string()]
            ),
            (
                "record/b".to_string(),
                vec!["renamed a".to_string(), "renamed b".to_string()]
            ),
        ]
    );

    let (_tx, rx) = tokio::sync::watch::channel(CollectorStatus::Starting);
    let host = Host::new(graph.extensions(), rx);
    let deadline = Instant::now() + std::time::Duration::from_secs(1);
    graph.start(&host, deadline).await.unwrap();
    graph.shutdown(deadline).await;
    let log = f.log.lock().unwrap().clone();
    // The exporter is shared (fan-in): one instance per id, started before processors and
    // receivers, stopped after them.
    assert_eq!(
        log,
        vec![
            "start exporter record/a",
            "start exporter record/b",
            "start processor rename",
            "start receiver fakerecv",
            "stop receiver fakerecv",
            "stop processor rename",
            "stop exporter record/a",
            "stop exporter record/b",
        ]
    );
}

#[tokio::test]
async fn errors_from_branches_are_combined() {
    let f = fixture();
    let yaml = r#"
receivers: {fakerecv: {}}
exporters: {record/ok: {}, record/fail: {}}
service:
  pipelines:
    traces:
      receivers: [fakerecv]
      exporters: [record/ok, record/fail]
"#;
    let config = Config::from_node(&node(yaml), &f.factories).unwrap();
    let _graph = Graph::build(&config).unwrap();
    let traces = f.receivers.lock().unwrap()[0].1.traces.clone().unwrap();
    let err = traces.consume(spans(&["x"])).await.unwrap_err();
    assert_eq!(err.to_string(), "backend said no");
    // Both branches were still called.
    assert_eq!(f.seen.lock().unwrap().len(), 2);
}

#[test]
fn unsupported_signal_is_a_build_error() {
    let f = fixture();
    let yaml = r#"
receivers: {fakerecv: {}}
exporters: {record: {}}
service:
  pipelines:
    logs:
      receivers: [fakerecv]
      exporters: [record]
"#;
    let config = Config::from_node(&node(yaml), &f.factories).unwrap();
    let err = Graph::build(&config).err().unwrap();
    assert_eq!(
        err.to_string(),
        "failed to build pipelines: failed to create \"record\" exporter for data type \"logs\": telemetry type is not supported"
    );
}

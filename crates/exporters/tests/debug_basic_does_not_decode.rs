//! Its own test binary, so that no other test decodes concurrently and the process-wide decode
//! counter proves that the debug exporter at `basic` and the `nop` exporter never decode.

use std::time::{Duration, Instant};

use bytes::Bytes;
use component::{ComponentId, CreateContext, Host, Signal};
use pdata::payload::{RequestMeta, decode_count};
use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

#[tokio::test]
async fn basic_and_nop_forward_without_decoding() {
    let req = pdata::ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span::default(); 3],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let (_tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Ready);
    let host = Host::new(Default::default(), rx);
    for factory in [exporters::debug_factory(), exporters::nop_factory()] {
        let config = factory.decode_config(None).unwrap();
        let e = factory
            .create(
                CreateContext {
                    id: ComponentId::new(factory.kind(), None),
                    build_version: "test",
                },
                &config,
                &[Signal::Traces],
            )
            .unwrap();
        e.component.start(&host).await.unwrap();
        let before = decode_count();
        for _ in 0..5 {
            let p =
                pdata::Traces::from_bytes(Bytes::from(req.encode_to_vec()), RequestMeta::default())
                    .unwrap();
            e.traces.as_ref().unwrap().consume(p).await.unwrap();
        }
        e.component
            .shutdown(Instant::now() + Duration::from_secs(5))
            .await;
        assert_eq!(decode_count(), before, "{} decoded", factory.kind());
    }
}

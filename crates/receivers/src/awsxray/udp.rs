//! The X-Ray daemon protocol over UDP: each datagram is a header line
//! `{"format":"json","version":1}`, a newline, and one segment document (a segment with its
//! embedded subsegments, or one subsegment sent on its own).
//!
//! A reader task takes datagrams off the socket and hands them to a bounded queue (1000
//! datagrams); a worker translates and consumes them in order. When the pipeline is slower than
//! the senders, datagrams that find the queue full are dropped here — counted as refused spans
//! and logged — instead of vanishing unseen in the kernel's socket buffer. Malformed datagrams
//! (bad header, bad JSON, a segment missing required fields) are counted as refused and logged,
//! rate-limited.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use component::{Signal, TracesConsumer};
use pdata::{ExportTraceServiceRequest, Payload, RequestMeta};
use serde::Deserialize;
use telemetry::obs::ReceiverObs;
use telemetry::ratelimit::DropLog;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::translate;

/// The largest datagram the X-Ray daemon reads (its buffer size).
pub const MAX_DATAGRAM: usize = 64 * 1024;
/// Datagrams waiting for the pipeline.
const QUEUE: usize = 1000;

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<i64>,
}

/// Why a datagram was refused before reaching the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum DatagramError {
    #[error(
        "unable to split incoming data as header and segment, incoming bytes: {0} bytes without a newline"
    )]
    NoHeader(usize),
    #[error("invalid header {0}")]
    Header(String),
    #[error(transparent)]
    Segment(#[from] translate::TranslateError),
}

/// The body of a datagram, after a valid header.
pub fn split_header(buf: &[u8]) -> Result<&[u8], DatagramError> {
    let nl = buf
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(DatagramError::NoHeader(buf.len()))?;
    let header: Header =
        serde_json::from_slice(&buf[..nl]).map_err(|e| DatagramError::Header(e.to_string()))?;
    if header.format.as_deref() != Some("json") || header.version != Some(1) {
        return Err(DatagramError::Header(
            String::from_utf8_lossy(&buf[..nl]).into_owned(),
        ));
    }
    Ok(&buf[nl + 1..])
}

/// Translates one datagram: the request and its span count, or the error and the number of
/// spans refused.
pub fn datagram_to_request(
    buf: &[u8],
) -> Result<(ExportTraceServiceRequest, usize), (DatagramError, usize)> {
    let body = split_header(buf).map_err(|e| (e, 1))?;
    let seg = translate::parse(body).map_err(|(e, n)| (e.into(), n))?;
    let count = seg.total_count();
    let rs = translate::to_resource_spans(&seg).map_err(|e| (e.into(), count))?;
    Ok((
        ExportTraceServiceRequest {
            resource_spans: vec![rs],
        },
        count,
    ))
}

pub struct UdpServer {
    pub local_addr: SocketAddr,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl UdpServer {
    pub async fn start(
        endpoint: &str,
        consumer: TracesConsumer,
        obs: ReceiverObs,
    ) -> Result<Self, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(endpoint)
            .await
            .map_err(|e| format!("listen udp {endpoint}: {e}"))?
            .collect();
        let mut last = format!("listen udp {endpoint}: no address to listen on");
        let mut socket = None;
        for addr in addrs {
            match UdpSocket::bind(addr).await {
                Ok(s) => {
                    socket = Some(s);
                    break;
                }
                Err(e) => last = format!("listen udp {addr} ({endpoint}): {e}"),
            }
        }
        let socket = socket.ok_or(last)?;
        let local_addr = socket.local_addr().map_err(|e| e.to_string())?;
        let stop = CancellationToken::new();
        let (tx, rx) = mpsc::channel::<(Bytes, SocketAddr)>(QUEUE);
        let shared = Arc::new(Shared {
            obs,
            bad: DropLog::default(),
            full: DropLog::default(),
        });
        let reader = tokio::spawn(read_loop(socket, tx, stop.clone(), shared.clone()));
        let worker = tokio::spawn(work_loop(rx, consumer, shared));
        Ok(UdpServer {
            local_addr,
            stop,
            tasks: vec![reader, worker],
        })
    }

    /// Stops reading, then lets the worker finish what is queued, until `deadline`.
    pub async fn shutdown(self, deadline: tokio::time::Instant) {
        self.stop.cancel();
        for t in self.tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout_at(deadline, t).await.is_err() {
                abort.abort();
            }
        }
    }
}

struct Shared {
    obs: ReceiverObs,
    bad: DropLog,
    full: DropLog,
}

async fn read_loop(
    socket: UdpSocket,
    tx: mpsc::Sender<(Bytes, SocketAddr)>,
    stop: CancellationToken,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => return,
            r = socket.recv_from(&mut buf) => r,
        };
        let (n, peer) = match received {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface on some platforms as a failed read; keep serving.
                tracing::debug!(receiver = %shared.obs.id, error = %e, "reading a UDP datagram failed");
                continue;
            }
        };
        let datagram = Bytes::copy_from_slice(&buf[..n]);
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send((datagram, peer)) {
            shared.obs.refused(Signal::Traces, 1, &"queue full");
            if let Some(held) = shared.full.admit(1) {
                tracing::warn!(
                    receiver = %shared.obs.id, dropped_since_last_log = held.events,
                    "Dropping an X-Ray segment: the pipeline is not keeping up (queue of {QUEUE} datagrams full)"
                );
            }
        }
    }
}

async fn work_loop(
    mut rx: mpsc::Receiver<(Bytes, SocketAddr)>,
    consumer: TracesConsumer,
    shared: Arc<Shared>,
) {
    while let Some((datagram, peer)) = rx.recv().await {
        match datagram_to_request(&datagram) {
            Ok((request, count)) => {
                let meta = RequestMeta {
                    client_addr: Some(peer),
                    ..Default::default()
                };
                match consumer.consume(Payload::from_message(request, meta)).await {
                    Ok(()) => shared.obs.accepted(Signal::Traces, count),
                    Err(e) => shared.obs.refused(Signal::Traces, count, &e),
                }
            }
            Err((e, count)) => {
                shared.obs.refused(Signal::Traces, count, &e);
                if let Some(held) = shared.bad.admit(count as u64) {
                    tracing::warn!(
                        receiver = %shared.obs.id, %peer, error = %e, spans = count,
                        dropped_since_last_log = held.events,
                        "Dropping an invalid X-Ray segment"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_must_be_json_version_1() {
        assert_eq!(
            split_header(b"{\"format\":\"json\",\"version\":1}\n{}").unwrap(),
            b"{}"
        );
        assert!(matches!(
            split_header(b"{\"format\":\"json\",\"version\":1}"),
            Err(DatagramError::NoHeader(_))
        ));
        assert_eq!(
            split_header(b"{\"format\":\"xml\",\"version\":1}\n{}")
                .unwrap_err()
                .to_string(),
            "invalid header {\"format\":\"xml\",\"version\":1}"
        );
        assert!(split_header(b"{\"format\":\"json\",\"version\":2}\n{}").is_err());
        assert!(split_header(b"garbage\n{}").is_err());
    }

    #[test]
    fn a_datagram_becomes_a_request_with_its_span_count() {
        let d = b"{\"format\":\"json\",\"version\":1}\n{\"trace_id\":\"1-5f187253-6a106696d56b1f4ef9eba2ed\",\"id\":\"1111111111111111\",\"name\":\"a\",\"start_time\":1.5,\"end_time\":2,\"subsegments\":[{\"id\":\"2222222222222222\",\"name\":\"b\",\"start_time\":1.6,\"end_time\":1.7}]}";
        let (req, n) = datagram_to_request(d).unwrap();
        assert_eq!(n, 2);
        assert_eq!(req.resource_spans[0].scope_spans[0].spans.len(), 2);
        let (_, n) = datagram_to_request(b"{\"format\":\"json\",\"version\":1}\n{bad").unwrap_err();
        assert_eq!(n, 1);
    }
}

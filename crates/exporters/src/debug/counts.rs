//! The numbers on the basic-verbosity line, read from the encoded request without decoding it:
//! resources are the request's top-level records (`pdata::wire`), and metrics — which the
//! item count does not give — are counted by a short walk down to the `Metric` messages.

use pdata::payload::{Payload, Request};
use pdata::wire;
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// What the first line of every export says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    Traces {
        resources: usize,
        spans: usize,
    },
    Metrics {
        resources: usize,
        metrics: usize,
        points: usize,
    },
    Logs {
        resources: usize,
        records: usize,
    },
}

/// A signal the debug exporter can print.
pub trait DebugSignal: Request {
    fn counts(p: &Payload<Self>) -> Counts;
    fn normal(m: &Self) -> String;
    fn detailed(m: &Self) -> String;
}

/// Top-level records of an encoded request; for a decoded one, the caller's count.
fn resources<M: Request>(p: &Payload<M>, decoded: impl Fn(&M) -> usize) -> usize {
    if p.is_encoded() {
        // Bytes in a payload were validated on the way in, so the walk succeeds.
        wire::resource_records(M::KIND, &p.bytes()).map_or(0, |r| r.len())
    } else {
        p.message().map_or(0, |m| decoded(&m))
    }
}

impl DebugSignal for ExportTraceServiceRequest {
    fn counts(p: &Payload<Self>) -> Counts {
        Counts::Traces {
            resources: resources(p, |m| m.resource_spans.len()),
            spans: p.items(),
        }
    }
    fn normal(m: &Self) -> String {
        super::normal::traces(m)
    }
    fn detailed(m: &Self) -> String {
        super::detailed::traces(m)
    }
}

impl DebugSignal for ExportMetricsServiceRequest {
    fn counts(p: &Payload<Self>) -> Counts {
        let metrics = if p.is_encoded() {
            count_metrics(&p.bytes()).unwrap_or(0)
        } else {
            p.message().map_or(0, |m| {
                m.resource_metrics
                    .iter()
                    .flat_map(|rm| &rm.scope_metrics)
                    .map(|sm| sm.metrics.len())
                    .sum()
            })
        };
        Counts::Metrics {
            resources: resources(p, |m| m.resource_metrics.len()),
            metrics,
            points: p.items(),
        }
    }
    fn normal(m: &Self) -> String {
        super::normal::metrics(m)
    }
    fn detailed(m: &Self) -> String {
        super::detailed::metrics(m)
    }
}

impl DebugSignal for ExportLogsServiceRequest {
    fn counts(p: &Payload<Self>) -> Counts {
        Counts::Logs {
            resources: resources(p, |m| m.resource_logs.len()),
            records: p.items(),
        }
    }
    fn normal(m: &Self) -> String {
        super::normal::logs(m)
    }
    fn detailed(m: &Self) -> String {
        super::detailed::logs(m)
    }
}

/// Counts `Metric` messages: request field 1 (`ResourceMetrics`) → field 2 (`ScopeMetrics`) →
/// field 2 (`Metric`). `None` on malformed bytes.
fn count_metrics(bytes: &[u8]) -> Option<usize> {
    let mut total = 0;
    for resource in fields(bytes, 1) {
        for scope in fields(resource?, 2) {
            for metric in fields(scope?, 2) {
                metric?;
                total += 1;
            }
        }
    }
    Some(total)
}

/// The length-delimited values of field `number` in one message, skipping every other field.
fn fields(mut buf: &[u8], number: u64) -> impl Iterator<Item = Option<&[u8]>> {
    std::iter::from_fn(move || {
        loop {
            if buf.is_empty() {
                return None;
            }
            let parsed = (|| {
                let key = varint(&mut buf)?;
                let (field, wire_type) = (key >> 3, key & 7);
                let value = match wire_type {
                    0 => {
                        varint(&mut buf)?;
                        None
                    }
                    1 => {
                        take(&mut buf, 8)?;
                        None
                    }
                    2 => {
                        let len = usize::try_from(varint(&mut buf)?).ok()?;
                        Some(take(&mut buf, len)?)
                    }
                    5 => {
                        take(&mut buf, 4)?;
                        None
                    }
                    _ => return None,
                };
                Some((field, wire_type, value))
            })();
            match parsed {
                None => {
                    buf = &[];
                    return Some(None);
                }
                Some((field, 2, Some(v))) if field == number => return Some(Some(v)),
                Some(_) => continue,
            }
        }
    })
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Some(head)
}

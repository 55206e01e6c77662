//! How the persistent sending queue stores a payload: one storage record per request holding its
//! protobuf bytes and the request metadata that travels with it (client address and metadata,
//! which `headers_setter`-style consumers and `partition.metadata_keys` read after a restart).
//!
//! ```text
//! version u8 (1) | meta_len u32 LE | meta | payload (the OTLP export request, protobuf)
//! meta: addr_len u16 LE | addr (UTF-8 "ip:port", empty for none)
//!       | keys u32 LE | { key_len u32 | key | values u32 | { value_len u32 | value }* }*
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;
use pdata::payload::{Payload, Request, RequestMeta};

const VERSION: u8 = 1;

/// The storage client name of an exporter's queue for one signal, as upstream names it
/// (`exporter_<type>_<name>_<signal>`; the name part is empty for an unnamed exporter).
pub(crate) fn client_name(id: &component::ComponentId, signal: component::Signal) -> String {
    format!(
        "exporter_{}_{}_{}",
        id.ty(),
        id.name().unwrap_or_default(),
        signal
    )
}

pub(crate) fn encode<M: Request>(payload: &Payload<M>) -> Vec<u8> {
    let meta = encode_meta(payload.meta());
    let bytes = payload.bytes();
    let mut out = Vec::with_capacity(5 + meta.len() + bytes.len());
    out.push(VERSION);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&bytes);
    out
}

/// Reads a record back, validating the payload as a receiver validates what it is sent.
pub(crate) fn decode<M: Request>(record: Vec<u8>) -> Result<Payload<M>, String> {
    let record = Bytes::from(record);
    let mut r = Reader(&record[..]);
    let version = r.u8()?;
    if version != VERSION {
        return Err(format!("unknown record version {version}"));
    }
    let meta_len = r.u32()? as usize;
    let meta = decode_meta(r.take(meta_len)?)?;
    let start = record.len() - r.0.len();
    let payload = record.slice(start..);
    Payload::from_bytes(payload, meta).map_err(|e| e.to_string())
}

fn encode_meta(meta: &RequestMeta) -> Vec<u8> {
    let mut out = Vec::new();
    let addr = meta.client_addr.map(|a| a.to_string()).unwrap_or_default();
    out.extend_from_slice(&(addr.len() as u16).to_le_bytes());
    out.extend_from_slice(addr.as_bytes());
    out.extend_from_slice(&(meta.metadata.len() as u32).to_le_bytes());
    for (key, values) in &meta.metadata {
        put_str(&mut out, key);
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values {
            put_str(&mut out, v);
        }
    }
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn decode_meta(bytes: &[u8]) -> Result<RequestMeta, String> {
    let mut r = Reader(bytes);
    let addr_len = r.u16()? as usize;
    let addr = r.str(addr_len)?;
    let client_addr = if addr.is_empty() {
        None
    } else {
        Some(addr.parse().map_err(|_| "a bad client address")?)
    };
    let keys = r.u32()?;
    let mut metadata = BTreeMap::new();
    for _ in 0..keys {
        let len = r.u32()? as usize;
        let key = r.str(len)?.to_string();
        let n = r.u32()?;
        let mut values = Vec::new();
        for _ in 0..n {
            let len = r.u32()? as usize;
            values.push(r.str(len)?.to_string());
        }
        metadata.insert(key, values);
    }
    Ok(RequestMeta {
        client_addr,
        metadata,
    })
}

/// Bounds-checked reads; a short record is an error, never a panic.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("a truncated record".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn str(&mut self, n: usize) -> Result<&'a str, String> {
        std::str::from_utf8(self.take(n)?).map_err(|_| "a record string is not UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pdata::ExportTraceServiceRequest;
    use pdata::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

    #[test]
    fn records_round_trip_with_their_metadata_and_reject_garbage() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        name: "a".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut meta = RequestMeta {
            client_addr: Some("10.1.2.3:4567".parse().unwrap()),
            ..Default::default()
        };
        meta.metadata
            .insert("tenant".into(), vec!["a".into(), "b".into()]);
        let p = Payload::from_message(request, meta.clone());
        let record = encode(&p);
        let back = decode::<ExportTraceServiceRequest>(record.clone()).unwrap();
        assert_eq!(back.meta(), &meta);
        assert_eq!(back.bytes(), p.bytes());
        assert_eq!(back.items(), 1);
        for cut in 0..record.len() - 1 {
            let _ = decode::<ExportTraceServiceRequest>(record[..cut].to_vec());
        }
        assert!(decode::<ExportTraceServiceRequest>(vec![9, 0, 0, 0, 0]).is_err());
    }
}

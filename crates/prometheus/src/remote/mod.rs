//! Prometheus remote write 1.0 on the wire: the `prompb` messages ([`proto`]), the snappy
//! *block* compression Prometheus expects (framed snappy is refused with `snappy: corrupt input`),
//! the request headers, and splitting series into requests of at most a given encoded size.

pub mod proto;

#[cfg(test)]
mod tests;

use prost::Message;

pub use proto::{
    BucketSpan, Exemplar, Histogram, Label, MetricMetadata, MetricType, Sample, TimeSeries,
    WriteRequest,
};

/// `Content-Type` of a remote-write request.
pub const CONTENT_TYPE: &str = "application/x-protobuf";
/// `Content-Encoding` of a remote-write request.
pub const CONTENT_ENCODING: &str = "snappy";
/// The `X-Prometheus-Remote-Write-Version` header and its value for protocol 1.0.
pub const VERSION_HEADER: &str = "X-Prometheus-Remote-Write-Version";
pub const VERSION: &str = "0.1.0";

/// Prometheus' staleness marker: a NaN with these bits marks a series as gone.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The staleness marker as a float.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// The request body: the protobuf of `request`, snappy block-compressed.
pub fn encode_compressed(request: &WriteRequest) -> Vec<u8> {
    compress(&request.encode_to_vec())
}

/// Snappy block compression (`snap::raw`), as Go's `snappy.Encode`.
pub fn compress(protobuf: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(protobuf)
        .expect("snappy accepts any input shorter than 4 GiB")
}

/// Reads a remote-write body back: snappy block, then protobuf.
pub fn decode_compressed(body: &[u8]) -> Result<WriteRequest, String> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| format!("snappy: {e}"))?;
    WriteRequest::decode(raw.as_slice()).map_err(|e| format!("protobuf: {e}"))
}

/// The bytes a message takes as one repeated field entry of its parent (tag, length, body).
fn field_len(body: usize) -> usize {
    1 + prost::encoding::encoded_len_varint(body as u64) + body
}

/// Splits series and metadata into write requests whose encoded protobuf is at most
/// `max_bytes` each. Series keep their order. A single series (or metadata entry) larger than
/// `max_bytes` on its own cannot be split and travels alone in a request; the second value
/// counts those.
pub fn batch(
    series: Vec<TimeSeries>,
    metadata: Vec<MetricMetadata>,
    max_bytes: usize,
) -> (Vec<WriteRequest>, usize) {
    let mut requests = Vec::new();
    let mut oversized = 0;
    let mut current = WriteRequest::default();
    let mut size = 0usize;
    for ts in series {
        let len = field_len(ts.encoded_len());
        if size + len > max_bytes && !current.timeseries.is_empty() {
            requests.push(std::mem::take(&mut current));
            size = 0;
        }
        if len > max_bytes {
            oversized += 1;
        }
        size += len;
        current.timeseries.push(ts);
    }
    // Metadata go in requests of their own after the series, as upstream sends them.
    if !current.timeseries.is_empty() {
        requests.push(std::mem::take(&mut current));
        size = 0;
    }
    for m in metadata {
        let len = field_len(m.encoded_len());
        if size + len > max_bytes && !current.metadata.is_empty() {
            requests.push(std::mem::take(&mut current));
            size = 0;
        }
        if len > max_bytes {
            oversized += 1;
        }
        size += len;
        current.metadata.push(m);
    }
    if !current.metadata.is_empty() {
        requests.push(current);
    }
    (requests, oversized)
}

//! Requests encoded (and compressed, and gRPC-framed) once before the run, so that sending costs
//! the generator almost nothing and the collector, not the generator, is what gets measured.

use std::io::Write;

use bytes::{BufMut, Bytes, BytesMut};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::config::{LoadConfig, Protocol};
use crate::generate;

/// The pool never holds more than this many encoded bytes: large attribute scenarios get fewer
/// distinct requests rather than gigabytes of them.
pub const MAX_POOL_BYTES: usize = 64 << 20;

/// One request ready to put on the wire.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The HTTP body, or the gRPC body (5-byte frame header + message).
    pub body: Bytes,
    /// Items it carries.
    pub items: u64,
}

/// The distinct requests a run cycles through.
#[derive(Clone, Debug)]
pub struct Pool {
    pub requests: Vec<Prepared>,
}

impl Pool {
    /// Builds `config.pool_size` full-size requests (fewer if they would exceed
    /// [`MAX_POOL_BYTES`]).
    pub fn build(config: &LoadConfig) -> Pool {
        let first = prepare(config, config.shape.batch_size, 0);
        let fit = (MAX_POOL_BYTES / first.body.len().max(1)).max(1);
        let n = config.pool_size.min(fit);
        let mut requests = Vec::with_capacity(n);
        requests.push(first);
        requests.extend((1..n).map(|seed| prepare(config, config.shape.batch_size, seed as u64)));
        Pool { requests }
    }
}

/// Encodes one request of `items` items for the configured transport.
pub fn prepare(config: &LoadConfig, items: usize, seed: u64) -> Prepared {
    let message =
        generate::build(config.signal, &config.shape, items, seed).encode(config.encoding);
    let payload = if config.gzip { gzip(&message) } else { message };
    let body = match config.protocol {
        Protocol::Http => payload,
        Protocol::Grpc => grpc_frame(&payload, config.gzip),
    };
    Prepared {
        body,
        items: items as u64,
    }
}

/// The gRPC length-prefixed message: compressed flag, big-endian length, message.
pub fn grpc_frame(message: &[u8], compressed: bool) -> Bytes {
    let mut b = BytesMut::with_capacity(5 + message.len());
    b.put_u8(u8::from(compressed));
    b.put_u32(message.len() as u32);
    b.extend_from_slice(message);
    b.freeze()
}

/// gzip at the default level, as OTLP exporters do.
pub fn gzip(data: &[u8]) -> Bytes {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::default());
    // Writing into a Vec cannot fail.
    enc.write_all(data).expect("gzip into memory");
    Bytes::from(enc.finish().expect("gzip into memory"))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::config::Signal;

    #[test]
    fn grpc_bodies_are_framed_and_gzip_inflates_back() {
        let mut config = LoadConfig::new(Signal::Logs, Protocol::Grpc, "127.0.0.1:1");
        config.gzip = true;
        config.pool_size = 3;
        let pool = Pool::build(&config);
        assert_eq!(pool.requests.len(), 3);
        let body = &pool.requests[0].body;
        assert_eq!(body[0], 1, "compressed flag");
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        assert_eq!(len, body.len() - 5);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[5..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(
            pdata::wire::validate(pdata::wire::SignalKind::Logs, &plain).unwrap(),
            100
        );
    }

    #[test]
    fn the_pool_is_capped_by_bytes() {
        let mut config = LoadConfig::new(Signal::Traces, Protocol::Http, "127.0.0.1:1");
        config.shape.batch_size = 10;
        config.shape.attributes = 20;
        config.shape.attribute_size = 5000;
        config.pool_size = 10_000;
        let pool = Pool::build(&config);
        let total: usize = pool.requests.iter().map(|r| r.body.len()).sum();
        assert!(total <= MAX_POOL_BYTES + pool.requests[0].body.len());
        assert!(pool.requests.len() < 10_000);
    }
}

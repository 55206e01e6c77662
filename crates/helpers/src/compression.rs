//! Request-body compression as upstream's `confighttp` / `configcompression` know it: the
//! algorithms a server accepts (`compression_algorithms`), decompression that stops as soon as
//! the output passes a size limit (a 100 MB gzip bomb costs at most `limit` bytes of memory), and
//! compression for exporters.

use std::io::{self, Read, Write};

/// A `Content-Encoding` (HTTP) or `compression` (exporter config) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Gzip,
    Zlib,
    /// Upstream treats `deflate` as zlib-wrapped deflate (RFC 1950), on both sides.
    Deflate,
    /// Snappy block format; a server also accepts the framed format under this name, as
    /// upstream sniffs the stream identifier.
    Snappy,
    /// `x-snappy-framed`: the snappy framing format.
    SnappyFramed,
    Zstd,
    /// The LZ4 frame format.
    Lz4,
}

/// Upstream confighttp's default `compression_algorithms` for servers; `""` is an uncompressed
/// body.
pub const DEFAULT_SERVER_ALGORITHMS: [&str; 8] = [
    "",
    "gzip",
    "zstd",
    "zlib",
    "snappy",
    "deflate",
    "lz4",
    "x-snappy-framed",
];

/// The stream identifier chunk that starts every snappy-framed stream.
const SNAPPY_FRAMED_MAGIC: &[u8] = b"\xff\x06\x00\x00sNaPpY";

/// zstd frames may ask for a window of up to 2 GiB; 2^24 (16 MiB) covers every standard level
/// (level 22 uses 8 MiB) while bounding what a hostile frame can make the decoder allocate.
const ZSTD_WINDOW_LOG_MAX: u32 = 24;

impl Encoding {
    /// Parses an encoding name as it appears in `Content-Encoding` and in config.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "gzip" => Encoding::Gzip,
            "zlib" => Encoding::Zlib,
            "deflate" => Encoding::Deflate,
            "snappy" => Encoding::Snappy,
            "x-snappy-framed" => Encoding::SnappyFramed,
            "zstd" => Encoding::Zstd,
            "lz4" => Encoding::Lz4,
            _ => return None,
        })
    }

    /// The header / config name.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Zlib => "zlib",
            Encoding::Deflate => "deflate",
            Encoding::Snappy => "snappy",
            Encoding::SnappyFramed => "x-snappy-framed",
            Encoding::Zstd => "zstd",
            Encoding::Lz4 => "lz4",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a body could not be decompressed.
#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    /// The decompressed body would be larger than the limit; decompression stopped there.
    #[error("decompressed body exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// The input is not valid for its encoding.
    #[error("{encoding}: {message}")]
    Invalid { encoding: Encoding, message: String },
}

/// Decompresses `input`, producing at most `limit` bytes: the decoder is read through a
/// `limit + 1` window, so a bomb stops after `limit + 1` output bytes however much it would
/// expand to.
pub fn decompress(
    encoding: Encoding,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, DecompressError> {
    let invalid = |e: io::Error| DecompressError::Invalid {
        encoding,
        message: e.to_string(),
    };
    match encoding {
        Encoding::Gzip => read_limited(flate2::read::MultiGzDecoder::new(input), limit, encoding),
        Encoding::Zlib | Encoding::Deflate => {
            read_limited(flate2::read::ZlibDecoder::new(input), limit, encoding)
        }
        Encoding::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(input).map_err(invalid)?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(invalid)?;
            read_limited(decoder, limit, encoding)
        }
        Encoding::Snappy if input.starts_with(SNAPPY_FRAMED_MAGIC) => {
            read_limited(snap::read::FrameDecoder::new(input), limit, encoding)
        }
        Encoding::Snappy => {
            // The block format states its decoded length up front: refuse before allocating.
            let len = snap::raw::decompress_len(input).map_err(|e| DecompressError::Invalid {
                encoding,
                message: e.to_string(),
            })?;
            if len > limit {
                return Err(DecompressError::TooLarge { limit });
            }
            snap::raw::Decoder::new()
                .decompress_vec(input)
                .map_err(|e| DecompressError::Invalid {
                    encoding,
                    message: e.to_string(),
                })
        }
        Encoding::SnappyFramed => {
            read_limited(snap::read::FrameDecoder::new(input), limit, encoding)
        }
        Encoding::Lz4 => read_limited(lz4_flex::frame::FrameDecoder::new(input), limit, encoding),
    }
}

fn read_limited(
    reader: impl Read,
    limit: usize,
    encoding: Encoding,
) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::new();
    let window = (limit as u64).saturating_add(1);
    reader
        .take(window)
        .read_to_end(&mut out)
        .map_err(|e| DecompressError::Invalid {
            encoding,
            message: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    Ok(out)
}

/// Compresses a request body for an exporter. `level` is upstream's `compression_params.level`
/// (`None` = the algorithm's default); snappy and lz4 take no level.
pub fn compress(encoding: Encoding, level: Option<i32>, input: &[u8]) -> io::Result<Vec<u8>> {
    match encoding {
        Encoding::Gzip => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate_level(level)?);
            w.write_all(input)?;
            w.finish()
        }
        Encoding::Zlib | Encoding::Deflate => {
            let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate_level(level)?);
            w.write_all(input)?;
            w.finish()
        }
        Encoding::Zstd => zstd::bulk::compress(input, level.unwrap_or(0)),
        Encoding::Snappy => snap::raw::Encoder::new()
            .compress_vec(input)
            .map_err(io::Error::other),
        Encoding::SnappyFramed => {
            let mut w = snap::write::FrameEncoder::new(Vec::new());
            w.write_all(input)?;
            w.into_inner().map_err(|e| io::Error::other(e.to_string()))
        }
        Encoding::Lz4 => {
            let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
            w.write_all(input)?;
            w.finish().map_err(io::Error::other)
        }
    }
}

/// zlib levels as Go's `compress/zlib` takes them: -1 default, 0 none, 1..=9; Go's -2
/// (Huffman only) has no flate2 equivalent and maps to the fastest level.
fn flate_level(level: Option<i32>) -> io::Result<flate2::Compression> {
    match level {
        None | Some(-1) => Ok(flate2::Compression::default()),
        Some(-2) => Ok(flate2::Compression::fast()),
        Some(l @ 0..=9) => Ok(flate2::Compression::new(l as u32)),
        Some(l) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsupported compression level {l}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Encoding; 7] = [
        Encoding::Gzip,
        Encoding::Zlib,
        Encoding::Deflate,
        Encoding::Snappy,
        Encoding::SnappyFramed,
        Encoding::Zstd,
        Encoding::Lz4,
    ];

    #[test]
    fn round_trips_every_encoding() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for enc in ALL {
            let c = compress(enc, None, &data).unwrap();
            assert_ne!(c, data, "{enc}");
            assert_eq!(decompress(enc, &c, data.len()).unwrap(), data, "{enc}");
            assert!(
                matches!(
                    decompress(enc, &c, data.len() - 1),
                    Err(DecompressError::TooLarge { .. })
                ),
                "{enc}"
            );
            assert_eq!(Encoding::parse(enc.as_str()), Some(enc));
        }
    }

    #[test]
    fn snappy_accepts_the_framed_format_too() {
        let c = compress(Encoding::SnappyFramed, None, b"hello hello hello").unwrap();
        assert_eq!(
            decompress(Encoding::Snappy, &c, 100).unwrap(),
            b"hello hello hello"
        );
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        let zeros = vec![0u8; 64 << 20];
        for enc in ALL {
            let c = compress(enc, Some(9).filter(|_| enc != Encoding::Zstd), &zeros).unwrap();
            assert!(c.len() < 4 << 20, "{enc}: {}", c.len());
            assert!(
                matches!(decompress(enc, &c, 1 << 20), Err(DecompressError::TooLarge { limit }) if limit == 1 << 20),
                "{enc}"
            );
        }
    }

    #[test]
    fn garbage_is_invalid() {
        for enc in ALL {
            let e = decompress(enc, b"\x01\x02definitely not compressed", 1000);
            assert!(
                matches!(e, Err(DecompressError::Invalid { .. })),
                "{enc}: {e:?}"
            );
        }
    }

    #[test]
    fn levels_follow_go_zlib() {
        assert!(compress(Encoding::Gzip, Some(10), b"x").is_err());
        for l in [-2, -1, 0, 1, 9] {
            let c = compress(Encoding::Zlib, Some(l), b"abcabcabc").unwrap();
            assert_eq!(decompress(Encoding::Zlib, &c, 9).unwrap(), b"abcabcabc");
        }
    }
}

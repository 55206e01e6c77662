//! The writer's primitives: JSON straight into a `Vec<u8>`, in the shape Go's pdata `MarshalJSON`
//! produces.
//!
//! camelCase keys; fields at their default omitted; 64-bit integers as decimal strings; 32-bit
//! integers and enums as numbers; doubles as numbers, or `"NaN"`, `"Infinity"`, `"-Infinity"`;
//! ids as lowercase hex; bytes as padded standard base64; never `null`. Oneof members are written
//! whenever set, even at their default (`"intValue":"0"`), so the choice survives. Optional
//! sub-messages (`resource`, `status`, ...) are written when present, even if empty (Go always
//! writes them), so that proto -> JSON -> proto keeps presence exactly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::ser::Formatter as _;

/// A message the writer can serialize.
pub(crate) trait WriteJson {
    fn write_json(&self, out: &mut Vec<u8>);
}

pub(crate) fn encode<M: WriteJson>(msg: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    msg.write_json(&mut out);
    out
}

/// Writes one JSON object, adding the commas between its members.
pub(crate) struct Obj<'w> {
    out: &'w mut Vec<u8>,
    empty: bool,
}

impl<'w> Obj<'w> {
    #[inline]
    pub(crate) fn new(out: &'w mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, empty: true }
    }

    #[inline]
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }

    /// Writes `"key":` (keys are static ASCII names that need no escaping) and returns the
    /// buffer for the value.
    #[inline]
    pub(crate) fn key(&mut self, key: &'static str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    #[inline]
    pub(crate) fn str(&mut self, key: &'static str, v: &str) {
        if !v.is_empty() {
            write_str(self.key(key), v);
        }
    }

    #[inline]
    pub(crate) fn bool(&mut self, key: &'static str, v: bool) {
        if v {
            self.key(key).extend_from_slice(b"true");
        }
    }

    #[inline]
    pub(crate) fn u32(&mut self, key: &'static str, v: u32) {
        if v != 0 {
            write_u64(self.key(key), u64::from(v));
        }
    }

    /// Also used for enums, which Go writes as their number.
    #[inline]
    pub(crate) fn i32(&mut self, key: &'static str, v: i32) {
        if v != 0 {
            write_i64(self.key(key), i64::from(v));
        }
    }

    #[inline]
    pub(crate) fn u64(&mut self, key: &'static str, v: u64) {
        if v != 0 {
            write_quoted_u64(self.key(key), v);
        }
    }

    #[inline]
    pub(crate) fn i64(&mut self, key: &'static str, v: i64) {
        if v != 0 {
            write_quoted_i64(self.key(key), v);
        }
    }

    /// A plain double, omitted at 0 (and -0, as in Go and in protobuf).
    #[inline]
    pub(crate) fn f64(&mut self, key: &'static str, v: f64) {
        if v != 0.0 {
            write_f64(self.key(key), v);
        }
    }

    /// An optional double (`sum`, `min`, `max`), written whenever present.
    #[inline]
    pub(crate) fn opt_f64(&mut self, key: &'static str, v: Option<f64>) {
        if let Some(v) = v {
            write_f64(self.key(key), v);
        }
    }

    #[inline]
    pub(crate) fn id(&mut self, key: &'static str, v: &[u8]) {
        if !v.is_empty() {
            write_hex(self.key(key), v);
        }
    }

    pub(crate) fn message<M: WriteJson>(&mut self, key: &'static str, v: Option<&M>) {
        if let Some(v) = v {
            v.write_json(self.key(key));
        }
    }

    pub(crate) fn messages<M: WriteJson>(&mut self, key: &'static str, v: &[M]) {
        if !v.is_empty() {
            write_array(self.key(key), v, |out, m| m.write_json(out));
        }
    }

    pub(crate) fn strs(&mut self, key: &'static str, v: &[String]) {
        if !v.is_empty() {
            write_array(self.key(key), v, |out, s| write_str(out, s));
        }
    }

    pub(crate) fn u64s(&mut self, key: &'static str, v: &[u64]) {
        if !v.is_empty() {
            write_array(self.key(key), v, |out, n| write_quoted_u64(out, *n));
        }
    }

    pub(crate) fn f64s(&mut self, key: &'static str, v: &[f64]) {
        if !v.is_empty() {
            write_array(self.key(key), v, |out, n| write_f64(out, *n));
        }
    }
}

fn write_array<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

/// What each byte needs inside a JSON string: 0 = itself, `u` = `\u00XX`, else `\` + that byte.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Writes `s` as a JSON string. No HTML escaping (Go's jsoniter `ConfigFastest` does none).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPE[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

pub(crate) fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// 64-bit integers are strings in OTLP/JSON (JavaScript numbers lose precision past 2^53).
pub(crate) fn write_quoted_u64(out: &mut Vec<u8>, v: u64) {
    out.push(b'"');
    write_u64(out, v);
    out.push(b'"');
}

pub(crate) fn write_quoted_i64(out: &mut Vec<u8>, v: i64) {
    out.push(b'"');
    write_i64(out, v);
    out.push(b'"');
}

/// A finite double as the shortest decimal that reads back to the same bits; non-finite ones as
/// the strings proto3 JSON uses.
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v == f64::INFINITY {
        out.extend_from_slice(b"\"Infinity\"");
    } else if v == f64::NEG_INFINITY {
        out.extend_from_slice(b"\"-Infinity\"");
    } else {
        // Writing into a Vec<u8> cannot fail.
        let _ = serde_json::ser::CompactFormatter.write_f64(out, v);
    }
}

pub(crate) fn write_hex(out: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(v.len() * 2 + 2);
    out.push(b'"');
    for &b in v {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0xf) as usize]);
    }
    out.push(b'"');
}

pub(crate) fn write_base64(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'"');
    let start = out.len();
    let len = base64::encoded_len(v.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let written = STANDARD.encode_slice(v, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

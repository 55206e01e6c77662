//! `include_metadata`: the request's headers (HTTP) or metadata (gRPC) as `RequestMeta.metadata`,
//! as upstream's `client.Info.Metadata`, which processors such as `batch` (`metadata_keys`) and
//! exporters (`headers_setter`) read.

use std::collections::BTreeMap;

use http::HeaderMap;

/// Header names lower-cased; values that are not text are skipped. The `:authority` of an
/// HTTP/2 request is kept under `:authority`, and under `host` when no `Host` header was sent,
/// as upstream fills `client.MetadataHostName`.
pub(crate) fn from_headers(
    headers: &HeaderMap,
    authority: Option<&str>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            out.entry(name.as_str().to_string())
                .or_default()
                .push(v.to_string());
        }
    }
    if let Some(a) = authority {
        out.insert(":authority".into(), vec![a.to_string()]);
        out.entry("host".into())
            .or_insert_with(|| vec![a.to_string()]);
    }
    out
}

//! What the `otlp_grpc` and `otlp_http` exporters share: the `headers` map-or-list, the `auth` and
//! `middlewares` sections (refused at start while ferrocol has no client-auth or middleware
//! extensions, with upstream's messages), the user agent, and per-signal response handling
//! (partial success).

// With only one of the two exporters compiled in, some of this is unused.
#![cfg_attr(
    not(all(feature = "otlp_grpc", feature = "otlp_http")),
    allow(dead_code)
)]

use std::fmt;

use component::{ComponentId, Host, StartError};
use pdata::payload::Request;
use pdata::proto::collector::logs::v1::ExportLogsServiceResponse;
use pdata::proto::collector::metrics::v1::ExportMetricsServiceResponse;
use pdata::proto::collector::trace::v1::ExportTraceServiceResponse;
use pdata::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use prost::Message;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// Upstream `configopaque.MapList`: `headers:` written as a map (`{name: value}`, sent in name
/// order) or as a list of `{name, value}` pairs (sent in list order). Values are opaque
/// strings; numbers and booleans are taken as their text, as mapstructure's weak decoding does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Upstream `MapList.Validate`: names must be distinct.
    pub fn validate(&self) -> Result<(), String> {
        let mut names: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        let mut dups: Vec<&str> = names
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        dups.dedup();
        if dups.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "duplicate keys in map-style list: [{}]",
                dups.join(" ")
            ))
        }
    }
}

/// A scalar taken as text.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(if v { "1" } else { "0" }.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair {
    name: String,
    #[serde(default)]
    value: Option<Text>,
}

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Headers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of header names to values, or a list of {name, value}")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Headers, E> {
                Ok(Headers::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut v = Vec::new();
                while let Some((k, t)) = map.next_entry::<String, Text>()? {
                    v.push((k, t.0));
                }
                // Upstream stores a map sorted by name.
                v.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Headers(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Headers, A::Error> {
                let mut v = Vec::new();
                while let Some(p) = seq.next_element::<Pair>()? {
                    v.push((p.name, p.value.map(|t| t.0).unwrap_or_default()));
                }
                Ok(Headers(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// `auth:` of a client (`configauth.Config`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub authenticator: String,
}

/// One entry of `middlewares:` (`configmiddleware.Config`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MiddlewareConfig {
    pub id: String,
}

/// Checks that `auth.authenticator` and middleware ids are well-formed component ids, as
/// upstream's decoder does.
pub fn validate_extension_refs(
    auth: Option<&AuthConfig>,
    middlewares: &[MiddlewareConfig],
) -> Result<(), String> {
    if let Some(a) = auth
        && !a.authenticator.is_empty()
    {
        ComponentId::parse(&a.authenticator).map_err(|e| format!("auth::authenticator: {e}"))?;
    }
    for (i, m) in middlewares.iter().enumerate() {
        ComponentId::parse(&m.id).map_err(|e| format!("middlewares::{i}::id: {e}"))?;
    }
    Ok(())
}

/// Which client the auth/middleware lookup is for; only the wording differs.
#[derive(Clone, Copy)]
pub enum ClientKind {
    Grpc,
    Http,
}

/// Resolves `auth` and `middlewares` at start as upstream does. ferrocol has no client
/// authenticator or client middleware extension yet, so any configured one fails start with
/// upstream's error for a missing extension, or for an extension of the wrong kind.
pub fn resolve_extensions(
    host: &Host,
    auth: Option<&AuthConfig>,
    middlewares: &[MiddlewareConfig],
    kind: ClientKind,
) -> Result<(), StartError> {
    // The first middleware fails: none can be resolved yet.
    if let Some(m) = middlewares.first() {
        let found = ComponentId::parse(&m.id)
            .ok()
            .and_then(|id| host.extension(&id).cloned());
        let err = match found {
            Some(_) => match kind {
                ClientKind::Grpc => "requested extension is not a gRPC client middleware".into(),
                ClientKind::Http => "requested extension is not an HTTP client middleware".into(),
            },
            None => format!(
                "failed to resolve middleware {:?}: middleware not found",
                m.id
            ),
        };
        return Err(StartError(match kind {
            ClientKind::Grpc => {
                format!("failed to get gRPC client options from middleware: {err}")
            }
            ClientKind::Http => err,
        }));
    }
    if let Some(a) = auth {
        let found = ComponentId::parse(&a.authenticator)
            .ok()
            .and_then(|id| host.extension(&id).cloned());
        return Err(StartError(match found {
            Some(_) => match kind {
                ClientKind::Grpc => "requested authenticator is not a gRPC client authenticator",
                ClientKind::Http => "requested authenticator is not a HTTP client authenticator",
            }
            .to_string(),
            None => format!(
                "failed to resolve authenticator {:?}: authenticator not found",
                a.authenticator
            ),
        }));
    }
    Ok(())
}

/// The default user agent, as upstream builds it from the build info:
/// `<description>/<version> (<GOOS>/<GOARCH>)`.
pub fn user_agent(build_version: &str) -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64",
        other => other,
    };
    format!("ferrocol/{build_version} ({os}/{arch})")
}

/// The partial success carried by an export response: the error message and the rejected count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartialSuccess {
    pub message: String,
    pub rejected: i64,
}

/// Per-signal facts and codecs the OTLP exporters need.
pub trait OtlpSignal: Request {
    /// `/opentelemetry.proto.collector.<signal>.v1.<Signal>Service/Export`.
    const GRPC_PATH: &'static str;
    /// `traces`, `metrics`, `logs`: the OTLP/HTTP path element and the `<signal>_endpoint` key.
    const NAME: &'static str;
    /// The partial-success log field: `dropped_spans`, `dropped_data_points`,
    /// `dropped_log_records`.
    const DROPPED_FIELD: &'static str;

    /// Reads a protobuf export response.
    fn partial_success_proto(body: &[u8]) -> Result<PartialSuccess, String>;
    /// Reads an OTLP/JSON export response.
    fn partial_success_json(body: &[u8]) -> Result<PartialSuccess, String>;
    /// Writes the request as OTLP/JSON.
    fn to_json(m: &Self) -> Vec<u8>;
}

impl OtlpSignal for ExportTraceServiceRequest {
    const GRPC_PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const NAME: &'static str = "traces";
    const DROPPED_FIELD: &'static str = "dropped_spans";

    fn partial_success_proto(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = ExportTraceServiceResponse::decode(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_spans,
            })
            .unwrap_or_default())
    }
    fn partial_success_json(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = pdata::json::decode_trace_response(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_spans,
            })
            .unwrap_or_default())
    }
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_traces(m)
    }
}

impl OtlpSignal for ExportMetricsServiceRequest {
    const GRPC_PATH: &'static str =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const NAME: &'static str = "metrics";
    const DROPPED_FIELD: &'static str = "dropped_data_points";

    fn partial_success_proto(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = ExportMetricsServiceResponse::decode(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_data_points,
            })
            .unwrap_or_default())
    }
    fn partial_success_json(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = pdata::json::decode_metrics_response(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_data_points,
            })
            .unwrap_or_default())
    }
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_metrics(m)
    }
}

impl OtlpSignal for ExportLogsServiceRequest {
    const GRPC_PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const NAME: &'static str = "logs";
    const DROPPED_FIELD: &'static str = "dropped_log_records";

    fn partial_success_proto(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = ExportLogsServiceResponse::decode(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_log_records,
            })
            .unwrap_or_default())
    }
    fn partial_success_json(body: &[u8]) -> Result<PartialSuccess, String> {
        let r = pdata::json::decode_logs_response(body).map_err(|e| e.to_string())?;
        Ok(r.partial_success
            .map(|p| PartialSuccess {
                message: p.error_message,
                rejected: p.rejected_log_records,
            })
            .unwrap_or_default())
    }
    fn to_json(m: &Self) -> Vec<u8> {
        pdata::json::encode_logs(m)
    }
}

/// Logs a partial success as upstream does (WARN `Partial success response` with `message` and
/// the signal's dropped count) when the response carries one. The request still counts as sent.
pub fn log_partial_success<M: OtlpSignal>(exporter: &str, p: &PartialSuccess) {
    if p.message.is_empty() && p.rejected == 0 {
        return;
    }
    // tracing needs the field name at compile time.
    match M::DROPPED_FIELD {
        "dropped_spans" => tracing::warn!(
            exporter, message = %p.message, dropped_spans = p.rejected,
            "Partial success response"
        ),
        "dropped_data_points" => tracing::warn!(
            exporter, message = %p.message, dropped_data_points = p.rejected,
            "Partial success response"
        ),
        _ => tracing::warn!(
            exporter, message = %p.message, dropped_log_records = p.rejected,
            "Partial success response"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<Headers, String> {
        let node = confmap::parse_yaml(yaml)
            .map_err(|e| e.to_string())?
            .expect("a document");
        confmap::decode::<Headers>(&node).map_err(|e| e.to_string())
    }

    #[test]
    fn headers_as_map_or_list() {
        let h = decode("{b: 2, a: x}").unwrap();
        assert_eq!(
            h.0,
            vec![("a".into(), "x".into()), ("b".into(), "2".into())]
        );
        let h = decode("[{name: z, value: 1}, {name: a, value: y}]").unwrap();
        assert_eq!(
            h.0,
            vec![("z".into(), "1".into()), ("a".into(), "y".into())]
        );
        let h = decode("[{name: a, value: 1}, {name: a, value: 2}]").unwrap();
        assert_eq!(
            h.validate().unwrap_err(),
            "duplicate keys in map-style list: [a]"
        );
    }

    #[test]
    fn user_agent_is_go_shaped() {
        let ua = user_agent("1.2.3");
        assert!(ua.starts_with("ferrocol/1.2.3 ("), "{ua}");
    }
}

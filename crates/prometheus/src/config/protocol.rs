//! Scrape protocols (`scrape_protocols`, `fallback_scrape_protocol`) and the `Accept` header
//! Prometheus 3 builds from them.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::exposition::Format;

/// One of Prometheus' scrape protocols; the names are case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    PrometheusProto,
    PrometheusText004,
    PrometheusText100,
    OpenMetricsText001,
    OpenMetricsText100,
}

/// Prometheus' `DefaultScrapeProtocols`.
pub const DEFAULT_SCRAPE_PROTOCOLS: [ScrapeProtocol; 4] = [
    ScrapeProtocol::OpenMetricsText100,
    ScrapeProtocol::OpenMetricsText001,
    ScrapeProtocol::PrometheusText100,
    ScrapeProtocol::PrometheusText004,
];

/// Prometheus' `DefaultProtoFirstScrapeProtocols` (with `scrape_native_histograms`).
pub const PROTO_FIRST_SCRAPE_PROTOCOLS: [ScrapeProtocol; 5] = [
    ScrapeProtocol::PrometheusProto,
    ScrapeProtocol::OpenMetricsText100,
    ScrapeProtocol::OpenMetricsText001,
    ScrapeProtocol::PrometheusText100,
    ScrapeProtocol::PrometheusText004,
];

const ALL: [ScrapeProtocol; 5] = [
    ScrapeProtocol::OpenMetricsText001,
    ScrapeProtocol::OpenMetricsText100,
    ScrapeProtocol::PrometheusProto,
    ScrapeProtocol::PrometheusText004,
    ScrapeProtocol::PrometheusText100,
];

impl ScrapeProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::PrometheusText004 => "PrometheusText0.0.4",
            ScrapeProtocol::PrometheusText100 => "PrometheusText1.0.0",
            ScrapeProtocol::OpenMetricsText001 => "OpenMetricsText0.0.1",
            ScrapeProtocol::OpenMetricsText100 => "OpenMetricsText1.0.0",
        }
    }

    /// `ScrapeProtocolsHeaders`: the media type with its version parameter.
    pub fn header(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::PrometheusText004 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusText100 => "text/plain;version=1.0.0",
            ScrapeProtocol::OpenMetricsText001 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::OpenMetricsText100 => "application/openmetrics-text;version=1.0.0",
        }
    }

    /// The parser for bodies of this protocol; `None` for the protobuf format, which
    /// ferrocol does not parse yet.
    pub fn format(self) -> Option<Format> {
        match self {
            ScrapeProtocol::PrometheusProto => None,
            ScrapeProtocol::PrometheusText004 | ScrapeProtocol::PrometheusText100 => {
                Some(Format::Text004)
            }
            ScrapeProtocol::OpenMetricsText001 | ScrapeProtocol::OpenMetricsText100 => {
                Some(Format::OpenMetrics)
            }
        }
    }

    /// Parses a protocol name; the error is Prometheus' `unknown scrape protocol <s>,
    /// supported: [...]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|p| p.as_str()).collect();
            format!(
                "unknown scrape protocol {s}, supported: [{}]",
                names.join(" ")
            )
        })
    }
}

impl fmt::Display for ScrapeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol name as written; checked by validation so that the error can name the job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct ProtocolName(pub String);

/// Prometheus' `validateAcceptScrapeProtocols`.
pub fn parse_protocols(names: &[ProtocolName]) -> Result<Vec<ScrapeProtocol>, String> {
    if names.is_empty() {
        return Err("scrape_protocols cannot be empty".to_string());
    }
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let lower = name.0.to_lowercase();
        if seen.contains(&lower) {
            let all: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
            return Err(format!(
                "duplicated protocol in scrape_protocols, got [{}]",
                all.join(" ")
            ));
        }
        out.push(ScrapeProtocol::parse(&name.0).map_err(|e| format!("scrape_protocols: {e}"))?);
        seen.push(lower);
    }
    Ok(out)
}

/// Prometheus 3's `acceptHeader`: each protocol with a q-value falling from `0.<n+1>`
/// (n = the number of known protocols), the escaping parameter on the 1.0.0 text formats, and
/// `*/*` last.
pub fn accept_header(protocols: &[ScrapeProtocol], escaping: &str) -> String {
    let mut weight = ALL.len() + 1;
    let mut out = String::new();
    for p in protocols {
        out.push_str(p.header());
        if matches!(
            p,
            ScrapeProtocol::PrometheusText100 | ScrapeProtocol::OpenMetricsText100
        ) {
            out.push_str(";escaping=");
            out.push_str(escaping);
        }
        out.push_str(&format!(";q=0.{weight},"));
        weight = weight.saturating_sub(1);
    }
    out.push_str(&format!("*/*;q=0.{weight}"));
    out
}

impl<'de> Deserialize<'de> for ScrapeProtocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ScrapeProtocol::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_accept_header_is_prometheus_3s() {
        assert_eq!(
            accept_header(&DEFAULT_SCRAPE_PROTOCOLS, "allow-utf-8"),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        );
        assert_eq!(
            accept_header(&[ScrapeProtocol::PrometheusText004], "underscores"),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
        );
    }

    #[test]
    fn protocol_list_validation() {
        let names = |v: &[&str]| -> Vec<ProtocolName> {
            v.iter().map(|s| ProtocolName(s.to_string())).collect()
        };
        assert_eq!(
            parse_protocols(&names(&[])),
            Err("scrape_protocols cannot be empty".into())
        );
        assert_eq!(
            parse_protocols(&names(&["PrometheusText0.0.4", "prometheustext0.0.4"])),
            Err("duplicated protocol in scrape_protocols, got [PrometheusText0.0.4 prometheustext0.0.4]".into())
        );
        assert_eq!(
            parse_protocols(&names(&["OpenMetrics"])),
            Err("scrape_protocols: unknown scrape protocol OpenMetrics, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]".into())
        );
        assert_eq!(
            parse_protocols(&names(&["PrometheusText0.0.4"])),
            Ok(vec![ScrapeProtocol::PrometheusText004])
        );
    }
}

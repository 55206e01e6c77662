//! Text output of `components` and `print-config`.

use std::fmt::Write;

use clap::ValueEnum;
use component::factory::FactoryInfo;
use component::{Factories, Signal, Stability};

use crate::components::PROVIDERS;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    Redacted,
    Unredacted,
}

/// `ferrocol components`: YAML in the shape of otelcol's `components` command.
pub fn components(f: &Factories) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "buildinfo:\n    command: ferrocol\n    description: ferrocol, an OpenTelemetry Collector distribution in Rust\n    version: {}",
        env!("CARGO_PKG_VERSION")
    );
    section(&mut out, "receivers", &f.receivers, |r, s| r.stability(s));
    section(&mut out, "processors", &f.processors, |p, s| p.stability(s));
    section(&mut out, "exporters", &f.exporters, |e, s| e.stability(s));
    out.push_str("connectors: []\n");
    out.push_str("extensions:\n");
    let mut exts: Vec<_> = f.extensions.iter().collect();
    exts.sort_by_key(|e| e.kind());
    for e in exts {
        entry(&mut out, e.as_ref());
        let _ = writeln!(
            out,
            "      stability:\n        extension: {}",
            e.stability().as_str()
        );
    }
    out.push_str("providers:\n");
    for p in PROVIDERS {
        let _ = writeln!(out, "    - scheme: {p}\n      module: ferrocol/confmap/{p}");
    }
    out
}

fn entry<F: FactoryInfo + ?Sized>(out: &mut String, f: &F) {
    let _ = writeln!(
        out,
        "    - name: {}\n      module: {}",
        f.kind(),
        f.module()
    );
    if !f.deprecated_kinds().is_empty() {
        let _ = writeln!(
            out,
            "      deprecated_aliases: [{}]",
            f.deprecated_kinds().join(", ")
        );
    }
}

fn section<F: FactoryInfo + ?Sized>(
    out: &mut String,
    name: &str,
    list: &[std::sync::Arc<F>],
    stability: impl Fn(&F, Signal) -> Option<Stability>,
) {
    if list.is_empty() {
        let _ = writeln!(out, "{name}: []");
        return;
    }
    let _ = writeln!(out, "{name}:");
    let mut sorted: Vec<_> = list.iter().collect();
    sorted.sort_by_key(|f| f.kind());
    for f in sorted {
        entry(out, f.as_ref());
        out.push_str("      stability:\n");
        // Upstream orders the per-signal map alphabetically: logs, metrics, traces.
        for s in [Signal::Logs, Signal::Metrics, Signal::Traces] {
            let level = stability(f, s).map_or("Undefined", Stability::as_str);
            let _ = writeln!(out, "        {s}: {level}");
        }
    }
}

/// Keys whose values are secrets in upstream configs (configopaque fields), and maps whose every
/// value is one (`headers`).
fn is_secret(path: &[String]) -> bool {
    const SECRET_KEYS: [&str; 12] = [
        "password",
        "token",
        "bearer_token",
        "client_secret",
        "secret",
        "secret_key",
        "key_pem",
        "api_key",
        "access_key",
        "session_token",
        "aws_secret_access_key",
        "authorization",
    ];
    let Some(last) = path.last() else {
        return false;
    };
    let lower = last.to_ascii_lowercase();
    SECRET_KEYS.contains(&lower.as_str())
        || path
            .len()
            .checked_sub(2)
            .is_some_and(|i| path[i] == "headers")
}

fn prepare(mut root: confmap::Node, mode: Mode) -> confmap::Node {
    if let Mode::Redacted = mode {
        root.redact(is_secret);
    }
    root
}

pub fn config_yaml(root: confmap::Node, mode: Mode) -> String {
    prepare(root, mode).to_yaml_string()
}

pub fn config_json(root: confmap::Node, mode: Mode) -> String {
    prepare(root, mode).to_json_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised_by_path() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_secret(&p(&[
            "exporters",
            "otlp_http",
            "headers",
            "X-Api"
        ])));
        assert!(is_secret(&p(&[
            "extensions",
            "basicauth",
            "client_auth",
            "password"
        ])));
        assert!(!is_secret(&p(&["exporters", "otlp_http", "endpoint"])));
        assert!(!is_secret(&p(&["headers"])));
    }

    #[test]
    fn components_lists_every_factory_with_stability() {
        let text = components(&crate::components::factories());
        assert!(text.starts_with("buildinfo:\n    command: ferrocol\n"));
        assert!(text.contains("    - name: otlp\n"));
        assert!(text.contains("    - name: otlp_grpc\n"));
        assert!(text.contains("deprecated_aliases: [otlp]"));
        assert!(text.contains("    - name: health_check\n"));
        assert!(text.contains("        traces: "));
        assert!(text.contains("    - scheme: env\n"));
    }
}

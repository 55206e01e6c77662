//! `--feature-gates`. Only gates that exist may be named, as upstream (`no such feature gate`).
//!
//! ADOT's own gates each remove an exporter ferrocol never shipped, so enabling one is always
//! satisfied; they are accepted so that ADOT command lines keep working. The `awsxray` gates are
//! upstream's beta gates, on by default, read by the exporter at start. The `prometheus`
//! receiver's two gates are Beta here, on by default (= current upstream: no invented start
//! times, `_created` is the start time); ADOT (collector v0.115) had
//! `RemoveStartTimeAdjustment` off, which `-receiver.prometheusreceiver.RemoveStartTimeAdjustment`
//! restores. The receiver reads both at start.

use std::fmt::Write;

use component::host::FeatureGateDescription;

struct Gate {
    id: &'static str,
    stage: &'static str,
    /// Upstream: alpha gates start disabled, beta gates enabled.
    enabled_by_default: bool,
    description: &'static str,
}

const GATES: [Gate; 7] = [
    Gate {
        id: "adot.exporter.datadogexporter.deprecation",
        stage: "Alpha",
        enabled_by_default: false,
        description: "ADOT: removes the datadog exporter (ferrocol never includes it)",
    },
    Gate {
        id: "adot.exporter.logzioexporter.deprecation",
        stage: "Alpha",
        enabled_by_default: false,
        description: "ADOT: removes the logzio exporter (ferrocol never includes it)",
    },
    Gate {
        id: "adot.exporter.signalfxexporter.deprecation",
        stage: "Alpha",
        enabled_by_default: false,
        description: "ADOT: removes the signalfx exporter (ferrocol never includes it)",
    },
    Gate {
        id: "exporter.awsxray.skiptimestampvalidation",
        stage: "Beta",
        enabled_by_default: true,
        description: "awsxray exporter: accept trace ids whose first 8 hex digits are not a recent epoch second",
    },
    Gate {
        id: "exporter.xray.allowDot",
        stage: "Beta",
        enabled_by_default: true,
        description: "awsxray exporter: keep dots in annotation keys rather than turning them into underscores",
    },
    Gate {
        id: "receiver.prometheusreceiver.RemoveStartTimeAdjustment",
        stage: "Beta",
        enabled_by_default: true,
        description: "prometheus receiver: invent no start times; disable to set them from the first point of each series and its resets, as ADOT does",
    },
    Gate {
        id: "receiver.prometheusreceiver.UseCreatedMetric",
        stage: "Beta",
        enabled_by_default: true,
        description: "prometheus receiver: use the _created series as the start time of counters, histograms and summaries",
    },
];

/// Checks every gate named in `--feature-gates` values (`+id`, `id` or `-id`, comma-separated)
/// and returns every known gate with its resulting state, starting from each gate's default.
pub fn apply(values: &[String]) -> Result<Vec<FeatureGateDescription>, String> {
    let mut enabled: std::collections::BTreeSet<&str> = GATES
        .iter()
        .filter(|g| g.enabled_by_default)
        .map(|g| g.id)
        .collect();
    for value in values {
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let id = item.trim_start_matches(['+', '-']);
            if !GATES.iter().any(|g| g.id == id) {
                return Err(format!("no such feature gate \"{id}\""));
            }
            if item.starts_with('-') {
                enabled.remove(id);
            } else {
                enabled.insert(id);
            }
        }
    }
    Ok(GATES
        .iter()
        .map(|g| FeatureGateDescription {
            id: g.id.to_string(),
            enabled: enabled.contains(g.id),
            stage: g.stage.to_string(),
            description: g.description.to_string(),
        })
        .collect())
}

/// `ferrocol featuregate [id]`.
pub fn describe(id: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    match id {
        None => {
            let _ = writeln!(out, "ID\tEnabled\tStage\tDescription");
            for g in &GATES {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    g.id, g.enabled_by_default, g.stage, g.description
                );
            }
        }
        Some(id) => {
            let g = GATES
                .iter()
                .find(|g| g.id == id)
                .ok_or_else(|| format!("no such feature gate \"{id}\""))?;
            let _ = writeln!(
                out,
                "Feature: {}\nEnabled: {}\nStage: {}\nDescription: {}",
                g.id, g.enabled_by_default, g.stage, g.description
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_gates() {
        let gates = apply(&[
            "+adot.exporter.datadogexporter.deprecation,-adot.exporter.logzioexporter.deprecation"
                .into(),
        ])
        .unwrap();
        let state = |id: &str| gates.iter().find(|g| g.id == id).unwrap().enabled;
        assert!(state("adot.exporter.datadogexporter.deprecation"));
        assert!(!state("adot.exporter.logzioexporter.deprecation"));
        assert!(!state("adot.exporter.signalfxexporter.deprecation"));
        assert_eq!(
            apply(&["nope".into()]).unwrap_err(),
            "no such feature gate \"nope\""
        );
        assert!(describe(None).unwrap().contains("signalfx"));
        // Beta gates start enabled and can be switched off.
        assert!(state("exporter.awsxray.skiptimestampvalidation"));
        let gates = apply(&["-exporter.awsxray.skiptimestampvalidation".into()]).unwrap();
        let state = |id: &str| gates.iter().find(|g| g.id == id).unwrap().enabled;
        assert!(!state("exporter.awsxray.skiptimestampvalidation"));
        assert!(state("exporter.xray.allowDot"));
    }

    #[test]
    fn prometheus_receiver_gates_default_on_and_can_be_disabled() {
        let remove = "receiver.prometheusreceiver.RemoveStartTimeAdjustment";
        let created = "receiver.prometheusreceiver.UseCreatedMetric";
        let gates = apply(&[]).unwrap();
        let state = |id: &str| gates.iter().find(|g| g.id == id).unwrap().clone();
        assert!(state(remove).enabled && state(remove).stage == "Beta");
        assert!(state(created).enabled && state(created).stage == "Beta");
        let gates = apply(&[format!("-{remove}")]).unwrap();
        let state = |id: &str| gates.iter().find(|g| g.id == id).unwrap().enabled;
        assert!(!state(remove));
        assert!(state(created));
        let gates = apply(&[format!("-{created},+{remove}")]).unwrap();
        let state = |id: &str| gates.iter().find(|g| g.id == id).unwrap().enabled;
        assert!(state(remove));
        assert!(!state(created));
        assert!(describe(Some(remove)).unwrap().contains("Stage: Beta"));
    }
}

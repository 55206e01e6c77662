//! `--feature-gates`. Only gates that exist may be named, as upstream (`no such feature gate`).
//!
//! The gates listed are ADOT's: each removes an exporter ferrocol never shipped, so enabling
//! one is always satisfied. They are accepted so that ADOT command lines keep working.

use std::fmt::Write;

use component::host::FeatureGateDescription;

struct Gate {
    id: &'static str,
    stage: &'static str,
    description: &'static str,
}

const GATES: [Gate; 3] = [
    Gate {
        id: "adot.exporter.datadogexporter.deprecation",
        stage: "Alpha",
        description: "ADOT: removes the datadog exporter (ferrocol never includes it)",
    },
    Gate {
        id: "adot.exporter.logzioexporter.deprecation",
        stage: "Alpha",
        description: "ADOT: removes the logzio exporter (ferrocol never includes it)",
    },
    Gate {
        id: "adot.exporter.signalfxexporter.deprecation",
        stage: "Alpha",
        description: "ADOT: removes the signalfx exporter (ferrocol never includes it)",
    },
];

/// Checks every gate named in `--feature-gates` values (`+id`, `id` or `-id`, comma-separated)
/// and returns every known gate with its resulting state (all start disabled: they are alpha).
pub fn apply(values: &[String]) -> Result<Vec<FeatureGateDescription>, String> {
    let mut enabled = std::collections::BTreeSet::new();
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
                let _ = writeln!(out, "{}\tfalse\t{}\t{}", g.id, g.stage, g.description);
            }
        }
        Some(id) => {
            let g = GATES
                .iter()
                .find(|g| g.id == id)
                .ok_or_else(|| format!("no such feature gate \"{id}\""))?;
            let _ = writeln!(
                out,
                "Feature: {}\nEnabled: false\nStage: {}\nDescription: {}",
                g.id, g.stage, g.description
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
    }
}

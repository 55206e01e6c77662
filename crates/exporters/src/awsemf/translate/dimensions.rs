//! Which dimension sets each metric gets: the full label set plus the configured rollup, or the
//! sets chosen by `metric_declarations` (`util.go dimensionRollup`, `metric_declaration.go`,
//! `metric_translator.go groupedMetricToCWMeasurement*`).
//!
//! Unlike upstream, a dimension set may have up to CloudWatch's limit of 30 names (upstream
//! drops declaration sets over 10, a limit CloudWatch lifted in 2022), and a set over 30 names —
//! which CloudWatch would reject together with the whole directive — is left out of the
//! directive instead of being sent; the caller counts and logs it.

use regex::Regex;

use super::labels::Labels;
use crate::awsemf::config::{self, Rollup};

/// CloudWatch's limit on the dimensions of one metric.
pub const MAX_DIMENSIONS: usize = 30;

/// The scope name label, treated apart by the rollup.
pub const OTEL_LIB: &str = "OTelLib";

/// A compiled `metric_declarations` entry.
#[derive(Debug)]
pub struct Declaration {
    /// Deduplicated, each set sorted and deduplicated.
    dimensions: Vec<Vec<String>>,
    selectors: Vec<Regex>,
    matchers: Vec<Matcher>,
}

#[derive(Debug)]
struct Matcher {
    label_names: Vec<String>,
    separator: String,
    regex: Regex,
}

impl Declaration {
    /// Compiles a declaration; the error says why it is dropped (upstream's words where
    /// upstream has them; upstream panics on a bad selector regex).
    pub fn compile(d: &config::MetricDeclaration) -> Result<Declaration, String> {
        if d.metric_name_selectors.is_empty() {
            return Err("invalid metric declaration: no metric name selectors defined".into());
        }
        let mut dimensions: Vec<Vec<String>> = Vec::with_capacity(d.dimensions.len());
        for set in &d.dimensions {
            let mut sorted = set.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() > MAX_DIMENSIONS {
                tracing::warn!(
                    dimensions = %set.join(","),
                    "Dropped dimension set: > {MAX_DIMENSIONS} dimensions specified."
                );
                continue;
            }
            if !dimensions.contains(&sorted) {
                dimensions.push(sorted);
            }
        }
        let selectors = d
            .metric_name_selectors
            .iter()
            .map(|s| Regex::new(s).map_err(|e| format!("invalid metric name selector {s:?}: {e}")))
            .collect::<Result<_, _>>()?;
        let matchers = d
            .label_matchers
            .iter()
            .map(|m| {
                if m.label_names.is_empty() {
                    return Err("label matcher must have at least one label name specified".into());
                }
                if m.regex.is_empty() {
                    return Err("regex not specified for label matcher".to_string());
                }
                Ok(Matcher {
                    label_names: m.label_names.clone(),
                    separator: if m.separator.is_empty() {
                        ";".into()
                    } else {
                        m.separator.clone()
                    },
                    regex: Regex::new(&m.regex)
                        .map_err(|e| format!("invalid label matcher regex {:?}: {e}", m.regex))?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Declaration {
            dimensions,
            selectors,
            matchers,
        })
    }

    pub fn matches_name(&self, name: &str) -> bool {
        self.selectors.iter().any(|r| r.is_match(name))
    }

    /// No matchers, or any one matcher matching the joined label values.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matchers.is_empty()
            || self.matchers.iter().any(|m| {
                let joined = m
                    .label_names
                    .iter()
                    .map(|n| labels.get(n).map_or("", String::as_str))
                    .collect::<Vec<_>>()
                    .join(&m.separator);
                m.regex.is_match(&joined)
            })
    }

    /// The declared sets whose every name is a label.
    pub fn sets_for(&self, labels: &Labels) -> impl Iterator<Item = &Vec<String>> {
        self.dimensions
            .iter()
            .filter(|set| set.iter().all(|d| labels.contains_key(d)))
    }
}

/// The rollup sets for `labels`: a zero set (`[]` or `[OTelLib]`) when there is another label,
/// and one `[OTelLib?, label]` set per other label; each set sorted, in label order.
pub fn rollup(option: Rollup, labels: &Labels) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if option == Rollup::None {
        return out;
    }
    let has_lib = labels.contains_key(OTEL_LIB);
    let zero: Vec<String> = if has_lib {
        vec![OTEL_LIB.to_string()]
    } else {
        Vec::new()
    };
    let others = labels.keys().filter(|k| *k != OTEL_LIB);
    if option == Rollup::ZeroAndSingle && labels.len() > usize::from(has_lib) {
        out.push(zero.clone());
    }
    for label in others {
        let mut set = zero.clone();
        set.push(label.clone());
        set.sort();
        out.push(set);
    }
    out
}

/// Dimension sets without declarations: every label, then the rollup; the full set is left
/// out when the rollup already has it (one label, or `OTelLib` and one label).
pub fn without_declarations(option: Rollup, labels: &Labels) -> Vec<Vec<String>> {
    let full: Vec<String> = labels.keys().cloned().collect();
    let rolled = rollup(option, labels);
    let single = full.len() <= 1 || (full.len() == 2 && labels.contains_key(OTEL_LIB));
    let mut out = Vec::with_capacity(rolled.len() + 1);
    if rolled.is_empty() || !single {
        out.push(full);
    }
    out.extend(rolled);
    out
}

/// Appends `set` unless it is already there.
pub fn push_unique(sets: &mut Vec<Vec<String>>, set: &[String]) {
    if !sets.iter().any(|s| s == set) {
        sets.push(set.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(keys: &[&str]) -> Labels {
        keys.iter()
            .map(|k| (k.to_string(), "v".to_string()))
            .collect()
    }

    fn sets(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|s| s.iter().map(|x| x.to_string()).collect())
            .collect()
    }

    #[test]
    fn zero_and_single_rollup() {
        let l = labels(&["OTelLib", "a", "b"]);
        assert_eq!(
            without_declarations(Rollup::ZeroAndSingle, &l),
            sets(&[
                &["OTelLib", "a", "b"],
                &["OTelLib"],
                &["OTelLib", "a"],
                &["OTelLib", "b"]
            ])
        );
        // One label besides OTelLib: the full set equals a rollup set and is left out.
        assert_eq!(
            without_declarations(Rollup::ZeroAndSingle, &labels(&["OTelLib", "a"])),
            sets(&[&["OTelLib"], &["OTelLib", "a"]])
        );
        assert_eq!(
            without_declarations(Rollup::ZeroAndSingle, &labels(&["a"])),
            sets(&[&[], &["a"]])
        );
        // Only OTelLib: no zero set (no other label), no single sets: the full set stays.
        assert_eq!(
            without_declarations(Rollup::ZeroAndSingle, &labels(&["OTelLib"])),
            sets(&[&["OTelLib"]])
        );
        assert_eq!(
            without_declarations(Rollup::ZeroAndSingle, &labels(&[])),
            sets(&[&[]])
        );
    }

    #[test]
    fn single_only_and_none() {
        let l = labels(&["a", "b"]);
        assert_eq!(
            without_declarations(Rollup::SingleOnly, &l),
            sets(&[&["a", "b"], &["a"], &["b"]])
        );
        assert_eq!(without_declarations(Rollup::None, &l), sets(&[&["a", "b"]]));
        assert_eq!(
            without_declarations(Rollup::SingleOnly, &labels(&["a"])),
            sets(&[&["a"]])
        );
    }

    #[test]
    fn declarations_compile_dedup_and_match() {
        let d = Declaration::compile(&config::MetricDeclaration {
            dimensions: vec![
                vec!["b".into(), "a".into(), "a".into()],
                vec!["a".into(), "b".into()],
                vec!["c".into()],
            ],
            metric_name_selectors: vec!["^latency".into()],
            label_matchers: vec![config::LabelMatcher {
                label_names: vec!["a".into(), "b".into()],
                separator: String::new(),
                regex: "^x;y$".into(),
            }],
        })
        .expect("valid");
        assert_eq!(d.dimensions, sets(&[&["a", "b"], &["c"]]));
        assert!(d.matches_name("latency_ms") && !d.matches_name("my_latency"));
        let mut l = Labels::new();
        l.insert("a".into(), "x".into());
        l.insert("b".into(), "y".into());
        assert!(d.matches_labels(&l));
        assert_eq!(d.sets_for(&l).count(), 1);
        l.insert("b".into(), "z".into());
        assert!(!d.matches_labels(&l));
    }

    #[test]
    fn invalid_declarations_say_why() {
        let err = |d: config::MetricDeclaration| Declaration::compile(&d).unwrap_err();
        assert_eq!(
            err(config::MetricDeclaration::default()),
            "invalid metric declaration: no metric name selectors defined"
        );
        let bad_matcher = config::MetricDeclaration {
            metric_name_selectors: vec![".*".into()],
            label_matchers: vec![config::LabelMatcher::default()],
            ..Default::default()
        };
        assert_eq!(
            err(bad_matcher),
            "label matcher must have at least one label name specified"
        );
        let bad_regex = config::MetricDeclaration {
            metric_name_selectors: vec!["(".into()],
            ..Default::default()
        };
        assert!(err(bad_regex).starts_with("invalid metric name selector"));
    }

    #[test]
    fn sets_over_thirty_are_dropped_at_compile_time() {
        let big: Vec<String> = (0..31).map(|i| format!("d{i:02}")).collect();
        let ok: Vec<String> = (0..25).map(|i| format!("d{i:02}")).collect();
        let d = Declaration::compile(&config::MetricDeclaration {
            dimensions: vec![big, ok.clone()],
            metric_name_selectors: vec![".".into()],
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(d.dimensions, vec![ok]);
    }
}

//! From a discovered target to the labels it is scraped with: Prometheus'
//! `PopulateDiscoveredLabels` + `PopulateLabels` (`scrape/target.go`, 3.x, which the OTel
//! receiver embeds). The scrape manager calls [`populate_labels`] for every target of every
//! group; the relabel oracle test checks it against a real Prometheus.
//!
//! Differences from Prometheus 2.42, on purpose (3.x behaviour): no default port is appended
//! to an `__address__` without one (2.x added `:80`/`:443`), and the 3.x-only native-histogram
//! switches are not added as `__` labels.

use crate::duration::PromDuration;
use crate::relabel::{self, Labels, RelabelConfig};

use super::{ADDRESS_LABEL, LabelSet, META_LABEL_PREFIX};

/// What a scrape config contributes to each of its targets before relabelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDefaults {
    pub job_name: String,
    pub scrape_interval: PromDuration,
    pub scrape_timeout: PromDuration,
    pub metrics_path: String,
    pub scheme: String,
    /// `params`: each name with its values; the first value becomes `__param_<name>`.
    pub params: Vec<(String, Vec<String>)>,
}

/// The outcome for one discovered target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopulatedTarget {
    /// Kept: `labels` is the full post-relabel set (with `__address__`, `__scheme__`,
    /// `__metrics_path__`, `__param_*`, `__scrape_*__`, `job`, `instance`, but no `__meta_*`);
    /// `discovered` is the pre-relabel set.
    Active {
        labels: LabelSet,
        discovered: LabelSet,
    },
    /// Dropped by a `keep`/`drop`/`keepequal`/`dropequal` rule.
    Dropped { discovered: LabelSet },
}

impl PopulatedTarget {
    /// Prometheus' `Target.Labels()`: the kept labels without the `__`-prefixed ones, which is
    /// what the scraped series carry. Empty for a dropped target.
    pub fn public_labels(&self) -> LabelSet {
        match self {
            PopulatedTarget::Active { labels, .. } => labels
                .iter()
                .filter(|(n, _)| !n.starts_with("__"))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            PopulatedTarget::Dropped { .. } => LabelSet::new(),
        }
    }

    pub fn discovered(&self) -> &LabelSet {
        match self {
            PopulatedTarget::Active { discovered, .. }
            | PopulatedTarget::Dropped { discovered } => discovered,
        }
    }
}

/// The labels a target is scraped with. `target` are the target's own labels, `group` the
/// group's (the target's win). An error is Prometheus' message for a target that cannot be
/// scraped (`no address`, `"a/b" is not a valid hostname`, `scrape timeout cannot be greater
/// than scrape interval ("20s" > "10s")`, ...): the target is then neither active nor dropped.
pub fn populate_labels(
    target: &LabelSet,
    group: &LabelSet,
    defaults: &TargetDefaults,
    relabel_configs: &[RelabelConfig],
) -> Result<PopulatedTarget, String> {
    let discovered = discovered_labels(target, group, defaults);
    // Built as original labels in name order, as 2.x's `labels.NewBuilder(lset)`; this fixes
    // `labelmap`'s visiting order where 3.x's would follow Go's map order.
    let mut lb = Labels::from_pairs(discovered.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    if !relabel::process(&mut lb, relabel_configs) {
        return Ok(PopulatedTarget::Dropped { discovered });
    }
    let addr = lb.get(ADDRESS_LABEL).to_string();
    if addr.is_empty() {
        return Err("no address".to_string());
    }
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    let interval_s = lb.get("__scrape_interval__").to_string();
    let interval = PromDuration::parse(&interval_s)
        .map_err(|e| format!("error parsing scrape interval: {e}"))?;
    if interval.0.is_zero() {
        return Err("scrape interval cannot be 0".to_string());
    }
    let timeout_s = lb.get("__scrape_timeout__").to_string();
    let timeout = PromDuration::parse(&timeout_s)
        .map_err(|e| format!("error parsing scrape timeout: {e}"))?;
    if timeout.0.is_zero() {
        return Err("scrape timeout cannot be 0".to_string());
    }
    if timeout > interval {
        return Err(format!(
            "scrape timeout cannot be greater than scrape interval ({timeout_s:?} > {interval_s:?})"
        ));
    }
    lb.retain(|name, _| !name.starts_with(META_LABEL_PREFIX));
    if lb.get("instance").is_empty() {
        lb.set("instance", addr);
    }
    // Values are Rust strings, so always valid UTF-8: Prometheus' last check cannot fail.
    let labels = lb.into_vec().into_iter().collect();
    Ok(PopulatedTarget::Active { labels, discovered })
}

/// `PopulateDiscoveredLabels`: target labels, then group labels the target lacks, then the
/// scrape config's values for labels still unset (an empty value counts as unset).
pub fn discovered_labels(target: &LabelSet, group: &LabelSet, d: &TargetDefaults) -> LabelSet {
    let mut ls: LabelSet = target
        .iter()
        .chain(group.iter().filter(|(n, _)| !target.contains_key(*n)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let mut default = |name: String, value: String| {
        if !value.is_empty() && ls.get(&name).is_none_or(|v| v.is_empty()) {
            ls.insert(name, value);
        }
    };
    default("job".into(), d.job_name.clone());
    default("__scrape_interval__".into(), d.scrape_interval.to_string());
    default("__scrape_timeout__".into(), d.scrape_timeout.to_string());
    default("__metrics_path__".into(), d.metrics_path.clone());
    default("__scheme__".into(), d.scheme.clone());
    for (name, values) in &d.params {
        if let Some(first) = values.first() {
            default(format!("__param_{name}"), first.clone());
        }
    }
    ls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> TargetDefaults {
        TargetDefaults {
            job_name: "j".into(),
            scrape_interval: PromDuration::from_secs(15),
            scrape_timeout: PromDuration::from_secs(10),
            metrics_path: "/metrics".into(),
            scheme: "http".into(),
            params: vec![("module".into(), vec!["http_2xx".into(), "x".into()])],
        }
    }

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn rules(yaml: &str) -> Vec<RelabelConfig> {
        let node = confmap::parse_yaml(yaml).expect("yaml").expect("document");
        confmap::decode(&node).expect("relabel configs")
    }

    #[test]
    fn defaults_then_instance_and_meta_removal() {
        let t = ls(&[("__address__", "h:1"), ("__meta_x", "y"), ("a", "target")]);
        let g = ls(&[("a", "group"), ("b", "group")]);
        let out = populate_labels(&t, &g, &defaults(), &[]).expect("ok");
        let PopulatedTarget::Active { labels, discovered } = &out else {
            panic!("dropped")
        };
        assert_eq!(discovered["a"], "target", "the target's label wins");
        assert_eq!(discovered["__param_module"], "http_2xx");
        assert_eq!(discovered["__scrape_interval__"], "15s");
        assert!(!labels.contains_key("__meta_x"));
        assert_eq!(labels["instance"], "h:1");
        assert_eq!(
            out.public_labels(),
            ls(&[
                ("a", "target"),
                ("b", "group"),
                ("instance", "h:1"),
                ("job", "j")
            ])
        );
    }

    #[test]
    fn keep_drops_and_errors_name_the_cause() {
        let t = ls(&[("__address__", "h:1"), ("__meta_node", "n1")]);
        let keep = rules("- {action: keep, source_labels: [__meta_node], regex: n2}\n");
        assert!(matches!(
            populate_labels(&t, &LabelSet::new(), &defaults(), &keep).expect("ok"),
            PopulatedTarget::Dropped { .. }
        ));
        let no_addr = rules("- {action: labeldrop, regex: __address__}\n");
        assert_eq!(
            populate_labels(&t, &LabelSet::new(), &defaults(), &no_addr).unwrap_err(),
            "no address"
        );
        let slash = rules("- {target_label: __address__, replacement: 'a/b'}\n");
        assert_eq!(
            populate_labels(&t, &LabelSet::new(), &defaults(), &slash).unwrap_err(),
            r#""a/b" is not a valid hostname"#
        );
        let timeout = rules("- {target_label: __scrape_timeout__, replacement: 20s}\n");
        assert_eq!(
            populate_labels(&t, &LabelSet::new(), &defaults(), &timeout).unwrap_err(),
            r#"scrape timeout cannot be greater than scrape interval ("20s" > "15s")"#
        );
    }
}

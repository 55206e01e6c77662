//! `static_configs`: fixed targets, sent once.

use futures::FutureExt as _;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Discoverer, LabelSet, TargetGroup, validate_label_set};

/// One `static_configs` entry (Prometheus' `targetgroup.Group` in YAML).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaticConfig {
    /// `host:port` strings; each becomes a target with that `__address__`.
    pub targets: Vec<String>,
    pub labels: LabelSet,
}

impl StaticConfig {
    /// Prometheus' checks: label names must be valid (`"<name>" is not a valid label name`)
    /// and a target must not contain `/` (`"<t>" is not a valid hostname`).
    pub fn validate(&self) -> Result<(), String> {
        validate_label_set(&self.labels)?;
        for t in &self.targets {
            if t.contains('/') {
                return Err(format!("{t:?} is not a valid hostname"));
            }
        }
        Ok(())
    }

    /// The target group this entry describes, with source `"<index>"`.
    pub fn to_group(&self, index: usize) -> TargetGroup {
        TargetGroup {
            source: index.to_string(),
            targets: self.targets.iter().map(|t| address_target(t)).collect(),
            labels: self.labels.clone(),
        }
    }
}

/// A target with only its `__address__`.
pub fn address_target(address: &str) -> LabelSet {
    LabelSet::from([(super::ADDRESS_LABEL.to_string(), address.to_string())])
}

/// The discoverer of one job's `static_configs` (Prometheus' `StaticProvider`): sends every
/// group once, sources `"0"`, `"1"`, ... in list order.
pub fn discoverer(configs: &[StaticConfig]) -> Box<dyn Discoverer> {
    let groups = configs
        .iter()
        .enumerate()
        .map(|(i, c)| c.to_group(i))
        .collect();
    Box::new(StaticDiscoverer { groups })
}

struct StaticDiscoverer {
    groups: Vec<TargetGroup>,
}

impl Discoverer for StaticDiscoverer {
    fn run(
        self: Box<Self>,
        updates: mpsc::Sender<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) -> futures::future::BoxFuture<'static, ()> {
        async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = updates.send(self.groups) => {}
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_each_entry_once_with_index_sources() {
        let configs = vec![
            StaticConfig {
                targets: vec!["a:1".into(), "b:2".into()],
                labels: LabelSet::from([("env".into(), "prod".into())]),
            },
            StaticConfig {
                targets: vec!["c:3".into()],
                labels: LabelSet::new(),
            },
        ];
        let (tx, mut rx) = mpsc::channel(4);
        let cancel = CancellationToken::new();
        discoverer(&configs).run(tx, cancel).await;
        let groups = rx.recv().await.expect("one update");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].source, "0");
        assert_eq!(
            groups[0].targets,
            vec![address_target("a:1"), address_target("b:2")]
        );
        assert_eq!(groups[0].labels["env"], "prod");
        assert_eq!(groups[1].source, "1");
        assert!(
            rx.recv().await.is_none(),
            "sent once, then the sender is gone"
        );
    }

    #[test]
    fn validation_messages() {
        let bad = StaticConfig {
            targets: vec!["http://x:1".into()],
            labels: LabelSet::new(),
        };
        assert_eq!(
            bad.validate().unwrap_err(),
            r#""http://x:1" is not a valid hostname"#
        );
        let bad = StaticConfig {
            targets: vec![],
            labels: LabelSet::from([("1x".into(), "v".into())]),
        };
        assert_eq!(
            bad.validate().unwrap_err(),
            r#""1x" is not a valid label name"#
        );
    }
}

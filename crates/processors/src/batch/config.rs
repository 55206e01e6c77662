//! `batch` configuration: upstream's keys, defaults and validation messages
//! (`processor/batchprocessor/config.go`, `factory.go`).

use std::time::Duration;

use component::ComponentConfig;
use serde::Deserialize;

/// How the batch processor groups data before handing it on.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// Time after which a non-empty batch is sent regardless of its size; 0 sends every request
    /// as soon as it arrives (cut only by `send_batch_max_size`).
    pub timeout: confmap::Duration,
    /// Item count that triggers a send. A trigger, not a cap: a batch may be larger. 0 behaves
    /// like `timeout: 0`.
    pub send_batch_size: u32,
    /// Upper bound on the items of one sent batch; larger batches are split. 0 = no bound.
    pub send_batch_max_size: u32,
    /// Request metadata keys (case-insensitive) whose distinct value combinations each get
    /// their own batcher. Receivers must run with `include_metadata: true`.
    pub metadata_keys: Vec<String>,
    /// Most batchers `metadata_keys` may create; data for a new combination beyond it is
    /// refused. 0 = no limit.
    pub metadata_cardinality_limit: u32,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            timeout: confmap::Duration::from_millis(200),
            send_batch_size: 8192,
            send_batch_max_size: 0,
            metadata_keys: Vec::new(),
            metadata_cardinality_limit: 1000,
        }
    }
}

impl BatchConfig {
    /// The timeout as a std duration.
    pub fn timeout(&self) -> Duration {
        self.timeout.to_std_saturating()
    }

    /// `metadata_keys` lower-cased and sorted: the order of the values in a batcher's key.
    pub fn normalized_metadata_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .metadata_keys
            .iter()
            .map(|k| k.to_lowercase())
            .collect();
        keys.sort();
        keys
    }
}

impl ComponentConfig for BatchConfig {
    fn validate(&self) -> Result<(), String> {
        if self.send_batch_max_size > 0 && self.send_batch_max_size < self.send_batch_size {
            return Err("send_batch_max_size must be greater or equal to send_batch_size".into());
        }
        let mut seen = std::collections::HashSet::new();
        for key in &self.metadata_keys {
            let lower = key.to_lowercase();
            if !seen.insert(lower.clone()) {
                return Err(format!(
                    "duplicate entry in metadata_keys: {lower:?} (case-insensitive)"
                ));
            }
        }
        if self.timeout.is_negative() {
            return Err("timeout must be greater or equal to 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_upstreams() {
        let c = BatchConfig::default();
        assert_eq!(c.timeout(), Duration::from_millis(200));
        assert_eq!(c.send_batch_size, 8192);
        assert_eq!(c.send_batch_max_size, 0);
        assert!(c.metadata_keys.is_empty());
        assert_eq!(c.metadata_cardinality_limit, 1000);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn max_size_must_not_be_below_the_trigger() {
        let c = BatchConfig {
            send_batch_size: 100,
            send_batch_max_size: 99,
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err(),
            "send_batch_max_size must be greater or equal to send_batch_size"
        );
        let equal = BatchConfig {
            send_batch_max_size: 100,
            ..c
        };
        assert_eq!(equal.validate(), Ok(()));
    }

    #[test]
    fn metadata_keys_are_case_insensitive_and_unique() {
        let c = BatchConfig {
            metadata_keys: vec!["Tenant".into(), "region".into(), "TENANT".into()],
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err(),
            "duplicate entry in metadata_keys: \"tenant\" (case-insensitive)"
        );
        let ok = BatchConfig {
            metadata_keys: vec!["X-Tenant".into(), "Region".into()],
            ..Default::default()
        };
        assert_eq!(ok.normalized_metadata_keys(), vec!["region", "x-tenant"]);
    }

    #[test]
    fn timeout_must_not_be_negative() {
        let c = BatchConfig {
            timeout: confmap::Duration::from_millis(-1),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err(),
            "timeout must be greater or equal to 0"
        );
    }

    fn decode(yaml: &str) -> Result<BatchConfig, component::ConfigError> {
        let node = confmap::parse_yaml(yaml).expect("yaml");
        component::config::decode_typed::<BatchConfig>(node.as_ref())
    }

    #[test]
    fn decodes_upstream_yaml() {
        let c = decode(
            "timeout: 5s\nsend_batch_size: 1000\nsend_batch_max_size: 1500\n\
             metadata_keys: [tenant]\nmetadata_cardinality_limit: 10\n",
        )
        .unwrap();
        assert_eq!(c.timeout(), Duration::from_secs(5));
        assert_eq!((c.send_batch_size, c.send_batch_max_size), (1000, 1500));
        assert_eq!(c.metadata_keys, vec!["tenant"]);
        assert_eq!(c.metadata_cardinality_limit, 10);
        // An empty section is the defaults.
        assert_eq!(decode("").unwrap(), BatchConfig::default());
        assert_eq!(
            decode("send_batch_size: 10\nsend_batch_max_size: 5\n").unwrap_err(),
            component::ConfigError::Invalid(
                "send_batch_max_size must be greater or equal to send_batch_size".into()
            )
        );
        assert!(matches!(
            decode("send_batch_sise: 10\n").unwrap_err(),
            component::ConfigError::Decode(_)
        ));
    }
}

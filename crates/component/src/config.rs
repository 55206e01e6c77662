//! Typed component configuration. A config is a plain struct with
//! `#[serde(default, deny_unknown_fields)]` whose `Default` holds upstream's defaults; it is the
//! single source of its defaults, validation and documentation (core-api.md, invariant 3).

use std::any::Any;
use std::sync::Arc;

use serde::de::DeserializeOwned;

/// A component's typed configuration.
pub trait ComponentConfig: DeserializeOwned + Default + Send + Sync + 'static {
    /// Checks what serde cannot: ranges, combinations, required values. The message is reported
    /// after `<kind>::<id>: `, as upstream reports `Validate()` errors.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A decoded, validated configuration of some component type; the factory that made it downcasts
/// it back with [`AnyConfig::get`].
#[derive(Clone)]
pub struct AnyConfig(Arc<dyn Any + Send + Sync>);

impl AnyConfig {
    pub fn new<T: Send + Sync + 'static>(config: T) -> Self {
        AnyConfig(Arc::new(config))
    }

    /// The typed config. Panics only if a factory is handed another factory's config, which the
    /// service never does.
    pub fn get<T: 'static>(&self) -> &T {
        self.0
            .downcast_ref::<T>()
            .expect("a factory receives the config its own decoder produced")
    }
}

/// A configuration error, already worded for the user. Upstream reports the two phases
/// differently (`cannot unmarshal the configuration: …` vs `invalid configuration: …`), so the
/// phase is kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The YAML does not fit the config type (unknown key, wrong type, bad duration).
    #[error("{0}")]
    Decode(String),
    /// The decoded config breaks a rule of the component (`validate()`).
    #[error("{0}")]
    Invalid(String),
}

/// Decodes and validates a component's config section. An absent or null section means the
/// defaults, as in upstream, where the YAML is unmarshalled over the default config.
pub fn decode<T: ComponentConfig>(node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
    decode_typed::<T>(node).map(AnyConfig::new)
}

/// [`decode`] without erasing the type; for tests and for components that embed other configs.
pub fn decode_typed<T: ComponentConfig>(node: Option<&confmap::Node>) -> Result<T, ConfigError> {
    let config: T = match node {
        Some(n) if !n.is_null() => {
            confmap::decode(n).map_err(|e| ConfigError::Decode(e.to_string()))?
        }
        _ => T::default(),
    };
    config.validate().map_err(ConfigError::Invalid)?;
    Ok(config)
}

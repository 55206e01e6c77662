//! The collector's configuration: the resolved YAML tree split into component sections and the
//! `service` section, every component config decoded by its factory, and the whole checked with
//! upstream's rules and messages (collector-semantics.md §1.1–1.2).
//!
//! Errors come in upstream's two phases: [`ConfigError::Unmarshal`] (`cannot unmarshal the
//! configuration: …`) while decoding, [`ConfigError::Invalid`] (`invalid configuration: …`) while
//! validating.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use component::factory::{FactoryInfo, Lookup, kinds, lookup};
use component::{AnyConfig, ComponentId, Factories, PipelineId};
use confmap::Node;
use serde::Deserialize;
use telemetry::logs::LogsConfig;
use telemetry::server::MetricsConfig;

/// A configuration the collector cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n{0}"
    )]
    Unmarshal(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("empty configuration file")]
    Empty,
}

/// One configured component: its id (with a deprecated type resolved to the current one), the
/// id as written, and its decoded config.
pub struct Configured<F: ?Sized> {
    pub id: ComponentId,
    pub written_id: ComponentId,
    pub factory: Arc<F>,
    pub config: AnyConfig,
}

// Not derived: a derive would demand `F: Clone`, and `F` is a `dyn` factory behind an `Arc`.
impl<F: ?Sized> Clone for Configured<F> {
    fn clone(&self) -> Self {
        Configured {
            id: self.id.clone(),
            written_id: self.written_id.clone(),
            factory: self.factory.clone(),
            config: self.config.clone(),
        }
    }
}

/// The `service::pipelines::<id>` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSection {
    pub receivers: Vec<String>,
    pub processors: Vec<String>,
    pub exporters: Vec<String>,
}

/// The `service::telemetry` section.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySection {
    pub logs: LogsConfig,
    pub metrics: MetricsConfig,
    /// Resource attributes of the collector's own telemetry; `null` removes an automatic one.
    pub resource: BTreeMap<String, Option<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct ServiceSection {
    extensions: Vec<String>,
    pipelines: BTreeMap<String, PipelineSection>,
    telemetry: TelemetrySection,
}

/// A pipeline whose component references are parsed (not yet checked against the sections).
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub id: PipelineId,
    pub receivers: Vec<ComponentId>,
    pub processors: Vec<ComponentId>,
    pub exporters: Vec<ComponentId>,
}

/// A decoded and validated configuration, ready to build a graph from.
#[derive(Clone)]
pub struct Config {
    pub receivers: BTreeMap<ComponentId, Configured<dyn component::ReceiverFactory>>,
    pub processors: BTreeMap<ComponentId, Configured<dyn component::ProcessorFactory>>,
    pub exporters: BTreeMap<ComponentId, Configured<dyn component::ExporterFactory>>,
    pub extensions: BTreeMap<ComponentId, Configured<dyn component::ExtensionFactory>>,
    /// `service::extensions`, in order.
    pub service_extensions: Vec<ComponentId>,
    pub pipelines: Vec<Pipeline>,
    pub telemetry: TelemetrySection,
    /// Deprecated type names seen, as (written, current), for one warning each.
    pub deprecated: Vec<(String, &'static str)>,
}

const TOP_LEVEL_KEYS: [&str; 6] = [
    "receivers",
    "processors",
    "exporters",
    "connectors",
    "extensions",
    "service",
];

impl Config {
    /// Decodes the resolved tree and validates it.
    pub fn from_node(root: &Node, factories: &Factories) -> Result<Config, ConfigError> {
        let cfg = decode(root, factories)?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.receivers.is_empty() {
            return invalid("no receiver configuration specified in config".into());
        }
        if self.exporters.is_empty() {
            return invalid("no exporter configuration specified in config".into());
        }
        if self.pipelines.is_empty() {
            return invalid("service::pipelines: service must have at least one pipeline".into());
        }
        for p in &self.pipelines {
            if p.receivers.is_empty() {
                return invalid(format!(
                    "service::pipelines::{}: must have at least one receiver",
                    p.id
                ));
            }
            if p.exporters.is_empty() {
                return invalid(format!(
                    "service::pipelines::{}: must have at least one exporter",
                    p.id
                ));
            }
            let mut seen = BTreeSet::new();
            for proc in &p.processors {
                if !seen.insert(proc) {
                    return invalid(format!(
                        "service::pipelines::{}: references processor \"{proc}\" multiple times",
                        p.id
                    ));
                }
            }
        }
        for ext in &self.service_extensions {
            if !self.extensions.contains_key(ext) {
                return invalid(format!(
                    "service::extensions: references extension \"{ext}\" which is not configured"
                ));
            }
        }
        for p in &self.pipelines {
            let refs = [
                (
                    "receiver",
                    &p.receivers,
                    self.receivers.keys().collect::<Vec<_>>(),
                ),
                ("processor", &p.processors, self.processors.keys().collect()),
                ("exporter", &p.exporters, self.exporters.keys().collect()),
            ];
            for (kind, ids, configured) in refs {
                for id in ids {
                    if !configured.contains(&id) {
                        return invalid(format!(
                            "service::pipelines::{}: references {kind} \"{id}\" which is not configured",
                            p.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn unmarshal(m: impl Into<String>) -> ConfigError {
    ConfigError::Unmarshal(m.into())
}

fn decode(root: &Node, factories: &Factories) -> Result<Config, ConfigError> {
    if root.is_null() || root.as_map().is_some_and(|m| m.is_empty()) {
        return Err(ConfigError::Empty);
    }
    let map = root
        .as_map()
        .ok_or_else(|| unmarshal("'' expected a map, got a scalar or a list"))?;
    let unknown: Vec<&str> = map.keys().filter(|k| !TOP_LEVEL_KEYS.contains(k)).collect();
    if !unknown.is_empty() {
        return Err(unmarshal(format!(
            "'' has invalid keys: {}",
            unknown.join(", ")
        )));
    }

    let mut deprecated = Vec::new();
    let receivers = decode_section(root, "receivers", &factories.receivers, &mut deprecated)?;
    let processors = decode_section(root, "processors", &factories.processors, &mut deprecated)?;
    let exporters = decode_section(root, "exporters", &factories.exporters, &mut deprecated)?;
    let extensions = decode_section(root, "extensions", &factories.extensions, &mut deprecated)?;
    // No connector is compiled in yet, so any configured connector is an unknown type.
    if let Some((key, _)) = root
        .get("connectors")
        .and_then(Node::as_map)
        .and_then(|m| m.iter().next())
    {
        let id = ComponentId::parse(key)
            .map_err(|e| unmarshal(format!("error decoding 'connectors': {e}")))?;
        return Err(unmarshal(format!(
            "error decoding 'connectors': unknown type: \"{}\" for id: \"{id}\" (valid values: [])",
            id.ty()
        )));
    }

    let service: ServiceSection = match root.get("service") {
        Some(n) if !n.is_null() => {
            confmap::decode(n).map_err(|e| unmarshal(format!("error decoding 'service': {e}")))?
        }
        _ => ServiceSection::default(),
    };
    let parse_ref = |path: &str, s: &str| {
        ComponentId::parse(s).map_err(|e| unmarshal(format!("error decoding '{path}': {e}")))
    };
    let service_extensions = service
        .extensions
        .iter()
        .map(|s| parse_ref("service::extensions", s).map(|id| resolve_alias(&id, &extensions)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pipelines = Vec::new();
    for (key, section) in &service.pipelines {
        let id = PipelineId::parse(key)
            .map_err(|e| unmarshal(format!("error decoding 'service::pipelines': {e}")))?;
        let path = format!("service::pipelines::{id}");
        let refs = |list: &[String], resolve: &dyn Fn(&ComponentId) -> ComponentId| {
            list.iter()
                .map(|s| parse_ref(&path, s).map(|id| resolve(&id)))
                .collect::<Result<Vec<_>, _>>()
        };
        pipelines.push(Pipeline {
            receivers: refs(&section.receivers, &|i| resolve_alias(i, &receivers))?,
            processors: refs(&section.processors, &|i| resolve_alias(i, &processors))?,
            exporters: refs(&section.exporters, &|i| resolve_alias(i, &exporters))?,
            id,
        });
    }
    Ok(Config {
        receivers,
        processors,
        exporters,
        extensions,
        service_extensions,
        pipelines,
        telemetry: service.telemetry,
        deprecated,
    })
}

/// A pipeline may name a component by its deprecated type (`otlphttp`) while the section was
/// stored under the current one (`otlp_http`): map the reference to the stored id.
fn resolve_alias<F: ?Sized>(
    id: &ComponentId,
    section: &BTreeMap<ComponentId, Configured<F>>,
) -> ComponentId {
    if section.contains_key(id) {
        return id.clone();
    }
    section
        .values()
        .find(|c| &c.written_id == id)
        .map_or_else(|| id.clone(), |c| c.id.clone())
}

fn decode_section<F: FactoryInfo + ?Sized>(
    root: &Node,
    section: &'static str,
    factories: &[Arc<F>],
    deprecated: &mut Vec<(String, &'static str)>,
) -> Result<BTreeMap<ComponentId, Configured<F>>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(node) = root.get(section) else {
        return Ok(out);
    };
    if node.is_null() {
        return Ok(out);
    }
    let map = node.as_map().ok_or_else(|| {
        unmarshal(format!(
            "error decoding '{section}': expected a map of component ids"
        ))
    })?;
    for (key, value) in map.iter() {
        let written_id = ComponentId::parse(key)
            .map_err(|e| unmarshal(format!("error decoding '{section}': {e}")))?;
        let factory = match lookup(factories, written_id.ty()) {
            Lookup::Found(f) => f,
            Lookup::Deprecated(f) => {
                deprecated.push((written_id.ty().to_string(), f.kind()));
                f
            }
            Lookup::NotFound => {
                if section == "exporters" && written_id.ty() == "logging" {
                    return Err(unmarshal(
                        "error decoding 'exporters': the logging exporter has been deprecated, use the debug exporter instead",
                    ));
                }
                return Err(unmarshal(format!(
                    "error decoding '{section}': unknown type: \"{}\" for id: \"{written_id}\" (valid values: [{}])",
                    written_id.ty(),
                    kinds(factories).join(" ")
                )));
            }
        };
        let id = written_id.with_type(factory.kind());
        if out.contains_key(&id) {
            return Err(unmarshal(format!(
                "error decoding '{section}': duplicate id \"{id}\" (written both as \"{written_id}\" and under its other type name)"
            )));
        }
        let config = factory.decode_config(Some(value)).map_err(|e| match e {
            component::ConfigError::Decode(m) => unmarshal(format!(
                "error decoding '{section}': error reading configuration for \"{written_id}\": {m}"
            )),
            component::ConfigError::Invalid(m) => {
                ConfigError::Invalid(format!("{section}::{written_id}: {m}"))
            }
        })?;
        out.insert(
            id.clone(),
            Configured {
                id,
                written_id,
                factory: factory.clone(),
                config,
            },
        );
    }
    Ok(out)
}

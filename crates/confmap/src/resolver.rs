//! From `--config` URIs to one resolved tree (upstream `confmap/resolver.go`).

use crate::error::ConfmapError;
use crate::expand::Expander;
use crate::merge::{merge_maps, split_map};
use crate::node::{Map, Node, Value};
use crate::providers::Providers;
use crate::uri::Location;

/// Most `--config`/`--set` URIs accepted in one resolution. Upstream has no limit; ours keeps a
/// runaway command line from fanning out into thousands of fetches.
pub const MAX_URIS: usize = 100;

#[derive(Debug, Clone)]
pub struct ResolverSettings {
    /// Config locations, merged left to right. A value without a scheme is a file path.
    pub uris: Vec<String>,
    /// Scheme for `${NAME}` references without one; the collector uses `"env"`. Empty means
    /// such references are left alone.
    pub default_scheme: String,
    pub providers: Providers,
}

#[derive(Debug, Clone)]
pub struct Resolver {
    settings: ResolverSettings,
}

impl Resolver {
    pub fn new(settings: ResolverSettings) -> Self {
        Resolver { settings }
    }

    /// Validates the settings and parses the URIs, with upstream's messages.
    fn locations(&self) -> Result<Vec<Location>, ConfmapError> {
        let s = &self.settings;
        if s.uris.is_empty() {
            return Err(ConfmapError::new(
                "invalid 'confmap.ResolverSettings' configuration: no URIs",
            ));
        }
        if s.uris.len() > MAX_URIS {
            return Err(ConfmapError::new(format!(
                "invalid 'confmap.ResolverSettings' configuration: too many URIs ({}, at most {MAX_URIS})",
                s.uris.len()
            )));
        }
        if s.providers.is_empty() {
            return Err(ConfmapError::new(
                "invalid 'confmap.ResolverSettings' configuration: no Providers",
            ));
        }
        if !s.default_scheme.is_empty() && !s.providers.contains(&s.default_scheme) {
            return Err(ConfmapError::new(
                "invalid 'confmap.ResolverSettings' configuration: DefaultScheme not found in providers list",
            ));
        }
        s.uris
            .iter()
            .map(|uri| {
                let loc = Location::parse_config_uri(uri)?;
                if !s.providers.contains(&loc.scheme) {
                    return Err(ConfmapError::new(format!(
                        "unsupported scheme on URI {}",
                        crate::yaml::go_quote(uri)
                    )));
                }
                Ok(loc)
            })
            .collect()
    }

    /// Retrieves and merges every URI, without expanding `${...}` (upstream's
    /// `UnexpandedConf`, useful to print what the user wrote).
    pub async fn resolve_unexpanded(&self) -> Result<Node, ConfmapError> {
        Ok(Node::new(Value::Map(self.retrieve_and_merge().await?)))
    }

    /// Retrieves, merges and expands. The result is always a map (empty for empty files;
    /// the collector's own validation reports `empty configuration file`).
    pub async fn resolve(&self) -> Result<Node, ConfmapError> {
        let merged = self.retrieve_and_merge().await?;
        let expander = Expander {
            providers: &self.settings.providers,
            default_scheme: &self.settings.default_scheme,
        };
        let expanded = expander.expand_map(merged).await?;
        // Expanded values may hold `a::b` keys too; upstream re-splits after expansion.
        Ok(Node::new(Value::Map(split_map(expanded))))
    }

    async fn retrieve_and_merge(&self) -> Result<Map, ConfmapError> {
        let locations = self.locations()?;
        let mut merged = Map::new();
        for loc in locations {
            let Some(provider) = self.settings.providers.get(&loc.scheme) else {
                continue; // checked by locations()
            };
            let ret = provider
                .retrieve(&loc.as_uri())
                .await
                .map_err(|e| e.context("cannot retrieve the configuration"))?;
            merge_maps(&mut merged, split_map(ret.into_conf()?));
        }
        Ok(merged)
    }
}

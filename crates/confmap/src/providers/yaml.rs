//! `yaml:` — inline YAML, as produced by `--set` (upstream `yamlprovider`). Keys written
//! `a::b::c` become nested maps when the resolver builds the config.

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::retrieved::Retrieved;

#[derive(Debug, Clone, Copy, Default)]
pub struct YamlProvider;

impl Provider for YamlProvider {
    fn scheme(&self) -> &str {
        "yaml"
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move {
            let body = strip_scheme(uri, "yaml")?;
            Ok(Retrieved::from_yaml(body.as_bytes()))
        })
    }
}

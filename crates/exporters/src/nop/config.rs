//! `nop` takes no settings (upstream's config is an empty struct); any key is an error.

use component::ComponentConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NopConfig {}

impl ComponentConfig for NopConfig {}

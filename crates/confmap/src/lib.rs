//! Configuration resolution for ferrocol, with the upstream collector's semantics
//! (`go.opentelemetry.io/collector/confmap`):
//!
//! 1. `--config` URIs and `--set` flags ([`set_flag_to_yaml_uri`]) are fetched by
//!    [`Provider`]s (`file`, `env`, `yaml`, `http`, `https`; more can be registered),
//! 2. parsed as YAML into [`Node`] trees that keep source positions ([`yaml`]),
//! 3. merged left to right ([`merge`]) and `${...}` references expanded ([`expand`]),
//! 4. and sub-trees are decoded into typed, serde-derived config structs with upstream-style
//!    errors that name the path ([`decode()`]).
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = confmap::ResolverSettings {
//!     uris: vec!["file:/etc/otel.yaml".into(), "yaml:processors::batch::timeout: 2s".into()],
//!     default_scheme: "env".into(),
//!     providers: confmap::Providers::default_set(),
//! };
//! let root = confmap::Resolver::new(settings).resolve().await?;
//! let timeout: Option<confmap::Duration> = root
//!     .get_path(&["processors", "batch", "timeout"])
//!     .map(confmap::decode)
//!     .transpose()?;
//! # Ok(()) }
//! ```

pub mod bytesize;
pub mod decode;
pub mod duration;
pub mod emit;
pub mod error;
pub mod expand;
pub mod merge;
pub mod node;
pub mod optional;
pub mod providers;
pub mod resolver;
pub mod retrieved;
pub mod set_flag;
pub mod uri;
pub mod yaml;

pub use bytesize::{ByteSize, ByteSizeError};
pub use decode::{DecodeError, NodeDeserializer, PathSegment, decode};
pub use duration::{Duration, DurationError};
pub use error::ConfmapError;
pub use node::{Entry, Map, Mark, Node, REDACTED, Value};
pub use optional::Optional;
pub use providers::{
    BoxFuture, EnvLookup, EnvProvider, FileProvider, HttpProvider, Provider, Providers,
    YamlProvider,
};
pub use resolver::{MAX_URIS, Resolver, ResolverSettings};
pub use retrieved::Retrieved;
pub use set_flag::set_flag_to_yaml_uri;
pub use uri::{Location, SCHEME_PATTERN};
pub use yaml::{YamlError, parse as parse_yaml};

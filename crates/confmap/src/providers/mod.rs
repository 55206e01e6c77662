//! Config sources, one per URI scheme.
//!
//! [`Provider`] is a trait object so that other crates can add schemes (ADOT's `s3:` and
//! `ssm:`) by registering into [`Providers`] without touching this crate.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::ConfmapError;
use crate::retrieved::Retrieved;

mod env;
mod file;
mod http;
mod s3;
mod ssm;
mod yaml;

pub use env::{EnvLookup, EnvProvider};
pub use file::FileProvider;
pub use http::HttpProvider;
pub use s3::{S3Location, S3Provider};
pub use ssm::SsmProvider;
pub use yaml::YamlProvider;

/// A boxed, sendable future (the shape of `futures::future::BoxFuture`, without the dependency).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One URI scheme's source of configuration.
pub trait Provider: Send + Sync {
    /// The scheme this provider serves, e.g. `"file"`. Must match [`crate::SCHEME_PATTERN`].
    fn scheme(&self) -> &str;

    /// Fetches `uri` (the full `scheme:opaque` text).
    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>>;
}

/// Upstream's check that a provider was handed a URI of its own scheme.
pub(crate) fn strip_scheme<'a>(uri: &'a str, scheme: &str) -> Result<&'a str, ConfmapError> {
    uri.strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(|| {
            ConfmapError::new(format!(
                "{} uri is not supported by {} provider",
                crate::yaml::go_quote(uri),
                crate::yaml::go_quote(scheme)
            ))
        })
}

/// The registered providers, by scheme.
#[derive(Clone, Default)]
pub struct Providers {
    by_scheme: BTreeMap<String, Arc<dyn Provider>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_scheme.keys()).finish()
    }
}

impl Providers {
    /// No providers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The core set: `file`, `env` (the process environment), `yaml`, `http`, `https`, and
    /// the AWS ones: `s3` (as ADOT) and `ssm` (contrib's).
    pub fn default_set() -> Self {
        Providers::new()
            .with(FileProvider)
            .with(EnvProvider::from_process())
            .with(YamlProvider)
            .with(HttpProvider::http())
            .with(HttpProvider::https())
            .with(S3Provider)
            .with(SsmProvider)
    }

    /// Adds a provider, refusing an invalid or already registered scheme with upstream's
    /// messages.
    pub fn register(&mut self, provider: Arc<dyn Provider>) -> Result<(), ConfmapError> {
        let scheme = provider.scheme().to_string();
        if !crate::uri::is_valid_scheme(&scheme) {
            return Err(ConfmapError::new(format!(
                "invalid 'confmap.Provider' scheme {}",
                crate::yaml::go_quote(&scheme)
            )));
        }
        if self.by_scheme.contains_key(&scheme) {
            return Err(ConfmapError::new(format!(
                "duplicate 'confmap.Provider' scheme {}",
                crate::yaml::go_quote(&scheme)
            )));
        }
        self.by_scheme.insert(scheme, provider);
        Ok(())
    }

    /// Adds or replaces the provider for its scheme (builder style; used to swap in a test
    /// environment or a configured http client).
    pub fn with(mut self, provider: impl Provider + 'static) -> Self {
        self.by_scheme
            .insert(provider.scheme().to_string(), Arc::new(provider));
        self
    }

    pub fn get(&self, scheme: &str) -> Option<&Arc<dyn Provider>> {
        self.by_scheme.get(scheme)
    }

    pub fn contains(&self, scheme: &str) -> bool {
        self.by_scheme.contains_key(scheme)
    }

    /// Registered schemes, sorted (for `ferrocol components`).
    pub fn schemes(&self) -> impl Iterator<Item = &str> {
        self.by_scheme.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_scheme.is_empty()
    }
}

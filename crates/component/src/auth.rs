//! The client-authentication capability: what an authenticator extension (`basicauth`,
//! `bearertokenauth`, `sigv4auth`) offers to exporters whose config says
//! `auth: {authenticator: <extension id>}`.
//!
//! An authenticator extension's [`Extension::as_any`] returns its
//! `Arc<dyn ClientAuthenticator>`, so an exporter finds it with [`client_authenticator`] without
//! naming the extension's type (as storage does, see [`crate::storage`]).

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::factory::Extension;
use crate::host::Host;
use crate::id::ComponentId;

/// Authenticates outgoing requests: adds headers, or signs the request.
pub trait ClientAuthenticator: Send + Sync + 'static {
    /// Changes `request` (method, URI and headers, as they will be sent) so that the server
    /// accepts it. `body` is exactly the body that will be sent (after compression): a signing
    /// authenticator hashes it. Async because credentials may need refreshing. An error fails
    /// this attempt of the export (the exporter's retry policy decides what happens next).
    fn authenticate<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Whether it can authenticate gRPC calls, where only metadata (headers) can be set and the
    /// body is not available (`body` is then empty). Signing authenticators cannot.
    fn supports_grpc(&self) -> bool {
        true
    }
}

/// The client authenticator an extension offers, if it is one.
pub fn client_authenticator(extension: &dyn Extension) -> Option<Arc<dyn ClientAuthenticator>> {
    extension
        .as_any()
        .downcast_ref::<Arc<dyn ClientAuthenticator>>()
        .cloned()
}

/// Finds the authenticator `id` among the host's extensions, with upstream's error strings
/// (`configauth`): `failed to resolve authenticator "<id>": authenticator not found` when no
/// such extension runs, and `... requested authenticator is not a client authenticator` when it
/// is another kind of extension.
pub fn resolve_client_authenticator(
    host: &Host,
    id: &ComponentId,
) -> Result<Arc<dyn ClientAuthenticator>, String> {
    let extension = host.extension(id).ok_or_else(|| {
        format!("failed to resolve authenticator \"{id}\": authenticator not found")
    })?;
    client_authenticator(extension.as_ref()).ok_or_else(|| {
        format!(
            "failed to resolve authenticator \"{id}\": requested authenticator is not a client authenticator"
        )
    })
}

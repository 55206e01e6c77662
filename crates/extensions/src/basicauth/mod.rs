//! `basicauth` (contrib `extension/basicauthextension`, client side): adds
//! `Authorization: Basic base64(username:password)` to every request of an exporter whose
//! config says `auth: {authenticator: basicauth}`.
//!
//! Config: `client_auth: {username, password, username_file, password_file}` (a file's
//! content, trimmed of surrounding whitespace, replaces the inline value and is read at start).
//! Difference from upstream: the server side (`htpasswd`, for receivers) is not implemented
//! (ferrocol's receivers have no authenticator hook yet): a config with `htpasswd` is refused
//! rather than accepted and ignored.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use component::auth::ClientAuthenticator;
use component::{
    AnyConfig, Component, ComponentConfig, ConfigError, CreateContext, CreateError, Extension,
    ExtensionFactory, FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use http::HeaderValue;
use parking_lot::Mutex;
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BasicAuthConfig {
    pub htpasswd: Option<HtpasswdSettings>,
    pub client_auth: Option<ClientAuthSettings>,
}

/// Server side; decoded so that the refusal names it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HtpasswdSettings {
    pub file: String,
    pub inline: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ClientAuthSettings {
    pub username: String,
    pub password: String,
    pub username_file: String,
    pub password_file: String,
}

impl ComponentConfig for BasicAuthConfig {
    fn validate(&self) -> Result<(), String> {
        match (&self.htpasswd, &self.client_auth) {
            (None, None) => Err("no credential source provided".into()),
            (Some(_), Some(_)) => {
                Err("only one of `htpasswd` or `client_auth` can be specified".into())
            }
            (Some(_), None) => Err(
                "htpasswd: server-side basic authentication is not supported by ferrocol yet; only client_auth is"
                    .into(),
            ),
            (None, Some(_)) => Ok(()),
        }
    }
}

pub struct BasicAuthFactory;

impl FactoryInfo for BasicAuthFactory {
    fn kind(&self) -> Kind {
        "basicauth"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<BasicAuthConfig>(node)
    }
}

impl ExtensionFactory for BasicAuthFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        _ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &BasicAuthConfig = config.get();
        let client = config.client_auth.clone().unwrap_or_default();
        let header = Arc::new(Mutex::new(None));
        Ok(Arc::new(BasicAuth {
            client,
            capability: Arc::new(BasicAuthenticator {
                header: header.clone(),
            }),
            header,
        }))
    }
}

/// A running `basicauth`.
struct BasicAuth {
    client: ClientAuthSettings,
    header: Arc<Mutex<Option<HeaderValue>>>,
    capability: Arc<dyn ClientAuthenticator>,
}

/// The value, or the trimmed content of the file when one is named.
fn value_or_file(value: &str, file: &str, what: &str) -> Result<String, String> {
    if file.is_empty() {
        return Ok(value.to_string());
    }
    std::fs::read_to_string(file)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("failed to read {what} from {file:?}: {e}"))
}

/// `Basic base64(username:password)`.
pub fn basic_header(username: &str, password: &str) -> Result<HeaderValue, String> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|e| e.to_string())
}

impl Component for BasicAuth {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            let c = &self.client;
            let username =
                value_or_file(&c.username, &c.username_file, "username").map_err(StartError)?;
            let password =
                value_or_file(&c.password, &c.password_file, "password").map_err(StartError)?;
            *self.header.lock() = Some(basic_header(&username, &password).map_err(StartError)?);
            Ok(())
        })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl Extension for BasicAuth {
    fn as_any(&self) -> &dyn Any {
        &self.capability
    }
}

struct BasicAuthenticator {
    header: Arc<Mutex<Option<HeaderValue>>>,
}

impl ClientAuthenticator for BasicAuthenticator {
    fn authenticate<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        _body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let value = self
                .header
                .lock()
                .clone()
                .ok_or_else(|| "the basicauth extension is not started".to_string())?;
            request.headers.insert(http::header::AUTHORIZATION, value);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<BasicAuthConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<BasicAuthConfig>(node.as_ref()).map_err(|e| e.to_string())
    }

    #[test]
    fn config_errors_are_upstreams() {
        assert_eq!(decode("{}").unwrap_err(), "no credential source provided");
        assert_eq!(
            decode("{htpasswd: {inline: 'a:b'}, client_auth: {username: a}}").unwrap_err(),
            "only one of `htpasswd` or `client_auth` can be specified"
        );
        assert!(
            decode("{htpasswd: {file: x}}")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(decode("{client_auth: {user: a}}").is_err());
    }

    #[tokio::test]
    async fn adds_the_basic_authorization_header() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let config = decode(&format!(
            "{{client_auth: {{username: alice, password_file: '{}'}}}}",
            file.display()
        ))
        .unwrap();
        let ext = BasicAuthFactory
            .create(
                CreateContext {
                    id: component::ComponentId::parse("basicauth").unwrap(),
                    build_version: "test",
                },
                &AnyConfig::new(config),
            )
            .unwrap();
        let host = Host::new(
            Default::default(),
            tokio::sync::watch::channel(component::CollectorStatus::Ready).1,
        );
        ext.start(&host).await.unwrap();
        let auth = component::auth::client_authenticator(ext.as_ref()).unwrap();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        auth.authenticate(&mut parts, b"").await.unwrap();
        // base64("alice:s3cret")
        assert_eq!(parts.headers["authorization"], "Basic YWxpY2U6czNjcmV0");
    }
}

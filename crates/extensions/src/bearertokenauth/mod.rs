//! `bearertokenauth` (contrib `extension/bearertokenauthextension`, client side): sets
//! `<header>: <scheme> <token>` (default `Authorization: Bearer <token>`) on every request of an
//! exporter whose config says `auth: {authenticator: bearertokenauth}`.
//!
//! Config: `token`, `tokens` (the first is sent), `filename` (wins over both; its content,
//! trimmed, is the token — the first line when there are several), `scheme` (default `Bearer`;
//! empty sends the bare token), `header` (default `Authorization`). The file is watched: it is
//! checked every second and a changed token is used from the next request on (upstream uses
//! fsnotify). A file that cannot be read at start fails the start; later read errors keep the
//! last token and are logged.
//!
//! Difference from upstream: server-side token checking (for receivers) is not implemented.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use component::auth::ClientAuthenticator;
use component::{
    AnyConfig, Component, ComponentConfig, ConfigError, CreateContext, CreateError, Extension,
    ExtensionFactory, FactoryInfo, Host, Kind, Stability, StartError,
};
use futures::future::BoxFuture;
use http::{HeaderName, HeaderValue};
use parking_lot::Mutex;
use serde::Deserialize;

/// How often a token file is checked for changes.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BearerTokenAuthConfig {
    pub header: String,
    pub scheme: String,
    pub token: String,
    pub tokens: Vec<String>,
    pub filename: String,
}

impl Default for BearerTokenAuthConfig {
    fn default() -> Self {
        BearerTokenAuthConfig {
            header: "Authorization".into(),
            scheme: "Bearer".into(),
            token: String::new(),
            tokens: Vec::new(),
            filename: String::new(),
        }
    }
}

impl ComponentConfig for BearerTokenAuthConfig {
    fn validate(&self) -> Result<(), String> {
        if self.token.is_empty() && self.tokens.is_empty() && self.filename.is_empty() {
            return Err("no bearer token provided".into());
        }
        if !self.token.is_empty() && !self.tokens.is_empty() {
            return Err("either tokens or token should be provided, not both".into());
        }
        HeaderName::from_bytes(self.header.as_bytes())
            .map_err(|_| format!("header: invalid header name {:?}", self.header))?;
        Ok(())
    }
}

pub struct BearerTokenAuthFactory;

impl FactoryInfo for BearerTokenAuthFactory {
    fn kind(&self) -> Kind {
        "bearertokenauth"
    }

    fn decode_config(&self, node: Option<&confmap::Node>) -> Result<AnyConfig, ConfigError> {
        component::config::decode::<BearerTokenAuthConfig>(node)
    }
}

impl ExtensionFactory for BearerTokenAuthFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        ctx: CreateContext,
        config: &AnyConfig,
    ) -> Result<Arc<dyn Extension>, CreateError> {
        let config: &BearerTokenAuthConfig = config.get();
        let header = HeaderName::from_bytes(config.header.as_bytes())
            .map_err(|_| CreateError(format!("invalid header name {:?}", config.header)))?;
        let state = Arc::new(TokenState {
            header,
            scheme: config.scheme.clone(),
            value: Mutex::new(None),
        });
        Ok(Arc::new(BearerTokenAuth {
            id: ctx.id.to_string(),
            config: config.clone(),
            capability: state.clone(),
            state,
            watcher: Mutex::new(None),
        }))
    }
}

struct TokenState {
    header: HeaderName,
    scheme: String,
    value: Mutex<Option<HeaderValue>>,
}

impl TokenState {
    fn set(&self, token: &str) -> Result<(), String> {
        let text = if self.scheme.is_empty() {
            token.to_string()
        } else {
            format!("{} {token}", self.scheme)
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            "the bearer token contains characters not allowed in a header".to_string()
        })?;
        value.set_sensitive(true);
        *self.value.lock() = Some(value);
        Ok(())
    }
}

/// The token in a file: its first non-empty line, trimmed.
fn read_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "failed to read the bearer token file {}: {e}",
            path.display()
        )
    })?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("the bearer token file {} is empty", path.display()))
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

struct BearerTokenAuth {
    id: String,
    config: BearerTokenAuthConfig,
    state: Arc<TokenState>,
    capability: Arc<dyn ClientAuthenticator>,
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Component for BearerTokenAuth {
    fn start<'a>(&'a self, _host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            if self.config.filename.is_empty() {
                let token = if self.config.token.is_empty() {
                    self.config.tokens.first().cloned().unwrap_or_default()
                } else {
                    self.config.token.clone()
                };
                return self.state.set(&token).map_err(StartError);
            }
            let path = PathBuf::from(&self.config.filename);
            let token = read_token(&path).map_err(StartError)?;
            self.state.set(&token).map_err(StartError)?;
            let state = self.state.clone();
            let id = self.id.clone();
            let mut seen = (modified(&path), token);
            let task = tokio::spawn(async move {
                let mut tick = tokio::time::interval(WATCH_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let stamp = modified(&path);
                    if stamp == seen.0 {
                        continue;
                    }
                    match read_token(&path) {
                        Ok(token) if token != seen.1 => match state.set(&token) {
                            Ok(()) => {
                                tracing::info!(extension = %id, file = %path.display(), "bearer token reloaded");
                                seen = (stamp, token);
                            }
                            Err(error) => {
                                tracing::error!(extension = %id, %error, "keeping the previous bearer token")
                            }
                        },
                        Ok(_) => seen.0 = stamp,
                        Err(error) => {
                            tracing::error!(extension = %id, %error, "keeping the previous bearer token");
                        }
                    }
                }
            });
            *self.watcher.lock() = Some(task);
            Ok(())
        })
    }

    fn shutdown(&self, _deadline: Instant) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(task) = self.watcher.lock().take() {
                task.abort();
            }
        })
    }
}

impl Extension for BearerTokenAuth {
    fn as_any(&self) -> &dyn Any {
        &self.capability
    }
}

impl ClientAuthenticator for TokenState {
    fn authenticate<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
        _body: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let value = self
                .value
                .lock()
                .clone()
                .ok_or_else(|| "the bearertokenauth extension is not started".to_string())?;
            request.headers.insert(self.header.clone(), value);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(yaml: &str) -> Result<BearerTokenAuthConfig, String> {
        let node = confmap::parse_yaml(yaml).unwrap();
        component::config::decode_typed::<BearerTokenAuthConfig>(node.as_ref())
            .map_err(|e| e.to_string())
    }

    fn host() -> Host {
        Host::new(
            Default::default(),
            tokio::sync::watch::channel(component::CollectorStatus::Ready).1,
        )
    }

    async fn header_of(ext: &Arc<dyn Extension>) -> (String, String) {
        let auth = component::auth::client_authenticator(ext.as_ref()).unwrap();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        auth.authenticate(&mut parts, b"").await.unwrap();
        let (k, v) = parts.headers.iter().next().unwrap();
        (k.to_string(), v.to_str().unwrap().to_string())
    }

    fn create(config: BearerTokenAuthConfig) -> Arc<dyn Extension> {
        BearerTokenAuthFactory
            .create(
                CreateContext {
                    id: component::ComponentId::parse("bearertokenauth").unwrap(),
                    build_version: "test",
                },
                &AnyConfig::new(config),
            )
            .unwrap()
    }

    #[test]
    fn config_errors_are_upstreams() {
        assert_eq!(decode("{}").unwrap_err(), "no bearer token provided");
        assert_eq!(
            decode("{token: a, tokens: [b]}").unwrap_err(),
            "either tokens or token should be provided, not both"
        );
        let c = decode("{token: a}").unwrap();
        assert_eq!(
            (c.header.as_str(), c.scheme.as_str()),
            ("Authorization", "Bearer")
        );
    }

    #[tokio::test]
    async fn scheme_header_and_token() {
        let ext = create(decode("{token: abc}").unwrap());
        ext.start(&host()).await.unwrap();
        assert_eq!(
            header_of(&ext).await,
            ("authorization".into(), "Bearer abc".into())
        );
        let ext = create(decode("{tokens: [t1, t2], scheme: '', header: X-Api-Key}").unwrap());
        ext.start(&host()).await.unwrap();
        assert_eq!(header_of(&ext).await, ("x-api-key".into(), "t1".into()));
    }

    #[tokio::test]
    async fn the_token_file_is_watched() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "first\n").unwrap();
        let ext = create(
            decode(&format!(
                "{{token: ignored, filename: '{}'}}",
                file.display()
            ))
            .unwrap(),
        );
        ext.start(&host()).await.unwrap();
        assert_eq!(header_of(&ext).await.1, "Bearer first");
        // A different length and a later mtime, so the change is seen whatever the clock
        // granularity.
        std::fs::write(&file, "second-token\n").unwrap();
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let mut value = String::new();
        for _ in 0..100 {
            value = header_of(&ext).await.1;
            if value != "Bearer first" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(value, "Bearer second-token");
        ext.shutdown(Instant::now()).await;
        // A missing file fails the start.
        let ext = create(decode("{filename: /nonexistent/token}").unwrap());
        assert!(ext.start(&host()).await.is_err());
    }
}

//! `oauth2` in scrape configs: the OAuth 2.0 client-credentials grant, as prometheus/common's
//! `oauth2RoundTripper` drives `golang.org/x/oauth2/clientcredentials`.
//!
//! * The token request is a `POST` of `application/x-www-form-urlencoded`
//!   `grant_type=client_credentials`, `scope` (the scopes joined by spaces) and
//!   `endpoint_params`, keys sorted as Go's `url.Values.Encode` writes them.
//! * Client credentials go in an HTTP Basic header first; if that request fails, the same
//!   request is sent again with `client_id`/`client_secret` in the form, and the style that
//!   worked is remembered (Go's `AuthStyleAutoDetect`).
//! * The token is reused until 10 s before `expires_in` runs out (Go's `expiryDelta`); a
//!   token without `expires_in` never expires. A 401 from the target does not refresh it
//!   (Go does not either).
//! * `client_secret_file` is read before every scrape; when its content changes the cached
//!   token and auth style are dropped and a new token is fetched, as Prometheus rebuilds its
//!   token source when the secret changes.
//! * The token request has its own `tls_config` and `proxy_url` (with `CONNECT` for
//!   `https://` token URLs) and HTTP/1.1, like the Go transport Prometheus builds for it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use super::connector::ScrapeConnector;
use super::proxy::{ProxySettings, validate_proxy_config};
use crate::discovery::http_client::{HttpClientConfig, TlsConfig};

/// Go's `oauth2.expiryDelta`: a token is refreshed this long before it expires.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// Go reads at most 1 MiB of a token response.
const MAX_TOKEN_RESPONSE: usize = 1 << 20;

/// The `oauth2` block (prometheus/common `OAuth2`, client-credentials grant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: String,
    pub client_secret_file: String,
    pub scopes: Vec<String>,
    pub token_url: String,
    pub endpoint_params: BTreeMap<String, String>,
    pub tls_config: TlsConfig,
    pub proxy_url: String,
    pub no_proxy: String,
    pub proxy_from_environment: bool,
    pub proxy_connect_header: BTreeMap<String, Vec<String>>,
}

/// prometheus/common's `HTTPClientConfig.Validate` checks that involve `oauth2`, in its
/// order and with its messages, plus the token request's own proxy and TLS settings.
pub fn validate(http: &HttpClientConfig, oauth2: Option<&OAuth2>) -> Result<(), String> {
    let Some(o) = oauth2 else {
        return Ok(());
    };
    if !http.bearer_token.is_empty() || !http.bearer_token_file.is_empty() {
        return Err(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                .into(),
        );
    }
    if http.authorization.is_some() || http.basic_auth.is_some() {
        return Err("at most one of basic_auth, oauth2 & authorization must be configured".into());
    }
    if o.client_id.is_empty() {
        return Err("oauth2 client_id must be configured".into());
    }
    if o.token_url.is_empty() {
        return Err("oauth2 token_url must be configured".into());
    }
    if !o.client_secret.is_empty() && !o.client_secret_file.is_empty() {
        return Err(
            "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured"
                .into(),
        );
    }
    let url: Uri = o
        .token_url
        .parse()
        .map_err(|e| format!("invalid oauth2 token_url {:?}: {e}", o.token_url))?;
    if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
        return Err(format!(
            "invalid oauth2 token_url {:?}: an http:// or https:// URL is required",
            o.token_url
        ));
    }
    validate_proxy_config(
        &o.proxy_url,
        &o.no_proxy,
        o.proxy_from_environment,
        &o.proxy_connect_header,
    )
    .map_err(|e| format!("invalid proxy config: {e}"))?;
    o.tls_config
        .validate()
        .map_err(|e| format!("invalid tls_config: {e}"))?;
    Ok(())
}

/// How the client credentials are sent (Go's `AuthStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthStyle {
    InHeader,
    InParams,
}

/// A token and when to stop using it.
#[derive(Debug, Clone)]
struct Token {
    authorization: HeaderValue,
    /// `None`: the server gave no `expires_in`, so the token never expires (Go).
    refresh_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    /// The secret the cached token and auth style were obtained with.
    secret: Option<String>,
    token: Option<Token>,
    style: Option<AuthStyle>,
}

/// Fetches and caches tokens for one scrape job.
pub struct TokenSource {
    config: OAuth2,
    token_url: Uri,
    client: Client<ScrapeConnector, Full<Bytes>>,
    /// Knows whether a token request goes to the proxy in absolute form (it then carries the
    /// proxy's credentials).
    connector: ScrapeConnector,
    /// Held while a token is fetched, so concurrent scrapes share one request (as Go's
    /// `ReuseTokenSource` does).
    state: tokio::sync::Mutex<State>,
}

impl TokenSource {
    pub fn new(config: &OAuth2) -> Result<TokenSource, String> {
        let token_url: Uri = config
            .token_url
            .parse()
            .map_err(|e| format!("invalid oauth2 token_url {:?}: {e}", config.token_url))?;
        let tls = HttpClientConfig {
            tls_config: config.tls_config.clone(),
            ..HttpClientConfig::default()
        }
        .rustls_config()
        .map_err(|e| format!("oauth2 tls_config: {e}"))?;
        let proxy = ProxySettings::new(
            &config.proxy_url,
            &config.no_proxy,
            &config.proxy_connect_header,
        )
        .map_err(|e| format!("oauth2: {e}"))?;
        let connector = ScrapeConnector::new(&tls, &config.tls_config.server_name, false, proxy)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(10))
            .build(connector.clone());
        Ok(TokenSource {
            config: config.clone(),
            token_url,
            client,
            connector,
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    /// The `Authorization` value for a scrape: the cached token while it is valid, else a
    /// new one. Errors name the token URL and, for refused requests, the status.
    pub async fn authorization(&self, user_agent: &HeaderValue) -> Result<HeaderValue, String> {
        let secret = self.client_secret()?;
        let mut state = self.state.lock().await;
        if state.secret.as_deref() != Some(secret.as_str()) {
            *state = State {
                secret: Some(secret.clone()),
                ..State::default()
            };
        }
        if let Some(token) = &state.token
            && token.refresh_at.is_none_or(|t| Instant::now() < t)
        {
            return Ok(token.authorization.clone());
        }
        let (token, style) = match state.style {
            Some(style) => (self.fetch(&secret, style, user_agent).await?, style),
            None => match self.fetch(&secret, AuthStyle::InHeader, user_agent).await {
                Ok(t) => (t, AuthStyle::InHeader),
                // Any failure: assume the server wants the credentials in the form.
                Err(_) => (
                    self.fetch(&secret, AuthStyle::InParams, user_agent).await?,
                    AuthStyle::InParams,
                ),
            },
        };
        state.style = Some(style);
        state.token = Some(token.clone());
        Ok(token.authorization)
    }

    /// The client secret, read now when it is in a file (trimmed, as Prometheus does).
    fn client_secret(&self) -> Result<String, String> {
        let file = &self.config.client_secret_file;
        if file.is_empty() {
            return Ok(self.config.client_secret.clone());
        }
        std::fs::read_to_string(file)
            .map(|s| s.trim().to_string())
            .map_err(|e| {
                format!("unable to read oauth2 client secret: unable to read file {file}: {e}")
            })
    }

    /// The form of a token request (sorted keys, as Go's `url.Values.Encode`).
    fn form(&self, secret: &str, style: AuthStyle) -> Result<String, String> {
        let mut v: BTreeMap<&str, &str> = BTreeMap::new();
        v.insert("grant_type", "client_credentials");
        let scope = self.config.scopes.join(" ");
        if !self.config.scopes.is_empty() {
            v.insert("scope", &scope);
        }
        for (k, p) in &self.config.endpoint_params {
            // grant_type may be overridden, for non-compliant servers (clientcredentials).
            if v.contains_key(k.as_str()) && k != "grant_type" {
                return Err(format!("oauth2: cannot overwrite parameter {k:?}"));
            }
            v.insert(k, p);
        }
        if style == AuthStyle::InParams {
            v.insert("client_id", &self.config.client_id);
            if !secret.is_empty() {
                v.insert("client_secret", secret);
            }
        }
        Ok(v.iter()
            .map(|(k, val)| format!("{}={}", query_escape(k), query_escape(val)))
            .collect::<Vec<_>>()
            .join("&"))
    }

    async fn fetch(
        &self,
        secret: &str,
        style: AuthStyle,
        user_agent: &HeaderValue,
    ) -> Result<Token, String> {
        let url = &self.config.token_url;
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(USER_AGENT, user_agent.clone());
        if let Some(auth) = self.connector.absolute_form_proxy_auth(&self.token_url) {
            req = req.header(http::header::PROXY_AUTHORIZATION, auth.clone());
        }
        if style == AuthStyle::InHeader {
            use base64::Engine as _;
            let creds = format!(
                "{}:{}",
                query_escape(&self.config.client_id),
                query_escape(secret)
            );
            let basic = base64::engine::general_purpose::STANDARD.encode(creds);
            req = req.header(AUTHORIZATION, format!("Basic {basic}"));
        }
        let req = req
            .body(Full::new(Bytes::from(self.form(secret, style)?)))
            .map_err(|e| format!("oauth2: token request to {url}: {e}"))?;
        let resp = self.client.request(req).await.map_err(|e| {
            format!(
                "oauth2: cannot fetch token from {url}: {}",
                super::http::full_error(&e)
            )
        })?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let status_text = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        let status_text = status_text.trim_end();
        let body = match Limited::new(resp.into_body(), MAX_TOKEN_RESPONSE)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            // A refusing server (or proxy) may close before its body is read: the status is
            // what matters.
            Err(e) if !status.is_success() => {
                return Err(format!(
                    "oauth2: cannot fetch token from {url}: {status_text} (reading the response: {e})"
                ));
            }
            Err(e) => return Err(format!("oauth2: cannot fetch token from {url}: {e}")),
        };
        let fields = if matches!(
            content_type.as_str(),
            "application/x-www-form-urlencoded" | "text/plain"
        ) {
            TokenFields::from_form(&body)
        } else {
            TokenFields::from_json(&body)
        };
        let refused = !status.is_success();
        match fields {
            Ok(f) if !f.error.is_empty() => {
                let mut detail = format!("{:?}", f.error);
                if !f.error_description.is_empty() {
                    detail.push_str(&format!(" {:?}", f.error_description));
                }
                if !f.error_uri.is_empty() {
                    detail.push_str(&format!(" {:?}", f.error_uri));
                }
                Err(format!(
                    "oauth2: cannot fetch token from {url}: {status_text}: {detail}"
                ))
            }
            _ if refused => Err(format!(
                "oauth2: cannot fetch token from {url}: {status_text}: Response: {}",
                String::from_utf8_lossy(&body).trim()
            )),
            Err(e) => Err(format!("oauth2: {url}: cannot parse token response: {e}")),
            Ok(f) if f.access_token.is_empty() => Err(format!(
                "oauth2: {url}: server response missing access_token"
            )),
            Ok(f) => {
                let kind = match f.token_type.as_str() {
                    t if t.eq_ignore_ascii_case("bearer") || t.is_empty() => "Bearer",
                    t if t.eq_ignore_ascii_case("mac") => "MAC",
                    t if t.eq_ignore_ascii_case("basic") => "Basic",
                    t => t,
                };
                let authorization = HeaderValue::from_str(&format!("{kind} {}", f.access_token))
                    .map_err(|_| {
                        format!("oauth2: {url}: access_token is not a valid header value")
                    })?;
                let refresh_at = (f.expires_in.0 > 0).then(|| {
                    let lifetime = Duration::from_secs(f.expires_in.0.unsigned_abs());
                    Instant::now() + lifetime.saturating_sub(EXPIRY_DELTA)
                });
                Ok(Token {
                    authorization,
                    refresh_at,
                })
            }
        }
    }
}

/// What a token response says (JSON or form-encoded).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenFields {
    access_token: String,
    token_type: String,
    expires_in: ExpiresIn,
    error: String,
    error_description: String,
    error_uri: String,
}

/// `expires_in` as a JSON number or a numeric string (Go's `json.Number`), capped at
/// `MaxInt32` seconds as golang.org/x/oauth2 does.
#[derive(Debug, Default, Clone, Copy)]
struct ExpiresIn(i64);

impl<'de> Deserialize<'de> for ExpiresIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(i64),
            Text(String),
            Null(()),
        }
        let n = match Raw::deserialize(d)? {
            Raw::Num(n) => n,
            Raw::Text(s) => s
                .parse::<i64>()
                .map_err(|_| serde::de::Error::custom(format!("invalid expires_in {s:?}")))?,
            Raw::Null(()) => 0,
        };
        Ok(ExpiresIn(n.min(i64::from(i32::MAX))))
    }
}

impl TokenFields {
    fn from_json(body: &[u8]) -> Result<TokenFields, String> {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    }

    fn from_form(body: &[u8]) -> Result<TokenFields, String> {
        let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
        let mut f = TokenFields::default();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = query_unescape(v)?;
            match query_unescape(k)?.as_str() {
                "access_token" => f.access_token = v,
                "token_type" => f.token_type = v,
                // Go ignores an unparsable expires_in in a form response.
                "expires_in" => f.expires_in = ExpiresIn(v.parse().unwrap_or(0)),
                "error" => f.error = v,
                "error_description" => f.error_description = v,
                "error_uri" => f.error_uri = v,
                _ => {}
            }
        }
        Ok(f)
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`.
fn query_unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("invalid URL escape in {s:?}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_like_go() {
        assert_eq!(query_escape("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
        assert_eq!(query_unescape("a+b%26c").unwrap(), "a b&c");
        assert!(query_unescape("%zz").is_err());
    }

    #[test]
    fn token_responses() {
        let f = TokenFields::from_json(
            br#"{"access_token":"t","token_type":"bearer","expires_in":"3600"}"#,
        )
        .unwrap();
        assert_eq!((f.access_token.as_str(), f.expires_in.0), ("t", 3600));
        let f =
            TokenFields::from_json(br#"{"access_token":"t","expires_in":99999999999}"#).unwrap();
        assert_eq!(f.expires_in.0, i64::from(i32::MAX));
        let f = TokenFields::from_form(b"access_token=a%2Bb&token_type=mac&expires_in=x").unwrap();
        assert_eq!(f.access_token, "a+b");
        assert_eq!(f.token_type, "mac");
        assert_eq!(f.expires_in.0, 0);
    }
}

//! Prometheus' HTTP client settings (`prometheus/common` `config.HTTPClientConfig`), the
//! subset ferrocol implements: `basic_auth`, `authorization`, `bearer_token(_file)` and
//! `tls_config`, plus `follow_redirects` and `enable_http2` (accepted, defaults `true`).
//! Scrape configs add `oauth2`, the `proxy_*` keys and `http_headers` themselves (see
//! `config::scrape_config` and `scrape::{oauth2, proxy}`); in `kubernetes_sd_configs` those
//! keys are refused as unknown fields.
//!
//! serde cannot combine `flatten` with `deny_unknown_fields`, yet Prometheus inlines these
//! keys into `kubernetes_sd_configs` and `scrape_configs` entries. [`with_http_client_fields!`](crate::with_http_client_fields)
//! therefore appends the fields to a struct definition, so every config that inlines them
//! keeps strict decoding, and [`HttpClientConfig`] is the value the code then works with.

use std::sync::Arc;

use serde::Deserialize;

/// `basic_auth`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub username_file: String,
    pub password: String,
    pub password_file: String,
}

/// `authorization`; `type` defaults to `Bearer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Authorization {
    #[serde(rename = "type")]
    pub kind: String,
    pub credentials: String,
    pub credentials_file: String,
}

/// `tls_config` (Prometheus' names, not the collector's `tls:`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub ca: String,
    pub ca_file: String,
    pub cert: String,
    pub cert_file: String,
    pub key: String,
    pub key_file: String,
    pub server_name: String,
    pub insecure_skip_verify: bool,
    /// `TLS10`..`TLS13`; empty means TLS 1.2 (rustls has nothing older).
    pub min_version: String,
    pub max_version: String,
}

/// The HTTP client settings of one SD config or scrape config, after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpClientConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub bearer_token: String,
    pub bearer_token_file: String,
    pub tls_config: TlsConfig,
    pub follow_redirects: bool,
    pub enable_http2: bool,
}

impl Default for HttpClientConfig {
    /// `config.DefaultHTTPClientConfig`.
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            bearer_token: String::new(),
            bearer_token_file: String::new(),
            tls_config: TlsConfig::default(),
            follow_redirects: true,
            enable_http2: true,
        }
    }
}

/// serde default for boolean settings that default to `true`.
pub fn default_true() -> bool {
    true
}

/// A `bool` whose default is `true`: lets [`with_http_client_fields!`](crate::with_http_client_fields) give
/// `follow_redirects` and `enable_http2` their default without a `default = "path"` that
/// would have to resolve in the caller's module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub struct BoolDefaultTrue(pub bool);

impl Default for BoolDefaultTrue {
    fn default() -> Self {
        BoolDefaultTrue(true)
    }
}

/// Appends Prometheus' inline HTTP client fields to a struct definition and adds
/// `fn http_client_config(&self) -> HttpClientConfig`. The struct must not use a
/// container-level `#[serde(default)]` (give its own fields `#[serde(default)]`).
///
/// ```ignore
/// prometheus::with_http_client_fields! {
///     #[derive(Debug, Clone, serde::Deserialize)]
///     #[serde(deny_unknown_fields)]
///     pub struct MyConfig {
///         #[serde(default)]
///         pub api_server: String,
///     }
/// }
/// ```
#[macro_export]
macro_rules! with_http_client_fields {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty,)*
            #[serde(default)]
            pub basic_auth: Option<$crate::discovery::http_client::BasicAuth>,
            #[serde(default)]
            pub authorization: Option<$crate::discovery::http_client::Authorization>,
            #[serde(default)]
            pub bearer_token: String,
            #[serde(default)]
            pub bearer_token_file: String,
            #[serde(default)]
            pub tls_config: $crate::discovery::http_client::TlsConfig,
            #[serde(default)]
            pub follow_redirects: $crate::discovery::http_client::BoolDefaultTrue,
            #[serde(default)]
            pub enable_http2: $crate::discovery::http_client::BoolDefaultTrue,
        }

        impl $name {
            /// The inline HTTP client fields as one value.
            pub fn http_client_config(&self) -> $crate::discovery::http_client::HttpClientConfig {
                $crate::discovery::http_client::HttpClientConfig {
                    basic_auth: self.basic_auth.clone(),
                    authorization: self.authorization.clone(),
                    bearer_token: self.bearer_token.clone(),
                    bearer_token_file: self.bearer_token_file.clone(),
                    tls_config: self.tls_config.clone(),
                    follow_redirects: self.follow_redirects.0,
                    enable_http2: self.enable_http2.0,
                }
            }
        }
    };
}

impl HttpClientConfig {
    /// `HTTPClientConfig.Validate`, with Prometheus' messages. Also checks that the TLS
    /// settings can be built.
    pub fn validate(&self) -> Result<(), String> {
        let bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            return Err(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            );
        }
        if self.basic_auth.is_some() && bearer {
            return Err(
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                    .into(),
            );
        }
        if let Some(b) = &self.basic_auth {
            if !b.username.is_empty() && !b.username_file.is_empty() {
                return Err(
                    "at most one of basic_auth username & username_file must be configured".into(),
                );
            }
            if !b.password.is_empty() && !b.password_file.is_empty() {
                return Err(
                    "at most one of basic_auth password & password_file must be configured".into(),
                );
            }
        }
        if let Some(a) = &self.authorization {
            if bearer {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if !a.credentials.is_empty() && !a.credentials_file.is_empty() {
                return Err(
                    "at most one of authorization credentials & credentials_file must be configured"
                        .into(),
                );
            }
            if a.kind.trim().eq_ignore_ascii_case("basic") {
                return Err(
                    r#"authorization type cannot be set to "basic", use "basic_auth" instead"#
                        .into(),
                );
            }
            if self.basic_auth.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
        }
        self.tls_config.validate()?;
        Ok(())
    }

    /// The `Authorization` header to send, read now (Prometheus re-reads credential files on
    /// every request, so rotated service-account tokens are picked up).
    pub fn authorization_header(&self) -> Result<Option<String>, String> {
        if let Some(a) = &self.authorization {
            let kind = match a.kind.trim() {
                "" => "Bearer",
                k => k,
            };
            let creds = secret(
                &a.credentials,
                &a.credentials_file,
                "authorization credentials",
            )?;
            return Ok(Some(format!("{kind} {creds}")));
        }
        if !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty() {
            let token = secret(&self.bearer_token, &self.bearer_token_file, "bearer token")?;
            return Ok(Some(format!("Bearer {token}")));
        }
        if let Some(b) = &self.basic_auth {
            use base64::Engine as _;
            let user = secret(&b.username, &b.username_file, "basic auth username")?;
            let pass = secret(&b.password, &b.password_file, "basic auth password")?;
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            return Ok(Some(format!("Basic {enc}")));
        }
        Ok(None)
    }

    /// The rustls client configuration for `https://` URLs.
    pub fn rustls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.tls_config
            .to_collector_tls()
            .build(&[])
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "tls: no TLS configuration".to_string())
    }
}

/// A value given inline or in a file (trailing whitespace trimmed, as Prometheus does).
fn secret(inline: &str, file: &str, what: &str) -> Result<String, String> {
    if !file.is_empty() {
        let s = std::fs::read_to_string(file)
            .map_err(|e| format!("unable to read {what} file {file}: {e}"))?;
        return Ok(s.trim().to_string());
    }
    Ok(inline.to_string())
}

impl TlsConfig {
    /// `TLSConfig.Validate`, with Prometheus' messages.
    pub fn validate(&self) -> Result<(), String> {
        if !self.ca.is_empty() && !self.ca_file.is_empty() {
            return Err("at most one of ca and ca_file must be configured".into());
        }
        if !self.cert.is_empty() && !self.cert_file.is_empty() {
            return Err("at most one of cert and cert_file must be configured".into());
        }
        if !self.key.is_empty() && !self.key_file.is_empty() {
            return Err("at most one of key and key_file must be configured".into());
        }
        let has_cert = !self.cert.is_empty() || !self.cert_file.is_empty();
        let has_key = !self.key.is_empty() || !self.key_file.is_empty();
        if has_cert && !has_key {
            return Err(
                "exactly one of key or key_file must be configured when a client certificate is configured"
                    .into(),
            );
        }
        if has_key && !has_cert {
            return Err(
                "exactly one of cert or cert_file must be configured when a client key is configured"
                    .into(),
            );
        }
        for v in [&self.min_version, &self.max_version] {
            tls_version(v)?;
        }
        self.to_collector_tls()
            .validate()
            .map_err(|e| e.to_string())
    }

    /// The same settings as the collector's `tls:` client config, which builds rustls configs.
    pub fn to_collector_tls(&self) -> helpers::tls::TlsClientConfig {
        helpers::tls::TlsClientConfig {
            ca_file: self.ca_file.clone(),
            ca_pem: self.ca.clone(),
            cert_file: self.cert_file.clone(),
            cert_pem: self.cert.clone(),
            key_file: self.key_file.clone(),
            key_pem: self.key.clone(),
            min_version: tls_version(&self.min_version)
                .unwrap_or_default()
                .to_string(),
            max_version: tls_version(&self.max_version)
                .unwrap_or_default()
                .to_string(),
            insecure_skip_verify: self.insecure_skip_verify,
            server_name_override: self.server_name.clone(),
            ..Default::default()
        }
    }
}

/// Prometheus' `TLS10`..`TLS13` as the collector's `1.0`..`1.3`.
fn tls_version(v: &str) -> Result<&'static str, String> {
    Ok(match v {
        "" => "",
        "TLS10" => "1.0",
        "TLS11" => "1.1",
        "TLS12" => "1.2",
        "TLS13" => "1.3",
        other => return Err(format!("unknown TLS version: {other}")),
    })
}

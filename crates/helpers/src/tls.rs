//! Upstream `configtls` for servers and clients: the same YAML keys and defaults, built into
//! rustls (ring provider) configs.
//!
//! What rustls cannot do is refused with a clear error instead of being silently weakened:
//! TLS 1.0/1.1, CBC and RSA-key-exchange cipher suites, P-521 and X25519MLKEM768 (not in the
//! ring provider), TPM-held keys. As in Go, `cipher_suites` restricts TLS 1.2 only: TLS 1.3
//! suites are not configurable.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use serde::Deserialize;
use tls_trust::{AcceptAnyServerCert, system_roots};

/// A TLS setting that could not be turned into a working configuration. Messages follow
/// upstream's where it has one, and always name the file involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

fn err(msg: impl Into<String>) -> TlsError {
    TlsError(msg.into())
}

/// `tls:` of a server (`configtls.ServerConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsServerConfig {
    pub ca_file: String,
    pub ca_pem: String,
    pub cert_file: String,
    pub cert_pem: String,
    pub key_file: String,
    pub key_pem: String,
    pub include_system_ca_certs_pool: bool,
    /// `""` means 1.2, as upstream.
    pub min_version: String,
    /// `""` means the highest the library supports (1.3).
    pub max_version: String,
    pub cipher_suites: Vec<String>,
    pub include_insecure_cipher_suites: bool,
    pub curve_preferences: Vec<String>,
    /// Reload the certificate and key files on the first handshake after this interval; zero
    /// never reloads.
    pub reload_interval: confmap::Duration,
    /// CA bundle that client certificates must chain to; setting it requires and verifies a
    /// client certificate on every connection (mTLS).
    pub client_ca_file: String,
    /// Re-read `client_ca_file` when its contents change (checked at most once a second).
    pub client_ca_file_reload: bool,
}

/// `tls:` of a client (`configtls.ClientConfig`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsClientConfig {
    pub ca_file: String,
    pub ca_pem: String,
    pub cert_file: String,
    pub cert_pem: String,
    pub key_file: String,
    pub key_pem: String,
    pub include_system_ca_certs_pool: bool,
    pub min_version: String,
    pub max_version: String,
    pub cipher_suites: Vec<String>,
    pub include_insecure_cipher_suites: bool,
    pub curve_preferences: Vec<String>,
    pub reload_interval: confmap::Duration,
    /// No TLS at all (plaintext), unless a CA is configured, as upstream.
    pub insecure: bool,
    /// TLS without verifying the server's certificate.
    pub insecure_skip_verify: bool,
    /// The name to send as SNI and to verify the server certificate against.
    pub server_name_override: String,
}

/// The settings servers and clients share, borrowed from either struct.
struct Common<'a> {
    ca_file: &'a str,
    ca_pem: &'a str,
    cert_file: &'a str,
    cert_pem: &'a str,
    key_file: &'a str,
    key_pem: &'a str,
    include_system_ca_certs_pool: bool,
    min_version: &'a str,
    max_version: &'a str,
    cipher_suites: &'a [String],
    curve_preferences: &'a [String],
    reload_interval: Duration,
}

impl Common<'_> {
    fn has_cert(&self) -> bool {
        !self.cert_file.is_empty() || !self.cert_pem.is_empty()
    }
    fn has_key(&self) -> bool {
        !self.key_file.is_empty() || !self.key_pem.is_empty()
    }
    fn has_ca(&self) -> bool {
        !self.ca_file.is_empty() || !self.ca_pem.is_empty()
    }

    /// Upstream `Config.Validate`, plus what rustls cannot honour.
    fn validate(&self) -> Result<(), TlsError> {
        if !self.ca_file.is_empty() && !self.ca_pem.is_empty() {
            return Err(err(
                "provide either a CA file or the PEM-encoded string, but not both",
            ));
        }
        if !self.cert_file.is_empty() && !self.cert_pem.is_empty() {
            return Err(err("provide either certificate file or PEM, but not both"));
        }
        if !self.key_file.is_empty() && !self.key_pem.is_empty() {
            return Err(err("provide either key file or PEM, but not both"));
        }
        if self.has_cert() != self.has_key() {
            return Err(err(
                "TLS configuration must include both certificate and key (CertFile/CertPem and KeyFile/KeyPem)",
            ));
        }
        let versions = self.versions()?;
        if versions.is_empty() {
            return Err(err(
                "invalid TLS configuration: min_version cannot be greater than max_version",
            ));
        }
        self.provider()?;
        Ok(())
    }

    /// The protocol versions between `min_version` and `max_version`.
    fn versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, TlsError> {
        let min = parse_version(self.min_version, "min_version", 12)?;
        let max = parse_version(self.max_version, "max_version", 13)?;
        let mut v = Vec::new();
        if min <= 12 && 12 <= max {
            v.push(&rustls::version::TLS12);
        }
        if min <= 13 && 13 <= max {
            v.push(&rustls::version::TLS13);
        }
        Ok(v)
    }

    /// The ring provider restricted to the configured cipher suites and curves.
    fn provider(&self) -> Result<Arc<CryptoProvider>, TlsError> {
        let mut provider = rustls::crypto::ring::default_provider();
        if !self.cipher_suites.is_empty() {
            let mut chosen = Vec::new();
            let mut bad = Vec::new();
            for name in self.cipher_suites {
                match provider
                    .cipher_suites
                    .iter()
                    .find(|s| go_suite_name(s) == *name)
                {
                    Some(s) => chosen.push(*s),
                    None => bad.push(format!("invalid TLS cipher suite: {name:?}")),
                }
            }
            if !bad.is_empty() {
                return Err(err(bad.join("\n")));
            }
            // Go applies cipher_suites to TLS 1.2 only; TLS 1.3 suites stay enabled.
            chosen.extend(
                provider
                    .cipher_suites
                    .iter()
                    .filter(|s| s.version() == &rustls::version::TLS13),
            );
            provider.cipher_suites = chosen;
        }
        if !self.curve_preferences.is_empty() {
            let mut groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
            for name in self.curve_preferences {
                let group = provider
                    .kx_groups
                    .iter()
                    .find(|g| go_curve_name(g.name()) == Some(name.as_str()));
                match group {
                    Some(g) => groups.push(*g),
                    None => {
                        let supported: Vec<_> = provider
                            .kx_groups
                            .iter()
                            .filter_map(|g| go_curve_name(g.name()))
                            .collect();
                        return Err(err(format!(
                            "invalid curve type: {name}. Expected values are [{}]",
                            supported.join(" ")
                        )));
                    }
                }
            }
            provider.kx_groups = groups;
        }
        Ok(Arc::new(provider))
    }

    /// The configured certificate and key as rustls needs them, or None when not configured.
    fn certified_key(
        &self,
        provider: &CryptoProvider,
    ) -> Result<Option<Arc<CertifiedKey>>, TlsError> {
        if !self.has_cert() {
            return Ok(None);
        }
        let cert_pem = read_pem_source(self.cert_file, self.cert_pem, "cert")?;
        let key_pem = read_pem_source(self.key_file, self.key_pem, "key")?;
        let what = |kind: &str, file: &str| {
            if file.is_empty() {
                format!("{kind}_pem")
            } else {
                file.to_string()
            }
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                err(format!(
                    "failed to load TLS cert and key: failed to parse certificate {}: {e}",
                    what("cert", self.cert_file)
                ))
            })?;
        if certs.is_empty() {
            return Err(err(format!(
                "failed to load TLS cert and key: no certificate found in {}",
                what("cert", self.cert_file)
            )));
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            err(format!(
                "failed to load TLS cert and key: failed to parse private key {}: {e}",
                what("key", self.key_file)
            ))
        })?;
        let signing = provider.key_provider.load_private_key(key).map_err(|e| {
            err(format!(
                "failed to load TLS cert and key: unsupported private key {}: {e}",
                what("key", self.key_file)
            ))
        })?;
        let ck = CertifiedKey::new(certs, signing);
        ck.keys_match().map_err(|e| {
            err(format!(
                "failed to load TLS cert and key: {} does not match {}: {e}",
                what("key", self.key_file),
                what("cert", self.cert_file)
            ))
        })?;
        Ok(Some(Arc::new(ck)))
    }

    /// The trust store from `ca_file`/`ca_pem`, plus the system's when asked; None when no CA
    /// is configured.
    fn ca_roots(&self) -> Result<Option<RootCertStore>, TlsError> {
        if !self.has_ca() {
            return Ok(None);
        }
        let (pem, source) = if self.ca_file.is_empty() {
            (self.ca_pem.as_bytes().to_vec(), "CA PEM".to_string())
        } else {
            let bytes = std::fs::read(self.ca_file).map_err(|e| {
                err(format!(
                    "failed to load CA CertPool File: failed to load cert {}: {e}",
                    self.ca_file
                ))
            })?;
            (bytes, self.ca_file.to_string())
        };
        let mut roots = if self.include_system_ca_certs_pool {
            system_roots()
        } else {
            RootCertStore::empty()
        };
        add_pem_roots(&mut roots, &pem).map_err(|e| {
            err(format!(
                "failed to load CA CertPool: failed to parse cert {source}: {e}"
            ))
        })?;
        Ok(Some(roots))
    }
}

impl TlsServerConfig {
    fn common(&self) -> Common<'_> {
        Common {
            ca_file: &self.ca_file,
            ca_pem: &self.ca_pem,
            cert_file: &self.cert_file,
            cert_pem: &self.cert_pem,
            key_file: &self.key_file,
            key_pem: &self.key_pem,
            include_system_ca_certs_pool: self.include_system_ca_certs_pool,
            min_version: &self.min_version,
            max_version: &self.max_version,
            cipher_suites: &self.cipher_suites,
            curve_preferences: &self.curve_preferences,
            reload_interval: self.reload_interval.to_std_saturating(),
        }
    }

    /// Upstream `ServerConfig.Validate` and `Config.Validate`.
    pub fn validate(&self) -> Result<(), TlsError> {
        let c = self.common();
        if !c.has_cert() && !c.has_key() {
            return Err(err(
                "TLS configuration must include both certificate and key for server connections",
            ));
        }
        c.validate()
    }

    /// Builds the rustls server config; `alpn` is what the server offers (e.g. `h2`,
    /// `http/1.1`).
    pub fn build(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        self.validate()?;
        let c = self.common();
        let provider = c.provider()?;
        let versions = c.versions()?;
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| err(format!("failed to load TLS config: {e}")))?;
        let builder = if self.client_ca_file.is_empty() {
            builder.with_no_client_auth()
        } else {
            let verifier = ClientCaVerifier::new(
                &self.client_ca_file,
                self.client_ca_file_reload,
                provider.clone(),
            )?;
            builder.with_client_cert_verifier(Arc::new(verifier))
        };
        let key = c
            .certified_key(&provider)
            .map_err(|e| err(format!("failed to load TLS config: {e}")))?
            .ok_or_else(|| err("TLS configuration must include both certificate and key for server connections"))?;
        let resolver = CertReloader::new(
            self.cert_file.clone(),
            self.key_file.clone(),
            c.reload_interval,
            key,
            provider,
        );
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

impl TlsClientConfig {
    fn common(&self) -> Common<'_> {
        Common {
            ca_file: &self.ca_file,
            ca_pem: &self.ca_pem,
            cert_file: &self.cert_file,
            cert_pem: &self.cert_pem,
            key_file: &self.key_file,
            key_pem: &self.key_pem,
            include_system_ca_certs_pool: self.include_system_ca_certs_pool,
            min_version: &self.min_version,
            max_version: &self.max_version,
            cipher_suites: &self.cipher_suites,
            curve_preferences: &self.curve_preferences,
            reload_interval: self.reload_interval.to_std_saturating(),
        }
    }

    /// Upstream `Config.Validate`.
    pub fn validate(&self) -> Result<(), TlsError> {
        self.common().validate()
    }

    /// The SNI / verification name to use instead of the endpoint's host, if any.
    pub fn server_name_override(&self) -> Option<&str> {
        Some(self.server_name_override.as_str()).filter(|s| !s.is_empty())
    }

    /// Builds the rustls client config, or `None` for plaintext (`insecure: true` without a CA,
    /// as upstream).
    pub fn build(&self, alpn: &[&[u8]]) -> Result<Option<Arc<rustls::ClientConfig>>, TlsError> {
        let c = self.common();
        if self.insecure && !c.has_ca() {
            return Ok(None);
        }
        c.validate()
            .map_err(|e| err(format!("failed to load TLS config: {e}")))?;
        let provider = c.provider()?;
        let versions = c.versions()?;
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| err(format!("failed to load TLS config: {e}")))?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert(provider.clone())))
        } else {
            let roots = match c
                .ca_roots()
                .map_err(|e| err(format!("failed to load TLS config: {e}")))?
            {
                Some(r) => r,
                None => system_roots(),
            };
            builder.with_root_certificates(roots)
        };
        let key = c
            .certified_key(&provider)
            .map_err(|e| err(format!("failed to load TLS config: {e}")))?;
        let mut config = match key {
            Some(key) => {
                let resolver = CertReloader::new(
                    self.cert_file.clone(),
                    self.key_file.clone(),
                    c.reload_interval,
                    key,
                    provider,
                );
                builder.with_client_cert_resolver(Arc::new(resolver))
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Some(Arc::new(config)))
    }
}

fn parse_version(v: &str, key: &str, default: u8) -> Result<u8, TlsError> {
    match v {
        "" => Ok(default),
        "1.2" => Ok(12),
        "1.3" => Ok(13),
        "1.0" | "1.1" => Err(err(format!(
            "invalid TLS {key}: TLS {v} is not supported by ferrocol (rustls implements TLS 1.2 and 1.3 only); use \"1.2\" or \"1.3\""
        ))),
        other => Err(err(format!(
            "invalid TLS {key}: unsupported TLS version: {other:?}"
        ))),
    }
}

/// Go's name of a cipher suite (`crypto/tls`): rustls prefixes TLS 1.3 suites with `TLS13_`.
fn go_suite_name(s: &rustls::SupportedCipherSuite) -> String {
    let name = format!("{:?}", s.suite());
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// Go's `curve_preferences` name of a key-exchange group.
fn go_curve_name(g: rustls::NamedGroup) -> Option<&'static str> {
    match g {
        rustls::NamedGroup::secp256r1 => Some("P256"),
        rustls::NamedGroup::secp384r1 => Some("P384"),
        rustls::NamedGroup::secp521r1 => Some("P521"),
        rustls::NamedGroup::X25519 => Some("X25519"),
        rustls::NamedGroup::X25519MLKEM768 => Some("X25519MLKEM768"),
        _ => None,
    }
}

fn read_pem_source(file: &str, pem: &str, kind: &str) -> Result<Vec<u8>, TlsError> {
    if file.is_empty() {
        return Ok(pem.as_bytes().to_vec());
    }
    std::fs::read(file).map_err(|e| {
        err(format!(
            "failed to load TLS cert and key: failed to read {kind} file {file}: {e}"
        ))
    })
}

fn add_pem_roots(roots: &mut RootCertStore, pem: &[u8]) -> Result<(), String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate found".into());
    }
    for cert in certs {
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Serves the configured certificate and re-reads its files on the first handshake after
/// `reload_interval` (upstream's `certReloader`). A failed reload keeps the previous
/// certificate and logs, so a half-written file does not take the listener down.
struct CertReloader {
    cert_file: String,
    key_file: String,
    interval: Duration,
    provider: Arc<CryptoProvider>,
    state: Mutex<(Instant, Arc<CertifiedKey>)>,
}

impl CertReloader {
    fn new(
        cert_file: String,
        key_file: String,
        interval: Duration,
        key: Arc<CertifiedKey>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        CertReloader {
            cert_file,
            key_file,
            interval,
            provider,
            state: Mutex::new((Instant::now(), key)),
        }
    }

    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = self.state.lock();
        let reloadable = !self.cert_file.is_empty() || !self.key_file.is_empty();
        if reloadable && !self.interval.is_zero() && state.0.elapsed() >= self.interval {
            state.0 = Instant::now();
            let reload = || -> Result<Option<Arc<CertifiedKey>>, TlsError> {
                let cert_pem = std::fs::read_to_string(&self.cert_file).unwrap_or_default();
                let key_pem = std::fs::read_to_string(&self.key_file).unwrap_or_default();
                Common {
                    ca_file: "",
                    ca_pem: "",
                    cert_file: &self.cert_file,
                    cert_pem: if self.cert_file.is_empty() {
                        &cert_pem
                    } else {
                        ""
                    },
                    key_file: &self.key_file,
                    key_pem: if self.key_file.is_empty() {
                        &key_pem
                    } else {
                        ""
                    },
                    include_system_ca_certs_pool: false,
                    min_version: "",
                    max_version: "",
                    cipher_suites: &[],
                    curve_preferences: &[],
                    reload_interval: self.interval,
                }
                .certified_key(&self.provider)
            };
            match reload() {
                Ok(Some(key)) => state.1 = key,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "TLS certificate reload failed; keeping the previous certificate")
                }
            }
        }
        state.1.clone()
    }
}

impl fmt::Debug for CertReloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertReloader")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("interval", &self.interval)
            .finish()
    }
}

impl ResolvesServerCert for CertReloader {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

impl ResolvesClientCert for CertReloader {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// How often a reloading client CA file is checked for changes (upstream: once a second).
const CLIENT_CA_RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Requires and verifies client certificates against `client_ca_file`, optionally re-reading
/// it when its contents change. While reloading is on, no CA names are hinted to clients
/// (rustls hands out the hint list by reference, and a reload would change it); clients then
/// offer their certificate anyway.
struct ClientCaVerifier {
    file: String,
    reload: bool,
    provider: Arc<CryptoProvider>,
    hints: Vec<DistinguishedName>,
    state: Mutex<ClientCaState>,
}

struct ClientCaState {
    verifier: Arc<dyn ClientCertVerifier>,
    contents: Vec<u8>,
    checked: Instant,
}

impl ClientCaVerifier {
    fn new(file: &str, reload: bool, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let contents = std::fs::read(file).map_err(|e| {
            err(format!(
                "failed to load client CA CertPool: failed to load CA {file}: {e}"
            ))
        })?;
        let verifier = Self::build_verifier(file, &contents, &provider)
            .map_err(|e| err(format!("failed to load client CA CertPool: {e}")))?;
        let hints = if reload {
            Vec::new()
        } else {
            verifier.root_hint_subjects().to_vec()
        };
        Ok(ClientCaVerifier {
            file: file.to_string(),
            reload,
            provider,
            hints,
            state: Mutex::new(ClientCaState {
                verifier,
                contents,
                checked: Instant::now(),
            }),
        })
    }

    fn build_verifier(
        file: &str,
        pem: &[u8],
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ClientCertVerifier>, String> {
        let mut roots = RootCertStore::empty();
        add_pem_roots(&mut roots, pem).map_err(|e| format!("failed to parse CA {file}: {e}"))?;
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("failed to parse CA {file}: {e}"))
    }

    fn verifier(&self) -> Arc<dyn ClientCertVerifier> {
        let mut state = self.state.lock();
        if self.reload && state.checked.elapsed() >= CLIENT_CA_RELOAD_CHECK {
            state.checked = Instant::now();
            if let Ok(contents) = std::fs::read(&self.file)
                && contents != state.contents
            {
                match Self::build_verifier(&self.file, &contents, &self.provider) {
                    Ok(v) => {
                        state.verifier = v;
                        state.contents = contents;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "client CA reload failed; keeping the previous CAs")
                    }
                }
            }
        }
        state.verifier.clone()
    }
}

impl fmt::Debug for ClientCaVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCaVerifier")
            .field("file", &self.file)
            .field("reload", &self.reload)
            .finish()
    }
}

impl ClientCertVerifier for ClientCaVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.verifier()
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pki {
        ca_pem: String,
        server_cert: String,
        server_key: String,
        client_cert: String,
        client_key: String,
    }

    fn pki() -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = |name: &str| {
            let key = rcgen::KeyPair::generate().unwrap();
            let params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf("localhost");
        let (client_cert, client_key) = leaf("client");
        Pki {
            ca_pem: ca.pem(),
            server_cert,
            server_key,
            client_cert,
            client_key,
        }
    }

    fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn versions_and_validation_errors() {
        let mut c = TlsClientConfig::default();
        assert!(c.validate().is_ok());
        c.min_version = "1.1".into();
        let e = c.validate().unwrap_err().0;
        assert!(
            e.starts_with("invalid TLS min_version: TLS 1.1 is not supported"),
            "{e}"
        );
        c.min_version = "1.4".into();
        assert_eq!(
            c.validate().unwrap_err().0,
            "invalid TLS min_version: unsupported TLS version: \"1.4\""
        );
        c.min_version = "1.3".into();
        c.max_version = "1.2".into();
        assert_eq!(
            c.validate().unwrap_err().0,
            "invalid TLS configuration: min_version cannot be greater than max_version"
        );
        let mut c = TlsClientConfig {
            cert_pem: "x".into(),
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .0
                .starts_with("TLS configuration must include both certificate and key")
        );
        c.key_pem = "y".into();
        c.cipher_suites = vec!["TLS_RSA_WITH_RC4_128_SHA".into()];
        assert_eq!(
            c.validate().unwrap_err().0,
            "invalid TLS cipher suite: \"TLS_RSA_WITH_RC4_128_SHA\""
        );
        c.cipher_suites = vec![
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            "TLS_AES_128_GCM_SHA256".into(),
        ];
        c.curve_preferences = vec!["P256".into(), "X25519".into()];
        assert!(c.validate().is_ok());
        c.curve_preferences = vec!["P521".into()];
        assert!(
            c.validate()
                .unwrap_err()
                .0
                .starts_with("invalid curve type: P521. Expected values are [")
        );
        assert_eq!(
            TlsServerConfig::default().validate().unwrap_err().0,
            "TLS configuration must include both certificate and key for server connections"
        );
    }

    #[test]
    fn errors_name_the_file() {
        let c = TlsServerConfig {
            cert_file: "/nonexistent/server.crt".into(),
            key_file: "/nonexistent/server.key".into(),
            ..Default::default()
        };
        let e = c.build(&[]).unwrap_err().0;
        assert!(e.contains("/nonexistent/server.crt"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = pki();
        let c = TlsServerConfig {
            cert_file: write(&dir, "s.crt", &p.server_cert),
            key_file: write(&dir, "s.key", &p.server_key),
            client_ca_file: write(&dir, "bad-ca.crt", "not a pem"),
            ..Default::default()
        };
        let e = c.build(&[]).unwrap_err().0;
        assert!(e.contains("bad-ca.crt"), "{e}");
        let c = TlsClientConfig {
            ca_file: "/nonexistent/ca.crt".into(),
            ..Default::default()
        };
        assert!(c.build(&[]).unwrap_err().0.contains("/nonexistent/ca.crt"));
        // A key that does not belong to the certificate.
        let c = TlsServerConfig {
            cert_pem: p.server_cert.clone(),
            key_pem: p.client_key.clone(),
            ..Default::default()
        };
        assert!(c.build(&[]).unwrap_err().0.contains("does not match"));
    }

    #[test]
    fn insecure_without_ca_is_plaintext() {
        let c = TlsClientConfig {
            insecure: true,
            ..Default::default()
        };
        assert!(c.build(&[]).unwrap().is_none());
        assert!(TlsClientConfig::default().build(&[]).unwrap().is_some());
    }

    async fn handshake(
        server: Arc<rustls::ServerConfig>,
        client: Arc<rustls::ClientConfig>,
    ) -> Result<(), String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let srv = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = tokio_rustls::TlsAcceptor::from(server)
                .accept(tcp)
                .await
                .map_err(|e| e.to_string())?;
            use tokio::io::AsyncWriteExt;
            tls.write_all(b"ok").await.map_err(|e| e.to_string())?;
            tls.shutdown().await.map_err(|e| e.to_string())
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let client_result = async {
            let mut tls = tokio_rustls::TlsConnector::from(client)
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            tls.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
            if buf == b"ok" {
                Ok(())
            } else {
                Err("no data".to_string())
            }
        }
        .await;
        let server_result = srv.await.unwrap();
        client_result.and(server_result)
    }

    #[tokio::test]
    async fn tls_and_mtls_handshakes() {
        let dir = tempfile::tempdir().unwrap();
        let p = pki();
        let ca_file = write(&dir, "ca.crt", &p.ca_pem);
        let server = TlsServerConfig {
            cert_file: write(&dir, "s.crt", &p.server_cert),
            key_file: write(&dir, "s.key", &p.server_key),
            ..Default::default()
        };
        let client = TlsClientConfig {
            ca_file: ca_file.clone(),
            ..Default::default()
        };
        handshake(
            server.build(&[]).unwrap(),
            client.build(&[]).unwrap().unwrap(),
        )
        .await
        .unwrap();
        // A client that does not trust the CA fails.
        let untrusting = TlsClientConfig {
            ca_pem: pki().ca_pem,
            ..Default::default()
        };
        assert!(
            handshake(
                server.build(&[]).unwrap(),
                untrusting.build(&[]).unwrap().unwrap()
            )
            .await
            .is_err()
        );
        // insecure_skip_verify accepts it.
        let skip = TlsClientConfig {
            insecure_skip_verify: true,
            ..Default::default()
        };
        handshake(
            server.build(&[]).unwrap(),
            skip.build(&[]).unwrap().unwrap(),
        )
        .await
        .unwrap();

        // mTLS: a client without a certificate is refused, one with a CA-signed one accepted.
        let mtls = TlsServerConfig {
            client_ca_file: ca_file.clone(),
            ..server.clone()
        };
        assert!(
            handshake(
                mtls.build(&[]).unwrap(),
                client.build(&[]).unwrap().unwrap()
            )
            .await
            .is_err()
        );
        let with_cert = TlsClientConfig {
            cert_pem: p.client_cert.clone(),
            key_pem: p.client_key.clone(),
            ..client.clone()
        };
        handshake(
            mtls.build(&[]).unwrap(),
            with_cert.build(&[]).unwrap().unwrap(),
        )
        .await
        .unwrap();
        let reloading = TlsServerConfig {
            client_ca_file_reload: true,
            ..mtls
        };
        handshake(
            reloading.build(&[]).unwrap(),
            with_cert.build(&[]).unwrap().unwrap(),
        )
        .await
        .unwrap();
        // TLS 1.3 only against a 1.2-only client fails.
        let v13 = TlsServerConfig {
            min_version: "1.3".into(),
            ..server
        };
        let v12 = TlsClientConfig {
            max_version: "1.2".into(),
            ..client
        };
        assert!(
            handshake(v13.build(&[]).unwrap(), v12.build(&[]).unwrap().unwrap())
                .await
                .is_err()
        );
    }
}

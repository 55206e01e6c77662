//! The connector of the HTTP exporters' client pools: `http://` and `https://` URLs, TLS from
//! the confighttp `tls` settings, and `server_name_override`.

use helpers::tls::TlsClientConfig;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;

/// Builds the connector. `insecure` only means "plaintext" to gRPC clients, so an HTTP client
/// always verifies unless `insecure_skip_verify` is set, as Go's does. ALPN offers h2 and
/// http/1.1 when `http2` is true, http/1.1 only otherwise.
pub fn connector(
    tls: &TlsClientConfig,
    http2: bool,
) -> Result<HttpsConnector<HttpConnector>, String> {
    let verified = TlsClientConfig {
        insecure: false,
        ..tls.clone()
    };
    let config = verified
        .build(&[])
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "tls: no TLS configuration".to_string())?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*config).clone())
        .https_or_http();
    let builder = match tls.server_name_override() {
        Some(name) => {
            let name = rustls_pki_types::ServerName::try_from(name.to_string())
                .map_err(|e| format!("tls: invalid server_name_override: {e}"))?;
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
        }
        None => builder,
    };
    Ok(if http2 {
        builder.enable_all_versions().wrap_connector(http)
    } else {
        builder.enable_http1().wrap_connector(http)
    })
}

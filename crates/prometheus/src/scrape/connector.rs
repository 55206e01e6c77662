//! The scrape client's connector. A target is reached directly (HTTP or TLS), or through
//! `proxy_url`: `http://` targets by sending absolute-form requests (`GET http://target/...`)
//! over a connection to the proxy, `https://` targets through a `CONNECT` tunnel with TLS to
//! the target inside it, as Go's transport does. `no_proxy` decides per target.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::proxy::ProxySettings;
use super::tunnel::{TunnelConnector, TunnelStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to the target, to the proxy, or through a tunnel, per request URI.
#[derive(Clone)]
pub struct ScrapeConnector {
    direct: HttpsConnector<HttpConnector>,
    proxy: Option<ProxyRoute>,
}

#[derive(Clone)]
struct ProxyRoute {
    settings: Arc<ProxySettings>,
    /// HTTP/1.1 connections to the proxy, for absolute-form `http://` requests.
    to_proxy: HttpsConnector<HttpConnector>,
    /// TLS to the target inside a `CONNECT` tunnel, for `https://` targets.
    tunnel: HttpsConnector<TunnelConnector>,
}

impl ScrapeConnector {
    /// `tls` is the target's TLS configuration (also used towards an `https://` proxy, as
    /// Go's transport does); `server_name` overrides the name verified for targets.
    pub fn new(
        tls: &rustls::ClientConfig,
        server_name: &str,
        enable_http2: bool,
        proxy: Option<ProxySettings>,
    ) -> Result<ScrapeConnector, String> {
        let resolver = match server_name {
            "" => None,
            name => Some(
                rustls_pki_types::ServerName::try_from(name.to_string())
                    .map_err(|e| format!("tls_config: invalid server_name {name:?}: {e}"))?,
            ),
        };
        let direct = to_target(tls, resolver.as_ref(), enable_http2, tcp_connector());
        let proxy = proxy.map(|settings| {
            let settings = Arc::new(settings);
            let to_proxy = HttpsConnectorBuilder::new()
                .with_tls_config(tls.clone())
                .https_or_http()
                .enable_http1()
                .wrap_connector(tcp_connector());
            let tunnel = TunnelConnector {
                to_proxy: to_proxy.clone(),
                proxy: settings.clone(),
            };
            ProxyRoute {
                settings,
                to_proxy,
                tunnel: to_target(tls, resolver.as_ref(), enable_http2, tunnel),
            }
        });
        Ok(ScrapeConnector { direct, proxy })
    }

    /// The proxy's `Proxy-Authorization`, when a request to `uri` is sent to the proxy in
    /// absolute form (plain `http://` through the proxy).
    pub fn absolute_form_proxy_auth(&self, uri: &Uri) -> Option<&http::HeaderValue> {
        let route = self.proxy.as_ref()?;
        (uri.scheme_str() == Some("http") && route.settings.applies_to(uri))
            .then_some(route.settings.authorization.as_ref())
            .flatten()
    }
}

/// TLS to the target (or plain HTTP) over what `inner` connects.
fn to_target<T>(
    tls: &rustls::ClientConfig,
    server_name: Option<&rustls_pki_types::ServerName<'static>>,
    enable_http2: bool,
    inner: T,
) -> HttpsConnector<T> {
    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http();
    let builder = match server_name {
        None => builder,
        Some(name) => builder
            .with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name.clone())),
    };
    if enable_http2 {
        builder.enable_all_versions().wrap_connector(inner)
    } else {
        builder.enable_http1().wrap_connector(inner)
    }
}

fn tcp_connector() -> HttpConnector {
    let mut c = HttpConnector::new();
    c.enforce_http(false);
    c.set_nodelay(true);
    c
}

/// A connection, knowing whether it goes to a proxy (hyper then writes absolute-form URIs).
pub enum ScrapeStream {
    Direct(MaybeHttpsStream<TokioIo<TcpStream>>),
    /// Absolute-form requests to the proxy.
    Proxied(MaybeHttpsStream<TokioIo<TcpStream>>),
    /// Boxed: a TLS session inside the tunnel is twice the size of the others.
    Tunnelled(Box<MaybeHttpsStream<TunnelStream>>),
}

impl tower_service::Service<Uri> for ScrapeConnector {
    type Response = ScrapeStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ScrapeStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Every connector is ready at all times (they only clone settings in `call`).
        self.direct.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match &mut self.proxy {
            Some(route) if route.settings.applies_to(&dst) => {
                if dst.scheme_str() == Some("http") {
                    let connecting = route.to_proxy.call(route.settings.uri.clone());
                    let proxy = route.settings.uri.clone();
                    Box::pin(async move {
                        let stream = connecting.await.map_err(|e| {
                            format!(
                                "proxyconnect tcp: {}: {}",
                                proxy.authority().map(|a| a.as_str()).unwrap_or(""),
                                super::http::full_error(e.as_ref())
                            )
                        })?;
                        Ok(ScrapeStream::Proxied(stream))
                    })
                } else {
                    let connecting = route.tunnel.call(dst);
                    Box::pin(
                        async move { Ok(ScrapeStream::Tunnelled(Box::new(connecting.await?))) },
                    )
                }
            }
            _ => {
                let connecting = self.direct.call(dst);
                Box::pin(async move { Ok(ScrapeStream::Direct(connecting.await?)) })
            }
        }
    }
}

/// Forwards an I/O call to whichever stream this is.
macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            ScrapeStream::Direct($s) | ScrapeStream::Proxied($s) => $e,
            ScrapeStream::Tunnelled($s) => $e,
        }
    };
}

impl Connection for ScrapeStream {
    fn connected(&self) -> Connected {
        match self {
            ScrapeStream::Direct(s) => s.connected(),
            ScrapeStream::Proxied(s) => s.connected().proxy(true),
            ScrapeStream::Tunnelled(s) => s.connected(),
        }
    }
}

impl hyper::rt::Read for ScrapeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_read(cx, buf))
    }
}

impl hyper::rt::Write for ScrapeStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        each!(self.get_mut(), s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_shutdown(cx))
    }

    fn is_write_vectored(&self) -> bool {
        each!(self, s => s.is_write_vectored())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        each!(self.get_mut(), s => Pin::new(s).poll_write_vectored(cx, bufs))
    }
}

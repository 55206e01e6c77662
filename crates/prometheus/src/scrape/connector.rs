//! The scrape client's connector: direct (HTTP or TLS), or, with `proxy_url`, a connection to
//! the proxy over which plain-HTTP scrapes are sent in absolute form (`GET http://target/...`),
//! as Go's transport does for `http://` URLs. `https://` targets through a proxy would need a
//! CONNECT tunnel, which configuration validation refuses for now.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to the target, or to `proxy` for `http://` targets.
#[derive(Clone)]
pub struct ScrapeConnector {
    pub(crate) https: HttpsConnector<HttpConnector>,
    pub(crate) proxy: Option<Uri>,
}

/// A connection, knowing whether it goes to a proxy (hyper then writes absolute-form URIs).
pub struct ScrapeStream {
    inner: MaybeHttpsStream<TokioIo<TcpStream>>,
    proxied: bool,
}

impl tower_service::Service<Uri> for ScrapeConnector {
    type Response = ScrapeStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ScrapeStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let (uri, proxied) = match &self.proxy {
            Some(proxy) if dst.scheme_str() == Some("http") => (proxy.clone(), true),
            Some(_) => {
                // A target relabelled to https: never bypass the configured proxy silently.
                return Box::pin(async move {
                    Err(format!(
                        "proxy_url: {dst} needs a CONNECT tunnel, which ferrocol does not support yet"
                    )
                    .into())
                });
            }
            None => (dst, false),
        };
        let connecting = self.https.call(uri);
        Box::pin(async move {
            Ok(ScrapeStream {
                inner: connecting.await?,
                proxied,
            })
        })
    }
}

impl Connection for ScrapeStream {
    fn connected(&self) -> Connected {
        self.inner.connected().proxy(self.proxied)
    }
}

impl hyper::rt::Read for ScrapeStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ScrapeStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
}

//! `CONNECT` tunnels through an HTTP(S) proxy, for `https://` targets behind `proxy_url`.
//!
//! [`TunnelConnector`] connects to the proxy (TLS to the proxy when its URL is `https://`),
//! sends `CONNECT host:port HTTP/1.1` with `Host`, `Proxy-Authorization` from the proxy URL's
//! user info and the `proxy_connect_header` values, and hands back the raw stream once the
//! proxy answers 2xx. It sits under hyper-rustls' `HttpsConnector`, which then runs the
//! target's TLS handshake inside the tunnel (SNI and verification against the target's host,
//! or `tls_config.server_name`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::proxy::ProxySettings;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connection to the proxy: plain TCP, or TLS for an `https://` proxy.
pub type ProxyStream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// The longest `CONNECT` answer header accepted (Go reads it with a 4 KiB `bufio.Reader`
/// and allows more; a proxy's answer is a few hundred bytes).
const MAX_CONNECT_RESPONSE: usize = 64 * 1024;

/// Opens a tunnel to the `dst` of each call.
#[derive(Clone)]
pub struct TunnelConnector {
    /// Connects to the proxy; HTTP/1.1 only (`CONNECT` is an HTTP/1 method here).
    pub(crate) to_proxy: HttpsConnector<HttpConnector>,
    pub(crate) proxy: Arc<ProxySettings>,
}

impl tower_service::Service<Uri> for TunnelConnector {
    type Response = TunnelStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<TunnelStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.to_proxy.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.to_proxy.call(self.proxy.uri.clone());
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let target = target_authority(&dst)?;
            let stream = connecting.await.map_err(|e| {
                format!(
                    "proxyconnect tcp: {}: {}",
                    proxy.uri.authority().map(|a| a.as_str()).unwrap_or(""),
                    super::http::full_error(e.as_ref())
                )
            })?;
            // TokioIo gives the handshake tokio's I/O traits over hyper's.
            let mut io = TokioIo::new(stream);
            let leftover = handshake(&mut io, &target, &proxy).await?;
            Ok(TunnelStream {
                io,
                leftover,
                pos: 0,
            })
        })
    }
}

/// `host:port` of a target; the port defaults to the scheme's.
fn target_authority(dst: &Uri) -> Result<String, BoxError> {
    let host = dst
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("CONNECT: {dst} has no host"))?;
    let port = dst
        .port_u16()
        .unwrap_or(if dst.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    Ok(format!("{host}:{port}"))
}

/// Sends `CONNECT` and reads the proxy's answer. Returns bytes read past the answer's
/// header (the target's first bytes, should the proxy send them early).
async fn handshake<S>(io: &mut S, target: &str, proxy: &ProxySettings) -> Result<Vec<u8>, BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    for (name, value) in &proxy.connect_headers {
        if name == http::header::PROXY_AUTHORIZATION && proxy.authorization.is_some() {
            continue; // the URL's user info wins, as Go's Header.Set does
        }
        req.push_str(name.as_str());
        req.push_str(": ");
        req.push_str(
            value
                .to_str()
                .map_err(|_| format!("proxy_connect_header {name}: not visible ASCII"))?,
        );
        req.push_str("\r\n");
    }
    if let Some(auth) = &proxy.authorization {
        req.push_str("Proxy-Authorization: ");
        req.push_str(auth.to_str().unwrap_or_default());
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    io.write_all(req.as_bytes()).await?;
    io.flush().await?;

    let mut buf = Vec::with_capacity(1024);
    let header_end = loop {
        let mut chunk = [0u8; 1024];
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err(format!(
                "proxy {} closed the connection before answering CONNECT {target}",
                proxy.uri
            )
            .into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = find_header_end(&buf) {
            break pos;
        }
        if buf.len() > MAX_CONNECT_RESPONSE {
            return Err(format!("proxy {}: CONNECT answer header too long", proxy.uri).into());
        }
    };
    let status_line = buf[..header_end]
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
        .unwrap_or_default();
    let code = parse_status(&status_line).ok_or_else(|| {
        format!(
            "proxy {}: malformed CONNECT answer {status_line:?}",
            proxy.uri
        )
    })?;
    if !(200..300).contains(&code) {
        return Err(format!(
            "proxy {} refused CONNECT {target}: {status_line}",
            proxy.uri
        )
        .into());
    }
    Ok(buf.split_off(header_end))
}

/// The index just past the blank line that ends the header.
fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The status code of `HTTP/1.x NNN reason`.
fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// An open tunnel: first the bytes read past the proxy's answer, then the connection.
pub struct TunnelStream {
    io: TokioIo<ProxyStream>,
    leftover: Vec<u8>,
    pos: usize,
}

impl Connection for TunnelStream {
    fn connected(&self) -> Connected {
        // Requests inside a tunnel are origin-form: not "proxied" in hyper's sense.
        Connected::new()
    }
}

impl hyper::rt::Read for TunnelStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.leftover.len() {
            let n = (this.leftover.len() - this.pos).min(buf.remaining());
            buf.put_slice(&this.leftover[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.leftover.len() {
                this.leftover = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        hyper::rt::Read::poll_read(Pin::new(this.io.inner_mut()), cx, buf)
    }
}

impl hyper::rt::Write for TunnelStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        hyper::rt::Write::poll_write(Pin::new(self.get_mut().io.inner_mut()), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        hyper::rt::Write::poll_flush(Pin::new(self.get_mut().io.inner_mut()), cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        hyper::rt::Write::poll_shutdown(Pin::new(self.get_mut().io.inner_mut()), cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status("HTTP/1.1 200 Connection established"),
            Some(200)
        );
        assert_eq!(
            parse_status("HTTP/1.0 407 Proxy Authentication Required"),
            Some(407)
        );
        assert_eq!(parse_status("SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status("HTTP/1.1 20 x"), None);
        assert_eq!(find_header_end(b"HTTP/1.1 200 OK\r\n\r\nabc"), Some(19));
        assert_eq!(find_header_end(b"HTTP/1.1 200 OK\r\n"), None);
    }
}

//! The OTLP/HTTP client: one pooled hyper client shared by the signals, built at start.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use component::{BoxFuture, ConsumeError, CreateContext, Host, Signal, StartError};
use helpers::Sender;
use helpers::compression::Encoding as Compression;
use http::header::{CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use pdata::payload::Payload;
use prost::Message;
use tokio::sync::Semaphore;

use super::config::{BodyEncoding, OtlpHttpConfig};
use crate::shared::helped::Backend;
use crate::shared::otlp::{self, ClientKind, OtlpSignal, PartialSuccess};

/// Upstream `maxHTTPResponseReadBytes`.
const MAX_RESPONSE_READ: usize = 64 * 1024;
const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

type Pool = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One signal's destination.
struct SignalUrl {
    uri: Uri,
    /// As printed in errors.
    text: String,
    /// Bounds connections to the URL's host (`max_conns_per_host`).
    limit: Option<Arc<Semaphore>>,
}

pub(super) struct HttpClient {
    id: String,
    config: OtlpHttpConfig,
    compression: Option<(Compression, Option<i32>)>,
    /// User agent, content type and the configured headers, in the order upstream applies them.
    headers: HeaderMap,
    traces: Option<SignalUrl>,
    metrics: Option<SignalUrl>,
    logs: Option<SignalUrl>,
    pool: Mutex<Option<Pool>>,
}

impl HttpClient {
    pub(super) fn new(
        ctx: &CreateContext,
        config: &OtlpHttpConfig,
        signals: &[Signal],
    ) -> Result<Self, String> {
        let compression = config.body_compression()?;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(match config.encoding {
                BodyEncoding::Proto => PROTOBUF,
                BodyEncoding::Json => JSON,
            }),
        );
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&otlp::user_agent(ctx.build_version))
                .map_err(|e| format!("user agent: {e}"))?,
        );
        if let Some((alg, _)) = compression {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(alg.as_str()));
        }
        if config.disable_keep_alives {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        for (name, value) in config.headers.iter() {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("headers: invalid header name {name:?}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("headers: invalid value for {name:?}"))?;
            headers.insert(name, value);
        }
        let mut limits: HashMap<String, Arc<Semaphore>> = HashMap::new();
        let mut url = |signal: Signal| -> Result<Option<SignalUrl>, String> {
            if !signals.contains(&signal) {
                return Ok(None);
            }
            let uri = config.signal_url(signal.as_str())?;
            let limit = usize::try_from(config.max_conns_per_host)
                .ok()
                .filter(|n| *n > 0)
                .map(|n| {
                    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
                    limits
                        .entry(host)
                        .or_insert_with(|| Arc::new(Semaphore::new(n)))
                        .clone()
                });
            Ok(Some(SignalUrl {
                text: uri.to_string(),
                uri,
                limit,
            }))
        };
        Ok(HttpClient {
            id: ctx.id.to_string(),
            config: config.clone(),
            compression,
            headers,
            traces: url(Signal::Traces)?,
            metrics: url(Signal::Metrics)?,
            logs: url(Signal::Logs)?,
            pool: Mutex::new(None),
        })
    }

    /// The pooled client; nothing connects until the first request.
    fn pool(&self) -> Result<Pool, String> {
        let c = &self.config;
        // ALPN is set by the connector: h2 and http/1.1 with `force_attempt_http2`.
        let https = crate::shared::https::connector(&c.tls, c.force_attempt_http2)?;
        let mut pool = Client::builder(TokioExecutor::new());
        let idle = c.idle_conn_timeout.to_std_saturating();
        pool.pool_idle_timeout((!idle.is_zero()).then_some(idle))
            .pool_max_idle_per_host(c.pool_max_idle_per_host())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .timer(hyper_util::rt::TokioTimer::new());
        if let Some((interval, timeout)) = c.http2_ping() {
            pool.http2_keep_alive_interval(interval)
                .http2_keep_alive_timeout(timeout)
                .http2_keep_alive_while_idle(true);
        }
        Ok(pool.build(https))
    }

    fn url<M: OtlpSignal>(&self) -> Option<&SignalUrl> {
        match M::NAME {
            "traces" => self.traces.as_ref(),
            "metrics" => self.metrics.as_ref(),
            _ => self.logs.as_ref(),
        }
    }

    async fn export<M: OtlpSignal>(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        let pool = self
            .pool
            .lock()
            .clone()
            .ok_or_else(|| ConsumeError::retryable("otlp_http exporter not started"))?;
        let url = self.url::<M>().ok_or_else(|| {
            ConsumeError::permanent(format!("no {} endpoint configured", M::NAME))
        })?;
        let body: Bytes = match self.config.encoding {
            BodyEncoding::Proto => data.bytes(),
            BodyEncoding::Json => Bytes::from(M::to_json(
                &*data.message().map_err(ConsumeError::permanent)?,
            )),
        };
        let body = match self.compression {
            None => body,
            Some((alg, level)) => Bytes::from(
                helpers::compression::compress(alg, level, &body)
                    .map_err(ConsumeError::permanent)?,
            ),
        };
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url.uri.clone())
            .body(Full::new(body))
            .map_err(ConsumeError::permanent)?;
        *request.headers_mut() = self.headers.clone();
        let _permit = match &url.limit {
            Some(s) => Some(
                s.clone()
                    .acquire_owned()
                    .await
                    .map_err(ConsumeError::retryable)?,
            ),
            None => None,
        };
        tracing::debug!(exporter = %self.id, url = %url.text, "Preparing to make HTTP request");
        let response = pool.request(request).await.map_err(|e| {
            ConsumeError::retryable(format!(
                "failed to make an HTTP request: Post {:?}: {}",
                url.text,
                error_chain(&e)
            ))
        })?;
        let status = response.status().as_u16();
        let content_type = media_type(response.headers());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if (200..=299).contains(&status) {
            let body = read_limited(response.into_body())
                .await
                .map_err(|e| ConsumeError::permanent(error_chain(&e)))?;
            let partial = partial_success::<M>(&body, content_type.as_deref())
                .map_err(ConsumeError::permanent)?;
            otlp::log_partial_success::<M>(&self.id, &partial);
            return Ok(());
        }
        let body_status = if (400..=599).contains(&status) {
            match read_limited(response.into_body()).await {
                Ok(body) => decode_status(&body, content_type.as_deref()),
                Err(_) => None,
            }
        } else {
            None
        };
        Err(helpers::status::classify_http_response(
            &url.text,
            status,
            retry_after.as_deref(),
            body_status.as_ref(),
        ))
    }
}

/// Reads at most [`MAX_RESPONSE_READ`] bytes of a body, as upstream does.
async fn read_limited(mut body: Incoming) -> Result<Bytes, hyper::Error> {
    let mut buf = BytesMut::new();
    while buf.len() < MAX_RESPONSE_READ {
        match body.frame().await {
            Some(frame) => {
                if let Ok(data) = frame?.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            None => break,
        }
    }
    buf.truncate(MAX_RESPONSE_READ);
    Ok(buf.freeze())
}

/// The `Content-Type` without parameters, lower-cased.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Upstream's `*PartialSuccessHandler`: an empty body or an unknown content type is a plain
/// success; a body that does not parse is an error (made permanent by the caller).
fn partial_success<M: OtlpSignal>(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<PartialSuccess, String> {
    if body.is_empty() {
        return Ok(PartialSuccess::default());
    }
    match content_type {
        Some(PROTOBUF) => M::partial_success_proto(body)
            .map_err(|e| format!("error parsing protobuf response: {e}")),
        Some(JSON) => {
            M::partial_success_json(body).map_err(|e| format!("error parsing json response: {e}"))
        }
        _ => Ok(PartialSuccess::default()),
    }
}

/// The `google.rpc.Status` of an error response, if the body holds one.
fn decode_status(body: &[u8], content_type: Option<&str>) -> Option<pdata::proto::rpc::Status> {
    match content_type {
        Some(JSON) => pdata::json::decode_status(body).ok(),
        _ => pdata::proto::rpc::Status::decode(body).ok(),
    }
}

/// An error and its causes, `: `-separated (hyper's own message is only the outermost one).
fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

impl Backend for HttpClient {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            otlp::resolve_extensions(
                host,
                self.config.auth.get(),
                &self.config.middlewares,
                ClientKind::Http,
            )?;
            if self.config.cookies.is_some() {
                tracing::warn!(
                    exporter = %self.id,
                    "cookies is not supported by ferrocol: cookies set by the server are not sent back"
                );
            }
            let pool = self.pool().map_err(StartError)?;
            *self.pool.lock() = Some(pool);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Dropping the pool closes its idle connections.
            self.pool.lock().take();
        })
    }
}

impl<M: OtlpSignal> Sender<M> for HttpClient {
    fn send(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(self.export(data))
    }
}

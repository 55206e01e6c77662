//! The OTLP/gRPC client: a lazily connected tonic channel and a codec that sends the payload's
//! bytes untouched.

use std::error::Error as StdError;
use std::task::{Context, Poll};
use std::time::Duration;

use component::{BoxFuture, ConsumeError, CreateContext, Host, StartError};
use helpers::Sender;
use helpers::grpc_codec::BytesCodec;
use http::Uri;
use http::uri::PathAndQuery;
use hyper_util::client::legacy::connect::HttpConnector;
use parking_lot::Mutex;
use pdata::payload::Payload;
use tonic::Status;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};

use super::config::{GrpcCompression, OtlpGrpcConfig, Target};
use crate::shared::helped::Backend;
use crate::shared::otlp::{self, ClientKind, OtlpSignal};

/// How a failed dial starts its status message (grpc-go's wording), so that `wait_for_ready`
/// can tell "not connected" from an answer of the server.
const DIAL_ERROR_PREFIX: &str = "connection error: desc = \"transport: Error while dialing: ";

pub(super) struct GrpcClient {
    id: String,
    config: OtlpGrpcConfig,
    target: Target,
    user_agent: String,
    metadata: MetadataMap,
    timeout: Duration,
    channel: Mutex<Option<Channel>>,
}

impl GrpcClient {
    pub(super) fn new(ctx: &CreateContext, config: &OtlpGrpcConfig) -> Result<Self, String> {
        let target = config.target()?;
        let mut metadata = MetadataMap::new();
        for (name, value) in config.headers.iter() {
            if name.ends_with("-bin") {
                let key = MetadataKey::from_bytes(name.as_bytes())
                    .map_err(|_| format!("headers: invalid metadata name {name:?}"))?;
                metadata.append_bin(key, MetadataValue::from_bytes(value.as_bytes()));
            } else {
                let key = MetadataKey::from_bytes(name.as_bytes())
                    .map_err(|_| format!("headers: invalid metadata name {name:?}"))?;
                let value = MetadataValue::try_from(value)
                    .map_err(|_| format!("headers: invalid value for {name:?}"))?;
                metadata.append(key, value);
            }
        }
        let user_agent = if config.user_agent.is_empty() {
            otlp::user_agent(ctx.build_version)
        } else {
            config.user_agent.clone()
        };
        Ok(GrpcClient {
            id: ctx.id.to_string(),
            config: config.clone(),
            target,
            user_agent,
            metadata,
            timeout: config.timeout.to_std_saturating(),
            channel: Mutex::new(None),
        })
    }

    /// Builds the channel; nothing is dialled until the first call.
    fn channel(&self) -> Result<Channel, String> {
        // ALPN (h2) is set by the connector.
        let tls = match self.config.tls.build(&[]).map_err(|e| e.to_string())? {
            Some(tls) => Some(tls),
            // `https://` turns TLS on even with `insecure: true`, with the system's roots.
            None if self.target.https_scheme => helpers::tls::TlsClientConfig::default()
                .build(&[])
                .map_err(|e| e.to_string())?,
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let uri = format!("{scheme}://{}", self.target.authority);
        let mut endpoint = Endpoint::from_shared(uri.clone())
            .map_err(|e| format!("endpoint {:?}: {e}", self.config.endpoint))?
            .tcp_nodelay(true)
            .user_agent(self.user_agent.clone())
            .map_err(|e| format!("user_agent: {e}"))?;
        if !self.config.authority.is_empty() {
            let origin: Uri = format!("{scheme}://{}", self.config.authority)
                .parse()
                .map_err(|e| format!("authority {:?}: {e}", self.config.authority))?;
            endpoint = endpoint.origin(origin);
        }
        if let Some(k) = self.config.keepalive.get() {
            let (time, timeout) = k.effective();
            endpoint = endpoint
                .http2_keep_alive_interval(time)
                .keep_alive_timeout(timeout)
                .keep_alive_while_idle(k.permit_without_stream);
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        Ok(match tls {
            None => endpoint.connect_with_connector_lazy(Dial(http)),
            Some(tls) => {
                let name = self
                    .config
                    .tls
                    .server_name_override()
                    .unwrap_or(&self.target.host)
                    .to_string();
                let name = rustls_pki_types::ServerName::try_from(name)
                    .map_err(|e| format!("tls: invalid server name: {e}"))?;
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((*tls).clone())
                    .https_only()
                    .with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
                    .enable_http2()
                    .wrap_connector(http);
                endpoint.connect_with_connector_lazy(Dial(https))
            }
        })
    }

    async fn export<M: OtlpSignal>(&self, data: Payload<M>) -> Result<(), ConsumeError> {
        let channel = self
            .channel
            .lock()
            .clone()
            .ok_or_else(|| ConsumeError::retryable("otlp exporter not started"))?;
        let mut grpc = tonic::client::Grpc::new(channel)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd);
        match self.config.grpc_compression() {
            Ok(GrpcCompression::Gzip) => {
                grpc = grpc.send_compressed(CompressionEncoding::Gzip);
            }
            Ok(GrpcCompression::Zstd) => {
                grpc = grpc.send_compressed(CompressionEncoding::Zstd);
            }
            Ok(GrpcCompression::None) | Err(_) => {}
        }
        let bytes = data.bytes();
        let mut wait = Duration::from_millis(100);
        loop {
            let mut request = tonic::Request::new(bytes.clone());
            *request.metadata_mut() = self.metadata.clone();
            if !self.timeout.is_zero() {
                request.set_timeout(self.timeout);
            }
            let result = match grpc.ready().await {
                Ok(()) => {
                    grpc.unary(request, PathAndQuery::from_static(M::GRPC_PATH), BytesCodec)
                        .await
                }
                Err(e) => Err(Status::from_error(e.into())),
            };
            match result {
                Ok(response) => {
                    let body = response.into_inner();
                    // A response that does not decode is what grpc-go reports as `Internal`:
                    // permanent.
                    let partial = M::partial_success_proto(&body).map_err(|e| {
                        ConsumeError::permanent(format!(
                            "rpc error: code = Internal desc = grpc: failed to unmarshal the received message: {e}"
                        ))
                    })?;
                    otlp::log_partial_success::<M>(&self.id, &partial);
                    return Ok(());
                }
                Err(status)
                    if self.config.wait_for_ready
                        && status.code() == tonic::Code::Unavailable
                        && status.message().starts_with(DIAL_ERROR_PREFIX) =>
                {
                    // Not connected yet: wait for the backend until the attempt's timeout
                    // drops this future.
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(1));
                }
                Err(status) => return Err(helpers::status::classify_grpc_status(&status)),
            }
        }
    }
}

impl Backend for GrpcClient {
    fn start<'a>(&'a self, host: &'a Host) -> BoxFuture<'a, Result<(), StartError>> {
        Box::pin(async move {
            otlp::resolve_extensions(
                host,
                self.config.auth.get(),
                &self.config.middlewares,
                ClientKind::Grpc,
            )?;
            let channel = self.channel().map_err(StartError)?;
            *self.channel.lock() = Some(channel);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Dropping the last handle closes the connection.
            self.channel.lock().take();
        })
    }
}

impl<M: OtlpSignal> Sender<M> for GrpcClient {
    fn send(&self, data: Payload<M>) -> BoxFuture<'_, Result<(), ConsumeError>> {
        Box::pin(self.export(data))
    }
}

/// A connector whose errors read as grpc-go's dial errors, with the whole cause chain
/// (`tcp connect error: Connection refused (os error 111)`), where tonic would keep only the
/// outermost message.
#[derive(Clone)]
struct Dial<C>(C);

#[derive(Debug)]
struct DialError(String);

impl std::fmt::Display for DialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for DialError {}

fn dial_error(e: &(dyn StdError + 'static)) -> DialError {
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
    DialError(format!("{DIAL_ERROR_PREFIX}{msg}\""))
}

impl<C> tower::Service<Uri> for Dial<C>
where
    C: tower::Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = C::Response;
    type Error = DialError;
    type Future = BoxFuture<'static, Result<C::Response, DialError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DialError>> {
        self.0.poll_ready(cx).map_err(|e| {
            let e: Box<dyn StdError + Send + Sync> = e.into();
            dial_error(&*e)
        })
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let fut = self.0.call(uri);
        Box::pin(async move {
            fut.await.map_err(|e| {
                let e: Box<dyn StdError + Send + Sync> = e.into();
                dial_error(&*e)
            })
        })
    }
}

//! The http provider against a real hyper server on 127.0.0.1.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use confmap::{HttpProvider, Node, Provider, Providers, Resolver, ResolverSettings, decode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn handle(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let resp = match req.uri().path() {
        "/config.yaml" => Response::new(Full::new(Bytes::from_static(
            b"exporters:\n  debug:\n    verbosity: detailed\n",
        ))),
        "/redirect" => Response::builder()
            .status(StatusCode::FOUND)
            .header("location", "/config.yaml")
            .body(Full::new(Bytes::new()))
            .unwrap_or_default(),
        "/loop" => Response::builder()
            .status(StatusCode::FOUND)
            .header("location", "/loop")
            .body(Full::new(Bytes::new()))
            .unwrap_or_default(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Response::new(Full::new(Bytes::new()))
        }
        "/port" => Response::new(Full::new(Bytes::from_static(b"4317"))),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"nope")))
            .unwrap_or_default(),
    };
    Ok(resp)
}

/// Starts the server and returns `http://127.0.0.1:PORT`.
async fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn fetches_yaml_over_http() {
    let base = server().await;
    let r = HttpProvider::http()
        .retrieve(&format!("{base}/config.yaml"))
        .await
        .expect("fetch");
    assert_eq!(
        r.raw()
            .and_then(|n| n.get_path(&["exporters", "debug", "verbosity"])),
        Some(&Node::from("detailed"))
    );
}

#[tokio::test]
async fn follows_redirects_and_reports_status() {
    let base = server().await;
    let r = HttpProvider::http()
        .retrieve(&format!("{base}/redirect"))
        .await
        .expect("redirected");
    assert!(r.raw().and_then(|n| n.get("exporters")).is_some());

    let uri = format!("{base}/missing");
    let err = HttpProvider::http().retrieve(&uri).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("failed to load resource from uri \"{uri}\". status code: 404")
    );

    let err = HttpProvider::http()
        .retrieve(&format!("{base}/loop"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("stopped after 10 redirects"),
        "{err}"
    );
}

#[tokio::test]
async fn times_out() {
    let base = server().await;
    let err = HttpProvider::http()
        .with_timeout(Duration::from_millis(200))
        .retrieve(&format!("{base}/slow"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unable to download the file via HTTP GET for uri"),
        "{err}"
    );
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[tokio::test]
async fn connection_refused_and_bad_uris() {
    // Bind then drop to get a port nobody listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let uri = format!("http://127.0.0.1:{port}/x");
    let err = HttpProvider::http().retrieve(&uri).await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "unable to download the file via HTTP GET for uri \"{uri}\": "
        )),
        "{err}"
    );
    let err = HttpProvider::http()
        .retrieve("http://exa mple/")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid uri \"http://exa mple/\""),
        "{err}"
    );
    let err = HttpProvider::https()
        .retrieve("http://x/")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"http://x/\" uri is not supported by \"https\" provider"
    );
}

#[tokio::test]
async fn https_refuses_plain_http_servers() {
    let base = server().await.replace("http://", "https://");
    let err = HttpProvider::https()
        .with_timeout(Duration::from_secs(5))
        .retrieve(&format!("{base}/config.yaml"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unable to download the file via HTTP GET"),
        "{err}"
    );
}

#[tokio::test]
async fn http_uris_in_config_and_in_references() {
    let base = server().await;
    let settings = ResolverSettings {
        uris: vec![
            format!("{base}/config.yaml"),
            format!("yaml:receivers::otlp::port: ${{{base}/port}}"),
        ],
        default_scheme: "env".into(),
        providers: Providers::default_set(),
    };
    let root = Resolver::new(settings).resolve().await.expect("resolve");
    let port: u16 =
        decode(root.get_path(&["receivers", "otlp", "port"]).expect("port")).expect("u16");
    assert_eq!(port, 4317);
}

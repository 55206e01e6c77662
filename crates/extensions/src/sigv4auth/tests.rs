use aws::credentials::Credentials;
use component::config::decode_typed;

use super::*;

#[path = "../../../aws/tests/support/moto.rs"]
#[allow(dead_code)]
mod moto;

#[test]
fn service_and_region_are_inferred_from_aws_hosts_only_when_not_set() {
    let infer = |s: &str, r: &str, host: &str| infer_service_and_region(s, r, host);
    assert_eq!(
        infer("", "", "aps-workspaces.eu-west-1.amazonaws.com"),
        ("aps".into(), "eu-west-1".into())
    );
    assert_eq!(
        infer("", "", "search-mydomain-abc.us-east-2.es.amazonaws.com"),
        ("es".into(), "us-east-2".into())
    );
    assert_eq!(
        infer("", "us-west-2", "aps-workspaces.eu-west-1.amazonaws.com"),
        ("aps".into(), "us-west-2".into())
    );
    assert_eq!(
        infer("custom", "", "aps-workspaces.eu-west-1.amazonaws.com"),
        ("custom".into(), "eu-west-1".into())
    );
    // Loopback and custom hosts infer nothing: the config must say.
    assert_eq!(infer("", "", "127.0.0.1"), (String::new(), String::new()));
    assert_eq!(
        infer("aps", "us-east-1", "127.0.0.1"),
        ("aps".into(), "us-east-1".into())
    );
}

#[test]
fn config_keys_decode_and_unknown_keys_are_refused() {
    let node = confmap::yaml::parse(
        "region: us-west-2\nservice: aps\nassume_role: {arn: 'arn:aws:iam::1:role/r', session_name: s, sts_region: us-east-1}\n",
    )
    .unwrap();
    let c = decode_typed::<SigV4AuthConfig>(node.as_ref()).unwrap();
    assert_eq!(c.region, "us-west-2");
    assert_eq!(c.assume_role.sts_region, "us-east-1");
    let node = confmap::yaml::parse("regoin: us-west-2\n").unwrap();
    assert!(decode_typed::<SigV4AuthConfig>(node.as_ref()).is_err());
    let node = confmap::yaml::parse("assume_role: {arn: not-an-arn}\n").unwrap();
    let err = decode_typed::<SigV4AuthConfig>(node.as_ref())
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not an ARN"), "{err}");
}

fn parts(uri: &str, target: &str) -> http::request::Parts {
    http::Request::post(uri)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(())
        .unwrap()
        .into_parts()
        .0
}

#[tokio::test]
async fn a_host_that_names_nothing_fails_the_attempt_with_the_fix() {
    let signer = Signer::with_credentials(
        "",
        "",
        CredentialChain::from_static(Credentials::new("AKID", "s", None, None, "t")),
    );
    let mut p = parts("http://127.0.0.1:9/api/v1/remote_write", "x");
    let err = signer.authenticate(&mut p, b"body").await.unwrap_err();
    assert!(
        err.contains("provide values for region and/or service"),
        "{err}"
    );
    assert!(!p.headers.contains_key("authorization"));
    assert!(!signer.supports_grpc());
}

/// Moto checks SigV4 (verification on): what the extension signs is accepted, and the same
/// request signed with a wrong secret is refused.
#[tokio::test]
async fn moto_accepts_what_it_signs_and_refuses_a_wrong_secret() {
    let moto = moto::Moto::start();
    let client = aws::http_client::HttpClient::new(&Default::default()).unwrap();
    let send = |secret: String| {
        let client = client.clone();
        let endpoint = moto.endpoint.clone();
        let access = moto.access_key.clone();
        async move {
            let signer = Signer::with_credentials(
                "us-east-1",
                "logs",
                CredentialChain::from_static(Credentials::new(access, secret, None, None, "t")),
            );
            let mut p = parts(&format!("{endpoint}/"), "Logs_20140328.DescribeLogGroups");
            let body = b"{}";
            signer.authenticate(&mut p, body).await.unwrap();
            client
                .send(http::Request::from_parts(
                    p,
                    bytes::Bytes::from_static(body),
                ))
                .await
                .unwrap()
        }
    };
    let ok = send(moto.secret_key.clone()).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert!(String::from_utf8_lossy(&ok.body).contains("logGroups"));
    let refused = send("wrong".into()).await;
    assert_eq!(refused.status, 403);
    assert!(String::from_utf8_lossy(&refused.body).contains("SignatureDoesNotMatch"));
}

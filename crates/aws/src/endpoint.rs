//! Which URL a service call goes to: the component's `endpoint`, else `AWS_ENDPOINT_URL_<ID>`,
//! else `AWS_ENDPOINT_URL` (both ignored with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else
//! the regional endpoint `https://<prefix>.<region>.amazonaws.com` (`.amazonaws.com.cn` in
//! China).

use crate::error::AwsError;
use crate::service::Service;

/// Resolves the endpoint from the process environment.
pub fn resolve(configured: &str, service: Service, region: &str) -> Result<http::Uri, AwsError> {
    resolve_with(configured, service, region, &|k| std::env::var(k).ok())
}

/// [`resolve`] with an explicit environment (for tests).
pub fn resolve_with(
    configured: &str,
    service: Service,
    region: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<http::Uri, AwsError> {
    let from_env = || {
        let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ignore {
            return None;
        }
        env(&format!("AWS_ENDPOINT_URL_{}", service.env_id))
            .filter(|v| !v.is_empty())
            .or_else(|| env("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()))
    };
    let text = if !configured.is_empty() {
        configured.to_string()
    } else if let Some(url) = from_env() {
        url
    } else {
        default_endpoint(service, region)
    };
    parse(&text)
}

/// The regional endpoint of a service.
pub fn default_endpoint(service: Service, region: &str) -> String {
    format!(
        "https://{}.{region}.{}",
        service.endpoint_prefix,
        dns_suffix(region)
    )
}

/// The partition's DNS suffix.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else {
        "amazonaws.com"
    }
}

/// Parses an endpoint; one without a scheme gets `https://`, as the Go SDK does.
pub fn parse(text: &str) -> Result<http::Uri, AwsError> {
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let uri: http::Uri = with_scheme.parse().map_err(|e| {
        AwsError::config("InvalidEndpoint", format!("invalid endpoint {text:?}: {e}"))
    })?;
    match uri.scheme_str() {
        Some("http") | Some("https") if uri.host().is_some() => Ok(uri),
        _ => Err(AwsError::config(
            "InvalidEndpoint",
            format!("invalid endpoint {text:?}: need http(s)://host[:port]"),
        )),
    }
}

/// `uri`'s scheme and authority followed by `path_and_query` (which starts with `/`). A path
/// in the endpoint itself is kept as a prefix.
pub fn join(base: &http::Uri, path_and_query: &str) -> Result<http::Uri, AwsError> {
    let prefix = base.path().trim_end_matches('/');
    let text = format!(
        "{}://{}{prefix}{path_and_query}",
        base.scheme_str().unwrap_or("https"),
        base.authority().map(|a| a.as_str()).unwrap_or_default()
    );
    text.parse()
        .map_err(|e| AwsError::config("InvalidEndpoint", format!("invalid URL {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn configured_wins_then_service_env_then_global_env_then_default() {
        let e = env(&[
            ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:2"),
        ]);
        let r = |c: &str, s: Service| resolve_with(c, s, "us-west-2", &e).unwrap().to_string();
        assert_eq!(
            r("http://localhost:9", Service::LOGS),
            "http://localhost:9/"
        );
        assert_eq!(r("", Service::LOGS), "http://127.0.0.1:1/");
        assert_eq!(r("", Service::XRAY), "http://127.0.0.1:2/");
        let none = env(&[]);
        assert_eq!(
            resolve_with("", Service::XRAY, "us-west-2", &none)
                .unwrap()
                .to_string(),
            "https://xray.us-west-2.amazonaws.com/"
        );
        assert_eq!(
            resolve_with("", Service::LOGS, "cn-north-1", &none)
                .unwrap()
                .to_string(),
            "https://logs.cn-north-1.amazonaws.com.cn/"
        );
    }

    #[test]
    fn env_endpoints_can_be_ignored() {
        let e = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert_eq!(
            resolve_with("", Service::SSM, "eu-west-1", &e)
                .unwrap()
                .to_string(),
            "https://ssm.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn a_bare_host_gets_https_and_garbage_is_refused() {
        assert_eq!(
            parse("logs.example.com").unwrap().to_string(),
            "https://logs.example.com/"
        );
        let err = parse("ftp://x").unwrap_err();
        assert_eq!(err.code, "InvalidEndpoint");
        assert!(parse("http://").is_err());
    }

    #[test]
    fn join_keeps_an_endpoint_path_prefix() {
        let base = parse("http://127.0.0.1:5000/prefix/").unwrap();
        assert_eq!(
            join(&base, "/TraceSegments").unwrap().to_string(),
            "http://127.0.0.1:5000/prefix/TraceSegments"
        );
        let base = parse("https://xray.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            join(&base, "/TraceSegments").unwrap().to_string(),
            "https://xray.us-east-1.amazonaws.com/TraceSegments"
        );
    }
}

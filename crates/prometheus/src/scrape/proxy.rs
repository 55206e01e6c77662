//! `proxy_url`, `no_proxy` and `proxy_connect_header` as the scrape client (and the oauth2
//! token client) use them: which requests go through the proxy, and the headers the proxy
//! gets.
//!
//! Without `no_proxy`, every request goes through the proxy, loopback targets included (Go's
//! `http.ProxyURL`). With `no_proxy`, prometheus/common switches to
//! `golang.org/x/net/http/httpproxy`, whose rules [`NoProxy`] follows: `localhost` and
//! loopback IPs never use the proxy, and the list names hosts, domains, IPs and CIDRs.

use std::collections::BTreeMap;
use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue, Uri};

/// prometheus/common's `ProxyConfig.Validate` (its order and messages), plus what ferrocol
/// cannot do: `proxy_from_environment`, and proxies other than `http://` and `https://`.
pub fn validate_proxy_config(
    proxy_url: &str,
    no_proxy: &str,
    proxy_from_environment: bool,
    proxy_connect_header: &BTreeMap<String, Vec<String>>,
) -> Result<(), String> {
    if !proxy_connect_header.is_empty() && !proxy_from_environment && proxy_url.is_empty() {
        return Err(
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured"
                .into(),
        );
    }
    if proxy_from_environment && !proxy_url.is_empty() {
        return Err(
            "if proxy_from_environment is configured, proxy_url must not be configured".into(),
        );
    }
    if proxy_from_environment && !no_proxy.is_empty() {
        return Err(
            "if proxy_from_environment is configured, no_proxy must not be configured".into(),
        );
    }
    if proxy_url.is_empty() && !no_proxy.is_empty() {
        return Err("if no_proxy is configured, proxy_url must also be configured".into());
    }
    if proxy_from_environment {
        return Err(
            "proxy_from_environment is not supported by ferrocol yet; set proxy_url".into(),
        );
    }
    ProxySettings::new(proxy_url, no_proxy, proxy_connect_header).map(|_| ())
}

/// A configured proxy.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    /// `http://host:port` or `https://host:port`, without the user info.
    pub uri: Uri,
    /// `Basic` credentials from the proxy URL's user info.
    pub authorization: Option<HeaderValue>,
    /// `proxy_connect_header`: sent on `CONNECT` requests only, as Go's `ProxyConnectHeader`.
    pub connect_headers: HeaderMap,
    pub no_proxy: NoProxy,
}

impl ProxySettings {
    /// The proxy of a client config; `None` without `proxy_url`.
    pub fn new(
        proxy_url: &str,
        no_proxy: &str,
        connect_header: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<ProxySettings>, String> {
        if proxy_url.is_empty() {
            return Ok(None);
        }
        let parsed: Uri = proxy_url
            .parse()
            .map_err(|e| format!("invalid proxy_url {proxy_url:?}: {e}"))?;
        let scheme = parsed.scheme_str().unwrap_or("");
        let authority = parsed.authority().map(|a| a.as_str()).unwrap_or("");
        if !matches!(scheme, "http" | "https") || parsed.host().is_none_or(str::is_empty) {
            return Err(format!(
                "proxy_url {proxy_url:?}: only http:// and https:// proxies are supported by ferrocol"
            ));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let uri: Uri = format!("{scheme}://{hostport}")
            .parse()
            .map_err(|e| format!("invalid proxy_url {proxy_url:?}: {e}"))?;
        let authorization = userinfo.map(basic_credentials).transpose()?;
        let mut connect_headers = HeaderMap::new();
        for (name, values) in connect_header {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("invalid proxy_connect_header name {name:?}: {e}"))?;
            for v in values {
                let value = HeaderValue::from_str(v)
                    .map_err(|e| format!("invalid proxy_connect_header {name} value: {e}"))?;
                connect_headers.append(name.clone(), value);
            }
        }
        Ok(Some(ProxySettings {
            uri,
            authorization,
            connect_headers,
            no_proxy: NoProxy::parse(no_proxy),
        }))
    }

    /// Whether a request to `dst` goes through the proxy.
    pub fn applies_to(&self, dst: &Uri) -> bool {
        if self.no_proxy.is_unset() {
            return true;
        }
        let host = dst.host().unwrap_or("");
        let port = dst
            .port_u16()
            .unwrap_or(if dst.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        self.no_proxy.use_proxy(host, port)
    }
}

/// `Proxy-Authorization: Basic` from `user:password` user info, percent-decoded as Go's
/// `url.User` values are.
fn basic_credentials(userinfo: &str) -> Result<HeaderValue, String> {
    use base64::Engine as _;
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let plain = format!("{}:{}", percent_decode(user)?, percent_decode(pass)?);
    let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
    HeaderValue::from_str(&format!("Basic {encoded}"))
        .map_err(|e| format!("invalid proxy_url credentials: {e}"))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid proxy_url credentials: bad escape in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "invalid proxy_url credentials: not UTF-8".to_string())
}

/// The parsed `no_proxy` list (httpproxy's matchers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    /// `no_proxy` was set: httpproxy's rules apply (loopback bypasses the proxy).
    set: bool,
    /// `*`: nothing uses the proxy.
    all: bool,
    ips: Vec<(IpAddr, Option<u16>)>,
    cidrs: Vec<(IpAddr, u8)>,
    /// `(".example.com", also matches "example.com" itself, port)`.
    domains: Vec<(String, bool, Option<u16>)>,
}

impl NoProxy {
    /// Parses a comma-separated list; malformed entries are skipped, as httpproxy does.
    pub fn parse(list: &str) -> NoProxy {
        let mut np = NoProxy {
            set: !list.trim().is_empty(),
            ..NoProxy::default()
        };
        for entry in list.split(',') {
            let entry = entry.trim().to_ascii_lowercase();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                np.all = true;
                continue;
            }
            if let Some(cidr) = parse_cidr(&entry) {
                np.cidrs.push(cidr);
                continue;
            }
            let (host, port) = match split_host_port(&entry) {
                Some(("", _)) => continue,
                Some((h, p)) => (h.trim_start_matches('[').trim_end_matches(']'), Some(p)),
                None => (entry.as_str(), None),
            };
            let port = match port.map(str::parse::<u16>) {
                Some(Ok(p)) => Some(p),
                Some(Err(_)) => continue,
                None => None,
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                np.ips.push((ip, port));
                continue;
            }
            if host.is_empty() {
                continue;
            }
            let host = host.strip_prefix('*').unwrap_or(host);
            let (domain, match_host) = match host.strip_prefix('.') {
                Some(_) => (host.to_string(), false),
                None => (format!(".{host}"), true),
            };
            np.domains.push((domain, match_host, port));
        }
        np
    }

    fn is_unset(&self) -> bool {
        !self.set
    }

    /// httpproxy's `useProxy`.
    pub fn use_proxy(&self, host: &str, port: u16) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        if self.all {
            return false;
        }
        if let Some(ip) = ip {
            if self
                .ips
                .iter()
                .any(|(m, p)| *m == ip && p.is_none_or(|p| p == port))
            {
                return false;
            }
            if self
                .cidrs
                .iter()
                .any(|(net, bits)| in_cidr(ip, *net, *bits))
            {
                return false;
            }
        }
        !self.domains.iter().any(|(domain, match_host, p)| {
            (host.ends_with(domain.as_str()) || (*match_host && host == domain[1..]))
                && p.is_none_or(|p| p == port)
        })
    }
}

/// `host:port` or `[v6]:port`; `None` when there is no port (Go's `net.SplitHostPort`).
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('[') {
        let end = s.find("]:")?;
        return Some((&s[..=end], &s[end + 2..]));
    }
    let (h, p) = s.rsplit_once(':')?;
    if h.contains(':') {
        return None; // a bare IPv6 address
    }
    Some((h, p))
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        // An IPv4-mapped IPv6 address against an IPv4 network, as Go's IP.To4 allows.
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u32::from(a) as u128, u32::from(b) as u128, 32),
            None => return false,
        },
        (IpAddr::V4(_), IpAddr::V6(_)) => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_follows_httpproxy_rules() {
        let np = NoProxy::parse(
            "example.com, .internal, *.svc.local, 10.0.0.0/8, 192.168.1.5, host.test:8080, [::2]:9",
        );
        let cases = [
            ("example.com", 80, false),
            ("www.example.com", 443, false),
            ("notexample.com", 80, true),
            ("internal", 80, true),
            ("a.internal", 80, false),
            ("svc.local", 80, true),
            ("x.svc.local", 80, false),
            ("10.1.2.3", 9100, false),
            ("11.1.2.3", 9100, true),
            ("192.168.1.5", 1, false),
            ("192.168.1.6", 1, true),
            ("host.test", 8080, false),
            ("host.test", 8081, true),
            ("[::2]", 9, false),
            ("::2", 10, true),
            // httpproxy never proxies loopback once no_proxy is set.
            ("localhost", 80, false),
            ("127.0.0.1", 80, false),
            ("EXAMPLE.COM", 80, false),
        ];
        for (host, port, want) in cases {
            assert_eq!(np.use_proxy(host, port), want, "{host}:{port}");
        }
        assert!(!NoProxy::parse("*").use_proxy("anything", 1));
    }

    #[test]
    fn proxy_settings_scope_and_credentials() {
        let none = BTreeMap::new();
        let p = ProxySettings::new("http://us%40er:p%3Aw@proxy:3128", "", &none)
            .unwrap()
            .unwrap();
        assert_eq!(p.uri.to_string(), "http://proxy:3128/");
        // base64("us@er:p:w")
        assert_eq!(p.authorization.unwrap(), "Basic dXNAZXI6cDp3");
        // Without no_proxy everything is proxied, loopback included (Go's http.ProxyURL).
        assert!(p.no_proxy.is_unset());
        let p = ProxySettings::new("http://proxy:3128", "", &none)
            .unwrap()
            .unwrap();
        assert!(p.applies_to(&"http://127.0.0.1:9100/metrics".parse().unwrap()));
        let p = ProxySettings::new("http://proxy:3128", "skip.me", &none)
            .unwrap()
            .unwrap();
        assert!(!p.applies_to(&"https://skip.me/metrics".parse().unwrap()));
        assert!(p.applies_to(&"https://other/metrics".parse().unwrap()));
        assert!(!p.applies_to(&"http://127.0.0.1:9100/metrics".parse().unwrap()));
        assert!(ProxySettings::new("socks5://proxy:1080", "", &none).is_err());
        assert!(ProxySettings::new("", "", &none).unwrap().is_none());
    }
}

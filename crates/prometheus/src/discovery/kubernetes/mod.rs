//! `kubernetes_sd_configs`: targets from the Kubernetes API (Prometheus'
//! `discovery/kubernetes`), without client-go: a small LIST+WATCH client over hyper
//! (`client`, `watch`), the few object fields Prometheus reads (`objects`), and the
//! target groups per role with Prometheus' labels and address rules (`targets`).
//!
//! Roles: `node`, `pod`, `service`, `endpoints`, `endpointslice` (`discovery.k8s.io/v1`),
//! `ingress` (`networking.k8s.io/v1`). `attach_metadata.node` adds node labels to pod,
//! endpoints and endpointslice targets. Not implemented: `attach_metadata.namespace`,
//! `.deployment`, `.job`, `.cronjob` (rejected as unknown keys).

mod client;
mod kubeconfig;
mod objects;
mod run;
mod targets;
mod watch;

pub use client::ApiClient;
pub use run::KubernetesDiscoverer;
pub use watch::Backoff;

use serde::{Deserialize, Deserializer};

use super::Discoverer;

/// A Kubernetes SD role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Node,
    Pod,
    Service,
    Endpoints,
    EndpointSlice,
    Ingress,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Pod => "pod",
            Role::Service => "service",
            Role::Endpoints => "endpoints",
            Role::EndpointSlice => "endpointslice",
            Role::Ingress => "ingress",
        }
    }

    /// Parses a role name; the error is Prometheus' `unknown Kubernetes SD role "<s>"`.
    pub fn parse(s: &str) -> Result<Role, String> {
        Ok(match s {
            "node" => Role::Node,
            "pod" => Role::Pod,
            "service" => Role::Service,
            "endpoints" => Role::Endpoints,
            "endpointslice" => Role::EndpointSlice,
            "ingress" => Role::Ingress,
            other => return Err(format!("unknown Kubernetes SD role {other:?}")),
        })
    }

    /// The selector roles a discovery role accepts.
    fn allowed_selectors(self) -> &'static [Role] {
        match self {
            Role::Pod => &[Role::Pod],
            Role::Service => &[Role::Service],
            Role::EndpointSlice => &[Role::Pod, Role::Service, Role::EndpointSlice],
            Role::Endpoints => &[Role::Pod, Role::Service, Role::Endpoints],
            Role::Node => &[Role::Node],
            Role::Ingress => &[Role::Ingress],
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Role::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `namespaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamespaceDiscovery {
    /// Also watch the namespace the collector runs in (read from the service account).
    pub own_namespace: bool,
    pub names: Vec<String>,
}

/// One `selectors` entry: passed to the API server as `labelSelector`/`fieldSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorConfig {
    pub role: Role,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub field: String,
}

/// `attach_metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachMetadata {
    /// Add `__meta_kubernetes_node_*` labels of the pod's node (roles pod, endpoints,
    /// endpointslice); needs permission to watch nodes.
    pub node: bool,
}

crate::with_http_client_fields! {
    /// One `kubernetes_sd_configs` entry.
    #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct KubernetesSdConfig {
        /// Empty: in-cluster (service account) or `kubeconfig_file`.
        #[serde(default)]
        pub api_server: String,
        /// Required; decoding leaves `None` when absent so that [`validate`](Self::validate)
        /// can give Prometheus' message.
        #[serde(default)]
        pub role: Option<Role>,
        #[serde(default)]
        pub kubeconfig_file: String,
        #[serde(default)]
        pub namespaces: NamespaceDiscovery,
        #[serde(default)]
        pub selectors: Vec<SelectorConfig>,
        #[serde(default)]
        pub attach_metadata: AttachMetadata,
    }
}

impl KubernetesSdConfig {
    /// A config for `role` with everything else at its default.
    pub fn new(role: Role) -> Self {
        let d = super::http_client::HttpClientConfig::default();
        KubernetesSdConfig {
            api_server: String::new(),
            role: Some(role),
            kubeconfig_file: String::new(),
            namespaces: NamespaceDiscovery::default(),
            selectors: Vec::new(),
            attach_metadata: AttachMetadata::default(),
            basic_auth: d.basic_auth,
            authorization: d.authorization,
            bearer_token: d.bearer_token,
            bearer_token_file: d.bearer_token_file,
            tls_config: d.tls_config,
            follow_redirects: super::http_client::BoolDefaultTrue(d.follow_redirects),
            enable_http2: super::http_client::BoolDefaultTrue(d.enable_http2),
        }
    }

    /// The role (validated configs always have one).
    pub fn role(&self) -> Role {
        self.role.unwrap_or(Role::Pod)
    }

    /// Prometheus' `SDConfig.UnmarshalYAML` checks, with its messages.
    pub fn validate(&self) -> Result<(), String> {
        let Some(role) = self.role else {
            return Err(
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"
                    .into(),
            );
        };
        let http = self.http_client_config();
        http.validate()?;
        let custom_http = http != super::http_client::HttpClientConfig::default();
        if !self.api_server.is_empty() {
            parse_api_server(&self.api_server)?;
        }
        if !self.api_server.is_empty() && !self.kubeconfig_file.is_empty() {
            return Err("cannot use 'kubeconfig_file' and 'api_server' simultaneously".into());
        }
        if !self.kubeconfig_file.is_empty() && custom_http {
            return Err(
                "cannot use a custom HTTP client configuration together with 'kubeconfig_file'"
                    .into(),
            );
        }
        if self.api_server.is_empty() && custom_http {
            return Err(
                "to use custom HTTP client configuration please provide the 'api_server' URL explicitly"
                    .into(),
            );
        }
        if !self.api_server.is_empty() && self.namespaces.own_namespace {
            return Err(
                "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously".into(),
            );
        }
        if !self.kubeconfig_file.is_empty() && self.namespaces.own_namespace {
            return Err(
                "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously".into(),
            );
        }
        let mut seen = Vec::new();
        for selector in &self.selectors {
            if seen.contains(&selector.role) {
                return Err(format!("duplicated selector role: {}", selector.role));
            }
            seen.push(selector.role);
            let allowed = role.allowed_selectors();
            if !allowed.contains(&selector.role) {
                let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
                return Err(format!(
                    "{role} role supports only {} selectors",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// The discoverer for this entry: resolves how to reach the API server (explicit
    /// `api_server`, `kubeconfig_file`, or the in-cluster service account). Fails when none
    /// is usable, as Prometheus' `NewDiscoverer` does.
    pub fn discoverer(&self) -> Result<Box<dyn Discoverer>, String> {
        Ok(Box::new(KubernetesDiscoverer::from_config(self)?))
    }

    /// `names`, plus the own namespace when asked; empty means all namespaces.
    pub(crate) fn namespaces_to_watch(&self) -> Result<Vec<String>, String> {
        let mut names = self.namespaces.names.clone();
        if self.namespaces.own_namespace {
            let own = std::fs::read_to_string(client::SERVICE_ACCOUNT_NAMESPACE)
                .map_err(|e| format!("could not determine the pod's namespace: {e}"))?;
            let own = own.trim();
            if own.is_empty() {
                return Err("could not read own namespace name (empty file)".into());
            }
            names.push(own.to_string());
        }
        Ok(names)
    }
}

/// `api_server` must be an absolute http(s) URL.
fn parse_api_server(s: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = s
        .parse()
        .map_err(|e| format!("parse {s:?}: invalid api_server URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") if uri.host().is_some() => Ok(uri),
        _ => Err(format!(
            "parse {s:?}: api_server must be an http or https URL with a host"
        )),
    }
}

#[cfg(test)]
mod tests;

//! `kubeconfig_file`: the current context's cluster and user, as client-go's
//! `clientcmd.BuildConfigFromFlags("", file)` would use them. Supported: `server`,
//! `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`, and user
//! `token`, `tokenFile`, `client-certificate(-data)`, `client-key(-data)`,
//! `username`/`password`. Exec and auth-provider plugins are refused with an error.

use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;

use crate::discovery::http_client::{Authorization, BasicAuth, HttpClientConfig, TlsConfig};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct KubeConfig {
    current_context: String,
    contexts: Vec<Named<Context>>,
    clusters: Vec<Named<Cluster>>,
    users: Vec<Named<User>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named<T: Default> {
    name: String,
    #[serde(alias = "context", alias = "cluster", alias = "user")]
    value: T,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Context {
    cluster: String,
    user: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct Cluster {
    server: String,
    certificate_authority: String,
    certificate_authority_data: String,
    insecure_skip_tls_verify: bool,
    tls_server_name: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct User {
    token: String,
    #[serde(rename = "tokenFile")]
    token_file: String,
    client_certificate: String,
    client_certificate_data: String,
    client_key: String,
    client_key_data: String,
    username: String,
    password: String,
    exec: Option<serde_json::Value>,
    auth_provider: Option<serde_json::Value>,
}

/// The API server URL and client settings of the file's current context.
pub fn load(path: &str) -> Result<(String, HttpClientConfig), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("kubeconfig {path}: {e}"))?;
    let node = confmap::parse_yaml(&text)
        .map_err(|e| format!("kubeconfig {path}: {e}"))?
        .ok_or_else(|| format!("kubeconfig {path}: empty file"))?;
    let kc: KubeConfig = confmap::decode(&node).map_err(|e| format!("kubeconfig {path}: {e}"))?;
    let dir = Path::new(path).parent().unwrap_or(Path::new("."));
    resolve(kc, dir).map_err(|e| format!("kubeconfig {path}: {e}"))
}

fn resolve(kc: KubeConfig, dir: &Path) -> Result<(String, HttpClientConfig), String> {
    if kc.current_context.is_empty() {
        return Err("no current-context set".into());
    }
    let ctx = find(&kc.contexts, &kc.current_context, "context")?;
    let cluster = find(&kc.clusters, &ctx.cluster, "cluster")?;
    if cluster.server.is_empty() {
        return Err(format!("cluster {:?} has no server", ctx.cluster));
    }
    let default_user = User::default();
    let user = if ctx.user.is_empty() {
        &default_user
    } else {
        find(&kc.users, &ctx.user, "user")?
    };
    if user.exec.is_some() || user.auth_provider.is_some() {
        return Err(format!(
            "user {:?}: exec and auth-provider credential plugins are not supported",
            ctx.user
        ));
    }
    let relative = |p: &str| -> String {
        if p.is_empty() || Path::new(p).is_absolute() {
            p.to_string()
        } else {
            dir.join(p).to_string_lossy().into_owned()
        }
    };
    let decode = |what: &str, data: &str| -> Result<String, String> {
        if data.is_empty() {
            return Ok(String::new());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|e| format!("{what}: {e}"))?;
        String::from_utf8(bytes).map_err(|e| format!("{what}: {e}"))
    };
    let mut http = HttpClientConfig {
        tls_config: TlsConfig {
            ca: decode(
                "certificate-authority-data",
                &cluster.certificate_authority_data,
            )?,
            ca_file: relative(&cluster.certificate_authority),
            cert: decode("client-certificate-data", &user.client_certificate_data)?,
            cert_file: relative(&user.client_certificate),
            key: decode("client-key-data", &user.client_key_data)?,
            key_file: relative(&user.client_key),
            server_name: cluster.tls_server_name.clone(),
            insecure_skip_verify: cluster.insecure_skip_tls_verify,
            ..Default::default()
        },
        ..Default::default()
    };
    if !user.token.is_empty() || !user.token_file.is_empty() {
        http.authorization = Some(Authorization {
            kind: "Bearer".into(),
            // client-go prefers the file when both are given.
            credentials: if user.token_file.is_empty() {
                user.token.clone()
            } else {
                String::new()
            },
            credentials_file: relative(&user.token_file),
        });
    } else if !user.username.is_empty() {
        http.basic_auth = Some(BasicAuth {
            username: user.username.clone(),
            password: user.password.clone(),
            ..Default::default()
        });
    }
    http.validate()?;
    Ok((cluster.server.clone(), http))
}

fn find<'a, T: Default>(list: &'a [Named<T>], name: &str, what: &str) -> Result<&'a T, String> {
    list.iter()
        .find(|n| n.name == name)
        .map(|n| &n.value)
        .ok_or_else(|| format!("{what} {name:?} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_context_with_token_and_inline_ca() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        let ca = base64::engine::general_purpose::STANDARD.encode("not-a-real-pem");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts:\n- name: a\n  context: {{cluster: c1, user: u1}}\n- name: b\n  context: {{cluster: c2, user: u2}}\nclusters:\n- name: c1\n  cluster: {{server: 'https://one:6443'}}\n- name: c2\n  cluster:\n    server: 'https://two:6443'\n    certificate-authority-data: {ca}\n    insecure-skip-tls-verify: true\nusers:\n- name: u1\n  user: {{token: t1}}\n- name: u2\n  user: {{tokenFile: tok}}\n"
            ),
        )
        .expect("write");
        let kc: KubeConfig = {
            let text = std::fs::read_to_string(&path).expect("read");
            let node = confmap::parse_yaml(&text).expect("yaml").expect("doc");
            confmap::decode(&node).expect("decode")
        };
        let (server, http) = resolve(kc, dir.path()).expect("resolves");
        assert_eq!(server, "https://two:6443");
        assert_eq!(http.tls_config.ca, "not-a-real-pem");
        assert!(http.tls_config.insecure_skip_verify);
        let auth = http.authorization.expect("bearer");
        assert_eq!(
            auth.credentials_file,
            dir.path().join("tok").to_string_lossy()
        );
    }

    #[test]
    fn exec_plugins_are_refused() {
        let yaml = "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\n";
        let node = confmap::parse_yaml(yaml).expect("yaml").expect("doc");
        let kc: KubeConfig = confmap::decode(&node).expect("decode");
        let err = resolve(kc, Path::new("/")).unwrap_err();
        assert!(err.contains("exec and auth-provider"), "{err}");
    }
}

//! `sigv4auth` configuration (upstream v0.115 `sigv4authextension.Config`).

use component::ComponentConfig;
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SigV4AuthConfig {
    /// The signing region; empty → inferred from the host.
    pub region: String,
    /// The signing service (`aps`, `es`, ...); empty → inferred from the host.
    pub service: String,
    pub assume_role: AssumeRoleConfig,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AssumeRoleConfig {
    /// The role to assume; empty → sign with the default chain's credentials.
    pub arn: String,
    /// The role session name; empty → `ferrocol-<unix nanos>`.
    pub session_name: String,
    /// The STS region; empty → `region`.
    pub sts_region: String,
}

impl ComponentConfig for SigV4AuthConfig {
    fn validate(&self) -> Result<(), String> {
        // Upstream validates by building the credential provider, which cannot fail without
        // touching the network; an ARN that is not one is the only local mistake to catch.
        let arn = &self.assume_role.arn;
        if !arn.is_empty() && !arn.starts_with("arn:") {
            return Err(format!(
                "could not retrieve credential provider: assume_role::arn {arn:?} is not an ARN"
            ));
        }
        Ok(())
    }
}

//! `ssm:` — a value from AWS Systems Manager Parameter Store (contrib
//! `confmap/provider/ssmprovider`; ADOT itself has none and delivers SSM configuration through
//! ECS secrets into `AOT_CONFIG_CONTENT`).
//!
//! `${ssm:<name>}` is the parameter's value; `${ssm:<name>#<key>}` parses the value as a JSON
//! object and takes one key. SecureString values are decrypted (`WithDecryption: true`).
//! Region, credentials and endpoint come from the environment (`AWS_REGION`, the default
//! credential chain, `AWS_ENDPOINT_URL_SSM`). Difference from upstream: a whole value is parsed
//! as YAML (upstream keeps it a string), so `--config ssm:/otel/config` works as a config
//! source, and `${ssm:port}` holding `4317` is an integer where upstream's is the string
//! "4317" (which mapstructure then converts anyway).

use serde::Deserialize;

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::node::{Map, Node, Value};
use crate::retrieved::Retrieved;
use crate::yaml::go_quote;

#[derive(Debug, Clone, Default)]
pub struct SsmProvider;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetParameterOutput {
    parameter: Option<Parameter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Parameter {
    value: Option<String>,
}

/// A JSON value as a config node.
fn json_to_node(v: serde_json::Value) -> Option<Node> {
    let value = match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Seq(
            a.into_iter()
                .map(|x| json_to_node(x).unwrap_or_else(Node::null))
                .collect(),
        ),
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(k, json_to_node(x).unwrap_or_else(Node::null));
            }
            Value::Map(m)
        }
    };
    Some(Node::new(value))
}

async fn get_parameter(name: &str) -> Result<String, aws::AwsError> {
    let session = aws::AwsSession::from_environment(aws::Service::SSM, "", "").await?;
    let body = serde_json::json!({"Name": name, "WithDecryption": true}).to_string();
    let out = session
        .json_call("AmazonSSM.GetParameter", body.into())
        .await?;
    let out: GetParameterOutput = serde_json::from_slice(&out).map_err(|e| {
        aws::AwsError::transient(
            "SerializationError",
            format!("invalid GetParameter response: {e}"),
        )
    })?;
    out.parameter.and_then(|p| p.value).ok_or_else(|| {
        aws::AwsError::config(
            "ParameterNotFound",
            format!("parameter {} not found or has no value", go_quote(name)),
        )
    })
}

impl Provider for SsmProvider {
    fn scheme(&self) -> &str {
        "ssm"
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move {
            let rest = strip_scheme(uri, "ssm")?;
            let (name, json_key) = match rest.split_once('#') {
                Some((name, key)) => (name, Some(key)),
                None => (rest, None),
            };
            let value = get_parameter(name)
                .await
                .map_err(|e| ConfmapError::new(format!("error getting parameter: {e}")))?;
            let Some(key) = json_key else {
                return Ok(Retrieved::from_yaml(value.as_bytes()));
            };
            let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&value)
                .map_err(|e| {
                    ConfmapError::new(format!("error parsing JSON from parameter: {e}"))
                })?;
            let v = doc.get(key).cloned().ok_or_else(|| {
                ConfmapError::new(format!("key {} not found in JSON parameter", go_quote(key)))
            })?;
            Ok(match v {
                // A string keeps its text form (so it can be embedded in a longer string).
                serde_json::Value::String(s) => Retrieved::from_string(s),
                other => Retrieved::new(json_to_node(other)),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_typed_nodes() {
        let n = json_to_node(serde_json::json!({"a": [1, 2.5, true, null], "b": "x"})).unwrap();
        let m = n.as_map().unwrap();
        let a = m.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[1].value, Value::Float(2.5));
        assert_eq!(a[2].as_bool(), Some(true));
        assert!(a[3].is_null());
        assert_eq!(m.get("b").unwrap().as_str(), Some("x"));
        assert!(json_to_node(serde_json::Value::Null).is_none());
    }

    #[tokio::test]
    async fn another_scheme_is_refused() {
        let err = SsmProvider.retrieve("env:X").await.unwrap_err().to_string();
        assert!(
            err.contains("is not supported by \"ssm\" provider"),
            "{err}"
        );
    }
}

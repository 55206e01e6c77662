//! `--set` flags (upstream `otelcol/flags.go`).

use crate::error::ConfmapError;

/// Turns `--set=processors.batch.timeout=2s` into the URI `yaml:processors::batch::timeout: 2s`.
///
/// Dots in the key become `::` (so keys containing dots cannot be set this way, as upstream);
/// the key and value are trimmed; the value is YAML (`--set=a.list=[x,y]` sets a list).
/// A flag without `=` fails with upstream's `missing equal sign`.
pub fn set_flag_to_yaml_uri(flag: &str) -> Result<String, ConfmapError> {
    let (key, value) = flag
        .split_once('=')
        .ok_or_else(|| ConfmapError::new("missing equal sign"))?;
    Ok(format!(
        "yaml:{}: {}",
        key.replace('.', "::").trim(),
        value.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_flags() {
        assert_eq!(
            set_flag_to_yaml_uri("processors.batch.timeout=2s").expect("ok"),
            "yaml:processors::batch::timeout: 2s"
        );
        assert_eq!(
            set_flag_to_yaml_uri(" a.b = x=y ").expect("ok"),
            "yaml:a::b: x=y"
        );
        assert_eq!(
            set_flag_to_yaml_uri("key:name").unwrap_err().to_string(),
            "missing equal sign"
        );
    }
}

//! `<scheme>:<opaque>` locations, as upstream's `resolver.go` / `expand.go` parse them.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::ConfmapError;

/// Scheme names: a letter, then letters, digits, `+`, `.`, `-`; at least two characters so that
/// `C:\config.yaml` is not read as scheme `C`.
pub const SCHEME_PATTERN: &str = "[A-Za-z][A-Za-z0-9+.-]+";

static URI_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?s)^(?P<scheme>{SCHEME_PATTERN}):(?P<opaque>.*)$"
    ))
    .expect("constant regex")
});
static SCHEME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{SCHEME_PATTERN}$")).expect("constant regex"));
/// Upstream's `^[A-z]:`; `[A-z]` also spans ``[\]^_` `` in ASCII, kept for fidelity.
static DRIVE_LETTER_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z\[\\\]^_`a-z]:").expect("constant regex"));

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub scheme: String,
    pub opaque: String,
}

impl Location {
    /// `scheme:opaque`, the form providers receive.
    pub fn as_uri(&self) -> String {
        format!("{}:{}", self.scheme, self.opaque)
    }

    /// Parses `scheme:opaque`; anything else is upstream's `invalid uri: %q`.
    pub fn parse(uri: &str) -> Result<Location, ConfmapError> {
        let caps = URI_RE.captures(uri).ok_or_else(|| {
            ConfmapError::new(format!("invalid uri: {}", crate::yaml::go_quote(uri)))
        })?;
        Ok(Location {
            scheme: caps["scheme"].to_string(),
            opaque: caps["opaque"].to_string(),
        })
    }

    /// A `--config` value: no `:` or a drive letter means a file path (upstream's backwards
    /// compatibility rule), otherwise `scheme:opaque`.
    pub fn parse_config_uri(uri: &str) -> Result<Location, ConfmapError> {
        if DRIVE_LETTER_RE.is_match(uri) || !uri.contains(':') {
            return Ok(Location {
                scheme: "file".to_string(),
                opaque: uri.to_string(),
            });
        }
        Location::parse(uri)
    }
}

/// Whether `scheme` is a valid provider scheme. Upstream's check is an unanchored match; we
/// require the whole name to match, which only refuses names upstream would never register.
pub fn is_valid_scheme(scheme: &str) -> bool {
    SCHEME_RE.is_match(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_uris() {
        let l = Location::parse_config_uri("/etc/otel.yaml").expect("ok");
        assert_eq!(
            (l.scheme.as_str(), l.opaque.as_str()),
            ("file", "/etc/otel.yaml")
        );
        let l = Location::parse_config_uri("C:\\otel\\config.yaml").expect("ok");
        assert_eq!(l.scheme, "file");
        assert_eq!(l.opaque, "C:\\otel\\config.yaml");
        let l = Location::parse_config_uri("file:/x.yaml").expect("ok");
        assert_eq!((l.scheme.as_str(), l.opaque.as_str()), ("file", "/x.yaml"));
        let l = Location::parse_config_uri("yaml:a::b: 1\nc: 2").expect("ok");
        assert_eq!(l.opaque, "a::b: 1\nc: 2");
        let l = Location::parse_config_uri("s3:bucket/key").expect("ok");
        assert_eq!(l.scheme, "s3");
    }

    #[test]
    fn invalid_uris() {
        let err = Location::parse("1x:foo").unwrap_err();
        assert_eq!(err.to_string(), "invalid uri: \"1x:foo\"");
        assert!(
            Location::parse("x:foo").is_err(),
            "one-letter schemes are not schemes"
        );
        assert!(is_valid_scheme("s3"));
        assert!(is_valid_scheme("git+ssh"));
        assert!(!is_valid_scheme("e"));
        assert!(!is_valid_scheme("3s"));
    }
}

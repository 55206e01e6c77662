//! Relabel configuration as Prometheus' `model/relabel` `Config`: YAML field names, defaults
//! (`action: replace`, `separator: ";"`, `regex: (.*)`, `replacement: $1`), the
//! case-insensitive action names and `Validate`'s checks and messages.

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};

use super::regex::{DEFAULT_REGEX, Regex};

/// The default `separator`.
pub const DEFAULT_SEPARATOR: &str = ";";
/// The default `replacement`.
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// A relabel action. Deserializes case-insensitively (Go `strings.ToLower`), as Prometheus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Action {
    #[default]
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    /// Prometheus' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Parses an action name case-insensitively; the error is Prometheus'
    /// `unknown relabel action "<s>"`.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        let lower = s.to_lowercase();
        [
            Action::Replace,
            Action::Keep,
            Action::Drop,
            Action::KeepEqual,
            Action::DropEqual,
            Action::HashMod,
            Action::LabelMap,
            Action::LabelDrop,
            Action::LabelKeep,
            Action::Lowercase,
            Action::Uppercase,
        ]
        .into_iter()
        .find(|a| a.as_str() == lower)
        .ok_or_else(|| ConfigError(format!("unknown relabel action {}", go_quote(s))))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Action::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Which label names are valid (`model.NameValidationScheme`): `Legacy` is
/// `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus 2.x, and 3.x configured for legacy names); `Utf8` is any
/// non-empty string (Prometheus 3.x default). Deserialization uses `Legacy`; build with
/// [`RawRelabelConfig::into_config`] for `Utf8`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum NameValidation {
    #[default]
    Legacy,
    Utf8,
}

impl NameValidation {
    /// `model.LabelName(name).IsValid()` under this scheme.
    pub fn is_valid_label_name(self, name: &str) -> bool {
        match self {
            NameValidation::Legacy => is_legacy_label_name(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }

    /// A label name that may contain `$var`/`${var}` references (`relabelTargetLegacy` under
    /// legacy validation, plain validity under UTF-8).
    fn is_valid_name_with_vars(self, name: &str) -> bool {
        // Go: ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$ (`\w` is ASCII in Go).
        static RELABEL_TARGET: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(
                r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$",
            )
            .expect("static regex compiles")
        });
        match self {
            NameValidation::Legacy => RELABEL_TARGET.is_match(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An invalid relabel configuration; the message is Prometheus' text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// One relabel rule. Build it by deserializing (validated, legacy names), from
/// [`RawRelabelConfig::into_config`], or by hand followed by [`RelabelConfig::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelabelConfig {
    pub source_labels: Vec<String>,
    pub separator: String,
    pub target_label: String,
    pub regex: Regex,
    pub modulus: u64,
    pub replacement: String,
    pub action: Action,
    /// Not a YAML field: the name validation scheme for `validate` and for the `replace`
    /// action's check of the expanded target name.
    pub name_validation: NameValidation,
}

impl Default for RelabelConfig {
    fn default() -> Self {
        Self {
            source_labels: Vec::new(),
            separator: DEFAULT_SEPARATOR.to_owned(),
            target_label: String::new(),
            regex: Regex::default(),
            modulus: 0,
            replacement: DEFAULT_REPLACEMENT.to_owned(),
            action: Action::Replace,
            name_validation: NameValidation::Legacy,
        }
    }
}

/// The YAML shape before defaults and validation; `None` means "not given".
///
/// A key given as null gets Go's zero value, as yaml.v2 does (it skips the field's own
/// unmarshaler and stores the zero value): `separator: ~` is `""`, `replacement: ~` is `""`,
/// `modulus: ~` is 0, `regex: ~` is the empty regex (Prometheus turns a nil regex into
/// `MustNewRegexp("")`, which only matches `""`), `source_labels: ~` is "not given", and
/// `action: ~` fails with Prometheus' `relabel action cannot be empty`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawRelabelConfig {
    pub source_labels: Option<Vec<String>>,
    #[serde(deserialize_with = "null_as_zero")]
    pub separator: Option<String>,
    #[serde(deserialize_with = "null_as_empty_regex")]
    pub regex: Option<Regex>,
    #[serde(deserialize_with = "null_as_zero")]
    pub modulus: Option<u64>,
    #[serde(deserialize_with = "null_as_zero")]
    pub target_label: Option<String>,
    #[serde(deserialize_with = "null_as_zero")]
    pub replacement: Option<String>,
    #[serde(deserialize_with = "null_action")]
    pub action: Option<Action>,
}

fn null_as_zero<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(
        Option::<T>::deserialize(deserializer)?.unwrap_or_default(),
    ))
}

fn null_as_empty_regex<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Regex>, D::Error> {
    match Option::<Regex>::deserialize(deserializer)? {
        Some(re) => Ok(Some(re)),
        None => Regex::new("").map(Some).map_err(serde::de::Error::custom),
    }
}

fn null_action<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Action>, D::Error> {
    match Option::<Action>::deserialize(deserializer)? {
        Some(a) => Ok(Some(a)),
        None => Err(serde::de::Error::custom("relabel action cannot be empty")),
    }
}

impl RawRelabelConfig {
    /// Applies Prometheus' defaults and validates under `scheme`, like `UnmarshalYAML`.
    ///
    /// Go compares the regex by pointer with the default one, so for `keepequal`/`dropequal`
    /// *any* explicitly given `regex` (even `(.*)`) is rejected; for `labeldrop`/`labelkeep`
    /// an explicit `source_labels: []` is rejected (`SourceLabels != nil`). Both are kept.
    pub fn into_config(self, scheme: NameValidation) -> Result<RelabelConfig, ConfigError> {
        // model.LabelName.UnmarshalYAML validates each source label name.
        if let Some(bad) = self
            .source_labels
            .iter()
            .flatten()
            .find(|n| !scheme.is_valid_label_name(n))
        {
            return Err(ConfigError(format!(
                "{} is not a valid label name",
                go_quote(bad)
            )));
        }
        let regex_given = self.regex.is_some();
        let source_labels_given = self.source_labels.is_some();
        let config = RelabelConfig {
            source_labels: self.source_labels.unwrap_or_default(),
            separator: self
                .separator
                .unwrap_or_else(|| DEFAULT_SEPARATOR.to_owned()),
            target_label: self.target_label.unwrap_or_default(),
            regex: self.regex.unwrap_or_default(),
            modulus: self.modulus.unwrap_or(0),
            replacement: self
                .replacement
                .unwrap_or_else(|| DEFAULT_REPLACEMENT.to_owned()),
            action: self.action.unwrap_or_default(),
            name_validation: scheme,
        };
        config.validate_inner(regex_given, source_labels_given)?;
        Ok(config)
    }
}

impl TryFrom<RawRelabelConfig> for RelabelConfig {
    type Error = ConfigError;

    fn try_from(raw: RawRelabelConfig) -> Result<Self, Self::Error> {
        raw.into_config(NameValidation::Legacy)
    }
}

impl<'de> Deserialize<'de> for RelabelConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawRelabelConfig::deserialize(deserializer)?;
        RelabelConfig::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl RelabelConfig {
    /// Prometheus' `Config.Validate`, with a regex other than `(.*)` counting as "set" and a
    /// non-empty `source_labels` counting as "set".
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_inner(
            self.regex.as_str() != DEFAULT_REGEX,
            !self.source_labels.is_empty(),
        )
    }

    fn validate_inner(&self, regex_set: bool, source_labels_set: bool) -> Result<(), ConfigError> {
        use Action::*;
        let a = self.action;
        let scheme = self.name_validation;
        let err = |m: String| Err(ConfigError(m));
        let invalid_target = || {
            err(format!(
                "{} is invalid 'target_label' for {a} action",
                go_quote(&self.target_label)
            ))
        };
        if self.modulus == 0 && a == HashMod {
            return err("relabel configuration for hashmod requires non-zero modulus".to_owned());
        }
        let needs_target = matches!(
            a,
            Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
        );
        if needs_target && self.target_label.is_empty() {
            return err(format!(
                "relabel configuration for {a} action requires 'target_label' value"
            ));
        }
        let has_var = self.target_label.contains('$');
        if a == Replace && !has_var && !scheme.is_valid_label_name(&self.target_label) {
            return invalid_target();
        }
        if a == Replace && has_var && !scheme.is_valid_name_with_vars(&self.target_label) {
            return invalid_target();
        }
        let plain_target = matches!(a, Lowercase | Uppercase | KeepEqual | DropEqual);
        if plain_target && !scheme.is_valid_label_name(&self.target_label) {
            return invalid_target();
        }
        if plain_target && self.replacement != DEFAULT_REPLACEMENT {
            return err(format!("'replacement' can not be set for {a} action"));
        }
        if a == LabelMap && !scheme.is_valid_name_with_vars(&self.replacement) {
            return err(format!(
                "{} is invalid 'replacement' for {a} action",
                go_quote(&self.replacement)
            ));
        }
        if a == HashMod && !scheme.is_valid_label_name(&self.target_label) {
            return invalid_target();
        }
        if matches!(a, KeepEqual | DropEqual)
            && (regex_set
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return err(format!(
                "{a} action requires only 'source_labels' and `target_label`, and no other fields"
            ));
        }
        if matches!(a, LabelDrop | LabelKeep)
            && (source_labels_set
                || !self.target_label.is_empty()
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return err(format!(
                "{a} action requires only 'regex', and no other fields"
            ));
        }
        Ok(())
    }
}

/// Go's `%q` (`strconv.Quote`) for the strings that appear in messages.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0B' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7F' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let v = c as u32;
                if v <= 0xFFFF {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

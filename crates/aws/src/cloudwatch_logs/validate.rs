//! The config checks shared by `awsemf` and `awscloudwatchlogs` (upstream
//! `internal/aws/cwlogs/utils.go`), with upstream's messages verbatim.

use std::collections::BTreeMap;

/// The `log_retention` values upstream accepts (days; 0 = never expire).
pub const RETENTION_DAYS: &[i64] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 2192, 2557, 2922, 3288,
    3653,
];

/// `cwlogs.ValidateRetentionValue`.
pub fn validate_retention(days: i64) -> Result<(), String> {
    if RETENTION_DAYS.contains(&days) {
        Ok(())
    } else {
        Err("invalid value for retention policy.  Please make sure to use the following values: 0 (Never Expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 2192, 2557, 2922, 3288, or 3653".into())
    }
}

const KEY_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$";
const VALUE_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

/// `cwlogs.ValidateTagsInput`: `None` (no `tags` key) is fine; a present but empty map is not;
/// at most 50 tags; keys 1–128 and values 1–256 bytes of letters, separators, numbers and
/// `_.:/=+-@`. (Upstream's message omits the space before the pattern; kept.)
pub fn validate_tags(tags: Option<&BTreeMap<String, String>>) -> Result<(), String> {
    let Some(tags) = tags else { return Ok(()) };
    if tags.is_empty() {
        return Err(
            "invalid amount of items. Please input at least 1 tag or remove the tag field".into(),
        );
    }
    if tags.len() > 50 {
        return Err("invalid amount of items. Please input at most 50 tags".into());
    }
    let allowed =
        |c: char| c.is_alphabetic() || c.is_numeric() || is_separator(c) || "_.:/=+-@".contains(c);
    for (key, value) in tags {
        if key.is_empty() || key.len() > 128 {
            return Err(format!(
                "key - {key} has an invalid length. Please use keys with a length of 1 to 128 characters"
            ));
        }
        if value.is_empty() || value.len() > 256 {
            return Err(format!(
                "value - {value} has an invalid length. Please use values with a length of 1 to 256 characters"
            ));
        }
        if !key.chars().all(allowed) {
            return Err(format!(
                "key - {key} does not follow the regex pattern{KEY_PATTERN}"
            ));
        }
        if !value.chars().all(allowed) {
            return Err(format!(
                "value - {value} does not follow the regex pattern{VALUE_PATTERN}"
            ));
        }
    }
    Ok(())
}

/// Unicode category Z (space, line and paragraph separators).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn retention_values_are_upstreams() {
        for d in RETENTION_DAYS {
            assert!(validate_retention(*d).is_ok());
        }
        let err = validate_retention(2).unwrap_err();
        assert!(err.starts_with("invalid value for retention policy.  Please make sure"));
        assert!(validate_retention(-1).is_err());
    }

    #[test]
    fn tags_follow_upstreams_rules_and_messages() {
        assert!(validate_tags(None).is_ok());
        assert_eq!(
            validate_tags(Some(&BTreeMap::new())).unwrap_err(),
            "invalid amount of items. Please input at least 1 tag or remove the tag field"
        );
        assert!(validate_tags(Some(&tags(&[("team a", "x_y.z:/=+-@ é 1")]))).is_ok());
        assert_eq!(
            validate_tags(Some(&tags(&[("a*b", "v")]))).unwrap_err(),
            r"key - a*b does not follow the regex pattern^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"
        );
        assert_eq!(
            validate_tags(Some(&tags(&[("k", "")]))).unwrap_err(),
            "value -  has an invalid length. Please use values with a length of 1 to 256 characters"
        );
        assert!(
            validate_tags(Some(&tags(&[(&"k".repeat(129), "v")])))
                .unwrap_err()
                .contains("has an invalid length")
        );
        let many: BTreeMap<String, String> = (0..51)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert_eq!(
            validate_tags(Some(&many)).unwrap_err(),
            "invalid amount of items. Please input at most 50 tags"
        );
    }
}

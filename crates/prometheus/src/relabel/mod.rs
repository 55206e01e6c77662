//! Prometheus relabelling (`model/relabel/relabel.go`, Prometheus 3.x): configuration with
//! Prometheus' defaults and validation messages, Go RE2-compatible anchored regexes, Go
//! `Regexp.ExpandString` templates, and [`process`] applying rules to a label set.
//!
//! Semantics, per action (the input value is the `source_labels` values joined by
//! `separator`, a missing label reading as `""`):
//! - `replace`: if the regex fully matches, `target_label` and `replacement` are expanded;
//!   an expanded target that is not a valid label name skips the rule; an empty result
//!   deletes the target label. No match: no-op.
//! - `keep`/`drop`: full match of the value decides.
//! - `keepequal`/`dropequal`: compare the value with the current value of `target_label`.
//! - `hashmod`: md5 of the value, last 8 bytes as a big-endian u64, modulo `modulus`.
//! - `labelmap`: each label whose *name* matches is copied (originals kept) to the name
//!   `replacement` expands to, in name order over the label set as it was before the rule.
//! - `labeldrop`/`labelkeep`: names that match are dropped / kept.
//! - `lowercase`/`uppercase`: `target_label` = the case-mapped value, per character with Go's
//!   simple case mapping (`ß` stays `ß`, `İ` lowercases to `i`, no final-sigma rule).
//!
//! Setting a label to an empty value deletes it, as Prometheus' `labels.Builder`.
//! `$$` in configs: collector-mode `$$` → `$` unescaping happens before these configs are
//! parsed (confmap); here `$$` is Go template syntax for a literal `$`.

mod config;
mod labels;
mod regex;

#[cfg(test)]
mod tests;

pub use config::{
    Action, ConfigError, DEFAULT_REPLACEMENT, DEFAULT_SEPARATOR, NameValidation, RawRelabelConfig,
    RelabelConfig, is_legacy_label_name,
};
pub use labels::Labels;
pub use regex::{DEFAULT_REGEX, Regex, RegexError};

/// Applies `configs` in order (Prometheus' `ProcessBuilder` on a builder holding `labels`).
/// Returns `false` when a rule drops the label set; the labels are then cleared (Prometheus
/// returns `EmptyLabels()`).
///
/// `labels` keeps track of which labels were set since it was built or last
/// [`Labels::commit`]ted, which decides `labelmap`'s order when two names map to the same
/// target, as in Go. Callers emulating Prometheus' scrape path build the scraped labels with
/// [`Labels::from_pairs`] and then `set` the target labels, as `mutateSampleLabels` does.
pub fn process(labels: &mut Labels, configs: &[RelabelConfig]) -> bool {
    for config in configs {
        if !relabel(config, labels) {
            labels.clear();
            return false;
        }
    }
    true
}

fn relabel(cfg: &RelabelConfig, lb: &mut Labels) -> bool {
    let val = match cfg.source_labels.as_slice() {
        [] => String::new(),
        [one] => lb.get(one).to_owned(),
        many => {
            let values: Vec<&str> = many.iter().map(|n| lb.get(n)).collect();
            values.join(&cfg.separator)
        }
    };
    match cfg.action {
        Action::Drop => {
            if cfg.regex.is_match(&val) {
                return false;
            }
        }
        Action::Keep => {
            if !cfg.regex.is_match(&val) {
                return false;
            }
        }
        Action::DropEqual => {
            if lb.get(&cfg.target_label) == val {
                return false;
            }
        }
        Action::KeepEqual => {
            if lb.get(&cfg.target_label) != val {
                return false;
            }
        }
        Action::Replace => {
            // Prometheus' fast path (empty value, default regex, no `$`) gives the same result.
            if let Some(caps) = cfg.regex.captures(&val) {
                let target = cfg.regex.expand(&cfg.target_label, &caps);
                if cfg.name_validation.is_valid_label_name(&target) {
                    let res = cfg.regex.expand(&cfg.replacement, &caps);
                    lb.set(target, res);
                }
            }
        }
        Action::Lowercase => lb.set(cfg.target_label.clone(), go_to_lower(&val)),
        Action::Uppercase => lb.set(cfg.target_label.clone(), go_to_upper(&val)),
        Action::HashMod => {
            let digest = md5::compute(val.as_bytes());
            let mut last = [0u8; 8];
            last.copy_from_slice(&digest.0[8..]);
            let m = u64::from_be_bytes(last) % cfg.modulus.max(1);
            lb.set(cfg.target_label.clone(), m.to_string());
        }
        Action::LabelMap => {
            for (name, value) in lb.builder_range_order() {
                if let Some(caps) = cfg.regex.captures(&name) {
                    let new_name = cfg.regex.expand(&cfg.replacement, &caps);
                    lb.set(new_name, value);
                }
            }
        }
        Action::LabelDrop => lb.retain(|name, _| !cfg.regex.is_match(name)),
        Action::LabelKeep => lb.retain(|name, _| cfg.regex.is_match(name)),
    }
    true
}

/// Go `strings.ToLower`: per-rune `unicode.ToLower` (simple mapping).
fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut it = c.to_lowercase();
            match (it.next(), it.next()) {
                (Some(l), None) => l,
                // Only U+0130 has a multi-char full lowercase; its simple mapping is 'i'.
                _ if c == '\u{130}' => 'i',
                _ => c,
            }
        })
        .collect()
}

/// Go `strings.ToUpper`: per-rune `unicode.ToUpper` (simple mapping). Where Rust's full
/// mapping has several chars (`ß` → `SS`), the simple mapping is the char itself, except the
/// Greek letters with ypogegrammeni, which map to their prosgegrammeni forms.
fn go_to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut it = c.to_uppercase();
            match (it.next(), it.next()) {
                (Some(u), None) => u,
                _ => greek_iota_subscript_upper(c).unwrap_or(c),
            }
        })
        .collect()
}

fn greek_iota_subscript_upper(c: char) -> Option<char> {
    let v = u32::from(c);
    let mapped = match v {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => v + 8,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        _ => return None,
    };
    char::from_u32(mapped)
}

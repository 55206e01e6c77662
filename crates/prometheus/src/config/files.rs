//! `scrape_config_files` globs: Prometheus allows `*` only in the last path segment
//! (`^[^*]*(\*[^/]*)?$`) and expands them with Go's `filepath.Glob` (sorted matches).

use std::path::{Path, PathBuf};

/// Prometheus' `patRulePath` check.
pub(super) fn check_pattern(pattern: &str) -> Result<(), String> {
    let ok = match pattern.find('*') {
        None => true,
        Some(i) => !pattern[i..].contains('/'),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("invalid scrape config file path {pattern:?}"))
    }
}

/// The files matching `pattern`, sorted; a pattern without wildcards matches itself only if
/// the file exists (as `filepath.Glob`).
pub(super) fn glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let path = Path::new(pattern);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return Ok(if path.exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        // Go ignores I/O errors while globbing.
        return Ok(Vec::new());
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name();
            let file = file.to_str()?;
            wildcard_match(name.as_bytes(), file.as_bytes()).then(|| {
                if path.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
                    dir.join(file)
                } else {
                    PathBuf::from(file)
                }
            })
        })
        .collect();
    out.sort();
    Ok(out)
}

/// `filepath.Match` for `*` and `?` (neither matches `/`), and literal bytes.
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(b'?') if name[n] != b'/' => {
                p += 1;
                n += 1;
            }
            Some(&c) if c == name[n] && c != b'*' && c != b'?' => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) if name[sn] != b'/' => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                _ => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(check_pattern("conf.d/*.yml").is_ok());
        assert!(check_pattern("a/b.yml").is_ok());
        assert_eq!(
            check_pattern("*/x.yml").unwrap_err(),
            r#"invalid scrape config file path "*/x.yml""#
        );
        assert!(wildcard_match(b"*.yml", b"a.yml"));
        assert!(wildcard_match(b"job-?.yml", b"job-1.yml"));
        assert!(!wildcard_match(b"*.yml", b"a.yaml"));
        assert!(wildcard_match(b"*", b"anything"));
    }

    #[test]
    fn globs_sorted() {
        let dir = std::env::temp_dir().join(format!("ferrocol-glob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["b.yml", "a.yml", "c.txt"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let pattern = format!("{}/*.yml", dir.display());
        let got = glob(&pattern).unwrap();
        assert_eq!(got, vec![dir.join("a.yml"), dir.join("b.yml")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

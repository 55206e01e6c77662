//! `file:` — reads a local file (upstream `fileprovider`).

use std::io;

use super::{BoxFuture, Provider, strip_scheme};
use crate::error::ConfmapError;
use crate::retrieved::Retrieved;

#[derive(Debug, Clone, Copy, Default)]
pub struct FileProvider;

impl Provider for FileProvider {
    fn scheme(&self) -> &str {
        "file"
    }

    fn retrieve<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Retrieved, ConfmapError>> {
        Box::pin(async move {
            let path = strip_scheme(uri, "file")?;
            let content = tokio::fs::read(path).await.map_err(|e| {
                ConfmapError::new(format!(
                    "unable to read the file {uri}: {}",
                    go_io_error(path, &e)
                ))
            })?;
            Ok(Retrieved::from_yaml(&content))
        })
    }
}

/// Go's `*PathError` text (`open /x: no such file or directory`), so messages match upstream.
fn go_io_error(path: &str, e: &io::Error) -> String {
    let (op, what) = match e.kind() {
        io::ErrorKind::NotFound => ("open", "no such file or directory".to_string()),
        io::ErrorKind::PermissionDenied => ("open", "permission denied".to_string()),
        io::ErrorKind::IsADirectory => ("read", "is a directory".to_string()),
        _ => ("read", e.to_string()),
    };
    format!("{op} {path}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_yaml_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("c.yaml");
        std::fs::write(&p, "a: 1\n").expect("write");
        let uri = format!("file:{}", p.display());
        let r = FileProvider.retrieve(&uri).await.expect("ok");
        assert_eq!(
            r.raw().and_then(|n| n.get("a")),
            Some(&crate::Node::from(1))
        );
    }

    #[tokio::test]
    async fn missing_file_uses_go_wording() {
        let err = FileProvider
            .retrieve("file:/nonexistent/otel.yaml")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unable to read the file file:/nonexistent/otel.yaml: open /nonexistent/otel.yaml: no such file or directory"
        );
        let err = FileProvider.retrieve("env:X").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"env:X\" uri is not supported by \"file\" provider"
        );
    }
}

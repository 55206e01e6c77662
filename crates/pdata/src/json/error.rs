//! The error the OTLP/JSON reader returns.
//!
//! A receiver answers a bad request with this text, so it says where the problem is twice over: as
//! the JSON path of the field being read (what a user can find in their own payload) and as the
//! byte offset, line and column serde_json reported (what a tool can point at).

use std::fmt;

/// One step of the path to the field being read: an object key or an array index.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Segment {
    Field(&'static str),
    Index(usize),
}

/// Why an OTLP/JSON document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    path: String,
    message: String,
    line: usize,
    column: usize,
    offset: Option<usize>,
}

impl JsonError {
    pub(crate) fn from_serde(err: &serde_json::Error, path: &[Segment], input: &[u8]) -> Self {
        let line = err.line();
        let column = err.column();
        // serde_json's Display appends " at line L column C"; the position is kept separately.
        let mut message = err.to_string();
        if line != 0 {
            let suffix = format!(" at line {line} column {column}");
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message.truncate(stripped.len());
            }
        }
        JsonError {
            path: format_path(path),
            message,
            line,
            column,
            offset: byte_offset(input, line, column),
        }
    }

    /// The JSON path of the field being read when the error happened, e.g.
    /// `resourceSpans[0].scopeSpans[1].spans[3].traceId`; empty at the top level.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What went wrong, without the path and position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset into the input of the last byte the reader consumed before failing (for
    /// a bad value, its last byte), when known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// 1-based line and column at which the reader stopped (0 when unknown).
    pub fn line_column(&self) -> (usize, usize) {
        (self.line, self.column)
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(offset) = self.offset {
            write!(
                f,
                " (at byte {offset}, line {} column {})",
                self.line, self.column
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}

fn format_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// serde_json reports a 1-based line and the 1-based byte column of the last byte it consumed;
/// turn them back into an offset into the input.
fn byte_offset(input: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        input
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    Some((line_start + column.saturating_sub(1)).min(input.len()))
}

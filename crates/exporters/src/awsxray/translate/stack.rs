//! Stack traces from `exception.stacktrace`, per `telemetry.sdk.language` (upstream
//! `cause.go fill*Stacktrace`): Java (and PHP, which formats like Java) with `Caused by:`
//! chains, Python with `During handling of the above exception` chains (read bottom-up),
//! JavaScript, .NET and Go. Another language, or an empty stack, gives the exception alone.

use aws::xray::{Exception, StackFrame};

use super::IdSource;

/// The exception and, for chained causes, one more exception per cause, each pointing at the
/// next through `cause`.
pub fn parse_exception(
    kind: &str,
    message: &str,
    stacktrace: &str,
    remote: bool,
    language: &str,
    ids: &IdSource,
) -> Vec<Exception> {
    let mut exceptions = vec![Exception {
        id: Some(ids.next_hex()),
        kind: Some(kind.to_string()),
        remote: Some(remote),
        message: Some(message.to_string()),
        ..Default::default()
    }];
    if stacktrace.is_empty() {
        return exceptions;
    }
    match language {
        "java" | "php" => java(stacktrace, &mut exceptions, ids),
        "python" => python(stacktrace, &mut exceptions, ids),
        "javascript" => javascript(stacktrace, &mut exceptions),
        "dotnet" => dotnet(stacktrace, &mut exceptions),
        "go" => go(stacktrace, &mut exceptions),
        _ => {}
    }
    exceptions
}

fn frame(path: &str, line: i64, label: &str) -> StackFrame {
    StackFrame {
        path: Some(path.to_string()),
        line: Some(line),
        label: Some(label.to_string()),
    }
}

/// Lines as Go's `textproto.Reader.ReadLine` yields them (`\r\n` or `\n`, trailing `\r` cut).
fn lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    // A final newline does not start another line.
    if s.ends_with('\n') {
        v.pop();
    }
    v
}

/// Appends a cause exception and links the previous current one to it.
fn push_cause(
    exceptions: &mut Vec<Exception>,
    current: usize,
    kind: String,
    message: String,
    ids: &IdSource,
) -> usize {
    let id = ids.next_hex();
    let remote = exceptions[0].remote;
    exceptions.push(Exception {
        id: Some(id.clone()),
        kind: Some(kind),
        remote,
        message: Some(message),
        ..Default::default()
    });
    exceptions[current].cause = Some(id);
    exceptions.len() - 1
}

fn java_frame(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("\tat ")?;
    (rest.contains('(') && rest.ends_with(')')).then_some(rest)
}

fn java(stacktrace: &str, exceptions: &mut Vec<Exception>, ids: &IdSource) {
    let lines = lines(stacktrace);
    // The first line is the top-level type and message.
    if lines.len() < 2 {
        return;
    }
    let mut current = 0;
    let mut i = 1;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = java_frame(line) {
            let paren = rest.find('(').unwrap_or(0);
            let mut label = &rest[..paren];
            if let Some(slash) = label.find('/') {
                // A class loader or module prefix.
                label = &label[slash + 1..];
            }
            let mut path = &rest[paren + 1..rest.len() - 1];
            let mut number = 0;
            if let Some(colon) = path.find(':') {
                number = path[colon + 1..].parse().unwrap_or(0);
                path = &path[..colon];
            }
            exceptions[current].stack.push(frame(path, number, label));
        } else if let Some(cause) = line.strip_prefix("Caused by: ") {
            let (kind, mut message) = match cause.find(':') {
                Some(c) => (
                    cause[..c].to_string(),
                    cause.get(c + 2..).unwrap_or("").to_string(),
                ),
                None => (cause.to_string(), String::new()),
            };
            // The message may span lines, up to the next stack frame.
            i += 1;
            while i < lines.len() && java_frame(lines[i]).is_none() {
                message.push_str(lines[i]);
                i += 1;
            }
            current = push_cause(exceptions, current, kind, message, ids);
            continue;
        }
        // `... n more` and `Suppressed:` blocks are skipped.
        i += 1;
    }
}

fn python(stacktrace: &str, exceptions: &mut Vec<Exception>, ids: &IdSource) {
    // Python tracebacks read bottom-up; the last line is the top-level exception.
    let lines: Vec<&str> = stacktrace.split('\n').collect();
    if lines.len() < 2 {
        return;
    }
    let mut idx = lines.len() as isize - 2;
    let mut current = 0;
    while idx >= 0 {
        let line = lines[idx as usize];
        if let Some(rest) = line.strip_prefix("  File ") {
            let parts: Vec<&str> = rest.split(',').collect();
            if parts.len() == 3 {
                let file = parts[0].trim_start_matches('"').trim_end_matches('"');
                let number = parts[1]
                    .strip_prefix(" line ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let label = parts[2].strip_prefix(" in ").unwrap_or("");
                exceptions[current].stack.push(frame(file, number, label));
            }
        } else if line
            .starts_with("During handling of the above exception, another exception occurred:")
        {
            // The message of the exception being handled ends two lines above, and starts two
            // lines below the nearest `  File` line above it.
            let mut next_file = idx - 1;
            while next_file >= 0 && !lines[next_file as usize].starts_with("  File ") {
                next_file -= 1;
            }
            if next_file < 0 {
                return;
            }
            let from = (next_file + 2) as usize;
            let to = (idx - 1).max(0) as usize;
            let message = if from < to {
                lines[from..to].join("\n")
            } else {
                String::new()
            };
            let Some(colon) = message.find(':') else {
                return;
            };
            let kind = message[..colon].to_string();
            let text = message.get(colon + 2..).unwrap_or("").to_string();
            current = push_cause(exceptions, current, kind, text, ids);
            idx = next_file;
            continue;
        }
        idx -= 1;
    }
}

fn javascript(stacktrace: &str, exceptions: &mut [Exception]) {
    for line in lines(stacktrace).into_iter().skip(1) {
        let Some(rest) = line.strip_prefix("    at ") else {
            continue;
        };
        let (label, mut path) = match rest.find('(') {
            Some(p) if rest.ends_with(')') => (&rest[..p], &rest[p + 1..rest.len() - 1]),
            Some(_) => ("", ""),
            None => ("", rest),
        };
        let mut number = 0;
        let first = path.find(':');
        let second = first.and_then(|f| path[f + 1..].find(':').map(|s| s + f + 1));
        match (first, second) {
            (Some(f), Some(s)) => {
                number = path[f + 1..s].parse().unwrap_or(0);
                path = &path[..f];
            }
            (None, _) if path.contains("native") => path = "native",
            _ => {}
        }
        if !path.is_empty() || !label.is_empty() || number != 0 {
            exceptions[0].stack.push(frame(path, number, label));
        }
    }
}

fn dotnet(stacktrace: &str, exceptions: &mut [Exception]) {
    for line in lines(stacktrace).into_iter().skip(1) {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("at ") else {
            continue;
        };
        if let Some(pos) = rest.find(" in ") {
            let label = &rest[..pos];
            let mut path = rest[pos + 4..].split(" in ").next().unwrap_or("");
            let mut number = 0;
            if let Some(colon) = path.rfind(':') {
                let n = &path[colon + 1..];
                let n = n.strip_prefix("line ").unwrap_or(n);
                number = n.trim().parse().unwrap_or(0);
                path = &path[..colon];
            }
            exceptions[0].stack.push(frame(path, number, label));
        } else if let Some(close) = line.rfind(')') {
            exceptions[0]
                .stack
                .push(frame("", 0, &line["at ".len()..=close]));
        }
    }
}

fn go(stacktrace: &str, exceptions: &mut [Exception]) {
    let lines = lines(stacktrace);
    if lines.len() < 2 {
        return;
    }
    let mut i = 1;
    let (mut path, mut number) = (String::new(), 0i64);
    while i < lines.len() {
        if lines[i].starts_with("goroutine ")
            && lines[i].contains("running")
            && lines[i].ends_with(':')
        {
            i += 1;
        }
        let label = lines.get(i).copied().unwrap_or("");
        let location = lines.get(i + 1).copied().unwrap_or("");
        if let Some((p, n)) = go_location(location) {
            path = p.to_string();
            number = n;
        }
        exceptions[0].stack.push(frame(&path, number, label));
        i += 2;
    }
}

/// The first `path:line` in a Go frame's location line (`\t/src/x.go:12 +0x1d`).
fn go_location(line: &str) -> Option<(&str, i64)> {
    for token in line.split_whitespace() {
        if let Some((p, n)) = token.rsplit_once(':')
            && !p.is_empty()
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            return Some((p, n.parse().ok()?));
        }
    }
    None
}

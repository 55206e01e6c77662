//! The relabelling regex: Go RE2 syntax (`regexp/syntax` with Perl flags, as Prometheus'
//! `grafana/regexp`), anchored as Prometheus 3.x does (`^(?s:<re>)$`), compiled with Rust's
//! `regex` after a translation pre-pass, plus Go's `Regexp.ExpandString` template expansion.
//!
//! The pre-pass makes the two engines agree where their syntaxes diverge:
//! - Perl classes are ASCII in Go: `\d` → `[0-9]`, `\w` → `[0-9A-Za-z_]`,
//!   `\s` → `[\t\n\f\r ]` (no `\v`), negations likewise; `\b`/`\B` → `(?-u:\b)`/`(?-u:\B)`.
//! - `\Q…\E` quoting (Go only) becomes escaped literals.
//! - Escaped ASCII punctuation is always a literal in Go (`\<` and `\>` are word boundaries in
//!   Rust); octal escapes (`\0`, `\012`) are Go-only.
//! - Character classes are re-emitted item by item, so Rust's nested classes and set operators
//!   (`[a[]`, `&&`, `--`, `~~`) never see Go's literal `[`, `&`, `-` and `~`.
//! - A `{` that does not start a valid repeat is a literal in Go (Rust rejects `a{`).
//! - `\p{^Greek}` (Go's negation spelling) becomes `\P{Greek}`; an empty `(?)` is dropped.
//! - Rejected as Go rejects them: repeat counts over 1000 or with min > max (`invalid repeat
//!   count`), stacked repetition (`a**`, `a{2}{3}`: `invalid nested repetition operator`),
//!   flags other than `imsU` (`(?x)`: `invalid or unsupported Perl syntax`), capture names
//!   other than `[A-Za-z0-9_]+` (`invalid named capture`), unknown escapes such as `\C`, `\Z`,
//!   `\e`, `\G`, `\<letter>` (`invalid escape sequence`), `\1`..`\7` backreferences.
//!
//! Known residual differences: Go's check on nested repeat products (`(a{1000}){1000}`) and its
//! program size limits are not reproduced (Rust's `size_limit` is raised to 64 MiB instead);
//! Unicode table versions may differ; the set of `\p{…}` names Rust accepts is larger than Go's;
//! error messages for syntax errors found by Rust (not by the pre-pass) are Rust's.

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer};

/// The default relabel regex source.
pub const DEFAULT_REGEX: &str = "(.*)";

/// An anchored relabelling regex that remembers its source text.
#[derive(Clone)]
pub struct Regex {
    source: String,
    re: regex::Regex,
}

impl Regex {
    /// Compiles `source` as Prometheus does: Go syntax, anchored as `^(?s:<source>)$`.
    pub fn new(source: &str) -> Result<Self, RegexError> {
        let wrapped = format!("^(?s:{source})$");
        let translated = translate(&wrapped)?;
        let re = regex::RegexBuilder::new(&translated)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| RegexError(format!("error parsing regexp: {e}")))?;
        Ok(Self {
            source: source.to_owned(),
            re,
        })
    }

    /// The configured (unanchored) source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Full-match test (the regex is anchored).
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    /// The captures of a full match, if any.
    pub fn captures<'h>(&self, s: &'h str) -> Option<regex::Captures<'h>> {
        self.re.captures(s)
    }

    /// Go's `Regexp.ExpandString(nil, template, src, match)`: `$1`, `${1}`, `$name`,
    /// `${name}`, `$$` → `$`; the longest run of letters, digits and `_` after `$` is the name,
    /// so `$1x` is the group named `1x`; numbers with leading zeros (`$01`) are names too; an
    /// unknown or unmatched group expands to nothing; a malformed `$` is literal.
    pub fn expand(&self, template: &str, caps: &regex::Captures<'_>) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            rest = &rest[pos + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                out.push('$');
                rest = after;
                continue;
            }
            let Some((name, num, after)) = extract(rest) else {
                out.push('$');
                continue;
            };
            rest = after;
            let group = match num {
                Some(n) => caps.get(n),
                None => caps.name(name),
            };
            if let Some(m) = group {
                out.push_str(m.as_str());
            }
        }
        out.push_str(rest);
        out
    }
}

/// Go's `extract`: parses `name` or `{name}` at the start of `s`; returns the name, its group
/// number when it is a number without leading zeros below 10^8ish, and the rest.
fn extract(s: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !is_go_name_char(c))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let rest = if brace {
        body[end..].strip_prefix('}')?
    } else {
        &body[end..]
    };
    let mut num: Option<usize> = Some(0);
    for b in name.bytes() {
        num = match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => {
                Some(n * 10 + usize::from(b - b'0'))
            }
            _ => None,
        };
    }
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((name, num, rest))
}

/// Go's `unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'`.
fn is_go_name_char(c: char) -> bool {
    static LETTER_OR_DIGIT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{Nd}]$").expect("static regex compiles"));
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let mut buf = [0u8; 4];
    LETTER_OR_DIGIT.is_match(c.encode_utf8(&mut buf))
}

impl Default for Regex {
    fn default() -> Self {
        Self::new(DEFAULT_REGEX).expect("default relabel regex compiles")
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Regex {}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Regex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Regex::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A regex that does not compile; the message reads like Go's (`error parsing regexp: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError(pub String);

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegexError {}

fn syntax_err(code: &str, frag: &str) -> RegexError {
    RegexError(format!("error parsing regexp: {code}: `{frag}`"))
}

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\x0C\r ";
const POSIX: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// One escape sequence, as Go's parser reads it.
enum Piece {
    Char(char),
    /// A Perl class as Rust class items, and whether it is negated.
    Perl(&'static str, bool),
    /// `\pX` / `\p{…}` text, passed through.
    Unicode(String),
    /// An assertion (outside classes only), already in Rust syntax.
    Assert(&'static str),
    /// `\Q…\E` contents.
    Quoted(String),
}

/// Appends a literal character in a form Rust reads the same inside and outside classes.
fn push_lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    }
}

struct Translator<'a> {
    cs: Vec<char>,
    i: usize,
    src: &'a str,
}

/// Translates a Go regexp into Rust `regex` syntax with the same meaning (see module docs).
fn translate(src: &str) -> Result<String, RegexError> {
    let mut t = Translator {
        cs: src.chars().collect(),
        i: 0,
        src,
    };
    t.run()
}

impl Translator<'_> {
    fn peek(&self, off: usize) -> Option<char> {
        self.cs.get(self.i + off).copied()
    }

    fn frag(&self, from: usize, to: usize) -> String {
        self.cs[from..to.min(self.cs.len())].iter().collect()
    }

    fn run(&mut self) -> Result<String, RegexError> {
        let mut out = String::with_capacity(self.src.len() + 16);
        let mut last_repeat = false;
        while let Some(c) = self.peek(0) {
            let start = self.i;
            match c {
                '*' | '+' | '?' => {
                    self.i += 1;
                    let mut op = c.to_string();
                    if self.peek(0) == Some('?') {
                        self.i += 1;
                        op.push('?');
                    }
                    if last_repeat {
                        return Err(syntax_err(
                            "invalid nested repetition operator",
                            &self.frag(start.saturating_sub(1), self.i),
                        ));
                    }
                    out.push_str(&op);
                    last_repeat = true;
                    continue;
                }
                '{' => {
                    if let Some((min, max, end)) = self.parse_repeat() {
                        let bad_max = max.is_some_and(|m| m > 1000 || m < min);
                        self.i = end;
                        let mut op = self.frag(start, end);
                        if self.peek(0) == Some('?') {
                            self.i += 1;
                            op.push('?');
                        }
                        if min > 1000 || bad_max {
                            return Err(syntax_err("invalid repeat count", &op));
                        }
                        if last_repeat {
                            return Err(syntax_err("invalid nested repetition operator", &op));
                        }
                        out.push_str(&op);
                        last_repeat = true;
                        continue;
                    }
                    self.i += 1;
                    out.push_str(r"\{");
                }
                '}' | ']' => {
                    self.i += 1;
                    push_lit(&mut out, c);
                }
                '[' => self.class(&mut out)?,
                '(' => self.group(&mut out)?,
                '\\' => {
                    self.i += 1;
                    match self.escape(false)? {
                        Piece::Char(ch) => push_lit(&mut out, ch),
                        Piece::Perl(set, neg) => {
                            out.push_str(if neg { "[^" } else { "[" });
                            out.push_str(set);
                            out.push(']');
                        }
                        Piece::Unicode(text) => out.push_str(&text),
                        Piece::Assert(text) => out.push_str(text),
                        Piece::Quoted(text) => {
                            if text.is_empty() {
                                // Go: an empty `\Q\E` is no operand; keep repetition rules.
                                continue;
                            }
                            for ch in text.chars() {
                                push_lit(&mut out, ch);
                            }
                        }
                    }
                }
                _ => {
                    self.i += 1;
                    if c.is_ascii_alphanumeric()
                        || !c.is_ascii()
                        || matches!(c, '.' | '^' | '$' | '|' | ')')
                    {
                        out.push(c);
                    } else {
                        push_lit(&mut out, c);
                    }
                }
            }
            last_repeat = false;
        }
        Ok(out)
    }

    /// `{n}`, `{n,}` or `{n,m}` at the cursor: (min, max, index after `}`).
    fn parse_repeat(&self) -> Option<(u64, Option<u64>, usize)> {
        let mut j = self.i + 1;
        let digits = |j: &mut usize| -> Option<u64> {
            let from = *j;
            while self.cs.get(*j).is_some_and(char::is_ascii_digit) {
                *j += 1;
            }
            if *j == from {
                return None;
            }
            // Saturate: anything this large is over the 1000 limit anyway.
            let s: String = self.cs[from..*j].iter().collect();
            Some(s.parse().unwrap_or(u64::MAX))
        };
        let min = digits(&mut j)?;
        let max = if self.cs.get(j) == Some(&',') {
            j += 1;
            if self.cs.get(j) == Some(&'}') {
                None
            } else {
                Some(digits(&mut j)?)
            }
        } else {
            Some(min)
        };
        (self.cs.get(j) == Some(&'}')).then_some((min, max, j + 1))
    }

    fn group(&mut self, out: &mut String) -> Result<(), RegexError> {
        let start = self.i;
        self.i += 1;
        if self.peek(0) != Some('?') {
            out.push('(');
            return Ok(());
        }
        let name_start = match (self.peek(1), self.peek(2)) {
            (Some('P'), Some('<')) => Some(3),
            (Some('<'), _) => Some(2),
            _ => None,
        };
        if let Some(skip) = name_start {
            let from = self.i + skip;
            let Some(len) = self.cs[from..].iter().position(|&c| c == '>') else {
                return Err(syntax_err(
                    "invalid named capture",
                    &self.frag(start, self.cs.len()),
                ));
            };
            let name: String = self.cs[from..from + len].iter().collect();
            self.i = from + len + 1;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(syntax_err(
                    "invalid named capture",
                    &self.frag(start, self.i),
                ));
            }
            out.push_str("(?P<");
            out.push_str(&name);
            out.push('>');
            return Ok(());
        }
        // Flags: (?flags) or (?flags:
        let mut j = self.i + 1;
        let mut seen_minus = false;
        let mut any = false;
        loop {
            match self.cs.get(j) {
                Some(')' | ':') => {
                    // Go rejects a `-` with no flag after it: `(?-)`, `(?i-:`.
                    if seen_minus && !any {
                        return Err(syntax_err(
                            "invalid or unsupported Perl syntax",
                            &self.frag(start, j + 1),
                        ));
                    }
                    j += 1;
                    break;
                }
                Some('i' | 'm' | 's' | 'U') => {
                    any = true;
                    j += 1;
                }
                Some('-') if !seen_minus => {
                    seen_minus = true;
                    any = false;
                    j += 1;
                }
                _ => {
                    return Err(syntax_err(
                        "invalid or unsupported Perl syntax",
                        &self.frag(start, (j + 1).min(self.cs.len())),
                    ));
                }
            }
        }
        // Go accepts an empty `(?)` as a no-op; Rust rejects it.
        if self.cs[start + 2] != ')' {
            out.push_str(&self.frag(start, j));
        }
        self.i = j;
        Ok(())
    }

    fn class(&mut self, out: &mut String) -> Result<(), RegexError> {
        let start = self.i;
        self.i += 1;
        out.push('[');
        if self.peek(0) == Some('^') {
            self.i += 1;
            out.push('^');
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(syntax_err(
                    "missing closing ]",
                    &self.frag(start, self.cs.len()),
                ));
            };
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == '[' && self.peek(1) == Some(':') {
                let from = self.i + 2;
                let close = self.cs[from..]
                    .windows(2)
                    .position(|w| w == [':', ']'])
                    .map(|p| from + p);
                if let Some(close) = close {
                    let name: String = self.cs[from..close].iter().collect();
                    let bare = name.strip_prefix('^').unwrap_or(&name);
                    if !POSIX.contains(&bare) {
                        return Err(syntax_err(
                            "invalid character class range",
                            &self.frag(self.i, close + 2),
                        ));
                    }
                    out.push_str("[:");
                    out.push_str(&name);
                    out.push_str(":]");
                    self.i = close + 2;
                    continue;
                }
            }
            let item_start = self.i;
            let lo = if c == '\\' {
                self.i += 1;
                match self.escape(true)? {
                    Piece::Char(ch) => ch,
                    Piece::Perl(set, neg) => {
                        if neg {
                            out.push_str("[^");
                            out.push_str(set);
                            out.push(']');
                        } else {
                            out.push_str(set);
                        }
                        continue;
                    }
                    Piece::Unicode(text) => {
                        out.push_str(&text);
                        continue;
                    }
                    Piece::Assert(_) | Piece::Quoted(_) => {
                        return Err(syntax_err(
                            "invalid escape sequence",
                            &self.frag(item_start, self.i),
                        ));
                    }
                }
            } else {
                self.i += 1;
                c
            };
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|n| n != ']') {
                self.i += 1;
                let hi = match self.peek(0) {
                    Some('\\') => {
                        self.i += 1;
                        match self.escape(true)? {
                            Piece::Char(ch) => ch,
                            _ => {
                                return Err(syntax_err(
                                    "invalid character class range",
                                    &self.frag(item_start, self.i),
                                ));
                            }
                        }
                    }
                    Some(ch) => {
                        self.i += 1;
                        ch
                    }
                    None => {
                        return Err(syntax_err(
                            "missing closing ]",
                            &self.frag(start, self.cs.len()),
                        ));
                    }
                };
                if hi < lo {
                    return Err(syntax_err(
                        "invalid character class range",
                        &self.frag(item_start, self.i),
                    ));
                }
                push_lit(out, lo);
                out.push('-');
                push_lit(out, hi);
            } else {
                push_lit(out, lo);
            }
        }
        out.push(']');
        Ok(())
    }

    /// Reads one escape; the cursor is just after the backslash.
    fn escape(&mut self, in_class: bool) -> Result<Piece, RegexError> {
        let start = self.i - 1;
        let Some(c) = self.peek(0) else {
            return Err(RegexError(
                "error parsing regexp: trailing backslash at end of expression: ``".to_owned(),
            ));
        };
        self.i += 1;
        let invalid = |t: &Self| syntax_err("invalid escape sequence", &t.frag(start, t.i));
        let piece = match c {
            '1'..='7' if !self.peek(0).is_some_and(|d| ('0'..='7').contains(&d)) => {
                return Err(invalid(self));
            }
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0).and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.i += 1;
                        }
                        None => break,
                    }
                }
                Piece::Char(char::from_u32(v).ok_or_else(|| invalid(self))?)
            }
            'x' => {
                let v = if self.peek(0) == Some('{') {
                    let from = self.i + 1;
                    let len = self.cs[from..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or_else(|| invalid(self))?;
                    let hex: String = self.cs[from..from + len].iter().collect();
                    self.i = from + len + 1;
                    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(invalid(self));
                    }
                    u32::from_str_radix(&hex, 16).map_err(|_| invalid(self))?
                } else {
                    let hex: String = self.cs[self.i..(self.i + 2).min(self.cs.len())]
                        .iter()
                        .collect();
                    if hex.len() != 2 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        self.i = (self.i + 2).min(self.cs.len());
                        return Err(invalid(self));
                    }
                    self.i += 2;
                    u32::from_str_radix(&hex, 16).map_err(|_| invalid(self))?
                };
                Piece::Char(char::from_u32(v).ok_or_else(|| invalid(self))?)
            }
            'a' => Piece::Char('\x07'),
            'f' => Piece::Char('\x0C'),
            't' => Piece::Char('\t'),
            'n' => Piece::Char('\n'),
            'r' => Piece::Char('\r'),
            'v' => Piece::Char('\x0B'),
            'd' => Piece::Perl(DIGIT, false),
            'D' => Piece::Perl(DIGIT, true),
            'w' => Piece::Perl(WORD, false),
            'W' => Piece::Perl(WORD, true),
            's' => Piece::Perl(SPACE, false),
            'S' => Piece::Perl(SPACE, true),
            'p' | 'P' => {
                let mut text = format!("\\{c}");
                match self.peek(0) {
                    Some('{') => {
                        let from = self.i;
                        let len = self.cs[from..]
                            .iter()
                            .position(|&c| c == '}')
                            .ok_or_else(|| invalid(self))?;
                        let body = self.frag(from + 1, from + len);
                        self.i = from + len + 1;
                        // Go's `\p{^Greek}` negation is `\P{Greek}` in Rust.
                        if let Some(name) = body.strip_prefix('^') {
                            let flipped = if c == 'p' { 'P' } else { 'p' };
                            text = format!("\\{flipped}{{{name}}}");
                        } else {
                            text.push('{');
                            text.push_str(&body);
                            text.push('}');
                        }
                    }
                    Some(n) => {
                        self.i += 1;
                        text.push(n);
                    }
                    None => return Err(invalid(self)),
                }
                Piece::Unicode(text)
            }
            'A' if !in_class => Piece::Assert(r"\A"),
            'z' if !in_class => Piece::Assert(r"\z"),
            'b' if !in_class => Piece::Assert(r"(?-u:\b)"),
            'B' if !in_class => Piece::Assert(r"(?-u:\B)"),
            'Q' if !in_class => {
                let rest: String = self.cs[self.i..].iter().collect();
                let (quoted, consumed) = match rest.find(r"\E") {
                    Some(p) => (rest[..p].to_owned(), rest[..p].chars().count() + 2),
                    None => (rest.clone(), rest.chars().count()),
                };
                self.i += consumed;
                Piece::Quoted(quoted)
            }
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Piece::Char(c),
            _ => return Err(invalid(self)),
        };
        Ok(piece)
    }
}

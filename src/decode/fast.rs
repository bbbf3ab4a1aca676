//! A fast reader for the subset of YAML that PFOCR front matter is written in: block mappings
//! and (indentless) block sequences of plain, single-quoted and escape-free double-quoted
//! scalars, and empty flow collections (`[]`, `{}`).
//!
//! It produces exactly the events `saphyr-parser` would, with text borrowed from the input
//! where no folding or unescaping is needed. It is all or nothing: on anything outside the
//! subset (anchors, tags, block scalars, comments, tabs, escapes, flow content, odd
//! indentation) it returns `None` and the record is parsed by saphyr instead, so its errors
//! and corner cases stay saphyr's. Property tests check both give identical events.

use std::borrow::Cow;

use saphyr_parser::{Event, ScalarStyle};

use super::event::{Ev, MAX_DEPTH};

/// Most lines of front matter the fast reader takes. It buffers every event of a document
/// (about 70 bytes each, two a line), which for a 16 MiB front matter of 4 million short
/// lines would be over 500 MB; saphyr-parser streams instead, so longer documents go to it.
/// Real front matter has hundreds of lines.
pub const MAX_FAST_LINES: usize = 1 << 16;

/// The events of `yaml` (whose first line is file line `first_line`), or `None` when the
/// document is outside the fast subset.
pub fn parse(yaml: &str, first_line: u32) -> Option<Vec<Ev<'_>>> {
    let mut p = Fast {
        lines: Lines::new(yaml)?,
        line_base: first_line,
        // About two events a line (key and value; list items add their mapping's start and
        // end): sized once, so the buffer rarely regrows and copies.
        out: Vec::new(),
        depth: 0,
    };
    p.out.reserve(p.lines.len() * 2 + 8);
    p.push(Event::StreamStart, 0, 0);
    let first = p.lines.peek_content()?;
    if p.lines.indent(first) != 0 {
        return None;
    }
    p.push(Event::DocumentStart(false), first, 0);
    p.mapping(first, 0, 0)?;
    if p.lines.peek_content().is_some() {
        return None;
    }
    let end = p.lines.len();
    p.push(Event::DocumentEnd, end, 0);
    p.push(Event::StreamEnd, end, 0);
    Some(p.out)
}

/// The input split into lines (without `\n` / `\r\n`), with a cursor.
struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Option<Self> {
        let bytes = text.as_bytes();
        if memchr::memchr(b'\t', bytes).is_some() {
            return None;
        }
        let has_cr = memchr::memchr(b'\r', bytes).is_some();
        let mut lines = Vec::with_capacity((text.len() / 40 + 1).min(MAX_FAST_LINES));
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
            if end == bytes.len() && start == end {
                break; // text ends with a newline: no empty last line
            }
            let mut l = &text[start..end];
            if has_cr {
                l = l.strip_suffix('\r').unwrap_or(l);
                if memchr::memchr(b'\r', l.as_bytes()).is_some() {
                    return None;
                }
            }
            if lines.len() == MAX_FAST_LINES {
                return None;
            }
            lines.push(l);
            start = end + 1;
        }
        Some(Lines { lines, next: 0 })
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, i: usize) -> &'a str {
        self.lines[i]
    }

    fn indent(&self, i: usize) -> usize {
        let l = self.lines[i];
        l.len() - l.trim_start_matches(' ').len()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.lines[i].trim_start_matches(' ').is_empty()
    }

    /// Index of the next non-blank line (not consumed); `None` at the end of the front
    /// matter. Comment and directive lines are returned like any other: the key and scalar
    /// checks refuse their `#` / `%` start, and the caller then gives up on the fast path.
    fn peek_content(&self) -> Option<usize> {
        let mut i = self.next;
        while i < self.lines.len() && self.is_blank(i) {
            i += 1;
        }
        (i < self.lines.len()).then_some(i)
    }
}

struct Fast<'a> {
    lines: Lines<'a>,
    line_base: u32,
    out: Vec<Ev<'a>>,
    depth: usize,
}

/// Bytes that may not start a plain scalar here (YAML indicators), kept conservative.
fn plain_start_ok(b: u8) -> bool {
    !matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// True when a plain scalar's line segment has nothing that ends or comments it (`: `,
/// ` #`, a trailing `:`). One `memchr2` pass over the bytes: this runs on every line.
fn plain_body_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.last() != Some(&b':') && !memchr::memchr2_iter(b':', b'#', b).any(|i| ends_or_comments(b, i))
}

/// True when `s` holds ` #`, which starts a comment.
fn has_comment(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'#', b).any(|i| ends_or_comments(b, i))
}

/// For the `:` or `#` at `b[i]`: true for `: ` (a mapping value) or ` #` (a comment).
fn ends_or_comments(b: &[u8], i: usize) -> bool {
    if b[i] == b':' {
        b.get(i + 1) == Some(&b' ')
    } else {
        i > 0 && b[i - 1] == b' '
    }
}

impl<'a> Fast<'a> {
    fn push(&mut self, event: Event<'a>, line: usize, col: usize) {
        self.out.push(Ev {
            event,
            line: self.line_base + line as u32,
            col: col as u32 + 1,
        });
    }

    /// Pushes a scalar starting at byte `col` of `line`; positions count characters, as
    /// saphyr's do.
    fn scalar(&mut self, text: Cow<'a, str>, style: ScalarStyle, line: usize, col: usize) {
        let prefix = &self.lines.get(line)[..col];
        let chars = if prefix.is_ascii() {
            col
        } else {
            prefix.chars().count()
        };
        self.push(Event::Scalar(text, style, 0, None), line, chars);
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH).then_some(())
    }

    /// A block mapping whose first key starts at (`line`, `col`); later keys sit at `col`.
    fn mapping(&mut self, line: usize, col: usize, parent: usize) -> Option<()> {
        self.enter()?;
        let _ = parent;
        self.push(Event::MappingStart(0, None), line, col);
        let mut line = line;
        let mut col = col;
        loop {
            self.entry(line, col)?;
            match self.lines.peek_content() {
                Some(next)
                    if self.lines.indent(next) == col
                        && !self.lines.get(next)[col..].starts_with('-') =>
                {
                    line = next;
                    col = self.lines.indent(next);
                }
                Some(next) if self.lines.indent(next) > col => return None,
                _ => break,
            }
        }
        let at = self.lines.peek_content().unwrap_or(self.lines.len());
        self.push(Event::MappingEnd, at, 0);
        self.depth -= 1;
        Some(())
    }

    /// One `key: value` entry whose key starts at (`line`, `col`).
    fn entry(&mut self, line: usize, col: usize) -> Option<()> {
        let text = self.lines.get(line);
        let rest = &text[col..];
        let (key, after_key) = self.key(rest)?;
        self.scalar(key.0, key.1, line, col);
        self.lines.next = line + 1;
        let value_col = col + after_key;
        let value = text[value_col..].trim_start_matches(' ');
        if value.is_empty() {
            // The value is on the next lines: a nested block, an indentless sequence, or null.
            match self.lines.peek_content() {
                Some(n) if self.lines.indent(n) > col => {
                    let ind = self.lines.indent(n);
                    if self.lines.get(n)[ind..].starts_with('-') {
                        self.sequence(n, ind)
                    } else {
                        self.mapping(n, ind, col)
                    }
                }
                Some(n)
                    if self.lines.indent(n) == col
                        && self.lines.get(n)[col..].starts_with("- ") =>
                {
                    self.sequence(n, col)
                }
                _ => {
                    // saphyr's empty value: an empty plain scalar at the `:`.
                    self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, line, value_col - 1);
                    Some(())
                }
            }
        } else {
            let vcol = text.len() - value.len();
            self.inline_value(line, vcol, col)
        }
    }

    /// A mapping key at the start of `rest`: returns (text, style) and the byte length of
    /// the key and its `:`.
    fn key(&self, rest: &'a str) -> Option<((Cow<'a, str>, ScalarStyle), usize)> {
        let b = *rest.as_bytes().first()?;
        if b == b'\'' {
            let close = memchr::memchr(b'\'', &rest.as_bytes()[1..])? + 1;
            let key = &rest[1..close];
            if rest[close + 1..].starts_with('\'') {
                return None; // an escaped quote in a key: leave it to saphyr
            }
            let after = &rest[close + 1..];
            if !(after == ":" || after.starts_with(": ")) {
                return None;
            }
            return Some(((Cow::Borrowed(key), ScalarStyle::SingleQuoted), close + 2));
        }
        if !plain_start_ok(b) {
            return None;
        }
        let colon = memchr::memchr(b':', rest.as_bytes())?;
        let key = &rest[..colon];
        let after = &rest[colon..];
        if !(after == ":" || after.starts_with(": ")) || key.ends_with(' ') || has_comment(key) {
            return None;
        }
        Some(((Cow::Borrowed(key), ScalarStyle::Plain), colon + 1))
    }

    /// A block sequence whose `-` items sit at `col`, the first on `line`.
    fn sequence(&mut self, line: usize, col: usize) -> Option<()> {
        self.enter()?;
        self.push(Event::SequenceStart(0, None), line, col);
        let mut line = line;
        loop {
            let text = self.lines.get(line);
            let item = &text[col..];
            if !item.starts_with("- ") {
                return None; // `-` alone (nested block item) or `-x`: leave it to saphyr
            }
            let icol = col + 2 + item[2..].len() - item[2..].trim_start_matches(' ').len();
            let content = &text[icol..];
            if content.is_empty() {
                return None;
            }
            self.lines.next = line + 1;
            if self.key(content).is_some() {
                self.mapping(line, icol, col)?;
            } else {
                self.inline_value(line, icol, col)?;
            }
            match self.lines.peek_content() {
                Some(n)
                    if self.lines.indent(n) == col && self.lines.get(n)[col..].starts_with('-') =>
                {
                    line = n
                }
                Some(n) if self.lines.indent(n) > col => return None,
                _ => break,
            }
        }
        let at = self.lines.peek_content().unwrap_or(self.lines.len());
        self.push(Event::SequenceEnd, at, 0);
        self.depth -= 1;
        Some(())
    }

    /// A scalar or empty flow collection starting at (`line`, `col`), inside a block whose
    /// indentation is `parent` (continuation lines must be indented more).
    fn inline_value(&mut self, line: usize, col: usize, parent: usize) -> Option<()> {
        let text = self.lines.get(line);
        let v = &text[col..];
        self.lines.next = line + 1;
        match v.as_bytes()[0] {
            b'\'' => self.quoted(line, col, parent, b'\''),
            b'"' => self.quoted(line, col, parent, b'"'),
            b'[' | b'{' => {
                let (start, end) = match v.trim_end_matches(' ') {
                    "[]" => (Event::SequenceStart(0, None), Event::SequenceEnd),
                    "{}" => (Event::MappingStart(0, None), Event::MappingEnd),
                    _ => return None,
                };
                self.enter()?;
                self.push(start, line, col);
                self.push(end, line, col + 1);
                self.depth -= 1;
                Some(())
            }
            b if plain_start_ok(b) => self.plain(line, col, parent),
            _ => None,
        }
    }

    /// A plain scalar, folded over continuation lines.
    fn plain(&mut self, line: usize, col: usize, parent: usize) -> Option<()> {
        let first = self.lines.get(line)[col..].trim_end_matches(' ');
        if !plain_body_ok(first) {
            return None;
        }
        let mut folded: Option<String> = None;
        let mut blank = 0usize;
        let mut i = line + 1;
        while i < self.lines.len() {
            if self.lines.is_blank(i) {
                blank += 1;
                i += 1;
                continue;
            }
            let ind = self.lines.indent(i);
            if ind <= parent {
                break;
            }
            let part = self.lines.get(i)[ind..].trim_end_matches(' ');
            if !plain_body_ok(part)
                || part.starts_with('#')
                || part.starts_with("- ")
                || part == "-"
            {
                return None;
            }
            let s = folded.get_or_insert_with(|| first.to_owned());
            if blank == 0 {
                s.push(' ');
            } else {
                s.extend(std::iter::repeat_n('\n', blank));
            }
            s.push_str(part);
            blank = 0;
            i += 1;
            self.lines.next = i;
        }
        let text = folded.map_or(Cow::Borrowed(first), Cow::Owned);
        self.scalar(text, ScalarStyle::Plain, line, col);
        Some(())
    }

    /// A single- or double-quoted scalar (double only without backslashes), folded over
    /// lines; after the closing quote only spaces may follow.
    fn quoted(&mut self, line: usize, col: usize, parent: usize, quote: u8) -> Option<()> {
        let mut out: Option<String> = None;
        let mut i = line;
        let mut seg = &self.lines.get(line)[col + 1..];
        let mut blank = 0usize;
        loop {
            // Find the closing quote on this line.
            let mut pos = 0;
            let mut escaped = false;
            let close = loop {
                match memchr::memchr(quote, &seg.as_bytes()[pos..]) {
                    None => break None,
                    Some(k) => {
                        let at = pos + k;
                        if quote == b'\'' && seg[at + 1..].starts_with('\'') {
                            pos = at + 2; // `''` is an escaped quote
                            escaped = true;
                            continue;
                        }
                        break Some(at);
                    }
                }
            };
            let closed = &seg.as_bytes()[..close.unwrap_or(seg.len())];
            if quote == b'"' && memchr::memchr(b'\\', closed).is_some() {
                return None;
            }
            let piece = match close {
                Some(at) => &seg[..at],
                None => seg.trim_end_matches(' '),
            };
            let piece_text: Cow<'a, str> = if escaped {
                Cow::Owned(piece.replace("''", "'"))
            } else {
                Cow::Borrowed(piece)
            };
            if i == line && close.is_some() && out.is_none() {
                self.finish_quoted(seg, close?)?;
                self.lines.next = line + 1;
                let style = if quote == b'\'' {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                };
                self.scalar(piece_text, style, line, col);
                return Some(());
            }
            let s = out.get_or_insert_with(String::new);
            if i > line {
                if blank == 0 {
                    s.push(' ');
                } else {
                    s.extend(std::iter::repeat_n('\n', blank));
                }
            }
            s.push_str(&piece_text);
            if let Some(at) = close {
                self.finish_quoted(seg, at)?;
                self.lines.next = i + 1;
                let style = if quote == b'\'' {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                };
                let text = out.take().unwrap_or_default();
                self.scalar(Cow::Owned(text), style, line, col);
                return Some(());
            }
            // Next line: skip blank ones, which fold into newlines.
            blank = 0;
            i += 1;
            while i < self.lines.len() && self.lines.is_blank(i) {
                blank += 1;
                i += 1;
            }
            if i >= self.lines.len() {
                return None; // unclosed: saphyr reports it
            }
            let ind = self.lines.indent(i);
            if ind <= parent {
                return None;
            }
            seg = &self.lines.get(i)[ind..];
        }
    }

    /// Checks that only spaces follow the closing quote at `at` in `seg`.
    fn finish_quoted(&self, seg: &str, at: usize) -> Option<()> {
        seg[at + 1..]
            .trim_start_matches(' ')
            .is_empty()
            .then_some(())
    }
}

//! Reading one input file: size limit, UTF-8 check, and the front matter / body split.
//!
//! A figure file is `---`, YAML lines, `---`, then an optional Markdown body. A UTF-8 BOM and
//! CRLF line endings are accepted. Problems come back as [`Problem`]s with the file line.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{quoted, Problem, RejectKind};

/// Reads a whole file as UTF-8 text, refusing files larger than `max_bytes`.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, Problem> {
    let unreadable = |e: std::io::Error| {
        Problem::new(RejectKind::Unreadable, format!("cannot read the file: {e}"))
    };
    let file = File::open(path).map_err(unreadable)?;
    // Sized from the open file's length (one fstat), so reading does not regrow and copy
    // the buffer; the length is only a hint, the read below decides.
    let hint = file.metadata().map_or(0, |m| m.len()).min(max_bytes);
    // Read at most one byte past the limit, so a file that grows while we read is caught too.
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(Problem::new(
            RejectKind::TooLarge,
            format!("the file is larger than the limit of {max_bytes} bytes (--max-record-bytes)"),
        ));
    }
    decode_utf8(bytes)
}

/// Checks that `bytes` are UTF-8 and drops a leading byte-order mark.
pub fn decode_utf8(mut bytes: Vec<u8>) -> Result<String, Problem> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let col = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        let what = if e.as_bytes().contains(&0) {
            "the file is binary, not UTF-8 text"
        } else {
            "the file is not valid UTF-8 text"
        };
        Problem::new(
            RejectKind::NotUtf8,
            format!("{what} (invalid byte 0x{:02X})", e.as_bytes()[valid.len()]),
        )
        .at(line as u32, col as u32)
    })
}

/// A figure file split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the two `---` lines.
    pub front_matter: &'a str,
    /// File line of the front matter's first line (2, right after `---`).
    pub first_line: u32,
    /// The Markdown after the closing `---` line, `None` when only whitespace.
    pub body: Option<&'a str>,
}

/// Splits a figure file into front matter and body.
pub fn split_front_matter(text: &str) -> Result<Split<'_>, Problem> {
    if text.is_empty() {
        return Err(Problem::new(RejectKind::NoFrontMatter, "the file is empty").at(1, 1));
    }
    let mut lines = LineIter { text, pos: 0 };
    let (first, _) = lines.next().expect("text is not empty");
    if !is_delimiter(first) {
        return Err(Problem::new(
            RejectKind::NoFrontMatter,
            format!(
                "expected the first line to be '---' opening the YAML front matter, found {}",
                quoted(first)
            ),
        )
        .at(1, 1));
    }
    let start = lines.pos;
    let mut line_no = 1u32;
    while let Some((line, line_start)) = lines.next() {
        line_no += 1;
        if is_delimiter(line) {
            let rest = &text[lines.pos..];
            return Ok(Split {
                front_matter: &text[start..line_start],
                first_line: 2,
                body: (!rest.trim().is_empty()).then_some(rest),
            });
        }
    }
    Err(Problem::new(
        RejectKind::NoFrontMatter,
        format!("no closing '---' line: the front matter opened on line 1 runs to the end of the file (line {line_no})"),
    )
    .at(1, 1))
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end_matches([' ', '\t', '\r']) == "---"
}

/// Lines without their `\n`, with the byte offset where each starts.
struct LineIter<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let (line, advance) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((line, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body() {
        let s = split_front_matter("---\nfigid: a\n---\n\n# Title\n").unwrap();
        assert_eq!(s.front_matter, "figid: a\n");
        assert_eq!(s.body, Some("\n# Title\n"));
        let s = split_front_matter("---\r\nfigid: a\r\n---\r\n  \r\n").unwrap();
        assert_eq!(s.front_matter, "figid: a\r\n");
        assert_eq!(s.body, None);
        let s = split_front_matter("---\nfigid: a\n---").unwrap();
        assert_eq!(s.body, None);
    }

    #[test]
    fn missing_delimiters() {
        assert_eq!(
            split_front_matter("").unwrap_err().kind,
            RejectKind::NoFrontMatter
        );
        let e = split_front_matter("figid: a\n").unwrap_err();
        assert!(e.detail.contains("first line"), "{}", e.detail);
        let e = split_front_matter("---\nfigid: a\nyear: 1\n").unwrap_err();
        assert!(e.detail.contains("no closing"), "{}", e.detail);
    }

    #[test]
    fn utf8_checks() {
        assert_eq!(decode_utf8(b"\xEF\xBB\xBF---\n".to_vec()).unwrap(), "---\n");
        let e = decode_utf8(b"---\nab\xFFc\n".to_vec()).unwrap_err();
        assert_eq!(
            (e.kind, e.line, e.column),
            (RejectKind::NotUtf8, Some(2), Some(3))
        );
        let e = decode_utf8(b"\x00\x01\x02\xFE".to_vec()).unwrap_err();
        assert!(e.detail.contains("binary"), "{}", e.detail);
    }
}

//! Splitting a figure file's text into its YAML front matter and Markdown body.
//!
//! A figure file is `---`, YAML lines, `---`, then an optional Markdown body. CRLF line
//! endings are accepted (a UTF-8 BOM is dropped before, when the file is read). Problems come
//! back as [`Problem`]s with the file line. Text in, slices out: no file system here.

use crate::error::{quoted, Problem, RejectKind};

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
}

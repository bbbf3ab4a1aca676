//! Error types: run-level failures ([`Error`]) and per-input rejects ([`Reject`]).
//!
//! A [`Reject`] is not a failure of the run: it is a row of the `rejects` table, built from a
//! typed value (never by parsing a message), and the run goes on. An [`Error`] ends the run.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure that ends a run (as opposed to a [`Reject`], which is recorded and skipped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The corpus cannot be read at all (missing directory, no `_figures`).
    #[error("cannot read the corpus at {path}: {reason}")]
    Source { path: PathBuf, reason: String },
    /// The corpus directory could not be listed or read.
    #[error("cannot read {path}")]
    SourceIo {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The output location could not be written.
    #[error("cannot write the output at {path}")]
    Destination {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Parquet encoding failed.
    #[error("cannot write Parquet file {path}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Building an Arrow batch failed (a bug: the decoders keep columns aligned).
    #[error("cannot build an Arrow batch for table {table}")]
    Arrow {
        table: &'static str,
        #[source]
        source: crate::arrow::error::ArrowError,
    },
    /// Options are not valid (bad pipeline file, zero threads, ...).
    #[error("invalid options: {0}")]
    Options(String),
    /// A pipeline file could not be read or parsed.
    #[error("cannot read pipeline file {path}: {reason}")]
    Pipeline { path: PathBuf, reason: String },
    /// Something that should not happen and that no input or option can cause: a worker
    /// panicked (a bug), the I/O runtime could not start, a table the tool wrote lacks a column
    /// it needs. Reported instead of hanging or losing records silently.
    #[error("internal error: {0}")]
    Internal(String),
    /// A Delta table could not be read, created or committed.
    #[cfg(feature = "delta")]
    #[error("cannot load the Delta table {table}")]
    Delta {
        table: String,
        #[source]
        source: Box<deltalake::DeltaTableError>,
    },
    /// An object store request failed.
    #[cfg(feature = "delta")]
    #[error("object store request for {location} failed")]
    Store {
        location: String,
        #[source]
        source: object_store::Error,
    },
    /// Another load of the same table and shard committed first (Delta's optimistic
    /// concurrency): this load stopped instead of loading the same rows twice.
    #[error(
        "concurrent load: another load of the same table and shard committed to {table} while \
         this one ran; this load stopped there (the tables hold what the other load wrote; run \
         again to load anything it did not see)"
    )]
    ConcurrentLoad { table: String },
    /// A load and a `maintain` compaction replaced a same file of a table: the one that
    /// committed second stopped there (this one).
    #[cfg(feature = "delta")]
    #[error(
        "concurrent maintenance: a load and a `pfocr-etl maintain` compaction both replaced \
         files of {table} and the other committed first; this run stopped before committing \
         {table} and no row was lost (run it again: a load completes the tables, a \
         maintenance compacts what is left)"
    )]
    ConcurrentMaintenance { table: String },
    /// The worker thread pool could not be started.
    #[error("cannot start worker threads")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
}

/// The short machine word of a reject, the `rejects.kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectKind {
    /// Malformed YAML, a front matter that is not a mapping, too deep, alias bomb.
    Yaml,
    /// No opening or closing `---`, or an empty file.
    NoFrontMatter,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// `figid` absent, NULL or empty.
    MissingFigid,
    /// A later file reusing a `figid` already taken by an earlier one.
    DuplicateFigid,
    /// A value not valid for its column.
    BadValue,
    /// A ragged or headerless sibling TSV (the figure is rejected).
    BadTsv,
    /// A TSV with no figure.
    OrphanTable,
    /// A TSV beside a record that has inline entity lists.
    ConflictingTable,
    /// A file larger than `--max-record-bytes`.
    TooLarge,
    /// An I/O error or a symlink loop.
    Unreadable,
}

impl RejectKind {
    /// Every kind, in the order the contract lists them.
    pub const ALL: [RejectKind; 11] = [
        RejectKind::Yaml,
        RejectKind::NoFrontMatter,
        RejectKind::NotUtf8,
        RejectKind::MissingFigid,
        RejectKind::DuplicateFigid,
        RejectKind::BadValue,
        RejectKind::BadTsv,
        RejectKind::OrphanTable,
        RejectKind::ConflictingTable,
        RejectKind::TooLarge,
        RejectKind::Unreadable,
    ];

    /// The word written to the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Yaml => "yaml",
            RejectKind::NoFrontMatter => "no_front_matter",
            RejectKind::NotUtf8 => "not_utf8",
            RejectKind::MissingFigid => "missing_figid",
            RejectKind::DuplicateFigid => "duplicate_figid",
            RejectKind::BadValue => "bad_value",
            RejectKind::BadTsv => "bad_tsv",
            RejectKind::OrphanTable => "orphan_table",
            RejectKind::ConflictingTable => "conflicting_table",
            RejectKind::TooLarge => "too_large",
            RejectKind::Unreadable => "unreadable",
        }
    }

    /// True for kinds that describe an unused TSV rather than a rejected figure file.
    ///
    /// Only figure files count in `inputs = converted + rejected`.
    pub fn is_table_kind(self) -> bool {
        matches!(self, RejectKind::OrphanTable | RejectKind::ConflictingTable)
    }
}

impl fmt::Display for RejectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most characters of a value, key or name that a message quotes; longer ones are cut there
/// and end in an ellipsis, so a 2 MB bad value gives a short message, not a 2 MB one.
pub const QUOTE_MAX_CHARS: usize = 200;

/// `text` as a message quotes it: in single quotes, control characters escaped (`\n`,
/// `\u{1}`), cut after [`QUOTE_MAX_CHARS`] characters with `…` and the full length in bytes.
///
/// The one way every message shows a value, key, column name or figid taken from the input.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(QUOTE_MAX_CHARS * 4) + 2);
    out.push('\'');
    out.push_str(&shortened(text));
    out.push('\'');
    if text.chars().nth(QUOTE_MAX_CHARS).is_some() {
        out.push_str(&format!(" ({} bytes)", text.len()));
    }
    out
}

/// `text` cut after [`QUOTE_MAX_CHARS`] characters (with `…`) and control characters escaped:
/// what [`quoted`] puts between its quotes, and what a reject's `field` holds.
pub fn shortened(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(QUOTE_MAX_CHARS * 4) + 3);
    for (n, c) in text.chars().enumerate() {
        if n == QUOTE_MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A problem found while decoding one value, before the file it came from is known.
///
/// Decoders return this; the record decoder adds the field, and the reader adds the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: RejectKind,
    /// 1-based line within the file, when known.
    pub line: Option<u32>,
    /// 1-based column within the line, when known.
    pub column: Option<u32>,
    /// The YAML key or TSV column at fault.
    pub field: Option<String>,
    /// What was wrong, as a sentence fragment ("expected a whole number, found 'x'").
    pub detail: String,
}

impl Problem {
    /// A problem of `kind` with a description and no position yet.
    pub fn new(kind: RejectKind, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            line: None,
            column: None,
            field: None,
            detail: detail.into(),
        }
    }

    /// Sets the position if none is known yet (the innermost position wins).
    pub fn at(mut self, line: u32, column: u32) -> Self {
        if self.line.is_none() {
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }

    /// Sets the field if none is known yet (the innermost field wins); a key longer than
    /// [`QUOTE_MAX_CHARS`] characters is kept [`shortened`].
    pub fn in_field(mut self, field: &str) -> Self {
        if self.field.is_none() {
            self.field = Some(shortened(field));
        }
        self
    }

    /// Turns the problem into a reject row of the file at `source_path`.
    pub fn into_reject(self, source_path: &str) -> Reject {
        let mut message = String::with_capacity(source_path.len() + self.detail.len() + 40);
        message.push_str(source_path);
        if let Some(line) = self.line {
            message.push_str(&format!(", line {line}"));
            if let Some(col) = self.column {
                message.push_str(&format!(", column {col}"));
            }
        }
        message.push_str(": ");
        if let Some(field) = &self.field {
            // Already shortened by `in_field`.
            message.push_str(&format!("field '{field}': "));
        }
        message.push_str(&self.detail);
        Reject {
            source_path: source_path.to_owned(),
            line: self.line,
            field: self.field,
            kind: self.kind,
            message,
            column: self.column,
        }
    }
}

/// One row of the `rejects` table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reject {
    pub source_path: String,
    pub line: Option<u32>,
    pub field: Option<String>,
    pub kind: RejectKind,
    pub message: String,
    /// 1-based column of `line`, when known. Not a column of the `rejects` table (its
    /// message names it); `pfocr-etl check` prints it. Last, so sorting is unchanged.
    pub column: Option<u32>,
}

impl Reject {
    /// The message without the `path, line L, column C: ` prefix every reject message starts
    /// with (for outputs that print the position apart).
    pub fn detail(&self) -> &str {
        let mut prefix = self.source_path.clone();
        if let Some(line) = self.line {
            prefix.push_str(&format!(", line {line}"));
            if let Some(col) = self.column {
                prefix.push_str(&format!(", column {col}"));
            }
        }
        prefix.push_str(": ");
        self.message.strip_prefix(&prefix).unwrap_or(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_line_and_field() {
        let r = Problem::new(
            RejectKind::BadValue,
            "expected a whole number, found 'twenty'",
        )
        .at(7, 7)
        .in_field("year")
        .into_reject("_figures/a.md");
        assert_eq!(
            r.message,
            "_figures/a.md, line 7, column 7: field 'year': expected a whole number, found 'twenty'"
        );
        assert_eq!(r.line, Some(7));
        assert_eq!(r.field.as_deref(), Some("year"));
    }

    #[test]
    fn innermost_position_and_field_win() {
        let p = Problem::new(RejectKind::Yaml, "x")
            .at(3, 1)
            .at(9, 9)
            .in_field("inner")
            .in_field("outer");
        assert_eq!((p.line, p.field.as_deref()), (Some(3), Some("inner")));
    }

    #[test]
    fn long_values_and_fields_are_quoted_short() {
        let long = "x".repeat(2_000_000);
        let q = quoted(&long);
        assert_eq!(
            q,
            format!("'{}…' (2000000 bytes)", "x".repeat(QUOTE_MAX_CHARS))
        );
        assert_eq!(quoted("a\nb"), "'a\\nb'");
        assert_eq!(
            quoted(&"é".repeat(QUOTE_MAX_CHARS)),
            format!("'{}'", "é".repeat(200))
        );
        let r = Problem::new(RejectKind::Yaml, format!("duplicate key {}", quoted(&long)))
            .in_field(&long)
            .into_reject("_figures/a.md");
        assert!(r.message.len() < 1_000, "{} bytes", r.message.len());
        assert_eq!(
            r.field.as_deref().map(str::len),
            Some(QUOTE_MAX_CHARS + '…'.len_utf8())
        );
    }

    #[test]
    fn kinds_have_distinct_words() {
        let mut words: Vec<_> = RejectKind::ALL.iter().map(|k| k.as_str()).collect();
        words.sort();
        words.dedup();
        assert_eq!(words.len(), RejectKind::ALL.len());
    }
}

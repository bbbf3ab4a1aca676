//! Decoding one figure record into rows of the four data tables.
//!
//! The front matter is decoded from YAML events straight into the column builders; entity
//! rows come from the inline lists or, for the newer generation, from the sibling TSVs. A
//! record either lands whole or is rolled back and becomes one reject.

mod budget;
mod entities;
mod fast;
mod figure;
mod keys;
mod node;
mod tsv;
mod value;
mod yaml;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

pub use budget::MAX_CHILD_ROW_BYTES;
pub use entities::EntityKind;
pub use fast::MAX_FAST_LINES;
pub use figure::DROPPED_KEYS;
pub use yaml::{
    Ev, Events, MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_ANCHOR_BYTES, MAX_ANCHOR_EVENTS, MAX_DEPTH,
};

use crate::batch::Builders;
use crate::discover::{FigureFile, TableIndex};
use crate::error::{Problem, Reject};
use crate::maps::{FigureMaps, MapKind};
use crate::read::{read_text, split_front_matter};
use crate::schema::Table;

/// Where a record's sibling TSVs come from: the corpus on disk, or memory in tests/benches.
pub trait Tables: Sync {
    /// The corpus-relative path of the `kind` table of `figid`, if there is one.
    fn rel(&self, figid: &str, kind: EntityKind) -> Option<Cow<'_, str>>;
    /// The text of that table.
    fn load(&self, figid: &str, kind: EntityKind) -> Result<Cow<'_, str>, Problem>;
    /// The value the `kind` map file (`_data/wpid_map.tsv`, ...) gives `figid`, used when the
    /// front matter gives none. None by default (no map files).
    fn mapped(&self, _kind: MapKind, _figid: &str) -> Option<&str> {
        None
    }
}

/// The `_data` TSVs of a corpus on disk, and the reading of its figure files: every file is
/// read through [`DiskTables::read`], which counts the bytes.
pub struct DiskTables<'c> {
    /// The corpus root, which the index's paths are relative to.
    root: &'c Path,
    index: &'c TableIndex,
    max_bytes: u64,
    /// Bytes of the files read so far (all threads).
    read: AtomicU64,
    /// The `_data` map values (see [`DiskTables::with_maps`]).
    maps: Option<&'c FigureMaps>,
}

impl<'c> DiskTables<'c> {
    /// The corpus at `root` with its TSV index; files over `max_bytes` are refused.
    pub fn new(root: &'c Path, index: &'c TableIndex, max_bytes: u64) -> Self {
        DiskTables {
            root,
            index,
            max_bytes,
            read: AtomicU64::new(0),
            maps: None,
        }
    }

    /// The same, filling `wpid` and `ndex` from `maps` for records whose front matter
    /// gives no value. The bytes read so far stay counted.
    pub fn with_maps(self, maps: &'c FigureMaps) -> Self {
        DiskTables {
            maps: Some(maps),
            ..self
        }
    }

    /// Reads the file at `path` as text, counting its bytes.
    pub fn read(&self, path: &Path) -> Result<String, Problem> {
        let text = read_text(path, self.max_bytes)?;
        self.read.fetch_add(text.len() as u64, Ordering::Relaxed);
        Ok(text)
    }

    /// Bytes of the figure files and TSVs read so far (of the text each decoded into).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

impl Tables for DiskTables<'_> {
    fn rel(&self, figid: &str, kind: EntityKind) -> Option<Cow<'_, str>> {
        let file = self.index.get(figid)?.file(figid, kind)?;
        Some(Cow::Owned(file.rel))
    }

    fn load(&self, figid: &str, kind: EntityKind) -> Result<Cow<'_, str>, Problem> {
        let file = self
            .index
            .get(figid)
            .and_then(|set| set.file(figid, kind))
            .expect("rel() found it");
        self.read(&file.path(self.root)).map(Cow::Owned)
    }

    fn mapped(&self, kind: MapKind, figid: &str) -> Option<&str> {
        self.maps?.get(kind, figid)
    }
}

/// In-memory tables: figid → per kind (rel path, text).
pub type MemoryTables = HashMap<String, [Option<(String, String)>; 3]>;

impl Tables for MemoryTables {
    fn rel(&self, figid: &str, kind: EntityKind) -> Option<Cow<'_, str>> {
        self.get(figid)?[kind.index()]
            .as_ref()
            .map(|(rel, _)| Cow::Borrowed(rel.as_str()))
    }

    fn load(&self, figid: &str, kind: EntityKind) -> Result<Cow<'_, str>, Problem> {
        let (_, text) = self[figid][kind.index()].as_ref().expect("rel() found it");
        Ok(Cow::Borrowed(text))
    }
}

/// A record that converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub figid: String,
    pub figid_line: u32,
    /// Rows added to each data table, in [`Builders`] order.
    pub rows: [usize; 4],
    /// TSVs of this figid left unused because the record has inline lists.
    pub conflicts: Vec<String>,
}

/// What became of one figure file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Converted(Converted),
    Rejected {
        reject: Reject,
        /// The figid (or, when unknown, the file stem) whose TSVs this record accounts for.
        claim: String,
    },
}

/// Reads and decodes the figure file `file` of the corpus on `disk` into `out`.
pub fn decode_file(file: FigureFile<'_>, disk: &DiskTables<'_>, out: &mut Builders) -> Outcome {
    match disk.read(&file.path(disk.root)) {
        Ok(text) => decode_text(&text, file.rel, file.stem(), disk, out),
        Err(p) => Outcome::Rejected {
            reject: p.into_reject(file.rel),
            claim: file.stem().to_owned(),
        },
    }
}

/// Decodes the figure file text `text` (at corpus path `rel`) into `out`.
pub fn decode_text(
    text: &str,
    rel: &str,
    stem: &str,
    tables: &dyn Tables,
    out: &mut Builders,
) -> Outcome {
    let mark = out.mark();
    let mut figid = None;
    match decode_record(text, rel, tables, out, &mut figid) {
        Ok(converted) => Outcome::Converted(converted),
        Err(problem) => {
            out.rollback(mark);
            // The record's TSVs are named after its figid, so it claims them by figid even
            // when a value after (or before) the figid failed; only a figid that cannot be
            // read at all falls back to the file name.
            let figid = figid.or_else(|| {
                let split = split_front_matter(text).ok()?;
                figure::figid_of(split.front_matter, split.first_line)
            });
            Outcome::Rejected {
                reject: problem.into_reject(rel),
                claim: figid.unwrap_or_else(|| stem.to_owned()),
            }
        }
    }
}

fn decode_record(
    text: &str,
    rel: &str,
    tables: &dyn Tables,
    out: &mut Builders,
    figid_out: &mut Option<String>,
) -> Result<Converted, Problem> {
    let before = out.mark();
    let split = split_front_matter(text)?;
    let mut budget = budget::RowBudget::default();
    let header =
        figure::decode_front_matter(split.front_matter, split.first_line, out, &mut budget)?;
    *figid_out = Some(header.figid.clone());
    let figid = header.figid.as_str();
    let mut conflicts = Vec::new();
    for kind in EntityKind::ALL {
        let Some(table_rel) = tables.rel(figid, kind) else {
            continue;
        };
        if header.inline {
            conflicts.push(table_rel.into_owned());
            continue;
        }
        let in_table = |p: Problem| Problem {
            line: None,
            column: None,
            detail: if p.detail.starts_with("in ") {
                p.detail
            } else {
                format!("in {table_rel}: {}", p.detail)
            },
            ..p
        };
        let text = tables.load(figid, kind).map_err(in_table)?;
        tsv::decode_tsv(
            &text,
            &table_rel,
            kind,
            out.entity_builder(kind),
            &mut budget,
        )
        .map_err(in_table)?;
    }
    for kind in EntityKind::ALL {
        entities::fill_figid(out.entity_builder(kind), figid, &mut budget)?;
    }
    let f = &mut out.figures;
    // Map values fill what the front matter left NULL (it wins when it has a value).
    for kind in MapKind::ALL {
        if let Some(value) = tables.mapped(kind, figid) {
            f.col(Table::Figures.column(kind.column()))
                .text()
                .fill_last_null(value);
        }
    }
    f.col(Table::Figures.column("entity_source"))
        .text()
        .push(if header.inline { "inline" } else { "tables" });
    f.col(Table::Figures.column("body"))
        .text()
        .push_opt(split.body);
    f.col(Table::Figures.column("source_path")).text().push(rel);
    f.col(0).text().push(figid);
    let after = out.mark();
    Ok(Converted {
        rows: std::array::from_fn(|i| after.0[i] - before.0[i]),
        figid: header.figid,
        figid_line: header.figid_line,
        conflicts,
    })
}

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod fast_tests;
#[cfg(test)]
mod tests;

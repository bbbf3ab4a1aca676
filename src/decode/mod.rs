//! Decoding one figure record into rows of the four data tables: text in, builders out.
//!
//! [`decode_text`] splits the file text ([`split`]), reads the front matter as YAML events
//! ([`yaml`] over [`fast`] or saphyr, both speaking [`event`]) straight into the column
//! builders ([`figure`]); entity rows come from the inline lists ([`entities`]) or, for the
//! newer generation, from the sibling TSVs ([`tsv`]), whose text a [`Tables`] supplies. A
//! record either lands whole or is rolled back and becomes one reject. Nothing here touches
//! the file system: [`crate::read`] reads files and implements [`Tables`] for the corpus on
//! disk; tests and benches pass [`MemoryTables`].

mod budget;
mod entities;
mod event;
mod fast;
mod figure;
mod keys;
mod node;
mod split;
mod tsv;
mod value;
mod yaml;

use std::borrow::Cow;
use std::collections::HashMap;

pub use split::split_front_matter;
#[cfg(feature = "dev")]
pub use yaml::Events;

use crate::batch::Builders;
use crate::error::{Problem, Reject};
use crate::maps::MapKind;
use crate::schema::{EntityKind, Table};

/// Where a record's sibling TSVs come from: the corpus on disk ([`crate::read::DiskTables`]),
/// or memory ([`MemoryTables`]) in tests and benches.
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

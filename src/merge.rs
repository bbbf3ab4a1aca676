//! The sequential step after parallel decoding: sees records in sorted path order, so it
//! decides what only order can decide — the first of two records with one figid wins, which
//! TSVs were claimed — and collects the rejects.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::arrow::array::BooleanArray;
use crate::arrow::compute::filter_record_batch;
use crate::arrow::record_batch::RecordBatch;

use crate::batch::Batches;
use crate::decode::Outcome;
use crate::discover::{Corpus, Figures, TableIndex};
use crate::error::{Error, Reject, RejectKind, Result};
use crate::packed::Packed;
use crate::schema::Table;

/// A 128-bit fingerprint of a figid: keeps the figid map small (16 bytes a key) for
/// corpora of any size; two figids colliding is as likely as a random 128-bit match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fingerprint(u64, u64);

fn fingerprint(s: &str) -> Fingerprint {
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        s.hash(&mut h);
        h.finish()
    };
    Fingerprint(half(0x9e37_79b9_7f4a_7c15), half(0x85eb_ca6b_c2b2_ae35))
}

/// The records kept from an earlier load and not decoded again (incremental loads): what
/// the merge must know of each to judge duplicates, claims and conflicts as a full run
/// would. Packed: an incremental load keeps nearly every record of the corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptRecords {
    /// Each record's index in the corpus's figure list.
    figures: Vec<u32>,
    figids: Packed,
    /// True when its entities came from inline lists (its TSVs are then conflicting).
    inline: Vec<bool>,
}

/// One of [`KeptRecords`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept<'a> {
    /// Its index in the corpus's figure list.
    pub figure: usize,
    pub figid: &'a str,
    pub inline: bool,
}

impl KeptRecords {
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn push(&mut self, figure: usize, figid: &str, inline: bool) {
        self.figures
            .push(u32::try_from(figure).expect("fewer than 2^32 figure files"));
        self.figids.push(figid);
        self.inline.push(inline);
    }

    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn len(&self) -> usize {
        self.figures.len()
    }

    #[cfg_attr(not(test), allow(dead_code))] // the pair of `len`
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Kept<'_>> + '_ {
        (0..self.len()).map(|i| Kept {
            figure: self.figures[i] as usize,
            figid: self.figids.at(i),
            inline: self.inline[i],
        })
    }
}

/// Order-dependent bookkeeping of a run.
#[derive(Debug, Default)]
pub struct Merge {
    /// Every claimed figid (its TSVs are not orphans) → the index, in sorted path order, of
    /// the figure file that took it; `None` when only rejected records claimed it. One map
    /// for both: 24 bytes a record instead of 41 in two.
    figids: HashMap<Fingerprint, Option<u32>>,
    pub rejects: Vec<Reject>,
    pub converted: u64,
    pub rejected: u64,
    /// figids of kept records that a decoded record sorting before them now takes: the
    /// incremental result would differ from a full run, so the caller must rebuild.
    pub displaced: Vec<String>,
}

/// The end result of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Every reject row, sorted.
    pub rejects: Vec<Reject>,
    pub converted: u64,
    /// Figure files rejected (decoded ones and unreadable entries).
    pub rejected: u64,
    /// See [`Merge::displaced`].
    pub displaced: Vec<String>,
    /// Bytes of the figure files and TSVs the run read (counted by the reader, see
    /// [`Merge::finish`]).
    pub bytes_read: u64,
}

/// What to keep of a decoded chunk.
pub struct Accepted {
    pub batches: Batches,
    pub records: usize,
}

impl Merge {
    /// A merge that already knows the `kept` records (by their place among `figures`).
    pub fn with_kept(kept: &KeptRecords, figures: &Figures, corpus_tables: &TableIndex) -> Self {
        let mut m = Merge::default();
        for k in kept.iter() {
            m.figids.insert(fingerprint(k.figid), Some(k.figure as u32));
            if k.inline {
                if let Some(set) = corpus_tables.get(k.figid) {
                    for (_, file) in set.files(k.figid) {
                        m.rejects
                            .push(conflict(&file.rel, figures.at(k.figure).rel));
                    }
                }
            }
        }
        m
    }

    /// Takes the outcomes of the next chunk (in order) and returns its batches, without the
    /// rows of records that lost a duplicate figid.
    /// `indices` are the chunk's positions among `figures` (ascending).
    pub fn accept(
        &mut self,
        batches: Batches,
        outcomes: Vec<Outcome>,
        indices: &[usize],
        figures: &Figures,
    ) -> Result<Accepted> {
        let records = outcomes.len();
        let mut keep: Option<[Vec<bool>; 4]> = None;
        let mut offsets = [0usize; 4];
        for (&index, outcome) in indices.iter().zip(outcomes) {
            let rel = figures.at(index).rel.to_owned();
            match outcome {
                Outcome::Converted(c) => {
                    let fp = fingerprint(&c.figid);
                    if let Some(&Some(first)) = self.figids.get(&fp) {
                        if first as usize > index {
                            self.displaced.push(c.figid.clone());
                        }
                        let first_path = figures
                            .get(first as usize)
                            .map_or("an earlier load", |f| f.rel);
                        self.rejected += 1;
                        self.rejects.push(Reject {
                            message: format!(
                                "{rel}, line {}: figid {} is already used by {first_path} (the first file in path order keeps it)",
                                c.figid_line, crate::error::quoted(&c.figid)
                            ),
                            source_path: rel,
                            line: Some(c.figid_line),
                            field: Some("figid".into()),
                            kind: RejectKind::DuplicateFigid,
                            column: None,
                        });
                        let masks = keep.get_or_insert_with(|| {
                            std::array::from_fn(|t| vec![true; batches.0[t].num_rows()])
                        });
                        for t in 0..4 {
                            masks[t][offsets[t]..offsets[t] + c.rows[t]].fill(false);
                        }
                    } else {
                        self.figids.insert(fp, Some(index as u32));
                        self.converted += 1;
                        for table_rel in c.conflicts {
                            self.rejects.push(conflict(&table_rel, &rel));
                        }
                    }
                    for (offset, rows) in offsets.iter_mut().zip(c.rows) {
                        *offset += rows;
                    }
                }
                Outcome::Rejected { reject, claim } => {
                    self.figids.entry(fingerprint(&claim)).or_insert(None);
                    self.rejected += 1;
                    self.rejects.push(reject);
                }
            }
        }
        let batches = match keep {
            None => batches,
            Some(masks) => {
                let mut filtered = Vec::with_capacity(4);
                for (t, (batch, mask)) in batches.0.iter().zip(masks).enumerate() {
                    filtered.push(filter(batch, mask, Table::ALL[t])?);
                }
                Batches(filtered.try_into().expect("four tables"))
            }
        };
        Ok(Accepted { batches, records })
    }

    /// Adds the rejects found while listing and the TSVs no record claimed, and returns every
    /// reject sorted by path, with `bytes_read`, the bytes the run's reader counted.
    pub fn finish(mut self, corpus: &mut Corpus, bytes_read: u64) -> Merged {
        self.rejected += corpus.rejected_figures as u64;
        self.rejects.append(&mut corpus.rejects);
        let mut orphans: Vec<Reject> = Vec::new();
        for (figid, set) in corpus.tables.iter() {
            if self.figids.contains_key(&fingerprint(figid)) {
                continue;
            }
            for (kind, file) in set.files(figid) {
                orphans.push(Reject {
                    message: format!(
                        "{}: no figure has figid {}, which the file name names (expected _figures/{figid}.md or a record with that figid) — its {} rows were not loaded",
                        file.rel,
                        crate::error::quoted(figid),
                        kind.key()
                    ),
                    source_path: file.rel,
                    line: None,
                    field: None,
                    kind: RejectKind::OrphanTable,
                    column: None,
                });
            }
        }
        self.rejects.append(&mut orphans);
        self.rejects.sort();
        Merged {
            rejects: self.rejects,
            converted: self.converted,
            rejected: self.rejected,
            displaced: self.displaced,
            bytes_read,
        }
    }
}

fn conflict(table_rel: &str, figure_rel: &str) -> Reject {
    Reject {
        message: format!(
            "{table_rel}: not used, because {figure_rel} lists its genes, chemicals and diseases inline in the front matter"
        ),
        source_path: table_rel.to_owned(),
        line: None,
        field: None,
        kind: RejectKind::ConflictingTable,
        column: None,
    }
}

fn filter(batch: &RecordBatch, mask: Vec<bool>, table: Table) -> Result<RecordBatch> {
    filter_record_batch(batch, &BooleanArray::from(mask)).map_err(|source| Error::Arrow {
        table: table.name(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Builders;
    use crate::decode::Converted;
    use crate::error::Problem;

    fn converted(figid: &str) -> Outcome {
        Outcome::Converted(Converted {
            figid: figid.to_owned(),
            figid_line: 2,
            rows: [0; 4],
            conflicts: Vec::new(),
        })
    }

    fn rejected(rel: &str, claim: &str) -> Outcome {
        Outcome::Rejected {
            reject: Problem::new(RejectKind::Yaml, "broken").into_reject(rel),
            claim: claim.to_owned(),
        }
    }

    /// Runs `outcomes` (one per figure, in order) through a merge in one chunk, then finishes
    /// it over a corpus whose `_data` holds `tsvs`.
    fn merge(figures: &[&str], outcomes: Vec<Outcome>, tsvs: &[&str]) -> Merged {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("_figures")).unwrap();
        std::fs::create_dir_all(dir.path().join("_data")).unwrap();
        for t in tsvs {
            std::fs::write(dir.path().join("_data").join(t), "").unwrap();
        }
        let mut corpus = crate::discover::discover(dir.path()).unwrap();
        let figures: Figures = figures.iter().copied().collect();
        let indices: Vec<usize> = (0..figures.len()).collect();
        let batches = Builders::default().finish().unwrap();
        let mut m = Merge::default();
        let accepted = m.accept(batches, outcomes, &indices, &figures).unwrap();
        assert_eq!(accepted.records, figures.len());
        m.finish(&mut corpus, 0)
    }

    fn kinds(m: &Merged) -> Vec<(&str, RejectKind)> {
        m.rejects
            .iter()
            .map(|r| (r.source_path.as_str(), r.kind))
            .collect()
    }

    #[test]
    fn the_first_file_in_order_keeps_a_figid() {
        let m = merge(
            &["_figures/a.md", "_figures/b.md"],
            vec![converted("F1"), converted("F1")],
            &[],
        );
        assert_eq!((m.converted, m.rejected), (1, 1));
        assert_eq!(kinds(&m), [("_figures/b.md", RejectKind::DuplicateFigid)]);
        assert!(m.rejects[0]
            .message
            .contains("already used by _figures/a.md"));
    }

    #[test]
    fn a_rejected_record_claims_its_tables_but_not_its_figid() {
        // a.md is rejected but names F1: F1's TSV is accounted for, not an orphan, and the
        // later b.md with figid F1 converts (a rejected record takes no figid).
        let m = merge(
            &["_figures/a.md", "_figures/b.md"],
            vec![rejected("_figures/a.md", "F1"), converted("F1")],
            &["F1-genes.tsv", "F2-genes.tsv"],
        );
        assert_eq!((m.converted, m.rejected), (1, 1));
        assert_eq!(
            kinds(&m),
            [
                ("_data/F2-genes.tsv", RejectKind::OrphanTable),
                ("_figures/a.md", RejectKind::Yaml),
            ]
        );
    }

    #[test]
    fn a_later_rejected_claim_leaves_the_figid_with_its_owner() {
        let m = merge(
            &["_figures/a.md", "_figures/b.md", "_figures/c.md"],
            vec![
                converted("F1"),
                rejected("_figures/b.md", "F1"),
                converted("F1"),
            ],
            &["F1-genes.tsv"],
        );
        assert_eq!((m.converted, m.rejected), (1, 2));
        assert_eq!(
            kinds(&m),
            [
                ("_figures/b.md", RejectKind::Yaml),
                ("_figures/c.md", RejectKind::DuplicateFigid),
            ]
        );
    }
}

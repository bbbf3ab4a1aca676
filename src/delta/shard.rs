//! `--shard K/N`: a deterministic share of the corpus for one of N machines.
//!
//! A TSV belongs to shard `hash(key) % N`, where the key is the figid its name carries; a
//! figure file to the shard of the key it claims TSVs by: the figid its front matter names,
//! or, when none can be read (an unreadable file, a YAML error before the figid), its file
//! stem. A record and its TSVs therefore always land in the same shard, and so do two
//! records with one figid (the duplicate is judged as in an unsharded load), whether or not
//! the figid is the file name. Learning each figure's key means decoding every figure file's
//! front matter in every shard ([`figure_keys`]); the TSVs, the rows and the writing are
//! what the shards divide. Each shard owns the table files whose names carry its tag, so N
//! shard loads never touch each other's files and commit side by side.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use twox_hash::XxHash3_64;

use crate::batch::Builders;
use crate::decode::Outcome;
use crate::discover::{Corpus, TableIndex};
use crate::read::{decode_file, DiskTables};

/// The key each figure file of `corpus` claims TSVs by (in `corpus.figures` order): the
/// figid a full decode of its front matter finds, or its file stem when there is none.
/// This is the decoder's own judgement (an empty TSV index, rows thrown away), so the key
/// is exactly the one the merge pairs TSVs by.
pub fn figure_keys(corpus: &Corpus, max_record_bytes: u64) -> Vec<String> {
    let no_tables = TableIndex::default();
    let disk = DiskTables::new(&corpus.root, &no_tables, max_record_bytes);
    (0..corpus.figures.len())
        .into_par_iter()
        .map_init(Builders::default, |scratch, i| {
            let file = corpus.figures.at(i);
            let mark = scratch.mark();
            let key = match decode_file(file, &disk, scratch) {
                Outcome::Converted(c) => c.figid,
                Outcome::Rejected { claim, .. } => claim,
            };
            scratch.rollback(mark);
            key
        })
        .collect()
}

/// Shard `index` of `count` (`0/1` is the whole corpus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `K/N` with `0 <= K < N`. The message says what is wrong without repeating
    /// the value (clap and pipeline errors show it beside the message).
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or("expected K/N, shard K of N with 0 <= K < N (e.g. 0/4)")?;
        let (Ok(index), Ok(count)) = (k.trim().parse::<u32>(), n.trim().parse::<u32>()) else {
            return Err("K and N of K/N must be whole numbers, 0 <= K < N (e.g. 0/4)".into());
        };
        if count == 0 {
            return Err("N of K/N must be at least 1 (0/1 is the whole corpus)".into());
        }
        if index >= count {
            return Err(format!(
                "K of K/N must be below N: the {count} shards are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// True for the unsharded load, which owns every file of the tables.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// True when the figure or TSV keyed by `stem` belongs to this shard.
    pub fn owns(self, stem: &str) -> bool {
        self.is_whole()
            || XxHash3_64::oneshot(stem.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }

    /// The tag in the names of the table files this shard writes: `s0of4`.
    pub fn tag(self) -> String {
        format!("s{}of{}", self.index, self.count)
    }

    /// The Delta application id of this shard's loads: concurrent loads of one shard
    /// conflict on it, loads of different shards do not.
    pub fn app_id(self) -> String {
        format!("pfocr-etl/{}", self.tag())
    }

    /// The shard count a table file was written by (from the tag in its name), if any.
    pub fn count_of_file(name: &str) -> Option<u32> {
        let tag = name.rsplit('/').next()?.strip_prefix("part-s")?;
        let (_, rest) = tag.split_once("of")?;
        rest.split('-').next()?.parse().ok()
    }

    /// True when this shard owns the table file `name` (a path in the table).
    pub fn owns_file(self, name: &str) -> bool {
        if self.is_whole() {
            return true;
        }
        let file = name.rsplit('/').next().unwrap_or(name);
        file.starts_with(&format!("part-{}-", self.tag()))
    }

    /// Keeps only this shard's figure files, TSVs and listing rejects in `corpus`; `keys`
    /// are the figure files' keys (`figure_keys`), in `corpus.figures` order.
    pub fn restrict(self, corpus: &mut Corpus, keys: &[String]) {
        if self.is_whole() {
            return;
        }
        debug_assert_eq!(keys.len(), corpus.figures.len());
        let mut owned = keys.iter().map(|k| self.owns(k));
        corpus.figures.retain(|_| owned.next().unwrap_or(false));
        corpus.tables.retain(|figid| self.owns(figid));
        corpus.rejects.retain(|r| {
            let name = r.source_path.rsplit('/').next().unwrap_or(&r.source_path);
            self.owns(name.split('.').next().unwrap_or(name))
        });
        // The map files serve every shard; one shard reports their bad lines.
        corpus.maps_reported_elsewhere = !self.owns("wpid_map");
        // The listing rejects under _figures are the unreadable figure inputs.
        corpus.rejected_figures = corpus
            .rejects
            .iter()
            .filter(|r| r.source_path.starts_with("_figures/"))
            .count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_k_of_n() {
        let s: Shard = "2/4".parse().unwrap();
        assert_eq!((s.index, s.count), (2, 4));
        assert_eq!(s.to_string(), "2/4");
        for (bad, says) in [
            ("4/4", "numbered 0 to 3"),
            ("3/2", "numbered 0 to 1"),
            ("1", "expected K/N"),
            ("a/b", "whole numbers"),
            ("-1/3", "whole numbers"),
            ("0/0", "at least 1"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn every_stem_has_exactly_one_shard() {
        for stem in ["PMC1__f1", "PMC2__gr3", "x", ""] {
            let owners = (0..4)
                .filter(|&k| Shard { index: k, count: 4 }.owns(stem))
                .count();
            assert_eq!(owners, 1, "{stem}");
            assert!(Shard::default().owns(stem));
        }
    }

    #[test]
    fn a_figure_is_keyed_by_its_figid_or_else_its_stem() {
        let dir = tempfile::tempdir().unwrap();
        let figs = dir.path().join("_figures");
        std::fs::create_dir_all(&figs).unwrap();
        for (name, text) in [
            ("a.md", "---\nfigid: a\n---\n"),
            ("x.md", "---\nfigid: c\n---\n"),
            ("broken.md", "---\nfigid: [\n---\n"),
            (
                "big.md",
                "---\nfigid: e\ncaption: long enough to be too large\n---\n",
            ),
        ] {
            std::fs::write(figs.join(name), text).unwrap();
        }
        let corpus = crate::discover::discover(dir.path()).unwrap();
        let rels: Vec<&str> = corpus.figures.iter().map(|f| f.rel).collect();
        assert_eq!(
            rels,
            [
                "_figures/a.md",
                "_figures/big.md",
                "_figures/broken.md",
                "_figures/x.md"
            ]
        );
        // A record that cannot be read or parsed claims by its stem.
        assert_eq!(figure_keys(&corpus, 40), ["a", "big", "broken", "c"]);
        assert_eq!(figure_keys(&corpus, 1 << 20)[1], "e");
        // The shard follows the key.
        let s = Shard { index: 1, count: 3 };
        let mut c = crate::discover::discover(dir.path()).unwrap();
        let keys = figure_keys(&c, 1 << 20);
        s.restrict(&mut c, &keys);
        let kept: Vec<&str> = c.figures.iter().map(|f| f.rel).collect();
        let want: Vec<&str> = rels
            .iter()
            .zip(&keys)
            .filter(|(_, k)| s.owns(k))
            .map(|(r, _)| *r)
            .collect();
        assert_eq!(kept, want);
    }

    #[test]
    fn file_tags_name_their_shard() {
        let s = Shard { index: 1, count: 3 };
        let name = format!("part-{}-l000002-17-99.parquet", s.tag());
        assert!(s.owns_file(&name));
        assert!(!Shard { index: 0, count: 3 }.owns_file(&name));
        assert!(Shard::default().owns_file(&name));
        assert_eq!(Shard::count_of_file(&name), Some(3));
        assert_eq!(Shard::count_of_file("part-00000.parquet"), None);
    }
}

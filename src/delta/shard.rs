//! `--shard K/N`: a deterministic share of the corpus for one of N machines.
//!
//! A figure file belongs to shard `hash(stem) % N`, where the stem is its file name without
//! `.md`; a TSV to the shard of the figid its name carries. By the corpus convention
//! (`_figures/<figid>.md`, `_data/<figid>-genes.tsv`) a record and its TSVs therefore land
//! in the same shard. Each shard owns the table files whose names carry its tag, so N shard
//! loads never touch each other's files and commit side by side.

use std::fmt;
use std::str::FromStr;

use twox_hash::XxHash3_64;

use crate::discover::Corpus;

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

    /// Parses `K/N` with `0 <= K < N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard takes K/N with 0 <= K < N (e.g. 0/4), not '{s}'");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
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

    /// Keeps only this shard's figure files, TSVs and listing rejects in `corpus`.
    pub fn restrict(self, corpus: &mut Corpus) {
        if self.is_whole() {
            return;
        }
        corpus.figures.retain(|f| self.owns(f.stem()));
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
        for bad in ["4/4", "1", "a/b", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
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

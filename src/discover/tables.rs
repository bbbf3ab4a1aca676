//! The `_data` TSVs of a corpus by the figid their file name carries, packed: every figid in
//! one string, sorted, one bit a table at its usual place (`_data/<figid>-<kind>.tsv`), so
//! the index a run keeps costs ~30 bytes a figid instead of ~80 in a `HashMap<String, _>`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{located, lossy};
use crate::packed::Packed;
use crate::schema::EntityKind;

/// One `_data` TSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFile {
    /// Path relative to the corpus root, `/`-separated.
    pub rel: String,
    lossy: Option<Box<Path>>,
}

impl TableFile {
    /// Where the file is, for a corpus at `root`.
    pub fn path(&self, root: &Path) -> PathBuf {
        located(root, &self.rel, self.lossy.as_deref())
    }

    /// The file's path relative to the corpus root, when `rel` names it (not a lossy one).
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn names_itself(&self) -> Option<&Path> {
        self.lossy.is_none().then(|| Path::new(self.rel.as_str()))
    }

    pub(super) fn found(path: PathBuf, rel: String) -> Self {
        TableFile {
            lossy: lossy(path),
            rel,
        }
    }

    /// Breaks ties of equal (lossy) `rel`s when sorting.
    pub(super) fn own_path(&self) -> Option<&Path> {
        self.lossy.as_deref()
    }

    /// The usual place of the `kind` table of `figid`.
    fn canonical(figid: &str, kind: EntityKind) -> Self {
        TableFile {
            rel: format!("_data/{figid}{}", kind.tsv_suffix()),
            lossy: None,
        }
    }
}

/// Tables found elsewhere than at their usual place (subfolders, non-UTF-8 paths), by kind.
type Others = [Option<TableFile>; 3];

/// The TSVs of one figid: a view into [`TableIndex`].
#[derive(Debug, Clone, Copy)]
pub struct TableSet<'a> {
    /// Bit `kind.index()`: the table is at its usual place.
    canonical: u8,
    other: Option<&'a Others>,
}

impl<'a> TableSet<'a> {
    /// The `kind` table of `figid` (this set's key), if there is one.
    pub fn file(&self, figid: &str, kind: EntityKind) -> Option<TableFile> {
        if self.canonical & (1 << kind.index()) != 0 {
            return Some(TableFile::canonical(figid, kind));
        }
        self.other?[kind.index()].clone()
    }

    /// Every table of `figid` (this set's key), in [`EntityKind::ALL`] order.
    pub fn files(self, figid: &'a str) -> impl Iterator<Item = (EntityKind, TableFile)> + 'a {
        EntityKind::ALL
            .into_iter()
            .filter_map(move |kind| Some((kind, self.file(figid, kind)?)))
    }
}

/// TSVs by figid, in figid order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableIndex {
    /// Every figid, sorted.
    figids: Packed,
    /// Per figid: which tables are at their usual place (bit `kind.index()`).
    canonical: Vec<u8>,
    /// The tables found elsewhere, by figid position, ascending (rare).
    other: Vec<(usize, Box<Others>)>,
}

impl TableIndex {
    /// Figids with at least one table.
    pub fn len(&self) -> usize {
        self.figids.len()
    }

    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // the pair of `len`
    pub fn is_empty(&self) -> bool {
        self.figids.len() == 0
    }

    /// The tables of `figid`, if it has any.
    pub fn get(&self, figid: &str) -> Option<TableSet<'_>> {
        self.figids.find(figid).map(|i| self.set(i))
    }

    /// Every figid with its tables, in figid order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, TableSet<'_>)> + '_ {
        (0..self.len()).map(|i| (self.figid(i), self.set(i)))
    }

    /// Keeps only the figids for which `keep` is true.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let mut kept = TableIndex::default();
        let mut others = std::mem::take(&mut self.other).into_iter().peekable();
        for i in 0..self.len() {
            let other = others.next_if(|(at, _)| *at == i).map(|(_, o)| o);
            if keep(self.figid(i)) {
                kept.push(self.figid(i), self.canonical[i], other);
            }
        }
        // Grown by doubling: give the slack back, the index lives for the whole run.
        kept.figids.shrink_to_fit();
        kept.canonical.shrink_to_fit();
        *self = kept;
    }

    fn figid(&self, i: usize) -> &str {
        self.figids.at(i)
    }

    fn set(&self, i: usize) -> TableSet<'_> {
        let other = self
            .other
            .binary_search_by_key(&i, |(at, _)| *at)
            .ok()
            .map(|k| &*self.other[k].1);
        TableSet {
            canonical: self.canonical[i],
            other,
        }
    }

    fn push(&mut self, figid: &str, canonical: u8, other: Option<Box<Others>>) {
        if let Some(other) = other {
            self.other.push((self.len(), other));
        }
        self.figids.push(figid);
        self.canonical.push(canonical);
    }
}

/// Builds a [`TableIndex`] while discovery lists `_data`.
#[derive(Debug, Default)]
pub(super) struct TableIndexBuilder {
    sets: HashMap<String, (u8, Option<Box<Others>>)>,
}

impl TableIndexBuilder {
    /// Files `file` as the `kind` table of `figid`, unless that figid already has one: then
    /// `file` comes back with the one kept.
    pub fn add(
        &mut self,
        figid: &str,
        kind: EntityKind,
        file: TableFile,
    ) -> Result<(), (TableFile, TableFile)> {
        if !self.sets.contains_key(figid) {
            self.sets.insert(figid.to_owned(), Default::default());
        }
        let (canonical, other) = self.sets.get_mut(figid).expect("inserted above");
        let bit = 1 << kind.index();
        if *canonical & bit != 0 {
            return Err((file, TableFile::canonical(figid, kind)));
        }
        if let Some(kept) = other.as_ref().and_then(|o| o[kind.index()].as_ref()) {
            return Err((file, kept.clone()));
        }
        if file == TableFile::canonical(figid, kind) {
            *canonical |= bit;
        } else {
            other.get_or_insert_with(Default::default)[kind.index()] = Some(file);
        }
        Ok(())
    }

    /// The packed index, in figid order.
    pub fn finish(self) -> TableIndex {
        let mut sets: Vec<_> = self.sets.into_iter().collect();
        sets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut index = TableIndex {
            figids: Packed::with_capacity(sets.len(), sets.iter().map(|(f, _)| f.len()).sum()),
            canonical: Vec::with_capacity(sets.len()),
            other: Vec::new(),
        };
        for (figid, (canonical, other)) in sets {
            index.push(&figid, canonical, other);
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str) -> TableFile {
        TableFile {
            rel: rel.to_owned(),
            lossy: None,
        }
    }

    #[test]
    fn files_tables_by_figid_and_keeps_the_first_of_a_kind() {
        let mut b = TableIndexBuilder::default();
        assert!(b
            .add("b", EntityKind::Genes, file("_data/b-genes.tsv"))
            .is_ok());
        assert!(b
            .add("a", EntityKind::Genes, file("_data/x/a-genes.tsv"))
            .is_ok());
        assert!(b
            .add("a", EntityKind::Diseases, file("_data/a-diseases.tsv"))
            .is_ok());
        let (second, kept) = b
            .add("a", EntityKind::Genes, file("_data/a-genes.tsv"))
            .unwrap_err();
        assert_eq!(
            (second.rel.as_str(), kept.rel.as_str()),
            ("_data/a-genes.tsv", "_data/x/a-genes.tsv")
        );
        let (second, kept) = b
            .add("b", EntityKind::Genes, file("_data/y/b-genes.tsv"))
            .unwrap_err();
        assert_eq!(
            (second.rel.as_str(), kept.rel.as_str()),
            ("_data/y/b-genes.tsv", "_data/b-genes.tsv")
        );
        let mut index = b.finish();
        let figids: Vec<&str> = index.iter().map(|(f, _)| f).collect();
        assert_eq!(figids, ["a", "b"]);
        let a: Vec<(EntityKind, String)> = index
            .get("a")
            .unwrap()
            .files("a")
            .map(|(k, f)| (k, f.rel))
            .collect();
        assert_eq!(
            a,
            [
                (EntityKind::Genes, "_data/x/a-genes.tsv".to_owned()),
                (EntityKind::Diseases, "_data/a-diseases.tsv".to_owned())
            ]
        );
        assert!(index
            .get("b")
            .unwrap()
            .file("b", EntityKind::Chemicals)
            .is_none());
        assert!(index.get("c").is_none());
        index.retain(|f| f == "a");
        assert_eq!(index.len(), 1);
        assert_eq!(
            (index.figids.capacity(), index.canonical.capacity()),
            ((1, 1), 1)
        );
        let kept = index
            .get("a")
            .unwrap()
            .file("a", EntityKind::Genes)
            .unwrap();
        assert_eq!(kept.rel, "_data/x/a-genes.tsv");
        assert!(index.get("b").is_none());
    }

    proptest::proptest! {
        #[test]
        fn finds_every_figid_filed(figids in proptest::collection::btree_set("[a-d]{1,4}", 0..30)) {
            let mut b = TableIndexBuilder::default();
            for f in figids.iter().rev() {
                b.add(f, EntityKind::Chemicals, TableFile::canonical(f, EntityKind::Chemicals)).unwrap();
            }
            let index = b.finish();
            let listed: Vec<&str> = index.iter().map(|(f, _)| f).collect();
            let want: Vec<&str> = figids.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(listed, want);
            for f in &figids {
                let t = index.get(f).and_then(|s| s.file(f, EntityKind::Chemicals));
                proptest::prop_assert_eq!(t.map(|t| t.rel), Some(format!("_data/{f}-chemicals.tsv")));
                let missing = format!("{f}z");
                proptest::prop_assert_eq!(index.get(&missing).is_some(), figids.contains(&missing));
            }
        }
    }
}

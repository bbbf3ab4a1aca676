//! The figure files of a corpus, packed: every relative path in one string, so the list a
//! run keeps for its whole length costs ~34 bytes a record (the path and its end offset)
//! instead of ~80 for a `Vec` of owned paths (each a heap block plus a 40-byte entry).

use std::path::{Path, PathBuf};

use super::located;
use crate::packed::Packed;

/// One figure file: a view into [`Figures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureFile<'a> {
    /// Path relative to the corpus root, `/`-separated: the `source_path` column.
    pub rel: &'a str,
    /// The file's own path when `rel` cannot name it (a path that is not UTF-8).
    lossy: Option<&'a Path>,
}

impl<'a> FigureFile<'a> {
    /// Where the file is, for a corpus at `root`.
    pub fn path(&self, root: &Path) -> PathBuf {
        located(root, self.rel, self.lossy)
    }

    /// The file's path relative to the corpus root, when `rel` names it (not a lossy one).
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn names_itself(&self) -> Option<&'a Path> {
        self.lossy.is_none().then(|| Path::new(self.rel))
    }

    /// The file name without `.md`: the figid by convention, used to pair TSVs with a record
    /// that was rejected before its figid was read.
    pub fn stem(&self) -> &'a str {
        let name = self.rel.rsplit('/').next().unwrap_or(self.rel);
        name.strip_suffix(".md").unwrap_or(name)
    }
}

/// Figure files in the order they were added (sorted by [`Figures::sorted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Every `rel`, in order.
    names: Packed,
    /// The own paths of the rare files whose `rel` cannot name them, by position, ascending.
    lossy: Vec<(usize, Box<Path>)>,
}

impl Figures {
    /// Adds the file at `rel`; `lossy` is its own path when `rel` cannot name it.
    pub fn push(&mut self, rel: &str, lossy: Option<Box<Path>>) {
        if let Some(path) = lossy {
            self.lossy.push((self.names.len(), path));
        }
        self.names.push(rel);
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // the pair of `len`
    pub fn is_empty(&self) -> bool {
        self.names.len() == 0
    }

    /// The file at position `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<FigureFile<'_>> {
        let rel = self.names.get(i)?;
        let lossy = self
            .lossy
            .binary_search_by_key(&i, |(at, _)| *at)
            .ok()
            .map(|k| &*self.lossy[k].1);
        Some(FigureFile { rel, lossy })
    }

    /// The file at position `i`; like slice indexing, `i` must be below [`Figures::len`].
    pub fn at(&self, i: usize) -> FigureFile<'_> {
        self.get(i).expect("a figure index below len()")
    }

    /// Every file, in order.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FigureFile<'_>> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// The position of the file at `rel`, in a list sorted by [`Figures::sorted`] (the tests'
    /// check of the sorting).
    #[cfg(test)]
    pub fn position(&self, rel: &str) -> Option<usize> {
        self.names.find(rel)
    }

    /// The same files sorted by `rel` (then by own path, which only breaks ties of lossy
    /// `rel`s: paths are unique, so the order is total).
    pub fn sorted(self) -> Figures {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (fa, fb) = (self.at(a), self.at(b));
            fa.rel.cmp(fb.rel).then_with(|| fa.lossy.cmp(&fb.lossy))
        });
        self.select(&order)
    }

    /// Keeps only the files for which `keep` is true, in order.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn retain(&mut self, mut keep: impl FnMut(FigureFile<'_>) -> bool) {
        let kept: Vec<usize> = (0..self.len()).filter(|&i| keep(self.at(i))).collect();
        *self = std::mem::take(self).select(&kept);
    }

    /// The files at `positions`, in that order, packed tight: the buffer is sized to the
    /// kept names, so a shard that keeps a few of many files does not hold the whole list's.
    fn select(self, positions: &[usize]) -> Figures {
        let bytes = positions.iter().map(|&i| self.names.at(i).len()).sum();
        let mut out = Figures {
            names: Packed::with_capacity(positions.len(), bytes),
            lossy: Vec::new(),
        };
        for &i in positions {
            let f = self.at(i);
            out.push(f.rel, f.lossy.map(Box::from));
        }
        out
    }
}

impl<'a> FromIterator<&'a str> for Figures {
    /// Files at these relative paths (tests and callers that build a corpus by hand).
    fn from_iter<I: IntoIterator<Item = &'a str>>(rels: I) -> Self {
        let mut f = Figures::default();
        for rel in rels {
            f.push(rel, None);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_sorts_and_finds_paths() {
        let mut f = Figures::default();
        for rel in ["_figures/c.md", "_figures/a.md", "_figures/b/x.md"] {
            f.push(rel, None);
        }
        f.push(
            "_figures/a\u{fffd}.md",
            Some(Path::new("/raw/a\u{fffd}.md").into()),
        );
        let f = f.sorted();
        let rels: Vec<&str> = f.iter().map(|x| x.rel).collect();
        assert_eq!(
            rels,
            [
                "_figures/a.md",
                "_figures/a\u{fffd}.md",
                "_figures/b/x.md",
                "_figures/c.md"
            ]
        );
        assert_eq!(f.at(0).path(Path::new("/r")), Path::new("/r/_figures/a.md"));
        assert_eq!(
            f.at(1).path(Path::new("/r")),
            Path::new("/raw/a\u{fffd}.md")
        );
        assert_eq!(f.at(2).stem(), "x");
        assert_eq!(f.position("_figures/c.md"), Some(3));
        assert_eq!(f.position("_figures/a.md"), Some(0));
        assert_eq!(f.position("_figures/bb.md"), None);
        assert_eq!(f.get(4), None);
    }

    #[test]
    fn retain_keeps_order_and_own_paths() {
        let mut f = Figures::default();
        f.push("_figures/a.md", None);
        f.push("_figures/b.md", Some(Path::new("/raw/b").into()));
        f.push("_figures/c.md", None);
        f.retain(|x| x.stem() != "a");
        assert_eq!(f.len(), 2);
        assert_eq!(f.at(0).path(Path::new("/r")), Path::new("/raw/b"));
        assert_eq!(f.at(1).rel, "_figures/c.md");
    }

    #[test]
    fn retain_holds_room_for_the_kept_files_only() {
        let rels: Vec<String> = (0..1000)
            .map(|i| format!("_figures/PMC{i:07}__g.md"))
            .collect();
        let mut f: Figures = rels.iter().map(String::as_str).collect();
        f = f.sorted();
        f.retain(|x| x.rel.ends_with("7__g.md"));
        assert_eq!(f.len(), 100);
        let (bytes, ends) = f.names.capacity();
        assert_eq!((bytes, ends), (100 * rels[0].len(), 100));
    }

    proptest::proptest! {
        #[test]
        fn sorted_matches_sorting_the_strings(rels in proptest::collection::vec("[a-c/]{0,6}", 0..40)) {
            let f: Figures = rels.iter().map(String::as_str).collect();
            let mut want = rels.clone();
            want.sort();
            let f = f.sorted();
            let got: Vec<&str> = f.iter().map(|x| x.rel).collect();
            proptest::prop_assert_eq!(&got, &want);
            for (i, r) in want.iter().enumerate() {
                // With repeats the first of equal paths is found.
                let first = want.iter().position(|w| w == r).unwrap();
                proptest::prop_assert_eq!(f.position(r), Some(first));
                proptest::prop_assert!(first <= i);
            }
        }
    }
}

//! [`Rows`]: a load state, every corpus file's [`SourceRow`] by source path, as one sorted
//! list. A load holds two of these for every file of the corpus (the last load's and the
//! scan's), so the layout is the memory of a load: a list costs its entries and nothing
//! else, where a `BTreeMap` built from it would hold both for a moment and one built by
//! inserting sorted keys one at a time keeps its nodes about half full.

use super::sources::SourceRow;

/// Rows sorted by source path, each path once; looked up by binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows(Vec<(String, SourceRow)>);

impl Rows {
    /// The rows of `list`, whose paths are unique (a corpus lists each path once, and a state
    /// was written from such rows); were one there twice, one of its rows would stay.
    pub fn from_list(mut list: Vec<(String, SourceRow)>) -> Rows {
        // In place: a stable sort would take a buffer of half the list (~20 MB at 200,000
        // records) at the load's peak. A state read back is sorted already.
        if !list.is_sorted_by(|a, b| a.0 <= b.0) {
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        list.dedup_by(|a, b| a.0 == b.0);
        list.shrink_to_fit();
        Rows(list)
    }

    fn find(&self, path: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(p, _)| p.as_str().cmp(path))
    }

    pub fn get(&self, path: &str) -> Option<&SourceRow> {
        self.find(path).ok().map(|i| &self.0[i].1)
    }

    #[cfg(test)]
    pub fn get_mut(&mut self, path: &str) -> Option<&mut SourceRow> {
        self.find(path).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, path: &str) -> bool {
        self.find(path).is_ok()
    }

    /// Adds or replaces the row of `path`.
    #[cfg(test)]
    pub fn insert(&mut self, path: String, row: SourceRow) {
        match self.find(&path) {
            Ok(i) => self.0[i].1 = row,
            Err(i) => self.0.insert(i, (path, row)),
        }
    }

    pub fn remove(&mut self, path: &str) -> Option<SourceRow> {
        self.find(path).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[cfg_attr(not(test), allow(dead_code))] // the pair of `len`
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every row with its path, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &SourceRow)> + '_ {
        self.0.iter().map(|(p, r)| (p, r))
    }

    pub fn values(&self) -> impl Iterator<Item = &SourceRow> + '_ {
        self.0.iter().map(|(_, r)| r)
    }

    #[cfg(test)]
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut SourceRow> + '_ {
        self.0.iter_mut().map(|(_, r)| r)
    }
}

impl std::ops::Index<&str> for Rows {
    type Output = SourceRow;

    /// The row of `path`, which must be there (like a map's indexing).
    fn index(&self, path: &str) -> &SourceRow {
        self.get(path).expect("a path of these rows")
    }
}

impl FromIterator<(String, SourceRow)> for Rows {
    fn from_iter<I: IntoIterator<Item = (String, SourceRow)>>(iter: I) -> Rows {
        Rows::from_list(iter.into_iter().collect())
    }
}

impl IntoIterator for Rows {
    type Item = (String, SourceRow);
    type IntoIter = std::vec::IntoIter<(String, SourceRow)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sources::{Hash, Kind};
    use super::*;

    fn row(hash: &str) -> SourceRow {
        SourceRow {
            kind: Kind::Figure,
            content_hash: hash.into(),
            figid: None,
            inline: None,
            stamp: None,
            rows: None,
        }
    }

    fn rows(pairs: &[(&str, &str)]) -> Rows {
        pairs.iter().map(|(p, h)| (p.to_string(), row(h))).collect()
    }

    #[test]
    fn a_list_is_sorted_and_holds_each_path_once() {
        let r = rows(&[("c", "1"), ("a", "2"), ("b", "3"), ("c", "4")]);
        let got: Vec<(&str, String)> = r
            .iter()
            .map(|(p, r)| (p.as_str(), r.content_hash.to_string()))
            .collect();
        assert_eq!(got[..2], [("a", "2".into()), ("b", "3".into())]);
        assert_eq!(got[2].0, "c");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn lookups_inserts_and_removals_keep_the_order() {
        let mut r = rows(&[("b", "1"), ("d", "2")]);
        assert!(r.contains_key("b") && !r.contains_key("c") && r.get("a").is_none());
        assert_eq!(r["d"].content_hash, Hash::from("2"));
        r.insert("c".into(), row("3"));
        r.insert("a".into(), row("0"));
        r.insert("d".into(), row("4"));
        let paths: Vec<&str> = r.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c", "d"]);
        assert_eq!(r["d"].content_hash, Hash::from("4"));
        r.get_mut("b").unwrap().content_hash = "9".into();
        assert_eq!(r.remove("b").map(|r| r.content_hash), Some(Hash::from("9")));
        assert_eq!(r.remove("b"), None);
        assert_eq!(r.values().count(), 3);
        assert!(!r.is_empty() && Rows::default().is_empty());
    }
}

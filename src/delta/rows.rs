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

    #[cfg(test)]
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

    #[cfg(test)]
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

impl Rows {
    /// A cursor for looking up paths in ascending order (see [`Cursor`]).
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            rows: &self.0,
            at: 0,
        }
    }
}

/// Every path of `a` or `b` once, in order, with its row in each (a full outer join).
pub fn outer_join<'a>(
    a: &'a Rows,
    b: &'a Rows,
) -> impl Iterator<Item = (&'a str, Option<&'a SourceRow>, Option<&'a SourceRow>)> {
    let (mut a, mut b) = (a.0.iter().peekable(), b.0.iter().peekable());
    std::iter::from_fn(move || {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return None,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        Some(match order {
            std::cmp::Ordering::Less => a.next().map(|(p, r)| (p.as_str(), Some(r), None))?,
            std::cmp::Ordering::Greater => b.next().map(|(p, r)| (p.as_str(), None, Some(r)))?,
            std::cmp::Ordering::Equal => {
                let (p, ra) = a.next()?;
                let (_, rb) = b.next()?;
                (p.as_str(), Some(ra), Some(rb))
            }
        })
    })
}

/// Looks up paths given in ascending order with one walk of the rows, where a binary search
/// a path would compare ~17 long, mostly shared prefixes each (a plan looks up every corpus
/// file). A path out of order is still found, by a search.
pub struct Cursor<'a> {
    rows: &'a [(String, SourceRow)],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn get(&mut self, path: &str) -> Option<&'a SourceRow> {
        let behind = self.at > 0 && self.rows[self.at - 1].0.as_str() >= path;
        if behind {
            let i = self.rows.binary_search_by(|(p, _)| p.as_str().cmp(path));
            return i.ok().map(|i| &self.rows[i].1);
        }
        while self
            .rows
            .get(self.at)
            .is_some_and(|(p, _)| p.as_str() < path)
        {
            self.at += 1;
        }
        match self.rows.get(self.at) {
            Some((p, r)) if p == path => {
                self.at += 1;
                Some(r)
            }
            _ => None,
        }
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

    #[test]
    fn the_outer_join_has_every_path_once_in_order() {
        let a = rows(&[("a", "1"), ("c", "3"), ("d", "4")]);
        let b = rows(&[("b", "2"), ("c", "33"), ("e", "5")]);
        let hash = |row: Option<&SourceRow>| row.map(|r| r.content_hash.to_string());
        let joined: Vec<_> = outer_join(&a, &b)
            .map(|(p, x, y)| (p.to_owned(), hash(x), hash(y)))
            .collect();
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            joined,
            [
                ("a".into(), s("1"), None),
                ("b".into(), None, s("2")),
                ("c".into(), s("3"), s("33")),
                ("d".into(), s("4"), None),
                ("e".into(), None, s("5")),
            ]
        );
    }

    #[test]
    fn a_cursor_finds_paths_in_order_and_out_of_order() {
        let r = rows(&[("a", "1"), ("b", "2"), ("d", "4")]);
        let mut c = r.cursor();
        let hash = |row: Option<&SourceRow>| row.map(|r| r.content_hash.to_string());
        assert_eq!(hash(c.get("a")), Some("1".into()));
        assert_eq!(hash(c.get("c")), None);
        assert_eq!(hash(c.get("d")), Some("4".into()));
        assert_eq!(hash(c.get("b")), Some("2".into()), "behind: searched");
        assert_eq!(hash(c.get("b")), Some("2".into()));
        assert_eq!(hash(c.get("e")), None);
        assert_eq!(hash(c.get("a")), Some("1".into()));
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

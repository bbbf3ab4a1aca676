//! [`Rows`]: a load state, every corpus file's [`SourceRow`] by source path, as lists with a
//! sorted index. A load holds two of these for every file of the corpus (the last load's and
//! the scan's), so the layout is the memory of a load: lists cost their entries and nothing
//! else, where a `BTreeMap` would hold both for a moment and keep its nodes part empty; and
//! the paths are packed in one buffer, not a heap block each.

use super::sources::SourceRow;
use crate::packed::Packed;

/// Rows by source path, each path once, looked up by binary search. The paths are packed in
/// one buffer in the order the rows came (a load holds ~400,000 of them twice at 200,000
/// records), and `order` lists the rows sorted by path: a scan's rows, which come in no
/// single order, are sorted without a second buffer of paths or rows.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    paths: Packed,
    rows: Vec<SourceRow>,
    /// Positions in `paths` and `rows`, in path order; a row left out (a duplicate, a
    /// removed row) is no longer listed here.
    order: Vec<u32>,
}

/// Rows as they come (a scan's, a state's), made into [`Rows`] by [`RowsBuilder::finish`].
#[derive(Debug, Default)]
pub struct RowsBuilder {
    paths: Packed,
    rows: Vec<SourceRow>,
    /// The load that wrote each row (state rows; empty for a scan's).
    loads: Vec<i64>,
}

impl RowsBuilder {
    /// Room for `count` rows whose paths have `bytes` bytes in all.
    pub fn with_capacity(count: usize, bytes: usize) -> Self {
        RowsBuilder {
            paths: Packed::with_capacity(count, bytes),
            rows: Vec::with_capacity(count),
            loads: Vec::new(),
        }
    }

    /// Room for `bytes` more bytes of paths, exactly (a state's batch knows its paths'
    /// bytes; growing by doubling would hold up to twice the buffer).
    pub fn reserve_path_bytes(&mut self, bytes: usize) {
        self.paths.reserve_exact(bytes);
    }

    pub fn push(&mut self, path: &str, row: SourceRow) {
        self.paths.push(path);
        self.rows.push(row);
    }

    /// Pushes a state row written by load number `load` (see [`RowsBuilder::finish`]).
    pub fn push_loaded(&mut self, path: &str, row: SourceRow, load: i64) {
        self.loads.resize(self.rows.len(), 0);
        self.loads.push(load);
        self.push(path, row);
    }

    /// The rows ordered by path. Of a path there more than once, the row of the latest load
    /// stays ([`RowsBuilder::push_loaded`]), and of rows of one load the last pushed: a load
    /// state is its first file with the rows later loads appended ([`super::load`]). A
    /// state of one file is sorted and unique already.
    pub fn finish(self) -> Rows {
        let RowsBuilder {
            mut paths,
            mut rows,
            loads,
        } = self;
        let n = u32::try_from(rows.len()).expect("fewer than 2^32 corpus files");
        let mut order: Vec<u32> = (0..n).collect();
        let at = |i: &u32| paths.at(*i as usize);
        let load = |i: &u32| loads.get(*i as usize).copied().unwrap_or(0);
        if !(1..order.len()).all(|i| paths.at(i - 1) < paths.at(i)) {
            // Latest first among equal paths: `dedup_by` keeps the first of each run.
            order.sort_unstable_by(|a, b| {
                let latest = (load(b), *b).cmp(&(load(a), *a));
                at(a).cmp(at(b)).then(latest)
            });
            order.dedup_by(|a, b| at(a) == at(b));
        }
        paths.shrink_to_fit();
        rows.shrink_to_fit();
        Rows { paths, rows, order }
    }
}

impl Rows {
    /// The rows of `list` (see [`RowsBuilder::finish`]).
    pub fn from_list(list: Vec<(String, SourceRow)>) -> Rows {
        let bytes = list.iter().map(|(p, _)| p.len()).sum();
        let mut b = RowsBuilder::with_capacity(list.len(), bytes);
        for (path, row) in list {
            b.push(&path, row);
        }
        b.finish()
    }

    /// The path at position `k` of the path order.
    fn path(&self, k: usize) -> &str {
        self.paths.at(self.order[k] as usize)
    }

    /// The row at position `k` of the path order.
    fn row(&self, k: usize) -> &SourceRow {
        &self.rows[self.order[k] as usize]
    }

    /// `Ok` with the position of `path` in the path order, or `Err` with where it would go.
    fn find(&self, path: &str) -> Result<usize, usize> {
        self.order
            .binary_search_by(|&i| self.paths.at(i as usize).cmp(path))
    }

    pub fn get(&self, path: &str) -> Option<&SourceRow> {
        self.find(path).ok().map(|k| self.row(k))
    }

    #[cfg(test)]
    pub fn get_mut(&mut self, path: &str) -> Option<&mut SourceRow> {
        let k = self.find(path).ok()?;
        Some(&mut self.rows[self.order[k] as usize])
    }

    #[cfg(test)]
    pub fn contains_key(&self, path: &str) -> bool {
        self.find(path).is_ok()
    }

    /// Adds or replaces the row of `path`.
    #[cfg(test)]
    pub fn insert(&mut self, path: String, row: SourceRow) {
        match self.find(&path) {
            Ok(k) => self.rows[self.order[k] as usize] = row,
            Err(k) => {
                self.order.insert(k, self.rows.len() as u32);
                self.paths.push(&path);
                self.rows.push(row);
            }
        }
    }

    /// Takes the row of `path` out of the order (its bytes stay until the rows are dropped:
    /// a load removes one row, the options row).
    pub fn remove(&mut self, path: &str) -> Option<SourceRow> {
        let k = self.find(path).ok()?;
        let i = self.order.remove(k) as usize;
        Some(self.rows[i].clone())
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    #[cfg_attr(not(test), allow(dead_code))] // the pair of `len`
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Every row with its path, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SourceRow)> + '_ {
        (0..self.order.len()).map(|k| (self.path(k), self.row(k)))
    }

    pub fn values(&self) -> impl Iterator<Item = &SourceRow> + '_ {
        (0..self.order.len()).map(|k| self.row(k))
    }

    #[cfg(test)]
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut SourceRow> + '_ {
        let listed: std::collections::HashSet<u32> = self.order.iter().copied().collect();
        self.rows
            .iter_mut()
            .enumerate()
            .filter(move |(i, _)| listed.contains(&(*i as u32)))
            .map(|(_, r)| r)
    }

    /// A cursor for looking up paths in ascending order (see [`Cursor`]).
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor { rows: self, at: 0 }
    }
}

impl PartialEq for Rows {
    /// Equal when they hold the same rows by the same paths (however they are stored).
    fn eq(&self, other: &Rows) -> bool {
        self.order.len() == other.order.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Rows {}

/// Every path of `a` or `b` once, in order, with its row in each (a full outer join).
pub fn outer_join<'a>(
    a: &'a Rows,
    b: &'a Rows,
) -> impl Iterator<Item = (&'a str, Option<&'a SourceRow>, Option<&'a SourceRow>)> {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    std::iter::from_fn(move || {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return None,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        Some(match order {
            std::cmp::Ordering::Less => a.next().map(|(p, r)| (p, Some(r), None))?,
            std::cmp::Ordering::Greater => b.next().map(|(p, r)| (p, None, Some(r)))?,
            std::cmp::Ordering::Equal => {
                let (p, ra) = a.next()?;
                let (_, rb) = b.next()?;
                (p, Some(ra), Some(rb))
            }
        })
    })
}

/// Looks up paths given in ascending order with one walk of the rows, where a binary search
/// a path would compare ~17 long, mostly shared prefixes each (a plan looks up every corpus
/// file). A path out of order is still found, by a search.
pub struct Cursor<'a> {
    rows: &'a Rows,
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn get(&mut self, path: &str) -> Option<&'a SourceRow> {
        let rows = self.rows;
        let behind = self.at > 0 && rows.path(self.at - 1) >= path;
        if behind {
            return rows.get(path);
        }
        while self.at < rows.order.len() && rows.path(self.at) < path {
            self.at += 1;
        }
        if self.at < rows.order.len() && rows.path(self.at) == path {
            self.at += 1;
            return Some(rows.row(self.at - 1));
        }
        None
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

#[cfg(test)]
impl IntoIterator for Rows {
    type Item = (String, SourceRow);
    type IntoIter = std::vec::IntoIter<(String, SourceRow)>;

    fn into_iter(self) -> Self::IntoIter {
        let all: Vec<_> = self
            .iter()
            .map(|(p, r)| (p.to_owned(), r.clone()))
            .collect();
        all.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sources::{Hash, Kind, MaybeStamp};
    use super::*;

    fn row(hash: &str) -> SourceRow {
        SourceRow {
            kind: Kind::Figure,
            content_hash: hash.into(),
            figid: None,
            inline: None,
            stamp: MaybeStamp::NONE,
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
            .map(|(p, r)| (p, r.content_hash.to_string()))
            .collect();
        assert_eq!(
            got,
            [("a", "2".into()), ("b", "3".into()), ("c", "4".into())]
        );
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn of_rows_of_one_path_the_latest_load_wins_whatever_the_order_read() {
        let mut b = RowsBuilder::default();
        for (path, hash, load) in [("b", "1", 2), ("a", "2", 1), ("b", "3", 4), ("b", "4", 3)] {
            b.push_loaded(path, row(hash), load);
        }
        let r = b.finish();
        let got: Vec<(&str, String)> = r
            .iter()
            .map(|(p, r)| (p, r.content_hash.to_string()))
            .collect();
        assert_eq!(got, [("a", "2".into()), ("b", "3".into())]);
    }

    #[test]
    fn lookups_inserts_and_removals_keep_the_order() {
        let mut r = rows(&[("b", "1"), ("d", "2")]);
        assert!(r.contains_key("b") && !r.contains_key("c") && r.get("a").is_none());
        assert_eq!(r["d"].content_hash, Hash::from("2"));
        r.insert("c".into(), row("3"));
        r.insert("a".into(), row("0"));
        r.insert("d".into(), row("4"));
        let paths: Vec<&str> = r.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["a", "b", "c", "d"]);
        assert_eq!(r["d"].content_hash, Hash::from("4"));
        r.get_mut("b").unwrap().content_hash = "9".into();
        assert_eq!(r.remove("b").map(|r| r.content_hash), Some(Hash::from("9")));
        assert_eq!(r.remove("b"), None);
        assert_eq!(r.values().count(), 3);
        assert!(!r.is_empty() && Rows::default().is_empty());
    }

    proptest::proptest! {
        /// However the rows come, they are listed once a path, in path order, each found by
        /// `get` and by a cursor walking in order; a removed path is gone, the rest stay.
        #[test]
        fn finished_rows_are_sorted_unique_and_found(
            pairs in proptest::collection::vec(("[ab/_-]{0,4}", 0u8..9), 0..40),
        ) {
            let r: Rows = pairs.iter().map(|(p, h)| (p.clone(), row(&h.to_string()))).collect();
            let mut want: Vec<&str> = pairs.iter().map(|(p, _)| p.as_str()).collect();
            want.sort_unstable();
            want.dedup();
            let got: Vec<&str> = r.iter().map(|(p, _)| p).collect();
            proptest::prop_assert_eq!(&got, &want);
            let mut cursor = r.cursor();
            for (p, row) in r.iter() {
                proptest::prop_assert_eq!(r.get(p), Some(row));
                proptest::prop_assert_eq!(cursor.get(p), Some(row));
            }
            if let Some(&gone) = want.first() {
                let mut less = r.clone();
                proptest::prop_assert!(less.remove(gone).is_some());
                proptest::prop_assert!(less.get(gone).is_none());
                proptest::prop_assert_eq!(less.iter().count(), want.len() - 1);
                proptest::prop_assert!(want[1..].iter().all(|p| less.get(p) == r.get(p)));
            }
        }
    }
}

//! A hash of each record's rows in each data table, kept in the load state: when a record
//! is decoded again (its file changed) and its rows in a table hash as they did, that table
//! keeps the old rows and none of its files is rewritten. A caption fixed in a figure file
//! then rewrites the `figures` files only, not the gene, chemical and disease tables.

use crate::arrow::array::{Array, AsArray, RecordBatch};
use crate::arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, Int64Type};
use twox_hash::XxHash3_64;

use crate::error::{Error, Result};

/// The hashes of one record's rows in the four data tables (the rejects table, rebuilt
/// whole by every load, has none), in [`crate::schema::Table::ALL`] order.
pub type RowHashes = [u64; DATA_TABLES];

/// The data tables: every table of [`crate::schema::Table::ALL`] but the rejects (the last).
pub const DATA_TABLES: usize = 4;

/// The hash of a record with no rows in a table.
pub const NO_ROWS: u64 = 0;

/// The hash of a figid, the key under which [`TableRowHasher`] keeps a record's hash: 8
/// bytes a record instead of its figid's text (a full load hashes every record).
pub fn figid_key(figid: &str) -> u64 {
    XxHash3_64::oneshot(figid.as_bytes())
}

/// Hashes the rows of one table as its batches are written, a hash per figid.
///
/// A record's rows are written one after another, so each figid's rows are folded into one
/// hash as they come. A figid whose rows are not together (or two figids whose keys
/// collide) gets no hash at all: its rows then count as changed, never as the same.
#[derive(Debug, Default)]
pub struct TableRowHasher {
    /// (figid key, hash of its rows so far), in the order written.
    hashes: Vec<(u64, u64)>,
    row: Vec<u64>,
}

impl TableRowHasher {
    /// A hasher with room for the rows of `records` records.
    pub fn with_capacity(records: usize) -> Self {
        TableRowHasher {
            hashes: Vec::with_capacity(records),
            row: Vec::new(),
        }
    }

    /// Folds the rows of `batch` into the hashes; `figid` is the index of its figid column.
    pub fn add(&mut self, batch: &RecordBatch, figid: usize) -> Result<()> {
        let n = batch.num_rows();
        self.row.clear();
        self.row.resize(n, 0);
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            hash_column(&mut self.row, column.as_ref()).ok_or_else(|| {
                Error::Internal(format!(
                    "column {}: no row hash for columns of type {}",
                    field.name(),
                    field.data_type()
                ))
            })?;
        }
        let figid = batch.column(figid).as_string::<i32>();
        let mut key = 0;
        for (i, &row) in self.row.iter().enumerate() {
            // A record's rows come together: its figid is hashed once, not once a row.
            if i == 0 || figid.value(i) != figid.value(i - 1) {
                key = figid_key(figid.value(i));
            }
            match self.hashes.last_mut() {
                Some((k, h)) if *k == key => {
                    *h = XxHash3_64::oneshot_with_seed(*h, &row.to_le_bytes())
                }
                _ => self
                    .hashes
                    .push((key, XxHash3_64::oneshot_with_seed(1, &row.to_le_bytes()))),
            }
        }
        Ok(())
    }

    /// The hashes by figid key, sorted; keys seen twice (rows apart, or colliding) have none.
    pub fn finish(self) -> TableHashes {
        // In place: the list holds a hash for each record of a full load.
        let mut hashes = self.hashes;
        hashes.sort_unstable();
        let mut repeated = Vec::new();
        let mut kept = 0;
        for i in 0..hashes.len() {
            let (key, hash) = hashes[i];
            if repeated.last() == Some(&key) {
                continue;
            }
            if kept > 0 && hashes[kept - 1].0 == key {
                kept -= 1;
                repeated.push(key);
                continue;
            }
            // A record with rows never hashes as one without.
            hashes[kept] = (key, if hash == NO_ROWS { 1 } else { hash });
            kept += 1;
        }
        hashes.truncate(kept);
        hashes.shrink_to_fit();
        TableHashes { hashes, repeated }
    }
}

/// One table's row hashes by figid key (see [`TableRowHasher`]).
#[derive(Debug, Default)]
pub struct TableHashes {
    hashes: Vec<(u64, u64)>,
    /// Keys with no hash, sorted.
    repeated: Vec<u64>,
}

impl TableHashes {
    /// The hash of `figid`'s rows: [`NO_ROWS`] when it has none, `None` when unknown.
    pub fn get(&self, figid: &str) -> Option<u64> {
        let key = figid_key(figid);
        match self.hashes.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => Some(self.hashes[i].1),
            Err(_) if self.repeated.binary_search(&key).is_ok() => None,
            Err(_) => Some(NO_ROWS),
        }
    }
}

/// Folds each row's value of `column` into `rows` (one running hash a row), or `None` for
/// a column type this does not know.
fn hash_column(rows: &mut [u64], column: &dyn Array) -> Option<()> {
    fn each(rows: &mut [u64], column: &dyn Array, bytes: impl Fn(usize, &mut dyn FnMut(&[u8]))) {
        for (i, h) in rows.iter_mut().enumerate() {
            if column.is_null(i) {
                // A seed no value uses: NULL never hashes as any value, the empty one included.
                *h = XxHash3_64::oneshot_with_seed(*h ^ 0x9e37_79b9_7f4a_7c15, b"");
            } else {
                bytes(i, &mut |b| *h = XxHash3_64::oneshot_with_seed(*h, b));
            }
        }
    }
    match column.data_type() {
        DataType::Utf8 => {
            let a = column.as_string::<i32>();
            each(rows, column, |i, f| f(a.value(i).as_bytes()));
        }
        DataType::Int16 => {
            let a = column.as_primitive::<Int16Type>();
            each(rows, column, |i, f| f(&a.value(i).to_le_bytes()));
        }
        DataType::Int32 => {
            let a = column.as_primitive::<Int32Type>();
            each(rows, column, |i, f| f(&a.value(i).to_le_bytes()));
        }
        DataType::Int64 => {
            let a = column.as_primitive::<Int64Type>();
            each(rows, column, |i, f| f(&a.value(i).to_le_bytes()));
        }
        DataType::Float64 => {
            let a = column.as_primitive::<Float64Type>();
            each(rows, column, |i, f| f(&a.value(i).to_bits().to_le_bytes()));
        }
        DataType::List(item) if item.data_type() == &DataType::Utf8 => {
            let a = column.as_list::<i32>();
            let items = a.values().as_string::<i32>();
            each(rows, column, |i, f| {
                let (start, end) = (
                    a.value_offsets()[i] as usize,
                    a.value_offsets()[i + 1] as usize,
                );
                f(&((end - start) as u64).to_le_bytes());
                for j in start..end {
                    if items.is_null(j) {
                        f(&[0xff; 9]);
                    } else {
                        f(&(items.value_length(j) as u64).to_le_bytes());
                        f(items.value(j).as_bytes());
                    }
                }
            });
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::arrow::array::{Int64Array, ListArray, StringArray};
    use crate::arrow::datatypes::{Field, Schema};

    /// A (figid, n, words) row.
    type Row<'a> = (&'a str, Option<i64>, Option<Vec<&'a str>>);

    /// A batch of rows.
    fn batch(rows: &[Row<'_>]) -> RecordBatch {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        let schema = Schema::new(vec![
            Field::new("figid", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
            Field::new("words", list, true),
        ]);
        let words = rows.iter().map(|r| {
            r.2.as_ref()
                .map(|w| w.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>())
        });
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.1))),
                Arc::new(ListArray::from_iter_primitive_string(words)),
            ],
        )
        .unwrap()
    }

    fn hashes(batches: &[RecordBatch]) -> TableHashes {
        let mut h = TableRowHasher::default();
        for b in batches {
            h.add(b, 0).unwrap();
        }
        h.finish()
    }

    trait FromStrings {
        fn from_iter_primitive_string(
            rows: impl Iterator<Item = Option<Vec<Option<String>>>>,
        ) -> ListArray;
    }

    impl FromStrings for ListArray {
        fn from_iter_primitive_string(
            rows: impl Iterator<Item = Option<Vec<Option<String>>>>,
        ) -> ListArray {
            let mut b =
                crate::arrow::array::ListBuilder::new(crate::arrow::array::StringBuilder::new());
            for row in rows {
                match row {
                    Some(items) => {
                        for i in items {
                            b.values().append_option(i);
                        }
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            b.finish()
        }
    }

    #[test]
    fn a_records_hash_is_its_rows_whatever_the_batches() {
        let rows = [
            ("a", Some(1), Some(vec!["x", "y"])),
            ("a", Some(2), None),
            ("b", None, Some(vec![])),
        ];
        let whole = hashes(&[batch(&rows)]);
        let split = hashes(&[batch(&rows[..1]), batch(&rows[1..])]);
        for figid in ["a", "b"] {
            assert_eq!(whole.get(figid), split.get(figid));
            assert!(whole.get(figid).is_some_and(|h| h != NO_ROWS));
        }
        assert_ne!(whole.get("a"), whole.get("b"));
        assert_eq!(whole.get("c"), Some(NO_ROWS), "no rows");
    }

    #[test]
    fn any_difference_in_a_records_rows_changes_its_hash_only() {
        let base = [
            ("a", Some(1), Some(vec!["x", "y"])),
            ("a", Some(2), None),
            ("b", Some(3), Some(vec!["z"])),
        ];
        let before = hashes(&[batch(&base)]);
        let variants: [&[Row<'_>]; 6] = [
            &[
                ("a", Some(1), Some(vec!["xy"])),
                base[1].clone(),
                base[2].clone(),
            ],
            &[
                ("a", Some(1), Some(vec!["x", "y", ""])),
                base[1].clone(),
                base[2].clone(),
            ],
            &[
                ("a", None, Some(vec!["x", "y"])),
                base[1].clone(),
                base[2].clone(),
            ],
            &[
                base[0].clone(),
                ("a", Some(2), Some(vec![])),
                base[2].clone(),
            ],
            &[base[1].clone(), base[0].clone(), base[2].clone()],
            &[base[0].clone(), base[2].clone()],
        ];
        for rows in variants {
            let after = hashes(&[batch(rows)]);
            assert_ne!(after.get("a"), before.get("a"), "{rows:?}");
            assert_eq!(after.get("b"), before.get("b"), "{rows:?}");
        }
    }

    #[test]
    fn a_figid_whose_rows_are_apart_has_no_hash() {
        let rows = [
            ("a", Some(1), None),
            ("b", Some(2), None),
            ("a", Some(3), None),
        ];
        let h = hashes(&[batch(&rows)]);
        assert_eq!(h.get("a"), None);
        assert!(h.get("b").is_some_and(|h| h != NO_ROWS));
    }
}

//! `List<Utf8>` column: a scalar becomes a one-element list, missing items are dropped, and a
//! missing list is an empty list (never NULL), so `len(organisms)` is always a number.

use std::sync::Arc;

use crate::arrow::array::{ArrayRef, ListArray};
use crate::arrow::buffer::OffsetBuffer;
use crate::arrow::buffer::ScalarBuffer;
use crate::arrow::datatypes::{DataType, Field};

use super::utf8::offset;
use super::{is_na_text, TextColumn};

/// A `List<Utf8>` column built row by row: `start` / `push_item`* / `end`.
#[derive(Debug)]
pub struct TextListColumn {
    offsets: Vec<i32>,
    items: TextColumn,
}

impl Default for TextListColumn {
    fn default() -> Self {
        TextListColumn {
            offsets: vec![0],
            items: TextColumn::default(),
        }
    }
}

impl TextListColumn {
    /// Appends a one-element list, or an empty one for a missing marker.
    pub fn push_scalar(&mut self, text: &str) {
        self.push_item(text);
        self.end_row();
    }

    /// Appends an empty list.
    pub fn push_empty(&mut self) {
        self.end_row();
    }

    /// Adds an item to the row being built, dropping the missing markers.
    pub fn push_item(&mut self, text: &str) {
        if !is_na_text(text) {
            self.items.push(text);
        }
    }

    /// Closes the row being built.
    pub fn end_row(&mut self) {
        self.offsets.push(offset(self.items.len()));
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Bytes the rows take: their offsets and items.
    pub fn bytes(&self) -> usize {
        self.offsets.len() * 4 + self.items.bytes()
    }

    /// Cuts back to `len` rows (also dropping items of an unfinished row).
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.offsets.truncate(len + 1);
        }
        self.items.truncate(self.offsets[self.len()] as usize);
    }

    /// Takes the rows out as a `ListArray`.
    pub fn finish(&mut self) -> ArrayRef {
        let mut taken = std::mem::take(self);
        let field = Arc::new(Field::new_list_field(DataType::Utf8, true));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(taken.offsets));
        Arc::new(ListArray::new(field, offsets, taken.items.finish(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::array::{Array, AsArray};

    #[test]
    fn items_and_rows() {
        let mut c = TextListColumn::default();
        c.push_item("Homo sapiens");
        c.push_item("NA");
        c.push_item("Mus musculus");
        c.end_row();
        c.push_scalar("NA");
        c.push_scalar("x");
        // an unfinished row is dropped by truncate
        c.push_item("dangling");
        c.truncate(3);
        c.push_empty();
        let a = c.finish();
        let l = a.as_list::<i32>();
        assert_eq!(l.len(), 4);
        assert_eq!(l.value(0).len(), 2);
        assert_eq!(l.value(1).len(), 0);
        assert_eq!(l.value(2).as_string::<i32>().value(0), "x");
        assert_eq!(l.value(3).len(), 0);
        assert_eq!(l.null_count(), 0);
    }
}

//! `Utf8` column: text kept exactly as written, `NA` markers become NULL.

use std::sync::Arc;

use crate::arrow::array::{ArrayRef, StringArray};
use crate::arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};

use super::is_na_text;

/// A nullable `Utf8` column.
#[derive(Debug)]
pub struct TextColumn {
    offsets: Vec<i32>,
    data: Vec<u8>,
    valid: Vec<bool>,
    nulls: usize,
}

impl Default for TextColumn {
    fn default() -> Self {
        TextColumn {
            offsets: vec![0],
            data: Vec::new(),
            valid: Vec::new(),
            nulls: 0,
        }
    }
}

impl TextColumn {
    /// Appends a scalar: NULL for the NA markers, else the text as written.
    pub fn push_scalar(&mut self, text: &str) {
        if is_na_text(text) {
            self.push_null();
        } else {
            self.push(text);
        }
    }

    /// Appends `text` as it is (no NA rule: for values the converter composes itself).
    pub fn push(&mut self, text: &str) {
        self.data.extend_from_slice(text.as_bytes());
        self.offsets.push(offset(self.data.len()));
        self.valid.push(true);
    }

    /// Appends `text`, or NULL for `None`.
    pub fn push_opt(&mut self, text: Option<&str>) {
        match text {
            Some(t) => self.push(t),
            None => self.push_null(),
        }
    }

    /// Appends NULL.
    pub fn push_null(&mut self) {
        self.offsets.push(offset(self.data.len()));
        self.valid.push(false);
        self.nulls += 1;
    }

    /// Replaces the last row with `text` when it is NULL: a fallback found after the row
    /// was pushed (a `_data` map value for a key the front matter lacks).
    pub fn fill_last_null(&mut self, text: &str) {
        if self.valid.last() == Some(&false) {
            self.truncate(self.len() - 1);
            self.push(text);
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.valid.len()
    }

    /// Bytes the rows take: text, offsets and validity.
    pub fn bytes(&self) -> usize {
        self.data.len() + self.offsets.len() * 4 + self.valid.len()
    }

    /// Cuts back to `len` rows.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        self.nulls -= self.valid[len..].iter().filter(|v| !**v).count();
        self.valid.truncate(len);
        self.offsets.truncate(len + 1);
        self.data.truncate(self.offsets[len] as usize);
    }

    /// Takes the rows out as a `StringArray`.
    pub fn finish(&mut self) -> ArrayRef {
        let taken = std::mem::take(self);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(taken.offsets));
        let nulls = (taken.nulls > 0).then(|| NullBuffer::from(taken.valid));
        // The bytes are concatenated `&str`s at offsets we wrote, so they are valid UTF-8;
        // `new` still checks, and a failure there is a bug, so it panics loudly.
        Arc::new(StringArray::new(
            offsets,
            Buffer::from_vec(taken.data),
            nulls,
        ))
    }
}

/// Converts a byte length to an `i32` offset.
///
/// Batches hold a few hundred records, far below the 2 GiB an `i32` offset can address;
/// the record size limit (`--max-record-bytes`) keeps it so.
pub(super) fn offset(len: usize) -> i32 {
    i32::try_from(len).expect("a batch holds less than 2 GiB of text")
}

//! Growable column buffers that become Arrow arrays, one kind per [`ColumnType`].
//!
//! Unlike Arrow's builders they can be truncated, so a record that fails halfway through
//! decoding is rolled back without copying: every column of a table is cut back to the row
//! count it had when the record started. Each kind applies the contract's scalar rules
//! itself (`NA` → NULL, quoted numbers → numbers), so YAML and TSV decoders share them.

mod list;
mod primitive;
mod utf8;

pub use list::TextListColumn;
pub use primitive::{parse_float, FloatColumn, IntColumn};
pub use utf8::TextColumn;

use crate::arrow::array::ArrayRef;
use crate::arrow::datatypes::{Int16Type, Int32Type, Int64Type};

use crate::error::Problem;
use crate::schema::ColumnType;

/// One column of a table being built.
#[derive(Debug)]
pub enum Column {
    Text(TextColumn),
    I16(IntColumn<Int16Type>),
    I32(IntColumn<Int32Type>),
    I64(IntColumn<Int64Type>),
    F64(FloatColumn),
    TextList(TextListColumn),
}

impl Column {
    /// An empty column of the given type.
    pub fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Text => Column::Text(TextColumn::default()),
            ColumnType::I16 => Column::I16(IntColumn::default()),
            ColumnType::I32 => Column::I32(IntColumn::default()),
            ColumnType::I64 => Column::I64(IntColumn::default()),
            ColumnType::F64 => Column::F64(FloatColumn::default()),
            ColumnType::TextList => Column::TextList(TextListColumn::default()),
        }
    }

    /// Appends a scalar given as text, applying the column type's rules.
    pub fn push_scalar(&mut self, text: &str) -> Result<(), Problem> {
        match self {
            Column::Text(c) => {
                c.push_scalar(text);
                Ok(())
            }
            Column::I16(c) => c.push_scalar(text),
            Column::I32(c) => c.push_scalar(text),
            Column::I64(c) => c.push_scalar(text),
            Column::F64(c) => c.push_scalar(text),
            Column::TextList(c) => {
                c.push_scalar(text);
                Ok(())
            }
        }
    }

    /// Appends a missing value: NULL, or an empty list for list columns.
    pub fn push_null(&mut self) {
        match self {
            Column::Text(c) => c.push_null(),
            Column::I16(c) => c.push_null(),
            Column::I32(c) => c.push_null(),
            Column::I64(c) => c.push_null(),
            Column::F64(c) => c.push_null(),
            Column::TextList(c) => c.push_empty(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Text(c) => c.len(),
            Column::I16(c) => c.len(),
            Column::I32(c) => c.len(),
            Column::I64(c) => c.len(),
            Column::F64(c) => c.len(),
            Column::TextList(c) => c.len(),
        }
    }

    /// Bytes the rows take (values, offsets, validity), for bounding memory.
    pub fn bytes(&self) -> usize {
        match self {
            Column::Text(c) => c.bytes(),
            Column::I16(c) => c.bytes(),
            Column::I32(c) => c.bytes(),
            Column::I64(c) => c.bytes(),
            Column::F64(c) => c.bytes(),
            Column::TextList(c) => c.bytes(),
        }
    }

    /// Cuts the column back to `len` rows.
    pub fn truncate(&mut self, len: usize) {
        match self {
            Column::Text(c) => c.truncate(len),
            Column::I16(c) => c.truncate(len),
            Column::I32(c) => c.truncate(len),
            Column::I64(c) => c.truncate(len),
            Column::F64(c) => c.truncate(len),
            Column::TextList(c) => c.truncate(len),
        }
    }

    /// Takes the rows out as an Arrow array, leaving the column empty.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(c) => c.finish(),
            Column::I16(c) => c.finish(),
            Column::I32(c) => c.finish(),
            Column::I64(c) => c.finish(),
            Column::F64(c) => c.finish(),
            Column::TextList(c) => c.finish(),
        }
    }

    /// The text column inside, for decoders that write strings directly.
    pub fn text(&mut self) -> &mut TextColumn {
        match self {
            Column::Text(c) => c,
            other => panic!("expected a text column, found {other:?}"),
        }
    }

    /// The Float64 column inside.
    pub fn f64(&mut self) -> &mut FloatColumn {
        match self {
            Column::F64(c) => c,
            other => panic!("expected a Float64 column, found {other:?}"),
        }
    }

    /// The Int32 column inside (ordinals and line numbers).
    pub fn i32(&mut self) -> &mut IntColumn<Int32Type> {
        match self {
            Column::I32(c) => c,
            other => panic!("expected an Int32 column, found {other:?}"),
        }
    }
}

/// True for text that the contract reads as missing: `''`, `NA` and R's NA markers.
pub fn is_na_text(text: &str) -> bool {
    matches!(
        text,
        "" | "NA" | ".na" | ".na.character" | ".na.integer" | ".na.real"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::array::{Array, AsArray};

    #[test]
    fn truncate_rolls_back_every_kind() {
        for ty in [
            ColumnType::Text,
            ColumnType::I16,
            ColumnType::I32,
            ColumnType::I64,
            ColumnType::F64,
            ColumnType::TextList,
        ] {
            let mut c = Column::new(ty);
            c.push_scalar("7").unwrap();
            c.push_null();
            c.push_scalar("8").unwrap();
            c.truncate(1);
            c.push_scalar("9").unwrap();
            let a = c.finish();
            assert_eq!(a.len(), 2, "{ty:?}");
            assert_eq!(a.data_type(), &ty.data_type());
            assert_eq!(c.len(), 0, "finish empties the column");
        }
    }

    #[test]
    fn na_markers() {
        for t in ["", "NA", ".na", ".na.character", ".na.integer", ".na.real"] {
            assert!(is_na_text(t), "{t}");
        }
        for t in ["na", "N/A", " NA", "NaN", "null"] {
            assert!(!is_na_text(t), "{t}");
        }
        let mut c = Column::new(ColumnType::Text);
        c.push_scalar("NA").unwrap();
        c.push_scalar("F3").unwrap();
        let a = c.finish();
        let s = a.as_string::<i32>();
        assert!(s.is_null(0));
        assert_eq!(s.value(1), "F3");
    }
}

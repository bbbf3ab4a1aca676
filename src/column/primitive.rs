//! Number columns: `Int16`/`Int32`/`Int64` and `Float64`.
//!
//! Numbers may be written as quoted text (`'2020'`); surrounding spaces are ignored; `NA`,
//! `''`, R's NA markers and `NaN` (R's missing number in TSVs) are NULL. Anything else that is
//! not a number that fits the column is a `bad_value` problem, never a silent NULL.

use std::sync::Arc;

use crate::arrow::array::{ArrayRef, ArrowPrimitiveType, Float64Array, PrimitiveArray};
use crate::arrow::buffer::{NullBuffer, ScalarBuffer};
use crate::arrow::datatypes::Float64Type;

use super::is_na_text;
use crate::error::{quoted, Problem, RejectKind};

/// A nullable integer column of Arrow type `T`.
#[derive(Debug)]
pub struct IntColumn<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    valid: Vec<bool>,
    nulls: usize,
}

impl<T: ArrowPrimitiveType> Default for IntColumn<T> {
    fn default() -> Self {
        IntColumn {
            values: Vec::new(),
            valid: Vec::new(),
            nulls: 0,
        }
    }
}

impl<T> IntColumn<T>
where
    T: ArrowPrimitiveType,
    T::Native: TryFrom<i64>,
{
    /// Parses and appends a scalar.
    pub fn push_scalar(&mut self, text: &str) -> Result<(), Problem> {
        let out_of_range = || {
            Problem::new(
                RejectKind::BadValue,
                format!(
                    "expected a whole number that fits {} ({}), found {}",
                    T::DATA_TYPE,
                    range_of::<T>(),
                    quoted(text)
                ),
            )
        };
        match whole_number(text) {
            Ok(None) => self.push_null(),
            Ok(Some(v)) => self.push(T::Native::try_from(v).map_err(|_| out_of_range())?),
            // Beyond 64 bits is beyond this column's range too: name the column's range.
            Err(IntFault::OutOfRange) => return Err(out_of_range()),
            Err(IntFault::NotWhole) => return Err(not_whole(text)),
        }
        Ok(())
    }

    /// Appends a value.
    pub fn push(&mut self, v: T::Native) {
        self.values.push(v);
        self.valid.push(true);
    }
}

impl<T: ArrowPrimitiveType> IntColumn<T> {
    /// Appends NULL.
    pub fn push_null(&mut self) {
        self.values.push(T::Native::default());
        self.valid.push(false);
        self.nulls += 1;
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Bytes the rows take: values and validity.
    pub fn bytes(&self) -> usize {
        self.values.len() * std::mem::size_of::<T::Native>() + self.valid.len()
    }

    /// Cuts back to `len` rows.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        self.nulls -= self.valid[len..].iter().filter(|v| !**v).count();
        self.values.truncate(len);
        self.valid.truncate(len);
    }

    /// Takes the rows out as an Arrow array.
    pub fn finish(&mut self) -> ArrayRef {
        let taken = std::mem::take(self);
        let nulls = (taken.nulls > 0).then(|| NullBuffer::from(taken.valid));
        Arc::new(PrimitiveArray::<T>::new(
            ScalarBuffer::from(taken.values),
            nulls,
        ))
    }
}

fn range_of<T: ArrowPrimitiveType>() -> &'static str {
    match T::DATA_TYPE {
        crate::arrow::datatypes::DataType::Int16 => "-32768 to 32767",
        crate::arrow::datatypes::DataType::Int32 => "-2147483648 to 2147483647",
        _ => "-9223372036854775808 to 9223372036854775807",
    }
}

/// A nullable `Float64` column.
#[derive(Debug, Default)]
pub struct FloatColumn {
    inner: IntColumn<Float64Type>,
}

impl FloatColumn {
    /// Parses and appends a scalar; NaN becomes NULL.
    pub fn push_scalar(&mut self, text: &str) -> Result<(), Problem> {
        self.push_opt(parse_float(text)?);
        Ok(())
    }

    /// Appends NULL.
    pub fn push_null(&mut self) {
        self.inner.push_null();
    }

    /// Appends a parsed value; NaN is NULL like everywhere else.
    pub fn push_opt(&mut self, v: Option<f64>) {
        match v {
            Some(v) if !v.is_nan() => {
                self.inner.values.push(v);
                self.inner.valid.push(true);
            }
            _ => self.push_null(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Bytes the rows take: values and validity.
    pub fn bytes(&self) -> usize {
        self.inner.bytes()
    }

    /// Cuts back to `len` rows.
    pub fn truncate(&mut self, len: usize) {
        self.inner.truncate(len);
    }

    /// Takes the rows out as a `Float64Array`.
    pub fn finish(&mut self) -> ArrayRef {
        let a = self.inner.finish();
        debug_assert!(a.as_any().is::<Float64Array>());
        a
    }
}

fn is_nan_text(t: &str) -> bool {
    matches!(t, "NaN" | "nan" | "NAN" | ".nan" | ".NaN" | ".NAN")
}

/// Why a text is not an `i64`.
enum IntFault {
    NotWhole,
    OutOfRange,
}

fn whole_number(text: &str) -> Result<Option<i64>, IntFault> {
    let t = text.trim();
    if is_na_text(t) || is_nan_text(t) {
        return Ok(None);
    }
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntFault::NotWhole);
    }
    t.parse::<i64>().map(Some).map_err(|_| IntFault::OutOfRange)
}

fn not_whole(text: &str) -> Problem {
    Problem::new(
        RejectKind::BadValue,
        format!("expected a whole number, found {}", quoted(text)),
    )
}

/// Parses a decimal or YAML 1.2 float (`1.5`, `-2e3`, `.inf`); `Ok(None)` for the missing
/// markers and NaN.
pub fn parse_float(text: &str) -> Result<Option<f64>, Problem> {
    let t = text.trim();
    if is_na_text(t) || is_nan_text(t) {
        return Ok(None);
    }
    let yaml_inf = match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        _ => None,
    };
    if let Some(v) = yaml_inf {
        return Ok(Some(v));
    }
    // Rust's parser also takes "inf"/"infinity"/"nan" words; the contract's numbers are
    // digits, so require one.
    let numeric = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match t.parse::<f64>() {
        Ok(v) if numeric => Ok(Some(v)),
        _ => Err(Problem::new(
            RejectKind::BadValue,
            format!("expected a number, found {}", quoted(text)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::array::{Array, AsArray};
    use crate::arrow::datatypes::{Int16Type, Int64Type};

    #[test]
    fn ints_accept_quoted_spaced_and_missing() {
        let mut c = IntColumn::<Int64Type>::default();
        for text in ["2020", " 2020 ", "-7", "NA", "NaN", ""] {
            c.push_scalar(text).unwrap();
        }
        for bad in ["twenty", "1.5", "1e3", "0x10", "+", "12a"] {
            assert_eq!(
                c.push_scalar(bad).unwrap_err().kind,
                RejectKind::BadValue,
                "{bad}"
            );
        }
        let a = c.finish();
        let values: Vec<Option<i64>> = a.as_primitive::<Int64Type>().iter().collect();
        assert_eq!(values, [Some(2020), Some(2020), Some(-7), None, None, None]);
    }

    #[test]
    fn int16_range_is_checked() {
        let mut c = IntColumn::<Int16Type>::default();
        c.push_scalar("32767").unwrap();
        let e = c.push_scalar("40000").unwrap_err();
        assert!(e.detail.contains("-32768 to 32767"), "{}", e.detail);
        // Beyond 64 bits: still the column's own range in the message, the value cut short.
        let e = c.push_scalar("99999999999999999999").unwrap_err();
        assert!(
            e.detail.contains("fits Int16 (-32768 to 32767)"),
            "{}",
            e.detail
        );
        let huge = "9".repeat(2_000_000);
        let e = c.push_scalar(&huge).unwrap_err();
        assert!(e.detail.len() < 400, "{} bytes", e.detail.len());
        let e = IntColumn::<Int64Type>::default()
            .push_scalar("-99999999999999999999")
            .unwrap_err();
        assert!(e.detail.contains("-9223372036854775808 to"), "{}", e.detail);
        let mut c = IntColumn::<Int64Type>::default();
        c.push_scalar("9000000000").unwrap();
        assert_eq!(
            c.finish().as_primitive::<Int64Type>().value(0),
            9_000_000_000
        );
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("0.9706189").unwrap(), Some(0.9706189));
        assert_eq!(parse_float("'1'".trim_matches('\'')).unwrap(), Some(1.0));
        assert_eq!(parse_float("1e-3").unwrap(), Some(0.001));
        assert_eq!(parse_float(".inf").unwrap(), Some(f64::INFINITY));
        assert_eq!(parse_float(".nan").unwrap(), None);
        assert_eq!(parse_float("NaN").unwrap(), None);
        for bad in ["high", "inf", "nan1", "1.2.3x"] {
            assert!(parse_float(bad).is_err(), "{bad}");
        }
        let mut c = FloatColumn::default();
        c.push_scalar("NaN").unwrap();
        c.push_scalar("0.5").unwrap();
        let a = c.finish();
        assert!(a.is_null(0));
        assert_eq!(a.as_primitive::<Float64Type>().value(1), 0.5);
    }
}

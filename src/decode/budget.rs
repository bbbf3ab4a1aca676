//! The bound on what one record's child rows may expand into.
//!
//! Most of a record's output is text copied from its input, so it is bounded by
//! `--max-record-bytes`. Child rows are not: each costs its offsets, validity and numbers
//! (over 70 bytes for a 2-byte TSV line), a copy of the figid, and in a TSV a copy of every
//! `extra` column's header name. Without a bound, one 16 MiB TSV of short lines under a long
//! header would decode into gigabytes. [`RowBudget`] counts what the rows of one record cost
//! and refuses the record (`too_large`) past [`MAX_CHILD_ROW_BYTES`].

use crate::error::{Problem, RejectKind};

/// Most bytes the genes, chemicals and diseases rows of one record may take, together.
pub const MAX_CHILD_ROW_BYTES: usize = 32 << 20;

/// What a child row costs besides its text: figid and extra offsets, validity, ordinal,
/// numbers (an upper bound over the three child tables).
pub const ROW_OVERHEAD_BYTES: usize = 128;

/// The bytes a record's child rows have cost so far.
#[derive(Debug, Default)]
pub struct RowBudget {
    spent: usize,
}

impl RowBudget {
    /// Counts `bytes` more; a `too_large` problem once past the bound.
    pub fn spend(&mut self, bytes: usize) -> Result<(), Problem> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > MAX_CHILD_ROW_BYTES {
            return Err(Problem::new(
                RejectKind::TooLarge,
                format!(
                    "the record's genes, chemicals and diseases rows would take more than \
                     {MAX_CHILD_ROW_BYTES} bytes in memory (the limit per record)"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_bound() {
        let mut b = RowBudget::default();
        b.spend(MAX_CHILD_ROW_BYTES).unwrap();
        let e = b.spend(1).unwrap_err();
        assert_eq!(e.kind, RejectKind::TooLarge);
        assert!(e.detail.contains("33554432 bytes"), "{}", e.detail);
        assert!(b.spend(usize::MAX).is_err());
    }
}

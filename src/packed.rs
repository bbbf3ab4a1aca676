//! Strings packed one after another in one `String`, with their end offsets: the storage of the
//! corpus index's lists ([`crate::discover::Figures`], [`crate::discover::TableIndex`]) and of
//! a load's converted records, which live for the whole run — a string costs its bytes plus
//! 8, not a heap block plus a 24-byte `String`.

/// A list of strings in one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    bytes: String,
    /// Where each string ends in `bytes`.
    ends: Vec<usize>,
}

impl Packed {
    /// An empty list with room for `count` strings of `bytes` bytes in all.
    pub fn with_capacity(count: usize, bytes: usize) -> Self {
        Packed {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        }
    }

    /// Room for `bytes` more bytes of strings, exactly.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))] // used by Delta loads alone
    pub fn reserve_exact(&mut self, bytes: usize) {
        self.bytes.reserve_exact(bytes);
    }

    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
    }

    /// Frees the room the list grew past its contents.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// Room held: bytes of the buffer, entries of the offsets (tests of the shrinking).
    #[cfg(test)]
    pub fn capacity(&self) -> (usize, usize) {
        (self.bytes.capacity(), self.ends.capacity())
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        Some(&self.bytes[start..end])
    }

    /// String `i`; like slice indexing, `i` must be below [`Packed::len`].
    pub fn at(&self, i: usize) -> &str {
        self.get(i).expect("an index below len()")
    }

    /// In a sorted list: the position of the first string equal to `s`, if any.
    pub fn find(&self, s: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        // `partition_point` by hand: positions are not a slice.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.at(mid) < s {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < self.len() && self.at(lo) == s).then_some(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_finds_strings() {
        let mut p = Packed::with_capacity(3, 4);
        for s in ["", "a", "bc"] {
            p.push(s);
        }
        assert_eq!(p.len(), 3);
        assert_eq!([p.at(0), p.at(1), p.at(2)], ["", "a", "bc"]);
        assert_eq!(p.get(3), None);
        assert_eq!(
            (p.find(""), p.find("bc"), p.find("b")),
            (Some(0), Some(2), None)
        );
    }
}

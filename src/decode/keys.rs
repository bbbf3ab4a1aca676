//! Duplicate-key detection in linear time, shared by every decoder that must refuse a key it
//! has seen: front matter keys outside the plan, inline entity keys, keys of mappings copied
//! to JSON, and TSV header names.
//!
//! A mapping of n keys costs O(n) expected, whatever the keys: the first few are compared
//! directly (most mappings are small, and hashing them would cost more than it saves), the
//! rest go to a `HashSet` with the standard library's randomly seeded SipHash, so input
//! crafted to collide cannot make the check quadratic again.

use std::borrow::Cow;
use std::collections::HashSet;

/// Keys held in the small list before the set takes over.
const LINEAR_KEYS: usize = 8;

/// The keys of one mapping (or header) seen so far.
#[derive(Debug, Default)]
pub struct KeySet<'a> {
    small: Vec<Cow<'a, str>>,
    big: HashSet<Cow<'a, str>>,
}

impl<'a> KeySet<'a> {
    /// True when `key` was inserted before.
    pub fn contains(&self, key: &str) -> bool {
        if self.big.is_empty() {
            self.small.iter().any(|k| k == key)
        } else {
            self.big.contains(key)
        }
    }

    /// Adds `key`; false (and no change) when it was there already.
    pub fn insert(&mut self, key: Cow<'a, str>) -> bool {
        if self.contains(&key) {
            return false;
        }
        if self.big.is_empty() && self.small.len() < LINEAR_KEYS {
            self.small.push(key);
        } else {
            if self.big.is_empty() {
                self.big.extend(self.small.drain(..));
            }
            self.big.insert(key);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_repeats_before_and_after_the_switch() {
        let mut keys = KeySet::default();
        for i in 0..100 {
            assert!(keys.insert(Cow::Owned(format!("k{i}"))), "k{i}");
        }
        for i in [0, 7, 8, 9, 99] {
            assert!(keys.contains(&format!("k{i}")));
            assert!(!keys.insert(Cow::Owned(format!("k{i}"))), "k{i} again");
        }
        assert!(!keys.contains("k100"));
    }

    #[test]
    fn a_million_distinct_keys_take_linear_time() {
        // Would take minutes with a linear scan per key (the fault this module replaced).
        let mut keys = KeySet::default();
        for i in 0..1_000_000u32 {
            assert!(keys.insert(Cow::Owned(i.to_string())));
        }
        assert!(!keys.insert(Cow::Borrowed("999999")));
    }
}

//! Duplicate-key detection in linear time, shared by every decoder that must refuse a key it
//! has seen: front matter keys outside the plan, inline entity keys, keys of mappings copied
//! to JSON, and TSV header names.
//!
//! A mapping of n keys costs O(n) expected, whatever the keys: the first few are compared
//! directly (most mappings are small, and hashing them would cost more than it saves), the
//! rest go to a `HashSet` of 128-bit fingerprints made with the standard library's randomly
//! seeded SipHash, so input crafted to collide cannot make the check quadratic again, and a
//! million keys cost 16 bytes each instead of a copy of each (as `merge.rs` keeps figids).
//! Two distinct keys share a fingerprint as rarely as two random 128-bit values match.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;

/// Keys held in the small list before the set takes over.
const LINEAR_KEYS: usize = 8;

/// The keys of one mapping (or header) seen so far.
#[derive(Debug, Default)]
pub struct KeySet<'a> {
    small: Vec<Cow<'a, str>>,
    /// Fingerprints of every key, once there are more than [`LINEAR_KEYS`].
    big: Option<(HashSet<u128>, [RandomState; 2])>,
}

impl<'a> KeySet<'a> {
    /// True when `key` was inserted before.
    pub fn contains(&self, key: &str) -> bool {
        match &self.big {
            None => self.small.iter().any(|k| k == key),
            Some((set, seeds)) => set.contains(&fingerprint(seeds, key)),
        }
    }

    /// Adds `key`; false (and no change) when it was there already.
    pub fn insert(&mut self, key: Cow<'a, str>) -> bool {
        if self.contains(&key) {
            return false;
        }
        match &mut self.big {
            None if self.small.len() < LINEAR_KEYS => self.small.push(key),
            None => {
                let seeds = [RandomState::new(), RandomState::new()];
                let mut set: HashSet<u128> =
                    self.small.iter().map(|k| fingerprint(&seeds, k)).collect();
                set.insert(fingerprint(&seeds, &key));
                self.small = Vec::new();
                self.big = Some((set, seeds));
            }
            Some((set, seeds)) => {
                set.insert(fingerprint(seeds, &key));
            }
        }
        true
    }
}

/// A 128-bit fingerprint of `key` from two independently seeded SipHashes.
fn fingerprint(seeds: &[RandomState; 2], key: &str) -> u128 {
    (u128::from(seeds[0].hash_one(key)) << 64) | u128::from(seeds[1].hash_one(key))
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

//! Value rules shared by the YAML and TSV decoders that are not a column type's own:
//! CURIE identifiers and `keywords` splitting.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: a tiny, fast hash for the short, fixed key sets of the decoders' plans (SipHash
/// is built to resist flooding, which a lookup table of known keys does not need).
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Key → position lookup of a plan.
pub type KeyIndex = HashMap<&'static str, usize, BuildHasherDefault<Fnv>>;

/// Builds the lookup of `keys` (their positions in the slice).
pub fn key_index<T>(keys: &[(&'static str, T)]) -> KeyIndex {
    keys.iter().enumerate().map(|(i, (k, _))| (*k, i)).collect()
}

/// Normalises an identifier to a lower-case-prefix CURIE.
///
/// `MESH:D009369` → `mesh:D009369`; a bare `D009369` takes `default_prefix` (`mesh`), or is
/// kept as written when there is none. `None` for missing values (`NA`, `''`).
pub fn curie(value: &str, default_prefix: Option<&str>) -> Option<String> {
    if crate::column::is_na_text(value) {
        return None;
    }
    if let Some((prefix, local)) = value.split_once(':') {
        if !prefix.is_empty()
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return Some(format!("{}:{local}", prefix.to_ascii_lowercase()));
        }
    }
    Some(match default_prefix {
        Some(p) if !p.is_empty() => format!("{}:{value}", p.to_ascii_lowercase()),
        _ => value.to_owned(),
    })
}

/// The CURIE of an identifier whose prefix is given apart, as the inline generation writes
/// it (`source: MESH`, `identifier: D009369` → `mesh:D009369`).
///
/// NULL when either is missing, empty or NA: an id without its namespace is no CURIE, and
/// a bare `:` is never written. An identifier that carries its own prefix keeps it.
pub fn source_curie(source: Option<&str>, identifier: Option<&str>) -> Option<String> {
    let na = |v: &Option<&str>| v.is_none_or(crate::column::is_na_text);
    if na(&source) || na(&identifier) {
        return None;
    }
    curie(identifier?, source)
}

/// Splits a `keywords` value on `|`, trimming each piece and dropping empty pieces.
pub fn keywords(value: &str) -> impl Iterator<Item = &str> {
    value.split('|').map(str::trim).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curies() {
        assert_eq!(
            curie("D009369", Some("MESH")).as_deref(),
            Some("mesh:D009369")
        );
        assert_eq!(
            curie("MESH:D009369", Some("mesh")).as_deref(),
            Some("mesh:D009369")
        );
        assert_eq!(curie("CHEBI:4167", None).as_deref(), Some("chebi:4167"));
        assert_eq!(
            curie("DOID:1612", Some("doid")).as_deref(),
            Some("doid:1612")
        );
        assert_eq!(curie("1612", Some("doid")).as_deref(), Some("doid:1612"));
        assert_eq!(curie("D1", None).as_deref(), Some("D1"));
        assert_eq!(curie("NA", Some("mesh")), None);
        assert_eq!(curie("", Some("mesh")), None);
        assert_eq!(
            curie("DOID:8893", Some("mesh")).as_deref(),
            Some("doid:8893")
        );
    }

    #[test]
    fn source_curies_need_both_halves() {
        assert_eq!(
            source_curie(Some("MESH"), Some("D015232")).as_deref(),
            Some("mesh:D015232")
        );
        assert_eq!(
            source_curie(Some("DOID"), Some("DOID:8893")).as_deref(),
            Some("doid:8893")
        );
        for (s, i) in [
            (Some(""), Some("C025946")),
            (Some(".na.character"), Some("D002738")),
            (Some("NA"), Some("D1")),
            (None, Some("D1")),
            (Some("MESH"), Some("")),
            (Some("MESH"), Some("NA")),
            (Some("MESH"), None),
            (Some(""), Some("")),
        ] {
            assert_eq!(source_curie(s, i), None, "{s:?} {i:?}");
        }
    }

    #[test]
    fn keyword_split() {
        let k: Vec<_> = keywords(" a | b || NA | c ").collect();
        assert_eq!(k, ["a", "b", "NA", "c"]); // NA is dropped by the list column
    }
}

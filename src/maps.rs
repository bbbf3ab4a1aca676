//! The corpus-wide map files of `_data/` (schema version 2): `wpid_map.tsv` and
//! `ndex_map.tsv`, headerless `figid<TAB>value` tables that fill `figures.wpid` and
//! `figures.ndex` for records whose front matter gives no value.
//!
//! They belong to no single figure, so they are neither inputs nor orphans. Each is read
//! once, before decoding starts, into a figid → value map that every decoding thread only
//! reads: a record's value depends on its figid alone, never on thread timing, so the
//! output stays the same for any `--threads`. A line that is not two tab-separated fields is
//! a `bad_tsv` reject of the map file (its line set); the rest of the map is still used.

use std::collections::HashMap;

use crate::column::is_na_text;
use crate::error::{Problem, Reject, RejectKind};

/// One of the two map files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapKind {
    Wpid,
    Ndex,
}

impl MapKind {
    /// Both maps, in the order they are read.
    pub const ALL: [MapKind; 2] = [MapKind::Wpid, MapKind::Ndex];

    /// The file's path relative to the corpus root.
    pub fn rel(self) -> &'static str {
        match self {
            MapKind::Wpid => "_data/wpid_map.tsv",
            MapKind::Ndex => "_data/ndex_map.tsv",
        }
    }

    /// The `figures` column the map fills (also the front matter key that wins over it).
    pub fn column(self) -> &'static str {
        match self {
            MapKind::Wpid => "wpid",
            MapKind::Ndex => "ndex",
        }
    }

    /// The map whose file is at `rel`, if `rel` is one.
    pub fn of_rel(rel: &str) -> Option<MapKind> {
        MapKind::ALL.into_iter().find(|k| k.rel() == rel)
    }

    /// Index in [`MapKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The values of both maps, by figid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FigureMaps {
    maps: [HashMap<String, String>; 2],
}

impl FigureMaps {
    /// The `kind` value of `figid`, if its map has one.
    pub fn get(&self, kind: MapKind, figid: &str) -> Option<&str> {
        self.maps[kind.index()].get(figid).map(String::as_str)
    }

    /// Adds the rows of the `kind` map file `text` (at corpus path `rel`) and returns a
    /// reject for each line that is not `figid<TAB>value`.
    ///
    /// Blank lines are skipped; a value that is empty or an NA marker gives no value (the
    /// column stays NULL); of two rows for one figid the first is kept, as the first file in
    /// path order keeps a figid.
    pub fn add(&mut self, kind: MapKind, rel: &str, text: &str) -> Vec<Reject> {
        let map = &mut self.maps[kind.index()];
        let mut rejects = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            let line_no = i as u32 + 1;
            let mut fields = line.split('\t');
            let (figid, value) = match (fields.next(), fields.next(), fields.next()) {
                (Some(f), Some(v), None) if !is_na_text(f) => (f, v),
                (_, _, extra) => {
                    let found = if extra.is_some() {
                        format!("{} fields", line.split('\t').count())
                    } else if line.contains('\t') {
                        "an empty figid".to_owned()
                    } else {
                        "one field".to_owned()
                    };
                    rejects.push(
                        Problem::new(
                            RejectKind::BadTsv,
                            format!(
                                "expected two tab-separated fields (figid, {}), found {found}; the line is skipped, the rest of the map is used",
                                kind.column()
                            ),
                        )
                        .at(line_no, 1)
                        .into_reject(rel),
                    );
                    continue;
                }
            };
            if is_na_text(value) {
                continue;
            }
            map.entry(figid.to_owned())
                .or_insert_with(|| value.to_owned());
        }
        rejects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_rejects_bad_lines_keeping_the_rest() {
        let mut m = FigureMaps::default();
        let text = "PMC1__a\tWP1\r\n\nPMC2__b\nPMC3__c\tWP3\textra\n\tWP4\nPMC5__e\tNA\nPMC1__a\tWP9\nPMC6__f\tWP6";
        let rejects = m.add(MapKind::Wpid, "_data/wpid_map.tsv", text);
        assert_eq!(
            m.get(MapKind::Wpid, "PMC1__a"),
            Some("WP1"),
            "first row wins"
        );
        assert_eq!(
            m.get(MapKind::Wpid, "PMC6__f"),
            Some("WP6"),
            "no final newline"
        );
        assert_eq!(m.get(MapKind::Wpid, "PMC5__e"), None, "NA gives no value");
        assert_eq!(m.get(MapKind::Ndex, "PMC1__a"), None, "maps are separate");
        for bad in ["PMC2__b", "PMC3__c", ""] {
            assert_eq!(m.get(MapKind::Wpid, bad), None, "{bad}");
        }
        let lines: Vec<(Option<u32>, RejectKind, &str)> = rejects
            .iter()
            .map(|r| (r.line, r.kind, r.source_path.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (Some(3), RejectKind::BadTsv, "_data/wpid_map.tsv"),
                (Some(4), RejectKind::BadTsv, "_data/wpid_map.tsv"),
                (Some(5), RejectKind::BadTsv, "_data/wpid_map.tsv"),
            ]
        );
        assert!(
            rejects[0].message.starts_with(
                "_data/wpid_map.tsv, line 3, column 1: expected two tab-separated fields (figid, wpid), found one field"
            ),
            "{}",
            rejects[0].message
        );
        assert!(rejects[1].message.contains("found 3 fields"));
        assert!(rejects[2].message.contains("found an empty figid"));
    }

    #[test]
    fn map_files_are_known_by_path() {
        assert_eq!(MapKind::of_rel("_data/ndex_map.tsv"), Some(MapKind::Ndex));
        assert_eq!(MapKind::of_rel("_data/wpid_map.tsv"), Some(MapKind::Wpid));
        assert_eq!(MapKind::of_rel("_data/sub/wpid_map.tsv"), None);
        assert_eq!(MapKind::Wpid.column(), "wpid");
    }
}

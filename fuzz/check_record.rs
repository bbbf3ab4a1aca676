//! The per-record check the fuzz target runs on every input, shared with the replay test
//! (`tests/fuzz_regressions.rs`) so that inputs the fuzzer found keep running on stable.
//!
//! Input layout: `record [MARK genes.tsv [MARK chemicals.tsv [MARK diseases.tsv]]]` with
//! `MARK` = `\n%%TSV%%\n` (the dictionary `fuzz/decode_record.dict` holds it, and the seeds
//! built by `.ci/fuzz.sh` pair the sample's tables-generation records with their TSVs).
//! The TSVs are registered under the figid `f` (the file stem) and under the figid the
//! record text names, so a tables-generation record really reads them.
//!
//! Beyond "no panic", it checks the invariants a run relies on: a rejected record leaves
//! nothing in the builders (rollback), a converted one adds exactly one figures row and the
//! child rows it reports, reject messages name the file, and `Builders::finish` always
//! yields valid batches.

use pfocr_etl::dev::{decode_text, decode_utf8, Builders, MemoryTables, Outcome};
use pfocr_etl::RejectKind;

/// Separates the record from its TSVs in one fuzz input.
pub const MARK: &[u8] = b"\n%%TSV%%\n";
const REL: &str = "_figures/f.md";

/// Splits `data` at each `MARK`.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(MARK.len()).position(|w| w == MARK) {
        parts.push(&rest[..i]);
        rest = &rest[i + MARK.len()..];
    }
    parts.push(rest);
    parts
}

/// The figid a record names on a `figid:` line, roughly (quotes stripped), if any.
fn claimed_figid(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let v = l
            .trim_start_matches('\u{FEFF}')
            .strip_prefix("figid:")?
            .trim();
        let v = v.trim_matches(|c| c == '\'' || c == '"');
        (!v.is_empty()).then(|| v.to_owned())
    })
}

/// Decodes one fuzz input and panics if an invariant of the record decoder breaks.
pub fn check(data: &[u8]) {
    let parts = split(data);
    let text = match decode_utf8(parts[0].to_vec()) {
        Ok(t) => t,
        Err(p) => {
            assert_eq!(p.kind, RejectKind::NotUtf8);
            assert!(p.line.is_some() && p.column.is_some(), "{p:?}");
            return;
        }
    };
    let mut tables = MemoryTables::new();
    let mut set: [Option<(String, String)>; 3] = Default::default();
    for (i, tsv) in parts[1..].iter().take(3).enumerate() {
        let name = ["genes", "chemicals", "diseases"][i];
        set[i] = Some((
            format!("_data/f-{name}.tsv"),
            String::from_utf8_lossy(tsv).into_owned(),
        ));
    }
    if set.iter().any(Option::is_some) {
        if let Some(figid) = claimed_figid(&text) {
            tables.insert(figid, set.clone());
        }
        tables.insert("f".to_owned(), set);
    }

    let mut builders = Builders::default();
    let outcome = decode_text(&text, REL, "f", &tables, &mut builders);
    let after = builders.mark().0;
    let expected_rows = match &outcome {
        Outcome::Converted(c) => {
            assert!(!c.figid.is_empty());
            assert_eq!(c.rows[0], 1, "one figures row per converted record");
            assert_eq!(after, c.rows, "rows reported = rows added");
            c.rows
        }
        Outcome::Rejected { reject, .. } => {
            assert_eq!(
                after, [0; 4],
                "a rejected record is rolled back: {reject:?}"
            );
            assert_eq!(reject.source_path, REL);
            assert!(reject.message.starts_with(REL), "{}", reject.message);
            [0; 4]
        }
    };
    let batches = builders
        .finish()
        .expect("builders always finish into valid batches");
    for (b, rows) in batches.0.iter().zip(expected_rows) {
        assert_eq!(b.num_rows(), rows);
    }
}

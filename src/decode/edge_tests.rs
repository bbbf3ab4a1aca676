//! Decoder tests at the edges (issue 14): linear time on huge mappings and headers, bounded
//! expansion of one record, figid claims of rejected records, short truthful messages, and
//! the edge cases table of docs/schema.md checked against the decoder.

use std::fmt::Write as _;

use crate::arrow::array::{Array, AsArray, RecordBatch};
use crate::arrow::datatypes::{Float64Type, Int32Type};

use super::*;
use crate::error::{RejectKind, QUOTE_MAX_CHARS};

fn decode_with(text: &str, tables: &MemoryTables) -> (Outcome, [RecordBatch; 4]) {
    let mut b = Builders::default();
    let o = decode_text(text, "_figures/x.md", "x", tables, &mut b);
    (o, b.finish().unwrap().0)
}

fn decode(text: &str) -> (Outcome, [RecordBatch; 4]) {
    decode_with(text, &MemoryTables::new())
}

fn converted(text: &str, tables: &MemoryTables) -> [RecordBatch; 4] {
    let (o, b) = decode_with(text, tables);
    assert!(
        matches!(o, Outcome::Converted(_)),
        "{}",
        format!("{o:?}").chars().take(500).collect::<String>()
    );
    b
}

fn rejected(text: &str, tables: &MemoryTables) -> (Reject, String) {
    match decode_with(text, tables) {
        (Outcome::Rejected { reject, claim }, b) => {
            assert!(b.iter().all(|b| b.num_rows() == 0), "rows left behind");
            (reject, claim)
        }
        (o, _) => panic!("expected a reject, got {o:?}"),
    }
}

fn tsv(kind: EntityKind, figid: &str, text: String) -> MemoryTables {
    let mut t = MemoryTables::new();
    let mut set: [Option<(String, String)>; 3] = Default::default();
    set[kind.index()] = Some((format!("_data/{figid}{}", kind.tsv_suffix()), text));
    t.insert(figid.into(), set);
    t
}

fn text_of(b: &RecordBatch, col: &str, row: usize) -> Option<String> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    a.is_valid(row).then(|| a.value(row).to_owned())
}

// --- 1. Linear time: each would run for minutes (hours at 16 MiB) with a scan per key.

#[test]
fn a_16_mib_front_matter_of_distinct_keys_converts() {
    let mut fm = String::from("---\nfigid: a\n");
    let mut n = 0;
    while fm.len() < (16 << 20) - 64 {
        writeln!(fm, "k{n:07}: v").unwrap();
        n += 1;
    }
    fm.push_str("---\n");
    let [f, ..] = converted(&fm, &MemoryTables::new());
    let extra = text_of(&f, "extra", 0).unwrap();
    let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&extra).unwrap();
    assert_eq!(json.len(), n);
    assert_eq!(json["k0000000"], "v");
    // One repeat at the very end is still found.
    fm.truncate(fm.len() - 4);
    fm.push_str("k0000001: again\n---\n");
    let (r, claim) = rejected(&fm, &MemoryTables::new());
    assert_eq!(
        (r.kind, r.field.as_deref()),
        (RejectKind::Yaml, Some("k0000001"))
    );
    assert_eq!(claim, "a");
}

#[test]
fn huge_nested_and_entity_mappings_are_checked_in_linear_time() {
    let keys: Vec<String> = (0..300_000).map(|i| format!("k{i}: v")).collect();
    let nested = format!("---\nfigid: a\nnotes: {{{}}}\n---\n", keys.join(", "));
    let [f, ..] = converted(&nested, &MemoryTables::new());
    assert!(text_of(&f, "extra", 0)
        .unwrap()
        .ends_with(r#""k299999":"v"}}"#));
    let entity = format!("---\nfigid: a\ngenes: [{{{}}}]\n---\n", keys.join(", "));
    let [_, g, ..] = converted(&entity, &MemoryTables::new());
    assert_eq!(g.num_rows(), 1);
    let dup = format!(
        "---\nfigid: a\nnotes: {{{}, k7: w}}\n---\n",
        keys.join(", ")
    );
    let (r, _) = rejected(&dup, &MemoryTables::new());
    assert_eq!(
        (r.kind, r.field.as_deref()),
        (RejectKind::Yaml, Some("notes"))
    );
    assert!(r.message.contains("duplicate key 'k7'"), "{}", r.message);
}

#[test]
fn a_tsv_header_of_300_000_columns_converts() {
    let names: Vec<String> = (0..300_000).map(|i| format!("c{i}")).collect();
    let text = format!(
        "word\t{}\nTP53\t{}\n",
        names.join("\t"),
        vec!["x"; names.len()].join("\t")
    );
    let t = tsv(EntityKind::Genes, "a", text);
    let [_, g, ..] = converted("---\nfigid: a\n---\n", &t);
    assert_eq!(text_of(&g, "word", 0).as_deref(), Some("TP53"));
    assert!(text_of(&g, "extra", 0)
        .unwrap()
        .ends_with(r#""c299999":"x"}"#));
    // A name repeated at the end of the header is found and named.
    let text = format!("word\t{}\tc5\n", names.join("\t"));
    let t = tsv(EntityKind::Genes, "a", text);
    let (r, _) = rejected("---\nfigid: a\n---\n", &t);
    assert_eq!(r.kind, RejectKind::BadTsv);
    assert!(
        r.message.contains("column 'c5' appears twice"),
        "{}",
        r.message
    );
}

// --- 2. What one record may expand into.

#[test]
fn four_million_list_items_take_the_streaming_parser() {
    // Buffered by the fast reader, these events alone would take over 500 MB.
    let mut fm = String::with_capacity(16 << 20);
    fm.push_str("---\nfigid: a\nannotations:\n");
    for _ in 0..4_000_000 {
        fm.push_str("- a\n");
    }
    fm.push_str("---\n");
    let (o, [f, ..]) = decode(&fm);
    assert!(matches!(o, Outcome::Converted(_)));
    let l = f.column_by_name("annotations").unwrap().as_list::<i32>();
    assert_eq!(l.value(0).len(), 4_000_000);
}

#[test]
fn child_rows_are_bounded_by_bytes_not_just_by_file_size() {
    // 4 MB of 2-byte lines under a long header: each row would copy the header's extra
    // column name, 4 million times.
    let mut text = format!("word\t{}\n", "n".repeat(1000));
    for _ in 0..1_000_000 {
        text.push_str("a\t\n");
    }
    let t = tsv(EntityKind::Genes, "a", text);
    let (r, claim) = rejected("---\nfigid: a\n---\n", &t);
    assert_eq!(r.kind, RejectKind::TooLarge);
    assert!(
        r.message.contains("in _data/a-genes.tsv, line"),
        "{}",
        r.message
    );
    assert!(r.message.contains("33554432 bytes"), "{}", r.message);
    assert_eq!(claim, "a");
    // The same rows under a short header fit.
    let mut text = String::from("word\n");
    for _ in 0..100_000 {
        text.push_str("a\n");
    }
    let t = tsv(EntityKind::Genes, "a", text);
    let [_, g, ..] = converted("---\nfigid: a\n---\n", &t);
    assert_eq!(g.num_rows(), 100_000);
}

#[test]
fn a_long_figid_copied_into_every_child_row_is_bounded() {
    let figid = "f".repeat(1 << 20);
    let fm = format!(
        "---\nfigid: {figid}\ngenes: [{}]\n---\n",
        vec!["{}"; 100].join(", ")
    );
    let (r, claim) = rejected(&fm, &MemoryTables::new());
    assert_eq!(r.kind, RejectKind::TooLarge, "{}", r.message);
    assert_eq!(claim, figid);
    assert!(r.message.len() < 1_000, "{} bytes", r.message.len());
}

// --- 8. A rejected record claims its TSVs by figid.

#[test]
fn a_rejected_record_claims_by_its_figid_wherever_the_fault_is() {
    let t = MemoryTables::new();
    // The bad value after the figid, before it, and in a TSV.
    for fm in [
        "---\nfigid: c\nyear: twenty\n---\n",
        "---\nyear: twenty\nfigid: c\n---\n",
        "---\nyear: 1\nyear: 2\ncaption: x\nfigid: c\n---\n",
        "---\nnotes: {k: 1, k: 2}\nfigid: c\n---\n",
    ] {
        let (r, claim) = rejected(fm, &t);
        assert_eq!(claim, "c", "{}", r.message);
    }
    // No figid to read: the file name.
    for fm in [
        "---\ncaption: [unclosed\nfigid: c\n---\n",
        "---\nfigid: ~\nyear: 1\n---\n",
        "---\nfigid: a/b\n---\n",
        "---\n- a\n---\n",
        "no front matter\n",
    ] {
        let (r, claim) = rejected(fm, &t);
        assert_eq!(claim, "x", "{}", r.message);
    }
}

// --- 10. Messages that tell the truth, in bounded size.

#[test]
fn messages_quote_values_and_keys_short() {
    let t = MemoryTables::new();
    let big = "z".repeat(2 << 20);
    let (r, _) = rejected(&format!("---\nfigid: a\nyear: {big}\n---\n"), &t);
    assert_eq!(r.kind, RejectKind::BadValue);
    assert!(r.message.len() < 1_000, "{} bytes", r.message.len());
    assert!(
        r.message.contains("…' (2097152 bytes)"),
        "{}",
        &r.message[..300]
    );

    let key = "k".repeat(5 << 20);
    let (r, _) = rejected(&format!("---\nfigid: a\n{key}: 1\n{key}: 2\n---\n"), &t);
    assert_eq!(r.kind, RejectKind::Yaml);
    assert!(r.message.len() < 1_000, "{} bytes", r.message.len());
    let field = r.field.unwrap();
    assert_eq!(field.chars().count(), QUOTE_MAX_CHARS + 1);
    assert!(field.ends_with('…'));

    let (r, _) = rejected("---\nfigid: a\nyear: 99999999999999999999\n---\n", &t);
    assert!(
        r.message
            .ends_with("expected a whole number that fits Int16 (-32768 to 32767), found '99999999999999999999'"),
        "{}",
        r.message
    );
    let (r, _) = rejected(&format!("{big}\n---\n"), &t);
    assert!(r.message.len() < 1_000, "{} bytes", r.message.len());
}

#[test]
fn blank_lines_before_a_tsv_header_are_skipped_and_an_all_blank_tsv_says_so() {
    let t = tsv(EntityKind::Genes, "a", "\n\r\n\nword\n\nTP53\n".into());
    let [_, g, ..] = converted("---\nfigid: a\n---\n", &t);
    assert_eq!(text_of(&g, "word", 0).as_deref(), Some("TP53"));
    let t = tsv(EntityKind::Genes, "a", "\n\n\r\n".into());
    let (r, _) = rejected("---\nfigid: a\n---\n", &t);
    assert!(
        r.message
            .ends_with("the file holds only blank lines: expected a header row of column names"),
        "{}",
        r.message
    );
    let t = tsv(EntityKind::Genes, "a", "".into());
    let (r, _) = rejected("---\nfigid: a\n---\n", &t);
    assert!(r.message.contains("the file is empty"), "{}", r.message);
}

// --- 13. docs/schema.md's edge cases table is what the decoder does.

/// The rows of the table that follows `<!-- edge-cases -->` in docs/schema.md: front matter
/// (a flow mapping) and the result it must give.
fn documented_edge_cases() -> Vec<(String, String)> {
    let doc = include_str!("../../docs/schema.md");
    let table = doc
        .split("<!-- edge-cases -->")
        .nth(1)
        .expect("docs/schema.md has the edge cases table");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn the_documented_edge_cases_hold() {
    let cases = documented_edge_cases();
    assert!(cases.len() >= 5, "{cases:?}");
    for (yaml, result) in cases {
        let text = format!("---\n{yaml}\n---\n");
        let (o, [f, g, ..]) = decode(&text);
        let bits: Vec<&str> = result
            .split(',')
            .map(|s| s.trim().trim_matches('`'))
            .collect();
        match (bits[0], o) {
            ("rejected", Outcome::Rejected { reject, .. }) => {
                let want = format!("{}/{}", bits[1], bits[2].trim_start_matches("field `"));
                let got = format!("{}/{}", reject.kind, reject.field.unwrap_or_default());
                assert_eq!(got, want, "{yaml}: {}", reject.message);
            }
            ("converted", Outcome::Converted(_)) => {
                for check in &bits[1..] {
                    let (col, want) = check.split_once("` = `").expect("`column` = `value`");
                    let got = match col {
                        "pathway_score" => {
                            let c = f.column_by_name(col).unwrap().as_primitive::<Float64Type>();
                            if c.is_null(0) {
                                "NULL".to_owned()
                            } else {
                                c.value(0).to_string()
                            }
                        }
                        "figure_genes.ordinal" => {
                            let c = g
                                .column_by_name("ordinal")
                                .unwrap()
                                .as_primitive::<Int32Type>();
                            let v: Vec<String> = c.values().iter().map(|v| v.to_string()).collect();
                            v.join(" ")
                        }
                        _ => text_of(&f, col, 0).unwrap_or_else(|| "NULL".into()),
                    };
                    assert_eq!(got, want, "{yaml}: {col}");
                }
            }
            (_, o) => panic!("{yaml}: documented as {result}, decoded as {o:?}"),
        }
    }
}

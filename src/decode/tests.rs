//! Decoder tests on hand-written records, read back from the finished Arrow batches.

use crate::arrow::array::{Array, AsArray, RecordBatch};
use crate::arrow::datatypes::{Float64Type, Int16Type, Int32Type, Int64Type};

use super::*;
use crate::error::RejectKind;

fn tables() -> MemoryTables {
    MemoryTables::new()
}

/// Decodes one record; returns its outcome and the four batches.
fn decode(text: &str, tables: &MemoryTables) -> (Outcome, [RecordBatch; 4]) {
    let mut b = Builders::default();
    let o = decode_text(text, "_figures/x.md", "x", tables, &mut b);
    (o, b.finish().unwrap().0)
}

fn ok(text: &str) -> [RecordBatch; 4] {
    let (o, b) = decode(text, &tables());
    assert!(matches!(o, Outcome::Converted(_)), "{o:?}");
    b
}

fn reject(text: &str) -> crate::error::Reject {
    match decode(text, &tables()) {
        (Outcome::Rejected { reject, .. }, b) => {
            for batch in b {
                assert_eq!(batch.num_rows(), 0, "a rejected record leaves no rows");
            }
            reject
        }
        (o, _) => panic!("expected a reject, got {o:?}"),
    }
}

fn text(b: &RecordBatch, col: &str, row: usize) -> Option<String> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    a.is_valid(row).then(|| a.value(row).to_owned())
}

fn list(b: &RecordBatch, col: &str, row: usize) -> Vec<String> {
    let l = b.column_by_name(col).unwrap().as_list::<i32>();
    let v = l.value(row);
    let s = v.as_string::<i32>();
    (0..s.len()).map(|i| s.value(i).to_owned()).collect()
}

#[test]
fn core_schema_text_stays_as_written() {
    let [f, ..] = ok("---\nfigid: a\nnumber: 1.10\nfigtype: NO\nfigtitle: yes\npmcid: 2020-01-01\nndex: ''\nfilename: ~\nfiglink: NA\ncaption: .na.character\n---\n");
    assert_eq!(text(&f, "number", 0).as_deref(), Some("1.10"));
    assert_eq!(text(&f, "figtype", 0).as_deref(), Some("NO"));
    assert_eq!(text(&f, "figtitle", 0).as_deref(), Some("yes"));
    assert_eq!(text(&f, "pmcid", 0).as_deref(), Some("2020-01-01"));
    for c in [
        "ndex", "filename", "figlink", "caption", "doi", "body", "extra",
    ] {
        assert_eq!(text(&f, c, 0), None, "{c}");
    }
    assert_eq!(text(&f, "entity_source", 0).as_deref(), Some("tables"));
    assert_eq!(text(&f, "source_path", 0).as_deref(), Some("_figures/x.md"));
}

#[test]
fn folded_and_quoted_scalars() {
    let [f, ..] = ok("---\nfigid: a\ncaption: 'It''s a folded\n  single-quoted   line\n\n  with a break '\nfigtitle: plain multi\n  line scalar\npapertitle: \"tab\\there \\u00e9\"\n---\n");
    assert_eq!(
        text(&f, "caption", 0).as_deref(),
        Some("It's a folded single-quoted   line\nwith a break ")
    );
    assert_eq!(
        text(&f, "figtitle", 0).as_deref(),
        Some("plain multi line scalar")
    );
    assert_eq!(text(&f, "papertitle", 0).as_deref(), Some("tab\there é"));
}

#[test]
fn numbers_from_quoted_text_and_score_fallback() {
    let [f, ..] = ok("---\nfigid: a\nyear: '2020'\npmc_ranked_result_index: ' 12149 '\nautoml_pathway: '0.5'\n---\n");
    assert_eq!(
        f.column_by_name("year")
            .unwrap()
            .as_primitive::<Int16Type>()
            .value(0),
        2020
    );
    assert_eq!(
        f.column_by_name("pmc_ranked_result_index")
            .unwrap()
            .as_primitive::<Int32Type>()
            .value(0),
        12149
    );
    assert_eq!(
        f.column_by_name("pathway_score")
            .unwrap()
            .as_primitive::<Float64Type>()
            .value(0),
        0.5
    );
    // pathway_score wins over automl_pathway, in either order
    let [f, ..] = ok("---\nautoml_pathway: 0.1\nfigid: a\npathway_score: 0.9\n---\n");
    assert_eq!(
        f.column_by_name("pathway_score")
            .unwrap()
            .as_primitive::<Float64Type>()
            .value(0),
        0.9
    );
}

#[test]
fn lists_keywords_and_annotations() {
    let [f, ..] = ok("---\nfigid: a\norganisms: Homo sapiens\norganisms_ner:\n- NA\n- Mus musculus\n- ''\n- ~\nkeywords: ' a | b || NA | c '\nannotations:\n- plain\n- {id: '12', label: ~, tags: [x]}\n---\n");
    assert_eq!(list(&f, "organisms", 0), ["Homo sapiens"]);
    assert_eq!(list(&f, "organisms_ner", 0), ["Mus musculus"]);
    assert_eq!(list(&f, "keywords", 0), ["a", "b", "c"]);
    assert_eq!(
        list(&f, "annotations", 0),
        ["plain", r#"{"id":"12","label":null,"tags":["x"]}"#]
    );
    let [f, ..] = ok("---\nfigid: a\n---\n");
    assert!(list(&f, "organisms", 0).is_empty());
    assert!(
        f.column_by_name("organisms").unwrap().is_valid(0),
        "a missing list is empty, not NULL"
    );
}

#[test]
fn extra_keeps_unknown_keys_in_source_order_and_drops_derived() {
    let [f, ..] = ok("---\nzeta: 1.0\nfigid: a\nseo: CreativeWork\nschema-jsonld: {a: b}\nredirect_from: /x\nalpha: [x, ~]\nbody: not the body\n---\n# Body\n");
    assert_eq!(
        text(&f, "extra", 0).as_deref(),
        Some(r#"{"zeta":"1.0","alpha":["x",null],"body":"not the body"}"#)
    );
    assert_eq!(text(&f, "body", 0).as_deref(), Some("# Body\n"));
}

#[test]
fn inline_entities() {
    let [f, g, c, d] = ok("---\ngenes:\n- word: RANKL\n  symbol: RANKL\n  source: hgnc_alias_symbol\n  hgnc_symbol: TNFSF11\n  entrez: '8600'\n  score: 3\n- ~\n- word: AIRE\nfigid: a\nchemicals: []\ndiseases:\n- word: tumor\n  source: MESH\n  identifier: D009369\n- word: Cancer\n  source: ''\n  identifier: ''\n---\n");
    assert_eq!(text(&f, "entity_source", 0).as_deref(), Some("inline"));
    assert_eq!(g.num_rows(), 2);
    assert_eq!(
        text(&g, "figid", 0).as_deref(),
        Some("a"),
        "figid filled after the mapping ends"
    );
    assert_eq!(text(&g, "gene_symbol", 0).as_deref(), Some("TNFSF11"));
    assert_eq!(
        g.column_by_name("ncbigene_id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        8600
    );
    assert_eq!(text(&g, "extra", 0).as_deref(), Some(r#"{"score":"3"}"#));
    let ord = g
        .column_by_name("ordinal")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(
        (ord.value(0), ord.value(1)),
        (0, 2),
        "ordinal is the position in the list"
    );
    assert!(g.column_by_name("organism_id").unwrap().is_null(0));
    assert_eq!(c.num_rows(), 0);
    assert_eq!(text(&d, "mesh_id", 0).as_deref(), Some("mesh:D009369"));
    assert_eq!(text(&d, "mesh_id", 1), None);
}

fn with_tsv(kind: EntityKind, tsv: &str) -> MemoryTables {
    let mut t = MemoryTables::new();
    let mut set: [Option<(String, String)>; 3] = Default::default();
    set[kind.index()] = Some((format!("_data/a{}", kind.tsv_suffix()), tsv.to_owned()));
    t.insert("a".into(), set);
    t
}

#[test]
fn tsv_entities_by_header_name() {
    let t = with_tsv(
        EntityKind::Genes,
        "word\tncbigene_id\tmatch\tncbigene_symbol\tcount_direct\tnote\r\nRANKL\t8600\tRANKL\tTNFSF11\tNaN\thi\r\n\r\nX\tNA\tNA\tNA\t3\tNA\r\n",
    );
    let (o, [f, g, ..]) = decode("---\nfigid: a\n---\n", &t);
    assert!(matches!(o, Outcome::Converted(_)), "{o:?}");
    assert_eq!(text(&f, "entity_source", 0).as_deref(), Some("tables"));
    assert_eq!(g.num_rows(), 2);
    assert_eq!(text(&g, "symbol", 0).as_deref(), Some("RANKL"));
    assert_eq!(text(&g, "gene_symbol", 0).as_deref(), Some("TNFSF11"));
    assert!(
        g.column_by_name("count_direct").unwrap().is_null(0),
        "NaN is NULL"
    );
    assert!(
        g.column_by_name("count_synonym").unwrap().is_null(0),
        "absent column is NULL"
    );
    assert_eq!(text(&g, "extra", 0).as_deref(), Some(r#"{"note":"hi"}"#));
    assert_eq!(text(&g, "extra", 1).as_deref(), Some(r#"{"note":null}"#));
    assert_eq!(
        g.column_by_name("ordinal")
            .unwrap()
            .as_primitive::<Int32Type>()
            .value(1),
        1
    );
}

#[test]
fn tsv_curies_are_normalised() {
    let t = with_tsv(
        EntityKind::Chemicals,
        "word\tmesh\tchebi\nx\tMESH:D1\t4167\ny\tD2\tCHEBI:5\n",
    );
    let (_, [_, _, c, _]) = decode("---\nfigid: a\n---\n", &t);
    assert_eq!(text(&c, "mesh_id", 0).as_deref(), Some("mesh:D1"));
    assert_eq!(text(&c, "chebi_id", 0).as_deref(), Some("chebi:4167"));
    assert_eq!(text(&c, "mesh_id", 1).as_deref(), Some("mesh:D2"));
    assert_eq!(text(&c, "chebi_id", 1).as_deref(), Some("chebi:5"));
}

#[test]
fn inline_record_leaves_tsvs_as_conflicts() {
    let t = with_tsv(EntityKind::Diseases, "word\tmesh\nx\tD1\n");
    let (o, [_, _, _, d]) = decode("---\nfigid: a\ngenes: []\n---\n", &t);
    let Outcome::Converted(c) = o else {
        panic!("{o:?}")
    };
    assert_eq!(c.conflicts, ["_data/a-diseases.tsv"]);
    assert_eq!(d.num_rows(), 0);
}

#[test]
fn bad_tsvs_reject_the_figure() {
    for (tsv, want) in [
        ("word\tmesh\nx\n", "expected 2 tab-separated fields"),
        ("", "empty"),
        ("foo\tbar\nx\ty\n", "no header row"),
    ] {
        let t = with_tsv(EntityKind::Diseases, tsv);
        let (o, b) = decode("---\nfigid: a\n---\n", &t);
        let Outcome::Rejected { reject, claim } = o else {
            panic!("{o:?}")
        };
        assert_eq!(reject.kind, RejectKind::BadTsv);
        assert_eq!(reject.source_path, "_figures/x.md");
        assert!(
            reject.message.contains("_data/a-diseases.tsv"),
            "{}",
            reject.message
        );
        assert!(reject.message.contains(want), "{}", reject.message);
        assert_eq!(claim, "a");
        assert!(b.iter().all(|b| b.num_rows() == 0));
    }
    let t = with_tsv(EntityKind::Genes, "word\tncbigene_id\nx\tabc\n");
    let (o, _) = decode("---\nfigid: a\n---\n", &t);
    let Outcome::Rejected { reject, .. } = o else {
        panic!("{o:?}")
    };
    assert_eq!(
        (reject.kind, reject.field.as_deref()),
        (RejectKind::BadValue, Some("ncbigene_id"))
    );
    assert!(reject.message.contains("line 2"), "{}", reject.message);
}

#[test]
fn rejects_name_kind_line_and_field() {
    let r = reject("---\nfigid: a\nyear: twenty\n---\n");
    assert_eq!(
        (r.kind, r.line, r.field.as_deref()),
        (RejectKind::BadValue, Some(3), Some("year"))
    );
    assert!(
        r.message
            .starts_with("_figures/x.md, line 3, column 7: field 'year': expected a whole number"),
        "{}",
        r.message
    );

    let r = reject("---\nfigid: a\nyear: 99999\n---\n");
    assert!(r.message.contains("-32768 to 32767"), "{}", r.message);

    let r = reject("---\nfigid: a\ncaption: [a, b]\n---\n");
    assert_eq!(
        (r.kind, r.field.as_deref()),
        (RejectKind::BadValue, Some("caption"))
    );

    let r = reject("---\ncaption: x\n---\n");
    assert_eq!(r.kind, RejectKind::MissingFigid);
    let r = reject("---\nfigid: ''\n---\n");
    assert_eq!((r.kind, r.line), (RejectKind::MissingFigid, Some(2)));
    let r = reject("---\nfigid: a/b\n---\n");
    assert_eq!(r.kind, RejectKind::BadValue);
    let r = reject("---\nfigid: '..'\n---\n");
    assert_eq!(r.kind, RejectKind::BadValue);

    let r = reject("---\nfigid: a\nyear: 2020\nyear: 2021\n---\n");
    assert!(r.message.contains("duplicate key 'year'"), "{}", r.message);
    let r = reject("---\n- a\n- b\n---\n");
    assert!(r.message.contains("must be a mapping"), "{}", r.message);
    let r = reject("---\n---\n");
    assert!(r.message.contains("empty"), "{}", r.message);
    let r = reject("---\nfigid: a\ncaption: 'unclosed\n---\n");
    assert_eq!(r.kind, RejectKind::Yaml);
    assert!(r.line.is_some());
    let r = reject("---\nfigid: a\ngenes: TP53\n---\n");
    assert_eq!(
        (r.kind, r.field.as_deref()),
        (RejectKind::BadValue, Some("genes"))
    );
    let r = reject("---\nfigid: a\ngenes:\n- word: x\n  entrez: many\n---\n");
    assert_eq!(
        (r.kind, r.field.as_deref(), r.line),
        (RejectKind::BadValue, Some("entrez"), Some(5))
    );
    let r = reject("no front matter\n");
    assert_eq!(r.kind, RejectKind::NoFrontMatter);
}

#[test]
fn a_reject_rolls_back_rows_of_the_same_batch_only() {
    let mut b = Builders::default();
    let t = tables();
    let good = "---\nfigid: a\ngenes:\n- word: x\n---\n";
    let bad = "---\nfigid: b\ngenes:\n- word: y\n- word: z\n  entrez: bad\n---\n";
    assert!(matches!(
        decode_text(good, "_figures/a.md", "a", &t, &mut b),
        Outcome::Converted(_)
    ));
    assert!(matches!(
        decode_text(bad, "_figures/b.md", "b", &t, &mut b),
        Outcome::Rejected { .. }
    ));
    assert!(matches!(
        decode_text(good, "_figures/c.md", "c", &t, &mut b),
        Outcome::Converted(_)
    ));
    let [f, g, ..] = b.finish().unwrap().0;
    assert_eq!((f.num_rows(), g.num_rows()), (2, 2));
    assert_eq!(text(&g, "word", 1).as_deref(), Some("x"));
}

#[test]
fn a_syntax_error_wins_over_an_earlier_bad_value() {
    let r = reject("---\nfigid: a\ncaption: [unclosed\nyear: 1\n");
    assert_eq!(r.kind, RejectKind::NoFrontMatter);
    let r = reject("---\nfigid: a\ncaption: [unclosed\n---\n");
    assert_eq!(r.kind, RejectKind::Yaml, "{}", r.message);
}

#[test]
fn score_fallback_and_validation() {
    let score = |fm: &str| {
        let [f, ..] = ok(fm);
        let c = f
            .column_by_name("pathway_score")
            .unwrap()
            .as_primitive::<Float64Type>()
            .clone();
        c.is_valid(0).then(|| c.value(0))
    };
    assert_eq!(
        score("---\nfigid: a\npathway_score: ~\nautoml_pathway: 0.5\n---\n"),
        Some(0.5)
    );
    assert_eq!(
        score("---\nfigid: a\npathway_score: NA\nautoml_pathway: 0.5\n---\n"),
        Some(0.5)
    );
    assert_eq!(score("---\nfigid: a\npathway_score: .nan\n---\n"), None);
    let r = reject("---\nfigid: a\npathway_score: 0.9\nautoml_pathway: high\n---\n");
    assert_eq!(
        (r.kind, r.field.as_deref()),
        (RejectKind::BadValue, Some("automl_pathway"))
    );
}

#[test]
fn na_entity_lists_are_absent_and_na_items_dropped() {
    let [f, g, ..] = ok("---\nfigid: a\ngenes: NA\n---\n");
    assert_eq!(text(&f, "entity_source", 0).as_deref(), Some("tables"));
    assert_eq!(g.num_rows(), 0);
    let [f, g, ..] = ok("---\nfigid: a\ngenes: [NA, '', {word: x}]\n---\n");
    assert_eq!(text(&f, "entity_source", 0).as_deref(), Some("inline"));
    assert_eq!(g.num_rows(), 1);
}

#[test]
fn duplicate_keys_inside_nested_values_are_yaml_errors() {
    let r = reject("---\nfigid: a\nnotes: {k: 1, k: 2}\n---\n");
    assert_eq!(r.kind, RejectKind::Yaml);
    assert!(r.message.contains("duplicate key 'k'"), "{}", r.message);
}

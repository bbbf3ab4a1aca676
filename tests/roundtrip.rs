//! Property test of the whole conversion: any generated valid corpus converts completely,
//! and the values read back from the Parquet files equal the generated ones.

use std::collections::BTreeSet;
use std::fs;

use proptest::prelude::*;
use serde_json::Value;

use crate::util::*;

/// One generated inline gene mention.
#[derive(Debug, Clone)]
struct Gene {
    word: String,
    symbol: String,
    hgnc: String,
    entrez: i64,
}

/// One generated figure record of the inline generation.
#[derive(Debug, Clone)]
struct Record {
    year: i16,
    caption: String,
    organisms: Vec<String>,
    genes: Vec<Gene>,
}

/// Text as a user writes it: unicode, quotes, YAML punctuation; never an NA marker.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-zαβγé][A-Za-z0-9 αβγé–,.;()/+=%'\"#:&*!?_-]{0,40}")
        .unwrap()
        .prop_filter("NA markers are NULL by contract", |s| {
            s != "NA" && !s.starts_with(".na")
        })
}

fn gene() -> impl Strategy<Value = Gene> {
    (text(), text(), text(), 1i64..10_000_000_000).prop_map(|(word, symbol, hgnc, entrez)| Gene {
        word,
        symbol,
        hgnc,
        entrez,
    })
}

fn record() -> impl Strategy<Value = Record> {
    (
        1900i16..2100,
        text(),
        proptest::collection::vec(text(), 1..4),
        proptest::collection::vec(gene(), 0..6),
    )
        .prop_map(|(year, caption, organisms, genes)| Record {
            year,
            caption,
            organisms,
            genes,
        })
}

/// A YAML single-quoted scalar: `'` doubled inside, everything else as is.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn render(figid: &str, r: &Record) -> String {
    let mut y = format!(
        "---\nfigid: {figid}\nyear: '{}'\ncaption: {}\norganisms:\n",
        r.year,
        quoted(&r.caption)
    );
    for o in &r.organisms {
        y.push_str(&format!("- {}\n", quoted(o)));
    }
    y.push_str("genes:");
    if r.genes.is_empty() {
        y.push_str(" []");
    }
    y.push('\n');
    for g in &r.genes {
        y.push_str(&format!(
            "- word: {}\n  symbol: {}\n  hgnc_symbol: {}\n  entrez: '{}'\n",
            quoted(&g.word),
            quoted(&g.symbol),
            quoted(&g.hgnc),
            g.entrez
        ));
    }
    y.push_str("---\n");
    y
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn generated_records_read_back_from_parquet_unchanged(
        records in proptest::collection::vec(record(), 1..8),
    ) {
        let w = Workdir::new();
        for (i, r) in records.iter().enumerate() {
            w.write(&format!("corpus/_figures/F{i:03}.md"), render(&format!("F{i:03}"), r));
        }
        let opts = pfocr_etl::ConvertOptions::new(w.corpus(), w.out());
        let summary = pfocr_etl::convert(&opts).unwrap();
        prop_assert_eq!(summary.converted, records.len() as u64);
        prop_assert_eq!(summary.rejected, 0);

        let figures = rows(&w.out(), "figures");
        prop_assert_eq!(figures.len(), records.len());
        for (i, (row, r)) in figures.iter().zip(&records).enumerate() {
            prop_assert_eq!(&row["figid"], &Value::from(format!("F{i:03}")));
            prop_assert_eq!(&row["year"], &Value::from(r.year));
            prop_assert_eq!(&row["caption"], &Value::from(r.caption.clone()));
            prop_assert_eq!(&row["organisms"], &Value::from(r.organisms.clone()));
            prop_assert_eq!(&row["entity_source"], &Value::from("inline"));
            prop_assert_eq!(&row["source_path"], &Value::from(format!("_figures/F{i:03}.md")));
        }
        let genes = rows(&w.out(), "figure_genes");
        let want: Vec<(String, i32, &Gene)> = records
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.genes.iter().enumerate().map(move |(o, g)| (format!("F{i:03}"), o as i32, g)))
            .collect();
        prop_assert_eq!(genes.len(), want.len());
        for (row, (figid, ordinal, g)) in genes.iter().zip(&want) {
            prop_assert_eq!(&row["figid"], &Value::from(figid.clone()));
            prop_assert_eq!(&row["ordinal"], &Value::from(*ordinal));
            prop_assert_eq!(&row["word"], &Value::from(g.word.clone()));
            prop_assert_eq!(&row["symbol"], &Value::from(g.symbol.clone()));
            prop_assert_eq!(&row["gene_symbol"], &Value::from(g.hgnc.clone()));
            prop_assert_eq!(&row["ncbigene_id"], &Value::from(g.entrez));
            prop_assert_eq!(&row["extra"], &Value::Null);
        }
        let tables: BTreeSet<String> = fs::read_dir(w.out())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        prop_assert!(tables.contains("_manifest.json"));
    }
}

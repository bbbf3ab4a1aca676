//! The Parquet a DuckDB or Polars user gets: zstd, dictionary pages, page-level statistics
//! and page index, bloom filters on the lookup keys, the schema version, plain Utf8 strings.

use std::fs::File;

use arrow::datatypes::DataType;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;

use crate::util::*;

fn reader(out: &std::path::Path, table: &str) -> SerializedFileReader<File> {
    let f = File::open(out.join(table).join("part-00000.parquet")).unwrap();
    let opts = ReadOptionsBuilder::new()
        .with_page_index()
        .with_reader_properties(
            ReaderProperties::builder()
                .set_read_bloom_filter(true)
                .build(),
        )
        .build();
    SerializedFileReader::new_with_options(f, opts).unwrap()
}

#[test]
fn files_carry_the_promised_properties() {
    let w = Workdir::new();
    let o = pfocr_etl()
        .args([
            "convert",
            repo().join("data/sample").to_str().unwrap(),
            "--quiet",
            "--out",
        ])
        .arg(w.out())
        .output()
        .unwrap();
    assert_ok(&o);
    let out = w.out();
    for (table, bloom_cols) in [
        ("figures", vec!["figid"]),
        ("figure_genes", vec!["figid", "gene_symbol", "ncbigene_id"]),
        ("figure_chemicals", vec!["figid"]),
        ("figure_diseases", vec!["figid"]),
        ("rejects", vec![]),
    ] {
        let r = reader(&out, table);
        let meta = r.metadata();
        let kv = meta
            .file_metadata()
            .key_value_metadata()
            .expect("key-value metadata");
        assert!(
            kv.iter()
                .any(|k| k.key == "pfocr_etl.schema_version" && k.value.as_deref() == Some("2")),
            "{table}: schema version"
        );
        assert!(meta.num_row_groups() >= 1);
        assert!(
            meta.column_index().is_some() && meta.offset_index().is_some(),
            "{table}: page index"
        );
        let rg = r.get_row_group(0).unwrap();
        let rg_meta = meta.row_group(0);
        for (i, col) in rg_meta.columns().iter().enumerate() {
            let name = col.column_path().string();
            assert!(
                matches!(col.compression(), Compression::ZSTD(_)),
                "{table}.{name}: zstd"
            );
            assert!(col.statistics().is_some(), "{table}.{name}: statistics");
            if rg_meta.num_rows() > 0 && name == "figid" {
                assert!(
                    col.encodings()
                        .any(|e| e == Encoding::RLE_DICTIONARY || e == Encoding::PLAIN_DICTIONARY),
                    "{table}.{name}: dictionary encoded"
                );
            }
            let has_bloom = rg.get_column_bloom_filter(i).is_some();
            assert_eq!(
                has_bloom,
                bloom_cols.contains(&name.as_str()),
                "{table}.{name}: bloom filter"
            );
        }
        // Plain Utf8 in the Arrow schema, never dictionary types.
        for b in batches(&out, table).iter().take(1) {
            for f in b.schema().fields() {
                assert!(
                    !matches!(f.data_type(), DataType::Dictionary(..)),
                    "{table}.{}",
                    f.name()
                );
            }
        }
    }
    // The bloom filter answers a lookup: a present gene symbol is "maybe", an absent one no.
    let r = reader(&out, "figure_genes");
    let idx = r
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == "gene_symbol")
        .unwrap();
    let rg = r.get_row_group(0).unwrap();
    let bloom = rg.get_column_bloom_filter(idx).unwrap();
    let any_symbol = rows(&out, "figure_genes")
        .iter()
        .find_map(|g| g["gene_symbol"].as_str().map(str::to_owned))
        .unwrap();
    assert!(bloom.check(&any_symbol.as_str()));
    assert!(!bloom.check(&"NOT-A-GENE-0000"));
}

//! Schema version 2 end to end: `figures.wpid`, the `_data` map files, ignored `_data`
//! files, older-named TSV columns, lower-case CURIE prefixes, records without a body, and
//! the version in every file and the manifest — values read back from the Parquet.

use serde_json::{json, Map, Value};

use crate::util::*;

/// A corpus with both map files and every version 2 case.
fn corpus() -> Workdir {
    let w = Workdir::new();
    // wpid and ndex in the front matter: they win over the maps.
    w.figure(
        "PMC1__a",
        "figid: PMC1__a\nwpid: WP100\nndex: front-ndex\ngenes: []\n",
    );
    // No wpid/ndex keys: the maps fill both. Nothing after the closing `---`.
    w.write(
        "corpus/_figures/PMC2__b.md",
        "---\nfigid: PMC2__b\nyear: 2021\n---",
    );
    // NA in the front matter counts as no value: the map fills it.
    w.figure("PMC3__c", "figid: PMC3__c\nwpid: NA\nndex: ''\n");
    // In no map, no key: NULL.
    w.figure("PMC4__d", "figid: PMC4__d\n");
    w.tsv(
        "wpid_map.tsv",
        "PMC1__a\tWP1\nPMC2__b\tWP2\nPMC3__c\tWP3\nbroken line without a tab\nPMC9__gone\tWP9\nPMC2__b\tWP22\n",
    );
    w.tsv(
        "ndex_map.tsv",
        "PMC1__a\tndex-1\r\nPMC2__b\tndex-2\r\nPMC3__c\tndex-3\textra\r\n",
    );
    w.tsv("pfocr_curation.rds", "\x00binary");
    w.tsv("README.md", "# notes\n");
    w.tsv("notes.tsv", "a\tb\n");
    w.tsv("PMC8__none-genes.tsv", "word\nX\n");
    w
}

fn by_figid(rows: &[Map<String, Value>]) -> std::collections::BTreeMap<String, Map<String, Value>> {
    rows.iter()
        .map(|r| (r["figid"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn maps_fill_wpid_and_ndex_where_the_front_matter_gives_none() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let figs = by_figid(&rows(&w.out(), "figures"));
    let got: Vec<(&str, &Value, &Value)> = figs
        .iter()
        .map(|(f, r)| (f.as_str(), &r["wpid"], &r["ndex"]))
        .collect();
    assert_eq!(
        got,
        [
            ("PMC1__a", &json!("WP100"), &json!("front-ndex")),
            ("PMC2__b", &json!("WP2"), &json!("ndex-2")),
            ("PMC3__c", &json!("WP3"), &Value::Null),
            ("PMC4__d", &Value::Null, &Value::Null),
        ]
    );
    // wpid is a column now, not an `extra` key; it is the last column.
    assert_eq!(figs["PMC1__a"]["extra"], Value::Null);
    let schema = batches(&w.out(), "figures")[0].schema();
    assert_eq!(schema.fields().last().unwrap().name(), "wpid");
    // The record with nothing after its closing `---` converts, with a NULL body.
    assert_eq!(figs["PMC2__b"]["body"], Value::Null);
    assert_eq!(figs["PMC2__b"]["year"], 2021);
}

#[test]
fn bad_map_lines_are_rejects_of_the_map_outside_the_figure_counts() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let m = manifest(&w.out());
    assert_eq!(
        (m["inputs"].as_u64(), m["converted"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(m["rejected"], 0);
    let mut rejects: Vec<(String, Value, String)> = rows(&w.out(), "rejects")
        .iter()
        .map(|r| {
            (
                r["source_path"].as_str().unwrap().to_owned(),
                r["line"].clone(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rejects.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rejects,
        [
            (
                "_data/PMC8__none-genes.tsv".into(),
                Value::Null,
                "orphan_table".into()
            ),
            ("_data/ndex_map.tsv".into(), json!(3), "bad_tsv".into()),
            ("_data/wpid_map.tsv".into(), json!(4), "bad_tsv".into()),
        ]
    );
    let msg = rows(&w.out(), "rejects")
        .into_iter()
        .find(|r| r["source_path"] == "_data/wpid_map.tsv")
        .unwrap()["message"]
        .clone();
    assert!(
        msg.as_str().unwrap().contains("line 4")
            && msg.as_str().unwrap().contains("two tab-separated fields"),
        "{msg}"
    );
    assert_eq!(m["rejects_by_kind"]["bad_tsv"], 2);
}

#[test]
fn other_data_files_are_listed_as_ignored_not_rejected() {
    let w = corpus();
    let o = w.convert(&[]);
    assert_ok(&o);
    let m = manifest(&w.out());
    assert_eq!(
        m["ignored_files"],
        json!([
            "_data/README.md",
            "_data/notes.tsv",
            "_data/pfocr_curation.rds"
        ])
    );
    let rejected: Vec<Value> = rows(&w.out(), "rejects")
        .iter()
        .map(|r| r["source_path"].clone())
        .collect();
    for f in [
        "_data/README.md",
        "_data/notes.tsv",
        "_data/pfocr_curation.rds",
    ] {
        assert!(!rejected.contains(&json!(f)), "{f} rejected");
    }
    // The summary goes to stderr, like the rest of what a run tells its user.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("ignored: 3 other file(s) in _data"),
        "{stderr}"
    );
}

#[test]
fn map_values_are_the_same_for_any_thread_count() {
    let w = corpus();
    for i in 0..40 {
        w.figure(
            &format!("PMC5{i:03}__x"),
            &format!("figid: PMC5{i:03}__x\n"),
        );
    }
    let mut map = String::new();
    for i in (0..40).rev() {
        map.push_str(&format!("PMC5{i:03}__x\tWP5{i:03}\n"));
    }
    w.tsv("wpid_map.tsv", &map);
    let mut outputs = Vec::new();
    for threads in ["1", "2", "4"] {
        let o = pfocr_etl()
            .args(["convert", "--quiet", "--threads", threads, "--out"])
            .arg(w.path().join(format!("out{threads}")))
            .arg(w.corpus())
            .output()
            .unwrap();
        assert_ok(&o);
        outputs.push(parquet_bytes(&w.path().join(format!("out{threads}"))));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    let figs = by_figid(&rows(&w.path().join("out2"), "figures"));
    for i in 0..40 {
        assert_eq!(
            figs[&format!("PMC5{i:03}__x")]["wpid"],
            json!(format!("WP5{i:03}"))
        );
    }
}

#[test]
fn older_tsv_column_names_map_like_the_inline_keys() {
    let w = Workdir::new();
    w.figure("PMC6__old", "figid: PMC6__old\n");
    w.tsv(
        "PMC6__old-genes.tsv",
        "word\tsymbol\tsource\thgnc_symbol\tentrez\n\
         RANKL\tRANKL\thgnc_alias_symbol\tTNFSF11\t8600\n\
         p53\tP53\tbioentities_symbol\tTP53\tNA\n",
    );
    w.tsv(
        "PMC6__old-chemicals.tsv",
        "word\tsource\tidentifier\ncalcium\tMESH\tD002118\nx\t\tC025946\ny\tNA\tD1\nz\tMESH\tNA\n",
    );
    w.tsv(
        "PMC6__old-diseases.tsv",
        "word\tsource\tidentifier\nosteoporosis\tDOID\tDOID:11476\ntumor\tMesh\tD009369\n",
    );
    // Both generations' names in one file: the newer wins, the older goes to extra.
    w.figure("PMC7__both", "figid: PMC7__both\n");
    w.tsv(
        "PMC7__both-genes.tsv",
        "word\tmatch\tsymbol\tncbigene_symbol\thgnc_symbol\tncbigene_id\tentrez\n\
         RANKL\tRANKL-new\tRANKL-old\tTNFSF11\tOLD\t8600\t1\n",
    );
    w.tsv(
        "PMC7__both-diseases.tsv",
        "word\tmesh\tsource\tidentifier\ntumor\tMESH:D009369\tMESH\tD000001\n",
    );
    w.tsv("PMC7__both-chemicals.tsv", "word\tsource\nx\tMESH\n");
    assert_ok(&w.convert(&["--quiet"]));
    let out = w.out();
    let genes = rows(&out, "figure_genes");
    let pick = |rows: &[Map<String, Value>], figid: &str, cols: &[&str]| -> Vec<Vec<Value>> {
        rows.iter()
            .filter(|r| r["figid"] == figid)
            .map(|r| cols.iter().map(|c| r[*c].clone()).collect())
            .collect()
    };
    let cols = ["symbol", "source", "gene_symbol", "ncbigene_id", "extra"];
    assert_eq!(
        pick(&genes, "PMC6__old", &cols),
        [
            vec![
                json!("RANKL"),
                json!("hgnc_alias_symbol"),
                json!("TNFSF11"),
                json!(8600),
                Value::Null
            ],
            vec![
                json!("P53"),
                json!("bioentities_symbol"),
                json!("TP53"),
                Value::Null,
                Value::Null
            ],
        ]
    );
    assert_eq!(
        pick(&genes, "PMC7__both", &cols),
        [vec![
            json!("RANKL-new"),
            Value::Null,
            json!("TNFSF11"),
            json!(8600),
            json!(r#"{"symbol":"RANKL-old","hgnc_symbol":"OLD","entrez":"1"}"#),
        ]]
    );
    let chems = rows(&out, "figure_chemicals");
    assert_eq!(
        pick(&chems, "PMC6__old", &["word", "mesh_id", "extra"]),
        [
            vec![json!("calcium"), json!("mesh:D002118"), Value::Null],
            vec![json!("x"), Value::Null, Value::Null],
            vec![json!("y"), Value::Null, Value::Null],
            vec![json!("z"), Value::Null, Value::Null],
        ]
    );
    // A `source` without `identifier` prefixes nothing: it is kept in extra.
    assert_eq!(
        pick(&chems, "PMC7__both", &["mesh_id", "extra"]),
        [vec![Value::Null, json!(r#"{"source":"MESH"}"#)]]
    );
    let dis = rows(&out, "figure_diseases");
    assert_eq!(
        pick(&dis, "PMC6__old", &["mesh_id"]),
        [vec![json!("doid:11476")], vec![json!("mesh:D009369")]]
    );
    assert_eq!(
        pick(&dis, "PMC7__both", &["mesh_id", "extra"]),
        [vec![
            json!("mesh:D009369"),
            json!(r#"{"source":"MESH","identifier":"D000001"}"#)
        ]]
    );
}

#[test]
fn curie_prefixes_are_lower_case_and_never_bare() {
    let w = Workdir::new();
    w.figure(
        "PMC10__inline",
        "figid: PMC10__inline\n\
         chemicals:\n- word: a\n  source: CHEBI\n  identifier: '4167'\n\
         - word: b\n  source: ''\n  identifier: D1\n\
         - word: c\n  source: MESH\n  identifier: ''\n\
         diseases:\n- word: d\n  source: DOID\n  identifier: DOID:8893\n",
    );
    w.figure("PMC11__tables", "figid: PMC11__tables\n");
    w.tsv(
        "PMC11__tables-diseases.tsv",
        "word\tmesh\tdoid\nx\tMESH:D009369\tDOID:8893\ny\tNA\t\n",
    );
    w.tsv(
        "PMC11__tables-chemicals.tsv",
        "word\tmesh\tchebi\nz\tD005947\tCHEBI:17234\n",
    );
    assert_ok(&w.convert(&["--quiet"]));
    let out = w.out();
    let col = |table: &str, figid: &str, c: &str| -> Vec<Value> {
        rows(&out, table)
            .iter()
            .filter(|r| r["figid"] == figid)
            .map(|r| r[c].clone())
            .collect()
    };
    assert_eq!(
        col("figure_chemicals", "PMC10__inline", "mesh_id"),
        [json!("chebi:4167"), Value::Null, Value::Null]
    );
    assert_eq!(
        col("figure_diseases", "PMC10__inline", "mesh_id"),
        [json!("doid:8893")]
    );
    assert_eq!(
        col("figure_diseases", "PMC11__tables", "doid"),
        [json!("doid:8893"), Value::Null]
    );
    assert_eq!(
        col("figure_diseases", "PMC11__tables", "mesh_id"),
        [json!("mesh:D009369"), Value::Null]
    );
    assert_eq!(
        col("figure_chemicals", "PMC11__tables", "chebi_id"),
        [json!("chebi:17234")]
    );
}

#[test]
fn schema_version_2_in_the_manifest_and_every_parquet_file() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    assert_eq!(manifest(&w.out())["schema_version"], 2);
    let mut files = 0;
    for (rel, _) in parquet_bytes(&w.out()) {
        let file = std::fs::File::open(w.out().join(&rel)).unwrap();
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
        let kv = parquet::file::reader::FileReader::metadata(&reader)
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap_or_default();
        assert!(
            kv.iter()
                .any(|k| k.key == "pfocr_etl.schema_version" && k.value.as_deref() == Some("2")),
            "{rel}"
        );
        files += 1;
    }
    assert_eq!(files, 5);
}

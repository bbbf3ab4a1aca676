//! `pfocr-etl export gmt` and `export jsonl` through the real binary: the files read back
//! line by line and compared with the converted Parquet tables.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::{json, Map, Value};

use crate::util::*;

/// Inline record: human genes (one repeated, one without an Entrez id) and a chemical.
const TNF: &str = "\
figid: PMC10__tnf-f1
figtitle: 'TNF signaling: 50% of\tcases'
organisms: Homo sapiens
pathway_score: 0.9
genes:
- {word: TNFa, symbol: TNFa, source: hgnc_alias_symbol, hgnc_symbol: TNF, entrez: '7124'}
- {word: RANKL, symbol: RANKL, source: hgnc_alias_symbol, hgnc_symbol: TNFSF11, entrez: '8600'}
- {word: TNF, symbol: TNF, source: hgnc_symbol, hgnc_symbol: TNF, entrez: '7124'}
- {word: XYZ, symbol: XYZ, source: hgnc_symbol}
- {word: IL6, symbol: IL6, source: hgnc_symbol, hgnc_symbol: IL6, entrez: '3569'}
chemicals:
- {word: Calcium, source: MESH, identifier: D002118}
";

/// Tables record whose TSV names two organisms.
const AKT: &str = "\
figid: PMC20__akt-g1
figtitle: AKT pathway
pathway_score: 0.8
organisms_ner:
- Homo sapiens
- Mus musculus
";

const AKT_GENES: &str = "organism_id\torganism_name\tword\tncbigene_symbol\tncbigene_id\tsource\n\
9606\tHomo sapiens\tAKT1\tAKT1\t207\tncbigene_symbol\n\
10090\tMus musculus\tAkt1\tAkt1\t11651\tncbigene_symbol\n\
9606\tHomo sapiens\tPTEN\tPTEN\t5728\tncbigene_symbol\n\
10090\tMus musculus\tPten\tPten\t19211\tncbigene_symbol\n\
9606\tHomo sapiens\tMTOR\tMTOR\t2475\tncbigene_symbol\n\
9606\tHomo sapiens\tAKT1\tAKT1\t207\tncbigene_symbol\n";

/// Inline record listing two organisms: its rows go to the first, mouse.
const MOUSE_FIRST: &str = "\
figid: PMC30__mm-f2
figtitle: Wnt in mouse
pathway_score: 0.3
organisms:
- Mus musculus
- Homo sapiens
genes:
- {word: Wnt1, hgnc_symbol: Wnt1, entrez: '22408'}
- {word: Ctnnb1, hgnc_symbol: Ctnnb1, entrez: '12387'}
- {word: Axin2, hgnc_symbol: Axin2, entrez: '12006'}
";

/// Inline record with no organism: its genes have none either.
const NO_ORGANISM: &str = "\
figid: PMC40__none-f1
figtitle: Unknown species
genes:
- {word: A, hgnc_symbol: A, entrez: '1'}
- {word: B, hgnc_symbol: B, entrez: '2'}
- {word: C, hgnc_symbol: C, entrez: '9'}
";

fn corpus() -> Workdir {
    let w = Workdir::new();
    w.figure("PMC10__tnf-f1", TNF);
    w.figure("PMC20__akt-g1", AKT);
    w.tsv("PMC20__akt-g1-genes.tsv", AKT_GENES);
    w.tsv(
        "PMC20__akt-g1-diseases.tsv",
        "word\tmesh\tmatch\tname\tdoid\ncancer\tMESH:D009369\tNA\tNA\tDOID:162\n",
    );
    w.figure("PMC30__mm-f2", MOUSE_FIRST);
    w.figure("PMC40__none-f1", NO_ORGANISM);
    w
}

fn export(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = pfocr_etl();
    cmd.arg("export");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().expect("the binary runs")
}

/// The files of `dir` by name → text.
fn files(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

const HUMAN_TNF: &str = "TNF signaling: 50_ of cases%PFOCR_20240510%PMC10__tnf-f1\t\
https://pfocr.wikipathways.org/figures/PMC10__tnf-f1.html\t7124\t8600\t3569\n";
const HUMAN_AKT: &str = "AKT pathway%PFOCR_20240510%PMC20__akt-g1\t\
https://pfocr.wikipathways.org/figures/PMC20__akt-g1.html\t207\t5728\t2475\n";
const MOUSE_WNT: &str = "Wnt in mouse%PFOCR_20240510%PMC30__mm-f2\t\
https://pfocr.wikipathways.org/figures/PMC30__mm-f2.html\t22408\t12387\t12006\n";

#[test]
fn gmt_one_file_per_organism_in_pfocr_release_shape() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let gmt = w.path().join("gmt");
    let err = assert_ok(&export(&[
        &"gmt",
        &w.out(),
        &"--out",
        &gmt,
        &"--release",
        &"20240510",
    ]));
    assert!(
        err.contains("left out: 1 gene sets with fewer than 3 genes"),
        "{err}"
    );
    assert!(err.contains("3 gene rows without an organism"), "{err}");
    let got = files(&gmt);
    let want = BTreeMap::from([
        (
            "pfocr-20240510-gmt-Homo_sapiens.gmt".to_owned(),
            format!("{HUMAN_TNF}{HUMAN_AKT}"),
        ),
        // AKT's two mouse genes are fewer than 3: only the inline record's set is here.
        (
            "pfocr-20240510-gmt-Mus_musculus.gmt".to_owned(),
            MOUSE_WNT.to_owned(),
        ),
    ]);
    assert_eq!(got, want);
    // Chemicals never enter a gene set (Calcium's MeSH id is nowhere).
    assert!(!got.values().any(|t| t.contains("D002118")));
}

#[test]
fn gmt_options_filter_and_the_output_is_deterministic() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let a = w.path().join("a");
    let args = |dir: &Path| -> Output {
        export(&[
            &"gmt",
            &w.out(),
            &"--out",
            &dir,
            &"--release",
            &"20240510",
            &"--min-genes",
            &"2",
            &"--min-score",
            &"0.5",
            &"--organism",
            &"mus MUSCULUS",
            &"--quiet",
        ])
    };
    assert!(assert_ok(&args(&a)).is_empty(), "--quiet prints nothing");
    // --min-score 0.5 drops the Wnt figure (0.3); --min-genes 2 admits AKT's mouse pair.
    let mouse_akt = "AKT pathway%PFOCR_20240510%PMC20__akt-g1\t\
https://pfocr.wikipathways.org/figures/PMC20__akt-g1.html\t11651\t19211\n";
    assert_eq!(
        files(&a),
        BTreeMap::from([(
            "pfocr-20240510-gmt-Mus_musculus.gmt".to_owned(),
            mouse_akt.to_owned()
        )])
    );
    // Same tables, same bytes: again, and from a conversion on another thread count.
    let b = w.path().join("b");
    assert_ok(&args(&b));
    assert_eq!(files(&a), files(&b));
    fs::remove_dir_all(w.out()).unwrap();
    assert_ok(&w.convert(&["--quiet", "-j", "1", "--batch-records", "1"]));
    let c = w.path().join("c");
    assert_ok(&args(&c));
    assert_eq!(files(&a), files(&c));
}

#[test]
fn gmt_bad_release_and_missing_tables_are_refused() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let out = export(&[
        &"gmt",
        &w.out(),
        &"--out",
        &w.path().join("g"),
        &"--release",
        &"a/b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--release 'a/b'"));
    let out = export(&[
        &"gmt",
        &w.path().join("nothing"),
        &"--out",
        &w.path().join("g"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!w.path().join("g").exists(), "nothing written");
}

/// The JSONL lines of `text`, parsed.
fn objects(text: &str) -> Vec<Map<String, Value>> {
    text.lines()
        .map(|l| match serde_json::from_str(l).unwrap() {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// What each JSONL object must be: the figures row plus its child rows (without figid).
fn expected_objects(out: &Path) -> Vec<Map<String, Value>> {
    let mut figures = rows(out, "figures");
    figures.sort_by(|a, b| a["figid"].as_str().cmp(&b["figid"].as_str()));
    let children: Vec<(&str, Vec<Map<String, Value>>)> = [
        ("genes", "figure_genes"),
        ("chemicals", "figure_chemicals"),
        ("diseases", "figure_diseases"),
    ]
    .into_iter()
    .map(|(k, t)| (k, rows(out, t)))
    .collect();
    figures
        .into_iter()
        .map(|mut f| {
            for (key, rows) in &children {
                let mut mine: Vec<Value> = rows
                    .iter()
                    .filter(|r| r["figid"] == f["figid"])
                    .map(|r| {
                        let mut r = r.clone();
                        r.remove("figid");
                        Value::Object(r)
                    })
                    .collect();
                mine.sort_by_key(|r| r["ordinal"].as_i64());
                f.insert((*key).to_owned(), Value::Array(mine));
            }
            f
        })
        .collect()
}

#[test]
fn jsonl_one_object_per_figure_with_nested_rows() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let file = w.path().join("figures.jsonl");
    let err = assert_ok(&export(&[&"jsonl", &w.out(), &"--out", &file]));
    assert!(err.contains("4 figures"), "{err}");
    assert!(!err.contains("spill"), "stored in figid order: {err}");
    let text = fs::read_to_string(&file).unwrap();
    let got = objects(&text);
    assert_eq!(got, expected_objects(&w.out()));
    let figids: Vec<&str> = got.iter().map(|o| o["figid"].as_str().unwrap()).collect();
    assert_eq!(
        figids,
        [
            "PMC10__tnf-f1",
            "PMC20__akt-g1",
            "PMC30__mm-f2",
            "PMC40__none-f1"
        ]
    );
    // Columns in the table's order, then the three arrays.
    let schema_columns: Vec<String> = batches(&w.out(), "figures")[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let keys: Vec<&String> = got[0].keys().collect();
    let mut want: Vec<&String> = schema_columns.iter().collect();
    let nested = ["genes", "chemicals", "diseases"].map(String::from);
    want.extend(nested.iter());
    let first_line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first_line.as_object().unwrap().len(), want.len());
    assert_eq!(keys.len(), want.len());
    // serde_json's map sorts keys; check the written order on the raw line instead.
    let line = text.lines().next().unwrap();
    let positions: Vec<usize> = want
        .iter()
        .map(|k| {
            line.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing"))
        })
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
    let tnf = &got[0];
    assert_eq!(tnf["genes"].as_array().unwrap().len(), 5);
    assert_eq!(tnf["genes"][1]["ncbigene_id"], 8600);
    assert_eq!(tnf["chemicals"][0]["mesh_id"], "mesh:D002118");
    assert_eq!(got[1]["diseases"][0]["doid"], "doid:162");
    assert_eq!(got[3]["chemicals"], json!([]));

    // `--out -` writes the same bytes to stdout.
    let out = export(&[&"jsonl", &w.out(), &"--out", &"-", &"--quiet"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
}

#[test]
fn jsonl_sorts_tables_stored_out_of_figid_order() {
    // File names sort unlike their figids: `a.md` holds figid `PMC9__z`, `b.md` `PMC1__a`.
    let w = Workdir::new();
    w.figure(
        "a",
        "figid: PMC9__z\ngenes:\n- {word: X, hgnc_symbol: X, entrez: '5'}\n",
    );
    w.figure("b", "figid: PMC1__a\nfigtitle: first\n");
    w.tsv(
        "PMC1__a-genes.tsv",
        "word\tncbigene_symbol\tncbigene_id\nP\tP\t7\nQ\tQ\t8\n",
    );
    w.tsv("PMC1__a-chemicals.tsv", "word\tmesh\nglucose\tD005947\n");
    assert_ok(&w.convert(&["--quiet"]));
    let stored: Vec<Value> = rows(&w.out(), "figures")
        .into_iter()
        .map(|r| r["figid"].clone())
        .collect();
    assert_eq!(stored, [json!("PMC9__z"), json!("PMC1__a")], "path order");
    let file = w.path().join("x.jsonl");
    let err = assert_ok(&export(&[&"jsonl", &w.out(), &"--out", &file]));
    assert!(err.contains("spill file: figure_genes, figures"), "{err}");
    let got = objects(&fs::read_to_string(&file).unwrap());
    assert_eq!(got, expected_objects(&w.out()));
    assert_eq!(got[0]["figid"], "PMC1__a");
    assert_eq!(got[0]["genes"][1]["ncbigene_id"], 8);
    assert_eq!(got[1]["genes"][0]["ncbigene_id"], 5);
}

#[cfg(feature = "delta")]
#[test]
fn exports_from_delta_tables_equal_those_from_parquet() {
    let w = corpus();
    assert_ok(&w.convert(&["--quiet"]));
    let lake = w.path().join("lake");
    let load = pfocr_etl()
        .arg("load")
        .arg(w.corpus())
        .arg("--table")
        .arg(&lake)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_ok(&load);
    // An incremental load rewrites one record: the Delta files no longer sort by figid.
    w.figure(
        "PMC10__tnf-f1",
        &TNF.replace("pathway_score: 0.9", "pathway_score: 0.95"),
    );
    fs::remove_dir_all(w.out()).unwrap();
    assert_ok(&w.convert(&["--quiet"]));
    let load = pfocr_etl()
        .arg("load")
        .arg(w.corpus())
        .arg("--table")
        .arg(&lake)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_ok(&load);

    for (from, tag) in [(w.out(), "p"), (lake.clone(), "d")] {
        let gmt = w.path().join(format!("gmt-{tag}"));
        assert_ok(&export(&[
            &"gmt",
            &from,
            &"--out",
            &gmt,
            &"--release",
            &"x",
            &"--quiet",
        ]));
        let jsonl = w.path().join(format!("{tag}.jsonl"));
        assert_ok(&export(&[&"jsonl", &from, &"--out", &jsonl, &"--quiet"]));
    }
    assert_eq!(
        files(&w.path().join("gmt-p")),
        files(&w.path().join("gmt-d"))
    );
    assert!(!files(&w.path().join("gmt-d")).is_empty());
    let p = fs::read_to_string(w.path().join("p.jsonl")).unwrap();
    let d = fs::read_to_string(w.path().join("d.jsonl")).unwrap();
    assert_eq!(objects(&p).len(), 4);
    assert_eq!(
        p, d,
        "the same objects, bytes and order from Delta as from Parquet"
    );
    assert!(p.contains("\"pathway_score\":0.95"));
}

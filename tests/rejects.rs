//! Bad input: every broken file is a reject row naming file, line and field; the good
//! records are all there; `inputs = converted + rejected`; `--max-rejects` sets the exit.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::*;

fn mixed() -> Workdir {
    let w = Workdir::new();
    w.figure(
        "good1",
        "figid: good1\nyear: 2001\ngenes:\n- word: TP53\n  entrez: '7157'\n",
    );
    w.figure("good2", "figid: good2\nyear: '2020'\n");
    w.figure("good3", "figid: good3\n");
    w.figure("bad_year", "figid: bad_year\nyear: twenty\n");
    w.figure("bad_yaml", "figid: bad_yaml\ncaption: [unclosed\n");
    w.figure("no_figid", "caption: x\n");
    w.figure("zdup", "figid: good1\n"); // sorts after good1.md, so good1.md keeps the figid
    w.figure("not_mapping", "- a\n- b\n");
    w.write("corpus/_figures/empty.md", "");
    w.write("corpus/_figures/unclosed.md", "---\nfigid: unclosed\n");
    w.write(
        "corpus/_figures/binary.md",
        [0u8, 159, 146, 150, 0xff, 0, 1],
    );
    w.figure("ragged", "figid: ragged\n");
    w.tsv("ragged-genes.tsv", "word\tncbigene_id\nTP53\t7157\nMDM2\n");
    w.tsv("nobody-genes.tsv", "word\nX\n");
    w.tsv("good1-chemicals.tsv", "word\tmesh\nx\tD1\n");
    w
}

fn kinds(rejects: &[serde_json::Map<String, Value>]) -> BTreeSet<(String, String)> {
    rejects
        .iter()
        .map(|r| {
            (
                r["source_path"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_bad_file_is_accounted_for() {
    let w = mixed();
    assert_ok(&w.convert(&["--quiet"]));
    let out = w.out();
    let rejects = rows(&out, "rejects");
    let want: BTreeSet<(String, String)> = [
        ("_figures/bad_year.md", "bad_value"),
        ("_figures/bad_yaml.md", "yaml"),
        ("_figures/no_figid.md", "missing_figid"),
        ("_figures/zdup.md", "duplicate_figid"),
        ("_figures/not_mapping.md", "yaml"),
        ("_figures/empty.md", "no_front_matter"),
        ("_figures/unclosed.md", "no_front_matter"),
        ("_figures/binary.md", "not_utf8"),
        ("_figures/ragged.md", "bad_tsv"),
        ("_data/nobody-genes.tsv", "orphan_table"),
        ("_data/good1-chemicals.tsv", "conflicting_table"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(kinds(&rejects), want);

    // inputs = converted + rejected, and rejected = figure reject rows
    let m = manifest(&out);
    let (inputs, converted, rejected) = (
        m["inputs"].as_u64().unwrap(),
        m["converted"].as_u64().unwrap(),
        m["rejected"].as_u64().unwrap(),
    );
    assert_eq!((inputs, converted, rejected), (12, 3, 9));
    let figure_rejects = rejects
        .iter()
        .filter(|r| r["source_path"].as_str().unwrap().starts_with("_figures/"))
        .count();
    assert_eq!(figure_rejects as u64, rejected);

    // the good records are all there, with their values
    let figs = rows(&out, "figures");
    let ids: Vec<_> = figs.iter().map(|f| f["figid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["good1", "good2", "good3"]);
    assert_eq!(figs[1]["year"], 2020);
    let genes = rows(&out, "figure_genes");
    assert_eq!(
        genes.len(),
        1,
        "the duplicate's and ragged record's rows are gone"
    );
    assert_eq!(genes[0]["ncbigene_id"], 7157);

    // messages name the file and line, and the field where there is one
    let by_path = |p: &str| {
        rejects
            .iter()
            .find(|r| r["source_path"] == p)
            .unwrap()
            .clone()
    };
    let r = by_path("_figures/bad_year.md");
    assert_eq!(
        (r["line"].as_i64(), r["field"].as_str()),
        (Some(3), Some("year"))
    );
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("_figures/bad_year.md, line 3"),
        "{}",
        r["message"]
    );
    let r = by_path("_figures/zdup.md");
    assert!(
        r["message"].as_str().unwrap().contains("_figures/good1.md"),
        "{}",
        r["message"]
    );
    let r = by_path("_figures/ragged.md");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("_data/ragged-genes.tsv, line 3"),
        "{}",
        r["message"]
    );
}

#[test]
fn max_rejects_sets_the_exit_status_but_writes_the_output() {
    let w = mixed();
    let out = w.convert(&["--quiet", "--max-rejects", "8"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("9 figure files were rejected"));
    assert_eq!(rows(&w.out(), "figures").len(), 3, "output still written");
    let out = w.convert(&["--quiet", "--max-rejects", "9"]);
    assert_eq!(out.status.code(), Some(0));
}

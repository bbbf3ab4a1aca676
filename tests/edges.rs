//! The edges of issue 14 through the real binary: a huge record of distinct keys converts in
//! linear time and bounded memory, a TSV that cannot be read rejects its figure, a rejected
//! figure accounts for the TSVs named after its figid, and messages about odd TSV names and
//! huge values tell the truth in a few hundred bytes.

use std::fmt::Write as _;

use serde_json::Value;

use crate::hostile::convert_guarded;
use crate::util::*;

/// Reject rows as (source_path, kind, message), sorted.
fn rejects(w: &Workdir) -> Vec<(String, String, String)> {
    let mut r: Vec<_> = rows(&w.out(), "rejects")
        .into_iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("source_path"), s("kind"), s("message"))
        })
        .collect();
    r.sort();
    r
}

#[test]
fn a_16_mib_record_of_distinct_keys_converts_in_bounded_memory() {
    let w = Workdir::new();
    let mut fm = String::from("figid: keys\n");
    let mut n = 0;
    while fm.len() < (16 << 20) - 64 {
        writeln!(fm, "k{n:07}: v").unwrap();
        n += 1;
    }
    w.figure("keys", &fm);
    // The hang guard (20 s) is the test: with a scan per key this ran for hours.
    let (o, rss) = convert_guarded(&w, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if let Some(kib) = rss {
        assert!(kib < 200 * 1024, "peak memory {kib} KiB");
    }
    let figures = rows(&w.out(), "figures");
    assert_eq!(figures.len(), 1);
    let extra: serde_json::Map<String, Value> =
        serde_json::from_str(figures[0]["extra"].as_str().unwrap()).unwrap();
    assert_eq!(extra.len(), n);
    assert_eq!(manifest(&w.out())["rejected"], 0);
}

#[cfg(unix)]
#[test]
fn a_tsv_that_cannot_be_read_rejects_its_figure() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    w.figure("b", "figid: b\n");
    w.tsv("b-genes.tsv", "word\nTP53\n");
    std::fs::create_dir_all(w.corpus().join("_data")).unwrap();
    // A dangling symlink, as git-annex leaves for content that is not fetched.
    std::os::unix::fs::symlink("gone.tsv", w.corpus().join("_data/a-genes.tsv")).unwrap();
    let o = w.convert(&["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = rejects(&w);
    assert_eq!(r.len(), 1, "{r:#?}");
    let (path, kind, message) = &r[0];
    assert_eq!(
        (path.as_str(), kind.as_str()),
        ("_figures/a.md", "unreadable")
    );
    assert!(
        message.starts_with("_figures/a.md: in _data/a-genes.tsv: cannot read the file"),
        "{message}"
    );
    let m = manifest(&w.out());
    assert_eq!(
        (
            m["inputs"].as_u64(),
            m["converted"].as_u64(),
            m["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(rows(&w.out(), "figure_genes").len(), 1);
}

#[test]
fn a_rejected_figure_accounts_for_the_tsvs_of_its_figid_not_of_its_file_name() {
    let w = Workdir::new();
    // x.md holds figid c and a bad year (after the figid in one file, before it in another).
    w.figure("x", "figid: c\nyear: twenty\n");
    w.figure("y", "year: twenty\nfigid: d\n");
    w.tsv("c-genes.tsv", "word\nTP53\n");
    w.tsv("d-genes.tsv", "word\nTP53\n");
    w.tsv("x-genes.tsv", "word\nMDM2\n");
    w.tsv("y-genes.tsv", "word\nMDM2\n");
    let o = w.convert(&["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = rejects(&w);
    let kinds: Vec<(&str, &str)> = r.iter().map(|(p, k, _)| (p.as_str(), k.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("_data/x-genes.tsv", "orphan_table"),
            ("_data/y-genes.tsv", "orphan_table"),
            ("_figures/x.md", "bad_value"),
            ("_figures/y.md", "bad_value"),
        ]
    );
    assert!(r[0].2.contains("no figure has figid 'x'"), "{}", r[0].2);
}

#[test]
fn odd_tsv_names_and_huge_values_get_short_true_messages() {
    let w = Workdir::new();
    w.figure(
        "a",
        &format!("figid: a\ncaption: ok\nyear: {}\n", "9".repeat(2 << 20)),
    );
    w.figure("b", "figid: b\nyear: 99999999999999999999\n");
    w.tsv("-genes.tsv", "word\nTP53\n");
    w.tsv("b-genes.tsv", "word\nTP53\n");
    let o = w.convert(&["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = rejects(&w);
    assert_eq!(r.len(), 3, "{r:#?}");
    assert_eq!(
        r[0].2,
        "_data/-genes.tsv: the file name has no figid before -genes.tsv (expected <figid>-genes.tsv), so it belongs to no figure"
    );
    assert!(r[1].2.len() < 600, "{} bytes", r[1].2.len());
    assert!(
        r[1].2.contains("fits Int16 (-32768 to 32767), found '999"),
        "{}",
        &r[1].2[..300]
    );
    assert!(
        r[2].2
            .ends_with("fits Int16 (-32768 to 32767), found '99999999999999999999'"),
        "{}",
        r[2].2
    );
}

//! Hostile input through the real binary: every broken file becomes one reject row of the
//! kind SCHEMA.md names, with a message that names the file (and the line and column where
//! they are known), while the good records beside it still convert. Nothing crashes, hangs
//! or blows up memory: the resource attacks (a huge file, an alias bomb, deep nesting) are
//! run with a hang guard and, where `/usr/bin/time` exists, a peak-memory check.
//!
//! Unreadable files: the tests run as root, so `chmod 000` does not make a file unreadable.
//! The `unreadable` kind is exercised with a symbolic link loop and a dangling symbolic link
//! instead, the two unreadable entries a corpus checkout can really contain.
//!
//! The last tests replay inputs found by the fuzz target (`fuzz/fuzz_targets/decode_record.rs`)
//! through the library, so they keep running on stable without cargo-fuzz.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::util::*;

/// Runs `cmd`, killing it if it runs longer than `limit` (a hang guard, not a benchmark).
pub fn run_with_limit(mut cmd: Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    // Its own process group, so the guard also kills what it started (`/usr/bin/time`'s child).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            #[cfg(unix)]
            // SAFETY: kill(2) on our child's process group has no memory-safety preconditions.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not finish within {limit:?}: killed (hang guard)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let output = Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    };
    (output, elapsed)
}

/// `pfocr-etl convert <w>/corpus --out <w>/out --quiet <args>` with a 20 s hang guard, under
/// `/usr/bin/time -v` when it exists. Returns the output and the peak RSS in KiB, if measured.
pub fn convert_guarded(w: &Workdir, args: &[&str]) -> (Output, Option<u64>) {
    let bin = env!("CARGO_BIN_EXE_pfocr-etl");
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("convert")
        .arg(w.corpus())
        .arg("--out")
        .arg(w.out())
        .arg("--quiet")
        .args(args);
    let (out, _) = run_with_limit(cmd, Duration::from_secs(20));
    let rss = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok());
    if time.exists() {
        assert!(rss.is_some(), "no peak RSS in /usr/bin/time's output");
    } else {
        eprintln!("/usr/bin/time not found: peak memory not measured");
    }
    (out, rss)
}

/// The reject rows by source path (each path must appear once).
fn rejects_by_path(out: &Path) -> BTreeMap<String, Map<String, Value>> {
    let mut m = BTreeMap::new();
    for r in rows(out, "rejects") {
        let p = r["source_path"].as_str().unwrap().to_owned();
        assert!(m.insert(p.clone(), r).is_none(), "two reject rows for {p}");
    }
    m
}

/// What one hostile file must give.
struct Want {
    path: &'static str,
    kind: &'static str,
    /// The `line` column (`None`: NULL).
    line: Option<i64>,
    /// The `field` column (`None`: NULL).
    field: Option<&'static str>,
    /// Fragments the message must contain (besides the path and line, always checked).
    says: &'static [&'static str],
}

/// Checks one reject row against `want`: kind, line, field, and a message that starts with
/// the file's path (and its line, when known) and says what is wrong.
fn check(rejects: &BTreeMap<String, Map<String, Value>>, want: &Want) {
    let r = rejects
        .get(want.path)
        .unwrap_or_else(|| panic!("no reject row for {}: {rejects:#?}", want.path));
    let msg = r["message"].as_str().unwrap();
    assert_eq!(r["kind"], want.kind, "{}: {msg}", want.path);
    assert_eq!(
        r["line"].as_i64(),
        want.line,
        "{}: line of {msg}",
        want.path
    );
    assert_eq!(
        r["field"].as_str(),
        want.field,
        "{}: field of {msg}",
        want.path
    );
    assert!(msg.starts_with(want.path), "message names the file: {msg}");
    if let Some(line) = want.line {
        assert!(
            msg.starts_with(&format!("{}, line {line}", want.path)),
            "message names the line: {msg}"
        );
    }
    for s in want.says {
        assert!(msg.contains(s), "{}: message lacks {s:?}: {msg}", want.path);
    }
}

/// Deterministic junk bytes (SplitMix64), with NULs and bytes that are never UTF-8.
fn junk(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    let mut out: Vec<u8> = (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect();
    out[0] = 0;
    out[n / 2] = 0xFF;
    out
}

/// One corpus holding every hostile file the contract names, beside good records.
fn hostile_corpus() -> Workdir {
    let w = Workdir::new();
    // Good records, both generations.
    w.figure(
        "good_inline",
        "figid: good_inline\nyear: 2001\ngenes:\n- word: TP53\n  entrez: '7157'\n",
    );
    w.figure("good_tables", "figid: good_tables\nyear: 2022\n");
    w.tsv(
        "good_tables-genes.tsv",
        "word\tncbigene_id\nMDM2\t4193\nAKT1\tNA\n",
    );
    // A UTF-8 byte-order mark and CRLF line endings are valid.
    w.write(
        "corpus/_figures/good_bom_crlf.md",
        "\u{FEFF}---\r\nfigid: good_bom_crlf\r\ncaption: with CRLF\r\nyear: 1999\r\n---\r\n# Body\r\n",
    );

    // Broken front matter.
    w.figure(
        "bad_yaml",
        "figid: bad_yaml\ncaption: [unclosed, list\nyear: 2020\n",
    );
    w.write(
        "corpus/_figures/no_opening.md",
        "figid: no_opening\ncaption: x\n---\n",
    );
    w.write(
        "corpus/_figures/unclosed.md",
        "---\nfigid: unclosed\ncaption: x\n",
    );
    w.write("corpus/_figures/empty.md", "");
    w.write("corpus/_figures/junk.md", junk(4096, 7));
    w.write(
        "corpus/_figures/bad_utf8.md",
        b"---\nfigid: bad_utf8\ncaption: abc\xC3\x28def\nyear: 2001\n---\n".as_slice(),
    );
    w.figure("scalar_fm", "just a sentence\n");
    w.figure("list_fm", "- figid: list_fm\n- year: 2001\n");

    // Bad values.
    w.figure("no_figid", "caption: nobody\nyear: 2001\n");
    w.figure("empty_figid", "figid: ''\ncaption: x\n");
    w.figure("zz_dup", "caption: later\nfigid: good_inline\n"); // sorts after good_inline.md
    w.figure("year_text", "figid: year_text\nyear: twenty\n");
    w.figure("year_range", "figid: year_range\nyear: 40000\n");
    w.figure(
        "entrez_text",
        "figid: entrez_text\ngenes:\n- word: TP53\n  entrez: abc\n",
    );

    // Broken sibling TSVs (the figure is rejected) and a TSV of no figure.
    w.figure("ragged", "figid: ragged\n");
    w.tsv("ragged-genes.tsv", "word\tncbigene_id\nTP53\t7157\nMDM2\n");
    w.figure("headerless", "figid: headerless\n");
    w.tsv("headerless-genes.tsv", "TP53\t7157\nMDM2\t4193\n");
    w.figure("empty_tsv", "figid: empty_tsv\n");
    w.tsv("empty_tsv-chemicals.tsv", "");
    w.tsv("nobody-diseases.tsv", "word\tmesh\ntumor\tD009369\n");

    // Unreadable entries (see the module comment on why not chmod).
    #[cfg(unix)]
    {
        let figs = w.corpus().join("_figures");
        std::fs::create_dir_all(figs.join("loopdir")).unwrap();
        std::os::unix::fs::symlink("..", figs.join("loopdir").join("up")).unwrap();
        std::os::unix::fs::symlink("does-not-exist.md", figs.join("x.md")).unwrap();
    }
    w
}

#[test]
fn every_hostile_file_is_one_reject_and_the_good_records_convert() {
    let w = hostile_corpus();
    let (o, _) = convert_guarded(&w, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}\n{stderr}", o.status.code());
    let out = w.out();
    let rejects = rejects_by_path(&out);
    let wants = [
        Want {
            path: "_figures/bad_yaml.md",
            kind: "yaml",
            line: Some(4),
            field: None,
            says: &["malformed YAML"],
        },
        Want {
            path: "_figures/no_opening.md",
            kind: "no_front_matter",
            line: Some(1),
            field: None,
            says: &["'---'", "figid: no_opening"],
        },
        Want {
            path: "_figures/unclosed.md",
            kind: "no_front_matter",
            line: Some(1),
            field: None,
            says: &["no closing '---'"],
        },
        Want {
            path: "_figures/empty.md",
            kind: "no_front_matter",
            line: Some(1),
            field: None,
            says: &["empty"],
        },
        Want {
            path: "_figures/junk.md",
            kind: "not_utf8",
            line: Some(1),
            field: None,
            says: &["binary"],
        },
        Want {
            path: "_figures/bad_utf8.md",
            kind: "not_utf8",
            line: Some(3),
            field: None,
            says: &["column 13", "0xC3"],
        },
        Want {
            path: "_figures/scalar_fm.md",
            kind: "yaml",
            line: Some(2),
            field: None,
            says: &["must be a mapping", "just a sentence"],
        },
        Want {
            path: "_figures/list_fm.md",
            kind: "yaml",
            line: Some(2),
            field: None,
            says: &["must be a mapping", "a list"],
        },
        Want {
            path: "_figures/no_figid.md",
            kind: "missing_figid",
            line: Some(2),
            field: Some("figid"),
            says: &["no figid"],
        },
        Want {
            path: "_figures/empty_figid.md",
            kind: "missing_figid",
            line: Some(2),
            field: Some("figid"),
            says: &["no figid"],
        },
        Want {
            path: "_figures/zz_dup.md",
            kind: "duplicate_figid",
            line: Some(3),
            field: Some("figid"),
            says: &["'good_inline'", "_figures/good_inline.md"],
        },
        Want {
            path: "_figures/year_text.md",
            kind: "bad_value",
            line: Some(3),
            field: Some("year"),
            says: &["twenty"],
        },
        Want {
            path: "_figures/year_range.md",
            kind: "bad_value",
            line: Some(3),
            field: Some("year"),
            says: &["40000", "Int16"],
        },
        Want {
            path: "_figures/entrez_text.md",
            kind: "bad_value",
            line: Some(5),
            field: Some("entrez"),
            says: &["abc"],
        },
        Want {
            path: "_figures/ragged.md",
            kind: "bad_tsv",
            line: None,
            field: None,
            says: &["_data/ragged-genes.tsv, line 3", "expected 2"],
        },
        Want {
            path: "_figures/headerless.md",
            kind: "bad_tsv",
            line: None,
            field: None,
            says: &["_data/headerless-genes.tsv, line 1", "no header row"],
        },
        Want {
            path: "_figures/empty_tsv.md",
            kind: "bad_tsv",
            line: None,
            field: None,
            says: &["_data/empty_tsv-chemicals.tsv", "empty"],
        },
        Want {
            path: "_data/nobody-diseases.tsv",
            kind: "orphan_table",
            line: None,
            field: None,
            says: &["'nobody'"],
        },
        #[cfg(unix)]
        Want {
            path: "_figures/loopdir/up",
            kind: "unreadable",
            line: None,
            field: None,
            says: &["symbolic link loop"],
        },
        #[cfg(unix)]
        Want {
            path: "_figures/x.md",
            kind: "unreadable",
            line: None,
            field: None,
            says: &["cannot be read"],
        },
    ];
    for want in &wants {
        check(&rejects, want);
    }
    assert_eq!(
        rejects.len(),
        wants.len(),
        "one reject row per hostile file, no more: {:#?}",
        rejects.keys().collect::<Vec<_>>()
    );

    // The good records converted, with their values and child rows.
    let figs = rows(&out, "figures");
    let ids: Vec<_> = figs.iter().map(|f| f["figid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["good_bom_crlf", "good_inline", "good_tables"]);
    let crlf = &figs[0];
    assert_eq!(crlf["caption"], "with CRLF", "no stray \\r in values");
    assert_eq!(crlf["year"], 1999);
    assert_eq!(crlf["body"], "# Body\r\n", "the body is kept as written");
    let genes = rows(&out, "figure_genes");
    let words: Vec<_> = genes
        .iter()
        .map(|g| (g["figid"].as_str().unwrap(), g["word"].as_str().unwrap()))
        .collect();
    assert_eq!(
        words,
        [
            ("good_inline", "TP53"),
            ("good_tables", "MDM2"),
            ("good_tables", "AKT1")
        ],
        "no rows of rejected records leak into the child tables"
    );

    // inputs = converted + rejected; the figure reject rows are exactly the rejected inputs.
    let m = manifest(&out);
    let (inputs, converted, rejected) = (
        m["inputs"].as_u64().unwrap(),
        m["converted"].as_u64().unwrap(),
        m["rejected"].as_u64().unwrap(),
    );
    assert_eq!(inputs, converted + rejected);
    assert_eq!(converted, 3);
    let figure_rejects = rejects
        .keys()
        .filter(|p| p.starts_with("_figures/"))
        .count() as u64;
    assert_eq!(figure_rejects, rejected, "{rejects:#?}");
    assert_eq!(rejected, wants.len() as u64 - 1, "all but the orphan TSV");
}

#[test]
fn a_record_over_max_record_bytes_is_too_large_and_is_not_read_whole() {
    let w = Workdir::new();
    w.figure("small", "figid: small\n");
    // A sparse 64 GiB file: reading it whole would take minutes and all memory.
    let huge = w.corpus().join("_figures/huge.md");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(64 << 30).unwrap();
    drop(f);
    // A TSV over the limit rejects its figure too (the TSV is part of the record).
    w.figure("big_tsv", "figid: big_tsv\n");
    w.tsv(
        "big_tsv-genes.tsv",
        format!("word\n{}", "GENE\n".repeat(400)).as_str(),
    );
    let started = Instant::now();
    let (o, rss) = convert_guarded(&w, &["--max-record-bytes", "1000"]);
    let took = started.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    if let Some(kib) = rss {
        assert!(
            kib < 512 * 1024,
            "peak memory {kib} KiB: the file was read whole"
        );
    }
    let rejects = rejects_by_path(&w.out());
    check(
        &rejects,
        &Want {
            path: "_figures/huge.md",
            kind: "too_large",
            line: None,
            field: None,
            says: &["1000 bytes", "--max-record-bytes"],
        },
    );
    check(
        &rejects,
        &Want {
            path: "_figures/big_tsv.md",
            kind: "too_large",
            line: None,
            field: None,
            says: &["_data/big_tsv-genes.tsv", "--max-record-bytes"],
        },
    );
    assert_eq!(rows(&w.out(), "figures").len(), 1);
}

#[test]
fn an_alias_bomb_is_refused_fast_with_little_memory() {
    let w = Workdir::new();
    w.figure("good", "figid: good\n");
    // "Billion laughs": 10 aliases of 10 aliases of ... 9 levels = 10^9 nodes if expanded.
    let mut fm =
        String::from("figid: bomb\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for n in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        fm.push_str(&format!("{n}: &{n} [{refs}]\n"));
        prev = n;
    }
    // Also as the value of a known column, and inside an inline entity list.
    fm.push_str("annotations: *j\ngenes:\n- word: x\n  more: *j\n");
    w.figure("bomb", &fm);
    let (o, rss) = convert_guarded(&w, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if let Some(kib) = rss {
        assert!(kib < 512 * 1024, "peak memory {kib} KiB for an alias bomb");
    }
    let rejects = rejects_by_path(&w.out());
    let r = &rejects["_figures/bomb.md"];
    assert_eq!(r["kind"], "yaml");
    let msg = r["message"].as_str().unwrap();
    assert!(msg.contains("alias") && msg.contains("10000"), "{msg}");
    assert!(msg.starts_with("_figures/bomb.md, line "), "{msg}");
    assert_eq!(rows(&w.out(), "figures").len(), 1);
}

/// A corpus of records nested 10,000 levels deep in every way YAML allows, and one good one.
fn deep_corpus() -> Workdir {
    let w = Workdir::new();
    w.figure("good", "figid: good\n");
    let deep = 10_000;
    let flow = format!("{}{}", "[".repeat(deep), "]".repeat(deep));
    // Closed and unclosed flow sequences, in a known column, an unknown key (which goes to
    // `extra` JSON) and an inline entity item; flow mappings; block sequences on one line.
    w.figure("deep_flow", &format!("figid: deep_flow\ncaption: {flow}\n"));
    w.figure(
        "deep_open",
        &format!("figid: deep_open\nnotes: {}\n", "[".repeat(deep)),
    );
    w.figure(
        "deep_gene",
        &format!("figid: deep_gene\ngenes:\n- word: x\n  more: {flow}\n"),
    );
    w.figure(
        "deep_map",
        &format!(
            "figid: deep_map\nnotes: {}x: 1{}\n",
            "{a: ".repeat(deep),
            "}".repeat(deep)
        ),
    );
    w.figure(
        "deep_block",
        &format!("figid: deep_block\nnotes:\n{}x\n", "- ".repeat(deep)),
    );
    w
}

const DEEP: [&str; 5] = [
    "deep_flow",
    "deep_open",
    "deep_gene",
    "deep_map",
    "deep_block",
];

#[test]
fn nesting_ten_thousand_levels_deep_is_refused() {
    let w = deep_corpus();
    let (o, rss) = convert_guarded(&w, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if let Some(kib) = rss {
        assert!(kib < 512 * 1024, "peak memory {kib} KiB for deep nesting");
    }
    let rejects = rejects_by_path(&w.out());
    for p in DEEP {
        let r = rejects
            .get(&format!("_figures/{p}.md"))
            .unwrap_or_else(|| panic!("{p} not rejected: {rejects:#?}"));
        let msg = r["message"].as_str().unwrap();
        assert_eq!(r["kind"], "yaml", "{msg}");
        assert!(msg.starts_with(&format!("_figures/{p}.md, line ")), "{msg}");
    }
    for p in ["deep_map", "deep_block"] {
        let msg = rejects[&format!("_figures/{p}.md")]["message"]
            .as_str()
            .unwrap();
        assert!(msg.contains("deeper than 64 levels"), "{msg}");
    }
    assert_eq!(rows(&w.out(), "figures").len(), 1);
}

/// Flow sequences nested past 256 levels hit saphyr-parser's own scanner limit while it
/// looks ahead for a possible `[...]: value` key, before the decoder's 64-level check sees
/// level 65: the reject must still name the documented 64-level limit.
#[test]
fn deep_flow_sequences_name_the_64_level_limit() {
    let w = deep_corpus();
    let (o, _) = convert_guarded(&w, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rejects = rejects_by_path(&w.out());
    for p in DEEP {
        let msg = rejects[&format!("_figures/{p}.md")]["message"]
            .as_str()
            .unwrap();
        assert!(msg.contains("deeper than 64 levels"), "{msg}");
    }
}

/// Writes `corpus/_figures/<name>` where `name` is raw bytes (not UTF-8).
#[cfg(unix)]
fn raw_figure(w: &Workdir, name: &[u8], text: &str) {
    use std::os::unix::ffi::OsStrExt;
    let dir = w.corpus().join("_figures");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(name)), text).unwrap();
}

#[cfg(unix)]
#[test]
fn file_names_that_differ_only_in_invalid_bytes_keep_distinct_exact_paths() {
    let w = Workdir::new();
    raw_figure(&w, b"bad\xff.md", "---\nfigid: one\n---\n");
    raw_figure(&w, b"bad\xfe.md", "---\nfigid: two\n---\n");
    // A name that is really the escape's text stays distinct from the byte it spells.
    raw_figure(&w, b"bad\\xFF.md", "---\nfigid: three\n---\n");
    assert_ok(&w.convert(&["--quiet"]));
    let got: Vec<(String, String)> = rows(&w.out(), "figures")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (s("source_path"), s("figid"))
        })
        .collect();
    let want = [
        (r"_figures/bad\\xFF.md", "three"),
        (r"_figures/bad\xFE.md", "two"),
        (r"_figures/bad\xFF.md", "one"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(p, f)| (p.to_string(), f.to_string()))
        .collect();
    assert_eq!(got, want);
    let m = manifest(&w.out());
    assert_eq!(
        (m["inputs"].clone(), m["converted"].clone()),
        (3.into(), 3.into())
    );
}

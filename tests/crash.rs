//! Faults on the output side: the output is never half-written. A run that cannot write
//! (a file where the output directory should be, a read-only file system, a full disk) ends
//! with exit status 4 and a clear error, and leaves the previous complete output byte for
//! byte; a run killed with SIGKILL at any moment leaves either the previous or the new
//! complete output, and the next run finishes or cleans up what it left.
//!
//! The read-only and disk-full cases mount a small tmpfs (the tests run as root here and in
//! CI); where mounting is not permitted they are skipped with the reason printed, and under
//! `CI=true` they fail instead.
//!
//! The one state that is neither old nor new is documented in `src/publish.rs`: a run killed
//! while it swaps the table directories into place ("roll forward", a few renames) leaves no
//! `_manifest.json` — the manifest's absence marks the output incomplete — and a committed
//! staging run, which the next run (or `publish::recover`) finishes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

use crate::util::*;

/// SplitMix64: a tiny deterministic random stream, so every corpus and kill delay is the
/// same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: [&str; 24] = [
    "pathway",
    "signaling",
    "kinase",
    "receptor",
    "apoptosis",
    "cell",
    "cycle",
    "TP53",
    "MAPK",
    "insulin",
    "glucose",
    "NF-κB",
    "Wnt",
    "β-catenin",
    "mTOR",
    "autophagy",
    "inflammation",
    "tumor",
    "ligand",
    "binding",
    "phosphorylation",
    "AKT1",
    "EGFR",
    "JAK",
];
const GENES: [&str; 12] = [
    "TP53", "MDM2", "AKT1", "EGFR", "MAPK1", "JAK2", "STAT3", "MTOR", "PTEN", "KRAS", "BRAF", "MYC",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| rng.pick(&WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a valid corpus of `n` records under `root` (both generations, about half each;
/// the newer one with genes, chemicals and diseases TSVs), deterministic in `seed`.
pub fn write_corpus(root: &Path, n: usize, seed: u64) {
    let figs = root.join("_figures");
    let data = root.join("_data");
    fs::create_dir_all(&figs).unwrap();
    fs::create_dir_all(&data).unwrap();
    let mut rng = Rng::new(seed);
    for i in 0..n {
        let figid = format!("PMC{:07}__fig{}", 1_000_000 + i / 3, i % 3);
        let genes = rng.below(12) as usize;
        let mut fm = format!(
            "figid: {figid}\npmcid: PMC{}\nnumber: F{}\nfigtitle: {}\ncaption: '{}'\nyear: '{}'\n",
            1_000_000 + i / 3,
            i % 3 + 1,
            sentence(&mut rng, 4),
            sentence(&mut rng, 30),
            1990 + rng.below(35),
        );
        if i % 2 == 0 {
            fm.push_str(&format!(
                "organisms: Homo sapiens\npathway_score: 0.{}\ngenes:\n",
                rng.below(1000)
            ));
            for _ in 0..genes {
                let g = rng.pick(&GENES);
                fm.push_str(&format!(
                    "- word: {g}\n  symbol: {g}\n  source: hgnc_symbol\n  hgnc_symbol: {g}\n  entrez: '{}'\n",
                    rng.below(100_000)
                ));
            }
            fm.push_str("chemicals:\n- word: glucose\n  source: MESH\n  identifier: D005947\n");
        } else {
            fm.push_str(&format!(
                "organisms:\n- Homo sapiens\norganisms_ner:\n- Mus musculus\nautoml_pathway: 0.{}\ndoi: 10.1000/x{i}\nkeywords: {} | {}\n",
                rng.below(1000),
                rng.pick(&WORDS),
                rng.pick(&WORDS)
            ));
            let mut tsv = String::from(
                "organism_id\torganism_name\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\tcount_direct\tcount_match\n",
            );
            for _ in 0..genes {
                let g = rng.pick(&GENES);
                tsv.push_str(&format!(
                    "9606\tHomo sapiens\t{g}\t{g}\t{g}\t{}\tncbigene_symbol\t{}\t{}\n",
                    rng.below(100_000),
                    rng.below(10),
                    rng.below(30)
                ));
            }
            fs::write(data.join(format!("{figid}-genes.tsv")), tsv).unwrap();
            if i % 3 == 1 {
                fs::write(
                    data.join(format!("{figid}-chemicals.tsv")),
                    "word\tmesh\tmatch\tname\tchebi\nglucose\tD005947\tGlucose\tglucose\t17234\n",
                )
                .unwrap();
            }
            if i % 5 == 1 {
                fs::write(
                    data.join(format!("{figid}-diseases.tsv")),
                    "word\tmesh\tmatch\tname\tdoid\ntumor\tMESH:D009369\tNA\tNA\tDOID:162\n",
                )
                .unwrap();
            }
        }
        fs::write(
            figs.join(format!("{figid}.md")),
            format!("---\n{fm}---\n\n# {}\n", sentence(&mut rng, 6)),
        )
        .unwrap();
    }
}

/// `pfocr-etl convert <corpus> --out <out> --quiet <args>`.
fn convert_cmd(corpus: &Path, out: &Path, args: &[&str]) -> Command {
    let mut c = pfocr_etl();
    c.arg("convert")
        .arg(corpus)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(args);
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` (relative path → bytes), the manifest and staging area included.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            files.push((rel, fs::read(e.path()).unwrap()));
        }
    }
    files
}

/// Asserts `o` failed with the destination status and a message naming what happened.
fn assert_exit_4(o: &Output, says: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("pfocr-etl: error: cannot write"), "{err}");
    assert!(err.contains(says), "stderr lacks {says:?}: {err}");
}

// ---------------------------------------------------------------------------------------
// Output cannot be written

#[test]
fn a_file_where_the_output_should_be_is_exit_4_and_is_left_alone() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    w.write("out", "a file where the output directory should be");
    assert_exit_4(&w.convert(&["--quiet"]), "File exists");
    assert_eq!(
        fs::read_to_string(w.out()).unwrap(),
        "a file where the output directory should be"
    );
    // A file where a parent of the output should be.
    let o = convert_cmd(&w.corpus(), &w.out().join("sub"), &[])
        .output()
        .unwrap();
    assert_exit_4(&o, "Not a directory");
}

/// A tmpfs mounted for one test, unmounted (lazily, so a busy mount cannot fail) on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `512k`) at `dir`, or says why it cannot.
    fn mount(dir: &Path, size: &str) -> Result<Self, String> {
        fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (not root, or no CAP_SYS_ADMIN in this sandbox): {}",
                stderr(&o).trim()
            ));
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, opts: &str) {
        let o = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(o.status.success(), "remount {opts}: {}", stderr(&o));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mounts a tmpfs at `<w>/out`, or prints why the test is skipped.
fn tmpfs_out(w: &Workdir, size: &str, test: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(&w.out(), size) {
        Ok(m) => Some(m),
        Err(why) => {
            missing_prerequisite(test, &why);
            None
        }
    }
}

#[test]
fn a_read_only_output_is_exit_4_and_the_previous_output_stays() {
    let w = Workdir::new();
    w.figure("a", "figid: a\n");
    let Some(fs_) = tmpfs_out(&w, "4m", "read-only output") else {
        return;
    };
    assert_ok(&w.convert(&["--quiet"]));
    let before = snapshot(&w.out());
    fs_.remount("ro");
    w.figure("b", "figid: b\n");
    assert_exit_4(&w.convert(&["--quiet"]), "Read-only file system");
    assert!(before == snapshot(&w.out()), "the previous output changed");
    fs_.remount("rw");
    assert_ok(&w.convert(&["--quiet"]));
    assert_eq!(manifest(&w.out())["inputs"], 2);
}

/// Records with 4 KiB of random letters each: Parquet cannot compress them much, so a few
/// hundred overflow a 512 KiB file system.
fn write_noisy_corpus(root: &Path, n: usize) {
    let mut rng = Rng::new(42);
    for i in 0..n {
        let caption: String = (0..4096)
            .map(|_| (b'a' + rng.below(26) as u8) as char)
            .collect();
        let p = root.join(format!("_figures/noisy{i:04}.md"));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(
            p,
            format!("---\nfigid: noisy{i:04}\ncaption: {caption}\n---\n"),
        )
        .unwrap();
    }
}

#[test]
fn a_full_disk_is_exit_4_and_the_previous_output_stays() {
    let w = Workdir::new();
    let Some(_fs) = tmpfs_out(&w, "512k", "disk full") else {
        return;
    };
    // A small run that fits.
    let small = w.path().join("small");
    write_noisy_corpus(&small, 3);
    assert_ok(&convert_cmd(&small, &w.out(), &[]).output().unwrap());
    let before = snapshot(&w.out());
    assert!(before.iter().any(|(p, _)| p == "_manifest.json"));

    // A run whose output does not fit.
    let big = w.path().join("big");
    write_noisy_corpus(&big, 400);
    let o = convert_cmd(&big, &w.out(), &[]).output().unwrap();
    assert_exit_4(&o, "No space left on device");
    assert!(
        before == snapshot(&w.out()),
        "the previous output must stay byte for byte, with no staging debris left behind"
    );
    assert!(!w.out().join(".pfocr-staging").exists());

    // The next run that fits succeeds and leaves no debris either.
    assert_ok(&convert_cmd(&small, &w.out(), &[]).output().unwrap());
    assert!(!w.out().join(".pfocr-staging").exists());
    assert_eq!(manifest(&w.out())["converted"], 3);
}

// ---------------------------------------------------------------------------------------
// SIGKILL at a random moment

/// A complete reference output: its Parquet bytes and per-table row counts.
struct Reference {
    name: &'static str,
    parquet: Vec<(String, Vec<u8>)>,
    rows: Vec<(String, u64)>,
}

fn table_rows(manifest: &Value) -> Vec<(String, u64)> {
    manifest["tables"]
        .as_object()
        .expect("manifest has tables")
        .iter()
        .map(|(t, v)| (t.clone(), v["rows"].as_u64().unwrap()))
        .collect()
}

/// Reads every Parquet file the manifest lists to the end and checks its row count.
fn check_readable(out: &Path, manifest: &Value) {
    for (table, v) in manifest["tables"].as_object().unwrap() {
        let mut rows = 0u64;
        for f in v["files"].as_array().unwrap() {
            let path = out.join(f.as_str().unwrap());
            let file = fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let reader = SerializedFileReader::new(file)
                .unwrap_or_else(|e| panic!("{}: not Parquet: {e}", path.display()));
            rows += reader.metadata().file_metadata().num_rows() as u64;
        }
        // Decode every page too, not only the footer.
        let decoded: usize = batches(out, table).iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, v["rows"].as_u64().unwrap(), "{table}: footer rows");
        assert_eq!(decoded as u64, rows, "{table}: decoded rows");
    }
}

/// The published Parquet files, `<out>/<table>/*.parquet` (a reader's view: what a killed
/// run left in `.pfocr-staging` is not part of it).
fn published_parquet(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for table in [
        "figures",
        "figure_genes",
        "figure_chemicals",
        "figure_diseases",
        "rejects",
    ] {
        for (rel, bytes) in parquet_bytes(&out.join(table)) {
            files.push((format!("{table}/{rel}"), bytes));
        }
    }
    files
}

/// Which reference the output is, asserting it is exactly one of them (never a mix).
fn which<'r>(out: &Path, refs: &'r [Reference]) -> &'r Reference {
    let m = manifest(out);
    check_readable(out, &m);
    let bytes = published_parquet(out);
    let rows = table_rows(&m);
    refs.iter()
        .find(|r| r.parquet == bytes && r.rows == rows)
        .unwrap_or_else(|| panic!("the output is neither complete output: rows {rows:?}"))
}

#[test]
fn sigkill_at_any_moment_leaves_a_complete_output() {
    let w = Workdir::new();
    let corpus = w.path().join("corpus");
    write_corpus(&corpus, 5000, 1);
    // Two option sets giving different outputs: all records, or the ones under 1.5 KB
    // (the others become too_large rejects).
    let variants: [(&str, &[&str]); 2] = [("all", &[]), ("small", &["--max-record-bytes", "1500"])];
    let mut refs = Vec::new();
    let mut durations = Vec::new();
    for (name, args) in variants {
        let out = w.path().join(format!("ref-{name}"));
        let started = Instant::now();
        assert_ok(&convert_cmd(&corpus, &out, args).output().unwrap());
        durations.push(started.elapsed());
        let m = manifest(&out);
        check_readable(&out, &m);
        refs.push(Reference {
            name,
            parquet: published_parquet(&out),
            rows: table_rows(&m),
        });
    }
    assert!(refs[0].rows != refs[1].rows, "the two variants must differ");
    let longest = durations.iter().max().unwrap().as_secs_f64();
    eprintln!("complete runs took {durations:?}");

    // One complete run into the output, then kill runs of alternating variants.
    let out = w.path().join("out");
    assert_ok(&convert_cmd(&corpus, &out, variants[0].1).output().unwrap());
    let mut rng = Rng::new(0x5EED_C0DE);
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    let mut current = 0; // the variant the output holds
    for trial in 0..16 {
        // Always the other variant, so the old and the new output differ.
        let (name, args) = variants[1 - current];
        // Spread from 0 to a little past the run's duration.
        let delay = Duration::from_secs_f64(longest * 1.3 * rng.below(1000) as f64 / 1000.0);
        let mut child = convert_cmd(&corpus, &out, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();

        let outcome = if out.join("_manifest.json").exists() {
            if which(&out, &refs).name == name {
                "new output"
            } else {
                "old output"
            }
        } else {
            // Killed while swapping tables in: a committed run must be there to finish.
            let staging = out.join(".pfocr-staging");
            let committed = fs::read_dir(&staging)
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.path().join("COMMITTED").exists());
            assert!(
                committed,
                "no manifest and no committed run to roll forward"
            );
            pfocr_etl::recover(&out).unwrap();
            assert_eq!(
                which(&out, &refs).name,
                name,
                "recovery finishes the new output"
            );
            "killed mid-publish, rolled forward"
        };
        let outcome = if finished {
            assert_eq!(
                outcome, "new output",
                "a run that finished published its output"
            );
            "finished before the kill"
        } else {
            outcome
        };
        current = refs
            .iter()
            .position(|r| r.name == which(&out, &refs).name)
            .unwrap();
        eprintln!("trial {trial}: kill after {delay:?} ({name}): {outcome}");
        *tally.entry(outcome.to_owned()).or_default() += 1;
    }
    eprintln!("outcomes: {tally:?}");

    // A final run succeeds, cleans up what the killed runs left, and is the new output.
    let (name, args) = variants[1 - current];
    assert_ok(&convert_cmd(&corpus, &out, args).output().unwrap());
    assert!(!out.join(".pfocr-staging").exists(), "staging debris left");
    assert_eq!(which(&out, &refs).name, name);
}

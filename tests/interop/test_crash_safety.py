"""A run killed with SIGKILL never leaves an output that DuckDB cannot read.

One complete run converts a generated corpus; then a few runs of a different option set
into the same output are killed at deterministic pseudo-random moments. After each kill a
user's view is checked: `_manifest.json` parses, and `read_parquet('<out>/<table>/*.parquet')`
reads every table with exactly the manifest's row counts — the old complete output or the
new one, never a mix. The one documented in-between state (killed while the table
directories are swapped in: no manifest, a committed run in `.pfocr-staging`) must be
finished by the next run. A last run succeeds and leaves no `.pfocr-staging`.

The Rust suite (`tests/crash.rs`) does more trials and compares bytes; this checks the
same with the client a user reads the tables with.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from conftest import TABLES

GENES = ["TP53", "MDM2", "AKT1", "EGFR", "MAPK1", "JAK2", "STAT3", "MTOR"]
WORDS = ["pathway", "signaling", "kinase", "receptor", "apoptosis", "β-catenin", "NF-κB"]


def write_corpus(root: Path, n: int, seed: int) -> None:
    """A valid corpus of both generations, deterministic in `seed`."""
    rnd = random.Random(seed)
    figs, data = root / "_figures", root / "_data"
    figs.mkdir(parents=True)
    data.mkdir()
    for i in range(n):
        figid = f"PMC{1_000_000 + i // 3}__fig{i % 3}"
        caption = " ".join(rnd.choice(WORDS) for _ in range(30))
        fm = [f"figid: {figid}", f"caption: '{caption}'", f"year: {1990 + rnd.randrange(35)}"]
        genes = [rnd.choice(GENES) for _ in range(rnd.randrange(10))]
        if i % 2 == 0:
            fm.append("organisms: Homo sapiens")
            fm.append("genes:")
            fm += [f"- word: {g}\n  hgnc_symbol: {g}\n  entrez: '{rnd.randrange(99999)}'" for g in genes]
        else:
            fm.append("organisms:\n- Homo sapiens")
            rows = "".join(f"{g}\t{g}\t{rnd.randrange(99999)}\n" for g in genes)
            (data / f"{figid}-genes.tsv").write_text("word\tncbigene_symbol\tncbigene_id\n" + rows)
            if i % 3 == 1:
                (data / f"{figid}-chemicals.tsv").write_text("word\tmesh\nglucose\tD005947\n")
        (figs / f"{figid}.md").write_text("---\n" + "\n".join(fm) + "\n---\n\n# Figure\n")


def convert(etl_bin: Path, corpus: Path, out: Path, *args: str) -> list[str]:
    return [str(etl_bin), "convert", str(corpus), "--out", str(out), "--quiet", *args]


def table_counts(out: Path) -> dict[str, int]:
    """Every table read with DuckDB as a user would: rows per table."""
    con = duckdb.connect()
    try:
        return {
            t: con.execute(
                f"SELECT count(*) FROM read_parquet('{out}/{t}/*.parquet')"
            ).fetchone()[0]
            for t in TABLES
        }
    finally:
        con.close()


def manifest_counts(out: Path) -> dict[str, int]:
    m = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    assert m["inputs"] == m["converted"] + m["rejected"]
    return {t: m["tables"][t]["rows"] for t in TABLES}


def test_sigkill_leaves_an_output_duckdb_reads(etl_bin: Path, tmp_path: Path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3000, seed=7)
    # Two option sets with different outputs: all records, or those up to 600 bytes (the
    # others become too_large rejects).
    variants = {"all": [], "small": ["--max-record-bytes", "600"]}
    expected = {}
    durations = []
    for name, args in variants.items():
        ref = tmp_path / f"ref-{name}"
        started = time.monotonic()
        subprocess.run(convert(etl_bin, corpus, ref, *args), check=True, timeout=300)
        durations.append(time.monotonic() - started)
        expected[name] = manifest_counts(ref)
        assert table_counts(ref) == expected[name]
    assert expected["all"] != expected["small"], "the two variants must differ"

    out = tmp_path / "out"
    subprocess.run(convert(etl_bin, corpus, out), check=True, timeout=300)
    current = "all"
    rnd = random.Random(0x5EED)
    outcomes = []
    for trial in range(5):
        name = "small" if current == "all" else "all"
        delay = max(durations) * 1.3 * rnd.random()
        proc = subprocess.Popen(
            convert(etl_bin, corpus, out, *variants[name]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.kill()  # SIGKILL
        proc.wait(timeout=60)
        if not (out / "_manifest.json").exists():
            staging = out / ".pfocr-staging"
            assert any((r / "COMMITTED").exists() for r in staging.iterdir()), (
                "no manifest and no committed run to roll forward"
            )
            outcomes.append("mid-publish")
            # The next run finishes the committed one first, then publishes its own.
            subprocess.run(convert(etl_bin, corpus, out, *variants[name]), check=True, timeout=300)
        counts = manifest_counts(out)
        assert counts in (expected["all"], expected["small"]), counts
        assert table_counts(out) == counts, f"trial {trial}: DuckDB rows vs manifest"
        got = "all" if counts == expected["all"] else "small"
        outcomes.append("new" if got == name else "old")
        current = got
    print(f"kill outcomes: {outcomes}")

    last = "small" if current == "all" else "all"
    subprocess.run(convert(etl_bin, corpus, out, *variants[last]), check=True, timeout=300)
    assert not (out / ".pfocr-staging").exists(), "staging debris after a complete run"
    assert table_counts(out) == expected[last]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(pytest.main([__file__, "-q"]))

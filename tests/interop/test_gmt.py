"""The GMT files of `pfocr-etl export gmt` read by GSEApy, the Python enrichment tool.

GSEApy's own GMT reader (`gseapy.read_gmt`) must see exactly the gene sets written, every set
must be the distinct Entrez ids its figure's gene rows hold (checked against the Parquet with
DuckDB), and GSEApy's offline over-representation test (`gseapy.enrich`) must run on the file
and rank a set first when queried with that set's own genes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import gseapy
import pytest


@pytest.fixture(scope="module")
def gmt_dir(etl_bin: Path, pfocr_sample, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gmt")
    proc = subprocess.run(
        [str(etl_bin), "export", "gmt", str(pfocr_sample.out), "--out", str(out),
         "--release", "test", "--min-genes", "3"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.glob("*.gmt"))
    assert files, f"no GMT written: {proc.stderr}"
    return out


def _lines(path: Path) -> dict[str, tuple[str, list[str]]]:
    sets = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, url, *genes = line.split("\t")
        assert name not in sets, f"{path.name}: gene set {name} twice"
        sets[name] = (url, genes)
    return sets


def test_gseapy_reads_every_gene_set_as_written(gmt_dir: Path):
    total = 0
    for path in sorted(gmt_dir.glob("*.gmt")):
        written = _lines(path)
        read = gseapy.read_gmt(str(path))
        assert set(read) == set(written), path.name
        for name, (_, genes) in written.items():
            assert list(read[name]) == genes, name
        total += len(read)
    assert total > 0


def test_gene_sets_are_the_figures_distinct_entrez_ids(gmt_dir: Path, pfocr_sample):
    out = pfocr_sample.out
    con = duckdb.connect()
    checked = 0
    for path in sorted(gmt_dir.glob("*.gmt")):
        for name, (url, genes) in _lines(path).items():
            title, release, figid = name.rsplit("%", 2)
            assert release == "PFOCR_test"
            assert url == f"https://pfocr.wikipathways.org/figures/{figid}.html"
            assert len(genes) >= 3 and len(set(genes)) == len(genes), name
            rows = con.execute(
                f"SELECT ncbigene_id FROM read_parquet('{out}/figure_genes/*.parquet') "
                "WHERE figid = ? AND ncbigene_id IS NOT NULL ORDER BY ordinal",
                [figid],
            ).fetchall()
            ids = [str(r[0]) for r in rows]
            assert set(genes) <= set(ids), name
            # First-seen order of the figure's own rows.
            order = list(dict.fromkeys(ids))
            assert genes == [g for g in order if g in set(genes)], name
            checked += 1
    assert checked > 0


def test_gseapy_enrichment_ranks_a_set_first_for_its_own_genes(gmt_dir: Path):
    path = max(gmt_dir.glob("*.gmt"), key=lambda p: len(_lines(p)))
    sets = _lines(path)
    name, (_, genes) = max(sets.items(), key=lambda kv: len(kv[1][1]))
    # A background of 20,000 genes (the human genome's order of magnitude), as GSEApy's
    # docs use; the query is the set's own genes.
    res = gseapy.enrich(
        gene_list=genes, gene_sets=str(path), background=20000, outdir=None,
        no_plot=True, cutoff=1.0,
    )
    table = res.res2d
    assert table is not None and not table.empty
    own = table[table["Term"] == name]
    assert len(own) == 1, name
    assert own["Overlap"].iloc[0] == f"{len(genes)}/{len(genes)}"
    assert own["P-value"].iloc[0] == table["P-value"].min()

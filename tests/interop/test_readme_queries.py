"""The README's example queries, run verbatim on the converted real PFOCR sample.

Each query is a module-level string that README.md (via README_QUERIES.md) quotes
word for word. The queries read `out/<table>/*.parquet`, relative to the directory a
user runs them from, so the tests run them from the parent of the output directory,
which the fixture names `out`.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent

# (a) Figures that mention the gene TNFSF11 (RANKL), with the diseases they mention.
DUCKDB_TNFSF11_DISEASES = """\
SELECT f.figid, f.year, d.word AS disease, d.mesh_id
FROM read_parquet('out/figures/*.parquet') AS f
JOIN read_parquet('out/figure_diseases/*.parquet') AS d ON d.figid = f.figid
WHERE f.figid IN (
    SELECT figid
    FROM read_parquet('out/figure_genes/*.parquet')
    WHERE gene_symbol = 'TNFSF11'
)
ORDER BY f.figid, d.ordinal;
"""

# (b) The same query with the Polars lazy API.
POLARS_TNFSF11_DISEASES = """\
import polars as pl

figures = pl.scan_parquet("out/figures/*.parquet")
genes = pl.scan_parquet("out/figure_genes/*.parquet")
diseases = pl.scan_parquet("out/figure_diseases/*.parquet")

tnfsf11_diseases = (
    genes.filter(pl.col("gene_symbol") == "TNFSF11")
    .select("figid")
    .unique()
    .join(figures.select("figid", "year"), on="figid")
    .join(diseases, on="figid")
    .sort("figid", "ordinal")
    .select("figid", "year", pl.col("word").alias("disease"), "mesh_id")
    .collect()
)
print(tnfsf11_diseases)
"""

# (c) Gene mentions per organism (organism_name is NULL for inline-generation records).
DUCKDB_GENES_PER_ORGANISM = """\
SELECT organism_name, count(*) AS gene_mentions
FROM read_parquet('out/figure_genes/*.parquet')
GROUP BY organism_name
ORDER BY gene_mentions DESC, organism_name NULLS LAST;
"""

POLARS_GENES_PER_ORGANISM = """\
import polars as pl

genes_per_organism = (
    pl.scan_parquet("out/figure_genes/*.parquet")
    .group_by("organism_name")
    .agg(pl.len().alias("gene_mentions"))
    .sort(["gene_mentions", "organism_name"], descending=[True, False], nulls_last=True)
    .collect()
)
print(genes_per_organism)
"""

QUERIES = {
    "DUCKDB_TNFSF11_DISEASES": ("sql", DUCKDB_TNFSF11_DISEASES),
    "POLARS_TNFSF11_DISEASES": ("python", POLARS_TNFSF11_DISEASES),
    "DUCKDB_GENES_PER_ORGANISM": ("sql", DUCKDB_GENES_PER_ORGANISM),
    "POLARS_GENES_PER_ORGANISM": ("python", POLARS_GENES_PER_ORGANISM),
}

# Verified by hand in ../shared/pfocr-sample: PMC7426519__fonc-10-01283-g0003 (2020) lists
# `hgnc_symbol: TNFSF11` in its inline genes and `word: tumor, source: MESH, identifier:
# D009369` as its only disease. The other figure mentioning TNFSF11
# (PMC10034056__fendo-14-1109296-g003, in its genes TSV) has no diseases TSV, so the inner
# join drops it.
TNFSF11_ANSWER = [("PMC7426519__fonc-10-01283-g0003", 2020, "tumor", "mesh:D009369")]


@pytest.fixture
def in_out_parent(pfocr_sample, monkeypatch):
    assert pfocr_sample.out.name == "out"
    monkeypatch.chdir(pfocr_sample.out.parent)
    return pfocr_sample


def run_python(code: str, name: str):
    ns: dict = {}
    exec(compile(code, f"<README {name}>", "exec"), ns)  # noqa: S102 - our own constant
    return ns


def test_duckdb_tnfsf11_diseases(in_out_parent):
    rows = duckdb.sql(DUCKDB_TNFSF11_DISEASES).fetchall()
    assert rows == TNFSF11_ANSWER


def test_polars_tnfsf11_diseases(in_out_parent, capsys):
    df = run_python(POLARS_TNFSF11_DISEASES, "POLARS_TNFSF11_DISEASES")["tnfsf11_diseases"]
    assert df.columns == ["figid", "year", "disease", "mesh_id"]
    assert df.rows() == TNFSF11_ANSWER


def expected_genes_per_organism(sample) -> Counter:
    """Independent oracle: organism_name counted in the raw genes TSVs of tables-generation
    records; inline-generation genes have no organism (NULL)."""
    counts: Counter = Counter()
    for figid, entry in sample.expected["figures"].items():
        n = entry["figure_genes"]["rows"]
        if entry["entity_source"] == "inline":
            counts[None] += n
            continue
        tsv = sample.corpus / "_data" / f"{figid}-genes.tsv"
        if not tsv.is_file():
            assert n == 0, figid
            continue
        with tsv.open(newline="", encoding="utf-8") as fh:
            header, *body = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert len(body) == n, f"{tsv.name}: {len(body)} data rows, EXPECTED says {n}"
        i = header.index("organism_name")
        for r in body:
            counts[None if r[i] in ("", "NA") else r[i]] += 1
    return counts


def test_duckdb_genes_per_organism(in_out_parent):
    rows = duckdb.sql(DUCKDB_GENES_PER_ORGANISM).fetchall()
    want = expected_genes_per_organism(in_out_parent)
    assert dict(rows) == dict(want)
    assert sum(n for _, n in rows) == in_out_parent.expected["rows"]["figure_genes"]
    assert [n for _, n in rows] == sorted((n for _, n in rows), reverse=True)
    assert rows[0] == ("Homo sapiens", 519)


def test_polars_genes_per_organism(in_out_parent, capsys):
    df = run_python(POLARS_GENES_PER_ORGANISM, "POLARS_GENES_PER_ORGANISM")["genes_per_organism"]
    assert df.columns == ["organism_name", "gene_mentions"]
    want = expected_genes_per_organism(in_out_parent)
    assert dict(df.rows()) == dict(want)
    # Same order as the DuckDB query.
    assert df.rows() == duckdb.sql(DUCKDB_GENES_PER_ORGANISM).fetchall()


def test_readme_queries_md_quotes_the_tested_text():
    """README_QUERIES.md (pasted into README.md) holds each query exactly as tested."""
    md = (HERE / "README_QUERIES.md").read_text(encoding="utf-8")
    assert md == render_markdown(), (
        "README_QUERIES.md is stale: python tests/interop/test_readme_queries.py "
        "> tests/interop/README_QUERIES.md"
    )
    for name, (lang, text) in QUERIES.items():
        block = f"```{lang}\n{text}```\n"
        assert block in md, f"README_QUERIES.md lacks the current text of {name}"


def test_readme_quotes_every_tested_query():
    """README.md quotes each example query exactly as it is tested here."""
    readme = HERE.parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    for name, (lang, block) in QUERIES.items():
        assert f"```{lang}\n{block}```" in text, (
            f"README.md lacks the current text of {name}: paste it from "
            "tests/interop/README_QUERIES.md"
        )
    for row in TNFSF11_ANSWER:
        assert "| " + " | ".join(str(v) for v in row) + " |" in text, "README's TNFSF11 answer"


def render_markdown() -> str:
    """The text of README_QUERIES.md, built from the constants above."""
    sections = [
        ("Figures mentioning TNFSF11, with their diseases (DuckDB)", "DUCKDB_TNFSF11_DISEASES"),
        ("The same with Polars (lazy API)", "POLARS_TNFSF11_DISEASES"),
        ("Gene mentions per organism (DuckDB)", "DUCKDB_GENES_PER_ORGANISM"),
        ("The same with Polars", "POLARS_GENES_PER_ORGANISM"),
    ]
    out = [
        "# Example queries (tested)",
        "",
        "Generated from `tests/interop/test_readme_queries.py` "
        "(`python tests/interop/test_readme_queries.py > tests/interop/README_QUERIES.md`);",
        "the tests run each block verbatim on the converted `../shared/pfocr-sample`. They read",
        "`out/<table>/*.parquet`: run them from the directory holding the output folder `out`",
        "(`pfocr-etl convert <corpus> --out out`). Paste the blocks into README.md unchanged.",
        "",
    ]
    for title, name in sections:
        lang, text = QUERIES[name]
        out += [f"## {title}", "", f"```{lang}", text.rstrip("\n"), "```", ""]
    out += [
        "On the real 39-record sample the first query returns one row:",
        "",
        "| figid | year | disease | mesh_id |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in TNFSF11_ANSWER),
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    # `python tests/interop/test_readme_queries.py > tests/interop/README_QUERIES.md`
    print(render_markdown(), end="")

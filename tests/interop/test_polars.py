"""The converted tables read back with Polars exactly as a user would.

Every table of both corpora is read with `pl.scan_parquet('<out>/<table>/*.parquet')`
(lazy) and `pl.read_parquet(...)` (eager) and checked against SCHEMA.md and
EXPECTED.json. Polars maps an Arrow dictionary type to `Categorical`, so the dtype
checks here are also the "plain Utf8, not dictionary" check from a user's side.
"""

from __future__ import annotations

import json

import polars as pl

from conftest import (
    FLOAT64,
    INT16,
    INT32,
    INT64,
    LIST_UTF8,
    REJECT_KINDS,
    FIGURE_DIR,
    TABLE_REJECT_KINDS,
    TABLES,
    UTF8,
    check_extra,
    expected_figure_columns,
)

POLARS_TYPES = {
    UTF8: pl.String,
    INT16: pl.Int16,
    INT32: pl.Int32,
    INT64: pl.Int64,
    FLOAT64: pl.Float64,
    LIST_UTF8: pl.List(pl.String),
}


def lazy(conversion, table: str) -> pl.LazyFrame:
    return pl.scan_parquet(conversion.glob(table))


def eager(conversion, table: str) -> pl.DataFrame:
    return pl.read_parquet(conversion.glob(table))


def test_columns_names_order_and_types_lazy(conversion, table, contract):
    schema = lazy(conversion, table).collect_schema()
    got = list(schema.items())
    want = [(c.name, POLARS_TYPES[c.type]) for c in contract[table]]
    assert [n for n, _ in got] == [n for n, _ in want]
    for (name, dtype), (_, want_dtype) in zip(got, want):
        assert dtype == want_dtype, f"{table}.{name}: {dtype} (want {want_dtype})"
        assert not isinstance(dtype, (pl.Categorical, pl.Enum)), f"{table}.{name} is {dtype}"


def test_columns_names_order_and_types_eager(conversion, table, contract):
    df = eager(conversion, table)
    assert df.columns == [c.name for c in contract[table]]
    assert list(df.dtypes) == [POLARS_TYPES[c.type] for c in contract[table]]


def test_not_null_columns_have_no_nulls(conversion, table, contract):
    df = eager(conversion, table)
    for col in contract[table]:
        if not col.nullable:
            assert df[col.name].null_count() == 0, (
                f"{table}.{col.name} is not-null in SCHEMA.md but has NULLs"
            )


def test_row_counts_match_manifest_and_expected(conversion, table):
    n = lazy(conversion, table).select(pl.len()).collect().item()
    assert n == conversion.manifest["tables"][table]["rows"], "rows vs _manifest.json"
    assert n == eager(conversion, table).height
    if table in conversion.expected["rows"]:
        assert n == conversion.expected["rows"][table], "rows vs EXPECTED.json"


def test_manifest_input_counts(conversion):
    m = conversion.manifest
    assert m["inputs"] == m["converted"] + m["rejected"]
    assert m["inputs"] == conversion.expected["inputs"]
    assert m["rejected"] == conversion.expected_rejected
    rejects = eager(conversion, "rejects")
    assert set(rejects["kind"].to_list()) <= REJECT_KINDS
    figure_rejects = rejects.filter(pl.col("source_path").str.starts_with(FIGURE_DIR))
    assert figure_rejects.height == m["rejected"], (
        "rejects rows of files under _figures/ must equal rejected"
    )
    assert not set(figure_rejects["kind"].to_list()) & TABLE_REJECT_KINDS
    got = set(zip(rejects["source_path"].to_list(), rejects["kind"].to_list()))
    for e in conversion.expected.get("rejects", []):
        assert (e["source_path"], e["kind"]) in got, f"expected reject missing: {e}"


def test_figures_values_match_expected(conversion):
    df = eager(conversion, "figures")
    by_id = {r["figid"]: r for r in df.iter_rows(named=True)}
    assert len(by_id) == df.height, "figid must be unique"
    assert set(by_id) == set(conversion.expected["figures"])
    mismatches = []
    for figid, entry in conversion.expected["figures"].items():
        row = by_id[figid]
        for col, want in expected_figure_columns(entry).items():
            if row[col] != want:
                mismatches.append(f"{figid}.{col}: expected {want!r}, got {row[col]!r}")
        check_extra(row["extra"], entry["extra_keys"], figid)
    assert not mismatches, "\n".join(mismatches[:40]) + f"\n({len(mismatches)} mismatches)"


def test_a_few_known_values(pfocr_sample):
    """Spot values of the real sample through the lazy API."""
    row = (
        lazy(pfocr_sample, "figures")
        .filter(pl.col("figid") == "PMC7426519__fonc-10-01283-g0003")
        .select("year", "organisms", "keywords", "pathway_score", "pmc_ranked_result_index", "ndex")
        .collect()
        .row(0, named=True)
    )
    assert row == {
        "year": 2020,
        "organisms": ["Homo sapiens"],
        "keywords": [],
        "pathway_score": 0.9706189,
        "pmc_ranked_result_index": 12149,
        "ndex": None,
    }
    gene = (
        lazy(pfocr_sample, "figure_genes")
        .filter(pl.col("figid") == "PMC10003241__ijms-24-04893-g003")
        .sort("ordinal")
        .select("word", "symbol", "gene_symbol", "ncbigene_id", "organism_id", "count_synonym")
        .head(1)
        .collect()
        .row(0)
    )
    assert gene == ("LRP5/6", "LRP6", "LRP6", 4040, 9606, 22)
    organisms = (
        lazy(pfocr_sample, "figures")
        .filter(pl.col("organisms").list.contains("Homo sapiens"))
        .select(pl.len())
        .collect()
        .item()
    )
    want = sum(
        "Homo sapiens" in f["organisms"] for f in pfocr_sample.expected["figures"].values()
    )
    assert organisms == want


def test_child_tables_match_expected(conversion, child_table):
    df = eager(conversion, child_table).sort("figid", "ordinal")
    per_fig = {
        key[0]: g for key, g in df.group_by("figid", maintain_order=True)
    }
    mismatches = []
    for figid, entry in conversion.expected["figures"].items():
        exp = entry[child_table]
        got = per_fig.get(figid)
        n = 0 if got is None else got.height
        if n != exp["rows"]:
            mismatches.append(f"{figid}: {n} {child_table} rows, expected {exp['rows']}")
            continue
        for which, idx in (("first", 0), ("last", n - 1)):
            want = exp[which]
            if want is None:
                continue
            row = got.row(idx, named=True)
            for col, v in want.items():
                if row[col] != v:
                    mismatches.append(
                        f"{figid} {which} {child_table}.{col}: expected {v!r}, got {row[col]!r}"
                    )
    assert not mismatches, "\n".join(mismatches[:40]) + f"\n({len(mismatches)} mismatches)"


def test_child_extra_is_json_object_or_null(conversion, child_table):
    for extra in eager(conversion, child_table)["extra"].drop_nulls().to_list():
        assert isinstance(json.loads(extra), dict), f"{child_table}.extra: {extra!r}"


def test_list_columns_hold_no_null_or_empty_elements(conversion, contract):
    df = eager(conversion, "figures")
    for col in contract["figures"]:
        if col.type != LIST_UTF8:
            continue
        bad = df.filter(
            pl.col(col.name).list.eval((pl.element().is_null() | (pl.element() == "")).any())
            .list.first()
            .fill_null(False)
        )
        assert bad.height == 0, f"figures.{col.name} holds NULL/empty elements"


def test_whole_output_directory_reads(conversion):
    """Directory, glob, and explicit file list give the same rows, for every table."""
    for t in TABLES:
        want = conversion.manifest["tables"][t]["rows"]
        by_dir = pl.scan_parquet(conversion.out / t).select(pl.len()).collect().item()
        by_glob = pl.scan_parquet(f"{conversion.out}/{t}/*.parquet").select(pl.len()).collect().item()
        by_list = pl.scan_parquet([str(p) for p in conversion.parts(t)]).select(pl.len()).collect().item()
        assert by_dir == by_glob == by_list == want, t


def test_join_across_tables_lazily(conversion):
    """Child tables join back to figures on figid without casts (same key type)."""
    figures = lazy(conversion, "figures").select("figid", "year")
    for t in ("figure_genes", "figure_chemicals", "figure_diseases"):
        joined = lazy(conversion, t).join(figures, on="figid", how="inner").select(pl.len())
        assert joined.collect().item() == conversion.manifest["tables"][t]["rows"], t


def test_figid_filter_pushdown_works(conversion):
    """A predicate on figid through scan_parquet returns exactly that figure."""
    some = next(iter(conversion.expected["figures"]))
    got = lazy(conversion, "figures").filter(pl.col("figid") == some).collect()
    assert got.height == 1 and got["figid"].dtype == pl.String

"""The converted tables read back with DuckDB exactly as a user would.

Every table of both corpora is read with `read_parquet('<out>/<table>/*.parquet')` and
checked against SCHEMA.md (names, order, types, nullability) and EXPECTED.json (row
counts, figure values, first/last child rows), plus the manifest's counts.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from conftest import (
    CHILD_TABLES,
    DATA_TABLES,
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

DUCKDB_TYPES = {
    UTF8: "VARCHAR",
    INT16: "SMALLINT",
    INT32: "INTEGER",
    INT64: "BIGINT",
    FLOAT64: "DOUBLE",
    LIST_UTF8: "VARCHAR[]",
}


def q(s: str) -> str:
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def scan(conversion, table: str) -> str:
    return f"read_parquet({q(conversion.glob(table))})"


def rows_as_dicts(rel) -> list[dict]:
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def test_columns_names_order_and_types(con, conversion, table, contract):
    got = con.execute(f"DESCRIBE SELECT * FROM {scan(conversion, table)}").fetchall()
    got = [(name, typ) for name, typ, *_ in got]
    want = [(c.name, DUCKDB_TYPES[c.type]) for c in contract[table]]
    assert got == want


def test_not_null_columns_have_no_nulls(con, conversion, table, contract):
    for col in contract[table]:
        if col.nullable:
            continue
        n = con.execute(
            f'SELECT count(*) FROM {scan(conversion, table)} WHERE "{col.name}" IS NULL'
        ).fetchone()[0]
        assert n == 0, f"{table}.{col.name} is not-null in SCHEMA.md but has {n} NULLs"


def test_row_counts_match_manifest_and_expected(con, conversion, table):
    n = con.execute(f"SELECT count(*) FROM {scan(conversion, table)}").fetchone()[0]
    assert n == conversion.manifest["tables"][table]["rows"], "rows vs _manifest.json"
    if table in conversion.expected["rows"]:
        assert n == conversion.expected["rows"][table], "rows vs EXPECTED.json"


def test_manifest_input_counts(con, conversion):
    m = conversion.manifest
    assert m["inputs"] == m["converted"] + m["rejected"]
    assert m["inputs"] == conversion.expected["inputs"]
    assert m["converted"] == conversion.expected["rows"]["figures"]
    assert m["rejected"] == conversion.expected_rejected
    rejects = con.execute(
        f"SELECT source_path, kind FROM {scan(conversion, 'rejects')}"
    ).fetchall()
    input_rejects = [p for (p, _) in rejects if p.startswith(FIGURE_DIR)]
    assert len(input_rejects) == m["rejected"], (
        "rejects rows of files under _figures/ must equal rejected"
    )
    assert all(k not in TABLE_REJECT_KINDS for (p, k) in rejects if p.startswith(FIGURE_DIR))


def test_rejects_kinds_and_expected_rejects(con, conversion):
    rows = rows_as_dicts(con.execute(f"SELECT * FROM {scan(conversion, 'rejects')}"))
    unknown = sorted({r["kind"] for r in rows} - REJECT_KINDS)
    assert not unknown, f"reject kinds not in SCHEMA.md: {unknown}"
    for r in rows:
        assert r["message"].strip(), f"empty reject message: {r}"
        assert r["line"] is None or r["line"] >= 1, f"line is 1-based: {r}"
    got = {(r["source_path"], r["kind"]) for r in rows}
    missing = [
        e
        for e in conversion.expected.get("rejects", [])
        if (e["source_path"], e["kind"]) not in got
    ]
    assert not missing, f"expected rejects not found: {missing}; got {sorted(got)}"
    if "rejects" in conversion.expected["rows"]:
        # An oracle that counts the rejects rows lists every one of them.
        want = sorted((e["source_path"], e["kind"]) for e in conversion.expected["rejects"])
        assert sorted((r["source_path"], r["kind"]) for r in rows) == want


def test_figids_are_unique_and_as_expected(con, conversion):
    ids = [r[0] for r in con.execute(f"SELECT figid FROM {scan(conversion, 'figures')}").fetchall()]
    assert len(ids) == len(set(ids)), "figid is the primary key of figures"
    assert set(ids) == set(conversion.expected["figures"])


def test_child_rows_reference_figures_and_ordinals_unique(con, conversion, child_table):
    orphans = con.execute(
        f"SELECT DISTINCT c.figid FROM {scan(conversion, child_table)} c "
        f"ANTI JOIN {scan(conversion, 'figures')} f USING (figid)"
    ).fetchall()
    assert orphans == [], f"{child_table} rows whose figid is not in figures"
    dups = con.execute(
        f"SELECT figid, ordinal, count(*) FROM {scan(conversion, child_table)} "
        "GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    assert dups == [], f"(figid, ordinal) repeated in {child_table}"
    bad = con.execute(
        f"SELECT figid, min(ordinal), max(ordinal), count(*) FROM {scan(conversion, child_table)} "
        "GROUP BY figid HAVING min(ordinal) <> 0 OR max(ordinal) <> count(*) - 1"
    ).fetchall()
    assert bad == [], f"{child_table} ordinals are not 0..n-1 per figure: {bad[:5]}"


def test_list_columns_hold_no_null_or_empty_elements(con, conversion, contract):
    for col in contract["figures"]:
        if col.type != LIST_UTF8:
            continue
        bad = con.execute(
            f"SELECT figid, \"{col.name}\" FROM {scan(conversion, 'figures')} "
            f"WHERE len(list_filter(\"{col.name}\", lambda x: x IS NULL OR x = '')) > 0"
        ).fetchall()
        assert bad == [], f"figures.{col.name} holds NULL/empty elements: {bad[:3]}"
    bad = con.execute(
        f"SELECT figid, keywords FROM {scan(conversion, 'figures')} "
        "WHERE len(list_filter(keywords, lambda x: x <> trim(x) OR contains(x, '|'))) > 0"
    ).fetchall()
    assert bad == [], f"keywords must be split on '|' and trimmed: {bad[:3]}"


def test_figures_values_match_expected(con, conversion):
    rows = rows_as_dicts(con.execute(f"SELECT * FROM {scan(conversion, 'figures')}"))
    by_id = {r["figid"]: r for r in rows}
    mismatches = []
    for figid, entry in conversion.expected["figures"].items():
        row = by_id.get(figid)
        assert row is not None, f"figure {figid} missing"
        for col, want in expected_figure_columns(entry).items():
            if row[col] != want:
                mismatches.append(f"{figid}.{col}: expected {want!r}, got {row[col]!r}")
        check_extra(row["extra"], entry["extra_keys"], figid)
    assert not mismatches, "\n".join(mismatches[:40]) + f"\n({len(mismatches)} mismatches)"


def test_a_few_known_values(con, pfocr_sample):
    """Spot values of the real sample, spelled out (also covered by the full check)."""
    f = scan(pfocr_sample, "figures")
    row = con.execute(
        f"SELECT year, organisms, keywords, pathway_score, pmc_ranked_result_index, ndex "
        f"FROM {f} WHERE figid = 'PMC7426519__fonc-10-01283-g0003'"
    ).fetchone()
    # year: '2020' and pmc_ranked_result_index: '12149' are quoted in the YAML; ndex: ''.
    assert row == (2020, ["Homo sapiens"], [], 0.9706189, 12149, None)
    row = con.execute(
        f"SELECT year, keywords, pathway_score, doi, entity_source FROM {f} "
        "WHERE figid = 'PMC10003241__ijms-24-04893-g003'"
    ).fetchone()
    assert row == (
        2023,
        ["osteoblasts", "metabolism", "glutamine", "multiple myeloma", "bone disease"],
        0.9540216,
        "10.3390/ijms24054893",
        "tables",
    )
    gene = con.execute(
        f"SELECT word, symbol, source, gene_symbol, ncbigene_id, organism_id, organism_name, "
        f"count_direct, count_synonym, count_match FROM {scan(pfocr_sample, 'figure_genes')} "
        "WHERE figid = 'PMC10003241__ijms-24-04893-g003' ORDER BY ordinal LIMIT 1"
    ).fetchone()
    assert gene == (
        "LRP5/6", "LRP6", "ncbigene_symbol", "LRP6", 4040, 9606, "Homo sapiens", 10, 22, 26
    )


def test_child_tables_match_expected(con, conversion, child_table):
    rows = rows_as_dicts(
        con.execute(f"SELECT * FROM {scan(conversion, child_table)} ORDER BY figid, ordinal")
    )
    per_fig: dict[str, list[dict]] = {}
    for r in rows:
        per_fig.setdefault(r["figid"], []).append(r)
    mismatches = []
    for figid, entry in conversion.expected["figures"].items():
        exp = entry[child_table]
        got = per_fig.get(figid, [])
        if len(got) != exp["rows"]:
            mismatches.append(f"{figid}: {len(got)} {child_table} rows, expected {exp['rows']}")
            continue
        for which, idx in (("first", 0), ("last", -1)):
            want = exp[which]
            if want is None:
                continue
            for col, v in want.items():
                if got[idx][col] != v:
                    mismatches.append(
                        f"{figid} {which} {child_table}.{col}: expected {v!r}, got {got[idx][col]!r}"
                    )
    assert not mismatches, "\n".join(mismatches[:40]) + f"\n({len(mismatches)} mismatches)"


def test_child_extra_is_json_object_or_null(con, conversion, child_table):
    for (extra,) in con.execute(
        f"SELECT extra FROM {scan(conversion, child_table)} WHERE extra IS NOT NULL"
    ).fetchall():
        assert isinstance(json.loads(extra), dict), f"{child_table}.extra: {extra!r}"


def test_whole_output_directory_globs(con, conversion):
    out = conversion.out
    # Every table at once: one glob over the output directory, grouped by table folder.
    counts = dict(
        con.execute(
            f"SELECT parse_path(parquet_file)[-2] AS tbl, count(*) "
            f"FROM read_parquet({q(str(out) + '/*/*.parquet')}, union_by_name = true, filename = 'parquet_file') "
            "GROUP BY tbl"
        ).fetchall()
    )
    want = {t: conversion.manifest["tables"][t]["rows"] for t in TABLES}
    assert {t: counts.get(t, 0) for t in TABLES} == want
    assert set(counts) <= set(TABLES), f"parquet files outside the table folders: {counts}"
    for t in TABLES:
        # Recursive glob and explicit file list read the same rows as the plain glob.
        n_rec = con.execute(
            f"SELECT count(*) FROM read_parquet({q(str(out / t) + '/**/*.parquet')})"
        ).fetchone()[0]
        files = "[" + ", ".join(q(p) for p in conversion.parts(t)) + "]"
        n_list = con.execute(f"SELECT count(*) FROM read_parquet({files})").fetchone()[0]
        assert n_rec == n_list == want[t], t


def test_figid_has_bloom_filter(con, conversion, data_table):
    """figid column chunks carry a Parquet bloom filter that DuckDB can probe."""
    meta = con.execute(
        "SELECT file_name, row_group_id, bloom_filter_offset, bloom_filter_length "
        f"FROM parquet_metadata({q(conversion.glob(data_table))}) WHERE path_in_schema = 'figid'"
    ).fetchall()
    if conversion.manifest["tables"][data_table]["rows"] == 0:
        return  # an empty table has no column chunks to carry a filter
    assert meta, f"no figid column chunks in {data_table}"
    missing = [m for m in meta if m[2] is None]
    assert not missing, f"{data_table}: figid chunks without a bloom filter: {missing[:3]}"
    for part in conversion.parts(data_table):
        first = con.execute(f"SELECT figid FROM read_parquet({q(part)}) LIMIT 1").fetchone()
        if first is None:
            continue
        probe = con.execute(
            f"SELECT row_group_id, bloom_filter_excludes "
            f"FROM parquet_bloom_probe({q(part)}, 'figid', {q(first[0])})"
        ).fetchall()
        # The value is in some row group, so at least one filter must let it through.
        assert probe and not all(excl for _, excl in probe), (
            f"bloom filters of {part} exclude figid {first[0]!r}, which it holds: {probe}"
        )


def test_not_dictionary_in_duckdb_either(con, conversion):
    """DuckDB's view of the Arrow schema: no ENUM (what a dictionary type could map to)."""
    for t in TABLES:
        types = [r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {scan(conversion, t)}").fetchall()]
        assert not any(ty.startswith("ENUM") for ty in types), (t, types)


def test_rejected_records_produce_no_rows(con, conversion):
    """A rejected figure file contributes no row to any data table."""
    rej = [
        r[0]
        for r in con.execute(
            f"SELECT source_path FROM {scan(conversion, 'rejects')} "
            f"WHERE starts_with(source_path, '{FIGURE_DIR}')"
        ).fetchall()
    ]
    if not rej:
        return
    clash = con.execute(
        f"SELECT source_path FROM {scan(conversion, 'figures')} "
        f"WHERE source_path IN ({', '.join(q(p) for p in rej)})"
    ).fetchall()
    assert clash == [], f"rejected figure files also appear in figures: {clash}"


assert set(DATA_TABLES) | {"rejects"} == set(TABLES) and set(CHILD_TABLES) < set(DATA_TABLES)

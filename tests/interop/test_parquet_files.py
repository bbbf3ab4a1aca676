"""The Parquet files and `_manifest.json` themselves, read with pyarrow.

Checks what the engines hide: the exact Arrow types and nullability stored in the files
(Utf8, not LargeUtf8 nor dictionary), the `pfocr_etl.schema_version` key-value metadata,
ZSTD compression and column statistics on every column chunk, the directory layout,
the manifest's bookkeeping, and the `--max-rejects` exit code.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import (
    FLOAT64,
    INT16,
    INT32,
    INT64,
    LIST_UTF8,
    TABLES,
    UTF8,
    run_convert,
)

ARROW_TYPES = {
    UTF8: pa.string(),
    INT16: pa.int16(),
    INT32: pa.int32(),
    INT64: pa.int64(),
    FLOAT64: pa.float64(),
}
PART_NAME = re.compile(r"part-\d+\.parquet")


def arrow_type_ok(dtype: pa.DataType, contract_type: str) -> bool:
    if contract_type == LIST_UTF8:
        # List<Utf8>: a plain list (not large/view list) of plain Utf8.
        return pa.types.is_list(dtype) and dtype.value_type == pa.string()
    return dtype == ARROW_TYPES[contract_type]


def test_layout_one_folder_per_table_plus_manifest(conversion):
    entries = {p.name for p in conversion.out.iterdir()}
    assert entries == set(TABLES) | {"_manifest.json"}, f"unexpected entries in output: {entries}"
    for t in TABLES:
        files = sorted(p.name for p in (conversion.out / t).iterdir())
        assert files, f"{t}/ has no part file: read_parquet('{t}/*.parquet') would fail"
        stray = [f for f in files if not PART_NAME.fullmatch(f)]
        assert not stray, f"{t}/ holds files other than part-*.parquet: {stray}"


def test_manifest_shape_and_files(conversion):
    m = conversion.manifest
    for key in ("schema_version", "inputs", "converted", "rejected", "tables"):
        assert key in m, f"_manifest.json lacks {key}"
    assert str(m["schema_version"]) == "2"
    assert m["inputs"] == m["converted"] + m["rejected"]
    assert set(m["tables"]) == set(TABLES)
    for t in TABLES:
        entry = m["tables"][t]
        listed = []
        for f in entry["files"]:
            candidates = [conversion.out / f, conversion.out / t / f]
            found = next((c for c in candidates if c.is_file()), None)
            assert found is not None, f"manifest file {f!r} of {t} not found under {conversion.out}"
            listed.append(found.resolve())
        assert sorted(listed) == [p.resolve() for p in conversion.parts(t)], (
            f"{t}: manifest files differ from {t}/*.parquet"
        )
        rows = sum(pq.read_metadata(p).num_rows for p in conversion.parts(t))
        assert rows == entry["rows"], f"{t}: manifest rows {entry['rows']}, files hold {rows}"


def test_arrow_schema_types_and_nullability(conversion, table, contract):
    for part in conversion.parts(table):
        schema = pq.read_schema(part)
        assert schema.names == [c.name for c in contract[table]], part.name
        for col in contract[table]:
            f = schema.field(col.name)
            assert not pa.types.is_dictionary(f.type), f"{table}.{col.name} is a dictionary type"
            assert arrow_type_ok(f.type, col.type), (
                f"{table}.{col.name}: Arrow type {f.type}, contract {col.type}"
            )
            assert f.nullable == col.nullable, (
                f"{table}.{col.name}: nullable={f.nullable}, contract says "
                f"{'nullable' if col.nullable else 'not null'}"
            )
        # And what pyarrow actually decodes (not only the stored schema hint).
        t = pq.read_table(part)
        for col in contract[table]:
            assert arrow_type_ok(t.schema.field(col.name).type, col.type), (table, col.name)


def test_schema_version_key_value_metadata(conversion, table):
    for part in conversion.parts(table):
        kv = pq.read_metadata(part).metadata or {}
        assert kv.get(b"pfocr_etl.schema_version") == b"2", (
            f"{part}: pfocr_etl.schema_version = {kv.get(b'pfocr_etl.schema_version')!r}"
        )


def test_zstd_and_statistics_on_every_column_chunk(conversion, table):
    for part in conversion.parts(table):
        md = pq.read_metadata(part)
        for rg in range(md.num_row_groups):
            group = md.row_group(rg)
            for i in range(group.num_columns):
                chunk = group.column(i)
                where = f"{part.parent.name}/{part.name} rg{rg} {chunk.path_in_schema}"
                assert chunk.compression == "ZSTD", f"{where}: {chunk.compression}"
                if group.num_rows == 0:
                    continue
                assert chunk.is_stats_set and chunk.statistics is not None, f"{where}: no stats"
                assert chunk.statistics.has_null_count, f"{where}: no null count"
                if chunk.path_in_schema == "figid" and group.num_rows:
                    assert chunk.statistics.has_min_max, f"{where}: figid has no min/max"


def test_figid_column_chunks_have_bloom_filter(conversion, data_table):
    """figid carries a bloom filter (pyarrow reports where it is; it cannot probe it)."""
    for part in conversion.parts(data_table):
        md = pq.read_metadata(part)
        for rg in range(md.num_row_groups):
            group = md.row_group(rg)
            if group.num_rows == 0:
                continue
            for i in range(group.num_columns):
                chunk = group.column(i)
                if chunk.path_in_schema == "figid":
                    assert chunk.bloom_filter_offset is not None, (
                        f"{data_table}/{part.name} rg{rg}: figid has no bloom filter"
                    )


def test_strings_are_dictionary_encoded_in_parquet(conversion):
    """SCHEMA.md: 'Parquet dictionary-encodes them' (while the Arrow type stays Utf8)."""
    for part in conversion.parts("figures"):
        md = pq.read_metadata(part)
        for rg in range(md.num_row_groups):
            group = md.row_group(rg)
            for i in range(group.num_columns):
                chunk = group.column(i)
                if chunk.path_in_schema in ("figid", "entity_source"):
                    assert chunk.has_dictionary_page or any(
                        "DICT" in e for e in chunk.encodings
                    ), f"{chunk.path_in_schema} not dictionary-encoded: {chunk.encodings}"


def test_exit_code_1_when_rejects_exceed_max(bundled_sample, etl_bin, tmp_path):
    rejected = bundled_sample.expected_rejected
    if rejected == 0:
        pytest.skip("data/sample has no rejected records")
    proc = run_convert(
        etl_bin, bundled_sample.corpus, tmp_path / "out", "--max-rejects", str(rejected - 1)
    )
    assert proc.returncode == 1, (
        f"{rejected} rejected > --max-rejects {rejected - 1}: exit {proc.returncode}, "
        f"stderr: {proc.stderr[-2000:]}"
    )

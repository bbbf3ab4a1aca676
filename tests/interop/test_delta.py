"""`pfocr-etl load` read by real Delta clients: Python `deltalake` and Polars
(`pl.read_delta`, `pl.scan_delta`), on a local table and on S3 served by a moto server on
loopback (a real S3-compatible HTTP server in its own process, not a mock in this one).

Every table must have the contract's columns and types, hold the same rows as the plain
Parquet output of `convert`, and keep its previous version for time travel.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from conftest import BUNDLED_SAMPLE, CHILD_TABLES, SHARED_SAMPLE, TABLES, run_convert
from test_polars import POLARS_TYPES


def run_load(binary: Path, corpus: Path, table: str, *extra: str, env=None) -> dict:
    cmd = [str(binary), "load", str(corpus), "--table", table, "--quiet", "--summary-json", "-", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


def sorted_rows(df: pl.DataFrame) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in df.to_dicts())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A copy of the real PFOCR sample (or the bundled one), to change between loads."""
    src = SHARED_SAMPLE if SHARED_SAMPLE.is_dir() else BUNDLED_SAMPLE
    dst = tmp_path_factory.mktemp("delta") / "corpus"
    shutil.copytree(src, dst)
    (dst / "EXPECTED.json").unlink(missing_ok=True)
    return dst


@pytest.fixture(scope="module")
def lake(etl_bin, corpus, tmp_path_factory) -> dict:
    """The corpus loaded once, then again after one record changed."""
    root = tmp_path_factory.mktemp("lake") / "pfocr"
    first = run_load(etl_bin, corpus, str(root))
    before = {t: pl.read_delta(str(root / t)) for t in TABLES}
    figure = sorted((corpus / "_figures").glob("*.md"))[0]
    figure.write_text(
        figure.read_text(encoding="utf-8").replace("figtitle: ", "figtitle: Revised ", 1),
        encoding="utf-8",
    )
    second = run_load(etl_bin, corpus, str(root))
    out = tmp_path_factory.mktemp("lake-parquet") / "out"
    proc = run_convert(etl_bin, corpus, out)
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "first": first, "second": second, "before": before, "parquet": out}


def test_polars_reads_every_table_with_the_contract_types(lake, table, contract):
    want = [(c.name, POLARS_TYPES[c.type]) for c in contract[table]]
    eager = pl.read_delta(str(lake["root"] / table))
    assert list(eager.schema.items()) == want
    lazy = pl.scan_delta(str(lake["root"] / table)).collect_schema()
    assert list(lazy.items()) == want


def test_delta_tables_hold_the_rows_of_the_parquet_output(lake, table):
    delta = pl.read_delta(str(lake["root"] / table))
    parquet = pl.read_parquet(str(lake["parquet"] / table / "*.parquet"))
    assert sorted_rows(delta) == sorted_rows(parquet)


def test_python_deltalake_reads_every_table(lake, table, contract):
    dt = DeltaTable(str(lake["root"] / table))
    arrow = dt.to_pyarrow_table()
    assert arrow.column_names == [c.name for c in contract[table]]
    assert arrow.num_rows == lake["second"]["rows"][table]
    history = dt.history()
    info = [h for h in history if "pfocr_etl" in h]
    assert info, f"{table}: the load summary is in the commit info"


def test_the_second_load_was_incremental(lake):
    s = lake["second"]
    assert (s["full"], s["committed"], len(s["changed"]), s["decoded"] >= 1) == (False, True, 1, True)
    assert s["inputs"] == s["converted"] + s["rejected"]
    assert s["versions"]["figures"] == lake["first"]["versions"]["figures"] + 1


def test_time_travel_to_the_previous_load(lake):
    root = lake["root"]
    previous = lake["first"]["versions"]["figures"]
    old = pl.read_delta(str(root / "figures"), version=previous)
    assert sorted_rows(old) == sorted_rows(lake["before"]["figures"])
    new = pl.read_delta(str(root / "figures"))
    revised = new.filter(pl.col("figtitle").str.starts_with("Revised "))
    assert revised.height == 1
    assert old.filter(pl.col("figtitle").str.starts_with("Revised ")).height == 0
    dt = DeltaTable(str(root / "figures"), version=previous)
    assert dt.to_pyarrow_table().num_rows == old.height


def test_duckdb_reads_the_live_files_of_a_delta_table(lake):
    """DuckDB without its delta extension (not installable offline): the live files that
    the Delta log lists, read with read_parquet, give the table's rows."""
    import duckdb

    dt = DeltaTable(str(lake["root"] / "figure_genes"))
    files = [u.removeprefix("file://") for u in dt.file_uris()]
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r})").fetchall()[0][0]
    assert n == lake["second"]["rows"]["figure_genes"]


def test_a_load_brings_version_1_tables_to_version_2(etl_bin, corpus, tmp_path_factory, contract):
    """Tables as a schema version 1 build left them (figures without `wpid`, a load state
    without its schema version row), rewritten here with `deltalake` itself: the next plain
    load upgrades them, and both Python clients then see the new column with every row right."""
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("lake-v1") / "pfocr"
    run_load(etl_bin, corpus, str(root))
    figures = DeltaTable(str(root / "figures")).to_pyarrow_table()
    write_deltalake(
        str(root / "figures"),
        figures.drop_columns(["wpid"]),
        mode="overwrite",
        schema_mode="overwrite",
    )
    state = pl.read_delta(str(root / "_pfocr_sources"))
    write_deltalake(
        str(root / "_pfocr_sources"),
        state.filter(pl.col("source_path") != "<schema_version>").to_arrow(),
        mode="overwrite",
    )
    assert "wpid" not in DeltaTable(str(root / "figures")).schema().to_arrow().names

    # A map value appears for the first figure: the upgrade must fill it.
    first = figures.column("figid")[0].as_py()
    wpid_map = corpus / "_data" / "wpid_map.tsv"
    kept = wpid_map.read_bytes() if wpid_map.exists() else None
    wpid_map.write_text(f"{first}\tWP777\n", encoding="utf-8")
    try:
        s = run_load(etl_bin, corpus, str(root))
        assert (s["schema_upgraded"], s["committed"]) == (True, True)
        for table in TABLES:
            want = [c.name for c in contract[table]]
            assert DeltaTable(str(root / table)).schema().to_arrow().names == want
            assert pl.scan_delta(str(root / table)).collect_schema().names() == want
        out = tmp_path_factory.mktemp("lake-v1-parquet") / "out"
        proc = run_convert(etl_bin, corpus, out)
        assert proc.returncode == 0, proc.stderr
        for table in TABLES:
            delta = pl.read_delta(str(root / table))
            parquet = pl.read_parquet(str(out / table / "*.parquet"))
            assert sorted_rows(delta) == sorted_rows(parquet), table
        wpid = pl.read_delta(str(root / "figures")).filter(pl.col("figid") == first)["wpid"]
        assert wpid.to_list() == ["WP777"]
    finally:
        if kept is None:
            wpid_map.unlink()
        else:
            wpid_map.write_bytes(kept)


def plain_title(text: str) -> bool:
    """True when the front matter's figtitle is a one-line plain YAML scalar, which stays
    valid with a word put in front of it (a quoted or folded one would not)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("figtitle: "):
            value = line.removeprefix("figtitle: ")
            follows = lines[i + 1] if i + 1 < len(lines) else ""
            return (
                value[:1].isalnum()
                and ": " not in value
                and " #" not in value
                and not follows.startswith(" ")
            )
    return False


def test_twelve_loads_leave_checkpoints_that_deltalake_and_polars_read(
    etl_bin, corpus, tmp_path_factory, contract
):
    """Issue 16, item 2: after 12 loads every table has a Delta checkpoint (written every
    10 commits), and both Python clients read each table from it plus the JSON commits
    after it, with the rows `convert` writes for the corpus as it is after the last load."""
    work = tmp_path_factory.mktemp("twelve")
    copy = work / "corpus"
    shutil.copytree(corpus, copy)
    root = work / "pfocr"
    summaries = []
    for i in range(12):
        if i == 1:
            # Converted records with a title: each later load changes one title, and drops a
            # row from a TSV of each child table (a record's rows in a table that stay the
            # same leave that table alone), so every data table gets a commit per load.
            first = pl.read_delta(str(root / "figures")).filter(pl.col("figtitle").is_not_null())
            for child in CHILD_TABLES:
                ids = pl.read_delta(str(root / child))["figid"].unique()
                first = first.filter(pl.col("figid").is_in(ids.implode()))
            figures = [
                f
                for f in sorted(copy / p for p in first["source_path"].to_list())
                if plain_title(f.read_text(encoding="utf-8"))
            ]
            assert figures, "a record with genes, chemicals, diseases and a plain title"
            tsvs = {
                child: [
                    copy / "_data" / f"{figid}-{child.removeprefix('figure_')}.tsv"
                    for figid in pl.read_delta(str(root / child))["figid"].unique().to_list()
                ]
                for child in CHILD_TABLES
            }
        if i:
            f = figures[i % len(figures)]
            f.write_text(
                f.read_text(encoding="utf-8").replace("figtitle: ", f"figtitle: Load{i} ", 1),
                encoding="utf-8",
            )
            for child, paths in tsvs.items():
                # The TSV with the most rows loses its last one (each keeps one at least).
                rows = {t: t.read_text(encoding="utf-8").splitlines() for t in paths if t.is_file()}
                t, lines = max(rows.items(), key=lambda kv: (len(kv[1]), str(kv[0])))
                assert len(lines) > 2, (child, t, "a header and two rows")
                t.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
        summaries.append(run_load(etl_bin, copy, str(root)))
        assert summaries[-1]["committed"], summaries[-1]
        assert summaries[-1]["rejected"] == summaries[0]["rejected"], summaries[-1]
    out = work / "out"
    proc = run_convert(etl_bin, copy, out)
    assert proc.returncode == 0, proc.stderr
    for table in (*TABLES, "_pfocr_sources"):
        log = root / table / "_delta_log"
        versions = sorted(int(p.stem) for p in log.glob("*.json"))
        if table != "rejects":
            # 12 commits (versions 0-11): a checkpoint at version 9.
            assert versions[-1] == 11, (table, versions)
        if versions[-1] < 9:
            continue  # `rejects` commits only when its rows change: no checkpoint due yet
        last = json.loads((log / "_last_checkpoint").read_text())
        assert last["version"] >= 9, (table, last)
        assert (log / f"{last['version']:020d}.checkpoint.parquet").is_file(), table
        # A reader replays at most 10 JSON commits after the checkpoint.
        assert len([v for v in versions if v > last["version"]]) <= 10, table
    for table in TABLES:
        uri = str(root / table)
        want = [c.name for c in contract[table]]
        parquet = pl.read_parquet(str(out / table / "*.parquet"))
        arrow = DeltaTable(uri).to_pyarrow_table()
        assert arrow.column_names == want, table
        assert arrow.num_rows == parquet.height == summaries[-1]["rows"][table], table
        polars = pl.read_delta(uri)
        assert sorted_rows(polars) == sorted_rows(parquet), table
        assert sorted_rows(pl.from_arrow(arrow)) == sorted_rows(parquet), table
    titles = pl.read_delta(str(root / "figures")).filter(pl.col("figtitle").str.starts_with("Load11 "))
    assert titles.height == 1
    # The last change of each record (a later load prefixed its title again).
    assert titles["source_path"].to_list() == [f"_figures/{figures[11 % len(figures)].name}"]


# --- S3 (moto server on loopback) -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    moto_server = Path(sys.executable).with_name("moto_server")
    assert moto_server.exists(), "moto[server] is in tests/interop/requirements.txt"
    port = _free_port()
    proc = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    # Create the bucket with a plain S3 PUT (path style), as any S3 client would.
    req = urllib.request.Request(f"{endpoint}/pfocr-lake", method="PUT")
    urllib.request.urlopen(req, timeout=10)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


def s3_env(endpoint: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_ALLOW_HTTP="true",
        # One writer per shard in this test; see README for concurrent writers on S3.
        AWS_S3_ALLOW_UNSAFE_RENAME="true",
    )
    return env


def test_load_into_s3_and_read_back(etl_bin, corpus, s3_server, lake, contract):
    env = s3_env(s3_server)
    uri = "s3://pfocr-lake/pfocr"
    first = run_load(etl_bin, corpus, uri, env=env)
    assert first["committed"] and first["full"]
    again = run_load(etl_bin, corpus, uri, env=env)
    assert not again["committed"], "nothing changed: no new version"
    options = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ALLOW_HTTP": "true",
    }
    for table in TABLES:
        df = pl.read_delta(f"{uri}/{table}", storage_options=options)
        assert list(df.schema.items()) == [(c.name, POLARS_TYPES[c.type]) for c in contract[table]]
        local = pl.read_delta(str(lake["root"] / table))
        assert sorted_rows(df) == sorted_rows(local), table

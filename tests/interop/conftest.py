"""Shared fixtures for the DuckDB / Polars / pyarrow interoperability checks.

These tests drive the real `pfocr-etl` binary: a session fixture converts the bundled
sample corpus (`<repo>/data/sample`) and the real PFOCR sample that sits beside the
repository (`<repo>/../shared/pfocr-sample`, read in place, skipped with a reason when
absent) into temporary directories, then every test reads the output back with a
client a user would use. What the tests assert is the output contract
(`../shared/SCHEMA.md`, schema version 2) and each corpus's `EXPECTED.json`.

The binary is `$PFOCR_ETL_BIN` when set, else `<target>/release/pfocr-etl`, built with
`cargo build --release --features delta,dev,s3` (the features of `tests/run_all.sh`) when missing. Run everything with `tests/run_all.sh`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLED_SAMPLE = REPO / "data" / "sample"
SHARED_SAMPLE = REPO.parent / "shared" / "pfocr-sample"

#: Output tables, in the order SCHEMA.md lists them.
TABLES = ("figures", "figure_genes", "figure_chemicals", "figure_diseases", "rejects")
DATA_TABLES = TABLES[:4]
CHILD_TABLES = TABLES[1:4]

#: Reject kinds for TSV files that were not used; they do not count as rejected inputs.
TABLE_REJECT_KINDS = frozenset({"orphan_table", "conflicting_table"})
#: Only figure files are inputs: a reject of a `_data` file (an unused TSV, a bad line of a
#: map file, which is `bad_tsv`) is outside `inputs = converted + rejected`.
FIGURE_DIR = "_figures/"
#: Every `kind` SCHEMA.md defines for the rejects table.
REJECT_KINDS = frozenset(
    {
        "yaml",
        "no_front_matter",
        "not_utf8",
        "missing_figid",
        "duplicate_figid",
        "bad_value",
        "bad_tsv",
        "orphan_table",
        "conflicting_table",
        "too_large",
        "unreadable",
    }
)

# Contract types, engine-neutral; each test module maps them to its engine's names.
UTF8, INT16, INT32, INT64, FLOAT64, LIST_UTF8 = (
    "utf8",
    "int16",
    "int32",
    "int64",
    "float64",
    "list<utf8>",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True


def _child(*cols: Column) -> list[Column]:
    return [
        Column("figid", UTF8, False),
        Column("ordinal", INT32, False),
        *cols,
        # "Any other key ... goes into an `extra` Utf8 JSON column of that child table."
        Column("extra", UTF8),
    ]


#: SCHEMA.md (schema version 2): exact column names, order, types and nullability.
CONTRACT: dict[str, list[Column]] = {
    "figures": [
        Column("figid", UTF8, False),
        Column("pmcid", UTF8),
        Column("number", UTF8),
        Column("figtype", UTF8),
        Column("figtitle", UTF8),
        Column("caption", UTF8),
        Column("papertitle", UTF8),
        Column("reftext", UTF8),
        Column("year", INT16),
        Column("doi", UTF8),
        Column("journal_title", UTF8),
        Column("journal_nlm_ta", UTF8),
        Column("publisher_name", UTF8),
        Column("keywords", LIST_UTF8),
        Column("organisms", LIST_UTF8),
        Column("organisms_ner", LIST_UTF8),
        Column("pathway_score", FLOAT64),
        Column("pmc_ranked_result_index", INT32),
        Column("filename", UTF8),
        Column("figlink", UTF8),
        Column("figid_alias", UTF8),
        Column("ndex", UTF8),
        Column("annotations", LIST_UTF8),
        Column("entity_source", UTF8, False),
        Column("extra", UTF8),
        Column("body", UTF8),
        Column("source_path", UTF8, False),
        # New in schema version 2, last.
        Column("wpid", UTF8),
    ],
    "figure_genes": _child(
        Column("word", UTF8),
        Column("symbol", UTF8),
        Column("source", UTF8),
        Column("gene_symbol", UTF8),
        Column("ncbigene_id", INT64),
        Column("organism_id", INT32),
        Column("organism_name", UTF8),
        Column("organism_group", UTF8),
        Column("count_direct", INT32),
        Column("count_synonym", INT32),
        Column("count_match", INT32),
    ),
    "figure_chemicals": _child(
        Column("word", UTF8),
        Column("mesh_id", UTF8),
        Column("match", UTF8),
        Column("name", UTF8),
        Column("chebi_id", UTF8),
    ),
    "figure_diseases": _child(
        Column("word", UTF8),
        Column("mesh_id", UTF8),
        Column("match", UTF8),
        Column("name", UTF8),
        Column("doid", UTF8),
    ),
    "rejects": [
        Column("source_path", UTF8, False),
        Column("line", INT32),
        Column("field", UTF8),
        Column("kind", UTF8, False),
        Column("message", UTF8, False),
    ],
}
assert tuple(CONTRACT) == TABLES


@dataclass
class Conversion:
    """One `pfocr-etl convert` run over a corpus, and what it must give."""

    name: str
    corpus: Path
    out: Path
    expected: dict
    manifest: dict
    returncode: int
    stdout: str
    stderr: str
    command: list[str] = field(default_factory=list)

    def glob(self, table: str) -> str:
        """The glob a user reads a table with: `<out>/<table>/*.parquet`."""
        return f"{self.out}/{table}/*.parquet"

    def parts(self, table: str) -> list[Path]:
        return sorted((self.out / table).glob("*.parquet"))

    @property
    def expected_rejected(self) -> int:
        return self.expected["inputs"] - self.expected["rows"]["figures"]

    def __repr__(self) -> str:  # short ids in failure output
        return f"Conversion({self.name})"


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")).resolve()


def _find_binary() -> Path:
    env = os.environ.get("PFOCR_ETL_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            pytest.fail(f"PFOCR_ETL_BIN={env} is not a file")
        return path
    path = _target_dir() / "release" / "pfocr-etl"
    if not path.is_file():
        print(f"\n[interop] {path} missing: running cargo build --release --features delta,dev,s3", file=sys.stderr)
        proc = subprocess.run(["cargo", "build", "--release", "--features", "delta,dev,s3"], cwd=REPO)
        if proc.returncode != 0 or not path.is_file():
            pytest.fail(f"cargo build --release --features delta,dev,s3 failed (exit {proc.returncode}); no {path}")
    return path


@pytest.fixture(scope="session")
def etl_bin() -> Path:
    """Path to the pfocr-etl binary under test."""
    return _find_binary()


def run_convert(
    binary: Path, corpus: Path, out: Path, *extra: str
) -> subprocess.CompletedProcess:
    cmd = [str(binary), "convert", str(corpus), "--out", str(out), "--quiet", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


CORPORA = {
    "data-sample": BUNDLED_SAMPLE,
    "pfocr-sample": SHARED_SAMPLE,
}


class _Converter:
    """Converts each corpus at most once per session."""

    def __init__(self, binary: Path, factory: pytest.TempPathFactory):
        self.binary = binary
        self.factory = factory
        self.done: dict[str, Conversion] = {}

    def get(self, name: str) -> Conversion:
        if name not in self.done:
            self.done[name] = self._convert(name)
        return self.done[name]

    def _convert(self, name: str) -> Conversion:
        corpus = CORPORA[name]
        if name == "pfocr-sample" and not corpus.is_dir():
            reason = f"real PFOCR sample not found at {corpus} (it lives beside the repo in ../shared)"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason}; under CI=true a missing prerequisite fails the run")
            print(f"\n[interop] SKIP {name}: {reason}", file=sys.stderr)
            pytest.skip(reason)
        expected_path = corpus / "EXPECTED.json"
        if not expected_path.is_file():
            pytest.fail(f"{expected_path} is missing: the {name} corpus must ship its EXPECTED.json")
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        # The output directory is named `out` so the README's queries, which read
        # `out/<table>/*.parquet`, run verbatim from its parent directory.
        out = self.factory.mktemp(name) / "out"
        rejected = expected["inputs"] - expected["rows"]["figures"]
        # --max-rejects equal to the expected number of rejected inputs: exit code must be 0.
        proc = run_convert(self.binary, corpus, out, "--max-rejects", str(rejected))
        if proc.returncode != 0:
            pytest.fail(
                f"pfocr-etl convert {corpus} exited {proc.returncode} "
                f"(expected 0 with --max-rejects {rejected})\n"
                f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
            )
        manifest_path = out / "_manifest.json"
        if not manifest_path.is_file():
            pytest.fail(f"no {manifest_path} after a successful run")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return Conversion(
            name=name,
            corpus=corpus,
            out=out,
            expected=expected,
            manifest=manifest,
            returncode=proc.returncode,
            stdout=proc.stdout,
            stderr=proc.stderr,
            command=[str(a) for a in proc.args],
        )


@pytest.fixture(scope="session")
def converter(etl_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> _Converter:
    return _Converter(etl_bin, tmp_path_factory)


@pytest.fixture(scope="session", params=list(CORPORA), ids=list(CORPORA))
def conversion(request, converter: _Converter) -> Conversion:
    """Each corpus converted once: tests using this run for both corpora."""
    return converter.get(request.param)


@pytest.fixture(scope="session")
def pfocr_sample(converter: _Converter) -> Conversion:
    """The real 39-record sample converted (skipped when ../shared is absent)."""
    return converter.get("pfocr-sample")


@pytest.fixture(scope="session")
def bundled_sample(converter: _Converter) -> Conversion:
    """The repository's own data/sample converted."""
    return converter.get("data-sample")


@pytest.fixture(scope="session")
def converted_outputs(converter: _Converter) -> dict[str, Path]:
    """{corpus name: output dir} for every corpus that is present."""
    outs = {}
    for name in CORPORA:
        try:
            outs[name] = converter.get(name).out
        except pytest.skip.Exception:
            continue
    return outs


@pytest.fixture(scope="session")
def contract() -> dict[str, list[Column]]:
    return CONTRACT


def pytest_generate_tests(metafunc):
    """Tests taking a `table` / `data_table` / `child_table` argument run once per table."""
    for argname, names in (
        ("table", TABLES),
        ("data_table", DATA_TABLES),
        ("child_table", CHILD_TABLES),
    ):
        if argname in metafunc.fixturenames:
            metafunc.parametrize(argname, names)


def expected_figure_columns(entry: dict) -> dict:
    """The `figures` columns an EXPECTED.json entry gives (all but figid and caption)."""
    return {
        k: v
        for k, v in entry.items()
        if k not in ("extra_keys",) and k not in CHILD_TABLES
    }


def check_extra(extra: str | None, extra_keys: list[str], where: str) -> None:
    """`extra` is a JSON object with exactly the keys EXPECTED.json lists, NULL if none."""
    if not extra_keys:
        assert extra is None, f"{where}: extra should be NULL (no other keys), got {extra!r}"
        return
    assert extra is not None, f"{where}: extra is NULL, expected keys {extra_keys}"
    obj = json.loads(extra)
    assert isinstance(obj, dict), f"{where}: extra is not a JSON object: {extra!r}"
    assert sorted(obj) == sorted(extra_keys), f"{where}: extra keys"


def pytest_terminal_summary(terminalreporter):
    """Say once, in every run, whether the real sample was checked."""
    if SHARED_SAMPLE.is_dir():
        line = f"pfocr-sample: checked in place at {SHARED_SAMPLE}"
    else:
        line = f"pfocr-sample: NOT FOUND at {SHARED_SAMPLE}: its checks were skipped"
    terminalreporter.write_line(f"[interop] {line}")

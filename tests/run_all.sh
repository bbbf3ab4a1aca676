#!/usr/bin/env bash
# The project's single test command: every Rust test, then the DuckDB / Polars / pyarrow
# interoperability checks against the real binary.
#
#   bash tests/run_all.sh          # from any directory
#
# Needs only Rust (cargo) and Python 3 with the venv module. The Python clients are
# installed from tests/interop/requirements.txt into <repo>/target/py-venv, once per
# version of that file (a stamp holds its hash). The real PFOCR sample is read in place
# from <repo>/../shared/pfocr-sample; its checks are skipped, with the reason printed,
# when it is absent.
#
# Environment: PYTHON (interpreter to make the venv with, default python3),
# CARGO_TARGET_DIR (respected, default <repo>/target), PFOCR_ETL_FEATURES (cargo features
# to test, default `delta,dev,s3`: the Delta Lake loads are tested too, on local disk and on
# an S3 server (moto), and `dev` brings the corpus generator the tests use).
set -euo pipefail

REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
VENV="$REPO/target/py-venv"
REQS="$REPO/tests/interop/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

step() { printf '\n==> %s\n' "$*"; }

hash_file() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$PYTHON" -c 'import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

# --- Python environment -------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    step "creating virtualenv $VENV"
    mkdir -p "$REPO/target"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "error: '$PYTHON -m venv' failed; install Python's venv module (Debian: apt-get install python3-venv)" >&2
        exit 2
    fi
fi
want_hash="$( { hash_file "$REQS"; "$VENV/bin/python" -c 'import sys;print(sys.version)'; } | tr '\n' ' ')"
# The wheels download while cargo compiles (the Rust tests do not need them); the install is
# waited for before the interop tests.
PIP_LOG="$REPO/target/py-venv-install.log"
pip_pid=""
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want_hash" ]]; then
    step "installing $REQS into $VENV in the background (log: $PIP_LOG)"
    ( "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS" \
        && printf '%s' "$want_hash" >"$STAMP" ) >"$PIP_LOG" 2>&1 &
    pip_pid=$!
else
    echo "python requirements up to date ($VENV)"
fi

# --- Rust -----------------------------------------------------------------------------
# One build serves everything: `cargo test` compiles the library, the test binaries and the
# `pfocr-etl` binary (which the integration tests drive) with one feature set, and the interop
# tests below use that same binary. A separate `cargo build --release` would build the
# dependency tree a second time (dev-dependencies switch on other features).
FEATURES="${PFOCR_ETL_FEATURES:-delta,dev,s3}"
step "cargo test --release --features $FEATURES"
cargo test --release --features "$FEATURES"

BIN="$TARGET_DIR/release/pfocr-etl"
if [[ ! -x "$BIN" ]]; then
    echo "error: $BIN not found after cargo test --release" >&2
    exit 2
fi

if [[ -n "$pip_pid" ]] && ! wait "$pip_pid"; then
    cat "$PIP_LOG" >&2
    echo "error: installing $REQS failed" >&2
    exit 2
fi

# --- Interop --------------------------------------------------------------------------
step "pytest tests/interop (PFOCR_ETL_BIN=$BIN)"
rc=0
PFOCR_ETL_BIN="$BIN" PYTHONDONTWRITEBYTECODE=1 \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/interop || rc=$?
if [[ $rc -eq 5 ]]; then
    echo "error: pytest collected no tests in tests/interop" >&2
    exit 1
fi
if [[ $rc -ne 0 ]]; then
    echo "error: interop tests failed (pytest exit $rc)" >&2
    exit "$rc"
fi
step "all tests passed"

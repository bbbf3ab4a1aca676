#!/usr/bin/env bash
# Coverage-guided fuzzing of the record decoder (fuzz/fuzz_targets/decode_record.rs) for a
# bounded time, seeded from data/sample. Stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz
# pass its sanitizer flags. A crash or broken invariant fails the script; the input is left
# in fuzz/artifacts/decode_record/ (keep it in fuzz/regressions/ once fixed).
#
#   bash .ci/fuzz.sh [SECONDS]       # default 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

# Seeds: every sample figure file, with its TSVs joined by the target's separator
# (the same inputs tests/fuzz_regressions.rs replays), plus the kept regressions.
seeds=fuzz/corpus/decode_record
mkdir -p "$seeds"
for md in data/sample/_figures/*.md; do
    stem=$(basename "$md" .md)
    {
        cat "$md"
        for table in genes chemicals diseases; do
            printf '\n%%%%TSV%%%%\n'
            cat "data/sample/_data/$stem-$table.tsv" 2>/dev/null || true
        done
    } >"$seeds/$stem"
done
find fuzz/regressions -type f ! -name README.md -exec cp {} "$seeds/" \;

export RUSTC_BOOTSTRAP=1
# The decoder's process-lifetime statics (OnceLock tables, never freed by design) are reported
# by LeakSanitizer when the fuzzer exits; libFuzzer's -detect_leaks=0 does not cover that
# final check, ASAN_OPTIONS does. Per-input leaks would still show as RSS growth (-rss_limit_mb).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
cargo fuzz build --release decode_record
# -rss_limit_mb bounds memory per input (an alias bomb must stay cheap); -timeout catches hangs.
cargo fuzz run --release decode_record "$seeds" -- \
    -dict=fuzz/decode_record.dict -max_total_time="$seconds" -timeout=10 -detect_leaks=0 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1

#!/usr/bin/env bash
# Incremental Delta loads, measured: a full load of a generated corpus, a load with nothing
# changed, and a load with 1 % of the figure files changed, each as a fraction of the full
# load's wall time (median of RUNS runs, warm page cache).
#
#   bash benches/load.sh            # COUNT=20000 RUNS=5 THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-20000}"; RUNS="${RUNS:-5}"; THREADS="${THREADS:-2}"
cargo build --release --quiet --features delta,dev   # dev: the `generate` subcommand
BIN="$PWD/target/release/pfocr-etl"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
"$BIN" generate --count "$COUNT" --seed 1 --out "$WORK/corpus" 2>/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN {print e - s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
load() { "$BIN" load "$WORK/corpus" --table "$WORK/lake" --quiet -j "$THREADS" "$@"; }

full=(); none=(); one=()
for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/lake"
    full+=("$(timed load)")
    none+=("$(timed load)")
    # Touch 1 % of the figure files: a changed figtitle each.
    find "$WORK/corpus/_figures" -name '*.md' | sort | awk -v n="$COUNT" 'NR % 100 == 0' |
        while read -r f; do sed -i '0,/^figtitle: /s//figtitle: Changed /' "$f"; done
    one+=("$(timed load)")
done
f=$(printf '%s\n' "${full[@]}" | median); n=$(printf '%s\n' "${none[@]}" | median); o=$(printf '%s\n' "${one[@]}" | median)
printf 'records %s, threads %s, median of %s runs (%s cores, %s)\n' "$COUNT" "$THREADS" "$RUNS" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-22s %8s %10s\n' load seconds "of full"
printf '%-22s %8.3f %10s\n' "full (first) load" "$f" "1.00"
printf '%-22s %8.3f %10s\n' "nothing changed" "$n" "$(ratio "$n" "$f")"
printf '%-22s %8.3f %10s\n' "1 % changed" "$o" "$(ratio "$o" "$f")"

#!/usr/bin/env bash
# Incremental Delta loads, measured: a full load of a generated corpus, then a load with
# nothing changed, one with 1 % of the figure files changed (a changed figtitle each, spread
# over the corpus), and one with 1 % of records added (new figids), each as a fraction of the
# full load's wall time (median of RUNS runs, warm page cache). Also the bytes each load
# wrote (the sizes of the files its commits add, from the Delta log), and the storage of the
# table directory before and after `maintain --retain-hours 0 --allow-short-retention
# --compact` (the last run's), and each load's peak RSS (GNU time; the last run's).
#
#   bash benches/load.sh            # COUNT=20000 RUNS=3 THREADS=2
#   BIN=target/release/pfocr-etl bash benches/load.sh    # skip the build
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-20000}"; RUNS="${RUNS:-3}"; THREADS="${THREADS:-2}"
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --features delta,dev   # dev: the `generate` subcommand
fi
BIN="$(realpath "${BIN:-target/release/pfocr-etl}")"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
# Each load under GNU time (when there) for its peak RSS, in KiB, left in $WORK/rss.
TIME=(); [[ -x /usr/bin/time ]] && TIME=(/usr/bin/time -f %M -o "$WORK/rss")
load() { echo 0 > "$WORK/rss"; "${TIME[@]}" "$BIN" load "$WORK/corpus" --table "$WORK/lake" --quiet -j "$THREADS" "$@"; }
# Sum of the `add` sizes of every JSON commit in the lake (each commit is written once).
added_bytes() {
    python3 - "$WORK/lake" <<'PY'
import json, pathlib, sys
total = 0
for commit in pathlib.Path(sys.argv[1]).glob("*/_delta_log/*.json"):
    for line in commit.read_text().splitlines():
        if line.strip():
            total += json.loads(line).get("add", {}).get("size", 0)
print(total)
PY
}
# Runs one load; prints "seconds bytes_written peak_rss_mib".
timed() {
    local s e b0 b1
    b0=$(added_bytes); s=$(date +%s.%N)
    load "$@" >/dev/null
    e=$(date +%s.%N); b1=$(added_bytes)
    awk -v s="$s" -v e="$e" -v b="$((b1 - b0))" -v r="$(tail -1 "$WORK/rss")" 'BEGIN {printf "%s %s %.1f\n", e - s, b, r / 1024}'
}

full=(); none=(); one=(); add=(); declare -A bytes rss
for _ in $(seq "$RUNS"); do
    rm -rf "$WORK/corpus" "$WORK/lake"
    "$BIN" generate --count "$COUNT" --seed 1 --out "$WORK/corpus" 2>/dev/null
    # Files written within 2 s of a load's scan are hashed again by the next load (the
    # mtime-granularity slack): wait, as a nightly load's corpus would be older than that.
    sleep 2.1
    read -r t b r < <(timed); full+=("$t"); bytes[full]=$b; rss[full]=$r
    read -r t b r < <(timed); none+=("$t"); bytes[none]=$b; rss[none]=$r
    # Change 1 % of the figure files: a changed figtitle each (inside the quotes of a quoted
    # title, so that every changed record stays valid YAML).
    find "$WORK/corpus/_figures" -name '*.md' | sort | awk 'NR % 100 == 0' |
        while read -r f; do sed -i -E '0,/^figtitle: /s/^figtitle: (["'"'"']?)/figtitle: \1Changed /' "$f"; done
    read -r t b r < <(timed); one+=("$t"); bytes[one]=$b; rss[one]=$r
    # Add 1 % new records: copies of other records under a new figid (and file name),
    # which sort among the existing ones; their TSVs are copied under the new name too.
    find "$WORK/corpus/_figures" -name '*.md' | sort | awk 'NR % 100 == 50' |
        while read -r f; do
            stem=$(basename "$f" .md)
            sed "s/^figid: .*/figid: ${stem}_added/" "$f" > "$WORK/corpus/_figures/${stem}_added.md"
            for kind in genes chemicals diseases; do
                t="$WORK/corpus/_data/${stem}-${kind}.tsv"
                [[ -f "$t" ]] && cp "$t" "$WORK/corpus/_data/${stem}_added-${kind}.tsv"
            done
            true
        done
    read -r t b r < <(timed); add+=("$t"); bytes[add]=$b; rss[add]=$r
done
before=$(du -sb "$WORK/lake" | cut -f1)
"$BIN" maintain --table "$WORK/lake" --retain-hours 0 --allow-short-retention --compact --quiet
after=$(du -sb "$WORK/lake" | cut -f1)

f=$(printf '%s\n' "${full[@]}" | median); n=$(printf '%s\n' "${none[@]}" | median)
o=$(printf '%s\n' "${one[@]}" | median); a=$(printf '%s\n' "${add[@]}" | median)
printf 'records %s, threads %s, median of %s runs (%s cores, %s)\n' "$COUNT" "$THREADS" "$RUNS" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-22s %8s %10s %14s %14s\n' load seconds "of full" "bytes written" "peak RSS MiB"
printf '%-22s %8.3f %10s %14s %14s\n' "full (first) load" "$f" "1.000" "${bytes[full]}" "${rss[full]}"
printf '%-22s %8.3f %10s %14s %14s\n' "nothing changed" "$n" "$(ratio "$n" "$f")" "${bytes[none]}" "${rss[none]}"
printf '%-22s %8.3f %10s %14s %14s\n' "1 % changed" "$o" "$(ratio "$o" "$f")" "${bytes[one]}" "${rss[one]}"
printf '%-22s %8.3f %10s %14s %14s\n' "1 % added" "$a" "$(ratio "$a" "$f")" "${bytes[add]}" "${rss[add]}"
printf 'table storage after the 4 loads: %s bytes; after maintain --retain-hours 0 --compact: %s bytes\n' "$before" "$after"

#!/usr/bin/env bash
# Peak memory of pfocr-etl on the corpora that issue 14 found to blow up memory, printed as a
# small table. Each case is a corpus whose files are all within --max-record-bytes (16 MiB):
#
#   annotations   one 16 MB record whose `annotations` list holds 4 million short items
#   keys          one 16 MB record of 1.4 million distinct top-level keys
#   tsv_rows      one record whose 16 MB genes TSV holds 4 million short rows under a long header
#   many_1mb      512 records of 1 MB each (a long caption), at -j 1 and -j THREADS
#
# and prints, per case and thread count, the outcome (converted/rejected), wall seconds and
# peak RSS (GNU time's %M). The target of issue 14 is a peak under 200 MiB for every case.
#
# Usage: benches/rss.sh        (env: THREADS=2, BIN=<a built pfocr-etl> to skip the build)
set -euo pipefail

THREADS=${THREADS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
    # The feature set of the test suite and the other benches, so one binary serves them all.
    cargo build --release --quiet --features delta,dev --manifest-path "$root/Cargo.toml" --bin pfocr-etl
fi
bin=${BIN:-$root/target/release/pfocr-etl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfocr-rss.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

# make_case NAME: writes the corpus $tmp/NAME.
make_case() {
    local dir=$tmp/$1
    mkdir -p "$dir/_figures" "$dir/_data"
    python3 - "$1" "$dir" <<'PY'
import sys
name, d = sys.argv[1], sys.argv[2]
limit = 16 << 20
if name == "annotations":
    with open(f"{d}/_figures/a.md", "w") as f:
        f.write("---\nfigid: a\nannotations:\n" + "- a\n" * 4_000_000 + "---\n")
elif name == "keys":
    lines, n, size = ["---\n", "figid: k\n"], 0, 20
    while size < limit - 64:
        l = f"k{n:07}: v\n"; lines.append(l); size += len(l); n += 1
    lines.append("---\n")
    open(f"{d}/_figures/k.md", "w").write("".join(lines))
elif name == "tsv_rows":
    open(f"{d}/_figures/t.md", "w").write("---\nfigid: t\n---\n")
    header = "word\t" + "n" * 1000 + "\n"
    rows = (limit - len(header) - 16) // 3
    open(f"{d}/_data/t-genes.tsv", "w").write(header + "a\t\n" * rows)
elif name == "many_1mb":
    caption = "x" * ((1 << 20) - 64)
    for i in range(512):
        open(f"{d}/_figures/r{i:04}.md", "w").write(f"---\nfigid: r{i}\ncaption: {caption}\n---\n")
PY
}

printf '%-12s %-4s %-28s %8s %10s\n' case "-j" outcome "wall s" "peak MiB"
for case in annotations keys tsv_rows many_1mb; do
    make_case "$case"
    for j in 1 "$THREADS"; do
        out=$tmp/out-$case-$j
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" convert "$tmp/$case" --out "$out" -j "$j" --quiet
        t1=$(date +%s%N)
        kib=$(tail -n1 "$tmp/rss")
        outcome=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(f"{m[\"converted\"]} converted, {m[\"rejected\"]} rejected")' "$out/_manifest.json")
        printf '%-12s %-4s %-28s %8.2f %10.1f\n' "$case" "$j" "$outcome" \
            "$(awk "BEGIN { print ($t1 - $t0) / 1e9 }")" "$(awk "BEGIN { print $kib / 1024 }")"
        [[ "$j" == "$THREADS" ]] && break
    done
    rm -rf "$tmp/$case" "$tmp"/out-"$case"-*
done

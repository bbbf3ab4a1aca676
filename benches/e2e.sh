#!/usr/bin/env bash
# End-to-end benchmark of pfocr-etl on a generated corpus, printed as a small table.
#
# Builds the release binary, generates COUNT records (seed SEED) into a temp dir, then times
# (median of RUNS warm-cache runs, after one warm-up run each):
#   convert -j THREADS, convert -j 1, parse-floor (shipped reader and saphyr) -j THREADS,
#   check -j THREADS (same decoding as convert, nothing written), export gmt and
#   export jsonl of the convert output (target: each < 1 s at 20,000 records on 2 cores),
#   and the Python baseline benches/py_convert.py with THREADS workers;
# and prints records/s, MB/s (input bytes / wall), peak RSS and the ratios
# python/convert, convert/floor and 1-thread/2-thread. With SCALE=1 it also converts
# SCALE_COUNT records and compares the peak RSS with the COUNT run.
#
# Usage: benches/e2e.sh            (env: RUNS=5 COUNT=20000 SEED=1 THREADS=2 PYTHON_BASELINE=1 BIN=
#                                    SCALE=0 SCALE_COUNT=200000 PYTHON=<python with pyyaml+pyarrow>)
# Peak RSS is GNU time's %M (for the Python baseline: its largest process, not the sum).
set -euo pipefail

RUNS=${RUNS:-5}
COUNT=${COUNT:-20000}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
PYTHON_BASELINE=${PYTHON_BASELINE:-1}
SCALE=${SCALE:-0}
SCALE_COUNT=${SCALE_COUNT:-200000}

root=$(cd "$(dirname "$0")/.." && pwd)
# BIN=<an already built pfocr-etl with the `dev` feature> skips the build.
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --features delta,dev --manifest-path "$root/Cargo.toml" --bin pfocr-etl
fi
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/release/pfocr-etl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pfocr-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# calc EXPR [FORMAT]: floating-point arithmetic (awk; bc is not everywhere).
calc() { awk "BEGIN { printf \"${2:-%.6f}\", $1 }"; }

# The Python baseline's interpreter: $PYTHON, else a venv under target/ with its requirements.
python_for_baseline() {
    if [[ -n "${PYTHON:-}" ]]; then
        echo "$PYTHON"
        return
    fi
    local venv=$root/target/bench-venv
    if ! "$venv/bin/python" -c 'import yaml, pyarrow' 2>/dev/null; then
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --quiet -r "$root/benches/requirements.txt" >&2
    fi
    echo "$venv/bin/python"
}

# run_once CMD...: runs CMD quietly; prints "wall_seconds peak_rss_kib cpu_seconds" (user + sys).
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M true 2>/dev/null; then
    run_once() {
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/stderr" ||
            { cat "$tmp/stderr" >&2; return 1; }
        t1=$(date +%s%N)
        read -r kib user sys < <(tail -n1 "$tmp/rss")
        echo "$(calc "($t1 - $t0) / 1e9") $kib $(calc "$user + $sys")"
    }
else
    # No GNU time: Python's resource module gives the children's peak RSS (KiB on Linux;
    # it counts the forked interpreter's pages too, so small figures are an upper bound).
    run_once() {
        python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - t, r.ru_maxrss, r.ru_utime + r.ru_stime)
EOF
    }
fi

# measure CMD...: one warm-up run, then RUNS runs; prints the median of each run_once field.
measure() {
    run_once "$@" >/dev/null
    local i
    for ((i = 0; i < RUNS; i++)); do run_once "$@"; done >"$tmp/runs"
    local n=$(( (RUNS + 1) / 2 ))
    local f
    for f in 1 2 3; do cut -d' ' -f$f "$tmp/runs" | sort -g | sed -n "${n}p"; done | paste -sd' '

}

corpus_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }

corpus=$tmp/corpus
"$bin" generate --count "$COUNT" --seed "$SEED" --out "$corpus" >/dev/null 2>&1
bytes=$(corpus_bytes "$corpus")

declare -A wall rss cpu
row() { # key label
    printf '%-34s %8.3f %11.0f %8.1f %10.1f %8.2f\n' "$2" "${wall[$1]}" "$(calc "$COUNT / ${wall[$1]}")" \
        "$(calc "$bytes / ${wall[$1]} / 1e6")" "$(calc "${rss[$1]} / 1024")" "${cpu[$1]}"
}
take() { # key CMD...
    local key=$1 w r c
    shift
    read -r w r c < <(measure "$@")
    wall[$key]=$w
    rss[$key]=$r
    cpu[$key]=$c
}

take convert "$bin" convert "$corpus" --out "$tmp/out" -j "$THREADS" --quiet
take convert1 "$bin" convert "$corpus" --out "$tmp/out" -j 1 --quiet
# A generated corpus has rejects by design: check exits 1 there, which is its answer, not
# a failure of the bench (it still prints every reject, to /dev/null).
take check sh -c '"$0" check "$1" -j "$2" --quiet >/dev/null; [ $? -le 1 ]' "$bin" "$corpus" "$THREADS"
take gmt "$bin" export gmt "$tmp/out" --out "$tmp/gmt" --quiet
take jsonl "$bin" export jsonl "$tmp/out" --out "$tmp/figures.jsonl" --quiet
take floor "$bin" parse-floor "$corpus" -j "$THREADS"
take saphyr "$bin" parse-floor "$corpus" -j "$THREADS" --parser saphyr
if [[ "$PYTHON_BASELINE" == 1 ]]; then
    py=$(python_for_baseline)
    take python "$py" "$root/benches/py_convert.py" "$corpus" --out "$tmp/py-out" --workers "$THREADS"
fi

echo
echo "pfocr-etl end to end: $COUNT records (seed $SEED), $(calc "$bytes / 1e6" %.1f) MB, median of $RUNS warm runs"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-34s %8s %11s %8s %10s %8s\n' "step" "wall s" "records/s" "MB/s" "RSS MiB" "CPU s"
row convert "convert -j $THREADS"
row convert1 "convert -j 1"
row check "check -j $THREADS"
row gmt "export gmt (of the convert output)"
row jsonl "export jsonl (of the convert output)"
row floor "parse-floor (shipped) -j $THREADS"
row saphyr "parse-floor (saphyr) -j $THREADS"
[[ -n "${wall[python]:-}" ]] && row python "python baseline ($THREADS workers)"
echo
ratio() { calc "$1 / $2" %.2f; }
[[ -n "${wall[python]:-}" ]] && echo "python / convert:         $(ratio "${wall[python]}" "${wall[convert]}")x   (target >= 10)"
echo "convert / floor:          $(ratio "${wall[convert]}" "${wall[floor]}")x   (target <= 1.25)"
echo "1-thread / $THREADS-thread:      $(ratio "${wall[convert1]}" "${wall[convert]}")x   (target >= 1.8)"
echo "check / convert:          $(ratio "${wall[check]}" "${wall[convert]}")x   (target <= 1)"
echo "export gmt, jsonl:        $(calc "${wall[gmt]}" %.2f) s, $(calc "${wall[jsonl]}" %.2f) s   (target < 1 s each; jsonl $(calc "$(stat -c %s "$tmp/figures.jsonl") / 1e6" %.0f) MB)"
echo "(CPU s is user + sys: the work done, which other load on the machine inflates less than wall time)"

if [[ "$SCALE" == 1 ]]; then
    rm -rf "$tmp/out" "$tmp/py-out"
    big=$tmp/corpus-big
    "$bin" generate --count "$SCALE_COUNT" --seed "$SEED" --out "$big" >/dev/null 2>&1
    read -r w r _ < <(RUNS=1 measure "$bin" convert "$big" --out "$tmp/out" -j "$THREADS" --quiet)
    echo
    echo "peak RSS, convert -j $THREADS: $COUNT records $(calc "${rss[convert]} / 1024" %.1f) MiB," \
        "$SCALE_COUNT records $(calc "$r / 1024" %.1f) MiB ($(calc "($r / ${rss[convert]} - 1) * 100" %+.1f)%;" \
        "wall $(calc "$w" %.2f) s, $(calc "$SCALE_COUNT / $w" %.0f) records/s)"
fi

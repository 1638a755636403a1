#!/usr/bin/env bash
# Whole-run benchmark of `learncircle coverage` (docs/PERFORMANCE.md).
#
# Cases: the synthetic cities of 10 k, 100 k and 1 M walkable nodes (seed 42), the
# Helsinki sample (data/helsinki) and central Chengdu (OSM XML, sites from its tags,
# a uniform 100 m grid). For each: median wall time (hyperfine), then one run under
# /usr/bin/time -v with --timings for the stage times and the peak RSS. The load
# average is recorded with every case: the numbers mean little on a busy machine.
#
# Needs: cargo, hyperfine, GNU time (/usr/bin/time), python3 with numpy and osmium
# (pip install numpy osmium) to generate the synthetic cities, and the shared
# checkout beside this repository:
#   ../shared/tools/synth_city.py           synthetic city generator (seeded)
#   ../shared/data/chengdu-osm-center/      Chengdu OSM extract
# Generated data goes to $BENCH_DATA (default ../bench-data), never into the repo.
#
# Usage: bench/run.sh [CASE...]      CASE: s10000 s100000 s1000000 helsinki chengdu
# Env:   BENCH_DATA, SHARED (default ../shared), RUNS (hyperfine runs, default 5),
#        THREADS (passed as --threads when set), BIN (a learncircle binary to time
#        instead of building this checkout, e.g. an older release for comparison).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
data=${BENCH_DATA:-$repo/../bench-data}
runs=${RUNS:-5}
bin=${BIN:-$repo/target/release/learncircle}
mkdir -p "$data/results"
stamp=$(date +%Y%m%d-%H%M%S)
report=$data/results/bench-$stamp.md

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(s10000 s100000 s1000000 helsinki chengdu)

[ -n "${BIN:-}" ] || (cd "$repo" && cargo build --release --quiet)

synth() { # nodes → directory with city.osm.pbf grid.csv sites.csv meta.json
    local n=$1 dir=$data/synth-$1
    if [ ! -f "$dir/meta.json" ]; then
        local gen=$shared/tools/synth_city.py
        [ -f "$gen" ] || { echo "missing $gen (the shared tools checkout)" >&2; exit 1; }
        if ! python3 -c 'import numpy, osmium' 2>/dev/null; then
            echo "synth_city.py needs numpy and osmium: installing them with pip (--user)" >&2
            python3 -m pip install --user --quiet numpy osmium >&2 || {
                echo "pip install failed: run 'python3 -m pip install numpy osmium' (or in a venv) and retry" >&2
                exit 1
            }
        fi
        python3 "$gen" --nodes "$n" --seed 42 --out "$dir" >&2
    fi
    echo "$dir"
}

chengdu() { # sites from the OSM tags, uniform 100 m grid over the extract's bounds
    local src=$shared/data/chengdu-osm-center dir=$data/chengdu
    mkdir -p "$dir"
    [ -f "$dir/sites.csv" ] || "$bin" sites --osm "$src/chengdu_center_2018.osm" --with-education \
        --out "$dir/sites.csv" >&2
    [ -f "$dir/grid.csv" ] || "$bin" grid --bbox 104.0421,30.6528,104.1296,30.7279 --cell-m 100 \
        --density-per-km2 10000 --out "$dir/grid.csv" >&2
    echo "$dir"
}

args_of() { # case → coverage arguments (without --out)
    case $1 in
        s*)
            local d
            d=$(synth "${1#s}")
            echo "--sites $d/sites.csv --population $d/grid.csv --network $d/city.osm.pbf --threshold-m 1000"
            ;;
        helsinki)
            local d=$repo/data/helsinki
            echo "--sites $d/sites.csv --population $d/population.geojson --network $d/Helsinki.osm.pbf --config $d/learncircle.toml"
            ;;
        chengdu)
            local d
            d=$(chengdu)
            echo "--sites $d/sites.csv --population $d/grid.csv --network $shared/data/chengdu-osm-center/chengdu_center_2018.osm --threshold-m 1000"
            ;;
        *) echo "unknown case $1" >&2; exit 2 ;;
    esac
}

{
    echo "# learncircle coverage benchmark, $stamp"
    echo
    echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
    echo "- rustc: $(rustc --version)"
    echo "- binary: $bin ($("$bin" --version)); checkout $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' (dirty)')"
    echo
    echo "| case | nodes | cells | wall median s | wall min–max s | CPU s (user+sys) | peak RSS MB | read network s | distances+coverage s | gaps (zones + outlines) s | write outputs s | total s (timed run) | load avg |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} > "$report"

for c in "${cases[@]}"; do
    a=$(args_of "$c")
    out=$data/results/out-$c
    threads=${THREADS:+--threads $THREADS}
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    # shellcheck disable=SC2086
    hyperfine --warmup 1 --runs "$runs" --export-json "$data/results/$c-$stamp.json" \
        "$bin coverage $a $threads --out $out" >&2
    # shellcheck disable=SC2086
    /usr/bin/time -v "$bin" coverage $a $threads --out "$out" --timings \
        > "$data/results/$c-$stamp.timings" 2> "$data/results/$c-$stamp.time"
    python3 - "$c" "$data/results/$c-$stamp.json" "$data/results/$c-$stamp.time" \
        "$out/summary.json" "$load" >> "$report" <<'PY'
import json, re, sys
case, hf, tv, summ, load = sys.argv[1:]
r = json.load(open(hf))["results"][0]
t = open(tv).read()
rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([0-9.]+)", t).group(1)) for k in ("User", "System"))
s = json.load(open(summ))
ms = {x["stage"]: x["ms"] / 1000 for x in s["timings_ms"]}
nodes = (s.get("network") or {}).get("nodes", "")
cells = s["inputs"]["cells"]
print(f"| {case} | {nodes} | {cells} | {r['median']:.2f} | {r['min']:.2f}–{r['max']:.2f} | {cpu:.2f} | {rss_mb:.0f} "
      f"| {ms.get('read network', 0):.2f} | {ms.get('distances and coverage', 0):.2f} "
      f"| {ms.get('gap zones', 0) + ms.get('gap outlines', 0):.2f} "
      f"| {sum(v for k, v in ms.items() if k.startswith('write')):.2f} | {ms.get('total', 0):.2f} | {load} |")
PY
done
cat "$report"
echo "report: $report" >&2

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
#
# Anchors side by side: bench/run.sh --anchors [CASE...]   (default: s100000 s1000000;
# synthetic cases only). Runs, back to back on the same inputs, learncircle coverage
# (default outputs, --threshold-m 1000), the exact scipy multi-source Dijkstra script
# (bench/anchors/scipy_dijkstra.py) and, when importable, pyrosm + pandana
# (bench/anchors/pandana_anchor.py), each under /usr/bin/time -v: ARUNS runs
# (default 3) for learncircle and scipy, PANDANA_RUNS (default 1) for pandana. Prints
# a table of median wall time, peak RSS, the ratios anchor ÷ learncircle and the
# anchor's agreement with learncircle's cells.csv (bench/anchors/compare.py), with the
# load average before each tool. Anchors' Python: ANCHOR_PY (default
# ../venv-anchors/bin/python, else python3), set up with
#   python3 -m venv ../venv-anchors
#   ../venv-anchors/bin/pip install -r bench/anchors/requirements-pandana.txt
# (or requirements.txt for the scipy anchor only).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
data=${BENCH_DATA:-$repo/../bench-data}
runs=${RUNS:-5}
bin=${BIN:-$repo/target/release/learncircle}
mkdir -p "$data/results"
stamp=$(date +%Y%m%d-%H%M%S)
report=$data/results/bench-$stamp.md

anchors=0
if [ "${1:-}" = --anchors ]; then anchors=1; shift; fi
cases=("$@")
if [ $anchors = 1 ]; then
    [ ${#cases[@]} -gt 0 ] || cases=(s100000 s1000000)
else
    [ ${#cases[@]} -gt 0 ] || cases=(s10000 s100000 s1000000 helsinki chengdu)
fi

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

if [ $anchors = 1 ]; then
    py=${ANCHOR_PY:-$repo/../venv-anchors/bin/python}
    [ -x "$py" ] || py=python3
    adir=$repo/bench/anchors
    "$py" -c 'import numpy, scipy, pandas, osmium, pyproj' 2>/dev/null || {
        echo "$py lacks the scipy anchor's packages: pip install -r bench/anchors/requirements.txt" >&2
        exit 1
    }
    pandana_ok=1
    pandana_why=$("$py" -c 'import pandana, pyrosm' 2>&1 | tail -n 1) || pandana_ok=0
    [ -z "$pandana_why" ] || pandana_ok=0
    report=$data/results/anchors-$stamp.md
    {
        echo "# learncircle vs anchors, $stamp"
        echo
        echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem/ {print $2}') GB"
        echo "- learncircle: $bin ($("$bin" --version))"
        echo "- anchors: $("$py" --version), $("$py" -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)')"
        if [ $pandana_ok = 1 ]; then
            echo "- $("$py" -c 'import pandana, pyrosm; print("pandana", pandana.__version__, "pyrosm", pyrosm.__version__)')"
        else
            echo "- pandana: not importable ($pandana_why)"
        fi
        echo "- runs: learncircle and scipy ${ARUNS:-3} each, pandana ${PANDANA_RUNS:-1}; wall = median (min–max), RSS = max over runs"
        echo
        echo "| case | tool | wall s | peak RSS MB | wall ÷ learncircle | RSS ÷ learncircle | distances within 1 m of learncircle | load avg before |"
        echo "|---|---|---:|---:|---:|---:|---:|---|"
    } > "$report"
    measure() { # label runs outdir cmd... → "median min max rss_mb load"
        local label=$1 n=$2 tdir=$3
        shift 3
        local load
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        for i in $(seq "$n"); do
            echo "  $label run $i/$n" >&2
            /usr/bin/time -v "$@" > "$tdir/$label.out" 2> "$tdir/$label-$i.time" ||
                { tail -n 30 "$tdir/$label-$i.time" >&2; exit 1; }
        done
        python3 - "$n" "$load" "$tdir/$label" <<'PY'
import re, statistics, sys
n, load, pre = int(sys.argv[1]), sys.argv[2], sys.argv[3]
walls, rss = [], []
for i in range(1, n + 1):
    t = open(f"{pre}-{i}.time").read()
    parts = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", t).group(1).split(":")
    h, m, s = ([0, 0] + parts)[-3:]
    walls.append(int(h) * 3600 + int(m) * 60 + float(s))
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024)
print(statistics.median(walls), min(walls), max(walls), max(rss), load)
PY
    }
    for c in "${cases[@]}"; do
        case $c in
            s*) ;;
            *) echo "--anchors: synthetic cases only (s10000 s100000 s1000000), not $c" >&2; exit 2 ;;
        esac
        d=$(synth "${c#s}")
        tdir=$data/results/anchors-$c-$stamp
        mkdir -p "$tdir"
        echo "== $c" >&2
        read -r lw lmin lmax lr lload < <(measure learncircle "${ARUNS:-3}" "$tdir" "$bin" coverage \
            --sites "$d/sites.csv" --population "$d/grid.csv" --network "$d/city.osm.pbf" \
            --threshold-m 1000 --out "$tdir/learncircle" --quiet)
        printf '| %s | learncircle | %.2f (%.2f–%.2f) | %.0f | 1 | 1 | — | %s |\n' \
            "$c" "$lw" "$lmin" "$lmax" "$lr" "$lload" >> "$report"
        tools=(scipy)
        [ $pandana_ok = 1 ] && tools+=(pandana)
        for tool in "${tools[@]}"; do
            if [ "$tool" = scipy ]; then
                script=scipy_dijkstra.py n=${ARUNS:-3}
            else
                script=pandana_anchor.py n=${PANDANA_RUNS:-1}
            fi
            read -r w wmin wmax r load < <(measure "$tool" "$n" "$tdir" "$py" "$adir/$script" \
                --sites "$d/sites.csv" --population "$d/grid.csv" --network "$d/city.osm.pbf" \
                --threshold-m 1000 --out "$tdir/$tool.csv")
            "$py" "$adir/compare.py" "$tdir/learncircle/cells.csv" "$tdir/$tool.csv" > "$tdir/$tool.compare"
            agree=$(awk '$1 == "all" {print $4}' "$tdir/$tool.compare")
            printf '| %s | %s | %.2f (%.2f–%.2f) | %.0f | %.1f | %.1f | %s | %s |\n' "$c" "$tool" \
                "$w" "$wmin" "$wmax" "$r" "$(python3 -c "print($w / $lw)")" \
                "$(python3 -c "print($r / $lr)")" "$agree" "$load" >> "$report"
        done
    done
    cat "$report"
    echo "report: $report (per-run /usr/bin/time -v, outputs, compare tables: $data/results/anchors-*-$stamp/)" >&2
    exit 0
fi

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

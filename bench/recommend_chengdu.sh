#!/usr/bin/env bash
# Recommendation benchmark on the real Chengdu centre extract (issue 5):
# ≥ 10 k generated candidates (uncovered cell centres and network nodes in the
# gap zones), bounded Dijkstra per candidate, lazy greedy, k = 10 libraries.
#
#   bash bench/recommend_chengdu.sh            # needs ../shared/data and hyperfine
#
# Inputs: the extract's learning sites (`learncircle sites --with-education`)
# and a 100 m grid over the extract's <bounds> with a uniform 20,000 residents/km²
# (an assumption, the same for every cell: the benchmark measures the engine).
set -euo pipefail
cd "$(dirname "$0")/.."
OSM=../shared/data/chengdu-osm-center/chengdu_center_2018.osm
[ -f "$OSM" ] || { echo "missing $OSM: run with ../shared beside the repository" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release -q
B=target/release/learncircle
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
$B sites --osm "$OSM" --with-education --out "$W/sites.csv" --quiet
$B grid --bbox 104.0421,30.6528,104.1296,30.7279 --cell-m 100 --density-per-km2 20000 --out "$W/grid.csv"
CMD="$B recommend --sites $W/sites.csv --population $W/grid.csv --network $OSM --category library -k 10 --candidates-from both --out $W/rec --quiet"
$CMD
jq -c '{candidates: .candidates, unreachable: .candidates_unreachable, timings_ms: [.timings_ms[] | "\(.stage) \(.ms) ms"]}' "$W/rec/recommend.json" 2>/dev/null || true
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 1 --runs 10 --export-json "$W/h.json" "$CMD"
echo "median: $(jq '.results[0].median' "$W/h.json") s"
/usr/bin/time -f "peak RSS %M KB, wall %e s" $CMD

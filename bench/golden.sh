#!/usr/bin/env bash
# Golden outputs: run a fixed set of commands (every command, the main options, the
# demo, Helsinki, Chengdu, the synthetic 10k/100k cities) with one binary and keep
# every file written. Two binaries are byte-identical in behaviour when
#   bench/golden.sh OLD_BIN a/ && bench/golden.sh NEW_BIN b/ && bench/golden.sh --compare a/ b/
# reports no difference (JSON files compared without their timings_ms, HTML without
# the run directory's path and the time it was written).
#
# Inputs: the repository's data/, ../shared/data/chengdu-osm-center, the synthetic
# cities in $BENCH_DATA (default ../bench-data; made by bench/run.sh), and the small
# unit/planned files this script writes into the output directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
data=${BENCH_DATA:-$repo/../bench-data}

if [ "${1:-}" = "--compare" ]; then
    a=$2 b=$3
    python3 - "$a" "$b" <<'PY'
import json, os, re, sys, filecmp
a, b = sys.argv[1:]
def files(root):
    out = set()
    for d, _, fs in os.walk(root):
        for f in fs:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out
fa, fb = files(a), files(b)
bad = 0
for f in sorted(fa ^ fb):
    print("only in", a if f in fa else b, f); bad += 1
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k != "timings_ms"}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
def html(p, root):  # the report names its run directory and the time it was made
    t = open(p, encoding="utf-8").read().replace(os.path.abspath(root), "RUN")
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "TIME", t)
same = 0
for f in sorted(fa & fb):
    pa, pb = os.path.join(a, f), os.path.join(b, f)
    if f.endswith(".json"):
        ok = strip(json.load(open(pa))) == strip(json.load(open(pb)))
    elif f.endswith(".html"):
        ok = html(pa, a) == html(pb, b)
    else:
        ok = filecmp.cmp(pa, pb, shallow=False)
    if ok:
        same += 1
    else:
        print("differs", f); bad += 1
print(f"{same} files identical, {bad} differences")
sys.exit(1 if bad else 0)
PY
    exit $?
fi

bin=$(realpath "$1"); out=$2
rm -rf "$out"; mkdir -p "$out/in"; out=$(realpath "$out")
sh=$repo/data/shanghai hel=$repo/data/helsinki cd_osm=$shared/data/chengdu-osm-center/chengdu_center_2018.osm
# units: the Shanghai sample's box in four quarters; two planned sites
python3 - "$out/in" <<'PY'
import json, sys
d = sys.argv[1]
a, b, c, e = 121.485117, 31.288927, 121.520732, 31.31077
mx, my = (a + c) / 2, (b + e) / 2
boxes = [(a, b, mx, my), (mx, b, c, my), (a, my, mx, e), (mx, my, c, e)]
names = ["西南街道", "东南街道", "西北街道", "东北街道"]
fs = [{"type": "Feature", "properties": {"code": f"U{i}", "name": names[i]},
       "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}
      for i, (x0, y0, x1, y1) in enumerate(boxes)]
json.dump({"type": "FeatureCollection", "features": fs}, open(f"{d}/units_sh.geojson", "w"), ensure_ascii=False)
open(f"{d}/planned_sh.csv", "w").write(
    "id,name,category,lon,lat\np1,规划图书馆,library,121.502925,31.299849\np2,规划学校,school,121.488117,31.291927\n")
PY
log=$out/commands.log
run() { # name, then the command's arguments; exit code and stdout kept
    local name=$1; shift
    local code=0
    (cd "$out" && "$bin" "$@" > "$out/$name.stdout.log" 2> "$out/$name.stderr.txt") || code=$?
    echo "$name exit $code" >> "$log"
}
shc=(--sites "$sh/sites.csv" --population "$sh/population.csv" --network "$sh/fudan_wujiaochang_2023.osm" --config "$sh/learncircle.toml")
hec=(--sites "$hel/sites.csv" --population "$hel/population.geojson" --network "$hel/Helsinki.osm.pbf" --config "$hel/learncircle.toml")

run demo demo --report --out demo --quiet
run demo-helsinki demo --case helsinki --report en --out demo-helsinki --quiet
run sh-full coverage "${shc[@]}" --units in/units_sh.geojson --access 2sfca --service-areas \
    --format csv,geojson,gpkg --report --out sh-full --quiet
run sh-whatif coverage "${shc[@]}" --units in/units_sh.geojson --planned in/planned_sh.csv --report --out sh-whatif --quiet
run sh-straight coverage "${shc[@]}" --mode straight --units in/units_sh.geojson --out sh-straight --quiet
run sh-rec recommend "${shc[@]}" --category library -k 3 --out sh-rec --quiet
run sh-rec-exact recommend "${shc[@]}" --category school -k 2 --capacity 800 --exact --out sh-rec-exact --quiet
run sh-rec-on-run recommend "${shc[@]}" --category culture_centre -k 2 --out sh-whatif --quiet
run sh-report report --run sh-whatif --lang en --out sh-whatif/report-en.html
run hel coverage "${hec[@]}" --format csv,geojson,gpkg --access 2sfca --service-areas --out hel --quiet
run hel-net export-network --network "$hel/Helsinki.osm.pbf" --out hel-net.geojson
run sh-buildings population from-buildings --osm "$sh/fudan_wujiaochang_2023.osm" --total 150000 \
    --elderly-share 0.234 --out sh-buildings.csv
run sh-sites sites --osm "$sh/fudan_wujiaochang_2023.osm" --config "$sh/learncircle.toml" --out sh-sites.csv
run cd-sites sites --osm "$cd_osm" --with-education --out cd-sites.csv
run cd-grid grid --bbox 104.0421,30.6528,104.1296,30.7279 --cell-m 100 --density-per-km2 10000 --out cd-grid.csv
cdc=(--sites cd-sites.csv --population cd-grid.csv --network "$cd_osm" --threshold-m 1000)
run cd coverage "${cdc[@]}" --out cd --quiet
run cd-plan plan "${cdc[@]}" --tile-km 4 --out cd-tiles.json
n=$(python3 -c "import json;print(len(json.load(open('$out/cd-tiles.json'))['tiles']))")
for ((i = 0; i < n; i++)); do
    run "cd-tile$i" coverage "${cdc[@]}" --tiles cd-tiles.json --tile "$i" --out "cd-tiles/$i" --quiet
done
run cd-merge merge "$out"/cd-tiles/* --out cd-merged --quiet
for c in 10000 100000; do
    d=$data/synth-$c
    if [ -f "$d/grid.csv" ]; then
        run "s$c" coverage --sites "$d/sites.csv" --population "$d/grid.csv" --network "$d/city.osm.pbf" \
            --threshold-m 1000 --out "s$c" --quiet
    else
        echo "s$c skipped: no $d (bench/run.sh makes it)" >> "$log"
    fi
done
# stderr carries progress and paths: kept as .txt, not compared
find "$out" -name '*.stderr.txt' -delete
cat "$log"

#!/usr/bin/env bash
# Regenerate the derived Shanghai sample files with learncircle itself (run from the
# repository root; outputs are committed). See data/README.md for the figures used.
#
# * data/shanghai/sites.csv: learning sites of the OSM export, categories and the
#   [sites] exclude list (two mis-tagged dormitory gates) from learncircle.toml.
# * data/shanghai/population.csv: Yangpu District's 2020 census density (≈ 20,500 per
#   km²) × the OSM bounds, spread over residential floor area; elderly = Shanghai's
#   2020 census share of residents aged 60+ (23.38 %). An estimate.
set -euo pipefail
cd "$(dirname "$0")/../.."
run() { cargo run --quiet --release -- "$@"; }
run sites --osm data/shanghai/fudan_wujiaochang_2023.osm \
    --config data/shanghai/learncircle.toml --out data/shanghai/sites.csv
run population from-buildings --osm data/shanghai/fudan_wujiaochang_2023.osm \
    --bbox 121.4852,31.2904,121.5196,31.3102 --per-km2 20500 --elderly-share 0.2338 \
    --cell-m 100 --out data/shanghai/population.csv

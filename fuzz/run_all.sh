#!/usr/bin/env bash
# Runs every fuzz target for $SECONDS_EACH seconds (default 300), two at a time,
# and prints one line of stats per target (for docs/FUZZING.md).
# Usage, from the repository root:  bash fuzz/run_all.sh [SECONDS_EACH] [TARGET...]
# Needs cargo-fuzz and a nightly toolchain, or the stable one with
# RUSTC_BOOTSTRAP=1 (see docs/FUZZING.md); TOOLCHAIN=+nightly by default.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sites_csv population_csv geojson config osm_xml osm_pbf geotiff gpkg xlsx)
tc=${TOOLCHAIN-+nightly}
mkdir -p fuzz/logs
# Build once, then run the binaries (what `cargo fuzz run` does), so that editing
# the sources during a campaign does not trigger rebuilds.
cargo $tc fuzz build || exit 1
bin=fuzz/target/x86_64-unknown-linux-gnu/release
run() {
    local t=$1
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    "$bin/$t" -artifact_prefix="fuzz/artifacts/$t/" "fuzz/corpus/$t" "fuzz/seeds/$t" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        > "fuzz/logs/$t.log" 2>&1
    local rc=$?
    local execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "fuzz/logs/$t.log" | awk '{print $2}')
    local corpus=$(ls "fuzz/corpus/$t" | wc -l)
    echo "$t rc=$rc execs=${execs:-?} corpus=$corpus"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    [ $((i + 1)) -lt ${#targets[@]} ] && run "${targets[i + 1]}" &
    wait
done

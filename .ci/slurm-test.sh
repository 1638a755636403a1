#!/usr/bin/env bash
# Tile runs under a real Slurm scheduler (issue 15, Build 3; docs/CLUSTER.md).
#
# Starts a one-node Slurm cluster on localhost (Debian's slurm-wlm and munge,
# installed with apt-get when missing; daemons started by hand, no systemd, no
# cgroups: proctrack/linuxproc, task/none), then on the Chengdu centre case
# (sites from the OSM tags, a uniform 100 m grid, as in bench/run.sh):
#   1. a one-machine `learncircle coverage` run → single/
#   2. the two scripts of docs/CLUSTER.md, extracted from the page as written
#      (submit.sh: `plan`, the tile runs as `sbatch --array=0-(N-1)`, `merge` as a job
#      with --dependency=afterok), waits for the jobs, and
#   3. compares the merged out/ with single/ byte for byte (bench/golden.sh --compare:
#      every file; summary.json without timings_ms).
# Prints the job ids, the tile count, the state of every array task and the verdict;
# exits 1 on any difference or failed job, 2 on a setup failure. The daemons (and
# munged, when this script started it) are stopped at the end.
#
# Usage: .ci/slurm-test.sh BIN          (as root; BIN = a learncircle binary)
# Env:   SHARED (default ../shared beside the repository), TILE_KM (default 2: 25 tiles
#        of Chengdu), WORK (scratch directory, default a new /tmp/slurm-test.XXXXXX,
#        removed at the end unless KEEP=1), TIMEOUT_S (default 600).
# Takes ~1–2 min on 2 cores once the packages are installed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
tile_km=${TILE_KM:-2}
timeout_s=${TIMEOUT_S:-600}

[ $# -eq 1 ] || { echo "usage: $0 BIN" >&2; exit 2; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "slurm-test: $1 is not an executable learncircle binary" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-test: needs root (starts slurmd and munged)" >&2; exit 2; }
osm=$shared/data/chengdu-osm-center/chengdu_center_2018.osm
[ -f "$osm" ] || { echo "slurm-test: missing $osm (the shared data beside the repository)" >&2; exit 2; }

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
command -v jq >/dev/null || need+=(jq)
command -v osmium >/dev/null || need+=(osmium-tool)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"; } >/dev/null ||
        { echo "slurm-test: apt-get install ${need[*]} failed" >&2; exit 2; }
fi

work=${WORK:-$(mktemp -d /tmp/slurm-test.XXXXXX)}
mkdir -p "$work"/{slurm/state,slurm/spool,bin,run}
work=$(realpath "$work")
started_munge=0
cleanup() {
    set +e
    if [ -n "${SLURM_CONF:-}" ]; then
        for p in slurmd slurmctld; do
            [ -f "$work/slurm/$p.pid" ] && kill "$(cat "$work/slurm/$p.pid")" 2>/dev/null
        done
        sleep 1
    fi
    if [ "$started_munge" = 1 ] && [ -f /run/munge/munged.pid ]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "== munge"
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
    started_munge=1
    munge -n | unmunge >/dev/null || { echo "slurm-test: munged does not answer" >&2; exit 2; }
fi

echo "== slurm: one node on localhost"
node=$(slurmd -C | head -n 1)           # NodeName=… CPUs=… RealMemory=… as detected
host=$(hostname -s)
cat > "$work/slurm/slurm.conf" <<EOF
ClusterName=learncircle-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
state=
for _ in $(seq 60); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1) || true
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || {
    echo "slurm-test: node not idle after 60 s (state '$state'); logs:" >&2
    tail -n 20 "$work/slurm/slurmctld.log" "$work/slurm/slurmd.log" >&2
    exit 2
}
sinfo -N -o "%N %T %c %m"

echo "== inputs: Chengdu centre (sites from the OSM tags, uniform 100 m grid)"
ln -s "$bin" "$work/bin/learncircle"
export PATH=$work/bin:$PATH
cd "$work/run"
learncircle sites --osm "$osm" --with-education --out sites.csv --quiet
learncircle grid --bbox 104.0421,30.6528,104.1296,30.7279 --cell-m 100 --density-per-km2 10000 \
    --out grid.csv >/dev/null
export NETWORK=$osm SITES=sites.csv POPULATION=grid.csv CONFIG="--threshold-m 1000" TILE_KM=$tile_km

echo "== one machine"
# shellcheck disable=SC2086
learncircle coverage --sites "$SITES" --population "$POPULATION" --network "$NETWORK" $CONFIG \
    --out single --quiet

echo "== docs/CLUSTER.md scripts, as written"
python3 - "$repo/docs/CLUSTER.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for name in ("learncircle-tiles.sbatch", "submit.sh"):
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if f"# {name} " in b]
    if len(blocks) != 1:
        sys.exit(f"docs/CLUSTER.md: expected one ```bash block starting with '# {name}', found {len(blocks)}")
    open(name, "w").write(blocks[0])
PY
chmod +x submit.sh learncircle-tiles.sbatch
t0=$(date +%s)
submitted=$(./submit.sh)
echo "$submitted"
job=$(sed -n 's/.*array job \([0-9]*\).*/\1/p' <<<"$submitted")
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$submitted")
tiles=$(jq '.tiles | length' tiles.json)
[ -n "$job" ] && [ -n "$merge" ] || { echo "slurm-test: no job ids in submit.sh's output" >&2; exit 2; }

while [ -n "$(squeue -h -j "$job,$merge" -o %i 2>/dev/null)" ]; do
    if [ $(($(date +%s) - t0)) -gt "$timeout_s" ]; then
        echo "slurm-test: jobs still queued after $timeout_s s:" >&2
        squeue >&2
        scancel "$job" "$merge"
        exit 1
    fi
    sleep 2
done
wall=$(($(date +%s) - t0))

echo "== jobs"
states() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr '\n' ' '; }
echo "array job $job ($tiles tasks): $(states "$job")"
echo "merge job $merge: $(states "$merge")"
echo "submit to merged: ${wall} s"
failed=$(scontrol -o show job "$job" | grep -vc 'JobState=COMPLETED' || true)
failed=$((failed + $(scontrol -o show job "$merge" | grep -vc 'JobState=COMPLETED' || true)))
if [ "$failed" -gt 0 ] || [ ! -f out/summary.json ]; then
    echo "slurm-test: $failed job(s) did not complete; task logs:" >&2
    tail -n 5 logs/*.log >&2
    exit 1
fi

echo "== merged (Slurm) vs one machine"
if bash "$repo/bench/golden.sh" --compare single out; then
    echo "verdict: IDENTICAL — $tiles tiles of ${tile_km} km run as Slurm array job $job, merged by job $merge"
else
    echo "verdict: DIFFERENT — see the files listed above"
    exit 1
fi

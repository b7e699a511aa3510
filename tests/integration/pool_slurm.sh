#!/usr/bin/env bash
# The pool on a real Slurm cluster with accounting: `pool start` submits one
# pool job (sbatch), a second says a pool is there; a driver loop standing
# in for Dakota sends 20 batches of 8 through --pool: all values right,
# sacct shows that one pool job and no per-batch allocation, the median
# overhead per batch (client wall time minus its longest evaluation, both
# as recorded) at most 1 s; a real Dakota study through the same pool;
# `pool status`; `pool stop` drains it.
. "$(dirname "$0")/lib.sh"
BT_SLURM_ACCOUNTING=1 start_cluster 1 4
. "$(dirname "$0")/pool_lib.sh"
export PROBE_LOG="$T/probe.log"

expect 0 "$BATCHTILE" pool start "$POOL" -N 1 -t 10 --idle-exit 5m --cores 8 || finish
job=$(cat "$T/out")
[ -n "$job" ] && squeue -h -j "$job" >/dev/null || fail "pool start printed '$job', not a job"
grep -q "job $job will serve" "$T/err" || fail "pool start: $(cat "$T/err")"
expect 0 "$BATCHTILE" pool start "$POOL" -N 1 -t 10
grep -qE "a (live )?pool (for .* is )?already" "$T/out" || fail "a second pool start: $(cat "$T/out")"
ok "pool start: Slurm job $job; a second start says a pool is there"

# 20 batches of 8, one after another (Dakota's loop), each on 8 cores of
# the pool's node (--cores 8: the evaluations sleep, so that the longest
# evaluation is the batch's whole work and the rest is the pool's overhead)
: >"$T/overheads"
for i in $(seq 20); do
    mkdir it$i && batch 8 >it$i/b.in
    t0=$(date +%s.%N)
    (cd it$i && "$BATCHTILE" run --pool "$POOL" --no-progress -- probe --sleep 0.5 b.in r.out 2>err)
    rc=$?
    t1=$(date +%s.%N)
    [ $rc = 0 ] || fail "batch $i: exit $rc: $(tail -3 it$i/err)"
    (cd it$i && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "batch $i: values: $(cd it$i && probe_check values r.out)"
    grep -q "8 evaluations: 8 ok, 0 failed" it$i/err || fail "batch $i: the run's summary: $(tail -2 it$i/err)"
    python3 - "$t0" "$t1" it$i >>"$T/overheads" <<'PY'
import glob, json, sys
longest = max(json.load(open(f))['end'] - json.load(open(f))['start'] for f in glob.glob(sys.argv[3] + '/workdir.*/probe.0.json'))
print(f'{float(sys.argv[2]) - float(sys.argv[1]) - longest:.3f}')
PY
done
# the first client came before the pool's job had started: it said what it waited for
grep -q "waiting for the pool's allocation: Slurm job $job \(PENDING\|RUNNING\|CONFIGURING\)" it1/err ||
    echo "note: the pool was live before the first client: $(head -2 it1/err)"
median=$(sort -n "$T/overheads" | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
echo "overheads per batch (s): $(tr '\n' ' ' <"$T/overheads")"
awk -v m="$median" 'BEGIN{exit !(m <= 1.0)}' || fail "median overhead per batch ${median}s, over 1 s"
ok "20 batches of 8 through --pool: values right, median overhead ${median}s per batch"

# a real Dakota study through the same pool, where Dakota is installed
if DAKOTA=$(command -v dakota) || [ -n "${BT_DAKOTA:-}" ]; then
    DAKOTA=${BT_DAKOTA:-$DAKOTA}
    mkdir dak
    sed -e "s|analysis_driver = .*|analysis_driver = 'batchtile run --pool $POOL --no-progress -- probe'|" \
        -e 's/samples 80/samples 16/' "$BT_TESTS/../examples/local/dakota_sampling.in" >dak/study.in
    (cd dak && timeout 600 "$DAKOTA" -i study.in >out 2>err) || fail "dakota through the pool: $(tail -5 dak/err)"
    grep -q "16 evaluations: 16 ok, 0 failed" dak/err || fail "dakota: the batch's summary: $(tail -3 dak/err)"
    python3 - dak/dakota_tabular.dat <<'PY' || fail "dakota: the tabular values are not the probe's"
import sys
rows = [l.split() for l in open(sys.argv[1])][1:]
assert len(rows) == 16, len(rows)
for r in rows:
    xs = [float(v) for v in r[2:6]]
    assert abs(float(r[6]) - sum(xs)) < 1e-9, r
PY
    ok "a real Dakota study (16 samples) through --pool"
else
    echo "no dakota: the Dakota study is not run"
fi

# pool status: the job running, the server's host, its time left
expect 0 "$BATCHTILE" pool status "$POOL" && grep -q "job $job RUNNING" "$T/out" || fail "pool status: $(cat "$T/out")"
expect 0 "$BATCHTILE" pool status --json "$POOL" &&
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["live"] and j["jobs"][0]["id"] == sys.argv[2] and j["server"]["ends_at"] > 0, j' "$T/out" "$job" ||
    fail "pool status --json: $(cat "$T/out")"
ok "pool status (text and --json)"

# sacct: that one pool job and nothing else (no allocation per batch)
expect 0 "$BATCHTILE" pool stop "$POOL" || fail "pool stop"
for _ in $(seq 100); do squeue -h -j "$job" 2>/dev/null | grep -q . || break; sleep 0.3; done
jobs=$(sacct -n -X -P -S now-1hour -o JobID,JobName 2>/dev/null)
[ "$(echo "$jobs" | grep -c .)" = 1 ] && echo "$jobs" | grep -q "^$job|batchtile-pool-" ||
    fail "sacct must show the one pool job, found: $jobs"
ok "sacct: one pool job ($job), no per-batch allocation; pool stop ended it"

# no live pool, and DIR records how to start one: the next client starts
# it, says what it waits for, and finishes there
mkdir auto && batch 8 >auto/b.in
(cd auto && expect 0 timeout 300 "$BATCHTILE" run --pool "$POOL" --no-progress -- probe b.in r.out) &&
    grep_err "no live pool serves $POOL: started one, Slurm job" && grep_err "8 evaluations: 8 ok"
grep -q "waiting for the pool's allocation: Slurm job [0-9]* \(PENDING\|RUNNING\|CONFIGURING\|submitted\)" "$T/err" ||
    fail "the client did not say what it waited for: $(cat "$T/err")"
(cd auto && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "auto: values"
started=$(grep -o 'started one, Slurm job [0-9]*' "$T/err" | head -1)
expect 0 "$BATCHTILE" pool stop "$POOL"
ok "a client with no live pool started one (${started#started one, }) and finished there"
finish

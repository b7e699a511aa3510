#!/usr/bin/env bash
# The pool outlives its allocation (a real Slurm cluster with accounting):
# a 1-minute pool job started with --renew serves a batch of 60 evaluations
# of 4 s on 4 cores (a minute of work) that its clock cuts; it queues its
# successor (--dependency=singleton) before the end, the successor finishes
# the batch from its journal, and the client, which only waited, gets a
# complete, correct results file; no evaluation recorded ok in the first
# job runs again; sacct shows two pool jobs. The successor, idle, ends.
. "$(dirname "$0")/lib.sh"
BT_SLURM_ACCOUNTING=1 start_cluster 1 4
. "$(dirname "$0")/pool_lib.sh"
export PROBE_LOG="$T/probe.log"

expect 0 "$BATCHTILE" pool start "$POOL" -N 1 -t 1 --renew --idle-exit 10s --cores 4 || finish
job1=$(cat "$T/out")
mkdir b && batch 60 >b/b.in
(cd b && timeout 400 "$BATCHTILE" run --pool "$POOL" --no-progress -- probe --sleep 4 b.in r.out 2>err)
rc=$?
[ $rc = 0 ] || fail "the client: exit $rc: $(tail -5 b/err)"
grep -q "60 evaluations: 60 ok, 0 failed" b/err || fail "the batch's summary: $(tail -3 b/err)"
(cd b && probe_check values r.out | grep -q "^sections 60 wrong 0") || fail "values: $(cd b && probe_check values r.out)"
grep -q "the allocation ends in" b/err || fail "the first job's end was not said: $(head -20 b/err)"
grep -q "the pool serving .* stopped" b/err || fail "the client did not say the first pool stopped: $(cat b/err)"
python3 - b/batchtile.journal "$PROBE_LOG" <<'PY' || fail "an evaluation recorded ok before the end ran again"
import json, sys
runs, first_ok = 0, set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get('type') == 'run':
        runs += 1
    if runs == 1 and r.get('type') == 'eval' and r.get('final') and r['status'] == 'ok':
        first_ok.add(r['eval'])
assert runs >= 2, f'{runs} run(s) in the journal: the batch was not cut'
assert 0 < len(first_ok) < 60, len(first_ok)
done = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r.get('end'):
        e = int(str(r['eval']).split(':')[-1])
        done[e] = done.get(e, 0) + 1
again = [e for e in first_ok if done.get(e, 0) > 1]
assert not again, again
print(f'first job: {len(first_ok)} ok; the successor ran the rest')
PY
grep -q "successor is job" "$POOL/pool.log" || fail "the pool's log does not name the successor: $(cat "$POOL/pool.log")"
# the successor, idle, ends (--idle-exit 10s)
for _ in $(seq 200); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
[ -z "$(squeue -h 2>/dev/null)" ] || fail "the idle successor did not end: $(squeue)"
jobs=$(sacct -n -X -P -S now-1hour -o JobID,JobName,State 2>/dev/null)
[ "$(echo "$jobs" | grep -c "|batchtile-pool-")" = 2 ] || fail "sacct must show two pool jobs: $jobs"
[ "$(echo "$jobs" | grep -c .)" = 2 ] || fail "sacct: nothing but the two pool jobs: $jobs"
ok "the allocation's end cut the batch; the successor finished it; sacct: $(echo "$jobs" | tr '\n' ' ')"
finish

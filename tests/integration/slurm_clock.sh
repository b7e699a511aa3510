#!/usr/bin/env bash
# Real allocations on a real Slurm cluster started here: a 1-minute salloc
# and a 1-minute sbatch with 200 evaluations of 2-4 s end before the batch
# does; batchtile stops in time, says the allocation ended (exit 75),
# records the rest as not run (not as the simulation's failure), writes a
# complete results file, and a second allocation runs exactly the rest. An
# evaluation whose -t would outlive the allocation never starts. A node
# taken down mid-run: its evaluations run again on the others.
. "$(dirname "$0")/lib.sh"
start_cluster 3

# the first allocation's outcome: exit 75, not run (never FAIL of the
# simulation) in stderr, journal and report; a whole results file
check_first() { # DIR RC STDERR
    local dir=$1 rc=$2 err=$3
    [ "$rc" = 75 ] || fail "$dir: exit $rc, expected 75 (the allocation ended): $(tail -3 "$err")"
    grep -q "the allocation ends in .*evaluations not started, .* stopped; run the same command in a new allocation to finish them" "$err" ||
        fail "$dir: the allocation's end said: $(tail -3 "$err")"
    grep -q ': FAIL: ' "$err" && fail "$dir: no evaluation may be reported as the simulation's failure: $(grep -m3 ': FAIL: ' "$err")"
    [ "$(sections r1.out)" = 200 ] || fail "$dir: the results file must have 200 sections"
    python3 - <<'PY' || fail "$dir: journal"
import json
final = {}
for l in open('batchtile.journal'):
    r = json.loads(l)
    if r.get('type') == 'eval' and r.get('final'):
        final[r['eval']] = r['status']
assert len(final) == 200, len(final)
assert set(final.values()) <= {'ok', 'not_run'}, set(final.values())
assert 0 < list(final.values()).count('not_run') < 200, final
fails = open('r1.out').read().count('FAIL')
assert fails == list(final.values()).count('not_run'), (fails,)
PY
    "$BATCHTILE" report --json >report.json 2>/dev/null
    python3 -c 'import json; r = json.load(open("report.json")); assert r["failed"] == 0 and r["not_run"] > 0, r' ||
        fail "$dir: the report must say not run, not failed: $(cat report.json | head -c 300)"
}
# the second allocation ran exactly what the first did not finish
check_second() { # DIR RC STDERR
    local dir=$1 rc=$2 err=$3
    [ "$rc" = 0 ] || fail "$dir: the second allocation: exit $rc: $(tail -3 "$err")"
    python3 - <<'PY' || fail "$dir: the second allocation must run exactly the rest"
import json
first_ok = set()
runs = 0
for l in open('batchtile.journal'):
    r = json.loads(l)
    if r.get('type') == 'run':
        runs += 1
    if runs == 1 and r.get('type') == 'eval' and r.get('final') and r['status'] == 'ok':
        first_ok.add(r['eval'])
ran2 = [json.loads(l)['eval'] for l in open('log2')]
ran2 = [int(str(e).split(':')[-1]) for e in ran2]
assert len(ran2) == len(set(ran2)), 'an evaluation ran twice in the second allocation'
assert set(ran2) == set(range(1, 201)) - first_ok, (sorted(set(ran2) ^ (set(range(1, 201)) - first_ok)))[:10]
PY
    out=$(probe_check values r2.out) && echo "$out" | grep -q "^sections 200 wrong 0" ||
        fail "$dir: values after the second allocation: $out"
}

# ---- a 1-minute salloc ------------------------------------------------------------
mkdir salloc && cd salloc || exit 1
batch 200 --sleep-uniform 2:4 --seed 7 >b.in
PROBE_LOG=$PWD/log1 timeout 200 salloc -N3 --exclusive -t 1 -Q batchtile run -- probe b.in r1.out 2>err1
check_first salloc $? err1
PROBE_LOG=$PWD/log2 timeout 300 salloc -N3 --exclusive -Q batchtile run -- probe b.in r2.out 2>err2
check_second salloc $? err2
cd ..
ok "a 1-minute salloc: exit 75, the rest not run; a second allocation ran exactly the rest"

# ---- a 1-minute sbatch -------------------------------------------------------------
mkdir sbatch && cd sbatch || exit 1
batch 200 --sleep-uniform 2:4 --seed 8 >b.in
cat >job.sh <<'SH'
#!/bin/bash
batchtile run -- probe b.in "$OUT" 2>"$ERR"
SH
PROBE_LOG=$PWD/log1 OUT=r1.out ERR=err1 timeout 200 sbatch --wait -N3 --exclusive -t 1 -o job1.out job.sh >/dev/null 2>&1
rc=$?
[ "$rc" = 75 ] || fail "sbatch: the job's exit status $rc (sbatch --wait passes the script's)"
check_first sbatch 75 err1
PROBE_LOG=$PWD/log2 OUT=r2.out ERR=err2 timeout 300 sbatch --wait -N3 --exclusive -o job2.out job.sh >/dev/null 2>&1
check_second sbatch $? err2
cd ..
ok "a 1-minute sbatch: exit 75, the rest not run; a second job ran exactly the rest"

# ---- a time limit longer than the allocation: never started ------------------------
mkdir long && cd long || exit 1
batch 4 >b.in
PROBE_LOG=$PWD/log timeout 120 salloc -N1 --exclusive -t 2 -Q batchtile run -t 5m -- probe b.in r.out 2>err
rc=$?
[ $rc = 75 ] || fail "-t 5m in 2 minutes: exit $rc: $(cat err)"
[ -e log ] && fail "-t 5m in an allocation of 2 minutes: nothing may start ($(wc -l <log) did)"
grep -q "before -t 300s would" err || fail "-t 5m: the reason: $(cat err)"
[ "$(sections r.out)" = 4 ] || fail "-t 5m: the results file"
cd ..
ok "-t 5m with 2 minutes left: never started, exit 75"

# ---- a node taken down while evaluations run on it ----------------------------------
mkdir down && cd down || exit 1
batch 18 --sleep 4 >b.in
timeout 200 salloc -N3 --exclusive --no-kill -Q batchtile run -- probe b.in r.out 2>err &
pid=$!
for _ in $(seq 100); do
    [ "$(grep -l '"SLURMD_NODENAME": *"node2"' workdir.*/probe.0.json 2>/dev/null | wc -l)" -ge 1 ] && break
    sleep 0.2
done
scontrol update nodename=node2 state=down reason=batchtile-test
wait $pid; rc=$?
scontrol update nodename=node2 state=resume >/dev/null 2>&1
[ $rc = 0 ] || fail "node down: exit $rc: $(cat err)"
grep -q "node node2 failed" err || fail "node down: said: $(cat err)"
grep -q ': FAIL: ' err && fail "node down: no evaluation may FAIL: $(grep ': FAIL: ' err)"
python3 - <<'PY' || fail "node down: re-run on the other nodes with correct values"
import json, os, runpy
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('r.out').read())
assert len(secs) == 18 and not any('FAIL' in s for s in secs), secs
spoiled = [json.loads(l) for l in open('batchtile.journal') if '"not_run"' in l]
assert spoiled and all(not r['final'] for r in spoiled), spoiled
for r in spoiled:
    rec = json.load(open(f"workdir.{r['eval']}/probe.0.json"))
    assert rec.get('SLURMD_NODENAME') in ('node1', 'node3'), rec   # its re-run
PY
out=$(probe_check values r.out) && echo "$out" | grep -q "^sections 18 wrong 0" ||
    fail "node down: values: $out"
cd ..
ok "a node taken down mid-run: its evaluations ran again on the others, none failed"
finish

#!/usr/bin/env bash
# The Flux backend in a real Flux instance (flux start --test-size=3): one
# Flux job per evaluation, spread over the brokers; MPI through Flux's PMI;
# time limits enforced by Flux; SIGTERM cancels what is outstanding. Skips
# where batchtile was built without flux-core.
. "$(dirname "$0")/lib.sh"
flux_setup

cat >inside.sh <<'SH'
#!/usr/bin/env bash
# runs inside the instance; prints what the outer script checks
set -u
cd "$1"
batchtile resources
mkdir spread && cd spread
python3 "$BT_TESTS/integration/make_batch.py" 12 --sleep 0.5 >batch.in
batchtile run --launch steps -- probe batch.in results.out 2>err; echo "spread rc=$?"
flux jobs -a -n -o '{name} {result}' | grep -c '^batchtile\.eval\.[0-9]* COMPLETED' | sed 's/^/jobs /'
cd ..
mkdir mpi && cd mpi
python3 "$BT_TESTS/integration/make_batch.py" 3 --asv 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >batch.in
batchtile run --launch steps -n 2 -- text_book_par batch.in results.out 2>err; echo "mpi rc=$?"
cd ..
mkdir limit && cd limit
python3 "$BT_TESTS/integration/make_batch.py" 3 --modes ok,hang,ok >batch.in
batchtile run -t 2s -- probe batch.in results.out 2>err; echo "limit rc=$?"
cd ..
mkdir term && cd term
python3 "$BT_TESTS/integration/make_batch.py" 20 --modes hang >batch.in
batchtile run -- probe batch.in results.out 2>err &
pid=$!
for _ in $(seq 100); do
    [ "$(ls workdir.*/probe.0.json 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.2
done
kill -TERM $pid; wait $pid; echo "term rc=$?"
sleep 2
echo "left $(flux jobs -n -o '{id}' | wc -l)"
cd ..
# --rules: levels 0 and 1 tiled in a one-node allocation (flux alloc), level
# 2 submitted to the enclosing instance (flux --parent submit)
mkdir rules && cd rules
python3 "$BT_TESTS/integration/make_batch.py" 6 --levels 0,1,2 --sleep 0.5 >batch.in
printf 'level == 2 -> submit -N 2 -n 2\nlevel == 1 -> tile -n 2\n' >rules.txt
before=$(flux jobs -a -n -o '{name} {result}' | grep -c '^batchtile.eval.[36] COMPLETED')
flux alloc -N1 batchtile run --rules rules.txt -- probe batch.in results.out 2>err; echo "rules rc=$?"
echo "submitted $(($(flux jobs -a -n -o '{name} {result}' | grep -c '^batchtile.eval.[36] COMPLETED') - before))"
cd ..
# the clock: a 1-minute allocation (flux alloc -t) with more work than that;
# batchtile reads its end through flux_job_timeleft
mkdir clock && cd clock
python3 "$BT_TESTS/integration/make_batch.py" 60 --sleep-uniform 2:4 --seed 3 >batch.in
flux alloc -N1 -t 1m batchtile run -- probe batch.in results.out 2>err; echo "clock rc=$?"
cd ..
# an evaluation whose -t would outlive the allocation never starts
mkdir long && cd long
python3 "$BT_TESTS/integration/make_batch.py" 4 >batch.in
PROBE_LOG=$PWD/log flux alloc -N1 -t 1m batchtile run -t 5m -- probe batch.in results.out 2>err; echo "long rc=$?"
SH
chmod +x inside.sh
timeout 300 "$BT_FLUX" start --test-size=3 bash "$T/inside.sh" "$T" >inside.out 2>&1
cat inside.out

grep -q "^flux *3 " inside.out || fail "resources: 3 ranks expected"
grep -q "spread rc=0" inside.out || fail "spread run: $(cat spread/err)"
python3 - <<'PY' || fail "results in batch order"
import runpy, os
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('spread/results.out').read())
assert len(secs) == 12, len(secs)
for e, sec in enumerate(secs, 1):
    lines = open(f'spread/workdir.{e}/params.in').read().split('\n')
    nv = int(lines[0].split()[0])
    want = sum(float(l.split()[0]) for l in lines[1:1 + nv])   # the probe's value
    assert abs(float(sec.split()[0]) - want) < 1e-12, (e, sec, want)
PY
uris=$(python3 -c '
import glob, json
print(len({json.load(open(f))["FLUX_URI"] for f in glob.glob("spread/workdir.*/probe.0.json")}))')
[ "$uris" = 3 ] || fail "evaluations ran on $uris brokers, expected all 3"
grep -q "^jobs 12$" inside.out || fail "expected one Flux job per evaluation (12)"
ok "12 evaluations as 12 Flux jobs over 3 brokers"

grep -q "mpi rc=0" inside.out && $CHECK mpi/batch.in mpi/results.out || fail "-n 2 text_book_par: $(cat mpi/err)"
grep -q "rank 1 of 2" mpi/workdir.1/stdout.txt || fail "2 ranks: $(cat mpi/workdir.1/stdout.txt)"
ok "-n 2 text_book_par through Flux's PMI"

grep -q "limit rc=0" inside.out || fail "limit run"
grep -q "evaluation 2 (workdir.2): FAIL: time limit 2s exceeded" limit/err || fail "time limit: $(cat limit/err)"
[ "$(grep -c '^FAIL' limit/results.out)" = 1 ] || fail "time limit: one FAIL"
ok "time limit"

grep -q "term rc=143" inside.out || fail "SIGTERM: exit 143"
[ "$(grep -c '^FAIL' term/results.out)" = 20 ] || fail "SIGTERM: 20 FAIL sections"
grep -q "^left 0$" inside.out || fail "SIGTERM: jobs left in the queue"
ok "SIGTERM cancels the outstanding jobs"
grep -q "rules rc=0" inside.out || fail "--rules under Flux: $(cat rules/err)"
grep -q "^submitted 2$" inside.out || fail "--rules under Flux: level 2 as 2 jobs of the enclosing instance: $(grep submitted inside.out)"
[ -f rules/workdir.3/probe.1.json ] || fail "--rules under Flux: the submitted job had 2 tasks"
ok "--rules under Flux: level 2 submitted to the enclosing instance"
grep -q "clock rc=75" inside.out || fail "flux alloc -t 1m: exit 75 expected: $(cat clock/err)"
grep -q "evaluations not started, .* stopped; run the same command in a new allocation" clock/err ||
    fail "flux clock: $(cat clock/err)"
grep -q ': FAIL: ' clock/err && fail "flux clock: nothing is the simulation's failure: $(cat clock/err)"
[ "$(sections clock/results.out)" = 60 ] || fail "flux clock: 60 sections"
# the pool, not Flux's queue, holds what has no room yet: those never start
grep -q "[1-9][0-9]* evaluations not started" clock/err ||
    fail "flux clock: what had no room yet is not started (not submitted): $(cat clock/err)"
python3 - <<'PY' || fail "flux clock: the journal"
import json
final = [json.loads(l) for l in open('clock/batchtile.journal')]
final = [r for r in final if r.get('type') == 'eval' and r['final']]
notrun = [r for r in final if r['status'] == 'not_run']
assert notrun and any(not r['workdir'] and not r.get('backend_job') for r in notrun), notrun[:3]
PY
ok "the clock under Flux (flux_job_timeleft): exit 75, the rest not run"
grep -q "long rc=75" inside.out || fail "-t 5m in a 1-minute flux alloc: exit 75: $(cat long/err)"
[ -e long/log ] && fail "-t 5m in a 1-minute flux alloc: nothing may start ($(wc -l <long/log) did)"
grep -q "before -t 300s would" long/err || fail "-t 5m: the reason: $(cat long/err)"
ok "-t 5m with 1 minute left (flux alloc -t 1m): never started, exit 75"
finish

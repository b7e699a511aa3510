#!/usr/bin/env bash
# A lost Flux broker rank (kill -9 mid-run) is the infrastructure's, not the
# simulation's: Flux raises exception type "exec" with "node failure on HOST
# (rank N)"; the evaluations it spoiled run again elsewhere under
# --infra-retries (--retries stays 0), and the lost rank takes no more work.
# The same on the submit route (a rule's job of the enclosing instance).
# (--test-exit-mode=leader: the test instance lives on when a broker other
# than rank 0 dies.)
. "$(dirname "$0")/lib.sh"
flux_setup

cat >inside.sh <<'SH'
#!/usr/bin/env bash
set -u
cd "$1"
# the first evaluation whose probe runs on broker rank R (its FLUX_URI), or nothing
on_rank() { # R [GLOB]
    python3 - "$1" <<'PY'
import glob, json, sys
for f in glob.glob('workdir.*/probe.0.json'):
    try:
        r = json.load(open(f))
    except ValueError:
        continue
    if (r.get('FLUX_URI') or '').endswith('/local-' + sys.argv[1]) and r.get('end') is None:
        print(f); break
PY
}
kill_rank() { # R: kill -9 that broker, once something runs there
    for _ in $(seq 300); do
        [ -n "$(on_rank "$1")" ] && break
        sleep 0.1
    done
    echo "running on rank $1: $(on_rank "$1")"
    local pid
    pid=$(flux exec -r "$1" flux getattr broker.pid)
    python3 -c 'import time; print(time.time())' >killed_at
    kill -9 "$pid"
}
# ---- tiled: 16 evaluations of 4 s over 4 ranks, rank 3 lost -------------------
mkdir tiled && cd tiled
python3 "$BT_TESTS/integration/make_batch.py" 16 --sleep 4 >b.in
PROBE_LOG=$PWD/log batchtile run --launch steps -- probe b.in r.out 2>err &
pid=$!
kill_rank 3
wait $pid; echo "tiled rc=$?"
cd ..
# ---- submitted: level 2 as jobs of this instance, from a flux alloc on rank 0;
# rank 2 lost while one of them runs there
mkdir submit && cd submit
python3 "$BT_TESTS/integration/make_batch.py" 6 --levels 0,2 --sleep 4 >b.in
printf 'level == 2 -> submit -n 1\n' >rules.txt
PROBE_LOG=$PWD/log flux alloc -N1 --requires=rank:0 batchtile run --rules rules.txt -- probe b.in r.out 2>err &
pid=$!
kill_rank 2
wait $pid; echo "submit rc=$?"
SH
chmod +x inside.sh
timeout 400 "$BT_FLUX" start --test-size=4 --test-exit-mode=leader bash "$T/inside.sh" "$T" >inside.out 2>&1
cat inside.out

# what the journal says of each attempt, and where each probe ran (after the kill?)
check() { # DIR N LOSTRANK
    python3 - "$@" <<'PY'
import json, os, runpy, sys
d, n, lost = sys.argv[1], int(sys.argv[2]), sys.argv[3]
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open(d + '/r.out').read())
assert len(secs) == n and not any('FAIL' in s for s in secs), secs
recs = [json.loads(l) for l in open(d + '/batchtile.journal')]
evals = [r for r in recs if r.get('type') == 'eval']
spoiled = [r for r in evals if r['status'] == 'not_run']
assert spoiled, 'no attempt was spoiled by the lost rank'
for r in spoiled:
    assert not r['final'], ('a spoiled attempt must be run again', r)
    assert 'node failure on' in r['reason'] and ('(rank %s)' % lost) in r['reason'], r['reason']
final = [r for r in evals if r['final']]
assert len(final) == n and all(r['status'] == 'ok' for r in final), final
killed = float(open(d + '/killed_at').read())
for l in open(d + '/log'):
    p = json.loads(l)
    # started well after the kill (Flux has noticed it by then): never on the lost rank
    if p['start'] > killed + 2:
        assert not (p.get('FLUX_URI') or '').endswith('/local-' + lost), ('ran on the lost rank', p)
print('spoiled', len(spoiled))
PY
}
grep -q "tiled rc=0" inside.out || fail "tiled: exit status: $(grep 'tiled rc' inside.out); $(tail -5 tiled/err)"
grep -q "node vm/rank3 failed (.*node failure on .*(rank 3).*): no more evaluations are placed there; 3 nodes left" tiled/err ||
    fail "tiled: the lost rank is said and taken out: $(cat tiled/err)"
grep -q ': FAIL: ' tiled/err && fail "tiled: a lost rank is no FAIL of the simulation: $(grep ': FAIL: ' tiled/err)"
out=$(check tiled 16 3) || fail "tiled: journal and results: $out"
ok "a lost broker rank under the tiled route: its evaluations ran again elsewhere (--infra-retries), the rank took no more work"

grep -q "submit rc=0" inside.out || fail "submit: exit status: $(grep 'submit rc' inside.out); $(tail -5 submit/err)"
grep -q ': FAIL: ' submit/err && fail "submit: a lost rank is no FAIL of the simulation: $(grep ': FAIL: ' submit/err)"
out=$(check submit 6 2) || fail "submit: journal and results: $out"
resub=$(python3 -c '
import json, collections
c = collections.Counter(json.loads(l)["eval"] for l in open("submit/batchtile.journal") if json.loads(l).get("type") == "submit")
print(max(c.values()))')
[ "$resub" -ge 2 ] || fail "submit: the spoiled evaluation must be submitted again ($resub)"
ok "a lost broker rank under the submit route: the job was submitted again (--infra-retries)"
finish

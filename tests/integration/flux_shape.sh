#!/usr/bin/env bash
# What an evaluation asks of Flux means what it means for flux run and srun:
# -N 2 -n 2 is 2 tasks, one per node; --exclusive is whole nodes (Flux is
# told). A time limit is TERM, then KILL after --grace (never Flux's
# SIGALRM). The evidence: each job named batchtile.eval.N, its Flux id in
# the journal (backend_job) and in the joblog's Host column. In a 2-rank
# instance (every rank has the machine's cores, 2 or more).
. "$(dirname "$0")/lib.sh"
flux_setup

# a simulation that says which signals it got, and outlives TERM
cat >stubborn <<'SH'
#!/usr/bin/env bash
for s in TERM ALRM INT HUP USR1; do trap "echo $s >>signals; date +%s.%N >>signal_times" $s; done
while :; do sleep 0.1; done
SH
chmod +x stubborn

cat >inside.sh <<'SH'
#!/usr/bin/env bash
set -u
cd "$1"
cores=$(flux resource list -n -o '{nnodes} {ncores}' -s free | awk '{print $2 / $1}')
echo "cores $cores"
flux resource list
run() { # NAME OPTIONS...: a batch of 2 in NAME/, its jobs' shapes after it
    local name=$1; shift
    mkdir "$name" && cd "$name"
    python3 "$BT_TESTS/integration/make_batch.py" 2 >b.in
    batchtile run --launch steps --joblog joblog "$@" b.in r.out 2>err; echo "$name rc=$?"
    for id in $(python3 -c '
import json
for l in open("batchtile.journal"):
    r = json.loads(l)
    if r.get("type") == "eval": print(r.get("backend_job", "none").split(":")[-1])'); do
        flux jobs -n -o "$name job {id.f58} {name} nnodes={nnodes} ncores={ncores} ntasks={ntasks}" "$id"
    done
    cd ..
}
run pernode -N 2 -n 2 -- probe
run exclusive -N 2 -n 4 --exclusive -- probe
run whole -n 1 --exclusive -- probe
mkdir limit && cd limit
python3 "$BT_TESTS/integration/make_batch.py" 1 >b.in
batchtile run -t 2s --grace 4s -- "$1/stubborn" b.in r.out 2>err; echo "limit rc=$?"
SH
chmod +x inside.sh
timeout 300 "$BT_FLUX" start --test-size=2 bash "$T/inside.sh" "$T" >inside.out 2>&1
cat inside.out
cores=$(sed -n 's/^cores //p' inside.out)

for n in pernode exclusive whole; do
    grep -q "$n rc=0" inside.out || fail "$n: exit status: $(grep "$n rc" inside.out); $(cat $n/err)"
    [ "$(grep -c "^$n job " inside.out)" = 2 ] || fail "$n: each evaluation's Flux job (backend_job) must be known to Flux"
    [ "$(sections $n/r.out)" = 2 ] && ! grep -q FAIL $n/r.out || fail "$n: results: $(cat $n/r.out)"
done
# -N 2 -n 2: 2 tasks, one on each rank
for e in 1 2; do
    [ -f pernode/workdir.$e/probe.1.json ] && [ ! -f pernode/workdir.$e/probe.2.json ] ||
        fail "-N 2 -n 2: 2 tasks expected: $(ls pernode/workdir.$e)"
    uris=$(python3 -c "import glob, json; print(len({json.load(open(f))['FLUX_URI'] for f in glob.glob('pernode/workdir.$e/probe.*.json')}))")
    [ "$uris" = 2 ] || fail "-N 2 -n 2: the 2 tasks on 2 ranks ($uris)"
done
[ "$(grep -c "^pernode job .* nnodes=2 ncores=2 ntasks=2$" inside.out)" = 2 ] || fail "-N 2 -n 2: the Flux jobs' shape"
ok "-N 2 -n 2: 2 tasks, one per node"
# -N 2 -n 4 --exclusive: whole nodes, 4 tasks
[ -f exclusive/workdir.1/probe.3.json ] && [ ! -f exclusive/workdir.1/probe.4.json ] || fail "-N 2 -n 4 --exclusive: 4 tasks"
[ "$(grep -c "^exclusive job .* nnodes=2 ncores=$((2 * cores)) ntasks=4$" inside.out)" = 2 ] ||
    fail "-N 2 -n 4 --exclusive: whole nodes ($((2 * cores)) cores) for each job"
grep -q infrastructure exclusive/err && fail "-N 2 -n 4 --exclusive: $(cat exclusive/err)"
[ "$(grep -c "^whole job .* nnodes=1 ncores=$cores ntasks=1$" inside.out)" = 2 ] ||
    fail "-n 1 --exclusive: a whole node ($cores cores) for each job"
ok "--exclusive: whole nodes, as Flux was told"

# names and ids: journal, joblog and Flux agree
for n in pernode exclusive whole; do
    python3 - "$n" inside.out <<'PY' || fail "$n: names and ids"
import json, sys
n = sys.argv[1]
flux = {}
for l in open(sys.argv[2]):
    w = l.split()
    if w[:2] == [n, 'job']:
        flux[w[2]] = w[3]
ids = {}
for l in open(n + '/batchtile.journal'):
    r = json.loads(l)
    if r.get('type') == 'eval':
        kind, _, jid = r['backend_job'].partition(':')
        assert kind == 'Flux', r
        ids[r['eval']] = jid
# f58 ids may be spelt with f or ƒ
norm = lambda s: s.lstrip('fƒ')
names = {norm(k): v for k, v in flux.items()}
for e, jid in ids.items():
    assert names[norm(jid)] == 'batchtile.eval.%d' % e, (e, jid, names)
rows = [l.rstrip('\n').split('\t') for l in open(n + '/joblog')][1:]
assert len(rows) == 2, rows
for row in rows:
    assert row[1] == 'Flux:' + ids[int(row[0])], (row, ids)
PY
done
ok "jobs named batchtile.eval.N; the Flux job id in the journal and the joblog's Host column"

# the time limit: TERM at 2 s, KILL 4 s later; no SIGALRM
grep -q "limit rc=0" inside.out || fail "limit: exit status: $(grep 'limit rc' inside.out)"
grep -q "evaluation 1 (workdir.1): FAIL: time limit 2s exceeded (killed)" limit/err || fail "limit: $(cat limit/err)"
[ "$(cat limit/workdir.1/signals 2>/dev/null)" = TERM ] || fail "limit: TERM, only TERM, expected: $(cat limit/workdir.1/signals 2>&1)"
python3 - <<'PY' || fail "limit: KILL after the grace period"
import json
r = [json.loads(l) for l in open('limit/batchtile.journal') if '"eval"' in l][-1]
assert r.get('signal') == 9, r
term = float(open('limit/workdir.1/signal_times').read().split()[0])
assert r['end'] - term >= 4 - 0.5, (r['end'] - term)  # the grace between TERM and KILL
PY
ok "a time limit: TERM, then KILL after --grace"
finish

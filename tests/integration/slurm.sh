#!/usr/bin/env bash
# The Slurm backend on a real Slurm cluster started here (tests/slurm/cluster.sh:
# node[1-3] on localhost): evaluations are job steps spread over the
# allocation's nodes, never more than a node's cores at once; MPI across
# nodes; failures, time limits, SIGTERM; the reference study through salloc.
. "$(dirname "$0")/lib.sh"
start_cluster 3
CPN=$(nproc)
alloc() { timeout 300 salloc -N3 --exclusive -Q "$@"; }

# what batchtile sees inside the allocation
expect 0 alloc batchtile resources
grep -q "^slurm *3 *$((3 * CPN)) *0 *node1,node2,node3" "$T/out" || fail "resources: $(cat "$T/out")"
expect 0 alloc batchtile run --dry-run -- probe <(batch 3) r
grep -q "^eval 1  \[node1: cores 0\]  in workdir.1: (agent) " "$T/out" || fail "dry run: $(cat "$T/out")"
ok "resources: 3 nodes, $((3 * CPN)) cores"

# probe: every node used, none beyond its cores, results in batch order
mkdir spread && cd spread || exit 1
n=$((6 * CPN))
batch $n --sleep 0.6 >batch.in
expect 0 alloc batchtile run -- probe batch.in results.out
out=$(probe_check pernode "$CPN" workdir.*) || fail "a node ran more than its cores: $out"
for node in node1 node2 node3; do
    echo "$out" | grep -q "$node:" || fail "no evaluation on $node: $out"
done
python3 - "$n" <<'PY' || fail "results in batch order"
import json, sys
n = int(sys.argv[1])
import runpy, os
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('results.out').read())
assert len(secs) == n, len(secs)
for e, sec in enumerate(secs, 1):
    rec = json.load(open(f'workdir.{e}/probe.0.json'))
    assert rec['eval'] == f'1:{e}', rec['eval']
    val = float(sec.split()[0])
    lines = open(f'workdir.{e}/params.in').read().split('\n')
    nv = int(lines[0].split()[0])
    xs = [float(l.split()[0]) for l in lines[1:1 + nv]]   # the probe sums every numeric variable
    assert abs(val - sum(xs)) < 1e-12, (e, val, sum(xs))
PY
grep -l "step creation temporarily disabled" workdir.*/stderr.txt >/dev/null 2>&1 &&
    fail "a step waited for resources: $(grep -l 'temporarily disabled' workdir.*/stderr.txt | head -3)"
cd ..
ok "$n evaluations over 3 nodes: $out"

# a 2-node MPI evaluation: MPICH through srun's pmi2
mkdir mpi && cd mpi || exit 1
if ldd "$TEXT_BOOK" | grep -q libmpi && srun --mpi=list 2>&1 | grep -q pmi2; then
    make_batch 3 standard 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >batch.in
    expect 0 alloc batchtile run -N2 -n4 --mpi pmi2 -- text_book_par batch.in results.out
    $CHECK batch.in results.out || fail "-N2 -n4 values"
    [ "$(grep -c 'rank [0-3] of 4' workdir.1/stdout.txt)" = 4 ] || fail "4 ranks: $(cat workdir.1/stdout.txt)"
    python3 -c '
import json
recs = [json.loads(l) for l in open("batchtile.journal") if "\"eval\"" in l]
ev = [r for r in recs if r["type"] == "eval"]
assert all(len(r["placement"]) == 2 for r in ev), [r["placement"] for r in ev]' || fail "2 nodes per evaluation"
    ok "-N2 -n4 text_book_par over srun --mpi=pmi2"
    # the cluster's MpiDefault is none: --mpi auto still starts one 2-rank
    # program (srun --mpi=pmi2), and --mpi none two copies on purpose
    grep -q "^MpiDefault=none" "$SLURM_CONF" || fail "the test cluster must have MpiDefault=none"
    make_batch 2 standard 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >b2.in
    expect 0 alloc batchtile run --journal j2 -n 2 -- text_book_par b2.in r2.out
    $CHECK b2.in r2.out || fail "-n 2 values"
    [ "$(grep -c 'rank [01] of 2' workdir.1/stdout.txt)" = 2 ] || fail "-n 2, --mpi auto: $(cat workdir.1/stdout.txt)"
    expect 0 alloc batchtile run --journal j3 --no-resume --mpi none -n 2 -- text_book_par b2.in r3.out
    [ "$(grep -c 'rank 0 of 1' workdir.1/stdout.txt)" = 2 ] || fail "--mpi none: two copies: $(cat workdir.1/stdout.txt)"
    ok "-n 2 under MpiDefault=none: one 2-rank program (auto), two copies (--mpi none)"
else
    echo "skipped: MPI evaluation (no MPI build or no pmi2 plugin)"
fi
cd ..

# failures and the time limit, as with the local backend
mkdir fails && cd fails || exit 1
batch 5 --vars 1 --modes ok,exit:3,signal:11,hang,noresults >batch.in
expect 0 alloc batchtile run -t 3s --grace 1s -- probe batch.in results.out
grep_err "evaluation 2 (workdir.2): FAIL: exit status 3"
grep_err "evaluation 3 (workdir.3): FAIL:"
grep_err "evaluation 4 (workdir.4): FAIL: time limit 3s exceeded (killed)"
grep_err "evaluation 5 (workdir.5): FAIL: missing results file"
grep_err "5 evaluations: 1 ok, 4 failed"
cd ..
ok "failures and time limit"

# SIGTERM: the steps are stopped, the results file is complete
mkdir term && cd term || exit 1
batch 12 --modes hang >batch.in
timeout 300 salloc -N3 --exclusive -Q batchtile run --grace 2s -- probe batch.in results.out 2>err &
pid=$!
for _ in $(seq 100); do
    [ "$(ls workdir.*/probe.0.json 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.2
done
pkill -TERM -f "^batchtile run --grace 2s -- probe batch.in" || fail "no batchtile to signal"
wait $pid
[ "$(grep -c '^FAIL' results.out)" = 12 ] || fail "SIGTERM: 12 FAIL sections"
grep -q "SIGTERM: starting nothing new" err || fail "SIGTERM message: $(cat err)"
sleep 1
[ -z "$(squeue -h -s 2>/dev/null | grep batchtile)" ] || fail "steps left: $(squeue -s)"
cd ..
ok "SIGTERM stops the steps"

# the reference study, with salloc in the analysis driver as a user writes it
mkdir study && cd study || exit 1
sed -e "s|'batchtile run -- text_book_par'|'salloc -N3 --exclusive -Q batchtile run -- text_book_par'|" \
    -e 's/samples 80/samples 40/' "$BT_TESTS/../examples/local/dakota_sampling.in" >study.in
expect 0 batchtile study study.in
cp "$T/out" summary.txt
grep -q "Failed evaluations: 0 of 40" summary.txt || fail "study: $(cat summary.txt)"
python3 - <<'PY' || fail "study: tabular f against the formula"
import math
rows = [l.split() for l in open('dakota_tabular.dat')][1:]
assert len(rows) == 40
for r in rows:
    x = [float(v) for v in r[2:6]]
    assert math.isclose(float(r[6]), sum((a - 1) ** 4 for a in x), rel_tol=1e-13)
PY
nodes=$(cat workdir.1/workdir.*/stdout.txt | wc -l)
[ "$nodes" = 40 ] || fail "study: 40 evaluations ran"
cd ..
ok "the reference study through salloc"
finish

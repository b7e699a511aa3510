#!/usr/bin/env bash
# Node agents under Slurm (issue 22) on the test cluster with MaxStepCount=25:
# 200 evaluations in one allocation through one agent step per node, and
# --launch steps meeting the step limit (said once, exit 75); --launch agents
# refusing a multi-node batch; a protocol mismatch refused; an agent killed
# -9, a node set down, the driver killed -9 mid-run; -n 2 text_book_par as
# one 2-rank program under an agent.
. "$(dirname "$0")/lib.sh"
BT_SLURM_MAX_STEPS=25 start_cluster 3
grep -q "^MaxStepCount=25" "$SLURM_CONF" || fail "the cluster has no MaxStepCount=25"
alloc() { timeout 300 salloc -N3 --exclusive -Q "$@"; }

# values_right N RESULTS: every section the probe's sum of its variables
values_right() {
    python3 - "$@" <<'PY'
import json, os, runpy, sys
n, res = int(sys.argv[1]), sys.argv[2]
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open(res).read())
assert len(secs) == n, (len(secs), n)
for e, sec in enumerate(secs, 1):
    lines = open(f'workdir.{e}/params.in').read().split('\n')
    nv = int(lines[0].split()[0])
    xs = [float(l.split()[0]) for l in lines[1:1 + nv]]
    assert abs(float(sec.split()[0]) - sum(xs)) < 1e-12, (e, sec, sum(xs))
PY
}
# agent_pid NODE: the agent serving NODE (its parent is slurmstepd)
agent_pid() {
    local p
    for p in $(pgrep -f "^$BATCHTILE agent$"); do
        # this test's (the tests run side by side, each with its node1-3)
        case "$(readlink /proc/$p/cwd 2>/dev/null)" in "$T"/*) ;; *) continue ;; esac
        [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d ' ')")" = slurmstepd ] || continue
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "SLURMD_NODENAME=$1" && echo "$p"
    done
}
# wait_probes N: until N of this test's probes run (at most 30 s)
wait_probes() {
    for _ in $(seq 300); do
        [ "$(our_probes | wc -l)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# 200 evaluations, 8 times the step limit, through agents (the default, auto)
mkdir many && cd many || exit 1
batch 200 >batch.in
expect 0 alloc batchtile run --joblog joblog -- probe batch.in results.out
grep_err "200 evaluations: 200 ok, 0 failed"
values_right 200 results.out || fail "200 evaluations: values"
hosts=$(awk 'NR > 1 {print $2}' joblog | sort | uniq -c | awk '{print $2}' | tr '\n' ' ')
[ "$hosts" = "node1 node2 node3 " ] || fail "joblog Host: $hosts"
cd ..
ok "200 evaluations under MaxStepCount=25 through agents, joblog hosts: $hosts"

# --launch steps: the step limit said once, naming it; the rest not run, exit 75
mkdir steps && cd steps || exit 1
batch 60 >batch.in
expect 75 alloc batchtile run --launch steps -- probe batch.in results.out
[ "$(grep -c "MaxStepCount=25" "$T/err")" = 1 ] || fail "the step limit said once: $(head -c 1500 "$T/err")"
grep_err "60 evaluations: 25 ok, 0 failed, 35 not run"
grep -q "Step limit reached" "$T/err" && fail "srun's refusal repeated per evaluation: $(head -c 600 "$T/err")"
cd ..
ok "--launch steps: the step limit said once, exit 75"

# --launch agents refuses a batch whose evaluations span nodes (usage, 1)
mkdir refuse && cd refuse || exit 1
batch 2 >batch.in
expect 1 alloc batchtile run --launch agents -N2 -n2 -- probe batch.in results.out
grep_err "--launch agents: an evaluation of 2 cores over several nodes (-N) would span nodes"
expect 1 alloc batchtile run --launch sometimes -- probe batch.in results.out
grep_err "--launch"
# an agent of another protocol: both refuse, one clear message each
expect 3 env BATCHTILE_AGENT_PROTOCOL=7 timeout 300 salloc -N3 --exclusive -Q batchtile run \
    --launch agents -- probe batch.in results.out
grep_err "speaks protocol 7, this driver 1: install the same batchtile on every node"
grep_err "batchtile driver"
cd ..
ok "--launch agents refuses multi-node evaluations; a protocol mismatch refused"

# --dry-run says what will really start each evaluation: its node's agent
# (through mpiexec for -n 2), srun for --launch steps and multi-node ones
mkdir dry && cd dry || exit 1
batch 2 >batch.in
expect 0 alloc batchtile run --dry-run -- probe batch.in r
grep -q "^eval 1  \[node1: cores 0\]  in workdir.1: (agent) .*probe params.in results.out$" "$T/out" ||
    fail "dry run, auto: $(cat "$T/out")"
expect 0 alloc batchtile run --dry-run --launch agents -n 2 -- probe batch.in r
grep -q "^eval 1  \[node1: cores 0,1\]  in workdir.1: (agent, mpiexec) " "$T/out" ||
    fail "dry run, agents -n 2: $(cat "$T/out")"
expect 0 alloc batchtile run --dry-run --launch steps -- probe batch.in r
grep -q "^eval 1  \[node1: cores 0\]  in workdir.1: (srun) " "$T/out" || fail "dry run, steps: $(cat "$T/out")"
expect 0 alloc batchtile run --dry-run -N2 -n2 -- probe batch.in r
grep -q "^eval 1  \[node1: cores 0; node2: cores 0\]  in workdir.1: (srun) " "$T/out" ||
    fail "dry run, auto over 2 nodes: $(cat "$T/out")"
grep -q "(agent" "$T/out" && fail "dry run: a multi-node evaluation said to run under an agent: $(cat "$T/out")"
cd ..
ok "--dry-run: (agent) for what agents start, (srun) for steps and multi-node evaluations"

# an agent killed -9 mid-run: its evaluations run again on the other nodes
mkdir agentkill && cd agentkill || exit 1
batch 30 --sleep 2 >batch.in
alloc batchtile run -- probe batch.in results.out >out 2>err &
pid=$!
wait_probes 3 || fail "agentkill: no evaluation started"
a=$(agent_pid node2 | head -n1)
# killed while one of its evaluations runs (else nothing is there to run
# again): its pid found first, the kill the moment one is seen (the
# evaluations run 2 s; finding the agent takes a while on a busy machine)
for _ in $(seq 300); do
    for p in $(our_probes); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx SLURMD_NODENAME=node2 && break 2
    done
    sleep 0.05
done
[ -n "$a" ] && kill -9 "$a" || fail "no agent on node2"
wait $pid; rc=$?
[ $rc = 0 ] || fail "agentkill: exit $rc: $(cat err)"
grep -q "node node2 failed (the agent on node2 is gone): no more evaluations are placed there" err ||
    fail "agentkill: $(cat err)"
grep -q "30 evaluations: 30 ok, 0 failed" err || fail "agentkill: $(cat err)"
values_right 30 results.out || fail "agentkill: values"
python3 - <<'PY' || fail "agentkill: an evaluation was not run again elsewhere"
import json
ev = [json.loads(l) for l in open('batchtile.journal') if '"eval"' in l]
ev = [r for r in ev if r.get('type') == 'eval']
again = {}
for r in ev:
    again.setdefault(r['eval'], []).append(r)
assert any(len(v) > 1 for v in again.values()), 'none run twice'
PY
cd ..
ok "an agent killed -9: its evaluations re-run on the other nodes, values right"

# a node set down mid-run (the job survives with --no-kill)
mkdir down && cd down || exit 1
batch 30 --sleep 0.5 >batch.in
timeout 300 salloc -N3 --exclusive --no-kill -Q batchtile run -- probe batch.in results.out >out 2>err &
pid=$!
wait_probes 3 || fail "down: no evaluation started"
scontrol update nodename=node3 state=down reason=batchtile-test
wait $pid; rc=$?
[ $rc = 0 ] || fail "down: exit $rc: $(cat err)"
grep -q "node node3 failed" err || fail "down: $(cat err)"
grep -q "30 evaluations: 30 ok, 0 failed" err || fail "down: $(cat err)"
values_right 30 results.out || fail "down: values"
for _ in $(seq 100); do
    sinfo -h -n node3 -o %t | grep -q idle && break
    scontrol update nodename=node3 state=resume 2>/dev/null
    sleep 0.3
done
cd ..
ok "a node set down mid-run: its evaluations re-run on the others"

# the driver killed -9: every agent sees its input end and kills its evaluations
mkdir driverkill && cd driverkill || exit 1
batch 12 --modes hang >batch.in
timeout 300 salloc -N3 --exclusive -Q batchtile run -- probe batch.in results.out >out 2>err &
pid=$!
wait_probes 6 || fail "driverkill: the evaluations did not start"
drv=""
for p in $(pgrep -f "^batchtile run -- probe batch.in"); do
    [ "$(readlink /proc/$p/cwd)" = "$PWD" ] || continue
    # the driver, not its watchdog (whose parent is the driver)
    [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d ' ')")" = salloc ] && drv=$p
done
[ -n "$drv" ] && kill -9 "$drv" || fail "driverkill: no driver"
sleep 2
[ -z "$(our_probes)" ] || fail "driverkill: evaluations alive 2 s after: $(our_probes | tr '\n' ' ')"
wait $pid
[ "$(grep -c "the driver is gone: killing 2 evaluations" err)" = 3 ] || fail "driverkill: $(cat err)"
cd ..
ok "the driver killed -9: nothing alive 2 s later, each agent killed its own"

# -n 2 text_book_par under an agent: one 2-rank program on its node's cores
mkdir mpi && cd mpi || exit 1
if command -v mpiexec >/dev/null && ldd "$TEXT_BOOK" | grep -q libmpi; then
    make_batch 3 standard 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >batch.in
    expect 0 alloc batchtile run --launch agents -n 2 -- text_book_par batch.in results.out
    $CHECK batch.in results.out || fail "-n 2 under an agent: values"
    for e in 1 2 3; do
        [ "$(grep -c 'rank [01] of 2' workdir.$e/stdout.txt)" = 2 ] ||
            fail "-n 2 under an agent: $(cat workdir.$e/stdout.txt)"
    done
    ok "-n 2 text_book_par under an agent: one 2-rank program"
else
    fail "MPI: mpiexec or an MPI text_book_par is missing"
fi
cd ..
finish

#!/usr/bin/env bash
# Node agents under Flux (issue 22) in `flux start --test-size=3`: one
# `batchtile agent` per broker rank through flux_rexec, no Flux job per
# evaluation; --launch steps still one job each; -n 2 text_book_par as one
# 2-rank program under an agent; an agent killed -9 (its evaluations re-run
# on the other ranks); the driver killed -9 (nothing alive 2 s later).
. "$(dirname "$0")/lib.sh"
flux_setup

cat >inside.sh <<'SH'
#!/usr/bin/env bash
set -u
cd "$1"
PROBE=$2
jobs() { flux jobs -a -n -o '{id}' | wc -l; }
# this test's probes (their work directories are ours)
probes() {
    for p in $(pgrep -f "^$PROBE" 2>/dev/null); do
        case "$(readlink /proc/$p/cwd 2>/dev/null)" in "$1"/*) echo "$p" ;; esac
    done
}
mkdir dry && cd dry
python3 "$BT_TESTS/integration/make_batch.py" 2 >batch.in
batchtile run --dry-run -- probe batch.in r >auto.out 2>&1; echo "dry auto rc=$?"
batchtile run --dry-run --launch steps -- probe batch.in r >steps.out 2>&1; echo "dry steps rc=$?"
cd ..
mkdir many && cd many
python3 "$BT_TESTS/integration/make_batch.py" 200 >batch.in
before=$(jobs)
batchtile run --joblog joblog -- probe batch.in results.out 2>err; echo "many rc=$?"
echo "many jobs $(($(jobs) - before))"
cd ..
mkdir steps && cd steps
python3 "$BT_TESTS/integration/make_batch.py" 6 >batch.in
before=$(jobs)
batchtile run --launch steps -- probe batch.in results.out 2>err; echo "steps rc=$?"
echo "steps jobs $(($(jobs) - before))"
cd ..
mkdir mpi && cd mpi
python3 "$BT_TESTS/integration/make_batch.py" 3 --asv 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >batch.in
batchtile run --launch agents -n 2 -- text_book_par batch.in results.out 2>err; echo "mpi rc=$?"
cd ..
# an agent of another protocol: refused
mkdir mismatch && cd mismatch
python3 "$BT_TESTS/integration/make_batch.py" 2 >batch.in
BATCHTILE_AGENT_PROTOCOL=7 batchtile run --launch agents -- probe batch.in results.out 2>err; echo "mismatch rc=$?"
cd ..
# kill -9 the agent of rank 1 once evaluations run
mkdir agentkill && cd agentkill
python3 "$BT_TESTS/integration/make_batch.py" 30 --sleep 0.5 >batch.in
batchtile run -- probe batch.in results.out 2>err &
pid=$!
for _ in $(seq 300); do [ "$(probes "$PWD" | wc -l)" -ge 3 ] && break; sleep 0.1; done
for p in $(pgrep -f "^$BATCHTILE agent$"); do
    # this test's (other tests' Flux instances have a rank 1 too)
    [ "$(readlink /proc/$p/cwd 2>/dev/null)" = "$PWD" ] || continue
    # the agent, not its watchdog (a child of it)
    [ "$(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d ' ')")" = batchtile ] && continue
    tr '\0' '\n' <"/proc/$p/environ" | grep -q '^FLUX_URI=.*local-1$' && { kill -9 "$p"; echo "killed agent $p"; }
done
wait $pid; echo "agentkill rc=$?"
cd ..
# kill -9 the driver: every agent sees its input end
mkdir driverkill && cd driverkill
python3 "$BT_TESTS/integration/make_batch.py" 12 --modes hang >batch.in
batchtile run -- probe batch.in results.out 2>err &
pid=$!
for _ in $(seq 300); do [ "$(probes "$PWD" | wc -l)" -ge 6 ] && break; sleep 0.1; done
echo "driverkill running $(probes "$PWD" | wc -l)"
kill -9 $pid
sleep 2
echo "driverkill left $(probes "$PWD" | wc -l)"
wait $pid
cd ..
SH
chmod +x inside.sh
timeout 600 "$BT_FLUX" start --test-size=3 bash "$T/inside.sh" "$T" "$PROBE" >inside.out 2>&1
cat inside.out

grep -q "dry auto rc=0" inside.out && grep -q "^eval 1  \[[^]]*rank0: cores 0\]  in workdir.1: (agent) " dry/auto.out ||
    fail "dry run, auto: $(cat dry/auto.out)"
grep -q "dry steps rc=0" inside.out && grep -q "^eval 1  \[[^]]*rank0: cores 0\]  in workdir.1: (Flux job) " dry/steps.out ||
    fail "dry run, steps: $(cat dry/steps.out)"
ok "--dry-run: (agent) for what agents start, (Flux job) for --launch steps"

grep -q "many rc=0" inside.out || fail "200 evaluations: $(tail -5 many/err)"
grep -q "200 evaluations: 200 ok, 0 failed" many/err || fail "200 evaluations: $(tail -5 many/err)"
grep -q "^many jobs 0$" inside.out || fail "agents: no Flux job per evaluation: $(grep 'many jobs' inside.out)"
python3 - <<'PY' || fail "200 evaluations: values"
import runpy, os
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('many/results.out').read())
assert len(secs) == 200, len(secs)
for e, sec in enumerate(secs, 1):
    lines = open(f'many/workdir.{e}/params.in').read().split('\n')
    nv = int(lines[0].split()[0])
    want = sum(float(l.split()[0]) for l in lines[1:1 + nv])
    assert abs(float(sec.split()[0]) - want) < 1e-12, (e, sec, want)
PY
hosts=$(awk 'NR > 1 {print $2}' many/joblog | sort -u | sed 's/.*\///' | tr '\n' ' ')
[ "$hosts" = "rank0 rank1 rank2 " ] || fail "joblog hosts: $hosts"
uris=$(python3 -c '
import glob, json
print(len({json.load(open(f))["FLUX_URI"] for f in glob.glob("many/workdir.*/probe.0.json")}))')
[ "$uris" = 3 ] || fail "evaluations saw $uris brokers, expected all 3 (each its own rank's)"
ok "200 evaluations through 3 agents, no Flux job; hosts $hosts"

grep -q "steps rc=0" inside.out && grep -q "^steps jobs 6$" inside.out ||
    fail "--launch steps: one Flux job each: $(grep steps inside.out)"
ok "--launch steps: one Flux job per evaluation"

grep -q "mpi rc=0" inside.out && $CHECK mpi/batch.in mpi/results.out || fail "-n 2: $(cat mpi/err)"
for e in 1 2 3; do
    [ "$(grep -c 'rank [01] of 2' mpi/workdir.$e/stdout.txt)" = 2 ] || fail "-n 2: $(cat mpi/workdir.$e/stdout.txt)"
done
ok "-n 2 text_book_par under a Flux agent: one 2-rank program"

grep -q "mismatch rc=3" inside.out || fail "protocol mismatch: exit 3: $(grep mismatch inside.out)"
grep -q "speaks protocol 7, this driver 1: install the same batchtile on every node" mismatch/err ||
    fail "protocol mismatch: $(cat mismatch/err)"
[ -e mismatch/workdir.1 ] && fail "protocol mismatch: something ran"
ok "a Flux agent of another protocol: refused, nothing run"

grep -q "killed agent" inside.out || fail "agentkill: no agent of rank 1 found"
grep -q "agentkill rc=0" inside.out || fail "agentkill: $(cat agentkill/err)"
grep -q "(the agent on .*rank1 is gone): no more evaluations are placed there" agentkill/err ||
    fail "agentkill: $(cat agentkill/err)"
grep -q "30 evaluations: 30 ok, 0 failed" agentkill/err || fail "agentkill: $(cat agentkill/err)"
ok "a Flux agent killed -9: its evaluations re-run on the other ranks"

grep -q "driverkill running [6-9]" inside.out || fail "driverkill: $(grep driverkill inside.out)"
grep -q "^driverkill left 0$" inside.out || fail "driverkill: $(grep driverkill inside.out)"
ok "the driver killed -9: nothing alive 2 s later"
finish

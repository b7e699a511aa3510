#!/usr/bin/env bash
# What Flux can never run is refused before anything runs, in Flux's own
# words, with exit status 1 (as sbatch --test-only refuses it on the Slurm
# route): a submit rule wider than the instance (the scheduler's
# feasibility.check), a --sched-arg that flux submit rejects. What Flux
# refuses only at run time fails the evaluation with Flux's exception note
# in the FAIL line, never as the infrastructure's (no --infra-retries).
. "$(dirname "$0")/lib.sh"
flux_setup

# a program whose exec fails inside the job (Flux raises type "exec":
# "start failed: ...: No such file or directory", the task exits 127)
printf '#!/nonexistent/interpreter\n' >badexec
chmod +x badexec

cat >inside.sh <<'SH'
#!/usr/bin/env bash
set -u
cd "$1"
njobs() { flux jobs -a -n -o '{id}' | wc -l; }
# ---- a submit rule wider than the instance (3 nodes) -----------------------------
mkdir wide && cd wide
python3 "$BT_TESTS/integration/make_batch.py" 3 --levels 0,1,2 >b.in
echo 'level == 2 -> submit -N 5 -n 5' >rules.txt
n0=$(njobs)
flux alloc -N1 batchtile run --rules rules.txt -- probe b.in r.out 2>err; echo "wide rc=$?"
echo "wide jobs $(($(njobs) - n0 - 1))"
cd ..
# ---- a --sched-arg flux submit rejects ---------------------------------------------
mkdir badarg && cd badarg
python3 "$BT_TESTS/integration/make_batch.py" 3 --levels 0,1,2 >b.in
echo 'level == 2 -> submit -n 1 --sched-arg=--no-such-option' >rules.txt
n0=$(njobs)
flux alloc -N1 batchtile run --rules rules.txt -- probe b.in r.out 2>err; echo "badarg rc=$?"
echo "badarg jobs $(($(njobs) - n0 - 1))"
cd ..
# ---- refused at run time: the FAIL line carries Flux's note ----------------------------
mkdir runtime && cd runtime
python3 "$BT_TESTS/integration/make_batch.py" 2 >b.in
batchtile run --launch steps --infra-retries 3 -- "$1/badexec" b.in r.out 2>err; echo "runtime rc=$?"
cd ..
mkdir runtime_submit && cd runtime_submit
python3 "$BT_TESTS/integration/make_batch.py" 2 --levels 0,2 >b.in
printf 'level == 2 -> submit -n 1 -- %s\n' "$1/badexec" >rules.txt
flux alloc -N1 batchtile run --rules rules.txt -- probe b.in r.out 2>err; echo "runtime_submit rc=$?"
SH
chmod +x inside.sh
timeout 300 "$BT_FLUX" start --test-size=3 bash "$T/inside.sh" "$T" >inside.out 2>&1
cat inside.out

grep -q "wide rc=1" inside.out || fail "-N 5 in 3 nodes: exit 1 expected: $(grep 'wide rc' inside.out); $(cat wide/err)"
grep -q "rules.txt:1: Flux can never run a job of this rule: unsatisfiable request: .*: nothing was run" wide/err ||
    fail "-N 5 in 3 nodes: the reason: $(cat wide/err)"
ls wide | grep -q workdir && fail "-N 5 in 3 nodes: work directories were made"
grep -q "^wide jobs 0$" inside.out || fail "-N 5 in 3 nodes: a job was submitted ($(grep 'wide jobs' inside.out))"
ok "a submit rule wider than the instance is refused before anything runs (feasibility.check)"

grep -q "badarg rc=1" inside.out || fail "bad --sched-arg: exit 1 expected: $(grep 'badarg rc' inside.out); $(cat badarg/err)"
grep -q "rules.txt:1: Flux refuses a job of this rule (flux submit: .*--no-such-option.*): nothing was run" badarg/err ||
    fail "bad --sched-arg: the reason: $(cat badarg/err)"
ls badarg | grep -q workdir && fail "bad --sched-arg: work directories were made"
grep -q "^badarg jobs 0$" inside.out || fail "bad --sched-arg: a job was submitted ($(grep 'badarg jobs' inside.out))"
ok "a --sched-arg flux submit rejects is refused before anything runs"

grep -q "runtime rc=0" inside.out || fail "run-time refusal: exit status: $(grep 'runtime rc' inside.out)"
[ "$(grep -c ': FAIL: exit status 127; Flux job [^ ]* exception: exec: task 0 (host .*): start failed: .*badexec: No such file or directory' runtime/err)" = 2 ] ||
    fail "run-time refusal: FAIL with Flux's note: $(cat runtime/err)"
grep -q "infrastructure" runtime/err && fail "run-time refusal: not the infrastructure's: $(cat runtime/err)"
python3 -c '
import json
n = sum(1 for l in open("runtime/batchtile.journal") if json.loads(l).get("type") == "eval")
assert n == 2, n' || fail "run-time refusal: one attempt each, no infrastructure retry"
ok "a job Flux fails at run time: FAIL with Flux's note, no infrastructure retry"

grep -q "runtime_submit rc=0" inside.out || fail "run-time refusal, submitted: exit status: $(grep 'runtime_submit rc' inside.out)"
grep -q "evaluation 2 (workdir.2): FAIL: exit status 127; Flux job ƒ[^ ]* exception: exec: task 0 (host .*): start failed: .*badexec: No such file or directory" runtime_submit/err ||
    fail "run-time refusal, submitted: FAIL with Flux's note: $(cat runtime_submit/err)"
ok "a submitted job Flux fails at run time: FAIL with Flux's note"
finish

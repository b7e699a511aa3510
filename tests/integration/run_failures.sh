#!/usr/bin/env bash
# Every way an evaluation can fail ends as FAIL with one line saying which
# and why; --retries runs it again; a time limit kills the whole process tree.
. "$(dirname "$0")/lib.sh"

modes=ok,exit:3,signal:11,garbage,noresults,empty,partial,fail,hang,tree
batch 10 --vars 1 --modes $modes >batch.in
sed -i 's/ 1 ASV_1:f/ 1 ASV_1:f/' batch.in
expect 0 "$BATCHTILE" run -t 2s --grace 1s -- "$PROBE" batch.in results.out
python3 - <<'PY' || fail "sections"
import runpy, os
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('results.out').read())
assert len(secs) == 10, len(secs)
assert secs[0].split()[1] == 'f' and all(s == 'FAIL\n' for s in secs[1:]), secs
PY
grep_err "evaluation 2 (workdir.2): FAIL: exit status 3"
grep_err "evaluation 3 (workdir.3): FAIL: killed by signal 11 (SIGSEGV)"
grep_err "evaluation 4 (workdir.4): FAIL: invalid results: byte 0x01 at offset 27 is not text"
grep_err "evaluation 5 (workdir.5): FAIL: missing results file"
grep_err "evaluation 6 (workdir.6): FAIL: empty results file"
grep_err "evaluation 7 (workdir.7): FAIL: empty results file"
grep_err "evaluation 8 (workdir.8): FAIL: results say FAIL"
grep_err "evaluation 9 (workdir.9): FAIL: time limit 2s exceeded (killed)"
grep_err "evaluation 10 (workdir.10): FAIL: time limit 2s exceeded (killed)"
grep_err "10 evaluations: 1 ok, 9 failed"
[ "$(grep -c ': FAIL: ' "$T/err")" = 9 ] || fail "one line per failed evaluation"
# the whole tree is gone: the probe's child too, not only the probe
child=$(cat workdir.10/probe.child)
if [ -n "$child" ] && kill -0 "$child" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$child/status; then
    fail "time limit: the evaluation's child $child still runs"
fi
ok "every failure kind is FAIL, with its reason"

# partial: a value asked for is missing (two responses, the probe drops the last)
mkdir p && cd p || exit 1
cat >b.in <<'B'
                                          1 variables
                      1.000000000000000e+00 x1
                                          2 functions
                                          1 ASV_1:f
                                          1 ASV_2:g
                                          0 derivative_variables
                                          0 analysis_components
                                        1:1 eval_id
B
PROBE_MODE=partial expect 0 "$BATCHTILE" run -- "$PROBE" b.in r.out
grep_err "FAIL: invalid results, line 2: expected the value of response 2 'g', found end of file"
cd ..
ok "incomplete results"

# retries: a flaky evaluation passes on its second attempt; without retries it fails
mkdir r && cd r || exit 1
batch 3 --modes ok,flaky:1,flaky:5 >batch.in
expect 0 "$BATCHTILE" run --retries 2 -- "$PROBE" batch.in results.out
[ "$(cat workdir.2/probe.attempts)" = 2 ] || fail "flaky:1 should run twice"
[ "$(cat workdir.3/probe.attempts)" = 3 ] || fail "flaky:5 with --retries 2 should run 3 times"
grep_err "evaluation 3 (workdir.3): FAIL: exit status 1; workdir.3/stderr.txt ends: probe: flaky failure (3 attempts)"
grep_err "3 evaluations: 2 ok, 1 failed"
python3 -c '
import json
recs = [json.loads(l) for l in open("batchtile.journal")]
ev = [(r["eval"], r["attempt"], r["status"], r["final"]) for r in recs if r["type"] == "eval"]
assert sorted(ev) == [(1,1,"ok",True),(2,1,"failed",False),(2,2,"ok",True),
                      (3,1,"failed",False),(3,2,"failed",False),(3,3,"failed",True)], ev' ||
    fail "journal records every attempt"
cd ..
ok "retries"

# a command that cannot start fails its evaluations (here: not executable at run time)
mkdir n && cd n || exit 1
printf '#!/bin/sh\nexit 0\n' >sim && chmod +x sim
batch 2 >b.in
expect 1 "$BATCHTILE" run --template-dir /nonexistent -- ./sim b.in r.out &&
    grep_err "--template-dir /nonexistent: No such file or directory"
expect 1 "$BATCHTILE" run -- ./nosuchsim b.in r.out && grep_err "./nosuchsim: command not found"
[ -e r.out ] && fail "nothing may be written when the command does not exist"
cd ..
ok "command errors"

# the evidence: each FAIL line names the stderr file and quotes its last
# non-empty line; a relative path in the arguments is relative to the work
# directory (the command runs there), and the message shows it
mkdir ev && cd ev || exit 1
printf '#!/bin/sh\necho "reading mesh" >&2\necho "sim: cannot open mesh.dat: No such file" >&2\necho >&2\nexit 2\n' >sim
printf '#!/bin/sh\n[ -f "$1" ] || { echo "no such script: $1" >&2; exit 2; }\n' >interp
chmod +x sim interp
batch 2 >b.in
expect 0 "$BATCHTILE" run -- ./sim b.in r.out
grep_err "evaluation 1 (workdir.1): FAIL: exit status 2; workdir.1/stderr.txt ends: sim: cannot open mesh.dat: No such file"
expect 0 "$BATCHTILE" run --no-resume -- ./interp ./script.py b.in r.out
grep_err "evaluation 2 (workdir.2): FAIL: exit status 2; workdir.2/stderr.txt ends: no such script: ./script.py"
printf '#!/bin/sh\nexit 3\n' >quiet && chmod +x quiet
expect 0 "$BATCHTILE" run --no-resume -- ./quiet b.in r.out
grep_err "evaluation 1 (workdir.1): FAIL: exit status 3; workdir.1/stderr.txt is empty"
cd ..
ok "failure evidence"

# --halt: GNU parallel's spelling; the results file is still whole, and what
# did not run makes the exit status 75, never 0
mkdir halt && cd halt || exit 1
batch 12 --modes exit:1 >b.in
expect 75 "$BATCHTILE" run --cores 2 --halt soon,fail=3 --joblog jl -- "$PROBE" b.in r.out
grep_err "--halt soon,fail=3: 3 evaluations failed: starting nothing new, letting what runs finish"
[ "$(sections r.out)" = 12 ] && [ "$(grep -c '^FAIL' r.out)" = 12 ] || fail "--halt: 12 FAIL sections"
# (work directories may be made ahead of starting: the joblog says what ran)
ran=$(tail -n +2 jl | wc -l)
[ "$ran" -lt 12 ] || fail "--halt soon: $ran of 12 evaluations started"
grep_err "evaluations not started: FAIL (stopped by --halt soon,fail=3"
batch 6 --modes exit:2,hang,hang >b2.in
expect 75 "$BATCHTILE" run --journal j2 --cores 3 --grace 1s --halt now,fail=1 -- "$PROBE" b2.in r2.out
grep_err "--halt now,fail=1: 1 evaluations failed: starting nothing new, stopping what runs"
[ "$(grep -c '^FAIL' r2.out)" = 6 ] || fail "--halt now: all 6 FAIL"
batch 10 --modes exit:1,ok >b3.in
expect 75 "$BATCHTILE" run --journal j3 --cores 1 --halt soon,fail=30% -- "$PROBE" b3.in r3.out
grep_err "--halt soon,fail=30%: 3 of 10 evaluations failed"
expect 1 "$BATCHTILE" run --halt sometimes -- "$PROBE" b3.in r3.out && grep_err "--halt: expected never, soon,fail=N"
cd ..
ok "--halt soon / now, fail=N and fail=P%"

# the joblog never logs a failed evaluation as a success: invalid results
# from a program that exited 0 have a non-zero Exitval
mkdir jl && cd jl || exit 1
batch 2 --modes garbage,ok >b.in
expect 0 "$BATCHTILE" run --joblog jl -- "$PROBE" b.in r.out
awk -F'\t' 'NR > 1 { print $1, $7 }' jl | sort -n | tr '\n' ' ' | grep -q "^1 1 2 0 " || fail "joblog Exitval: $(cat jl)"
cd ..
ok "joblog: Exitval 1 for invalid results"
finish

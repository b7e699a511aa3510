#!/usr/bin/env bash
# join writes FAIL, and says which and why, for each way an evaluation's
# results can be unusable; the rest come through intact.
. "$(dirname "$0")/lib.sh"

make_batch 7 standard 3 >batch.in     # ASV 3: a value and a gradient each
expect 0 "$BATCHTILE" split batch.in
run_textbook_in_workdirs
rm workdir.2/results.out                                  # missing
: >workdir.3/results.out                                  # empty
echo FAIL >workdir.4/results.out                          # marked FAIL
head -n 1 workdir.5/results.out >r && mv r workdir.5/results.out   # no gradient
printf '\001\002garbage\n' >workdir.6/results.out         # unparseable
sed -i 's/^\[/[ 1.0/' workdir.7/results.out               # gradient too long

expect 0 "$BATCHTILE" join batch.in results.out
$CHECK batch.in results.out --fail 2 3 4 5 6 7 || fail "FAIL sections"
grep_err "evaluation 2 (workdir.2/results.out): FAIL: missing results file"
grep_err "evaluation 3 (workdir.3/results.out): FAIL: empty results file"
grep_err "evaluation 4 (workdir.4/results.out): FAIL: results say FAIL"
grep_err "evaluation 5 (workdir.5/results.out): FAIL: invalid results, line 2: expected '[' opening the gradient of 'f', found end of file"
grep_err "evaluation 6 (workdir.6/results.out): FAIL: invalid results: byte 0x01 at offset 0 is not text"
grep_err "evaluation 7 (workdir.7/results.out): FAIL: invalid results, line 2: expected ']' closing the gradient of 'f'"
grep_err "7 evaluations: 1 ok, 6 failed; wrote results.out (standard)"
[ "$(grep -c 'FAIL:' "$T/err")" = 6 ] || fail "expected one line per failed evaluation"
[ "$(sections results.out)" = 7 ] || fail "expected 7 sections"
ok "failures reported as FAIL, one line each"

# JSON: {"fail": true} for failures
rm -rf j && mkdir j && cd j || exit 1
make_batch 3 json 1 >batch.in
expect 0 "$BATCHTILE" split batch.in
run_textbook_in_workdirs
rm workdir.2/results.out
expect 0 "$BATCHTILE" join --results-format json batch.in results.out
python3 -c '
import json; r = json.load(open("results.out"))
assert len(r) == 3 and r[1] == {"fail": True} and "f" in r[0]["functions"], r' || fail "JSON FAIL element"
ok "JSON failures"
finish

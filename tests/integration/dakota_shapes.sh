#!/usr/bin/env bash
# What the real Dakota sends and reads (6.21): analysis components whose
# label is the whole driver string; JSON parameters with standard results;
# one lone JSON object; a single evaluation; and --on-fail for Dakota's
# crash on FAIL in batch results. Files shaped exactly as Dakota writes them
# (tests/data/dakota621_*); answers checked by Dakota's reading rules.
. "$(dirname "$0")/lib.sh"
PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"
export PATH

# 1. analysis components: "compA AC_1:batchtile run -- text_book_par"
mkdir ac && cd ac || exit 1
cp "$BT_DATA/dakota621_components.in" batch.in
expect 0 batchtile run -- text_book_par batch.in results.out || cat "$T/err"
$CHECK batch.in results.out || fail "analysis components: values"
python3 - <<'PY' || fail "analysis components: the label is the whole driver string"
import subprocess, os, sys
sys.path.insert(0, os.environ['BT_TESTS'] + '/integration')
text = open('workdir.1/params.in').read()
assert 'compA AC_1:batchtile run -- text_book_par\n' in text, text
PY
cd ..
ok "analysis components with a multi-word driver string"

# 2. JSON parameters, standard results (Dakota's results_format is its own)
mkdir jsonstd && cd jsonstd || exit 1
batch 3 --format json >batch.in
expect 0 batchtile run -- text_book_par batch.in results.out
head -c1 results.out | grep -q '\[' && fail "JSON parameters alone must be answered in standard format"
[ "$(sections results.out)" = 3 ] && $CHECK batch.in results.out || fail "JSON parameters, standard results"
expect 0 batchtile run --journal j2 --results-format json -- text_book_par batch.in rj.out
python3 -c 'import json; a = json.load(open("rj.out")); assert isinstance(a, list) and len(a) == 3' ||
    fail "--results-format json: an array of 3"
cd ..
ok "JSON parameters: standard results by default, JSON when asked"

# 3. one lone JSON object (CONMIN evaluates one point at a time): one object back
mkdir lone && cd lone || exit 1
cp "$BT_DATA/dakota621_lone.json" params.json
expect 0 batchtile run --results-format json -- text_book_par params.json results.json
python3 - <<'PY' || fail "a lone JSON object is answered with one object: $(cat results.json)"
import json
r = json.load(open('results.json'))
assert isinstance(r, dict), r
x = [0.25, -0.75]
assert abs(r['functions']['obj_fn'] - sum((v - 1) ** 4 for v in x)) < 1e-12, r
PY
expect 0 batchtile run --journal j2 -- text_book_par params.json results.std
grep -q '^#' results.std && fail "one evaluation: no '#' in a plain results file"
cd ..
ok "a lone JSON object: one object back (standard: a plain results file)"

# 4. a single standard evaluation (eval_id 0:1, not a batch): a plain results
# file, which Dakota's single-evaluation reader takes (no '#' anywhere)
mkdir single && cd single || exit 1
cp "$BT_DATA/dakota621_single.in" params.in
expect 0 batchtile run -- text_book_par params.in results.out
grep -q '^#' results.out && fail "a single evaluation's answer has no '#': $(cat results.out)"
[ "$(wc -l <results.out)" = 1 ] && $CHECK params.in results.out || fail "single evaluation: $(cat results.out)"
# and batches have '#' between evaluations only
batch 3 >b3.in
expect 0 batchtile run --journal j3 -- text_book_par b3.in r3.out
[ "$(grep -c '^#' r3.out)" = 2 ] && [ "$(tail -n1 r3.out | cut -c1)" != "#" ] ||
    fail "'#' between evaluations only: $(cat r3.out)"
cd ..
ok "a single evaluation is a plain results file; '#' only between evaluations"

# 5. --on-fail nan / value:X: values, gradients and Hessians, as asked
mkdir onfail && cd onfail || exit 1
batch 3 --asv 7 --vars 2 >batch.in
printf '#!/bin/sh\necho "solver diverged" >&2\nexit 1\n' >failsim && chmod +x failsim
expect 0 batchtile run --on-fail nan -- ./failsim batch.in rn.out
grep_err "FAIL: exit status 1"
grep_err "--on-fail nan: 3 failed evaluations written as NaN"
expect 0 batchtile run --no-resume --on-fail value:-1e30 -- ./failsim batch.in rv.out
python3 - <<'PY' || fail "--on-fail: $(head -c 600 rn.out)"
import os, runpy, math
sections = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections']
for path, want in (('rn.out', 'nan'), ('rv.out', -1e30)):
    secs = sections(open(path).read())
    assert len(secs) == 3, (path, len(secs))
    for s in secs:
        toks = s.split()
        # a value, its label; a gradient [ 2 ]; a Hessian [[ 4 ]]
        assert toks[1] == 'f' and toks[2] == '[' and toks[5] == ']' and toks[6] == '[[' and toks[11] == ']]', toks
        nums = [float(t) for t in [toks[0]] + toks[3:5] + toks[7:11]]
        assert len(nums) == 7
        assert all(math.isnan(v) for v in nums) if want == 'nan' else all(v == want for v in nums), (path, nums)
PY
grep -q '"status":"failed"' batchtile.journal || fail "--on-fail: still failures in the journal"
expect 0 batchtile report --json && grep -q '"failed": 3' "$T/out" || fail "--on-fail: still failures in the report"
expect 1 batchtile run --on-fail maybe -- ./failsim batch.in r.out && grep_err "--on-fail: expected fail, nan or value:X"
cd ..
ok "--on-fail nan and value:X for values, gradients and Hessians; still failures everywhere else"

# 6. batchtile study sends and reads the same shapes as Dakota
REF="$BT_TESTS/../examples/local/dakota_sampling.in"
mkdir study && cd study || exit 1
sed -e 's/samples 80/samples 6/' -e "s/^    results_file = 'results.out'$/&\n    parameters_format json/" "$REF" >jsonstd.in
expect 0 batchtile study jsonstd.in || fail "study: JSON parameters, standard results: $(cat "$T/err")"
head -c1 workdir.1/params.in | grep -q '\[' && ! head -c1 workdir.1/results.out | grep -q '\[' ||
    fail "study: JSON parameters, standard results files"
rm -rf workdir.* dakota_tabular.dat
sed -e 's/samples 80/samples 3/' -e 's/^  batch$/  batch size 1/' \
    -e "s/^    results_file = 'results.out'$/&\n    parameters_format json\n    results_format json/" \
    -e "s/'batchtile run -- text_book_par'/'batchtile run --results-format json -- text_book_par'/" "$REF" >lone.in
expect 0 batchtile study lone.in || fail "study: one lone JSON object per batch: $(cat "$T/err")"
head -c1 workdir.1/params.in | grep -q '{' && head -c1 workdir.1/results.out | grep -q '{' ||
    fail "study: a batch of one is a lone JSON object both ways"
grep -q "nan" dakota_tabular.dat && fail "study lone objects: values"
rm -rf workdir.* dakota_tabular.dat
sed -e 's/samples 80/samples 3/' -e 's/^  batch$/  batch size 1/' "$REF" >single.in
expect 0 batchtile study single.in && ! grep -q '^#' workdir.1/results.out && ! grep -q nan dakota_tabular.dat ||
    fail "study: batches of one standard evaluation"
rm -rf workdir.* dakota_tabular.dat
sed -e 's/samples 80/samples 4/' -e "s/^    results_file = 'results.out'$/&\n    analysis_components 'compA' 'compB'/" "$REF" >ac.in
expect 0 batchtile study ac.in || fail "study: analysis components: $(cat "$T/err")"
grep -q "compB AC_2:batchtile run -- text_book_par$" workdir.1/params.in ||
    fail "study writes analysis components as Dakota does: $(grep AC_ workdir.1/params.in | head -2)"
grep -q nan dakota_tabular.dat && fail "study: analysis components: values"
cd ..
ok "batchtile study: JSON with standard results, lone objects, single evaluations, analysis components"
finish

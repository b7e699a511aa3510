#!/usr/bin/env bash
# batchtile study drives batchtile run exactly as Dakota would: the reference
# study end to end, batch sizes, parameter formats, failures, bad inputs.
. "$(dirname "$0")/lib.sh"
PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"
export PATH
REF="$BT_TESTS/../examples/local/dakota_sampling.in"
CHECKS="python3 $BT_TESTS/integration/check_study.py"

# the reference study, as shipped
mkdir ref && cd ref || exit 1
cp "$REF" study.in
expect 0 batchtile study study.in
cp "$T/out" summary.txt
$CHECKS summary.txt dakota_tabular.dat || fail "reference study statistics"
grep -q "80 low_discrepancy samples of 4 variables, seed 1337" summary.txt || fail "study header"
grep -q "HDF5 results are not written" summary.txt || fail "hdf5 notice"
[ -f workdir.1/params.in ] && [ -f workdir.1/results.out ] && [ -d workdir.1/workdir.80 ] ||
    fail "file_save / directory_save keep the batch directory and the evaluations' directories"
[ "$(grep -c eval_id workdir.1/params.in)" = 80 ] || fail "one batch of 80"
# the same seed gives the same study
expect 0 batchtile study study.in && cmp -s <(grep ' f ' "$T/out") <(grep ' f ' summary.txt) ||
    fail "same seed, same statistics"
cd ..
ok "reference study"

# batch size 7: 12 batches, eval ids consecutive across them; lhs; system interface
mkdir b7 && cd b7 || exit 1
sed -e 's/^  batch$/  batch size 7/' -e 's/low_discrepancy/lhs/' -e 's/^  fork$/  system/' "$REF" >study.in
expect 0 batchtile study study.in
cp "$T/out" summary.txt
[ "$(ls -d workdir.* | wc -l)" = 12 ] || fail "batch size 7: expected 12 batch directories"
ids=$(cat $(for b in $(seq 12); do echo workdir.$b/params.in; done) | awk '$2 == "eval_id" {print $1}' | tr '\n' ' ')
want=$(for e in $(seq 80); do echo -n "$(( (e - 1) / 7 + 1 )):$e "; done)
[ "$ids" = "$want" ] || fail "eval ids: $ids"
grep -q "80 evaluations in 12 batches" summary.txt || fail "12 batches"
$CHECKS summary.txt dakota_tabular.dat || fail "batch size 7 statistics"
cd ..
ok "batch size 7: 12 batches, eval ids 1:1 .. 12:80"

# APREPRO and JSON parameters (and JSON results) through the whole loop
for fmt in aprepro json; do
    mkdir $fmt && cd $fmt || exit 1
    # JSON results are Dakota's own setting (results_format json), and the
    # driver is told so, as with real Dakota
    extra="" rf=""
    [ $fmt = json ] && extra="    results_format json" && rf="--results-format json "
    sed -e "s/^    results_file = 'results.out'$/&\n    parameters_format $fmt\n$extra/" \
        -e 's/samples 80/samples 20/' -e "s/'batchtile run -- text_book_par'/'batchtile run $rf-- text_book_par --busy 10'/" \
        "$REF" >study.in
    expect 0 batchtile study study.in || { cd ..; continue; }
    cp "$T/out" summary.txt
    case $fmt in
        aprepro) head -n1 workdir.1/params.in | grep -q '{ DAKOTA_VARS     =                      4 }' || fail "APREPRO batch file" ;;
        json) head -c1 workdir.1/params.in | grep -q '\[' && head -c1 workdir.1/results.out | grep -q '\[' || fail "JSON batch files" ;;
    esac
    python3 - <<'PY' || fail "$fmt: tabular f"
import math
rows = [l.split() for l in open('dakota_tabular.dat')][1:]
assert len(rows) == 20
for r in rows:
    x = [float(v) for v in r[2:6]]
    assert math.isclose(float(r[6]), sum((a - 1) ** 4 for a in x), rel_tol=1e-13)
PY
    cd ..
    ok "$fmt parameters"
done

# a driver that fails some evaluations: the failure count is right
mkdir fails && cd fails || exit 1
cat >halfsim <<'PY'
#!/usr/bin/env python3
import sys
lines = open(sys.argv[1]).read().split('\n')
x = [float(l.split()[0]) for l in lines[1:5]]
ev = int([l.split()[0] for l in lines if l.endswith(' eval_id')][0].split(':')[-1])
if ev % 20 == 0:
    sys.exit(1)              # evaluations 20, 40, 60, 80 fail: batchtile reports FAIL
open(sys.argv[2], 'w').write('%.17g f\n' % sum((a - 1) ** 4 for a in x))
PY
chmod +x halfsim
sed -e "s|'batchtile run -- text_book_par'|'batchtile run -- $PWD/halfsim'|" "$REF" >study.in
expect 0 batchtile study study.in
cp "$T/out" summary.txt
nfail=$(awk 'NR > 1 && $7 == "nan"' dakota_tabular.dat | wc -l)
[ "$nfail" = 4 ] || fail "expected evaluations 20, 40, 60, 80 to fail, found $nfail"
$CHECKS summary.txt dakota_tabular.dat --failed "$nfail" || fail "failure count"
grep -q "Statistics based on $((80 - nfail)) samples ($nfail failed evaluations excluded)" summary.txt ||
    fail "statistics exclude the failures"
cd ..
ok "$nfail failed evaluations counted"

# a driver beside the input, named as Dakota users write it with a work
# directory: '../driver.sh' is run inside workdir.<batch>, as Dakota runs it
mkdir reldrv && cd reldrv || exit 1
printf '#!/bin/sh\nexec batchtile run -- text_book_par "$@"\n' >driver.sh
chmod +x driver.sh
sed -e "s|'batchtile run -- text_book_par'|'../driver.sh'|" -e 's/samples 80/samples 10/' "$REF" >study.in
expect 0 batchtile study study.in || fail "analysis_driver '../driver.sh': $(cat "$T/err")"
[ "$(awk 'NR > 1' dakota_tabular.dat | wc -l)" = 10 ] && ! grep -q nan dakota_tabular.dat ||
    fail "../driver.sh: 10 good rows"
sed -e "s|'batchtile run -- text_book_par'|'../nodriver.sh'|" "$REF" >missing.in
expect 3 batchtile study missing.in && grep_err "analysis_driver: ../nodriver.sh: not found or not executable, relative to the work directory workdir.1 where it runs"
cd ..
ok "analysis_driver '../driver.sh' runs in the work directory"

# malformed inputs: a clear error naming keyword and line, and nothing run
mkdir bad && cd bad || exit 1
bad() {
    local name=$1 msg=$2
    expect 2 batchtile study $name.in && grep_err "$msg"
    ls -d workdir* >/dev/null 2>&1 && fail "$name: nothing may run"
    rm -rf workdir*
}
sed 's/sample_type low_discrepancy/sample_type low_discrepancy\n    frobnicate 3/' "$REF" >unknown.in
bad unknown "unknown.in:16: unknown keyword 'frobnicate' in the method block"
sed "s/descriptors 'x1' 'x2' 'x3' 'x4'/descriptors 'x1' 'x2' 'x3'/" "$REF" >count.in
bad count "count.in:20: uniform_uncertain 4: expected 4 descriptors, found 3"
sed '/upper_bounds/d' "$REF" >bounds.in
bad bounds "bounds.in:20: uniform_uncertain 4: missing upper_bounds"
sed 's/samples 80/samples -3/' "$REF" >samples.in
bad samples "samples.in:16: samples: expected a whole number of at least 1, found '-3'"
sed 's/no_gradients/numerical_gradients/' "$REF" >grad.in
bad grad "grad.in:28: numerical_gradients: batchtile study samples function values only"
sed '/^  batch$/d' "$REF" >nobatch.in
bad nobatch "interface: expected 'batch'"
sed "s/    descriptors 'f'/    descriptors 'f\n/" "$REF" >quote.in
bad quote "quote.in:27: unterminated string"
expect 1 batchtile study && grep_err "expected one argument"
expect 3 batchtile study missing.in && grep_err "missing.in: cannot read"
cd ..
ok "malformed inputs"

# the driver's own failure (not an evaluation's) stops the study
mkdir drv && cd drv || exit 1
sed "s|'batchtile run -- text_book_par'|'batchtile run -n 4096 -- text_book_par'|" "$REF" >study.in
expect 3 batchtile study study.in && grep_err "batch 1: the analysis driver 'batchtile run -n 4096 -- text_book_par' exited with status 1"
sed "s|'batchtile run -- text_book_par'|'/bin/true'|" "$REF" >true.in
expect 3 batchtile study true.in && grep_err "batch 1: cannot read the batch results file"
cd ..
ok "driver failures"
finish

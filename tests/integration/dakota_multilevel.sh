#!/usr/bin/env bash
# examples/multilevel under real Dakota, as its README shows it:
# `dakota -i dakota_multilevel.in` with multilevel.rules beside it, on a
# test cluster of three 4-CPU nodes with accounting (the README's cluster):
# levels 0 and 1 tiled in the driver's one-node allocation, level 2
# submitted as 2-node jobs; compared value for value with the same study
# through a plain fork interface (dakota_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$BT_TESTS/integration/dakota_lib.sh"
dakota_find
EX="$BT_TESTS/../examples"
BT_SLURM_ACCOUNTING=1 start_cluster 3 4
ldd "$TEXT_BOOK" | grep -q libmpi || { fail "examples/multilevel needs an MPI text_book_par"; finish; }

mkdir ml && cp "$EX/multilevel/dakota_multilevel.in" "$EX/multilevel/multilevel.rules" ml/
grep -q "analysis_driver = 'salloc -N1 --exclusive -t 10 batchtile run --rules ../multilevel.rules -- text_book_par'" \
    ml/dakota_multilevel.in || fail "the example's driver changed: update this test"
(cd ml && timeout 600 "$DAKOTA" -i dakota_multilevel.in >out 2>err) ||
    fail "examples/multilevel: dakota: $(tail -5 ml/err)"
grep -q "batchtile run: 24 evaluations: 24 ok, 0 failed" ml/err || fail "examples/multilevel: one batch of 24: $(tail -3 ml/err)"
[ "$(dakota_restart_evals ml/dakota.rst)" = 24 ] || fail "examples/multilevel: 24 evaluations in dakota.rst"
# each level ran as its rule says: ranks per evaluation, and level 2 in jobs
# of their own (not the driver's allocation)
python3 - ml <<'PY' || fail "examples/multilevel: the rules' plans"
import glob, os, re, sys
d = sys.argv[1]
levels = {}
for f in glob.glob(os.path.join(d, 'workdir', 'workdir.*', 'params.in')):
    for line in open(f):
        w = line.split()
        if len(w) == 2 and w[1] == 'level':
            levels[os.path.dirname(f)] = int(w[0])
assert len(levels) == 24, len(levels)
want = {0: 1, 1: 4, 2: 8}
for wd, lv in levels.items():
    out = open(os.path.join(wd, 'stdout.txt')).read()
    ranks = set(re.findall(r'rank \d+ of (\d+)', out))
    assert ranks == {str(want[lv])} or (want[lv] == 1 and not ranks), (wd, lv, ranks)
    assert os.path.exists(os.path.join(wd, 'batchtile-job.sh')) == (lv == 2), (wd, lv)
assert set(levels.values()) == {0, 1, 2}, levels
PY
n2=$(grep -l '^ *2 level$' ml/workdir/workdir.*/params.in | wc -l)
jobs=$(sacct -n -X -P -S now-1hour -o JobName 2>/dev/null | grep -c .)
[ "$jobs" -ge $((n2 + 1)) ] || fail "examples/multilevel: sacct: $n2 level-2 jobs and the allocation, found $jobs"
mkdir -p ml.fork
dakota_fork_twin ml/dakota_multilevel.in ml.fork/dakota_multilevel.in || fail "no fork twin"
(cd ml.fork && timeout 600 "$DAKOTA" -i dakota_multilevel.in >out 2>err) || fail "ml.fork: $(tail -3 ml.fork/err)"
tabular_same ml/dakota_tabular.dat ml.fork/dakota_tabular.dat || fail "examples/multilevel: tabular data"
restart_same ml/dakota.rst ml.fork/dakota.rst 1e-15 || fail "examples/multilevel: restart file"
ok "examples/multilevel under dakota -i: 24 evaluations ($n2 submitted), identical to the fork study"
finish

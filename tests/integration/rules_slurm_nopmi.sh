#!/usr/bin/env bash
# A submit rule on a Slurm cluster whose srun offers no PMI plugin
# (MpiDefault=none, no mpi_pmi2/mpi_pmix): a one-task job needs none and
# runs; a multi-task one is refused before anything runs, saying why.
. "$(dirname "$0")/lib.sh"
BT_SLURM_NO_PMI=1 start_cluster 1 2
srun --mpi=list 2>&1 | grep -qE 'pmi2|pmix' && fail "the cluster must offer no PMI plugin: $(srun --mpi=list 2>&1)"

batch 2 --levels 1,2 >b.in
echo 'level == 2 -> submit -n 1 -t 5m' >one.rules
expect 0 timeout 300 batchtile run --rules one.rules -- text_book_par b.in r.out
grep_err "2 evaluations: 2 ok, 0 failed"
grep -q '"type":"submit"' batchtile.journal || fail "evaluation 2 must have been submitted"
$CHECK b.in r.out || fail "one-task submit rule: values"
ok "a one-task submit rule runs on a cluster without PMI"

echo 'level == 2 -> submit -n 2 -t 5m' >two.rules
rm -rf workdir.* batchtile.journal
expect 1 timeout 300 batchtile run --rules two.rules -- text_book_par b.in r2.out
grep_err "two.rules:1: a multi-task evaluation (-n) under Slurm needs a PMI plugin"
[ -e workdir.1 ] && fail "a refused submit rule: nothing must run"
ok "a multi-task submit rule without PMI is refused before anything runs"
finish

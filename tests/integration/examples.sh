#!/usr/bin/env bash
# Every command line the README and examples/ show, run as shown on a real
# Slurm cluster started here: two nodes that declare 8 CPUs each, like a
# small cluster's (their tasks share this machine's cores). `batchtile
# study` stands in for `dakota -i`: it runs the same input files.
# examples/flux/ is examples_flux.sh's (real Flux and real Dakota).
. "$(dirname "$0")/lib.sh"
EX="$BT_TESTS/../examples"
start_cluster 2 8
ldd "$TEXT_BOOK" | grep -q libmpi || { echo "skipped: text_book_par built without MPI"; exit 77; }

# the values of a study: every f of the tabular file is sum((x_i - 1)^4)
tabular_ok() {
    python3 - "$1" "$2" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
head, body = rows[0], rows[1:]
assert len(body) == int(sys.argv[2]), len(body)
xi = [head.index(f'x{i}') for i in range(1, 5)]
for r in body:
    f = sum((float(r[i]) - 1) ** 4 for i in xi)
    assert abs(float(r[head.index('f')]) - f) <= 1e-12 * (1 + f), r
PY
}

# examples/slurm/dakota_sampling.in: Dakota on the login node, the driver
# 'salloc -N2 --exclusive -t 10 batchtile run -n 8 -t 5m -- text_book_par'
mkdir login && cd login || exit 1
cp "$EX/slurm/dakota_sampling.in" .
grep -q "analysis_driver = 'salloc -N2 --exclusive -t 10 batchtile run -n 8 -t 5m -- text_book_par'" dakota_sampling.in ||
    fail "the example's driver changed: update this test"
expect 0 timeout 600 batchtile study dakota_sampling.in || cat "$T/err" >&2
tabular_ok dakota_tabular.dat 80 || fail "examples/slurm: 80 values"
[ "$(grep -c 'rank [0-7] of 8' workdir.1/workdir.1/stdout.txt)" = 8 ] ||
    fail "examples/slurm: one 8-rank program per evaluation: $(cat workdir.1/workdir.1/stdout.txt)"
cd ..
ok "examples/slurm/dakota_sampling.in: salloc -N2 --exclusive, -n 8: 80 values, 8 ranks each"

# examples/slurm/study.sbatch: everything in one batch job
mkdir job && cd job || exit 1
cp "$EX/slurm/dakota_sampling.in" "$EX/slurm/study.sbatch" .
sed -i 's/samples 80/samples 16/' dakota_sampling.in
DAKOTA="batchtile study" expect 0 timeout 600 sbatch --wait -o job.out study.sbatch ||
    fail "sbatch study.sbatch: $(cat "$T/err" job.out 2>/dev/null | tail -5)"
grep -q "'batchtile run -n 8 -t 5m -- text_book_par'" dakota_sampling_sbatch.in || fail "study.sbatch's driver"
tabular_ok dakota_tabular.dat 16 || fail "study.sbatch: 16 values: $(tail -5 job.out)"
cd ..
ok "examples/slurm/study.sbatch: sbatch --exclusive, the driver without salloc"

# the README's warning: a shared-node allocation gets one CPU per node, and
# batchtile says how to ask for more before it runs anything
mkdir shared && cd shared || exit 1
batch 2 >b.in
expect 1 timeout 120 salloc -N2 -t 10 -Q batchtile run -n 8 -- text_book_par b.in b.out
grep_err "an evaluation needs 8 cores (8 tasks x 1), this allocation has 2 (2 nodes): nothing was run"
grep_err "salloc/sbatch --exclusive"
grep_err "--ntasks=8 --cpus-per-task=1"
ls -d workdir.* >/dev/null 2>&1 && fail "nothing may run"
# and what it suggests works
expect 0 timeout 120 salloc -n 8 -Q batchtile run -n 8 -- text_book_par b.in b.out
grep_err "2 evaluations: 2 ok"
cd ..
ok "salloc -N2 without --exclusive: told how to ask, and salloc -n 8 then works"

# the README's try-it line: salloc -N3 --exclusive on the three-node cluster
# is the Slurm test's; here the same form on two nodes
mkdir try && cd try || exit 1
batch 6 >b.in
expect 0 timeout 120 salloc -N2 --exclusive -Q batchtile run -- probe b.in b.out
grep_err "6 evaluations: 6 ok"
cd ..
ok "salloc -N2 --exclusive batchtile run ..."
finish

#!/usr/bin/env bash
# examples/local and examples/slurm under real Dakota, run as their READMEs
# show (`dakota -i dakota_sampling.in`; `sbatch study.sbatch`), each compared
# value for value with the same study through a plain fork interface
# (dakota_fork_twin: the simulation run by Dakota once per evaluation):
# tabular data and restart file identical. The Slurm forms run on a test
# cluster of two nodes that declare 8 CPUs each (examples/slurm/README.md).
. "$(dirname "$0")/lib.sh"
. "$BT_TESTS/integration/dakota_lib.sh"
dakota_find
EX="$BT_TESTS/../examples"

# twin_same DIR INPUT [REL]: DIR's study (DIR/INPUT, already run) against
# its fork twin, run in DIR.fork: the tabular data exactly, the restart
# files exactly or to relative REL (the 8-rank text_book_par reduces its sum
# in another order than the twin's one rank: 1 ulp apart at times)
twin_same() {
    local d=$1 in=$2 rel=${3:-0}
    mkdir -p "$d.fork"
    dakota_fork_twin "$d/$in" "$d.fork/$in" || { fail "$d: no fork twin"; return 1; }
    (cd "$d.fork" && timeout 600 "$DAKOTA" -i "$in" >out 2>err) || fail "$d.fork: dakota: $(tail -3 "$d.fork/err")"
    tabular_same "$d/dakota_tabular.dat" "$d.fork/dakota_tabular.dat" || fail "$d: tabular data"
    restart_same "$d/dakota.rst" "$d.fork/dakota.rst" "$rel" || fail "$d: restart file"
}

# examples/local: the demo's input, `dakota -i dakota_sampling.in`
PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"
mkdir local && cp "$EX/local/dakota_sampling.in" local/
(cd local && timeout 600 "$DAKOTA" -i dakota_sampling.in >out 2>err) || fail "examples/local: dakota: $(tail -3 local/err)"
grep -q "batchtile run: 80 evaluations: 80 ok, 0 failed" local/err || fail "examples/local: one batch of 80"
[ "$(dakota_restart_evals local/dakota.rst)" = 80 ] || fail "examples/local: 80 evaluations in dakota.rst"
twin_same local dakota_sampling.in
ok "examples/local/dakota_sampling.in under dakota -i: 80 evaluations, identical to the fork study"

start_cluster 2 8
ldd "$TEXT_BOOK" | grep -q libmpi || { echo "text_book_par built without MPI"; fail "examples/slurm need an MPI text_book_par"; finish; }

# examples/slurm, Dakota on the login node: 'salloc -N2 --exclusive -t 10
# batchtile run -n 8 -t 5m -- text_book_par' per batch. The README's 80
# samples are 80 8-rank MPI runs; 16 here (the same input otherwise) keep
# the test within its time on a busy 2-core machine.
mkdir login && cp "$EX/slurm/dakota_sampling.in" login/
grep -q "analysis_driver = 'salloc -N2 --exclusive -t 10 batchtile run -n 8 -t 5m -- text_book_par'" login/dakota_sampling.in ||
    fail "the example's driver changed: update this test"
sed -i 's/samples 80/samples 16/' login/dakota_sampling.in
(cd login && timeout 600 "$DAKOTA" -i dakota_sampling.in >out 2>err) || fail "examples/slurm: dakota: $(tail -3 login/err)"
grep -q "batchtile run: 16 evaluations: 16 ok, 0 failed" login/err || fail "examples/slurm: one batch of 16: $(tail -3 login/err)"
[ "$(grep -c 'rank [0-7] of 8' login/workdir/workdir.1/stdout.txt)" = 8 ] ||
    fail "examples/slurm: an 8-rank program per evaluation: $(cat login/workdir/workdir.1/stdout.txt)"
twin_same login dakota_sampling.in 1e-15
ok "examples/slurm/dakota_sampling.in under dakota -i (salloc per batch): identical to the fork study"

# examples/slurm/study.sbatch: `sbatch study.sbatch`, Dakota inside the job
mkdir job && cp "$EX/slurm/dakota_sampling.in" "$EX/slurm/study.sbatch" job/
sed -i 's/samples 80/samples 16/' job/dakota_sampling.in
(cd job && timeout 600 sbatch --wait -o job.out study.sbatch >out 2>err) ||
    fail "sbatch study.sbatch: $(cat job/err; tail -5 job/job.out)"
grep -q "'batchtile run -n 8 -t 5m -- text_book_par'" job/dakota_sampling_sbatch.in || fail "study.sbatch's driver"
grep -q "batchtile run: 16 evaluations: 16 ok, 0 failed" job/job.out || fail "study.sbatch: one batch of 16: $(tail -3 job/job.out)"
twin_same job dakota_sampling_sbatch.in 1e-15
tabular_same login/dakota_tabular.dat job/dakota_tabular.dat || fail "salloc and sbatch forms: the same study"
ok "examples/slurm/study.sbatch under sbatch (dakota -i in the job): identical to the fork study"
finish

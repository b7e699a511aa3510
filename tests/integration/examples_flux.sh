#!/usr/bin/env bash
# examples/flux/ run as its README shows, under real Dakota and real Flux,
# each study compared value for value with the same study through a plain
# fork interface (dakota_fork_twin + tabular_same):
#  (a) `flux alloc -N2 dakota -i dakota_sampling_flux.in` inside
#      `flux start --test-size=2`;
#  (b) `dakota -i dakota_sampling.in`, whose driver is
#      `srun -N2 -n2 --mpi=pmi2 --exclusive flux start batchtile run ...`,
#      on a real Slurm cluster of two nodes that declare 8 CPUs each;
#  (c) `flux batch study.flux` in a test instance, waited for.
# The example's 8-task evaluations need 8 cores; this machine may have 2.
# Every instance here gets the same declaration instead: two brokers of 8
# cores each (a resource config with noverify: an R of ranks 0-1, cores
# 0-7), given to the test instances with `flux start -c` and to the brokers
# that srun starts through FLUX_CONF_DIR, which srun passes on; the
# example's commands themselves are run unchanged. (Flux's shells then say
# "cpu-affinity: ... core 2 not found in node topology" in each evaluation's
# stderr.txt and run unbound.) (b) and (c) run 16 samples instead of the
# README's 80 to keep this test within a few minutes on 2 cores (the README
# says so); (a) runs the 80.
# Skips (77) only where flux-core, Dakota or Slurm is not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dakota_lib.sh"
flux_setup
dakota_find
EX="$BT_TESTS/../examples/flux"
start_cluster 2 8
# batch job ids in ASCII (f...) rather than ƒ..., for the output file's name
export FLUX_F58_FORCE_ASCII=1
ldd "$TEXT_BOOK" | grep -q 'libmpi' ||
    { fail "text_book_par was built without MPI: the example's evaluations are 8-task MPI programs"; finish; }

# the README's commands, as the files say them
grep -qF "analysis_driver = 'srun -N2 -n2 --mpi=pmi2 --exclusive flux start batchtile run -n 8 -- text_book_par'" \
    "$EX/dakota_sampling.in" || fail "dakota_sampling.in's driver changed: update this test"
grep -qF "analysis_driver = 'batchtile run -n 8 -- text_book_par'" "$EX/dakota_sampling_flux.in" ||
    fail "dakota_sampling_flux.in's driver changed: update this test"
for cmd in 'dakota -i dakota_sampling.in' 'flux alloc -N2 dakota -i dakota_sampling_flux.in' 'flux batch study.flux'; do
    grep -qF "    $cmd" "$EX/README.md" || fail "the README no longer shows '$cmd': update this test"
done
# the two inputs are one study: they differ in the driver (and comments) only
d=$(diff <(grep -v '^#' "$EX/dakota_sampling.in" | grep -v analysis_driver) \
         <(grep -v '^#' "$EX/dakota_sampling_flux.in" | grep -v analysis_driver)) ||
    fail "dakota_sampling.in and dakota_sampling_flux.in differ beyond the driver: $d"
grep -q '^[^#]*dakota -i} dakota_sampling_flux.in$' "$EX/study.flux" ||
    fail "study.flux no longer runs dakota_sampling_flux.in"

# two brokers of 8 cores each
mkdir conf
h=$(hostname)
printf '{"version": 1, "execution": {"R_lite": [{"rank": "0-1", "children": {"core": "0-7"}}], "starttime": 0.0, "expiration": 0.0, "nodelist": ["%s,%s"]}}\n' \
    "$h" "$h" >conf/R.json
printf '[resource]\nnoverify = true\npath = "%s/conf/R.json"\n' "$T" >conf/resource.toml

# study DIR: a fresh directory with the example's files; SAMPLES=N there
study_dir() {
    mkdir "$1" && cp "$EX"/dakota_sampling.in "$EX"/dakota_sampling_flux.in "$EX"/study.flux "$1"/ &&
        sed -i "s/samples 80/samples ${2:-80}/" "$1"/dakota_sampling*.in
}
# twin_same DIR IN N: the same study through a fork interface, in DIR.twin,
# holds the same N values as DIR's
twin_same() {
    local dir=$1 in=$2 n=$3 msg
    mkdir "$dir.twin" && dakota_fork_twin "$dir/$in" "$dir.twin/$in" || { fail "$dir: no fork twin"; return 1; }
    (cd "$dir.twin" && timeout 600 "$DAKOTA" -i "$in" >dakota.out 2>dakota.err) ||
        { fail "$dir: the fork twin: $(tail -5 "$dir.twin/dakota.err")"; return 1; }
    [ "$(($(grep -c . "$dir/dakota_tabular.dat") - 1))" = "$n" ] ||
        { fail "$dir: expected $n evaluations in dakota_tabular.dat"; return 1; }
    msg=$(tabular_same "$dir/dakota_tabular.dat" "$dir.twin/dakota_tabular.dat" 2>&1) ||
        { fail "$dir: $msg"; return 1; }
}
# ranks8 DIR: the first evaluation was one 8-rank MPI program
ranks8() {
    local f
    f=$(ls "$1"/workdir/workdir.1/stdout.txt 2>/dev/null)
    [ -n "$f" ] && [ "$(grep -c 'rank [0-7] of 8' "$f")" = 8 ] ||
        fail "$1: one 8-rank program per evaluation: $(cat "$1"/workdir/workdir.1/stdout.txt 2>&1 | head -3)"
}

# (a) flux alloc -N2 dakota -i dakota_sampling_flux.in, inside flux start
study_dir alloc 80
cat >inside_alloc.sh <<'SH'
cd alloc && flux alloc -N2 dakota -i dakota_sampling_flux.in >dakota.out 2>dakota.err
SH
timeout 600 "$BT_FLUX" start --test-size=2 -c "$T/conf" bash inside_alloc.sh >alloc.log 2>&1 ||
    fail "flux alloc -N2 dakota -i dakota_sampling_flux.in: exit $?: $(tail -5 alloc/dakota.err alloc.log)"
grep -q 'batchtile run: 80 evaluations: 80 ok, 0 failed' alloc/dakota.err ||
    fail "flux alloc: batchtile's summary: $(grep 'batchtile run' alloc/dakota.err)"
ranks8 alloc
twin_same alloc dakota_sampling_flux.in 80 &&
    ok "examples/flux: flux alloc -N2 dakota -i dakota_sampling_flux.in: 80 values, the fork twin's"

# (b) the reference form: dakota -i dakota_sampling.in on the Slurm cluster;
# first, that the driver's srun line forms ONE instance of two brokers
study_dir srun 16
prefix=$(sed -n "s/.*analysis_driver = '\(srun .* flux start\) batchtile run.*/\1/p" "$EX/dakota_sampling.in")
size=$(cd srun && FLUX_CONF_DIR="$T/conf" timeout 120 $prefix flux getattr size 2>../size.err)
[ "$size" = 2 ] || fail "'$prefix flux getattr size' printed '$size', expected 2 (one instance of 2 brokers): $(tail -3 size.err)"
(cd srun && FLUX_CONF_DIR="$T/conf" timeout 600 dakota -i dakota_sampling.in >dakota.out 2>dakota.err </dev/null) ||
    fail "dakota -i dakota_sampling.in (srun ... flux start): exit $?: $(tail -5 srun/dakota.err)"
grep -q 'batchtile run: 16 evaluations: 16 ok, 0 failed' srun/dakota.err ||
    fail "srun ... flux start: batchtile's summary: $(grep 'batchtile run' srun/dakota.err)"
# two one-broker instances would each run the driver here: one batchtile
# finds the other's journal in use
[ "$(grep -c 'batchtile run: [0-9]* evaluations: ' srun/dakota.err)" = 1 ] &&
    ! grep -q 'another batchtile' srun/dakota.err ||
    fail "srun ... flux start: one batchtile per batch expected (one instance): $(grep 'batchtile run' srun/dakota.err)"
ranks8 srun
twin_same srun dakota_sampling.in 16 &&
    ok "examples/flux: dakota -i dakota_sampling.in (srun -N2 -n2 --mpi=pmi2 ... flux start, 1 instance of 2 brokers): 16 values, the fork twin's"

# (c) flux batch study.flux, waited for with flux job status
study_dir batch 16
cat >inside_batch.sh <<'SH'
cd batch || exit 1
id=$(env -u DAKOTA flux batch study.flux) || exit 1
echo "$id" >jobid
flux job status "$id"; echo "status $?" >status
flux jobs -n -o '{name} {nnodes} {ncores} {result}' "$id" >job
SH
timeout 600 "$BT_FLUX" start --test-size=2 -c "$T/conf" bash inside_batch.sh >batch.log 2>&1
[ "$(cat batch/status 2>/dev/null)" = "status 0" ] ||
    fail "flux batch study.flux: $(cat batch/status batch.log 2>&1 | tail -5)"
[ "$(cat batch/job 2>/dev/null)" = "dakota-batchtile 2 16 COMPLETED" ] ||
    fail "flux batch study.flux: the job: $(cat batch/job 2>&1)"
out="batch/flux-$(cat batch/jobid 2>/dev/null).out"
grep -q 'batchtile run: 16 evaluations: 16 ok, 0 failed' "$out" ||
    fail "flux batch: batchtile's summary in $out: $(tail -5 "$out" 2>&1)"
ranks8 batch
twin_same batch dakota_sampling_flux.in 16 &&
    ok "examples/flux: flux batch study.flux (2 whole nodes): 16 values, the fork twin's"
finish

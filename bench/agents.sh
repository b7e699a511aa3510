#!/bin/bash
# Node agents (issue 22): trivial evaluations through one `batchtile agent`
# per node against each baseline, measured in the same invocation:
#   Slurm: N evaluations in `salloc -N3 --exclusive` of the local test cluster
#          (tests/slurm/cluster.sh, node[1-3] on this machine) with --launch
#          agents, against local `batchtile run` on this machine's cores
#          (goal: at least 0.7x its throughput);
#   Flux:  M evaluations in `flux start --test-size=3` with --launch agents,
#          against --launch steps, one Flux job each (goal: at least 5x).
# REPEATS rounds of each pair, the order alternating; medians and per-round ratios.
# Usage: bench/agents.sh BUILD [N [M [REPEATS]]]   (defaults 3000 1000 3;
#   the Flux half needs batchtile built with flux-core, and flux on PATH, at
#   FLUX, or in pkg-config's flux-core prefix)
set -eu
build=$(cd "$1" && pwd); n=${2:-3000}; m=${3:-1000}; reps=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
bt=$build/src/batchtile sim=$build/bench/trivial_sim
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-agents.XXXXXX")
cluster=0
cleanup() {
    [ $cluster = 1 ] && bash "$here/../tests/slurm/cluster.sh" stop "$work/cluster"
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
now() { date +%s.%N; }
sections() { python3 "$here/../tests/integration/dakota_sections.py" "$1"; }
# timed DRIVER N CMD...: run CMD in a fresh directory, print "DRIVER seconds"
timed() {
    local name=$1 count=$2; shift 2
    rm -rf "$name" && mkdir "$name" && cd "$name"
    local t0 t1
    t0=$(now); "$@" >/dev/null 2>err || { echo "$name failed: $(tail -3 err)" >&2; exit 1; }; t1=$(now)
    [ "$(sections results.out)" = "$count" ] || { echo "$name: wrong results: $(tail -3 err)" >&2; exit 1; }
    echo "$name $(echo "$t1 - $t0" | bc)"
    cd ..
}
table() { # FILE COUNT BASELINE OTHER
    python3 - "$@" <<'PY'
import statistics, sys
f, n, base, other = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = {}
for line in open(f):
    k, s = line.split()
    t.setdefault(k, []).append(float(s))
print(f'{"driver":<16} {"median s":>9} {"evals/s":>8} {"throughput vs " + base:>24}   ({n} evaluations; per-round ratios)')
for k in (base, other):
    ratios = [b / a for a, b in zip(t[k], t[base])]
    print(f'{k:<16} {statistics.median(t[k]):9.2f} {n / statistics.median(t[k]):8.1f} '
          f'{statistics.median(ratios):24.2f}   ' + ' '.join(f'{x:.2f}' for x in ratios))
PY
}

echo "-- Slurm: $n trivial evaluations, 3-node test cluster, --launch agents vs local batchtile run"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
if bash "$here/../tests/slurm/cluster.sh" start "$work/cluster" 3 >cluster.log 2>&1; then
    cluster=1
    export SLURM_CONF="$work/cluster/slurm.conf"
    : >slurm.txt
    for r in $(seq "$reps"); do
        pair=(local agents)
        [ $((r % 2)) = 0 ] && pair=(agents local)
        for d in "${pair[@]}"; do
            if [ "$d" = local ]; then
                timed local "$n" env -u SLURM_JOB_ID "$bt" run --backend local --no-progress -- "$sim" ../batch.in results.out >>slurm.txt
            else
                timed agents "$n" salloc -N3 --exclusive -Q "$bt" run --launch agents --no-progress -- "$sim" ../batch.in results.out >>slurm.txt
            fi
        done
    done
    table slurm.txt "$n" local agents
    bash "$here/../tests/slurm/cluster.sh" stop "$work/cluster"; cluster=0
else
    echo "skipped: the test cluster did not start: $(tail -2 cluster.log)"
fi

echo
echo "-- Flux: $m trivial evaluations, flux start --test-size=3, --launch agents vs steps (a Flux job each)"
flux=${FLUX:-$(command -v flux || echo "$(pkg-config --variable=prefix flux-core 2>/dev/null)/bin/flux")}
if ! ldd "$bt" | grep -q libflux-core; then
    echo "skipped: batchtile built without flux-core"
elif [ -x "$flux" ]; then
    python3 "$here/../tests/integration/make_batch.py" "$m" >batch.in
    cat >inside.sh <<'SH'
#!/bin/bash
set -eu
bt=$1 sim=$2 m=$3 reps=$4 here=$5
now() { date +%s.%N; }
sections() { python3 "$here/../tests/integration/dakota_sections.py" "$1"; }
for r in $(seq "$reps"); do
    pair=(steps agents)
    [ $((r % 2)) = 0 ] && pair=(agents steps)
    for d in "${pair[@]}"; do
        rm -rf "$d" && mkdir "$d" && cd "$d"
        flux job purge --force --num-limit=0 >/dev/null
        t0=$(now); "$bt" run --launch "$d" --no-progress -- "$sim" ../batch.in results.out 2>err; t1=$(now)
        [ "$(sections results.out)" = "$m" ] || { echo "$d: wrong results" >&2; exit 1; }
        echo "$d $(echo "$t1 - $t0" | bc)"
        cd ..
    done
done
SH
    PATH=$(dirname "$flux"):$PATH "$flux" start --test-size=3 bash ./inside.sh "$bt" "$sim" "$m" "$reps" "$here" >flux.txt
    table flux.txt "$m" steps agents
else
    echo "skipped: flux is not on PATH (FLUX=path/to/flux)"
fi

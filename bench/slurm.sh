#!/bin/bash
# Slurm throughput: N trivial evaluations as job steps through batchtile run,
# against a plain loop of backgrounded `srun --exact` calls with the same
# concurrency (the cores of the allocation), in one allocation of the local
# test cluster (tests/slurm/cluster.sh). Counts step-creation retries.
# Usage: bench/slurm.sh BUILD [N] [REPEATS]
set -eu
build=$(cd "$1" && pwd); n=${2:-300}; reps=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-slurm.XXXXXX")
bash "$here/../tests/slurm/cluster.sh" start "$work/cluster" 3 >/dev/null
trap 'bash "$here/../tests/slurm/cluster.sh" stop "$work/cluster"; rm -rf "$work"' EXIT
export SLURM_CONF="$work/cluster/slurm.conf"
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
cat >inside.sh <<'SH'
#!/bin/bash
# runs inside the allocation: both drivers, back to back, REPS times
set -eu
bt=$1; sim=$2; reps=$3
p=$("$bt" resources | awk '$1 == "slurm" {print $3}')
now() { date +%s.%N; }
for r in $(seq "$reps"); do
    rm -rf run && mkdir run && cd run
    t0=$(now); "$bt" run --launch steps --no-progress -- "$sim" ../batch.in results.out 2>/dev/null; t1=$(now)
    retries=$(cat workdir.*/stderr.txt | grep -c "temporarily disabled" || true)
    echo "batchtile $(echo "$t1 - $t0" | bc) $retries"
    cd ..
    rm -rf pre && mkdir pre && cd pre && "$bt" split ../batch.in
    t0=$(now)
    running=0
    for d in workdir.*; do
        if [ "$running" -ge "$p" ]; then wait -n; running=$((running - 1)); fi
        srun --exact -N1 -n1 -c1 --mem=0 --chdir="$d" "$sim" params.in results.out \
            >"$d/stdout.txt" 2>"$d/stderr.txt" &
        running=$((running + 1))
    done
    wait
    t1=$(now)
    retries=$(cat workdir.*/stderr.txt | grep -c "temporarily disabled" || true)
    echo "srun_loop $(echo "$t1 - $t0" | bc) $retries"
    cd ..
done
SH
salloc -N3 --exclusive -Q bash inside.sh "$build/src/batchtile" "$build/bench/trivial_sim" "$reps" >times.txt
python3 - "$n" <<'PY'
import statistics, sys
n = int(sys.argv[1])
t = {}
for line in open('times.txt'):
    k, s, r = line.split()
    t.setdefault(k, []).append((float(s), int(r)))
base = [s for s, _ in t['srun_loop']]
print(f'{"driver":<10} {"median s":>9} {"evals/s":>8} {"ratio":>6} {"retries":>8}   ({n} evaluations, 3 nodes, per-repeat ratios)')
for k in ('srun_loop', 'batchtile'):
    ts = [s for s, _ in t[k]]
    ratios = [a / b for a, b in zip(ts, base)]
    print(f'{k:<10} {statistics.median(ts):9.2f} {n / statistics.median(ts):8.1f} '
          f'{statistics.median(ratios):6.2f} {sum(r for _, r in t[k]):8d}   '
          + ' '.join(f'{x:.2f}' for x in ratios))
PY

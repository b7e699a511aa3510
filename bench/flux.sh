#!/bin/bash
# Flux throughput: N trivial evaluations on one Flux instance
# (flux start --test-size=3): batchtile run (Flux backend) against Flux's own
# bulk submission (flux submit --cc=1-N ...; flux queue drain) and against a
# Python driver using FluxExecutor the way the reference workflow does.
# Usage: bench/flux.sh BUILD FLUX [N] [REPEATS]   (BUILD built with flux-core)
set -eu
build=$(cd "$1" && pwd); flux=$2; n=${3:-500}; reps=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-flux.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
cat >inside.sh <<SH
#!/bin/bash
set -eu
# each line: driver, wall seconds, CPU seconds (user + system) of the driver
# itself (the evaluations run under the brokers, not as its children)
TIMEFORMAT="%R %U %S"
for r in \$(seq $reps); do
    rm -rf bt && mkdir bt && cd bt
    { time $build/src/batchtile run --no-progress -- $build/bench/trivial_sim ../batch.in results.out 2>/dev/null ; } 2>t
    [ "\$(python3 $here/../tests/integration/dakota_sections.py results.out)" = $n ] || { echo "batchtile: wrong results" >&2; exit 1; }
    echo "batchtile \$(cat t)"
    cd ..
    rm -rf bulk && mkdir bulk && cd bulk && $build/src/batchtile split ../batch.in
    { time { flux submit --quiet --cc=1-$n --output=/dev/null $build/bench/trivial_sim workdir.{cc}/params.in workdir.{cc}/results.out; flux queue drain; } ; } 2>t
    echo "flux_bulk \$(cat t)"
    cd ..
    rm -rf py && mkdir py && cd py
    { time flux python $here/flux_executor_driver.py $build/bench/trivial_sim ../batch.in results.out ; } 2>t
    [ "\$(python3 $here/../tests/integration/dakota_sections.py results.out)" = $n ] || { echo "python: wrong results" >&2; exit 1; }
    echo "python_executor \$(cat t)"
    cd ..
done
SH
chmod +x inside.sh
"$flux" start --test-size=3 ./inside.sh >times.txt
python3 - "$n" <<'PY'
import statistics, sys
n = int(sys.argv[1])
t, cpu = {}, {}
for line in open('times.txt'):
    k, real, user, sys_ = line.split()
    t.setdefault(k, []).append(float(real))
    cpu.setdefault(k, []).append(float(user) + float(sys_))
base = t['flux_bulk']
print(f'{"driver":<16} {"median s":>9} {"evals/s":>8} {"ratio":>6} {"cpu s":>7}   '
      f'({n} evaluations, flux start --test-size=3; per-repeat ratios)')
for k in ('flux_bulk', 'batchtile', 'python_executor'):
    ts = t[k]
    ratios = [a / b for a, b in zip(ts, base)]
    print(f'{k:<16} {statistics.median(ts):9.2f} {n / statistics.median(ts):8.1f} '
          f'{statistics.median(ratios):6.2f} {statistics.median(cpu[k]):7.2f}   '
          + ' '.join(f'{x:.2f}' for x in ratios))
PY

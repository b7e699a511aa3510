#!/bin/bash
# Throughput: N trivial evaluations end to end through `batchtile run`
# (split, work directories, spawn, validate, journal, batch results) against
# a bare posix_spawn loop over the same pre-split directories with the same
# concurrency, all in one invocation; beside them xargs -P and GNU parallel.
# Usage: bench/throughput.sh BUILD [N] [REPEATS]
set -eu
build=$(cd "$1" && pwd); n=${2:-1000}; reps=${3:-3}
bt="$build/src/batchtile"; sim="$build/bench/trivial_sim"; loop="$build/bench/spawn_loop"
here=$(cd "$(dirname "$0")" && pwd)
p=$("$bt" resources | awk '$1 == "local" {print $3}')
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-bench.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in

now() { date +%s.%N; }
best() { sort -g | head -n1; }
presplit() { rm -rf pre && mkdir pre && (cd pre && "$bt" split ../batch.in); }

declare -A T
for r in $(seq "$reps"); do
    rm -rf run && mkdir run && cd run
    t0=$(now); "$bt" run --no-progress -- "$sim" ../batch.in results.out 2>/dev/null; t1=$(now)
    [ "$(python3 "$here/../tests/integration/dakota_sections.py" results.out)" = "$n" ] || { echo "batchtile: wrong results" >&2; exit 1; }
    cd ..; T[batchtile]+="$(echo "$t1 - $t0" | bc) "

    presplit; cd pre
    t0=$(now); "$loop" "$p" "$sim" workdir.*; t1=$(now)
    cd ..; T[spawn_loop]+="$(echo "$t1 - $t0" | bc) "

    presplit; cd pre
    t0=$(now)
    printf '%s\n' workdir.* | xargs -P "$p" -I{} sh -c 'cd "$1" && exec "$2" params.in results.out >stdout.txt 2>stderr.txt' sh {} "$sim"
    t1=$(now)
    cd ..; T[xargs]+="$(echo "$t1 - $t0" | bc) "

    if command -v parallel >/dev/null; then
        presplit; cd pre
        t0=$(now)
        parallel -j "$p" "cd {} && exec $sim params.in results.out >stdout.txt 2>stderr.txt" ::: workdir.*
        t1=$(now)
        cd ..; T[parallel]+="$(echo "$t1 - $t0" | bc) "
    fi
done
# each repeat runs every driver back to back: the ratio of a repeat compares
# runs made under the same machine load; report the median over repeats
python3 - "$n" "$p" "$reps" "${T[spawn_loop]}" "${T[batchtile]}" "${T[xargs]}" "${T[parallel]:-}" <<'PY'
import statistics, sys
n, p, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = ['spawn_loop', 'batchtile', 'xargs', 'parallel']
times = {k: [float(x) for x in v.split()] for k, v in zip(names, sys.argv[4:]) if v.strip()}
base = times['spawn_loop']
print(f'{"driver":<12} {"median s":>9} {"evals/s":>8} {"ratio":>6}  per-repeat ratios'
      f'   ({n} evaluations, {p} at once, {reps} repeats)')
for k, ts in times.items():
    ratios = [t / b for t, b in zip(ts, base)]
    med = statistics.median(ts)
    print(f'{k:<12} {med:9.3f} {n / med:8.0f} {statistics.median(ratios):6.2f}  '
          + ' '.join(f'{r:.2f}' for r in ratios))
PY

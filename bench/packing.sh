#!/bin/bash
# Packing: N evaluations of uneven length (the probe sleeping 1-10 s, fixed
# seed) on this machine's cores. The bound is the makespan of ideal list
# scheduling in batch order (each evaluation starts, with zero overhead, on
# the first core to come free), computed from the same durations; the goal
# is a measured makespan within 10% of it.
# Usage: bench/packing.sh BUILD [N]
set -eu
build=$(cd "$1" && pwd); n=${2:-40}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-pack.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" --seed 2024 --sleep-uniform 1:10 >batch.in
p=$("$build/src/batchtile" resources | awk '$1 == "local" {print $3}')
t0=$(date +%s.%N)
"$build/src/batchtile" run --no-progress -- "$build/sim/probe" batch.in results.out 2>/dev/null
t1=$(date +%s.%N)
python3 - "$p" "$(echo "$t1 - $t0" | bc)" <<'PY'
import heapq, re, sys
p, measured = int(sys.argv[1]), float(sys.argv[2])
d = [float(m) for m in re.findall(r'^\s*(\S+) probe_sleep$', open('batch.in').read(), re.M)]
free = [0.0] * p
for x in d:                       # list scheduling in batch order
    t = heapq.heappop(free)
    heapq.heappush(free, t + x)
bound = max(free)
lower = max(sum(d) / p, max(d))   # no order does better than this
print(f'{len(d)} evaluations, {sum(d):.1f} s of work on {p} cores: makespan {measured:.2f} s, '
      f'list-scheduling bound {bound:.2f} s (ratio {measured / bound:.3f}), '
      f'absolute lower bound {lower:.2f} s')
PY

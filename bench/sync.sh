#!/bin/bash
# Durability off the loop: N trivial evaluations (default 2,000) through
# `batchtile run` with no delay and with DELAY microseconds (default 50,000:
# a 50 ms sync, a slow shared filesystem) injected into every fdatasync
# (bench/slowfs.c, preloaded: what strace -e inject=fdatasync:delay_enter
# does, without ptrace's cost at every spawn), back to back, REPEATS times.
# The journal's syncs run on a thread of their own, one for every record
# appended since the last: the delayed run should keep within 10% of the
# undelayed one. Also prints how many fdatasync calls each run made (the
# journal's sync count, from strace -c in a last, separate run of each).
# Usage: bench/sync.sh BUILD [N] [REPEATS] [DELAY_US]
set -eu
build=$(cd "$1" && pwd); n=${2:-2000}; reps=${3:-3}; delay=${4:-50000}
bt="$build/src/batchtile"; sim="$build/bench/trivial_sim"
here=$(cd "$(dirname "$0")" && pwd)
slowfs="$build/bench/libslowfs.so"
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-sync.XXXXXX"); work=$(cd "$work" && pwd -P); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
. "$here/lib.sh"
for _ in $(seq "$reps"); do
    timed_run plain "$n" times SLOWFS=fdatasync=0
    timed_run delayed "$n" times SLOWFS=fdatasync="$delay"
done
# how many syncs: counted by strace in one more run of each (not timed)
syncs() {
    rm -rf count && mkdir count && cd count
    SLOWFS="fdatasync=$1" SLOWFS_ROOT="$work" LD_PRELOAD="$slowfs" strace -f -qq -c -o ../c -e trace=fdatasync \
        "$bt" run --no-progress -- "$sim" ../batch.in results.out 2>/dev/null
    cd ..
    awk '$NF == "fdatasync" {print $4}' c
}
if command -v strace >/dev/null; then
    echo "plain $(syncs 0)" >syncs
    echo "delayed $(syncs "$delay")" >>syncs
fi
python3 - "$n" "$delay" <<'PY'
import statistics, sys
n, delay = int(sys.argv[1]), int(sys.argv[2])
import os
rows = [l.split() for l in open('times')]
t = {k: [float(r[1]) for r in rows if r[0] == k] for k in ('plain', 'delayed')}
s = dict(l.split() for l in open('syncs')) if os.path.exists('syncs') else {}
ratios = [p / d for d, p in zip(t['delayed'], t['plain'])]
for k in ('plain', 'delayed'):
    m = statistics.median(t[k])
    print(f'{k:8s} median {m:7.2f} s  {n / m:6.0f} evaluations/s  fdatasync calls {s.get(k, "?")}')
print(f'fdatasync +{delay / 1000:.0f} ms: throughput delayed/plain (median of repeats) '
      f'{statistics.median(ratios):.3f}  per repeat ' + ' '.join(f'{r:.3f}' for r in ratios))
PY

#!/bin/bash
# Durability off the loop: N trivial evaluations (default 2,000) through
# `batchtile run`, traced by strace (-f, seccomp-filtered to fdatasync) with
# no delay and with DELAY microseconds (default 50,000: a 50 ms sync, a slow
# shared filesystem) injected into every fdatasync, back to back, REPEATS
# times. The journal's syncs run on a thread of their own, one for every
# record appended since the last: the delayed run should keep within 10% of
# the undelayed one. Also prints how many fdatasync calls each run made.
# Usage: bench/sync.sh BUILD [N] [REPEATS] [DELAY_US]
set -eu
build=$(cd "$1" && pwd); n=${2:-2000}; reps=${3:-3}; delay=${4:-50000}
bt="$build/src/batchtile"; sim="$build/bench/trivial_sim"
here=$(cd "$(dirname "$0")" && pwd)
command -v strace >/dev/null || { echo "skipped: strace not installed"; exit 0; }
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-sync.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
run() { # NAME STRACE-ARGS...: one timed run in a fresh directory
    local name=$1; shift
    rm -rf "$name" && mkdir "$name" && cd "$name"
    local t0 t1
    t0=$(date +%s.%N)
    strace -f -qq --seccomp-bpf -o trace -e trace=fdatasync "$@" \
        "$bt" run --no-progress -- "$sim" ../batch.in results.out 2>/dev/null
    t1=$(date +%s.%N)
    [ "$(python3 "$here/../tests/integration/dakota_sections.py" results.out)" = "$n" ] ||
        { echo "$name: wrong results" >&2; exit 1; }
    echo "$name $(echo "$t1 - $t0" | bc) $(grep -c fdatasync trace)" >>../times
    cd ..
}
for _ in $(seq "$reps"); do
    run plain
    run delayed -e inject=fdatasync:delay_enter="$delay"
done
python3 - "$n" "$delay" <<'PY'
import statistics, sys
n, delay = int(sys.argv[1]), int(sys.argv[2])
rows = [l.split() for l in open('times')]
t = {k: [float(r[1]) for r in rows if r[0] == k] for k in ('plain', 'delayed')}
s = {k: [int(r[2]) for r in rows if r[0] == k] for k in ('plain', 'delayed')}
ratios = [d / p for d, p in zip(t['delayed'], t['plain'])]
for k in ('plain', 'delayed'):
    m = statistics.median(t[k])
    print(f'{k:8s} median {m:7.2f} s  {n / m:6.0f} evaluations/s  fdatasync calls {s[k]}')
print(f'fdatasync +{delay / 1000:.0f} ms: throughput ratio delayed/plain (median of repeats) '
      f'{statistics.median(ratios):.3f}  per repeat ' + ' '.join(f'{r:.3f}' for r in ratios))
PY

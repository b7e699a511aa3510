#!/bin/bash
# Work directories made ahead: N trivial evaluations (default 2,000) through
# `batchtile run` with DELAY microseconds (default 20,000) injected into
# every mkdir/mkdirat (bench/slowfs.c, preloaded), with the helper thread that makes the
# next work directories ahead (the default) and without it
# (BATCHTILE_PRESTAGE=0), back to back, REPEATS times.
# Usage: bench/lookahead.sh BUILD [N] [REPEATS] [DELAY_US]
set -eu
build=$(cd "$1" && pwd); n=${2:-2000}; reps=${3:-3}; delay=${4:-20000}
bt="$build/src/batchtile"; sim="$build/bench/trivial_sim"
here=$(cd "$(dirname "$0")" && pwd)
slowfs="$build/bench/libslowfs.so"
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-ahead.XXXXXX"); work=$(cd "$work" && pwd -P); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
. "$here/lib.sh"
for _ in $(seq "$reps"); do
    timed_run ahead "$n" times BATCHTILE_PRESTAGE=8 SLOWFS=mkdir="$delay"
    timed_run inline "$n" times BATCHTILE_PRESTAGE=0 SLOWFS=mkdir="$delay"
done
python3 - "$n" "$delay" <<'PY'
import statistics, sys
n, delay = int(sys.argv[1]), int(sys.argv[2])
rows = [l.split() for l in open('times')]
t = {k: [float(r[1]) for r in rows if r[0] == k] for k in ('ahead', 'inline')}
for k, what in (('inline', 'on the loop (BATCHTILE_PRESTAGE=0)'), ('ahead', 'made ahead (default)')):
    m = statistics.median(t[k])
    print(f'work directories {what:34s} median {m:7.2f} s  {n / m:6.0f} evaluations/s')
gain = [i / a for i, a in zip(t['inline'], t['ahead'])]
print(f'mkdir +{delay / 1000:g} ms: made ahead is {statistics.median(gain):.2f}x faster '
      f'(per repeat ' + ' '.join(f'{g:.2f}' for g in gain) + ')')
PY

#!/bin/bash
# Scale: N trivial evaluations (default 100,000) complete, and the driver's
# peak memory (max RSS) stays small.
# Usage: bench/scale.sh BUILD [N]
set -eu
build=$(cd "$1" && pwd); n=${2:-100000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-scale.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
python3 - "$build" "$n" <<'PY'
import resource, subprocess, sys, time
build, n = sys.argv[1], int(sys.argv[2])
t = time.time()
r = subprocess.run([f'{build}/src/batchtile', 'run', '--no-progress', '--',
                    f'{build}/bench/trivial_sim', 'batch.in', 'results.out'],
                   stderr=subprocess.PIPE, text=True)
t = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sections = open('results.out').read().count('#\n')
print(r.stderr.strip().splitlines()[-1])
print(f'{n} evaluations: exit {r.returncode}, {sections} sections, {t:.1f} s '
      f'({n / t:.0f} evaluations/s), peak RSS {rss:.1f} MB')
sys.exit(0 if r.returncode == 0 and sections == n else 1)
PY

#!/bin/bash
# Order: a mixed batch (the cheap evaluations first in batch order, the
# costly ones last, as a multilevel study often lists them) on 8 declared
# cores, run with --order batch, largest-first and longest-first (the last
# with the runtimes the earlier runs recorded in the journal). Each makespan
# (first start to last end, from the journal) is compared with the lower
# bound no order can beat: max(longest evaluation, total core-seconds / cores).
# The evaluations sleep (the probe), so 8 declared cores fit on any machine.
# Usage: bench/order.sh BUILD [N]
set -eu
build=$(cd "$1" && pwd); n=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-order.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
# levels: two thirds 0, then 1, then the last sixth 2
levels=$(python3 -c "n=$n; print(','.join(str(0 if k < 2*n//3 else 1 if k < 5*n//6 else 2) for k in range(n)))")
python3 "$here/../tests/integration/make_batch.py" "$n" --seed 7 --levels "$levels" >batch.in
probe="$build/sim/probe"
cat >rules.txt <<EOF2
level == 2 -> tile -c 4 -t 20s -- $probe --sleep 3
level == 1 -> tile -c 2 -t 10s -- $probe --sleep 1.5
level == 0 -> tile -c 1 -t 5s  -- $probe --sleep 0.5
EOF2
for order in batch largest-first longest-first; do
    "$build/src/batchtile" run --no-progress --no-resume --cores 8 --rules rules.txt \
        --order "$order" -- "$probe" batch.in results.out 2>/dev/null
    python3 - "$order" <<'PY'
import json, sys
recs = [json.loads(l) for l in open('batchtile.journal')]
last_run = max(i for i, r in enumerate(recs) if r['type'] == 'run')
ev = [r for r in recs[last_run:] if r['type'] == 'eval' and r['status'] == 'ok']
cores = {2: 4, 1: 2, 0: 1}
rule_level = {1 + 1: 2, 2 + 1: 1, 3 + 1: 0}  # rules.txt lines 1..3 -> levels 2, 1, 0
work = sum((r['end'] - r['start']) * cores[rule_level[r['rule'] + 1]] for r in ev)
longest = max(r['end'] - r['start'] for r in ev)
makespan = max(r['end'] for r in ev) - min(r['start'] for r in ev)
lower = max(longest, work / 8)
print(f'--order {sys.argv[1]:14s} {len(ev)} evaluations, {work:.1f} core-s on 8 cores: '
      f'makespan {makespan:.2f} s, lower bound {lower:.2f} s, ratio {makespan / lower:.3f}')
PY
done

#!/bin/bash
# A shared filesystem: N trivial evaluations (default 1,000) with latency
# injected into every mkdir/mkdirat (2 ms), open/openat (2 ms) and
# fsync/fdatasync (20 ms) of every process -- the driver, its helper threads
# and the simulations alike, as on Lustre or NFS (bench/slowfs.c, preloaded:
# strace -f -e inject=...:delay_enter would do the same, but stops every
# process at every fork and exec, which would measure ptrace) -- in one
# invocation:
#   batchtile run (split, work directories, spawn, validate, journal, results)
#   the bare posix_spawn loop over directories that `batchtile split` makes
#   GNU parallel over the same directories
# The baselines are timed with and without making their directories (a
# Lustre user needs them made too). REPEATS rounds, each driver back to back.
# Usage: bench/sharedfs.sh BUILD [N] [REPEATS]
set -eu
build=$(cd "$1" && pwd); n=${2:-1000}; reps=${3:-3}
bt="$build/src/batchtile"; sim="$build/bench/trivial_sim"; loop="$build/bench/spawn_loop"
here=$(cd "$(dirname "$0")" && pwd)
slowfs="$build/bench/libslowfs.so"
p=$("$bt" resources | awk '$1 == "local" {print $3}')
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-sharedfs.XXXXXX"); work=$(cd "$work" && pwd -P); trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
slow() { SLOWFS="mkdir=2000,open=2000,fdatasync=20000" SLOWFS_ROOT="$work" LD_PRELOAD="$slowfs" "$@"; }
now() { date +%s.%N; }
for _ in $(seq "$reps"); do
    rm -rf run && mkdir run && cd run
    t0=$(now); slow "$bt" run --no-progress -- "$sim" ../batch.in results.out 2>/dev/null; t1=$(now)
    [ "$(python3 "$here/../tests/integration/dakota_sections.py" results.out)" = "$n" ] ||
        { echo "batchtile: wrong results" >&2; exit 1; }
    cd ..; echo "batchtile $(echo "$t1 - $t0" | bc) 0" >>times

    rm -rf pre && mkdir pre && cd pre
    t0=$(now); slow "$bt" split ../batch.in >/dev/null; t1=$(now)
    slow "$loop" "$p" "$sim" workdir.*; t2=$(now)
    cd ..; echo "spawn_loop $(echo "$t2 - $t1" | bc) $(echo "$t1 - $t0" | bc)" >>times

    if command -v parallel >/dev/null; then
        rm -rf pre && mkdir pre && cd pre
        t0=$(now); slow "$bt" split ../batch.in >/dev/null; t1=$(now)
        slow parallel -j "$p" "cd {} && exec $sim params.in results.out >stdout.txt 2>stderr.txt" ::: workdir.*
        t2=$(now)
        cd ..; echo "parallel $(echo "$t2 - $t1" | bc) $(echo "$t1 - $t0" | bc)" >>times
    fi
done
python3 - "$n" "$p" "$reps" <<'PY'
import statistics, sys
n, p, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [l.split() for l in open('times')]
names = [k for k in ('batchtile', 'spawn_loop', 'parallel') if any(r[0] == k for r in rows)]
run = {k: [float(r[1]) for r in rows if r[0] == k] for k in names}
split = {k: [float(r[2]) for r in rows if r[0] == k] for k in names}
print(f'{n} evaluations, {p} at once, {reps} repeats; mkdir/open +2 ms, fsync/fdatasync +20 ms')
print(f'{"driver":<12} {"run s":>8} {"+split s":>9} {"evals/s":>8}  ratio to the bare loop (with its split)')
base = [a + b for a, b in zip(run['spawn_loop'], split['spawn_loop'])]
for k in names:
    tot = [a + b for a, b in zip(run[k], split[k])]
    med = statistics.median(tot)
    ratio = statistics.median([t / b for t, b in zip(tot, base)])
    print(f'{k:<12} {statistics.median(run[k]):8.2f} {med:9.2f} {n / med:8.0f}  {ratio:.2f}')
PY

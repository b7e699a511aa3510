#!/bin/sh
# All the benchmarks, each against its own baseline measured in the same run.
# Usage: sh bench/run.sh [BUILD]   (BENCH_DIR=/dev/shm to work on tmpfs)
set -eu
build=${1:-build}
here=$(dirname "$0")
echo "== split: parse a 100,000-evaluation batch in memory (best of 3) vs one memchr pass"
"$build/bench/split_bench" 100000
echo
echo "== throughput: 1,000 trivial evaluations, batchtile run vs a bare posix_spawn loop"
bash "$here/throughput.sh" "$build" 1000 5
echo
echo "== packing: 40 evaluations sleeping 1-10 s vs ideal list scheduling"
bash "$here/packing.sh" "$build" 40
echo
echo "== order: a mixed batch (--rules) in each --order vs the lower bound"
bash "$here/order.sh" "$build" 30
echo
echo "== journal durability: 2,000 trivial evaluations, fdatasync +50 ms vs none"
bash "$here/sync.sh" "$build" 2000 3
echo
echo "== work directories made ahead: 2,000 trivial evaluations, mkdir +20 ms"
bash "$here/lookahead.sh" "$build" 2000 3
echo
echo "== a shared filesystem: mkdir/openat +2 ms, fdatasync +20 ms; batchtile, the bare loop, GNU parallel"
bash "$here/sharedfs.sh" "$build" 1000 3
echo
echo "== scale: 10,000 and 1,000,000 trivial evaluations: peak memory, time per evaluation"
bash "$here/scale.sh" "$build" 10000 1000000
echo
echo "== a whole study in one allocation: 20 batches of 8 through one pool vs 20 salloc ... batchtile run"
bash "$here/pool.sh" "$build" 20 8 0.2
echo "== node agents: 3,000 trivial evaluations on the 3-node Slurm test cluster vs local; 1,000 under Flux agents vs a Flux job each"
bash "$here/agents.sh" "$build" 3000 1000 3

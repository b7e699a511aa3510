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
echo "== scale: 100,000 trivial evaluations, peak memory"
bash "$here/scale.sh" "$build" 100000

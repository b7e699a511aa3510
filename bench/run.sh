#!/bin/sh
# Run the benchmarks against a build directory: sh bench/run.sh [BUILD]
set -eu
build=${1:-build}
echo "== split_bench: parse a 100,000-evaluation batch in memory (best of 3)"
"$build/bench/split_bench" 100000

#!/bin/sh
# A longer fuzzing campaign over every parser (make fuzz): each libFuzzer
# target built by the test build runs SECONDS (default 600) on its corpus
# (build/tests/corpus_NAME, which keeps what it finds between campaigns),
# seeded from tests/data and tests/fuzz/seeds. A crash leaves its input as
# build/tests/crash-* and fails the campaign.
# Usage: sh tests/fuzz/campaign.sh BUILD_DIR [SECONDS]
set -eu
build=${1:?usage: campaign.sh BUILD_DIR [SECONDS]}
secs=${2:-${FUZZ_SECONDS:-600}}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$build/tests"
found=0
for t in params results study strings journal rules; do
    [ -x "fuzz_$t" ] || { echo "fuzz: fuzz_$t not built (needs clang)" >&2; exit 1; }
    case $t in params|results) seeds=$top/tests/data ;; *) seeds=$top/tests/fuzz/seeds/$t ;; esac
    mkdir -p "corpus_$t"
    echo "fuzz: $t for ${secs}s"
    if ! "./fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "corpus_$t" "$seeds" >"fuzz_$t.log" 2>&1; then
        echo "fuzz: $t FAILED: $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "fuzz_$t.log")" >&2
        found=1
    fi
    grep -E 'number_of_executed_units' "fuzz_$t.log" | sed "s/^/fuzz: $t: /"
done
exit $found

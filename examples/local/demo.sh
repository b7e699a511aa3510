#!/bin/sh
# The demo: the reference Dakota study (80 low-discrepancy samples of the
# text_book problem) run by `batchtile study` through the batch interface,
# with `batchtile run` as its analysis driver, on this machine's cores.
# Everything stays in demo/ to look at.
# Usage: sh examples/local/demo.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
PATH="$build/src:$build/sim:$PATH"
export PATH

rm -rf "$top/demo"
mkdir -p "$top/demo"
cd "$top/demo"
cp "$top/examples/local/dakota_sampling.in" .

echo "== batchtile resources"
batchtile resources
echo
echo "== batchtile study dakota_sampling.in"
echo "   (Dakota's batch interface: one batch of 80 evaluations, driver: batchtile run -- text_book_par;"
echo "    each evaluation sleeps 0.05-0.3 s, TEXT_BOOK_SLEEP, so that there is something to watch)"
TEXT_BOOK_SLEEP=0.05:0.3 batchtile study dakota_sampling.in
echo
echo "== left for you in $top/demo:"
echo "   dakota_tabular.dat           every sample and its f"
echo "   workdir.1/params.in          the batch parameters file the study wrote"
echo "   workdir.1/results.out        the batch results file batchtile run wrote"
echo "   workdir.1/workdir.<eval>/    one work directory per evaluation"
echo "   workdir.1/batchtile.journal  one JSON line per evaluation: where, when, how it ended"

#!/bin/sh
# The demo: run an example Dakota batch (16 evaluations of the text_book
# problem) with `batchtile run`, exactly as Dakota would call it, then show
# what it left behind. Everything stays in demo/ to look at.
# Usage: sh examples/local/demo.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
PATH="$build/src:$build/sim:$PATH"
export PATH

rm -rf "$top/demo"
mkdir -p "$top/demo"
cd "$top/demo"
cp "$top/examples/local/batch_params.in" .

echo "== batchtile resources"
batchtile resources
echo
echo "== batchtile run --progress -- text_book_par batch_params.in batch_results.out"
batchtile run --progress -- text_book_par batch_params.in batch_results.out
echo
echo "== what Dakota reads back: batch_results.out (first 3 evaluations)"
head -n 6 batch_results.out | sed 's/^/   /'
echo "== one work directory: workdir.1/"
ls workdir.1 | sed 's/^/   /'
echo "== the journal: $(grep -c '"type":"eval"' batchtile.journal) evaluation records in batchtile.journal"
echo "== done: see $top/demo"

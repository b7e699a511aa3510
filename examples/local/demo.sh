#!/bin/sh
# The demo: split an example Dakota batch into work directories, run the
# text_book simulation in each, and join the results into the batch results
# file Dakota would read. Leaves everything in demo/ to look at.
# Usage: sh examples/local/demo.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
bt="$build/src/batchtile"
sim="$build/sim/text_book_par"

rm -rf "$top/demo"
mkdir -p "$top/demo"
cd "$top/demo"
cp "$top/examples/local/batch_params.in" .

echo "== batchtile split batch_params.in"
"$bt" split batch_params.in
echo "   $(ls -d workdir.* | wc -l) work directories, e.g. workdir.1/params.in:"
sed 's/^/     /' workdir.1/params.in

echo "== text_book_par in each work directory"
for d in workdir.*; do
    (cd "$d" && "$sim" params.in results.out >stdout.txt 2>stderr.txt)
done
echo "   workdir.1/stdout.txt: $(cat workdir.1/stdout.txt)"

echo "== batchtile join batch_params.in batch_results.out"
"$bt" join batch_params.in batch_results.out
echo "   batch_results.out (first 3 evaluations):"
head -n 6 batch_results.out | sed 's/^/     /'
echo "== done: see $top/demo"

#!/usr/bin/env bash
# text_book_par under mpiexec: ranks split the variables, rank 0 writes the
# same values as a serial run (the formulas, to rounding).
. "$(dirname "$0")/lib.sh"

if ! ldd "$TEXT_BOOK" | grep -q libmpi; then
    echo "text_book_par was built without MPI"; exit 77
fi
command -v mpiexec >/dev/null || { echo "no mpiexec"; exit 77; }
make_batch 3 standard 7 >batch.in
sed -i 's/ASV_1:f/ASV_1:obj_fn/' batch.in
expect 0 "$BATCHTILE" split batch.in
for np in 1 2 3; do
    for d in workdir.*; do
        (cd "$d" && timeout 60 mpiexec -n $np "$TEXT_BOOK" params.in results.out >stdout.txt 2>stderr.txt) ||
            fail "mpiexec -n $np in $d: $(cat $d/stderr.txt)"
        [ "$(grep -c '^text_book_par: host .* rank [0-9]* of '$np' cores' "$d/stdout.txt")" = $np ] ||
            fail "-n $np: expected $np rank lines in $d/stdout.txt"
    done
    expect 0 "$BATCHTILE" join batch.in results.$np
    $CHECK batch.in results.$np || fail "mpiexec -n $np values"
done
ok "mpiexec -n 1, 2, 3 give the formulas' values"
finish

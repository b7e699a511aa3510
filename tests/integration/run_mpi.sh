#!/usr/bin/env bash
# Multi-task evaluations through mpiexec: text_book_par -n 2 gives the
# formulas' values, and each rank is bound to its own core.
. "$(dirname "$0")/lib.sh"
ldd "$TEXT_BOOK" | grep -q libmpi || { echo "text_book_par built without MPI"; exit 77; }
command -v mpiexec >/dev/null || { echo "no mpiexec"; exit 77; }
NCPU=$("$BATCHTILE" resources | awk '$1 == "local" {print $3}')
[ "$NCPU" -ge 2 ] || { echo "needs 2 cores"; exit 77; }

make_batch 6 standard 7 >batch.in
sed -i 's/ASV_1:f/ASV_1:obj_fn/' batch.in
expect 0 "$BATCHTILE" run -n 2 -- "$TEXT_BOOK" batch.in results.out
$CHECK batch.in results.out || fail "-n 2 values"
for d in workdir.*; do
    [ "$(grep -c 'rank [01] of 2' $d/stdout.txt)" = 2 ] || fail "$d: expected ranks 0 and 1 of 2: $(cat $d/stdout.txt)"
    cores=$(sed -n 's/.*cores \([0-9,-]*\)$/\1/p' $d/stdout.txt | sort -u | wc -l)
    [ "$cores" = 2 ] || fail "$d: ranks must be bound to different cores: $(cat $d/stdout.txt)"
done
ok "text_book_par -n 2 through mpiexec"

# the probe under mpiexec: both ranks record, no core shared across evaluations
mkdir p && cd p || exit 1
batch 6 --sleep 0.3 >batch.in
expect 0 "$BATCHTILE" run -n 2 -- "$PROBE" batch.in results.out
[ "$(ls workdir.*/probe.1.json | wc -l)" = 6 ] || fail "rank 1 records"
out=$(probe_check overlap workdir.*) || fail "cores shared: $out"
ok "probe -n 2: $out"
cd ..

# --mpi none: one process on all the cores of the evaluation
mkdir none && cd none || exit 1
batch 2 >batch.in
expect 0 "$BATCHTILE" run -n 2 --mpi none -- "$PROBE" batch.in results.out
[ -f workdir.1/probe.1.json ] && fail "--mpi none must not start ranks"
python3 -c 'import json; assert json.load(open("workdir.1/probe.0.json"))["cpus"] == "0-1"' ||
    fail "--mpi none: the process gets both cores"
ok "--mpi none"
finish

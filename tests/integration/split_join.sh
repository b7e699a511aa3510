#!/usr/bin/env bash
# split -> text_book_par by hand in each work directory -> join, in every
# parameters format, and every value compared with the formulas.
. "$(dirname "$0")/lib.sh"

for fixture in batch_std.in batch_aprepro.in batch.json; do
    rm -rf w && mkdir w && cd w || exit 1
    cp "$BT_DATA/$fixture" batch.in
    expect 0 "$BATCHTILE" split batch.in || { cd ..; continue; }
    [ "$(ls -d workdir.* | wc -l)" = 3 ] || fail "$fixture: expected 3 work directories"
    if [ "$fixture" != batch.json ]; then
        # the per-evaluation files, in order, are the batch byte for byte
        cat workdir.1/params.in workdir.2/params.in workdir.3/params.in | cmp -s - batch.in ||
            fail "$fixture: work directory parameter files are not the batch's bytes"
    else
        python3 -c 'import json,sys; b=json.load(open("batch.in")); [json.load(open(f"workdir.{i+1}/params.in"))==e or sys.exit(1) for i,e in enumerate(b)]' ||
            fail "$fixture: JSON elements differ"
    fi
    run_textbook_in_workdirs
    expect 0 "$BATCHTILE" join batch.in results.out && grep_err "3 evaluations: 3 ok, 0 failed; wrote results.out"
    $CHECK batch.in results.out || fail "$fixture: values differ from the formulas"
    if [ "$fixture" = batch.json ]; then
        # Dakota's results format is its own setting: standard unless asked
        head -c1 results.out | grep -q '\[' && fail "JSON batch: results must be standard by default"
        expect 0 "$BATCHTILE" join --results-format json batch.in rj.out && $CHECK batch.in rj.out &&
            head -c1 rj.out | grep -q '\[' || fail "JSON batch: --results-format json"
        expect 0 "$BATCHTILE" join --results-format standard batch.in results.std &&
            $CHECK batch.in results.std || fail "JSON batch: --results-format standard"
    fi
    ok "$fixture"
    cd .. || exit 1
done

# larger batches, gradients and Hessians (ASV 7), standard and JSON
for fmt in standard json; do
    rm -rf w && mkdir w && cd w || exit 1
    make_batch 60 $fmt 7 >batch.in
    expect 0 "$BATCHTILE" split batch.in
    run_textbook_in_workdirs
    expect 0 "$BATCHTILE" join batch.in results.out
    $CHECK batch.in results.out || fail "$fmt 60 evaluations"
    ok "60 evaluations ($fmt, ASV 7)"
    cd .. || exit 1
done

# templates: {eval} in the work directory and the file names
rm -rf w && mkdir w && cd w || exit 1
make_batch 4 >batch.in
expect 0 "$BATCHTILE" split --workdir 'runs/{eval}/sim' --params-file 'p{eval}.in' batch.in
[ -f runs/3/sim/p3.in ] || fail "template: runs/3/sim/p3.in missing"
for i in 1 2 3 4; do
    (cd runs/$i/sim && "$TEXT_BOOK" p$i.in r$i.out >/dev/null) || fail "template run $i"
done
expect 0 "$BATCHTILE" join --workdir 'runs/{eval}/sim' --results-file 'r{eval}.out' batch.in out.txt
$CHECK batch.in out.txt || fail "templates"
ok "templates"
cd .. || exit 1

finish

#!/usr/bin/env bash
# batchtile run on this machine: evaluations tile the cores and GPUs without
# ever sharing one, reach full concurrency, and the batch results are right
# and in batch order at any size.
. "$(dirname "$0")/lib.sh"
NCPU=$("$BATCHTILE" resources | awk '$1 == "local" {print $3}')
[ -n "$NCPU" ] && [ "$NCPU" -ge 1 ] || { fail "resources: no core count"; finish; }
ok "resources: $NCPU cores"

# no two concurrent evaluations share a core; concurrency reaches the core count
mkdir cores && cd cores || exit 1
batch 24 --sleep 0.3 >batch.in
expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results.out
out=$(probe_check overlap workdir.*) || fail "cores shared: $out"
echo "$out" | grep -q "evaluations 24 peak $NCPU " || fail "expected 24 evaluations at peak $NCPU: $out"
[ "$(sections results.out)" = 24 ] || fail "24 sections"
ok "cores: $out"
cd ..

# GPUs declared by option: one per evaluation, never shared, all used
mkdir gpus && cd gpus || exit 1
batch 16 --sleep 0.3 >batch.in
expect 0 "$BATCHTILE" run --cores 4 --gpus 4 -g 1 -- "$PROBE" batch.in results.out
out=$(probe_check overlap --ignore-cpus workdir.*) || fail "GPUs shared: $out"
echo "$out" | grep -q "evaluations 16 peak 4 gpus 0,1,2,3 conflicts 0" || fail "expected 4 GPUs in use: $out"
for f in workdir.*/probe.0.json; do
    python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["CUDA_VISIBLE_DEVICES"]; sys.exit(0 if g in ("0","1","2","3") else 1)' "$f" ||
        fail "$f: expected exactly one GPU id"
done
# an evaluation that asks for no GPU sees none
batch 2 >b0.in
expect 0 "$BATCHTILE" run --gpus 2 --journal j0 -- "$PROBE" b0.in r0.out
python3 -c 'import json; assert json.load(open("workdir.1/probe.0.json"))["CUDA_VISIBLE_DEVICES"] == ""' ||
    fail "an evaluation without -g must see no GPU"
# GPUs from CUDA_VISIBLE_DEVICES: the ids are the ones we were given
batch 4 --sleep 0.2 --first 101 >b1.in
CUDA_VISIBLE_DEVICES=5,7 expect 0 "$BATCHTILE" run -g 1 --journal j1 -- "$PROBE" b1.in r1.out
out=$(probe_check overlap workdir.10[1-4]) && echo "$out" | grep -q "gpus 5,7 conflicts 0" ||
    fail "CUDA_VISIBLE_DEVICES=5,7: $out"
ok "GPUs: $out"
cd ..

# text_book_par: 3, 300 and 2,000 evaluations, values against the formulas
for n in 3 300 2000; do
    mkdir tb$n && cd tb$n || exit 1
    make_batch $n standard 7 >batch.in
    sed -i 's/ASV_1:f/ASV_1:obj_fn/' batch.in
    expect 0 "$BATCHTILE" run -- "$TEXT_BOOK" batch.in results.out
    $CHECK batch.in results.out || fail "$n evaluations: values"
    grep_err "$n evaluations: $n ok, 0 failed"
    [ "$(grep -c '"type":"eval"' batchtile.journal)" = $n ] || fail "$n journal records"
    ok "$n evaluations"
    cd ..
done

# JSON and APREPRO batches; {params}/{results}/{eval} in the command line
mkdir fmt && cd fmt || exit 1
batch 5 --format json --asv 3 >b.json
expect 0 "$BATCHTILE" run --journal jj -- "$TEXT_BOOK" b.json r.std && $CHECK b.json r.std ||
    fail "JSON batch"
head -c1 r.std | grep -q '\[' && fail "JSON batch: standard results unless asked"
expect 0 "$BATCHTILE" run --journal jj --results-format json -- "$TEXT_BOOK" b.json r.json &&
    $CHECK b.json r.json || fail "JSON batch, JSON results"
head -c1 r.json | grep -q '\[' || fail "JSON batch: --results-format json"
batch 5 --format aprepro --first 11 >b.apr
expect 0 "$BATCHTILE" run --journal ja -- "$TEXT_BOOK" --results-format standard '{params}' '{results}' b.apr r.apr &&
    $CHECK b.apr r.apr || fail "APREPRO batch with placeholders"
batch 2 --first 21 >b.e
expect 0 "$BATCHTILE" run --journal je --params-file 'in.{eval}' --results-file out.txt -- \
    "$TEXT_BOOK" --busy 10 '{params}' '{results}' b.e r.e && [ -f workdir.21/in.21 ] ||
    fail "{eval} in --params-file"
ok "formats and placeholders"
cd ..

# large outputs go to files and never stall the driver
mkdir spew && cd spew || exit 1
batch 4 >batch.in
PROBE_SPEW=8000000 expect 0 timeout 60 "$BATCHTILE" run -- "$PROBE" batch.in results.out
[ "$(stat -c %s workdir.1/stdout.txt)" = 8000000 ] && [ "$(stat -c %s workdir.4/stderr.txt)" = 8000000 ] ||
    fail "8 MB of stdout/stderr per evaluation"
grep_err "4 evaluations: 4 ok"
ok "8 MB stdout+stderr per evaluation"
cd ..

# --template-dir: links by default, copies with --copy-files
mkdir tmpl && cd tmpl || exit 1
mkdir template && echo data >template/input.dat && mkdir template/sub && echo x >template/sub/y
batch 2 >batch.in
expect 0 "$BATCHTILE" run --template-dir template -- "$PROBE" batch.in results.out
[ -L workdir.1/input.dat ] && [ "$(cat workdir.1/input.dat)" = data ] || fail "--template-dir links"
batch 2 --first 3 >b2.in
expect 0 "$BATCHTILE" run --journal j2 --template-dir template --copy-files -- "$PROBE" b2.in r2.out
[ -f workdir.3/input.dat ] && [ ! -L workdir.3/input.dat ] && [ -f workdir.3/sub/y ] || fail "--copy-files"
ok "template directory"
cd ..
finish

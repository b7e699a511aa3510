#!/usr/bin/env bash
# batchtile run's command line: usage errors exit 1, malformed batches exit 2,
# evaluations that cannot fit are refused before anything runs, --dry-run
# runs nothing.
. "$(dirname "$0")/lib.sh"
batch 3 >batch.in

expect 0 "$BATCHTILE" run --help && grep -q "Usage: batchtile run" "$T/out" || fail "--help"
expect 1 "$BATCHTILE" run && grep_err "expected COMMAND [ARG...] BATCH_PARAMS BATCH_RESULTS"
expect 1 "$BATCHTILE" run -- "$PROBE" batch.in && grep_err "found 2 arguments"
expect 1 "$BATCHTILE" run -n 0 -- "$PROBE" batch.in r && grep_err "-n/--ntasks: expected a whole number of at least 1, found '0'"
expect 1 "$BATCHTILE" run -n x -- "$PROBE" batch.in r && grep_err "found 'x'"
expect 1 "$BATCHTILE" run -t soon -- "$PROBE" batch.in r && grep_err "-t/--time-limit: expected a duration"
expect 1 "$BATCHTILE" run --backend pbs -- "$PROBE" batch.in r && grep_err "--backend: unknown value 'pbs'"
expect 1 "$BATCHTILE" run --frobnicate -- "$PROBE" batch.in r && grep_err "unrecognized option '--frobnicate'"
expect 1 "$BATCHTILE" run --workdir . -- "$PROBE" batch.in r && grep_err "every evaluation would share"
expect 1 "$BATCHTILE" run --copy-files -- "$PROBE" batch.in r && grep_err "--copy-files needs --template-dir"
expect 1 "$BATCHTILE" run -n 64 -- "$PROBE" batch.in r && grep_err "an evaluation needs 64 cores (64 tasks x 1), this allocation has"
expect 1 "$BATCHTILE" run -g 1 --gpus 0 -- "$PROBE" batch.in r && grep_err "needs 1 GPUs (1 tasks x 1), this allocation has 0"
expect 1 "$BATCHTILE" run -N 2 -n 2 -- "$PROBE" batch.in r && grep_err "needs 2 nodes (-N 2), this allocation has 1"
ls -d workdir.* >/dev/null 2>&1 && fail "a refused run must create nothing"
[ -e r ] && fail "a refused run must write no results"
ok "usage errors exit 1 and run nothing"

head -n 20 batch.in >bad.in
expect 2 "$BATCHTILE" run -- "$PROBE" bad.in r && grep_err "bad.in:21: expected '<n> functions', found end of file"
ls -d workdir.* >/dev/null 2>&1 && fail "a malformed batch must create nothing"
expect 3 "$BATCHTILE" run -- "$PROBE" missing.in r && grep_err "missing.in: cannot read"
ok "bad batch files exit 2, unreadable 3"

# durations: 90s, 5m, 1h, Slurm's [[HH:]MM:]SS
for d in 90s 5m 1h 0.5s 1:30 01:00:00 45; do
    expect 0 "$BATCHTILE" run --dry-run -t $d -- "$PROBE" batch.in r || fail "-t $d"
done

expect 0 "$BATCHTILE" run --dry-run --cores 2 -n 1 -c 1 -- "$PROBE" --sleep 1 batch.in r
grep -q "^eval 1  \[.*: cores 0\]  in workdir.1: .*probe --sleep 1 params.in results.out$" "$T/out" || fail "dry run line: $(cat $T/out)"
[ "$(wc -l <"$T/out")" = 3 ] || fail "dry run: one line per evaluation"
ls -d workdir.* >/dev/null 2>&1 && fail "--dry-run must create nothing"
[ -e batchtile.journal ] && fail "--dry-run must not journal"
ok "--dry-run"
finish

#!/usr/bin/env bash
# Dakota's failure channel in batch mode, under real Dakota: what Dakota
# 6.21 does with each way batchtile can report a failed evaluation, pinned
# so that a Dakota that fixes it shows up ("Dakota changed: update README"),
# what to use instead (--on-fail nan / value:X), and batchtile's stop of
# Dakota's endless JSON re-send (--resend-limit).
#
# The study: examples/local/dakota_sampling.in with 12 samples; the
# simulation fails (exit 3) where x1 > 0.5, which is evaluations 4, 5 and 12
# of those 12 (the test checks that), and appends a line to ../../count per
# run, so that every evaluation run is counted.
. "$(dirname "$0")/lib.sh"
. "$BT_TESTS/integration/dakota_lib.sh"
dakota_find
PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"
CHANGED="Dakota changed: update README (How failures reach Dakota) and this test"

cat >sim.sh <<'EOF'
#!/bin/sh
echo "$PWD" >>../../count
x1=$(awk '$2 == "x1" { print $1 }' "$1")
awk -v x="$x1" 'BEGIN { exit !(x > 0.5) }' && { echo "x1 = $x1 > 0.5" >&2; exit 3; }
exec text_book_par "$@"
EOF
chmod +x sim.sh
# study DIR CAPTURE "DRIVER OPTIONS" [json]: DIR/s.in, the local example
# with 12 samples, failure_capture CAPTURE and batchtile run OPTIONS
study() {
    mkdir -p "$1"
    local fmt=""
    [ "${4:-}" = json ] && fmt="  results_format json"
    sed -e 's/samples 80/samples 12/' -e '/results_output/d' -e '/hdf5/d' \
        -e "s|'batchtile run -- text_book_par'|'batchtile run ${3:+$3 }-- $T/sim.sh'\n    failure_capture $2|" \
        -e "s|^  batch\$|  batch\n$fmt|" "$BT_TESTS/../examples/local/dakota_sampling.in" >"$1/s.in"
}
# indir DIR CMD...: CMD in DIR (this shell: its fail counts)
indir() {
    local d=$1 rc
    shift
    cd "$d" || { fail "cd $d"; return 1; }
    "$@"
    rc=$?
    cd "$T" || exit 1
    return $rc
}
runs() { wc -l <"$1/count" 2>/dev/null || echo 0; }
# batches DIR: the batches Dakota sent (file_save keeps each finished one's
# params.in as params.in.N; the last one, if Dakota stopped in it, is params.in)
batches() { ls "$1"/workdir/params.in "$1"/workdir/params.in.* 2>/dev/null | wc -l; }

# the reference: which evaluations fail, with --on-fail value:1e30
study ref abort "--on-fail value:1e30"
indir ref expect 0 timeout 120 "$DAKOTA" -i s.in
got=$(awk '$NF == "1e+30" { printf "%s ", $1 }' ref/dakota_tabular.dat)
[ "$got" = "4 5 12 " ] || fail "the failing evaluations are 4 5 12, found '$got': the test's premise changed"
[ "$(runs ref)" = 12 ] || fail "--on-fail value:1e30: 12 runs, found $(runs ref)"
ok "--on-fail value:1e30: the study completes, evaluations 4 5 12 are 1e+30 in the tabular data"

# --on-fail nan: completes, Dakota leaves the NaNs out of its statistics
study nan abort "--on-fail nan"
indir nan expect 0 timeout 120 "$DAKOTA" -i s.in
[ "$(awk '$NF == "nan"' nan/dakota_tabular.dat | wc -l)" = 3 ] || fail "--on-fail nan: 3 NaN rows"
grep -q "sampling statistics for f omit 3 failed evaluations out of 12 samples" "$T/err" ||
    fail "--on-fail nan: Dakota's warning that 3 are omitted: $(tail -3 "$T/err")"
ok "--on-fail nan: the study completes, Dakota omits the 3 NaN evaluations from its statistics"

# (a) standard FAIL: an uncaught FunctionEvalFailure under recover and abort
for cap in "recover NaN" abort; do
    d=std_${cap%% *}
    study "$d" "$cap" ""
    indir "$d" expect 134 timeout 120 "$DAKOTA" -i s.in ||
        fail "(a) standard FAIL under failure_capture $cap: $CHANGED"
    grep -q "terminate called after throwing an instance of 'Dakota::FunctionEvalFailure'" "$T/err" ||
        fail "(a) failure_capture $cap: no uncaught FunctionEvalFailure: $CHANGED"
    [ "$(batches "$d")" = 1 ] && [ ! -s "$d/dakota_tabular.dat" ] ||
        [ "$(wc -l <"$d/dakota_tabular.dat")" = 1 ] || fail "(a) $cap: one batch, no tabular rows"
done
ok "(a) standard FAIL: Dakota 6.21 aborts (134, uncaught FunctionEvalFailure) under recover and abort"

# (c) JSON {"fail": true} under abort: a clean abort
study json_abort abort "--results-format json" json
indir json_abort expect 252 timeout 120 "$DAKOTA" -i s.in || fail "(c) JSON under abort: $CHANGED"
grep -q "Failure captured: aborting due to failure in evaluation 4" "$T/err" ||
    fail "(c) JSON under abort: Dakota's message: $(tail -3 "$T/err"): $CHANGED"
[ "$(batches json_abort)" = 1 ] || fail "(c) one batch, found $(batches json_abort)"
ok "(c) JSON fail under abort: Dakota aborts cleanly (252, 'aborting due to failure in evaluation 4')"

# (b) JSON {"fail": true} under recover, the guard off: Dakota re-sends
# evaluations 4-12 under a new batch id, again and again. Bounded: stopped
# (TERM) once 6 batches were sent, or after 120 s.
study loop "recover NaN" "--results-format json --resend-limit 0" json
(cd loop && exec "$DAKOTA" -i s.in >out 2>err) &
dk=$!
for _ in $(seq 1200); do
    [ "$(batches loop)" -ge 6 ] && break
    kill -0 $dk 2>/dev/null || break
    sleep 0.1
done
if kill -0 $dk 2>/dev/null; then
    kill -TERM $dk
    wait $dk
    for _ in $(seq 100); do pgrep -f "batchtile run --results-format json --resend-limit 0" >/dev/null || break; sleep 0.1; done
    n=$(batches loop)
    [ "$n" -ge 6 ] || fail "(b) Dakota still ran after 120 s with $n batches sent"
    for i in $(seq 2 $((n - 1))); do
        ids=$(awk '$2 == "eval_id" { sub(/^[0-9]+:/, "", $1); printf "%s ", $1 }' "loop/workdir/params.in.$i")
        [ "$ids" = "4 5 6 7 8 9 10 11 12 " ] || fail "(b) batch $i: evaluations 4-12, found '$ids'"
        grep -q " $i:4 eval_id" "loop/workdir/params.in.$i" || fail "(b) batch $i has batch id $i"
    done
    ok "(b) JSON fail under recover: Dakota re-sent evaluations 4-12 in batches 2..$n (stopped there)"
else
    wait $dk
    fail "(b) JSON under recover: Dakota ended by itself ($?) after $(batches loop) batches: $CHANGED"
fi

# (5) the same with batchtile's guard (the default --resend-limit 2): batch 4
# is batches 2 and 3 again, after failures in both: batchtile runs nothing,
# writes no results file and exits 5, and Dakota stops
study guard "recover NaN" "--results-format json" json
indir guard expect 252 timeout 120 "$DAKOTA" -i s.in || fail "--resend-limit: Dakota did not stop"
grep_err "batchtile run: Dakota sent batch 4 with the same evaluations as batches 2 to 3, each of which ended with failures"
grep_err "Error: cannot open results file workdir/results.out for batch 4"
[ "$(batches guard)" = 4 ] || fail "--resend-limit: 4 batches sent, found $(batches guard)"
# batch 1 runs 12; batches 2 and 3 take the 6 that succeeded from the
# journal and run the failed 4, 5, 12 again
[ "$(runs guard)" = 18 ] || fail "--resend-limit: 12 + 3 + 3 runs, found $(runs guard)"
# the driver's own exit status, the refused batch (left as params.in) handed to it again
indir guard/workdir expect 5 batchtile run --results-format json -- "$T/sim.sh" params.in results.out
grep_err "exit status 5"
[ ! -e guard/workdir/results.out ] || fail "--resend-limit: no results file"
[ "$(runs guard)" = 18 ] || fail "--resend-limit: the refused batch ran: $(runs guard) runs"
ok "--resend-limit 2: Dakota's re-send stopped at batch 4 (18 runs, batchtile exit 5, Dakota 252)"

# (d) batch with asynchronous: Dakota's parser refuses it
study async abort ""
sed -i 's/^  batch$/  batch\n  asynchronous/' async/s.in
indir async expect 254 timeout 60 "$DAKOTA" -check -i s.in || fail "(d) batch + asynchronous: $CHANGED"
grep -q "batch and asynchronous are mutually exclusive" "$T/err" "$T/out" ||
    fail "(d) Dakota's message: $(head -3 "$T/err"): $CHANGED"
ok "(d) batch with asynchronous: Dakota's parser refuses it (254)"
finish

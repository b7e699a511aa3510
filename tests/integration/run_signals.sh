#!/usr/bin/env bash
# SIGTERM/SIGINT/SIGHUP: start nothing new, stop what runs, still write a
# complete batch results file (FAIL for the unfinished), exit 128+signal.
. "$(dirname "$0")/lib.sh"

for sig in TERM INT HUP; do
    rm -rf s && mkdir s && cd s || exit 1
    batch 8 --modes ok,hang,hang,ok >batch.in
    "$BATCHTILE" run --grace 1s -- "$PROBE" batch.in results.out 2>err &
    pid=$!
    for _ in $(seq 50); do
        [ "$(ls workdir.*/probe.0.json 2>/dev/null | wc -l)" -ge 3 ] && break
        sleep 0.1
    done
    sleep 0.3
    kill -$sig $pid
    wait $pid; rc=$?
    num=$(kill -l $sig)
    [ "$rc" = $((128 + num)) ] || fail "SIG$sig: exit $rc, expected $((128 + num))"
    [ "$(grep -c '^#' results.out)" = 8 ] || fail "SIG$sig: the results file must have 8 sections"
    grep -q "^FAIL" results.out || fail "SIG$sig: unfinished evaluations are FAIL"
    head -n1 results.out | grep -q ' f$' || fail "SIG$sig: evaluation 1 finished and keeps its value"
    grep -q "SIG$sig: starting nothing new" err || fail "SIG$sig: message: $(cat err)"
    grep -q "FAIL: interrupted by SIG$sig" err || fail "SIG$sig: interrupted evaluations named: $(cat err)"
    grep -q "not started: FAIL (interrupted by SIG$sig)" err || fail "SIG$sig: unstarted counted: $(cat err)"
    [ -n "$(our_probes)" ] && fail "SIG$sig: evaluations still running"
    tail -n1 batchtile.journal | grep -q '"interrupted":true' || fail "SIG$sig: journal end record"
    cd ..
    ok "SIG$sig"
done

# a second signal stops waiting for a simulation that ignores TERM
rm -rf s && mkdir s && cd s || exit 1
cat >stubborn <<'SH'
#!/bin/sh
trap '' TERM
sleep 30 &
wait
SH
chmod +x stubborn
batch 2 >batch.in
"$BATCHTILE" run --grace 60s -- ./stubborn batch.in results.out 2>err &
pid=$!
sleep 1
kill -TERM $pid; sleep 0.5; kill -TERM $pid
t0=$(date +%s)
wait $pid; rc=$?
[ $(( $(date +%s) - t0 )) -lt 10 ] || fail "the second signal must stop waiting"
[ "$rc" = 143 ] || fail "second signal: exit $rc"
[ "$(grep -c '^FAIL' results.out)" = 2 ] || fail "second signal: results"
grep -q "again: killing what still runs" err || fail "second signal message"
cd ..
ok "second signal"
finish

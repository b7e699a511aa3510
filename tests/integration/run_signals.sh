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
    [ "$(sections results.out)" = 8 ] || fail "SIG$sig: the results file must have 8 sections"
    grep -q "^FAIL" results.out || fail "SIG$sig: unfinished evaluations are FAIL"
    head -n1 results.out | grep -q ' f$' || fail "SIG$sig: evaluation 1 finished and keeps its value"
    grep -q "SIG$sig: starting nothing new" err || fail "SIG$sig: message: $(cat err)"
    grep -q "(workdir\.[23]): not run: interrupted by SIG$sig" err || fail "SIG$sig: interrupted evaluations named as not run: $(cat err)"
    grep -q ": FAIL: " err && fail "SIG$sig: a stopped evaluation is no FAIL: $(cat err)"
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

# whole process trees: a simulation that leaves a daemon (setsid: its own
# session and process group) and a child, then hangs or ends
cat >leaver <<'SH'
#!/bin/sh
setsid sleep 1000 &
echo $! >daemon.pid
sleep 1000 &
echo $! >child.pid
printf '1.5 f\n' >"$2"
[ -n "$HANG" ] && sleep 1000
exit 0
SH
chmod +x leaver
alive() { # alive FILE...: the pids in these files that still run
    local f p
    for f in "$@"; do
        p=$(cat "$f" 2>/dev/null) || continue
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && echo "$p"
    done
}
started() { # started N: wait until N evaluations of ../leaver have written their pids
    for _ in $(seq 100); do [ "$(ls workdir.*/child.pid 2>/dev/null | wc -l)" = "$1" ] && break; sleep 0.1; done
    sleep 0.2
}
gone_within() { # gone_within SECONDS FILE...: wait until none of those pids runs
    local end=$((SECONDS + $1)); shift
    while [ -n "$(alive "$@")" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
    [ -z "$(alive "$@")" ]
}
mkdir tree && cd tree || exit 1
batch 2 >b.in
# the time limit reaches the daemon
HANG=1 expect 0 "$BATCHTILE" run -t 1s --grace 1s -- ../leaver b.in r.out
grep_err "FAIL: time limit 1s exceeded"
gone_within 5 workdir.*/daemon.pid workdir.*/child.pid ||
    fail "time limit: a setsid daemon survived: $(alive workdir.*/daemon.pid workdir.*/child.pid)"
# and an evaluation that ends leaves nothing running on its cores
expect 0 "$BATCHTILE" run --no-resume -- ../leaver b.in r.out && grep_err "2 evaluations: 2 ok"
gone_within 5 workdir.*/daemon.pid workdir.*/child.pid ||
    fail "an ended evaluation's daemon survived: $(alive workdir.*/daemon.pid workdir.*/child.pid)"
cd ..
ok "a simulation's setsid daemon is gone after its time limit and after its end"

# kill -9 of the driver: its evaluations (daemons included) die with it
mkdir k9 && cd k9 || exit 1
batch 3 >b.in
HANG=1 "$BATCHTILE" run -- ../leaver b.in r.out 2>err &
pid=$!
started 3
kill -9 $pid; wait $pid 2>/dev/null
gone_within 5 workdir.*/daemon.pid workdir.*/child.pid ||
    fail "kill -9 of the driver: still running: $(alive workdir.*/daemon.pid workdir.*/child.pid)"
[ -e r.out ] && fail "a killed driver leaves no results file"
cd ..
ok "kill -9 of the driver leaves no evaluation process alive"

# the watchdog killed too (a whole machine's processes lost but these): the
# next run kills what the interrupted one left before it starts anything
mkdir k9b && cd k9b || exit 1
batch 2 >b.in
HANG=1 "$BATCHTILE" run -- ../leaver b.in r.out 2>err &
pid=$!
started 2
for w in $(pgrep -P $pid); do
    grep -q "BATCHTILE_EVAL=" /proc/$w/environ 2>/dev/null || kill -9 $w   # the watchdog has no evaluation
done
kill -9 $pid; wait $pid 2>/dev/null
sleep 0.5
[ -n "$(alive workdir.*/daemon.pid)" ] || fail "the test needs the daemons alive here"
expect 0 timeout 60 "$BATCHTILE" run -t 2s --grace 1s -- ../leaver b.in r.out
grep_err "left running by an interrupted earlier run"
gone_within 5 workdir.*/daemon.pid workdir.*/child.pid ||
    fail "resume: orphans of the interrupted run still run: $(alive workdir.*/daemon.pid workdir.*/child.pid)"
cd ..
ok "a resumed run kills what an interrupted run left running"

# a SIGTERM before batchtile has set anything up still ends in a complete
# results file: deterministically, with the batch parameters file a FIFO
# that batchtile blocks on (the signal comes while it waits to read it) ...
mkdir early && cd early || exit 1
batch 4 >b.txt
mkfifo b.in
"$BATCHTILE" run -- "$PROBE" b.in r.out 2>err &
p=$!
for _ in $(seq 100); do grep -q fifo "/proc/$p/wchan" 2>/dev/null && break; sleep 0.02; done
grep -q fifo "/proc/$p/wchan" 2>/dev/null || echo "note: could not see batchtile waiting on the FIFO"
kill -TERM $p
cat b.txt >b.in
wait $p; rc=$?
[ $rc = 143 ] && [ "$(sections r.out)" = 4 ] && [ "$(grep -c '^FAIL' r.out)" = 4 ] ||
    fail "SIGTERM before the set-up: exit $rc, $(sections r.out 2>/dev/null) sections: $(cat err)"
grep -q "not started: FAIL (interrupted by SIGTERM)" err || fail "SIGTERM before the set-up: $(cat err)"
# ... and at the first moment a program can: as soon as main has blocked
# its signals (SIGTERM in SigBlk; before that, in the dynamic loader or the
# sanitizers' start-up, no program can), 20 times
rm -f b.in && mv b.txt b.in
bad=0
for i in $(seq 20); do
    rm -rf workdir.* r.out batchtile.journal
    "$BATCHTILE" run -- "$PROBE" b.in r.out 2>/dev/null &
    p=$!
    for _ in $(seq 2000); do
        blk=$(awk '/^SigBlk/ {print $2}' /proc/$p/status 2>/dev/null)
        [ -n "$blk" ] && (( (16#$blk >> 14) & 1 )) && break
        [ -d /proc/$p ] || break
    done
    kill -TERM $p 2>/dev/null
    wait $p; rc=$?
    { [ $rc = 143 ] || [ $rc = 0 ]; } && [ "$(sections r.out)" = 4 ] || bad=$((bad + 1))
done
[ $bad = 0 ] || fail "SIGTERM as soon as main blocks signals: $bad of 20 runs left no complete results file"
cd ..
ok "SIGTERM before the set-up (FIFO) and as soon as main can take it: a complete results file"
finish

#!/usr/bin/env bash
# Resume: after kill -9 of the driver mid-batch, running the same command
# again runs only what did not finish; changed parameters run again;
# --no-resume runs everything; a torn last journal line is ignored.
. "$(dirname "$0")/lib.sh"
export PROBE_LOG="$T/invocations"
count() { [ -f "$PROBE_LOG" ] && wc -l <"$PROBE_LOG" || echo 0; }

batch 12 --sleep 0.4 >batch.in
"$BATCHTILE" run -- "$PROBE" batch.in results.out 2>"$T/err1" &
pid=$!
# wait until some evaluations have finished (journal records), then kill -9
for _ in $(seq 100); do
    [ -f batchtile.journal ] && [ "$(grep -c '"type":"eval"' batchtile.journal)" -ge 4 ] && break
    sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null
ours=$(our_probes); [ -n "$ours" ] && kill -9 $ours 2>/dev/null; sleep 0.2
[ -e results.out ] && fail "a killed driver must leave no results file"
done1=$(grep -c '"type":"eval"' batchtile.journal)
started1=$(count)
[ "$done1" -ge 4 ] && [ "$done1" -lt 12 ] || fail "expected a partial journal, found $done1 records"
# a torn last line, as a crash in mid-write leaves it
printf '{"type":"eval","eval":12,"hash":"00' >>batchtile.journal

expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results.out
started2=$(( $(count) - started1 ))
[ "$started2" = $((12 - done1)) ] || fail "resume ran $started2 evaluations, expected $((12 - done1))"
grep_err "12 evaluations: 12 ok, 0 failed, $done1 taken from the journal"
[ "$(sections results.out)" = 12 ] || fail "12 sections"
ok "kill -9 after $done1 of 12: resume ran the other $started2"

# everything is in the journal now: nothing runs
before=$(count)
expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results2.out
[ "$(count)" = "$before" ] || fail "a finished batch must not run again"
cmp -s results.out results2.out || fail "resumed results differ"

# changed parameters (evaluation 3) run again, the rest does not
python3 - <<'PY'
lines = open('batch.in').read().split('\n')
# the first variable of evaluation 3 (16 lines per evaluation: 4 x, probe_sleep)
i = 2 * 16 + 1
v, l = lines[i].rsplit(None, 1)
lines[i] = '%43.15e %s' % (float(v) + 0.25, l)
open('batch.in', 'w').write('\n'.join(lines))
PY
before=$(count)
expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results3.out
[ "$(( $(count) - before ))" = 1 ] || fail "a changed evaluation must run again, and only it"
grep_err "11 taken from the journal"

# results deleted from a work directory: run again
rm workdir.5/results.out
before=$(count)
expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results4.out
[ "$(( $(count) - before ))" = 1 ] || fail "an evaluation whose results vanished must run again"

# --no-resume runs all
before=$(count)
expect 0 "$BATCHTILE" run --no-resume -- "$PROBE" batch.in results5.out
[ "$(( $(count) - before ))" = 12 ] || fail "--no-resume must run everything"
ok "resume trusts only matching, finished, still present results"
# kill -9 at random moments while the journal's syncs are slow (50 ms
# injected into every fdatasync by strace, so that one is often in flight):
# what the journal recorded as ok is never run again, and the rerun
# completes the batch
if command -v strace >/dev/null; then
    mkdir slow && cd slow || exit 1
    export PROBE_LOG="$T/slow/invocations"
    batch 40 --sleep 0.05 >batch.in
    for k in 1 2 3 4 5; do
        strace -f -qq --seccomp-bpf -o /dev/null -e trace=fdatasync -e inject=fdatasync:delay_enter=50000 \
            "$BATCHTILE" run -- "$PROBE" batch.in results.out 2>/dev/null &
        tracer=$!
        sleep "0.$((RANDOM % 9 + 1))"
        pid=$(pgrep -P $tracer -x batchtile)
        [ -n "$pid" ] && kill -9 "$pid"
        wait $tracer 2>/dev/null
        ours=$(our_probes); [ -n "$ours" ] && kill -9 $ours 2>/dev/null; sleep 0.1
        # what the journal records as ok after this kill, and how many
        # invocations there have been so far
        python3 - >"oks.$k" <<'PY'
import json
for l in open('batchtile.journal'):
    try:
        r = json.loads(l)
    except ValueError:
        continue
    if r.get('type') == 'eval' and r.get('status') == 'ok':
        print(r['eval'])
PY
        [ -f invocations ] && wc -l <invocations >"n.$k" || echo 0 >"n.$k"
    done
    expect 0 "$BATCHTILE" run -- "$PROBE" batch.in results.out
    [ "$(sections results.out)" = 40 ] || fail "slow syncs: 40 sections after the reruns"
    # nothing recorded ok after a kill ran again later
    bad=$(python3 - <<'PY'
import json
inv = [int(json.loads(l)['eval'].split(':')[-1]) for l in open('invocations')]
bad = set()
for k in range(1, 6):
    ok = {int(l) for l in open(f'oks.{k}')}
    since = int(open(f'n.{k}').read())
    bad |= ok & set(inv[since:])
print(' '.join(map(str, sorted(bad))))
PY
)
    [ -z "$bad" ] || fail "slow syncs: evaluations recorded ok before a kill ran again: $bad"
    ok "kill -9 five times while fdatasync took 50 ms: the $(sort -u oks.* | wc -l) evaluations recorded ok were never run again"
    cd ..
else
    echo "skipped the slow-sync part: strace not installed"
fi
finish

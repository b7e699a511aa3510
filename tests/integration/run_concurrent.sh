#!/usr/bin/env bash
# Two drivers on one node in one allocation (issue 20 item 4): the second
# sees the cores the first took (the registry) and takes only free ones,
# saying so, or waits: never more evaluations running than cores.
. "$(dirname "$0")/lib.sh"
ncores=$("$BATCHTILE" resources | awk '$1 == "local" {print $3}')
cat >sim <<'SH'
#!/bin/sh
date +%s.%N >t.start
sleep 0.5
printf '1.5 f\n' >"$2"
date +%s.%N >t.end
SH
chmod +x sim
for d in a b; do
    mkdir $d && batch 4 >$d/b.in
done
(cd a && exec "$BATCHTILE" run --no-progress -- ../sim b.in r.out 2>err) & pa=$!
(cd b && exec "$BATCHTILE" run --no-progress -- ../sim b.in r.out 2>err) & pb=$!
wait $pa || fail "driver a: exit $?: $(cat a/err)"
wait $pb || fail "driver b: exit $?: $(cat b/err)"
for d in a b; do
    grep -q "4 evaluations: 4 ok" $d/err || fail "driver $d did not complete: $(cat $d/err)"
done
cat a/err b/err | grep -qE "another batchtile of this allocation on this node|are taken by another batchtile" ||
    fail "neither driver said it saw the other: $(cat a/err b/err)"
peak=$(python3 - <<'PY'
import glob
ev = []
for s in glob.glob('[ab]/workdir.*/t.start'):
    ev.append((float(open(s).read()), 1))
    ev.append((float(open(s[:-5] + 'end').read()), -1))
n = peak = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    n += d
    peak = max(peak, n)
print(peak, len(ev) // 2)
PY
)
[ "${peak#* }" = 8 ] || fail "not every evaluation ran: $peak"
[ "${peak% *}" -le "$ncores" ] || fail "$peak: more evaluations at once than the $ncores cores"
[ -z "$(cat "$T/rt/batchtile/"* 2>/dev/null)" ] || fail "the registry keeps entries of ended runs"
ok "two concurrent drivers on $ncores cores: at most ${peak% *} evaluations at once, each completes"
# a driver waiting for cores ends on SIGTERM as any run does: nothing ran,
# a results file with every evaluation FAIL (not run), exit 128+15
cat >slow <<'SH'
#!/bin/sh
sleep 60
SH
chmod +x slow
mkdir c d && batch "$ncores" >c/b.in && batch 2 >d/b.in
(cd c && exec "$BATCHTILE" run --no-progress -- ../slow b.in r.out 2>err) & pc=$!
for _ in $(seq 300); do [ "$(ls -d c/workdir.* 2>/dev/null | wc -l)" -ge "$ncores" ] && break; sleep 0.1; done
(cd d && exec "$BATCHTILE" run --no-progress -- ../sim b.in r.out 2>err) & pd=$!
for _ in $(seq 300); do grep -q "waiting for some to be free" d/err 2>/dev/null && break; sleep 0.1; done
grep -q "waiting for some to be free" d/err || fail "the second driver did not wait: $(cat d/err)"
kill -TERM $pd
wait $pd; rc=$?
# it ended on the signal, not once the other driver let go of its cores
kill -0 $pc 2>/dev/null || fail "the waiting driver ended only after the other one (60 s evaluations)"
[ $rc = 143 ] || fail "a waiting driver on SIGTERM: exit $rc, expected 143: $(cat d/err)"
[ "$(sections d/r.out)" = 2 ] && ! grep -qv '^FAIL$\|^#$' d/r.out ||
    fail "a waiting driver on SIGTERM writes FAIL for each evaluation: $(cat d/r.out 2>&1)"
[ ! -e d/workdir.1/t.start ] || fail "a waiting driver started an evaluation after SIGTERM"
kill -TERM $pc; wait $pc
ok "a driver waiting for another's cores ends on SIGTERM (exit 143, every evaluation FAIL, none run)"
finish

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
finish

#!/usr/bin/env bash
# A Dakota study killed with kill -9 (Dakota and the driver together,
# mid-batch) and restarted with `dakota -i ... -read_restart dakota.rst`
# completes identically to an uninterrupted run (tabular data and restart
# file), and no evaluation that had finished runs again: Dakota takes the
# finished batches from its restart file, batchtile the killed batch's
# finished evaluations from its journal. Every run of the simulation
# appends its evaluation number to $T/count, which proves it.
#
# The study: examples/local/dakota_sampling.in with 16 samples in batches
# of 4 (`batch size 4`), each evaluation sleeping 0.2-0.5 s.
. "$(dirname "$0")/lib.sh"
. "$BT_TESTS/integration/dakota_lib.sh"
dakota_find
PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"

cat >sim.sh <<EOF
#!/bin/sh
TEXT_BOOK_SLEEP=0.2:0.5 text_book_par "\$@" || exit
awk '\$2 == "eval_id" { sub(/.*:/, "", \$1); print \$1 }' "\$1" >>"$T/count.\$COUNT"
EOF
chmod +x sim.sh
sed -e 's/samples 80/samples 16/' -e '/results_output/d' -e '/hdf5/d' \
    -e "s|'batchtile run -- text_book_par'|'batchtile run -- $T/sim.sh'|" \
    -e 's/^  batch$/  batch size 4/' "$BT_TESTS/../examples/local/dakota_sampling.in" >s.in
grep -q '^  batch size 4$' s.in || fail "the example's batch line changed: update this test"

# the uninterrupted study
mkdir whole && cp s.in whole/
(cd whole && COUNT=whole timeout 300 "$DAKOTA" -i s.in >out 2>err) || fail "the whole study: $(tail -3 whole/err)"
[ "$(sort -n count.whole | uniq | wc -l)" = 16 ] && [ "$(wc -l <count.whole)" = 16 ] ||
    fail "the whole study: 16 evaluations run once each"

# the same, killed with kill -9 once batch 3 has two evaluations finished
mkdir cut && cp s.in cut/
(cd cut && COUNT=cut exec "$DAKOTA" -i s.in >out 2>err) &
dk=$!
for _ in $(seq 600); do
    [ "$(cat count.cut 2>/dev/null | wc -l)" -ge 10 ] && break
    kill -0 $dk 2>/dev/null || break
    sleep 0.05
done
drv=$(pgrep -P $dk -x batchtile)
[ -n "$drv" ] || fail "no driver running in batch 3 (count: $(wc -l <count.cut))"
kill -9 $dk $drv
wait $dk 2>/dev/null
for _ in $(seq 100); do [ -n "$(pgrep -P "${drv:-1}")" ] || break; sleep 0.1; done
sleep 0.5 # the driver's watchdog ends the evaluations it ran
# what had finished: batches 1 and 2 (Dakota's restart file), and what the
# journal records as finished of batch 3 (after its last run record)
[ "$(dakota_restart_evals cut/dakota.rst)" = 8 ] || fail "killed in batch 3: 8 evaluations in dakota.rst, found $(dakota_restart_evals cut/dakota.rst)"
finished=$(python3 - cut/workdir/batchtile.journal <<'PY'
import json, sys
done = []
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get('type') == 'run':
        done = []
    elif r.get('type') == 'eval' and r.get('final') and r.get('status') == 'ok':
        done.append(r['eval'])
print(' '.join(map(str, sorted(done))))
PY
)
n_fin=$(echo $finished | wc -w)
[ "$n_fin" -ge 1 ] || fail "the journal records no finished evaluation of batch 3"
before=$(wc -l <count.cut)

(cd cut && COUNT=cut timeout 300 "$DAKOTA" -i s.in -read_restart dakota.rst >out2 2>err2) ||
    fail "the restarted study: $(tail -3 cut/err2)"
grep -q "batchtile run: 4 evaluations: 4 ok, 0 failed, $n_fin taken from the journal" cut/err2 ||
    fail "restart: batch 3 with $n_fin from the journal: $(grep 'batchtile run: [0-9]* eval' cut/err2)"
tabular_same whole/dakota_tabular.dat cut/dakota_tabular.dat || fail "restart: tabular data"
restart_same whole/dakota.rst cut/dakota.rst || fail "restart: restart file"
# no finished evaluation ran again: 1-8 and the journal's once; the rest
# (running at the kill, or not started) at most twice
for e in $(seq 16); do
    n=$(grep -cx "$e" count.cut)
    case " $(seq -s ' ' 8) $finished " in
    *" $e "*) [ "$n" = 1 ] || fail "evaluation $e had finished, and ran $n times" ;;
    *) [ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "evaluation $e ran $n times" ;;
    esac
done
ok "kill -9 in batch 3 ($before runs, evaluations $finished of it finished), -read_restart: identical, $(wc -l <count.cut) runs for 16"
finish

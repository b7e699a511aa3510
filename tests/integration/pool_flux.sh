#!/usr/bin/env bash
# The pool under Flux: `batchtile pool serve` inside `flux start
# --test-size=3` (its batches' evaluations handed to one agent per broker
# rank, --launch auto: no Flux job each) serves two clients at once; both complete with right values; `pool
# status` lists them while they run; `pool stop` drains it. Skips where
# batchtile was built without flux-core.
. "$(dirname "$0")/lib.sh"
flux_setup
. "$(dirname "$0")/pool_lib.sh"

cat >inside.sh <<'SH'
#!/usr/bin/env bash
set -u
cd "$1"
batchtile pool serve --idle-exit 0 "$2" 2>serve.err &
srv=$!
for _ in $(seq 100); do grep -q '"state":"serving"' "$2/server.json" 2>/dev/null && break; sleep 0.1; done
pids=""
for c in one two; do
    mkdir $c && python3 "$BT_TESTS/integration/make_batch.py" 8 --sleep 0.5 >$c/b.in
    # the clients: outside the instance (no FLUX_URI), as Dakota on a login node
    (cd $c && env -u FLUX_URI batchtile run --pool "$2" --no-progress -- probe b.in r.out 2>err; echo $? >rc) &
    pids="$pids $!"
done
for _ in $(seq 100); do [ "$(grep -o '"id"' "$2/server.json" | wc -l)" -ge 2 ] && break; sleep 0.1; done
batchtile pool status "$2" >status.txt
wait $pids
echo "evaljobs $(flux jobs -a -n -o '{name}' | grep -c '^batchtile\.eval\.')"
# a batch of 2 tasks through the pool (its agents were told 1 at their start)
mkdir mpi && python3 "$BT_TESTS/integration/make_batch.py" 3 --asv 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >mpi/b.in
(cd mpi && env -u FLUX_URI batchtile run --pool "$2" --no-progress -n 2 -- text_book_par b.in r.out 2>err; echo $? >rc)
batchtile pool stop "$2" >stop.txt
wait $srv; echo "serve rc=$?"
# pool start under Flux (flux batch); a client outside the instance reaches
# it through the URI DIR recorded, says what it waits for, and finishes
mkdir -m 700 "$1/pool2" three
batchtile pool start "$1/pool2" --idle-exit 5s >start.out 2>start.err; echo "start rc=$?"
python3 "$BT_TESTS/integration/make_batch.py" 4 >three/b.in
(cd three && env -u FLUX_URI batchtile run --pool "$1/pool2" --no-progress -- probe b.in r.out 2>err; echo $? >rc)
env -u FLUX_URI batchtile pool stop "$1/pool2" >stop2.txt 2>&1
for _ in $(seq 60); do
    flux jobs -a -n -o '{name} {result}' | grep -q '^batchtile-pool-.* COMPLETED' && break
    sleep 0.5
done
echo "pooljobs $(flux jobs -a -n -o '{name} {result}' | grep -c '^batchtile-pool-.* COMPLETED')"
flux jobs -a -n -o '{id} {name} {state} {result}' | grep batchtile-pool
SH
chmod +x inside.sh
timeout 300 "$BT_FLUX" start --test-size=3 bash ./inside.sh "$T" "$POOL" >inside.out 2>inside.err ||
    fail "flux start: $(tail -5 inside.err)"
for c in one two; do
    [ "$(cat $c/rc 2>/dev/null)" = 0 ] || fail "client $c: exit $(cat $c/rc 2>/dev/null): $(tail -3 $c/err)"
    (cd $c && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "client $c: values"
    grep -q "8 evaluations: 8 ok, 0 failed" $c/err || fail "client $c: $(tail -2 $c/err)"
done
[ "$(cat mpi/rc 2>/dev/null)" = 0 ] && $CHECK mpi/b.in mpi/r.out || fail "-n 2 through the pool: $(tail -3 mpi/err)"
for e in 1 2 3; do
    [ "$(grep -c 'rank [01] of 2' mpi/workdir.$e/stdout.txt)" = 2 ] || fail "-n 2 through the pool: $(cat mpi/workdir.$e/stdout.txt)"
done
ok "-n 2 text_book_par through the pool's agents: one 2-rank program each, values right"
grep -q "batches 2" status.txt || fail "pool status while both ran: $(cat status.txt)"
grep -q "^evaljobs 0$" inside.out || fail "the evaluations must go to the agents, no Flux job each: $(cat inside.out)"
grep -q "^serve rc=0$" inside.out || fail "the server after pool stop: $(cat inside.out) $(tail -3 serve.err)"
python3 - one two <<'PY' || fail "the evaluations did not run on the instance's 3 brokers"
import glob, json, sys
uris = [json.load(open(f)).get('FLUX_URI') for d in sys.argv[1:] for f in glob.glob(d + '/workdir.*/probe.0.json')]
assert len(uris) == 16 and None not in uris and len(set(uris)) == 3, uris
PY
ok "a pool inside flux start --test-size=3 served two clients at once: 16 evaluations on 3 agents, no Flux job, values right"
grep -q "^start rc=0$" inside.out || fail "pool start under Flux: $(cat start.err)"
[ "$(cat three/rc 2>/dev/null)" = 0 ] || fail "the client of the flux batch pool: $(tail -3 three/err)"
(cd three && probe_check values r.out | grep -q "^sections 4 wrong 0") || fail "the flux batch pool: values"
grep -q "waiting for the pool's allocation: Flux job $(cat start.out) " three/err ||
    grep -q "waiting for the pool's allocation" three/err || echo "note: the pool was live before the client: $(head -2 three/err)"
grep -q "^pooljobs 1$" inside.out || fail "one pool job (flux batch), completed: $(cat inside.out)"
ok "pool start under Flux: flux batch job $(cat start.out); a client outside the instance finished on it"
finish

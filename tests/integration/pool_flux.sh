#!/usr/bin/env bash
# The pool under Flux: `batchtile pool serve` inside `flux start
# --test-size=3` (its batches' evaluations are Flux jobs of that instance)
# serves two clients at once; both complete with right values; `pool
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
batchtile pool stop "$2" >stop.txt
wait $srv; echo "serve rc=$?"
SH
chmod +x inside.sh
timeout 300 "$BT_FLUX" start --test-size=3 bash ./inside.sh "$T" "$POOL" >inside.out 2>inside.err ||
    fail "flux start: $(tail -5 inside.err)"
for c in one two; do
    [ "$(cat $c/rc 2>/dev/null)" = 0 ] || fail "client $c: exit $(cat $c/rc 2>/dev/null): $(tail -3 $c/err)"
    (cd $c && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "client $c: values"
    grep -q "8 evaluations: 8 ok, 0 failed" $c/err || fail "client $c: $(tail -2 $c/err)"
done
grep -q "batches 2" status.txt || fail "pool status while both ran: $(cat status.txt)"
grep -q "^evaljobs 16$" inside.out || fail "the evaluations must be 16 Flux jobs of the instance: $(cat inside.out)"
grep -q "^serve rc=0$" inside.out || fail "the server after pool stop: $(cat inside.out) $(tail -3 serve.err)"
python3 - one two <<'PY' || fail "the evaluations did not run on the instance's brokers"
import glob, json, sys
uris = {json.load(open(f)).get('FLUX_JOB_ID') for d in sys.argv[1:] for f in glob.glob(d + '/workdir.*/probe.0.json')}
assert None not in uris and len(uris) == 16, uris
PY
ok "a pool inside flux start --test-size=3 served two clients at once: 16 Flux jobs, values right"
finish

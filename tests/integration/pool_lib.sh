# Shared by the pool tests (tests/integration/pool_*.sh): a pool DIR, a
# server started by hand and stopped at the end, a client's overhead.
export BATCHTILE_POOL_PERIOD=${BATCHTILE_POOL_PERIOD:-0.25}
POOL="$T/pool"
mkdir -m 700 "$POOL"
server_pids=()
# serve [OPTIONS]: pool serve $POOL in the background (stderr in $T/serve.N.err)
serve() {
    local n=${#server_pids[@]}
    "$BATCHTILE" pool serve "$@" "$POOL" 2>"$T/serve.$n.err" &
    server_pids+=($!)
    SERVER=$!
    for _ in $(seq 100); do
        grep -q '"state":"serving"' "$POOL/server.json" 2>/dev/null &&
            grep -q "\"pid\":$SERVER," "$POOL/server.json" && return 0
        sleep 0.1
    done
    fail "the pool server did not start: $(cat "$T/serve.$n.err")"
}
stop_servers() {
    local p
    for p in "${server_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null; done
}
# wait_for CMD...: up to 30 s for CMD to succeed (a busy machine)
wait_for() {
    for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
    return 1
}
# ran_ok_before JOURNAL: the evaluations the journal records ok (its first run)
journal_ok() {
    python3 - "$1" <<'PY'
import json, sys
ok = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get('type') == 'eval' and r.get('final') and r.get('status') == 'ok':
        ok.add(r['eval'])
print(' '.join(str(e) for e in sorted(ok)))
PY
}

#!/usr/bin/env bash
# The pool served by hand on this machine (local backend), through real
# processes: batches through --pool with right values and the run's own
# lines; a world-writable DIR refused naming its mode; a request of another
# user ignored with a line; a truncated request moved aside, its client
# told, the pool serving on; kill -9 of a client (its batch stopped, the
# same client again resumes it); kill -9 of the server mid-batch (the client
# says so and finishes on the next server, nothing that finished runs
# again); 2 and 4 clients at once never above the node's cores.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pool_lib.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
ncores=$("$BATCHTILE" resources | awk '$1 == "local" {print $3}')
export PROBE_LOG="$T/probe.log"

# a world-writable DIR: refused, naming the mode, by the server and the client
mkdir -m 777 "$T/open" && chmod 777 "$T/open"
expect 1 "$BATCHTILE" pool serve "$T/open" && grep_err "mode 0777 is writable by others"
mkdir a && batch 8 >a/b.in
expect 1 "$BATCHTILE" run --pool "$T/open" -- "$PROBE" b.in r.out && grep_err "mode 0777 is writable by others"
chmod 770 "$T/open"
expect 1 "$BATCHTILE" pool status "$T/open" && grep_err "mode 0770 is writable by the group"
ok "a DIR writable by others or the group is refused, naming the mode"

serve --idle-exit 0
# a batch through the pool: values right, the run's own summary line, exit 0
(cd a && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" b.in r.out) &&
    grep_err "8 evaluations: 8 ok, 0 failed"
(cd a && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "values: $(cd a && probe_check values r.out)"
[ -z "$(find "$POOL/requests" "$POOL/replies" "$POOL/batches" -type f)" ] || fail "the client left files in DIR: $(ls -R "$POOL")"
# a usage error is the client's, before anything reaches the pool
expect 1 "$BATCHTILE" run --pool "$POOL" --ntasks 0 -- "$PROBE" b.in r.out && grep_err "-n/--ntasks"
# the batch's own errors come back with its status: a missing parameters file
(cd a && expect 3 "$BATCHTILE" run --pool "$POOL" -- "$PROBE" nothere.in r.out) && grep_err "nothere.in"
ok "a batch through the pool: right values, run's lines and exit statuses"

# batches of 2 tasks through a pool made for 1 (the server's engine starts
# with no batch): as run starts them, each one program of 2 ranks under
# mpiexec on 2 of the node's cores
if command -v mpiexec >/dev/null && ldd "$TEXT_BOOK" | grep -q libmpi; then
    mkdir n2 && batch 2 >n2/b.in
    (cd n2 && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -n 2 -- "$PROBE" b.in r.out) ||
        fail "-n 2 probe through the pool: $(cat "$T/err")"
    python3 - n2/workdir.1 n2/workdir.2 <<'PY' || fail "-n 2 probe through the pool: not 2 ranks each"
import json, sys
for d in sys.argv[1:]:
    recs = [json.load(open(f'{d}/probe.{r}.json')) for r in (0, 1)]
    assert [r['size'] for r in recs] == [2, 2], (d, recs)
PY
    mkdir tb && make_batch 3 standard 7 | sed 's/ASV_1:f/ASV_1:obj_fn/' >tb/b.in
    (cd tb && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -n 2 -- "$TEXT_BOOK" b.in r.out) ||
        fail "-n 2 text_book_par through the pool: $(cat "$T/err")"
    (cd tb && $CHECK b.in r.out) || fail "-n 2 text_book_par through the pool: values"
    for e in 1 2 3; do
        [ "$(grep -c 'rank [01] of 2' tb/workdir.$e/stdout.txt)" = 2 ] ||
            fail "-n 2 text_book_par through the pool: $(cat tb/workdir.$e/stdout.txt)"
    done
    ok "-n 2 batches through a pool made for 1 task: probe and text_book_par as 2-rank programs"
else
    fail "MPI: mpiexec or an MPI text_book_par is missing"
fi

# SIGTERM to a client: its batch stops as SIGTERM stops a run (exit 143,
# a whole results file), the pool serves on
mkdir tm && batch 4 >tm/b.in
(cd tm && exec "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 20 b.in r.out 2>err) & pt=$!
wait_for test -e tm/workdir.1/probe.0.json || fail "the batch did not start"
kill -TERM $pt; wait $pt; rc=$?
[ $rc = 143 ] || fail "SIGTERM to a client: exit $rc, expected 143: $(tail -3 tm/err)"
grep -q "SIGTERM: starting nothing new" tm/err || fail "the batch's own SIGTERM line: $(tail -3 tm/err)"
[ "$(sections tm/r.out)" = 4 ] || fail "SIGTERM to a client: the results file must be whole"
ok "SIGTERM to a client stops its batch as it stops a run (exit 143, whole results file)"

# a request of another user: ignored with a line in the pool's log, never run
id -u btpooltest >/dev/null 2>&1 || useradd -M -N -s /usr/sbin/nologin btpooltest || fail "useradd"
mkdir other && batch 2 >other/b.in
cat >"$POOL/requests/.x.tmp" <<JSON
{"version":1,"id":"intruder","uid":$(id -u btpooltest),"cwd":"$T/other","argv":["--","$PROBE","b.in","r.out"]}
JSON
chown btpooltest "$POOL/requests/.x.tmp" && mv "$POOL/requests/.x.tmp" "$POOL/requests/intruder.json"
wait_for grep -q "intruder.json: ignored: owned by uid $(id -u btpooltest)" "$POOL/pool.log" ||
    fail "the pool's log does not say it ignored another user's request: $(tail -3 "$POOL/pool.log")"
sleep 1
[ -e other/workdir.1 ] && fail "another user's request ran"
[ -e "$POOL/replies/intruder.json" ] && fail "another user's request got a reply"
rm -f "$POOL/requests/intruder.json"
ok "a request of another user is ignored with a line in the pool's log"

# a truncated request: moved aside with its reason, the client told (exit 2)
printf '{"version":1,"id":"cut","uid":%s,"cwd":"%s","argv":["--","%s",' "$(id -u)" "$T/a" "$PROBE" >"$POOL/requests/.cut.tmp"
mv "$POOL/requests/.cut.tmp" "$POOL/requests/cut.json"
wait_for test -e "$POOL/bad/cut.why" || fail "the truncated request was not moved aside"
grep -q "malformed request: line 1" "$POOL/bad/cut.why" || fail "the reason: $(cat "$POOL/bad/cut.why")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"] == 2, r' "$POOL/replies/cut.json" ||
    fail "the truncated request's reply: $(cat "$POOL/replies/cut.json")"
(cd a && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" b.in r.out) || fail "the pool stopped serving after a bad request"
ok "a truncated request is moved aside with its reason and the pool serves on"

# kill -9 of a client mid-batch: the pool stops its batch; the same client
# again resumes it, running only what did not finish
mkdir k && batch 8 >k/b.in
(cd k && exec "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 1.55 b.in r.out 2>err) & pk=$!
wait_for test -e k/workdir.3/probe.0.json || fail "the batch did not start"
kill -9 $pk; wait $pk 2>/dev/null
wait_for grep -q "its client stopped heartbeating" "$POOL/pool.log" || fail "the pool did not notice its client died"
wait_for sh -c "! pgrep -f '^$PROBE --sleep 1.55' >/dev/null" || fail "the dead client's evaluations still run"
before=$(journal_ok k/batchtile.journal)
: >"$PROBE_LOG"
(cd k && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 1.55 b.in r.out) || true
(cd k && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "after the resume: $(cd k && probe_check values r.out)"
for e in $before; do
    grep -q "\"eval\":\"$e\"" "$PROBE_LOG" && fail "evaluation $e finished before the kill and ran again"
done
[ -n "$before" ] || fail "the kill came before any evaluation finished"
ok "kill -9 of a client: its batch stopped; again, it resumes (ok before: $before)"

# kill -9 of the server mid-batch: the client says so, waits, and finishes
# on the next server; what finished before is not run again
mkdir s && batch 8 >s/b.in
: >"$PROBE_LOG"
(cd s && exec "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 1.5 b.in r.out 2>err) & ps_=$!
wait_for test -e s/workdir.3/probe.0.json || fail "the batch did not start"
kill -9 "$SERVER"
wait_for grep -q "the pool serving .* stopped" s/err || fail "the client did not notice the server died: $(cat s/err)"
grep -q "no pool serves .*: waiting for one" s/err || fail "the client does not say what it waits for: $(cat s/err)"
before=$(journal_ok s/batchtile.journal)
serve --idle-exit 0
wait $ps_ || fail "the client after the server's death: exit $?: $(cat s/err)"
(cd s && probe_check values r.out | grep -q "^sections 8 wrong 0") || fail "after the new server: $(cd s && probe_check values r.out)"
python3 - "$PROBE_LOG" "$before" <<'PY' || fail "an evaluation that finished ran again"
import json, sys
ran = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get('end'):
        ran[r['eval']] = ran.get(r['eval'], 0) + 1
for e in sys.argv[2].split():
    assert ran.get(e, 0) <= 1, (e, ran)
PY
[ -n "$before" ] || fail "the kill came before any evaluation finished"
ok "kill -9 of the server: the client finishes on the next one (ok before: $before)"

# pool status while a batch runs; pool stop drains: the running batch
# finishes (exit 0), a batch that comes meanwhile is refused with 75
mkdir da db && batch 4 >da/b.in && batch 2 >db/b.in
(cd da && "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 2 b.in r.out 2>err; echo $? >rc) & pa=$!
wait_for test -e da/workdir.1/probe.0.json || fail "the batch did not start"
sleep 0.6
expect 0 "$BATCHTILE" pool status --json "$POOL" &&
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); b=j["server"]["batches"]; a=j["server"]["allocation"]; assert j["live"] and len(b) == 1 and b[0]["total"] == 4 and b[0]["running"] >= 1 and a["cores_busy"] >= 1, j' "$T/out" ||
    fail "pool status --json while a batch runs: $(cat "$T/out")"
expect 0 "$BATCHTILE" pool status "$POOL" && grep -q "of 4 done" "$T/out" || fail "pool status: $(cat "$T/out")"
"$BATCHTILE" pool stop "$POOL" >"$T/stop.out" 2>&1 & pst=$!
wait_for grep -q "pool stop: finishing the running batches" "$POOL/pool.log" || fail "the pool did not start draining"
(cd db && expect 75 timeout 60 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" b.in r.out) && grep_err "the pool is stopping"
wait $pa; wait $pst || fail "pool stop: exit $?: $(cat "$T/stop.out")"
[ "$(cat da/rc)" = 0 ] || fail "the running batch under a drain: exit $(cat da/rc): $(tail -3 da/err)"
wait "$SERVER" || fail "the drained server: exit $?"
ok "pool status shows the running batch's counts; pool stop drains (running: exit 0, new: 75)"

# pool stop --now: the running batch stops as SIGTERM stops a run, its
# client exits 75 with a whole results file; the same client again resumes
serve --idle-exit 0
mkdir nw && batch 4 >nw/b.in
(cd nw && "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 2 b.in r.out 2>err; echo $? >rc) & pn=$!
wait_for test -e nw/workdir.1/probe.0.json || fail "the batch did not start"
expect 0 "$BATCHTILE" pool stop --now "$POOL"
wait $pn
[ "$(cat nw/rc)" = 75 ] || fail "pool stop --now: the client exited $(cat nw/rc), expected 75: $(tail -3 nw/err)"
grep -q "the pool was stopped ('batchtile pool stop --now')" nw/err || fail "the client's line: $(tail -3 nw/err)"
[ "$(sections nw/r.out)" = 4 ] || fail "pool stop --now: the results file must be whole"
serve --idle-exit 0
(cd nw && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 2 b.in r.out) && grep_err "4 evaluations: 4 ok"
ok "pool stop --now: the client exits 75 with a whole results file; again, it finishes"

# pool status --json of a DIR no pool serves: live false, no server, no job
mkdir -m 700 "$T/fresh"
expect 0 "$BATCHTILE" pool status --json "$T/fresh" &&
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["dir"] == sys.argv[2] and j["live"] is False and "server" not in j and j["jobs"] == [], j' "$T/out" "$T/fresh" ||
    fail "pool status --json, no pool: $(cat "$T/out")"
# pool status --watch (text and --json): again and again until stopped,
# following a batch from running to gone
mkdir w && batch 3 >w/b.in
"$BATCHTILE" pool status --watch --json "$POOL" >w/watch.json 2>w/watch.err & pwj=$!
"$BATCHTILE" pool status --watch "$POOL" >w/watch.txt 2>&1 & pwt=$!
(cd w && expect 0 "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 2.5 b.in r.out) ||
    fail "a batch under pool status --watch"
# watch_seen: a line with the batch running, then a later one without it
watch_seen() {
    python3 - w/watch.json "$POOL" "$T/w" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.endswith('\n')]
assert all(j['dir'] == sys.argv[2] and j['live'] is True for j in lines), lines
ran = [i for i, j in enumerate(lines)
       if any(b['cwd'] == sys.argv[3] and b['total'] == 3 and b['running'] >= 1
              for b in j['server']['batches'])]
assert ran, 'no line with the batch running'
assert any(not any(b['cwd'] == sys.argv[3] for b in j['server']['batches'])
           for j in lines[ran[-1] + 1:]), 'no line after the batch ended'
PY
}
wait_for watch_seen 2>/dev/null || { watch_seen; fail "pool status --watch --json: $(cat w/watch.json)"; }
wait_for sh -c "[ \$(grep -c '^pool $POOL: ' w/watch.txt) -ge 2 ]" || fail "pool status --watch: $(cat w/watch.txt)"
grep -q "of 3 done" w/watch.txt || fail "pool status --watch: the batch's counts: $(cat w/watch.txt)"
kill $pwj $pwt; wait $pwj $pwt 2>/dev/null
[ -s w/watch.err ] && fail "pool status --watch --json wrote on stderr: $(cat w/watch.err)"
ok "pool status --json with no pool; --watch and --watch --json follow a batch to its end"

# 2 and 4 clients at once: never more evaluations than cores, all complete
for n in 2 4; do
    dirs=()
    pids=()
    t0=$(date +%s.%N)
    for i in $(seq $n); do
        mkdir c$n.$i && batch 6 >c$n.$i/b.in
        (cd c$n.$i && "$BATCHTILE" run --pool "$POOL" --no-progress -- "$PROBE" --sleep 0.3 b.in r.out 2>err; echo $? >rc; date +%s.%N >t.end) &
        pids+=($!)
        dirs+=(c$n.$i/workdir.*)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    for i in $(seq $n); do
        [ "$(cat c$n.$i/rc)" = 0 ] || fail "client $i of $n: exit $(cat c$n.$i/rc): $(cat c$n.$i/err)"
        (cd c$n.$i && probe_check values r.out | grep -q "^sections 6 wrong 0") || fail "client $i of $n: values"
    done
    out=$(probe_check pernode "$ncores" ${dirs[@]}) || fail "$n clients: $out"
    spread=$(cat c$n.*/t.end | sort -n | awk 'NR==1{a=$1} {b=$1} END{printf "%.2f", b-a}')
    ok "$n clients at once on $ncores cores: $out; finish times spread ${spread}s"
done

# a pool server on a terminal draws no progress line, even for a batch
# whose client asked for one (--progress): the client draws it, from counts
stop_servers
server_pids=()
script -qfec "exec $BATCHTILE pool serve --idle-exit 0 $POOL" /dev/null >"$T/serve.tty" 2>&1 & pty=$!
server_pids+=($pty)
wait_for python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["state"] == "serving" and j["pid"] != int(sys.argv[2])' "$POOL/server.json" "$SERVER" ||
    fail "the pool server on a terminal did not start: $(cat "$T/serve.tty")"
mkdir pt && batch 4 >pt/b.in
(cd pt && script -qfec "$BATCHTILE run --pool $POOL --progress -- $PROBE --sleep 0.6 b.in r.out" /dev/null >client.tty 2>&1) ||
    fail "a client on a terminal: $(cat pt/client.tty)"
expect 0 "$BATCHTILE" pool stop "$POOL"
wait $pty
grep -q "batchtile: [0-9]*/4 done" pt/client.tty || fail "the client on a terminal drew no progress line: $(cat pt/client.tty)"
grep -q "4 evaluations: 4 ok" pt/client.tty || fail "the client on a terminal: $(cat pt/client.tty)"
grep -q "done, .* running" "$T/serve.tty" && fail "the pool server drew a progress line: $(cat -v "$T/serve.tty")"
ok "a pool server on a terminal draws no progress line; its client (--progress) does"
finish

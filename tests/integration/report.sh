#!/usr/bin/env bash
# What a user sees after a run: --joblog in GNU parallel's format, the report's
# numbers for a run whose timings the test controls, the Gantt chart (valid
# XML, a bar per evaluation, small at 100,000 evaluations, not blank in a
# browser), and the progress line redrawn in place on a terminal.
. "$(dirname "$0")/lib.sh"

# 6 evaluations of exactly 1 s on 2 cores: makespan 3 s, all cores busy;
# evaluation 4 exits 3, evaluation 5 dies on signal 9
batch 6 --sleep 1 --modes ok,ok,ok,exit:3,signal:9,ok >batch.in
expect 0 "$BATCHTILE" run --cores 2 --joblog joblog.txt -- "$PROBE" batch.in results.out
python3 - <<'PY' || fail "joblog"
rows = [l.rstrip('\n').split('\t') for l in open('joblog.txt')]
assert rows[0] == ['Seq', 'Host', 'Starttime', 'JobRuntime', 'Send', 'Receive', 'Exitval',
                   'Signal', 'Command'], rows[0]
body = rows[1:]
assert len(body) == 6, len(body)
byseq = {int(r[0]): r for r in body}
assert sorted(byseq) == [1, 2, 3, 4, 5, 6]
for r in body:
    assert len(r) == 9, r
    assert r[2].count('.') == 1 and len(r[2].split('.')[1]) == 3, r[2]   # 3 decimals
    assert float(r[3]) >= 1.0, r[3]     # each probe sleeps 1 s: never less
    assert r[8].endswith('probe params.in results.out'), r[8]
assert (byseq[4][6], byseq[4][7]) == ('3', '0'), byseq[4]
assert (byseq[5][6], byseq[5][7]) == ('-1', '9'), byseq[5]
assert all(byseq[s][6:8] == ['0', '0'] for s in (1, 2, 3, 6))
PY
ok "joblog: 6 lines, exit values 0/3/-1+signal 9"

expect 0 "$BATCHTILE" report --json
# the report's numbers against the times this run recorded (journal and
# joblog), so that a busy machine changes both alike
python3 - "$T/out" "$BT_TESTS/integration/journal_stats.py" <<'PY' || fail "report numbers: $(cat $T/out)"
import json, sys, runpy
r = json.load(open(sys.argv[1]))
js = runpy.run_path(sys.argv[2])['journal_stats']('batchtile.journal')
assert r['ok'] == 4 and r['failed'] == 2, r
assert r['failed_by_reason'] == {'exit status 3': 1, 'killed by signal 9': 1}, r['failed_by_reason']
assert abs(r['makespan'] - js['makespan']) < 1e-3, (r['makespan'], js)
assert abs(r['utilisation'] - js['utilisation']) < 1e-3, (r['utilisation'], js)
assert abs(r['runtime']['max'] - max(js['runtimes'])) < 1e-3, (r['runtime'], js)
assert min(js['runtimes']) >= 1.0 and r['runtime']['min'] >= 1.0   # each sleeps 1 s
assert r['makespan'] >= 3.0                                       # 3 waves on 2 cores
# joblog and journal tell the same runtimes
rows = [l.rstrip('\n').split('\t') for l in open('joblog.txt')][1:]
for row in rows:
    assert abs(float(row[3]) - js['by_eval'][int(row[0])]) < 2e-3, (row, js['by_eval'])
assert [f['eval'] for f in r['failed_evaluations']] == [4, 5]
assert r['failed_evaluations'][0]['workdir'] == 'workdir.4'
PY
expect 0 "$BATCHTILE" report
grep -q "evaluations   6 in the batch: 4 ok, 2 failed" "$T/out" && grep -q "utilisation" "$T/out" &&
    grep -q "5        workdir.5                killed by signal 9" "$T/out" || fail "report table: $(cat $T/out)"
ok "report: makespan, utilisation and runtimes as the journal recorded them"

# 3 evaluations of 1 s on 2 cores: one core idles half the time, 75%
mkdir three && cd three || exit 1
batch 3 --sleep 1 >batch.in
expect 0 "$BATCHTILE" run --cores 2 -- "$PROBE" batch.in results.out
expect 0 "$BATCHTILE" report --json batchtile.journal
python3 - "$T/out" "$BT_TESTS/integration/journal_stats.py" <<'PY' || fail "3 on 2 cores: $(cat $T/out)"
import json, sys, runpy
r = json.load(open(sys.argv[1]))
js = runpy.run_path(sys.argv[2])['journal_stats']('batchtile.journal')
assert abs(r["utilisation"] - js["utilisation"]) < 1e-3, (r["utilisation"], js)
assert abs(r["makespan"] - js["makespan"]) < 1e-3, (r["makespan"], js)
# one core idles while the third runs: about 3/4 busy (a little more when the
# third ran shorter than the first two), whatever the load
assert r["utilisation"] < 0.8 and r["makespan"] >= 2.0, r
PY
cd ..
ok "report: 3 evaluations on 2 cores, utilisation as the journal says (at most 75%)"

# the Gantt chart: valid XML, a bar per evaluation
expect 0 "$BATCHTILE" report --svg gantt.svg
xmllint --noout gantt.svg || fail "gantt.svg is not well-formed XML"
bars=$(grep -o 'class="bar [a-z]*" data-eval="[0-9]*"' gantt.svg | sort -u | wc -l)
[ "$bars" = 6 ] || fail "expected 6 bars, found $bars"
grep -q 'class="bar failed" data-eval="4"' gantt.svg || fail "evaluation 4 drawn as failed"
grep -q '<script' gantt.svg && fail "no scripts in the SVG"
grep -qi 'href=' gantt.svg && fail "nothing external in the SVG"
ok "gantt: 6 bars"

# 100,000 evaluations (a journal written as batchtile writes it): a few MB at most
python3 - <<'PY'
import json, random
rnd = random.Random(1)
t0 = 1.7e9
with open('big.journal', 'w') as f:
    nodes = [{'name': f'cn{i:03d}', 'cores': 16, 'gpus': 2} for i in range(1, 5)]
    f.write(json.dumps({'type': 'run', 'start': t0, 'backend': 'slurm', 'batch': 'b',
                        'evaluations': 100000, 'nodes': nodes, 'command': ['sim'],
                        'request': {}, 'pid': 1}) + '\n')
    free = [(t0, n, c) for n in range(4) for c in range(16)]
    for e in range(1, 100001):
        free.sort()
        t, n, c = free.pop(0)
        d = rnd.uniform(0.5, 3)
        ok = rnd.random() > 0.01
        f.write(json.dumps({'type': 'eval', 'eval': e, 'hash': '0', 'status': 'ok' if ok else 'failed',
                            'final': True, 'attempt': 1, 'start': t, 'end': t + d,
                            'workdir': f'workdir.{e}',
                            'placement': [{'node': f'cn{n + 1:03d}', 'tasks': 1, 'cores': [c],
                                           'gpus': [e % 2] if e % 7 == 0 else []}],
                            'exit': 0 if ok else 1}) + '\n')
        free.append((t + d, n, c))
PY
expect 0 "$BATCHTILE" report --svg big.svg big.journal
grep -q "100000 in the batch" "$T/out" || fail "big report: $(head -3 $T/out)"
size=$(stat -c %s big.svg)
[ "$size" -lt 3000000 ] || fail "100,000 evaluations: big.svg is $size bytes"
xmllint --noout big.svg || fail "big.svg is not well-formed XML"
ok "gantt at 100,000 evaluations: $size bytes"

# seen in a browser: headless Chromium's screenshot is not blank
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chrome" ]; then
    for f in gantt big; do
        timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --disable-background-networking --disable-component-update --disable-sync \
            --no-first-run --user-data-dir="$T/chrome" --hide-scrollbars \
            --window-size=1200,760 --screenshot="$T/$f.png" "file://$T/$f.svg" >/dev/null 2>&1
        [ -s "$T/$f.png" ] || { fail "chromium wrote no screenshot of $f.svg"; continue; }
        python3 "$BT_TESTS/integration/png_check.py" "$T/$f.png" || fail "$f.svg renders blank"
    done
    ok "chromium renders both charts"
else
    fail "chromium is not installed (make check installs it)"
fi

# the progress line on a terminal: redrawn in place, a few times a second
mkdir pty && cd pty || exit 1
batch 8 --sleep 0.4 >batch.in
script -qfec "$BATCHTILE run --cores 2 -- $PROBE batch.in results.out" /dev/null >typescript 2>&1 ||
    fail "run under a pseudo-terminal"
python3 - <<'PY' || fail "progress line: $(head -c 400 typescript | cat -v)"
t = open('typescript', 'rb').read().decode()
draws = [d for d in t.split('\r') if d.startswith('batchtile: ') and ' done, ' in d]
assert len(draws) >= 4, len(draws)
assert all('running' in d and 'failed' in d and 'elapsed' in d and 'ETA' in d for d in draws)
assert '\x1b[K' in t                    # each redraw clears the rest of the line
assert '8 evaluations: 8 ok' in t       # and the summary follows
PY
# not on a terminal: the summary only
"$BATCHTILE" run --no-resume --cores 2 -- "$PROBE" batch.in results.out 2>err
[ "$(wc -l <err)" = 1 ] && ! grep -q $'\r' err || fail "off a terminal: only the summary: $(cat -v err)"
# in a 50-column terminal every redraw fits the width (a wrapped line piles
# up instead of being redrawn); a resize to 30 columns (SIGWINCH) is followed
script -qfec "stty cols 50; (sleep 1.2; stty cols 30 </dev/tty; kill -WINCH \$\$) & exec $BATCHTILE run --no-resume --cores 2 -- $PROBE batch.in results.out" /dev/null >narrow 2>&1 ||
    fail "run under a 50-column pseudo-terminal"
python3 - <<'PY' || fail "progress line in 50 columns: $(head -c 600 narrow | cat -v)"
import re
t = open('narrow', 'rb').read().decode()
t = t[:t.index('8 evaluations: 8 ok')]
draws = [re.sub(r'\x1b\[K', '', d).rstrip('\n') for d in t.split('\r')]
draws = [d for d in draws if d.startswith('batchtile')]
assert len(draws) >= 4, draws
assert all(len(d) <= 49 for d in draws), [len(d) for d in draws]
assert any(len(d) == 49 for d in draws), [len(d) for d in draws]   # cut, not dropped
assert any(len(d) <= 29 for d in draws), [len(d) for d in draws]   # the resize was seen
PY
cd ..
ok "progress line"
finish

#!/bin/bash
# Scale: batches of each size N (default 10,000 and 1,000,000 trivial
# evaluations) end to end through `batchtile run`, then `batchtile report`
# and `report --svg` on the journal, each under /usr/bin/time -v: the
# driver's peak RSS (goal: under 500 MB at a million), and the time per
# evaluation at each size against the first (goal: within 20%: nothing grows
# faster than the batch).
# Usage: bench/scale.sh BUILD [N...]
set -eu
build=$(cd "$1" && pwd); shift
sizes=${*:-10000 1000000}
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/time ] || { echo "skipped: /usr/bin/time not installed (package time)"; exit 0; }
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-scale.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"
measure() { # LABEL N CMD...: one line "LABEL N seconds maxrss_kB exit"
    local label=$1 n=$2; shift 2
    /usr/bin/time -v -o tv "$@" >/dev/null 2>err || true
    local s rss rc
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); t = 0; for (i = 1; i <= n; i++) t = t * 60 + a[i]; print t}' tv)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' tv)
    rc=$(awk -F': ' '/Exit status/ {print $2}' tv)
    echo "$label $n $s $rss $rc" >>../times
}
for n in $sizes; do
    rm -rf "n$n" && mkdir "n$n" && cd "n$n"
    python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
    measure run "$n" "$build/src/batchtile" run --no-progress -- "$build/bench/trivial_sim" batch.in results.out
    [ "$(python3 "$here/../tests/integration/dakota_sections.py" results.out)" = "$n" ] ||
        { echo "$n: wrong results: $(tail -2 err)" >&2; exit 1; }
    measure report "$n" "$build/src/batchtile" report
    measure svg "$n" "$build/src/batchtile" report --svg gantt.svg
    cd .. && rm -rf "n$n"
done
python3 - <<'PY'
rows = [l.split() for l in open('times')]
first = {}
print(f'{"what":8s} {"evaluations":>12s} {"seconds":>9s} {"us/eval":>9s} {"vs first":>8s} {"peak RSS":>10s}')
for label, n, s, rss, rc in rows:
    n, s, rss = int(n), float(s), int(rss) / 1024
    per = s / n * 1e6
    first.setdefault(label, per)
    print(f'{label:8s} {n:12d} {s:9.1f} {per:9.1f} {per / first[label]:8.2f} {rss:8.1f} MB'
          + ('' if rc == '0' else f'  exit {rc}'))
PY

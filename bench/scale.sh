#!/bin/bash
# Scale: batches of each size N (default 10,000 and 1,000,000 trivial
# evaluations): `batchtile split` alone (what the filesystem costs for the
# work directories), then end to end through `batchtile run`, then
# `batchtile report` and `report --svg` on the journal, each under
# /usr/bin/time -v: the driver's peak RSS (goal: under 500 MB at a
# million), and the time per evaluation at each size against the first
# (goal: within 20%: nothing grows faster than the batch), also with the
# split's time per evaluation taken off (the filesystem's share).
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
    echo "$label $n $s $rss $rc" >>"$work/times"
}
for n in $sizes; do
    rm -rf "n$n" && mkdir "n$n" && cd "n$n"
    python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
    # the filesystem alone: the same work directories and parameters files,
    # nothing run (on ext4 a mkdir costs more as the directory grows)
    mkdir split && (cd split && measure split "$n" "$build/src/batchtile" split ../batch.in)
    rm -rf split
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
split = {int(r[1]): float(r[2]) for r in rows if r[0] == 'split'}
print(f'{"what":8s} {"evaluations":>12s} {"seconds":>9s} {"us/eval":>9s} {"vs first":>8s} {"peak RSS":>10s}')
for label, n, s, rss, rc in rows:
    n, s, rss = int(n), float(s), int(rss) / 1024
    per = s / n * 1e6
    first.setdefault(label, per)
    print(f'{label:8s} {n:12d} {s:9.1f} {per:9.1f} {per / first[label]:8.2f} {rss:8.1f} MB'
          + ('' if rc == '0' else f'  exit {rc}'))
    if label == 'run' and n in split:
        own = (s - split[n]) / n * 1e6
        first.setdefault('own', own)
        print(f'{"run-split":8s} {n:12d} {s - split[n]:9.1f} {own:9.1f} {own / first["own"]:8.2f}')
PY

#!/bin/bash
# Flux throughput: N trivial evaluations on one Flux instance
# (flux start --test-size=3), three drivers in the same invocation:
#   batchtile        batchtile run --launch steps (the Flux backend, a job each)
#   python_executor  bench/flux_executor_driver.py, a driver written the way
#                    the reference workflow's is (FluxExecutor)
#   flux_bulk        Flux's own bulk submission over the same pre-split
#                    directories: flux submit --cc=1-N ...; flux queue drain
# For each size, REPEATS rounds; round r starts with a different driver
# (rotated), so that no driver always runs first or last; the instance's
# inactive jobs are purged before each run (untimed). batchtile and the
# Python driver make the work directories in their time; the bulk
# submission's are made before (batchtile split, untimed). Each run is timed
# by GNU time: wall, CPU (user + system) and peak RSS of the driver and its
# children (the evaluations run under the brokers, not as its children).
# Usage: bench/flux.sh BUILD FLUX [SIZES] [REPEATS]
#   BUILD built with flux-core; SIZES comma-separated (default 300,1000);
#   REPEATS default 3. Prints one table per size, then the raw runs
#   (# size driver wall user sys maxrss_KiB).
set -eu
build=$(cd "$1" && pwd); flux=$2; sizes=${3:-300,1000}; reps=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/time ] || { echo "bench/flux.sh: needs GNU time (/usr/bin/time, package time)" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-flux.XXXXXX"); trap 'rm -rf "$work"' EXIT
cd "$work"

cat >inside.sh <<'SH'
#!/bin/bash
# inside the instance: inside.sh BUILD HERE SIZES REPEATS; one line per run:
# size driver wall user sys maxrss_kib
set -eu
build=$1 here=$2 sizes=$3 reps=$4
sections() { python3 "$here/../tests/integration/dakota_sections.py" "$1"; }
run_batchtile() {
    /usr/bin/time -o t -f '%e %U %S %M' "$build/src/batchtile" run --launch steps --no-progress -- \
        "$build/bench/trivial_sim" ../batch.in results.out 2>err
    [ "$(sections results.out)" = "$n" ] || { echo "batchtile: wrong results: $(tail -3 err)" >&2; exit 1; }
}
run_python_executor() {
    /usr/bin/time -o t -f '%e %U %S %M' flux python "$here/flux_executor_driver.py" \
        "$build/bench/trivial_sim" ../batch.in results.out
    [ "$(sections results.out)" = "$n" ] || { echo "python: wrong results" >&2; exit 1; }
}
run_flux_bulk() {
    "$build/src/batchtile" split ../batch.in
    /usr/bin/time -o t -f '%e %U %S %M' sh -c "flux submit --quiet --cc=1-$n --output=/dev/null \
        $build/bench/trivial_sim workdir.{cc}/params.in workdir.{cc}/results.out && flux queue drain"
    [ "$(ls workdir.*/results.out | wc -l)" = "$n" ] || { echo "flux_bulk: wrong results" >&2; exit 1; }
}
drivers=(batchtile python_executor flux_bulk)
for n in ${sizes//,/ }; do
    python3 "$here/../tests/integration/make_batch.py" "$n" >batch.in
    for r in $(seq 0 $((reps - 1))); do
        for i in 0 1 2; do
            d=${drivers[$(((r + i) % 3))]}
            rm -rf "$d" && mkdir "$d" && cd "$d"
            # every run starts from an instance without job history (its
            # inactive jobs would slow the later runs)
            flux job purge --force --num-limit=0 >/dev/null
            "run_$d"
            echo "$n $d $(cat t)"
            cd ..
        done
    done
done
SH
chmod +x inside.sh
"$flux" start --test-size=3 ./inside.sh "$build" "$here" "$sizes" "$reps" >times.txt
python3 - <<'PY'
import statistics
rows = [l.split() for l in open('times.txt')]
for n in dict.fromkeys(r[0] for r in rows):
    t, cpu, rss = {}, {}, {}
    for size, k, real, user, sys_, maxrss in rows:
        if size != n:
            continue
        t.setdefault(k, []).append(float(real))
        cpu.setdefault(k, []).append(float(user) + float(sys_))
        rss.setdefault(k, []).append(int(maxrss) / 1024)
    base = t['flux_bulk']
    print(f'{n} evaluations, flux start --test-size=3, {len(base)} rotated repeats')
    print(f'{"driver":<16} {"median s":>9} {"evals/s":>8} {"ratio":>6} {"cpu s":>7} {"rss MB":>7}'
          '   per-repeat ratios to flux_bulk')
    for k in ('flux_bulk', 'batchtile', 'python_executor'):
        ts = t[k]
        ratios = [a / b for a, b in zip(ts, base)]
        print(f'{k:<16} {statistics.median(ts):9.2f} {int(n) / statistics.median(ts):8.1f} '
              f'{statistics.median(ratios):6.2f} {statistics.median(cpu[k]):7.2f} '
              f'{statistics.median(rss[k]):7.1f}   ' + ' '.join(f'{x:.2f}' for x in ratios))
    print()
PY
sed 's/^/# /' times.txt

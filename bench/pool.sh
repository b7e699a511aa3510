#!/bin/bash
# A study of B batches of E evaluations (probe, sleeping S s each) through
# one pool (`batchtile pool start` once, then `batchtile run --pool` per
# batch, as Dakota calls it) against B `salloc -N1 batchtile run` calls, one
# allocation per batch, in the same invocation on the local test cluster
# (tests/slurm/cluster.sh, one node; an idle cluster: no queue wait, which
# on a real machine is what the pool saves most).
# Usage: bench/pool.sh BUILD [B] [E] [S]
set -eu
build=$(cd "$1" && pwd); nb=${2:-20}; ne=${3:-8}; sl=${4:-0.2}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bt-pool.XXXXXX")
bash "$here/../tests/slurm/cluster.sh" start "$work/cluster" 1 "$ne" >/dev/null
trap 'bash "$here/../tests/slurm/cluster.sh" stop "$work/cluster"; rm -rf "$work"' EXIT
export SLURM_CONF="$work/cluster/slurm.conf" XDG_RUNTIME_DIR="$work/rt"
mkdir -m 700 "$work/rt" "$work/pool"
cd "$work"
bt="$build/src/batchtile" probe="$build/sim/probe"
now() { date +%s.%N; }
study() { # MODE: B batches one after another
    local mode=$1 i
    for i in $(seq "$nb"); do
        rm -rf "$mode.$i" && mkdir "$mode.$i" && cd "$mode.$i"
        python3 "$here/../tests/integration/make_batch.py" "$ne" >b.in
        if [ "$mode" = pool ]; then
            "$bt" run --pool "$work/pool" --no-progress -- "$probe" --sleep "$sl" b.in r.out 2>err
        else
            salloc -Q -N1 -t 5 "$bt" run --no-progress --cores "$ne" -- "$probe" --sleep "$sl" b.in r.out 2>err
        fi
        [ "$(python3 "$here/../tests/integration/dakota_sections.py" r.out)" = "$ne" ] ||
            { echo "$mode.$i: wrong results: $(tail -2 err)" >&2; exit 1; }
        cd ..
    done
}
t0=$(now); "$bt" pool start "$work/pool" -N 1 -t 30 --cores "$ne" --idle-exit 1m >/dev/null 2>&1
study pool; t1=$(now)
"$bt" pool stop "$work/pool" >/dev/null 2>&1
t2=$(now); study salloc; t3=$(now)
work_s=$(echo "$nb * $sl" | bc)
printf '%d batches of %d evaluations of %ss (%ss of evaluation time in all):\n' "$nb" "$ne" "$sl" "$work_s"
printf '  one pool:        %6.2f s  (%.3f s per batch over the evaluation)\n' "$(echo "$t1 - $t0" | bc)" "$(echo "($t1 - $t0 - $work_s) / $nb" | bc -l)"
printf '  salloc per batch: %6.2f s  (%.3f s per batch over the evaluation)\n' "$(echo "$t3 - $t2" | bc)" "$(echo "($t3 - $t2 - $work_s) / $nb" | bc -l)"
printf '  ratio salloc/pool: %.2f\n' "$(echo "($t3 - $t2) / ($t1 - $t0)" | bc -l)"

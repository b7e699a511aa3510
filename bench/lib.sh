# Shared by the benchmarks that inject filesystem latency (bench/slowfs.c).
# timed_run NAME N SIM TIMES ENV...: `batchtile run` of ../batch.in in a fresh
# directory NAME with the environment ENV (SLOWFS=..., BATCHTILE_PRESTAGE=...)
# and libslowfs preloaded under $work; appends "NAME seconds" to TIMES and
# checks the N sections of the results.
timed_run() {
    local name=$1 n=$2 times=$3; shift 3
    rm -rf "$name" && mkdir "$name" && cd "$name" || exit 1
    local t0 t1
    t0=$(date +%s.%N)
    env SLOWFS_ROOT="$work" LD_PRELOAD="$build/bench/libslowfs.so" "$@" \
        "$build/src/batchtile" run --no-progress -- "$build/bench/trivial_sim" ../batch.in results.out 2>/dev/null
    t1=$(date +%s.%N)
    [ "$(python3 "$here/../tests/integration/dakota_sections.py" results.out)" = "$n" ] ||
        { echo "$name: wrong results" >&2; exit 1; }
    cd ..
    echo "$name $(echo "$t1 - $t0" | bc)" >>"$times" # beside the run directories
}

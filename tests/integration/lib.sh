# Shared by the integration tests: a scratch directory, the programs under
# test, and assertions that say what went wrong.
set -u
: "${BATCHTILE:?set by CTest}" "${BT_SIM_DIR:?}" "${BT_DATA:?}" "${BT_TESTS:?}"
TEXT_BOOK="$BT_SIM_DIR/text_book_par"
PROBE="$BT_SIM_DIR/probe"
CHECK="python3 $BT_TESTS/integration/check_textbook.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/bt-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# each test its own registry of the node's cores (alloc/registry.h): tests
# run side by side are not drivers of one allocation
export XDG_RUNTIME_DIR="$T/rt" && mkdir -m 700 "$XDG_RUNTIME_DIR"
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# expect STATUS CMD...: run CMD, capturing out/err in $T/out $T/err
expect() {
    local want=$1; shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "'$*' exited $got, expected $want; stderr: $(head -c 600 "$T/err")"
        return 1
    fi
    return 0
}
# grep_err PATTERN: the last command's stderr contains PATTERN (fixed string)
grep_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(head -c 600 "$T/err")"; }
finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
# run_textbook_in_workdirs [GLOB]: run the simulation by hand in each work directory
run_textbook_in_workdirs() {
    local d
    for d in ${1:-workdir.*}; do
        (cd "$d" && "$TEXT_BOOK" params.in results.out >stdout.txt 2>stderr.txt) || fail "text_book_par in $d"
    done
}
# make_batch N [FORMAT] [ASV]: a batch of N evaluations of 4 variables on [-1,1]
make_batch() {
    python3 "$BT_TESTS/integration/make_batch.py" "$1" --format "${2:-standard}" --asv "${3:-1}"
}
# batch ARGS...: make_batch.py with any of its options
batch() { python3 "$BT_TESTS/integration/make_batch.py" "$@"; }
# our_probes: pids of probe processes started by this test (their working
# directory is under $T; tests run in parallel, each with its own probes)
our_probes() {
    local p
    for p in $(pgrep -f "^$PROBE" 2>/dev/null); do
        case "$(readlink /proc/$p/cwd 2>/dev/null)" in "$T"/*) echo "$p" ;; esac
    done
}
# start_cluster NODES [CPUS]: a real Slurm cluster for this test (stopped
# at exit), SLURM_CONF exported, batchtile and the simulations on PATH;
# exits 77 (skipped) where Slurm is not installed
start_cluster() {
    local cluster="$BT_TESTS/slurm/cluster.sh" rc
    bash "$cluster" start "$T/cluster" "$@" >"$T/cluster.log" 2>&1
    rc=$?
    [ $rc = 77 ] && { cat "$T/cluster.log"; exit 77; }
    [ $rc = 0 ] || { cat "$T/cluster.log"; fail "the test cluster did not start"; finish; }
    trap 'bash "'"$cluster"'" stop "$T/cluster"; rm -rf "$T"' EXIT
    export SLURM_CONF="$T/cluster/slurm.conf"
    PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$PATH"
    export PATH
}
# sections FILE: a standard batch results file's sections, as Dakota reads them
sections() { python3 "$BT_TESTS/integration/dakota_sections.py" "$1" 2>/dev/null || echo 0; }
# probe_check ARGS...: the probe records' checker
probe_check() { python3 "$BT_TESTS/integration/probe_check.py" "$@"; }

# The Flux tests' set-up: skip (77) where batchtile was built without
# flux-core, else put batchtile, the simulations and flux on PATH, with the
# sanitizer settings libflux-core needs (its own leaks suppressed, see the
# file; no frame pointers in it, so the slow unwinder).
flux_setup() {
    if [ -z "${BT_FLUX:-}" ] || [ ! -x "$BT_FLUX" ]; then
        echo "skipped: flux-core not installed (the Flux backend is built only where pkg-config finds flux-core)"
        exit 77
    fi
    PATH="$(dirname "$BATCHTILE"):$BT_SIM_DIR:$(dirname "$BT_FLUX"):$PATH"
    export PATH
    export LSAN_OPTIONS="suppressions=$BT_TESTS/integration/lsan-flux.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
}

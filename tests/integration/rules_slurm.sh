#!/usr/bin/env bash
# --rules on a real Slurm cluster with accounting (slurmdbd, so that sacct
# answers as on a production cluster): a mixed batch where levels 0 and 1
# are steps of the driver's allocation with their own core counts and level
# 2 runs as separate jobs; kill -9 of the driver while a submitted job runs,
# then the same command: one job for that evaluation, its result collected;
# SIGTERM leaves submitted jobs running, --cancel-submitted cancels them; a
# submit rule Slurm could never run is refused before anything runs.
. "$(dirname "$0")/lib.sh"
BT_SLURM_ACCOUNTING=1 start_cluster 3 4

cat >rules.txt <<'EOF'
# the plan of a multilevel batch
level == 2 -> submit -N 2 -n 4 -t 5m
level == 1 -> tile -n 2
level == 0 -> tile -n 1
EOF

# the allocation's id, and the driver, inside one salloc
drive() { # DIR ARGS...: run batchtile in DIR inside a one-node allocation
    local d=$1; shift
    (cd "$d" && exec salloc -Q -N1 --exclusive -t 10 bash -c \
        'echo "$SLURM_JOB_ID" >alloc.id; echo $$ >driver.pid; exec batchtile run --rules ../rules.txt "$@"' bash "$@")
}

# jobs_in DIR [WANT]: how many jobs accounting holds that ran in work
# directory DIR (slurmctld tells slurmdbd a moment after a job ends: waits
# up to 10 s for WANT, then a moment more, so that an extra one shows too)
jobs_in() {
    local d n; d=$(cd "$1" 2>/dev/null && pwd) || { echo 0; return; }
    count() { sacct -n -X -P -S now-1hour -o JobID,WorkDir 2>/dev/null | awk -F'|' -v d="$d" '$2 == d' | grep -c .; }
    for _ in $(seq 100); do
        n=$(count)
        [ -z "${2:-}" ] || [ "$n" -ge "$2" ] && break
        sleep 0.1
    done
    sleep 1
    count
}

# records DIR: "workdir job size" for every probe record
records() {
    python3 - "$1" <<'EOF'
import glob, json, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], 'workdir.*', 'probe.0.json'))):
    r = json.load(open(f))
    print(os.path.basename(os.path.dirname(f)), r.get('SLURM_JOB_ID'), r.get('size'))
EOF
}

# ---- a mixed batch -----------------------------------------------------------
mkdir mixed
batch 9 --levels 0,1,2 --sleep 1 >mixed/b.in
if expect 0 drive mixed -- probe b.in r.out; then
    grep_err "9 evaluations: 9 ok, 0 failed"
    alloc=$(cat mixed/alloc.id)
    (cd mixed && probe_check values r.out) >/dev/null || fail "mixed batch: values in batch order"
    records mixed >mixed/records
    # levels cycle 0,1,2: evaluations 1,4,7 level 0; 2,5,8 level 1; 3,6,9 level 2
    for e in 1 4 7; do
        grep -qx "workdir.$e $alloc 1" mixed/records || fail "level 0 evaluation $e: expected a 1-task step of job $alloc: $(grep "workdir.$e " mixed/records)"
    done
    for e in 2 5 8; do
        grep -qx "workdir.$e $alloc 2" mixed/records || fail "level 1 evaluation $e: expected a 2-task step of job $alloc: $(grep "workdir.$e " mixed/records)"
    done
    jobs=""
    for e in 3 6 9; do
        read -r _ job size < <(grep "^workdir.$e " mixed/records)
        [ "$size" = 4 ] || fail "level 2 evaluation $e ran with $size tasks, expected 4"
        [ "$job" != "$alloc" ] || fail "level 2 evaluation $e ran in the driver's allocation"
        jobs="$jobs $job"
        [ "$(jobs_in mixed/workdir.$e 1)" = 1 ] || fail "evaluation $e: expected one job in sacct"
        [ -f mixed/workdir.$e/batchtile-job.sh ] || fail "evaluation $e: no job script"
    done
    [ "$(echo $jobs | tr ' ' '\n' | sort -u | wc -l)" = 3 ] || fail "level 2: expected 3 distinct jobs, got$jobs"
    (cd mixed && batchtile report) | grep -q "9 ok, 0 failed; 3 ran as jobs of their own, outside the allocation" ||
        fail "batchtile report: $(cd mixed && batchtile report 2>&1 | head -3)"
    n=$(grep -c '"type":"submit"' mixed/batchtile.journal)
    [ "$n" = 3 ] || fail "journal: $n submissions, expected 3"
    ok "mixed batch: levels 0/1 steps of job $alloc (1 and 2 tasks), level 2 jobs$jobs (4 tasks, 2 nodes)"
fi

# ---- a submitted evaluation fails: FAIL, or retried as a new job -------------
mkdir retry
batch 3 --levels 2,2,2 --modes ok,flaky:1,exit:3 >retry/b.in
# one task each: the probe's flaky mode counts attempts per work directory
echo 'level == 2 -> submit -n 1' >retry/rules.txt
if expect 0 drive retry --rules rules.txt --retries 1 -- probe b.in r.out; then
    grep_err "evaluation 3 (workdir.3): FAIL: exit status 3"
    grep_err "3 evaluations: 2 ok, 1 failed"
    [ "$(grep -c '^FAIL' retry/r.out)" = 1 ] || fail "retry: one FAIL section"
    n1=$(jobs_in retry/workdir.1 1); n2=$(jobs_in retry/workdir.2 2); n3=$(jobs_in retry/workdir.3 2)
    [ "$n1 $n2 $n3" = "1 2 2" ] || fail "retry: jobs per evaluation $n1 $n2 $n3, expected 1 2 2"
    ok "a submitted evaluation that fails is retried as a new job (--retries), then FAIL"
fi

# ---- kill -9 of the driver while a submitted job runs ------------------------
mkdir k9
batch 3 --levels 0,1,2 --sleep 6 >k9/b.in
drive k9 -- probe b.in r.out >k9/out1 2>&1 &
job=""
for _ in $(seq 300); do
    job=$(sed -n 's/.*"type":"submit".*"job":"\([0-9]*\)".*/\1/p' k9/batchtile.journal 2>/dev/null)
    [ -n "$job" ] && [ "$(squeue -h -j "$job" -o %T 2>/dev/null)" = RUNNING ] && break
    sleep 0.1
done
[ -n "$job" ] || fail "kill -9: no submission in the journal"
kill -9 "$(cat k9/driver.pid)"
wait
st=$(squeue -h -j "$job" -o %T 2>/dev/null)
[ "$st" = RUNNING ] || fail "kill -9: job $job should still run (it is not the allocation's), state '$st'"
if expect 0 drive k9 -- probe b.in r.out; then
    grep_err "following Slurm job $job (evaluation 3), submitted by an earlier run"
    (cd k9 && probe_check values r.out) >/dev/null || fail "kill -9: values after the rerun"
    n=$(jobs_in k9/workdir.3 1)
    [ "$n" = 1 ] || fail "kill -9: sacct shows $n jobs for evaluation 3, expected 1"
    ok "kill -9 while job $job ran: the rerun followed it; sacct shows one job for evaluation 3"
fi

# ---- SIGTERM: submitted jobs are left to run, or cancelled -------------------
for mode in leave cancel; do
    mkdir term-$mode
    batch 3 --levels 2,2,2 --sleep 30 >term-$mode/b.in
    extra=""; [ $mode = cancel ] && extra=--cancel-submitted
    drive term-$mode $extra -- probe b.in r.out >term-$mode/out 2>term-$mode/err &
    for _ in $(seq 300); do
        [ "$(grep -c '"type":"submit"' term-$mode/batchtile.journal 2>/dev/null)" = 3 ] && break
        sleep 0.1
    done
    jobs=$(sed -n 's/.*"type":"submit".*"job":"\([0-9]*\)".*/\1/p' term-$mode/batchtile.journal | tr '\n' ' ')
    kill -TERM "$(cat term-$mode/driver.pid)"
    wait
    grep -q "evaluations: 0 ok" term-$mode/err || fail "SIGTERM ($mode): $(cat term-$mode/err)"
    [ "$(sections term-$mode/r.out)" = 3 ] || fail "SIGTERM ($mode): the results file has no 3 sections"
    if [ $mode = leave ]; then
        grep -q "left running as Slurm jobs" term-$mode/err || fail "SIGTERM: $(cat term-$mode/err)"
        for j in $jobs; do
            st=$(squeue -h -j "$j" -o %T 2>/dev/null)
            case "$st" in RUNNING|PENDING) ;; *) fail "SIGTERM: job $j should be left to run, state '$st'" ;; esac
            scancel "$j"
        done
        ok "SIGTERM: submitted jobs $jobs left running"
    else
        for j in $jobs; do
            st=""
            for _ in $(seq 100); do
                st=$(sacct -n -X -P -j "$j" -o State 2>/dev/null | head -1)
                case "$st" in CANCELLED*) break ;; esac
                sleep 0.1
            done
            case "$st" in CANCELLED*) ;; *) fail "--cancel-submitted: job $j is '$st'" ;; esac
        done
        ok "SIGTERM with --cancel-submitted: jobs $jobs cancelled"
    fi
done

# ---- examples/multilevel, as shown -------------------------------------------
mkdir ml && cd ml || exit 1
cp "$BT_TESTS/../examples/multilevel/dakota_multilevel.in" "$BT_TESTS/../examples/multilevel/multilevel.rules" .
grep -q "analysis_driver = 'salloc -N1 --exclusive -t 10 batchtile run --rules ../multilevel.rules -- text_book_par'" \
    dakota_multilevel.in || fail "the multilevel example's driver changed: update this test"
if ldd "$TEXT_BOOK" | grep -q libmpi && expect 0 timeout 600 batchtile study dakota_multilevel.in; then
    python3 - <<'PY' || fail "examples/multilevel: tabular values or plans"
import glob, os, re
rows = [l.split() for l in open('dakota_tabular.dat')]
head, body = rows[0], rows[1:]
assert len(body) == 24, len(body)
want = {'0': 1, '1': 4, '2': 8}
levels = set()
for r in body:
    xs = [float(r[head.index(k)]) for k in ('level', 'x1', 'x2', 'x3', 'x4')]
    f = sum((x - 1) ** 4 for x in xs)  # text_book: every input, level included
    assert abs(float(r[head.index('f')]) - f) <= 1e-12 * (1 + f), r
    lv = r[head.index('level')]
    levels.add(lv)
    out = open(f'workdir.1/workdir.{r[0]}/stdout.txt').read()
    ranks = re.findall(r'rank \d+ of (\d+)', out)
    assert ranks and all(int(n) == want[lv] for n in ranks) and len(ranks) == want[lv], (r[0], lv, out)
    assert os.path.exists(f'workdir.1/workdir.{r[0]}/batchtile-job.sh') == (lv == '2'), r[0]
assert levels == {'0', '1', '2'}, levels
PY
    n2=$(awk 'NR > 1 && $3 == 2' dakota_tabular.dat | wc -l)
    for _ in $(seq 100); do # accounting hears of a job a moment after it ends
        njobs=$(sacct -n -X -P -S now-1hour -o WorkDir | grep -c "$PWD/workdir.1/workdir")
        [ "$njobs" -ge "$n2" ] && break
        sleep 0.1
    done
    [ "$njobs" = "$n2" ] || fail "examples/multilevel: $njobs submitted jobs for $n2 level-2 evaluations"
    ok "examples/multilevel: 24 values; levels 0/1 tiled with 1 and 4 ranks, $n2 level-2 evaluations as 8-rank jobs"
fi
cd ..

# ---- a submit rule Slurm could never run --------------------------------------
mkdir never
batch 3 --levels 0,1,2 >never/b.in
echo 'level == 2 -> submit -N 5 -n 5' >never/rules.txt
if expect 1 bash -c 'cd never && salloc -Q -N1 --exclusive -t 5 batchtile run --rules rules.txt -- probe b.in r.out'; then
    grep_err "rules.txt:1: Slurm would never run it (sbatch --test-only:"
    ls never | grep -q workdir && fail "an impossible rule: work directories were made"
    [ -n "$(squeue -h -n batchtile.eval.3)" ] && fail "an impossible rule: a job was submitted"
    ok "a submit rule Slurm could never run is refused before anything runs"
fi
finish

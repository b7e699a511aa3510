#!/usr/bin/env bash
# Daemons die with their evaluation (issue 20 item 2), however they detach:
# a daemon of a daemon whose parent still runs when the evaluation ends, and
# a daemon with an empty environment (no BATCHTILE_RUN to be known by); at
# the evaluation's normal end, at its time limit, and at the run's end.
. "$(dirname "$0")/lib.sh"

cat >leaver <<'SH'
#!/bin/bash
setsid bash -c 'setsid sleep 1001 & echo $! >d1.pid; sleep 1' &
env -i setsid sleep 1002 &
echo $! >d2.pid
for _ in $(seq 100); do [ -s d1.pid ] && break; sleep 0.05; done
# one evaluation at a time: what the one before left must be gone already
for f in ../workdir.*/d?.pid; do
    [ "${f%/*}" = "../${PWD##*/}" ] && continue
    p=$(cat "$f") && [ -r /proc/$p/cmdline ] && grep -q '^sleep' /proc/$p/cmdline &&
        ! grep -q '^State:.*Z' /proc/$p/status && echo "$f $p" >>../survivors
done
printf '1.5 f\n' >"$2"
[ -n "${HANG:-}" ] && sleep 1000
exit 0
SH
chmod +x leaver
alive() { # the daemons (sleep 1001, sleep 1002) of these pid files that still run
    local f p
    for f in "$@"; do
        p=$(cat "$f" 2>/dev/null) || continue
        [ -n "$p" ] && tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -q '^sleep 100[12] ' &&
            ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && echo "$p"
    done
}
gone_within() { # gone_within SECONDS FILE...
    local end=$((SECONDS + $1)); shift
    while [ -n "$(alive "$@")" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
    [ -z "$(alive "$@")" ]
}
# can this process make a cgroup (v2, with cgroup.kill) below its own? Then
# batchtile does, and each evaluation's daemons die at its own end
cgroup_ok=0
mnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -n "$mnt" ] && mkdir "$mnt$cg/bt-test.$$" 2>/dev/null; then
    [ -e "$mnt$cg/bt-test.$$/cgroup.kill" ] && cgroup_ok=1
    rmdir "$mnt$cg/bt-test.$$"
fi

cases() { # cases MODE CGROUP_OK: the normal end and the time limit
    local m=$1 cgroup_ok=$2
    mkdir end.$m && cd end.$m || exit 1
    batch 3 >b.in
    expect 0 "$BATCHTILE" run --max-running 1 -- ../leaver b.in r.out && grep_err "3 evaluations: 3 ok"
    gone_within 5 workdir.*/d?.pid || fail "$m: normal end: daemons survived: $(alive workdir.*/d?.pid)"
    [ "$(ls workdir.*/d?.pid | wc -l)" = 6 ] || fail "$m: normal end: the daemons did not start"
    if [ $cgroup_ok = 1 ]; then
        [ -e survivors ] && fail "$m: normal end: an evaluation's daemons outlived it: $(cat survivors)"
    else # a daemon that kept its environment is known as the evaluation's
        grep -s d1.pid survivors && fail "$m: normal end: a daemon of a daemon outlived its evaluation"
    fi
    cd ..
    ok "$m: daemons of daemons and daemons with no environment die at their evaluation's end"

    mkdir limit.$m && cd limit.$m || exit 1
    batch 2 >b.in
    HANG=1 expect 0 "$BATCHTILE" run --max-running 1 -t 1s --grace 1s -- ../leaver b.in r.out
    grep_err "FAIL: time limit 1s exceeded"
    gone_within 5 workdir.*/d?.pid || fail "$m: time limit: daemons survived: $(alive workdir.*/d?.pid)"
    [ "$(ls workdir.*/d?.pid | wc -l)" = 4 ] || fail "$m: time limit: the daemons did not start"
    if [ $cgroup_ok = 1 ]; then
        [ -e survivors ] && fail "$m: time limit: an evaluation's daemons outlived it: $(cat survivors)"
    else # a daemon that kept its environment is known as the evaluation's
        grep -s d1.pid survivors && fail "$m: time limit: a daemon of a daemon outlived its evaluation"
    fi
    cd ..
    ok "$m: daemons of daemons and daemons with no environment die at their evaluation's time limit"
}
cases default $cgroup_ok
if [ $cgroup_ok = 1 ]; then
    # in its cgroup from its first instruction: what its very first command
    # forks (here a cat, started before the shell does anything else) is in
    # it too, not moved there after the start
    mkdir first && cd first || exit 1
    printf '#!/bin/sh\ncat /proc/self/cgroup >cg\nprintf "1 f\\n" >"$2"\n' >first.sh
    chmod +x first.sh
    batch 20 >b.in
    expect 0 "$BATCHTILE" run -- ./first.sh b.in r.out
    bad=$(grep -L '^0::/.*batchtile-[^/]*/e[0-9]*$' workdir.*/cg)
    [ -z "$bad" ] || fail "an evaluation's first command ran outside its cgroup: $(cat $bad | head -3)"
    cd ..
    ok "every evaluation's first command runs in the evaluation's own cgroup"
fi
# where no cgroup can be made (forced here): the sub-reaper sweep, at the
# latest at the run's end
BATCHTILE_CGROUP=off cases subreaper 0

# kill -9 of the driver: the watchdog takes them along
mkdir k9 && cd k9 || exit 1
batch 2 >b.in
HANG=1 "$BATCHTILE" run -- ../leaver b.in r.out 2>err &
pid=$!
for _ in $(seq 100); do [ "$(ls workdir.*/d1.pid 2>/dev/null | wc -l)" = 2 ] && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null
if [ $cgroup_ok = 1 ]; then
    gone_within 5 workdir.*/d?.pid || fail "kill -9: daemons survived: $(alive workdir.*/d?.pid)"
    ok "kill -9 of the driver: its evaluations' cgroups are killed by the watchdog"
fi
# in any case the next run of the same journal kills what is left
expect 0 timeout 60 "$BATCHTILE" run -- ../leaver b.in r.out
gone_within 5 workdir.*/d?.pid || fail "after a resume: daemons survived: $(alive workdir.*/d?.pid)"
cd ..
ok "kill -9 of the driver, then a resumed run: no daemon survives"
finish

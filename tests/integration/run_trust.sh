#!/usr/bin/env bash
# Results a user can trust: resume reuses an evaluation only when its whole
# recipe is unchanged; batchtile never writes through a link; one run per
# journal; results files are read safely, whatever a simulation leaves.
. "$(dirname "$0")/lib.sh"

# a simulation whose answer is SCALE * x1, as written: changing SCALE in the
# script changes every answer (same path, new content)
mksim() {
    printf '#!/bin/sh\nawk -v s=%s '"'"'NR == 2 { printf "%%.17g f\\n", s * $1 }'"'"' "$1" >"$2"\n' "$1" >sim
    chmod +x sim
}
first_value() { head -n 1 "$1" | awk '{print $1}'; }
x1_of() { awk 'NR == 2 {print $1}' "$1"; }

# ---- fingerprints ------------------------------------------------------------
mkdir fp && cd fp || exit 1
mksim 1
batch 4 >b.in
expect 0 "$BATCHTILE" run -- ./sim b.in r1.out
# the program fixed (same path, new content): every evaluation runs again
mksim 2
expect 0 "$BATCHTILE" run -- ./sim b.in r2.out
grep_err "program changed since the journal: 4 evaluations run again"
grep_err "4 evaluations: 4 ok, 0 failed; "
python3 -c "import sys; a, x = float(sys.argv[1]), float(sys.argv[2]); assert abs(a - 2 * x) < 1e-12, (a, x)" \
    "$(first_value r2.out)" "$(x1_of workdir.1/params.in)" || fail "new program, new values"
# unchanged: all taken from the journal
expect 0 "$BATCHTILE" run -- ./sim b.in r3.out && grep_err "4 taken from the journal"
cmp -s r2.out r3.out || fail "resumed results equal the run's"
# a changed command line (an extra argument) runs again, and says so
printf '#!/bin/sh\nexec ../sim "$2" "$3"\n' >wrap && chmod +x wrap
expect 0 "$BATCHTILE" run -- ./sim b.in r4.out && grep_err "4 taken from the journal"
expect 0 "$BATCHTILE" run -- ./wrap extra b.in r4.out
grep_err "command, program changed since the journal: 4 evaluations run again"
# --resume=params keeps the old behaviour: the program's change is ignored
mksim 3
expect 0 "$BATCHTILE" run --resume=params -- ./wrap extra b.in r5.out && grep_err "4 taken from the journal"
# options that change what runs
expect 0 "$BATCHTILE" run --cores 2 -c 2 -- ./wrap extra b.in r6.out
grep_err "options (-n -c -g -N --exclusive --mpi) changed since the journal: 4 evaluations run again"
cd ..
ok "fingerprints: program content, command, options; --resume=params"

# a 17-digit parameter changed in its last digit parses to the same double,
# and is still a different parameter: it runs again, params.in is the new one
mkdir digits && cd digits || exit 1
mksim 1
printf '%s\n' "                                          1 variables" \
    "                       12345678901234567 x1" "                                          1 functions" \
    "                                          1 ASV_1:f" "                                          1 derivative_variables" \
    "                                          1 DVV_1:x1" "                                          0 analysis_components" \
    "                                     1:1 eval_id" >b.in
expect 0 "$BATCHTILE" run -- ./sim b.in r.out
sed -i 's/12345678901234567 x1/12345678901234568 x1/' b.in
expect 0 "$BATCHTILE" run -- ./sim b.in r.out
grep_err "1 evaluation: 1 ok, 0 failed; "
grep -q "12345678901234568 x1" workdir.1/params.in || fail "params.in must be the current one"
cd ..
ok "a 17-digit parameter changed in its last digit runs again"

# ---- never through a link ---------------------------------------------------
mkdir links && cd links || exit 1
mksim 1
batch 3 >b.in
mkdir template && echo "shared parameters" >template/params.in && echo data >template/mesh.dat
expect 1 "$BATCHTILE" run --template-dir template -- ./sim b.in r.out
grep_err "its entry 'params.in' has the name of a file batchtile writes in each work directory (params.in)"
[ "$(cat template/params.in)" = "shared parameters" ] || fail "the template's params.in was written"
ls -d workdir.* >/dev/null 2>&1 && fail "nothing may run after a template collision"
rm template/params.in
echo x >template/stdout.txt
expect 1 "$BATCHTILE" run --template-dir template -- ./sim b.in r.out && grep_err "'stdout.txt'"
rm template/stdout.txt
echo x >template/out.7
expect 1 "$BATCHTILE" run --template-dir template --results-file 'out.{eval}' -- ./sim b.in r.out &&
    grep_err "'out.7'"
rm template/out.7
# a work directory that is a link: an error, nothing written where it points
mkdir elsewhere && ln -s elsewhere workdir.2
expect 1 "$BATCHTILE" run -- ./sim b.in r.out
grep_err "workdir.2: the work directory is a symbolic link; batchtile does not write through links"
[ -z "$(ls elsewhere)" ] || fail "written through the work directory link: $(ls elsewhere)"
[ -e r.out ] || [ -d workdir.1 ] && fail "nothing may run"
expect 0 "$BATCHTILE" run --follow-workdir-links -- ./sim b.in r.out
[ -f elsewhere/params.in ] || fail "--follow-workdir-links uses the link"
rm workdir.2 && rm -r elsewhere
# files batchtile writes in a work directory that are links to a user's file:
# the link is replaced, the user's file untouched
echo "my precious" >precious
mkdir -p workdir.3 && ln -sf ../precious workdir.3/stdout.txt && ln -sf ../precious workdir.3/params.in &&
    ln -sf ../precious workdir.3/stderr.txt
expect 0 "$BATCHTILE" run --no-resume -- ./sim b.in r.out
[ "$(cat precious)" = "my precious" ] || fail "written through a link: $(cat precious)"
[ ! -L workdir.3/params.in ] && [ ! -L workdir.3/stdout.txt ] && grep -q eval_id workdir.3/params.in ||
    fail "the links must be replaced by batchtile's own files"
cd ..
ok "never through a link: template collisions, linked work directories, linked files"

# ---- one run per journal ------------------------------------------------------
mkdir lock && cd lock || exit 1
batch 2 --sleep 3 >b.in
"$BATCHTILE" run -- "$PROBE" b.in r1.out 2>err1 &
pid=$!
for _ in $(seq 100); do grep -q '"type":"run"' batchtile.journal 2>/dev/null && break; sleep 0.1; done
expect 4 "$BATCHTILE" run -- "$PROBE" b.in r2.out
grep_err "another batchtile (pid $pid) is running in this directory"
[ -e r2.out ] && fail "the second run may not write anything"
[ "$(grep -c '"type":"run"' batchtile.journal)" = 1 ] || fail "the second run may not touch the journal"
wait $pid || fail "the first run: $(cat err1)"
[ -s r1.out ] || fail "the first run's results"
cd ..
ok "a second run on the same journal exits 4 and names the first's pid"

# ---- the journal's framing ------------------------------------------------------
# a torn record at the tail (a write cut short) is cut back, so the next
# record never glues onto it; a record whose checksum fails is not trusted
mkdir torn && cd torn || exit 1
batch 3 >b.in
expect 0 "$BATCHTILE" run -- "$PROBE" b.in r.out
printf '{"type":"eval","eval":2,"hash":"00' >>batchtile.journal
expect 0 "$BATCHTILE" run -- "$PROBE" b.in r.out && grep_err "3 taken from the journal"
python3 - <<'PY' || fail "journal lines after a torn tail"
import json, re, zlib
for line in open('batchtile.journal', 'rb').read().split(b'\n')[:-1]:
    rec = json.loads(line)                                   # every line whole
    m = re.search(rb',"len":(\d+),"crc":"([0-9a-f]{8})"}$', line)
    n = int(m.group(1))
    assert n == m.start() and zlib.crc32(line[:n]) == int(m.group(2), 16), line
PY
# evaluation 2's last record garbled (a bit flipped): it runs again
python3 - <<'PY'
lines = open('batchtile.journal').read().split('\n')
i = max(k for k, l in enumerate(lines) if '"eval":2,' in l)
lines[i] = lines[i].replace('"status":"ok"', '"status":"ok" ', 1)
open('batchtile.journal', 'w').write('\n'.join(lines))
PY
expect 0 "$BATCHTILE" run -- "$PROBE" b.in r.out && grep_err "3 evaluations: 3 ok, 0 failed, 2 taken from the journal"
cd ..
ok "journal: a torn tail is cut back, a garbled record is not trusted"

# ---- reading results safely ----------------------------------------------------
mkdir safe && cd safe || exit 1
batch 3 >b.in
printf '#!/bin/sh\nprintf "2.5 f\\0\\0\\0\\0" >"$2"\n' >nul && chmod +x nul
expect 0 "$BATCHTILE" run -- ./nul b.in r.out
grep_err "FAIL: invalid results: byte 0x00 at offset 5 is not text"
[ "$(grep -c '^FAIL' r.out)" = 3 ] || fail "a NUL tail is a FAIL"
printf '#!/bin/sh\nprintf "2.5 f\\n" >"$2"\nhead -c 3000000 /dev/zero | tr "\\\\0" " " >>"$2"\n' >big && chmod +x big
expect 0 "$BATCHTILE" run --no-resume --max-results-size 1M -- ./big b.in r.out
grep_err "FAIL: results file larger than 1048576 bytes (--max-results-size)"
expect 0 "$BATCHTILE" run --no-resume -- ./big b.in r.out && grep_err "3 evaluations: 3 ok"
cd ..
ok "results: NUL tail and size bound are FAILs"

# a results file truncated and rewritten while batchtile reads it (join reads
# the same way run does), 200 times: never a crash
mkdir trunc && cd trunc || exit 1
batch 1 >b.in
expect 0 "$BATCHTILE" split b.in
( end=$((SECONDS + 60))
  while [ -e workdir.1 ] && [ $SECONDS -lt $end ]; do
      { printf '1.5 f\n'; head -c 300000 /dev/zero | tr '\0' ' '; } >workdir.1/results.out
      : >workdir.1/results.out
  done ) &
writer=$!
crashes=0
for i in $(seq 200); do
    "$BATCHTILE" join b.in r.out 2>/dev/null
    rc=$?
    [ $rc -le 3 ] || crashes=$((crashes + 1))
done
kill $writer 2>/dev/null; wait $writer 2>/dev/null
[ $crashes = 0 ] || fail "join crashed $crashes times of 200 reading a results file being truncated"
cd ..
ok "200 reads of a results file truncated meanwhile: no crash"

# ---- a full disk ------------------------------------------------------------------
# a 2 MB tmpfs, nearly full: the journal on it, then the work directories
mkdir full && cd full || exit 1
if [ "$(id -u)" = 0 ] && mkdir tiny && mount -t tmpfs -o size=2m tmpfs tiny 2>/dev/null; then
    trap 'umount "$T/full/tiny" 2>/dev/null; rm -rf "$T"' EXIT
    printf '#!/bin/sh\nawk '"'"'NR == 2 { printf "%%.17g f\\n", $1 }'"'"' "$1" >"$2"\nhead -c 20000 /dev/zero >junk.bin 2>/dev/null\nexit 0\n' >sim
    chmod +x sim
    batch 200 >b.in
    # the journal: room for its first records only
    dd if=/dev/zero of=tiny/fill bs=4k count=505 2>/dev/null
    expect 3 "$BATCHTILE" run --journal tiny/j -- ./sim b.in r1.out
    grep_err "tiny/j: cannot append to the journal: No space left on device: stopping: nothing new is started"
    [ "$(grep -c 'cannot append to the journal: No space left on device: stopping' "$T/err")" = 1 ] || fail "the journal's fault said once"
    [ "$(sections r1.out)" = 200 ] || fail "the results file is written whole after a journal fault"
    grep -q "not run: stopped by a fault of the machine" tiny/j 2>/dev/null && fail "nothing can be journalled past the fault"
    rm -f tiny/fill tiny/j
    # the work directories: full after a few evaluations (each leaves 20 KB)
    dd if=/dev/zero of=tiny/fill bs=4k count=300 2>/dev/null
    (cd tiny && expect 3 "$BATCHTILE" run --journal "$T/full/j2" -- ../sim ../b.in "$T/full/r2.out")
    grep_err "No space left on device: stopping: nothing new is started"
    [ "$(grep -c 'stopping: nothing new is started' "$T/err")" = 1 ] || fail "a full disk is said once"
    nfail=$(grep -c ': FAIL: ' "$T/err")
    [ "$nfail" -le 4 ] || fail "a full disk: $nfail FAIL lines, expected at most a few: $(head -c 800 "$T/err")"
    grep_err "evaluations not started: FAIL (stopped by a fault of the machine"
    [ "$(sections r2.out)" = 200 ] || fail "the results file is written whole after a full disk"
    umount tiny
    trap 'rm -rf "$T"' EXIT
    ok "a full disk: the journal's or the work directories' fault stops the run once, results whole, exit 3"
else
    echo "skipped: a full disk (needs root to mount a tmpfs)"
fi
cd ..
finish

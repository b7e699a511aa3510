#!/usr/bin/env bash
# Bad command lines exit 1, malformed batch files exit 2 naming file, line
# and what was expected, system errors exit 3; none leaves anything behind.
. "$(dirname "$0")/lib.sh"

expect 1 "$BATCHTILE" && grep_err "Usage: batchtile COMMAND"
expect 1 "$BATCHTILE" frobnicate && grep_err "'frobnicate' is not a command"
expect 0 "$BATCHTILE" --help && grep -q "split" "$T/out" && grep -q "join" "$T/out" || fail "--help lists the commands"
expect 0 "$BATCHTILE" --version && grep -q "^batchtile [0-9]" "$T/out" || fail "--version"
for cmd in split join; do
    expect 0 "$BATCHTILE" $cmd --help && grep -q "Usage: batchtile $cmd" "$T/out" || fail "$cmd --help"
    expect 1 "$BATCHTILE" $cmd --bogus x && grep_err "unrecognized option '--bogus'"
    expect 1 "$BATCHTILE" $cmd --workdir && grep_err "option '--workdir' expects a value"
    expect 1 "$BATCHTILE" $cmd && grep_err "expected"
    expect 1 "$BATCHTILE" $cmd --workdir '' b.in r.out && grep_err "--workdir: expected a name"
done
expect 1 "$BATCHTILE" join --results-format xml b.in r.out && grep_err "expected auto, standard or json, found 'xml'"
expect 1 "$BATCHTILE" split a b && grep_err "expected one argument"
ok "usage errors exit 1"

# malformed batches: exit 2, file:line: what was expected, and nothing created
make_batch 3 >good.in
head -n 18 good.in >truncated.in                         # cut inside evaluation 2 (lines 16-30)
sed '21s/.*/ 1 function/' good.in >wrongtag.in           # line 21: the functions line of evaluation 2
sed '1s/4 variables/5 variables/' good.in >wrongcount.in # 5 variables announced, 4 given
sed 's/1:2 eval_id/1:1 eval_id/' good.in >dup.in         # evaluation 1 twice
printf '\177ELF\002\001\001\000\000binary\n' >binary.in
: >empty.in
printf '[\n{"variables": [], "responses": []\n' >bad.json
check_bad() {
    local file=$1 msg=$2
    rm -rf workdir.*
    expect 2 "$BATCHTILE" split "$file" && grep_err "$msg"
    ls -d workdir.* >/dev/null 2>&1 && fail "$file: split created work directories"
    expect 2 "$BATCHTILE" join "$file" out.txt && grep_err "$msg"
    [ -e out.txt ] && fail "$file: join wrote a results file"
    ls out.txt.tmp.* >/dev/null 2>&1 && fail "$file: join left a temporary file"
}
check_bad truncated.in "truncated.in:19: expected variable 3 of 4, found end of file"
check_bad wrongtag.in "wrongtag.in:21: expected '<n> functions', found '1 function'"
check_bad wrongcount.in "wrongcount.in:7: expected '<n> functions', found '1 ASV_1:f'"
check_bad dup.in "dup.in:16: expected a new evaluation number, found evaluation 1 again (first at line 1)"
check_bad binary.in "binary.in:1: byte 0x7f at offset 0 is not text: a batch parameters file is text"
check_bad empty.in "empty.in:1: expected at least one evaluation, found none"
check_bad bad.json "bad.json:2: evaluation 1: unterminated JSON object"
[ "$(wc -l <"$T/err")" = 1 ] || fail "one clear message, not several"
ok "malformed batch files exit 2 with file:line"

# system errors: exit 3, and the old results file (if any) is left intact
expect 3 "$BATCHTILE" split does-not-exist.in && grep_err "does-not-exist.in: cannot read"
expect 0 "$BATCHTILE" split good.in
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
    expect 3 "$BATCHTILE" join good.in ro/out.txt && grep_err "ro/out.txt: cannot write"
fi
expect 3 "$BATCHTILE" join good.in no/such/dir/out.txt && grep_err "no/such/dir/out.txt: cannot write"
: >workdir.1/params.in && rm -rf workdir.2 && touch workdir.2   # a file where a directory must go
expect 3 "$BATCHTILE" split good.in && grep_err "workdir.2: cannot create work directory"
ok "system errors exit 3"
finish

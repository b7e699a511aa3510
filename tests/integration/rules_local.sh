#!/usr/bin/env bash
# --rules with the local backend: each level tiled with its own cores and
# command, --dry-run naming the rule each evaluation matched, malformed and
# unusable rules refused before anything runs (file, line, column), resume
# per rule, and --order.
. "$(dirname "$0")/lib.sh"

batch 6 --levels 0,1,2 >b.in
cat >rules.txt <<EOF
# levels 0 and 1 tiled with their own shapes; level 2 with its own command
level == 0 -> tile -n 1 -c 1
level == 1 -> tile -c 2 -- $PROBE --sleep 0.4
level == 2 and x1 > -5 -> tile -c 1 -t 1m -- $PROBE
EOF

# ---- --dry-run names the rule -------------------------------------------------
if expect 0 "$BATCHTILE" run --cores 4 --rules rules.txt --dry-run -- "$TEXT_BOOK" b.in r.out; then
    grep -q "^eval 1  rule rules.txt:2 (tile)  \[.*\]  in workdir.1: $TEXT_BOOK params.in results.out" out ||
        fail "dry run, evaluation 1: $(head -1 out)"
    grep -q "^eval 2  rule rules.txt:3 (tile)  \[.*: cores [0-9],[0-9]\]  in workdir.2: $PROBE --sleep 0.4 params.in" out ||
        fail "dry run, evaluation 2: $(sed -n 2p out)"
    grep -q "^eval 3  rule rules.txt:4 (tile) .* $PROBE params.in results.out" out ||
        fail "dry run, evaluation 3: $(sed -n 3p out)"
    ls | grep -q workdir && fail "dry run made work directories"
    ok "--dry-run names each evaluation's rule"
fi

# ---- a run: each plan's cores and command -----------------------------------------
if expect 0 "$BATCHTILE" run --cores 4 --rules rules.txt -- "$TEXT_BOOK" b.in r.out; then
    grep_err "6 evaluations: 6 ok, 0 failed"
    for e in 1 4; do [ -f workdir.$e/probe.0.json ] && fail "level 0 evaluation $e ran the probe, expected text_book_par"; done
    for e in 2 5; do
        n=$(python3 -c "import json; r = json.load(open('workdir.$e/probe.0.json')); print(len(r['cpus'].replace('-', ',').split(',')))")
        [ "$n" = 2 ] || fail "level 1 evaluation $e: expected 2 cores (-c 2), the probe saw: $n"
    done
    for e in 3 6; do [ -f workdir.$e/probe.0.json ] || fail "level 2 evaluation $e: the rule's command did not run"; done
    [ "$(sections r.out)" = 6 ] || fail "6 sections expected"
    grep -q '"rule":3' batchtile.journal || fail "the journal does not name the rule"
    ok "each level ran with its rule's cores and command"
fi

# ---- resume: a changed rule re-runs its evaluations only ----------------------
sed -i 's/^level == 0 -> tile -n 1 -c 1$/level == 0 -> tile -n 1 -c 2/' rules.txt
if expect 0 "$BATCHTILE" run --cores 4 --rules rules.txt -- "$TEXT_BOOK" b.in r.out; then
    grep_err "6 evaluations: 6 ok, 0 failed, 4 taken from the journal"
    ok "a changed rule re-runs its 2 evaluations, the 4 others are taken from the journal"
fi

# ---- --order -----------------------------------------------------------------
# largest first: cores x time limit (level 2: 1 core x 1m; levels 0 and 1: 2 cores, no limit)
expect 0 "$BATCHTILE" run --cores 4 --rules rules.txt --order largest-first --dry-run -- "$TEXT_BOOK" b.in r.out &&
    order=$(awk '{printf "%s ", $2}' out)
[ "${order:-}" = "3 6 1 2 4 5 " ] || fail "--order largest-first: $order, expected 3 6 1 2 4 5 (then batch order among equals)"
# longest first: level 1 slept 0.4 s in the runs above, the others not at all
expect 0 "$BATCHTILE" run --cores 4 --rules rules.txt --order longest-first --dry-run -- "$TEXT_BOOK" b.in r.out &&
    order=$(awk '{printf "%s ", $2}' out)
[ "${order:-}" = "3 6 1 2 4 5 " ] && fail "--order longest-first ignored the recorded runtimes"
case "${order:-}" in "2 5 "*) ok "--order largest-first and longest-first" ;;
    *) fail "--order longest-first: $order, expected level 1 (2 5) first" ;; esac

# ---- rules that cannot be used: refused before anything runs --------------------
mkdir bad && cd bad || exit 1
batch 3 --levels 0,1,2 >b.in
check_refused() { # WHAT PATTERN: the last run exited 1 with PATTERN, leaving nothing
    grep_err "$2"
    ls | grep -qE 'workdir|batchtile.journal|r.out' && fail "$1: something was written: $(ls)"
}
printf '# fine\nlevel == 1 -> tile -n 1\nlevel =! 2 -> tile\n' >rules.txt
expect 1 "$BATCHTILE" run --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "a malformed rule" "batchtile run: rules.txt:3:7: expected an operator after 'level'"
printf 'levle == 1 -> tile -n 1\n' >rules.txt
expect 1 "$BATCHTILE" run --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "an unknown name" "rules.txt:1:1: evaluation 1 has no variable 'levle' (its variables: x1 x2 x3 x4 level"
printf 'level == 1 -> tile -n 1 -c 64\n' >rules.txt
expect 1 "$BATCHTILE" run --cores 2 --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "a tile rule too large" "rules.txt:1: an evaluation needs 64 cores"
printf 'level == 1 -> tile -N 3 -n 2\n' >rules.txt
expect 1 "$BATCHTILE" run --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "-N above -n" "rules.txt:1: -N 3 with -n 2: every node needs at least one task"
printf 'level == 1 -> tile -- no-such-simulation\n' >rules.txt
expect 1 "$BATCHTILE" run --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "a missing command" "rules.txt:1: "
expect 1 "$BATCHTILE" run --rules missing.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "no rules file" "missing.txt: cannot read the rules file"
printf 'level == 2 -> submit -n 2\n' >rules.txt
expect 1 env PATH="$BT_SIM_DIR" "$BATCHTILE" run --backend local --rules rules.txt -- "$TEXT_BOOK" b.in r.out &&
    check_refused "submit without a scheduler" "rules.txt:1: the submit route needs a scheduler to submit to"
ok "unusable rules files are refused before anything runs, with file, line and column"
finish

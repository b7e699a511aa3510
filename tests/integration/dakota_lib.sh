# Shared by the tests that run real Dakota (source after lib.sh).
#
#   dakota_find            DAKOTA=the dakota program (BT_DAKOTA, else `dakota`
#                          on PATH), its directory first on PATH so that a
#                          README's `dakota -i` runs it; exit 77 (skipped)
#                          only where neither exists
#   dakota_fork_twin IN OUT
#                          OUT = IN with the batch interface replaced by a
#                          plain fork interface running the same simulation
#                          once per evaluation (what it rewrites: below)
#   tabular_same A B       two Dakota tabular data files hold the same values
#                          (exact: see below); prints the first difference
#                          and returns 1 otherwise
#   dakota_restart_evals RST
#                          the number of evaluations in a Dakota restart file
#   restart_same A B [REL] two restart files hold the same evaluations, every
#                          parameter and response at full precision
#                          (dakota_restart_util print, its header left out):
#                          exact, or within relative REL for a number (an
#                          MPI simulation's reduction sums in another order
#                          than its serial twin: the last bit may differ)

dakota_find() {
    if [ -n "${BT_DAKOTA:-}" ]; then
        [ -x "$BT_DAKOTA" ] || { echo "BT_DAKOTA=$BT_DAKOTA is not an executable" >&2; exit 1; }
        DAKOTA=$BT_DAKOTA
    else
        DAKOTA=$(command -v dakota) || { echo "skipped: no dakota on PATH and BT_DAKOTA unset"; exit 77; }
    fi
    PATH="$(dirname "$DAKOTA"):$PATH"
    export DAKOTA PATH
}

# dakota_fork_twin IN OUT. The rewrite, and nothing else:
#  - every `analysis_driver = '... -- SIM ARGS'` becomes
#    `analysis_driver = 'SIM ARGS'`: the words after the first ` -- ` of the
#    batchtile command line (whatever precedes it: salloc ..., batchtile run
#    OPTIONS); a driver string without ` -- ` is an error (no simulation to
#    run);
#  - the interface keyword `batch` and its optional `size N` are removed, so
#    that Dakota runs the driver once per evaluation (fork, synchronous);
#  - the work directory is kept (one directory, reused by each evaluation in
#    turn) and so is everything else: method, seed, variables, responses,
#    tabular file name. Run OUT in its own directory.
# The simulation then writes each evaluation's results file itself, so the
# twin is for simulations that write Dakota's results format (text_book_par).
dakota_fork_twin() {
    python3 - "$1" "$2" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src).read()
drivers = 0
def driver(m):
    global drivers
    words = m.group(2)
    if ' -- ' not in words:
        sys.exit(f"{src}: analysis_driver {m.group(2)!r} has no ' -- SIMULATION'")
    drivers += 1
    return m.group(1) + words.split(' -- ', 1)[1] + m.group(3)
text = re.sub(r"""(analysis_drivers?\s*=?\s*')([^']*)(')""", driver, text)
if drivers == 0:
    sys.exit(f"{src}: no analysis_driver '...' found")
lines, batches = [], 0
for line in text.splitlines(keepends=True):
    code = line.split('#', 1)[0]
    if re.fullmatch(r"\s*batch(\s+size\s*=?\s*\d+)?\s*", code):
        batches += 1
        continue
    lines.append(line)
if batches != 1:
    sys.exit(f"{src}: expected one 'batch' line in the interface, found {batches}")
open(dst, 'w').write(''.join(lines))
PY
}

# tabular_same A B: the same header and the same tokens, row by row, compared
# exactly as text. Both files are written by the same Dakota with the same
# formatting (10 significant digits), so the same double prints the same
# token; a tolerance would only hide a difference.
tabular_same() {
    python3 - "$1" "$2" <<'PY'
import sys
a, b = sys.argv[1], sys.argv[2]
ra = [l.split() for l in open(a) if l.strip()]
rb = [l.split() for l in open(b) if l.strip()]
if not ra:
    sys.exit(f"{a}: empty")
for n, (x, y) in enumerate(zip(ra, rb), 1):
    if x != y:
        for i, (p, q) in enumerate(zip(x, y)):
            if p != q:
                col = ra[0][i] if i < len(ra[0]) else f"column {i + 1}"
                sys.exit(f"tabular data differ: line {n}, {col}: {a}: {p}, {b}: {q}")
        sys.exit(f"tabular data differ: line {n} has {len(x)} fields in {a}, {len(y)} in {b}")
if len(ra) != len(rb):
    sys.exit(f"tabular data differ: {a} has {len(ra)} lines, {b} {len(rb)}")
PY
}

# dakota_restart_evals RST: how many evaluations Dakota's restart file holds
dakota_restart_evals() {
    "$(dirname "$DAKOTA")/dakota_restart_util" print "$1" 2>/dev/null | grep -c '^Restart record'
}
restart_print() {
    "$(dirname "$DAKOTA")/dakota_restart_util" print "$1" 2>&1 | sed -n '/^Restart record/,$p'
}
restart_same() {
    python3 - "$1" "$2" "${3:-0}" <(restart_print "$1") <(restart_print "$2") <<'PY'
import sys
a, b, rel = sys.argv[1], sys.argv[2], float(sys.argv[3])
la, lb = open(sys.argv[4]).read().split('\n'), open(sys.argv[5]).read().split('\n')
if not any(l.startswith('Restart record') for l in la):
    sys.exit(f"{a}: no evaluations")
def num(t):
    try:
        return float(t)
    except ValueError:
        return None
for n, (x, y) in enumerate(zip(la, lb), 1):
    if x == y:
        continue
    tx, ty = x.split(), y.split()
    same = len(tx) == len(ty)
    for p, q in zip(tx, ty) if same else ():
        u, v = num(p), num(q)
        if p != q and (u is None or v is None or abs(u - v) > rel * max(abs(u), abs(v))):
            same = False
    if not same:
        sys.exit(f"restart files differ: record line {n}: {a}: {x.strip()!r}, {b}: {y.strip()!r}")
if len(la) != len(lb):
    sys.exit(f"restart files differ: {a} has {len(la)} lines printed, {b} {len(lb)}")
PY
}

#!/usr/bin/env bash
# make install's result is usable: the binary and man page, and libbtdakota
# with its headers and pkg-config file, from which a simulation author's
# program builds and runs.
. "$(dirname "$0")/lib.sh"
: "${BT_BUILD:?set by CTest}"
expect 0 cmake --install "$BT_BUILD" --prefix "$T/prefix" || { finish; }
for f in bin/batchtile bin/text_book_par share/man/man1/batchtile.1 lib/pkgconfig/btdakota.pc \
         include/batchtile/dakota/dakota.h; do
    [ -e "$T/prefix/$f" ] || fail "not installed: $f"
done
"$T/prefix/bin/batchtile" --version | grep -q "^batchtile " || fail "installed batchtile runs"
cat >sim.c <<'C'
#include <dakota/dakota.h>
#include <stdio.h>
/* f = 2 x1: the smallest simulation written against the installed library */
int main(int argc, char **argv)
{
    dak_error err;
    char m[512];
    dak_params *p = argc == 3 ? dak_params_load(argv[1], &err) : NULL;
    if (!p) {
        fprintf(stderr, "%s\n", argc == 3 ? dak_error_str(&err, m, sizeof m) : "usage");
        return 1;
    }
    dak_results *r = dak_results_new(p);
    r->fn[0] = 2 * p->vars[0].real;
    int rc = dak_results_save(argv[2], r, p, DAK_FMT_STANDARD, &err);
    dak_results_free(r);
    dak_params_free(p);
    return rc ? 1 : 0;
}
C
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
# a sanitized build installs a sanitized library: its users link the runtime too
san=""
[ "${BT_SANITIZE:-OFF}" = ON ] && san="-fsanitize=address,undefined"
expect 0 cc $san sim.c $(pkg-config --cflags --libs btdakota) -Wl,-rpath,"$T/prefix/lib" -o sim ||
    { finish; }
make_batch 3 >batch.in
expect 0 "$T/prefix/bin/batchtile" run -- ./sim batch.in results.out
python3 - <<'PY' || fail "values from the installed library"
import runpy, os
secs = runpy.run_path(os.environ['BT_TESTS'] + '/integration/dakota_sections.py')['sections'](open('results.out').read())
for e, sec in enumerate(secs, 1):
    x1 = float(open(f'workdir.{e}/params.in').read().split('\n')[1].split()[0])
    assert abs(float(sec.split()[0]) - 2 * x1) < 1e-15
assert len(secs) == 3
PY
ok "installed: batchtile, man page, libbtdakota; a program built with pkg-config btdakota runs"
finish

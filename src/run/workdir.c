#include "workdir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/file.h"
#include "util/tmpl.h"

int run_workdir_path(const run_layout *l, long eval, char *out, size_t outsz)
{
    return ut_tmpl_expand(l->workdir, eval, out, outsz);
}

int run_workdir_file(const run_layout *l, long eval, const char *name, char *out, size_t outsz)
{
    char dir[PATH_MAX], base[PATH_MAX];
    if (run_workdir_path(l, eval, dir, sizeof dir) < 0 ||
        ut_tmpl_expand(name, eval, base, sizeof base) < 0)
        return -1;
    return ut_path_join(out, outsz, dir, base);
}

int run_workdir_write_params(const run_layout *l, long eval, const char *text, size_t len,
                             char *msg, size_t msgsz)
{
    char dir[PATH_MAX], file[PATH_MAX];
    if (run_workdir_path(l, eval, dir, sizeof dir) < 0 ||
        run_workdir_file(l, eval, l->params_file, file, sizeof file) < 0) {
        snprintf(msg, msgsz, "evaluation %ld: work directory name too long", eval);
        return -1;
    }
    if (dir[0] && ut_mkdirs(dir, 0755) < 0) {
        snprintf(msg, msgsz, "%s: cannot create work directory: %s", dir, strerror(errno));
        return -1;
    }
    /* no fsync: a lost parameters file is simply written again on resume */
    if (ut_write_file(file, text, len) < 0) {
        snprintf(msg, msgsz, "%s: cannot write: %s", file, strerror(errno));
        return -1;
    }
    return 0;
}

#include "workdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int run_template_init(run_template *t, const char *dir, int copy, char *msg, size_t msgsz)
{
    memset(t, 0, sizeof *t);
    t->copy = copy;
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) {
        snprintf(msg, msgsz, "--template-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(abs);
    if (!d) {
        snprintf(msg, msgsz, "--template-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    t->dir = strdup(abs);
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (t->n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(t->names, cap * sizeof *nn);
            if (!nn)
                break;
            t->names = nn;
        }
        t->names[t->n++] = strdup(e->d_name);
    }
    closedir(d);
    return 0;
}

void run_template_free(run_template *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->dir);
    memset(t, 0, sizeof *t);
}

static int populate(const run_template *t, const char *dir, char *msg, size_t msgsz)
{
    for (size_t i = 0; i < t->n; i++) {
        char src[PATH_MAX], dst[PATH_MAX];
        if (ut_path_join(src, sizeof src, t->dir, t->names[i]) < 0 ||
            ut_path_join(dst, sizeof dst, dir, t->names[i]) < 0) {
            snprintf(msg, msgsz, "%s: name too long", t->names[i]);
            return -1;
        }
        int rc = t->copy ? ut_copy_tree(src, dst) : symlink(src, dst);
        if (rc < 0 && errno != EEXIST) {
            snprintf(msg, msgsz, "%s: cannot %s %s: %s", dir, t->copy ? "copy" : "link", src,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

int run_workdir_write_params(const run_layout *l, long eval, const char *text, size_t len,
                             const run_template *tmpl, char *msg, size_t msgsz)
{
    char dir[PATH_MAX], file[PATH_MAX];
    if (run_workdir_path(l, eval, dir, sizeof dir) < 0 ||
        run_workdir_file(l, eval, l->params_file, file, sizeof file) < 0) {
        snprintf(msg, msgsz, "evaluation %ld: work directory name too long", eval);
        return -1;
    }
    int created = mkdir(dir, 0755) == 0;
    if (!created && ut_mkdirs(dir, 0755) < 0) {
        snprintf(msg, msgsz, "%s: cannot create work directory: %s", dir, strerror(errno));
        return -1;
    }
    if (created && tmpl && populate(tmpl, dir, msg, msgsz) < 0)
        return -1;
    /* no fsync: a lost parameters file is simply written again on resume */
    if (ut_write_file(file, text, len) < 0) {
        snprintf(msg, msgsz, "%s: cannot write: %s", file, strerror(errno));
        return -1;
    }
    return 0;
}

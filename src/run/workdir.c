#include "workdir.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
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
                             const run_template *tmpl, int follow_links, char *msg, size_t msgsz)
{
    char dir[PATH_MAX], name[PATH_MAX];
    if (run_workdir_path(l, eval, dir, sizeof dir) < 0 ||
        ut_tmpl_expand(l->params_file, eval, name, sizeof name) < 0) {
        snprintf(msg, msgsz, "evaluation %ld: work directory name too long", eval);
        return -1;
    }
    int created = mkdir(dir, 0755) == 0;
    if (!created && errno != EEXIST && ut_mkdirs(dir, 0755) < 0) {
        snprintf(msg, msgsz, "%s: cannot create work directory: %s", dir, strerror(errno));
        return -1;
    }
    /* everything written in it is written relative to it, opened without
     * following a link: a work directory that is a link leads elsewhere */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW));
    if (dfd < 0) {
        struct stat st;
        if ((errno == ELOOP || errno == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
            snprintf(msg, msgsz, "%s: the work directory is a symbolic link; batchtile does not "
                                 "write through links (--follow-workdir-links allows it)", dir);
        else if (errno == ENOTDIR)
            snprintf(msg, msgsz, "%s: cannot create work directory: it exists and is not a "
                                 "directory", dir);
        else
            snprintf(msg, msgsz, "%s: cannot open work directory: %s", dir, strerror(errno));
        return -1;
    }
    if (created && tmpl && populate(tmpl, dir, msg, msgsz) < 0) {
        close(dfd);
        return -1;
    }
    /* no fsync: a lost parameters file is simply written again on resume */
    if (ut_write_file_at(dfd, name, text, len) < 0) {
        snprintf(msg, msgsz, "%s/%s: cannot write: %s", dir, name, strerror(errno));
        close(dfd);
        return -1;
    }
    close(dfd);
    return 0;
}

int run_workdir_check_link(const run_layout *l, long eval, char *msg, size_t msgsz)
{
    char dir[PATH_MAX];
    struct stat st;
    if (run_workdir_path(l, eval, dir, sizeof dir) < 0 || lstat(dir, &st) < 0 ||
        !S_ISLNK(st.st_mode))
        return 0;
    snprintf(msg, msgsz, "%s: the work directory is a symbolic link; batchtile does not write "
                         "through links (--follow-workdir-links allows it)", dir);
    return -1;
}

/* Does name match template t ({eval} standing for any evaluation number)? */
static int tmpl_matches(const char *t, const char *name)
{
    const char *key = strstr(t, "{eval}");
    if (!key)
        return strcmp(t, name) == 0;
    size_t pre = (size_t)(key - t);
    if (strncmp(t, name, pre) != 0)
        return 0;
    const char *p = name + pre;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    return tmpl_matches(key + 6, p);
}

int run_template_check(const run_template *t, const char *const *names, char *msg, size_t msgsz)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; names[k]; k++) {
            /* only the name's first component lives in the work directory's top */
            char first[PATH_MAX];
            snprintf(first, sizeof first, "%s", names[k]);
            char *slash = strchr(first, '/');
            if (slash)
                *slash = '\0';
            if (tmpl_matches(first, t->names[i])) {
                snprintf(msg, msgsz, "--template-dir %s: its entry '%s' has the name of a file "
                                     "batchtile writes in each work directory (%s): every "
                                     "evaluation would write through it into the template; "
                                     "rename it or choose another name", t->dir, t->names[i],
                         names[k]);
                return -1;
            }
        }
    return 0;
}

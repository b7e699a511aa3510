#include "recipe.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/tmpl.h"

const char *const run_recipe_part_names[RUN_RECIPE_NPARTS] = {
    "command", "program", "template directory", "options (-n -c -g -N --exclusive --mpi)"};

void run_recipe_hex(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, h);
}

static int parse_hex(const json_t *j, uint64_t *h)
{
    const char *s = json_string_value(j);
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 16);
    if (*end || errno)
        return -1;
    *h = v;
    return 0;
}

/* "a/b/../c" -> "a/c", lexically (the work directory is never a link). */
static void normalize(char *path)
{
    char *parts[PATH_MAX / 2];
    int n = 0, absolute = path[0] == '/';
    char *save = NULL;
    for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0)
            continue;
        if (strcmp(t, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0) {
            n--;
            continue;
        }
        parts[n++] = t;
    }
    char out[PATH_MAX];
    size_t w = 0;
    out[0] = '\0';
    if (absolute)
        out[w++] = '/', out[w] = '\0';
    for (int i = 0; i < n && w < sizeof out; i++)
        w += (size_t)snprintf(out + w, sizeof out - w, "%s%s", i ? "/" : "", parts[i]);
    if (w == 0)
        snprintf(out, sizeof out, ".");
    memcpy(path, out, strlen(out) + 1);
}

/* The identity of a program file, its content hash from cache when the
 * file is the same one. */
static int add_file(json_t *files, uint64_t *h, const char *path, const json_t *cache,
                    char *msg, size_t msgsz)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    json_int_t size = (json_int_t)st.st_size, ino = (json_int_t)st.st_ino;
    double mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
    uint64_t content = 0;
    int cached = 0;
    size_t i;
    json_t *f;
    json_array_foreach(cache, i, f)
    {
        const char *p = json_string_value(json_object_get(f, "path"));
        if (p && strcmp(p, path) == 0 &&
            json_integer_value(json_object_get(f, "size")) == size &&
            json_integer_value(json_object_get(f, "ino")) == ino &&
            json_real_value(json_object_get(f, "mtime")) == mtime &&
            parse_hex(json_object_get(f, "hash"), &content) == 0) {
            cached = 1;
            break;
        }
    }
    if (!cached) {
        content = UT_HASH_INIT;
        if (ut_hash_file(path, &content) < 0) {
            snprintf(msg, msgsz, "%s: cannot read it to fingerprint it: %s", path,
                     strerror(errno));
            return -1;
        }
    }
    char hex[17];
    run_recipe_hex(content, hex);
    json_array_append_new(files, json_pack("{s:s,s:I,s:f,s:I,s:s}", "path", path, "size", size,
                                           "mtime", mtime, "ino", ino, "hash", hex));
    *h = ut_hash_str(*h, path);
    *h = ut_hash(*h, &size, sizeof size);
    *h = ut_hash(*h, &content, sizeof content);
    return 0;
}

int run_recipe_compute(run_recipe *r, const run_recipe_input *in, const json_t *cache,
                       char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    r->files = json_array();
    /* the command line as written ({eval} expands the same way every time),
     * and the names it is given */
    uint64_t h = UT_HASH_INIT;
    for (int i = 0; i < in->nwords; i++)
        h = ut_hash_str(h, in->words[i]);
    h = ut_hash_str(h, in->layout->params_file);
    h = ut_hash_str(h, in->layout->results_file);
    r->part[RUN_RECIPE_COMMAND] = h;

    /* the program, and every argument that names a file: relative ones as
     * seen from the (first) work directory, where the command runs */
    h = UT_HASH_INIT;
    char wd[PATH_MAX], cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd) || ut_tmpl_expand(in->layout->workdir, in->first_eval, wd, sizeof wd) < 0)
        snprintf(wd, sizeof wd, ".");
    char wdabs[PATH_MAX * 2 + 2];
    snprintf(wdabs, sizeof wdabs, wd[0] == '/' ? "%s%s" : "%.4095s/%.4095s", wd[0] == '/' ? "" : cwd, wd);
    if (strlen(wdabs) < PATH_MAX)
        normalize(wdabs);
    for (int i = 0; i < in->nwords; i++) {
        const char *w = in->words[i];
        if (strchr(w, '{') || !*w)
            continue;
        char path[PATH_MAX * 2 + 2];
        if (i == 0 || w[0] == '/')
            snprintf(path, sizeof path, "%s", w);
        else if (wd[0] == '/')
            snprintf(path, sizeof path, "%s/%s", wd, w);
        else
            snprintf(path, sizeof path, "%s/%s/%s", cwd, wd, w);
        if (strlen(path) >= PATH_MAX)
            continue;
        normalize(path);
        /* a file inside the work directory is the evaluation's own (or the
         * template's, fingerprinted with it), not part of the recipe */
        size_t wl = strlen(wdabs);
        if (i > 0 && strncmp(path, wdabs, wl) == 0 && (path[wl] == '/' || path[wl] == '\0'))
            continue;
        if (add_file(r->files, &h, path, cache, msg, msgsz) < 0) {
            run_recipe_free(r);
            return -1;
        }
    }
    r->part[RUN_RECIPE_PROGRAM] = h;

    /* the template directory's listing: names, sizes, mtimes */
    h = UT_HASH_INIT;
    if (in->template_dir) {
        h = ut_hash_str(h, in->template_dir);
        h = ut_hash(h, &in->copy_files, sizeof in->copy_files);
        struct dirent **names = NULL;
        int n = scandir(in->template_dir, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            const char *name = names[i]->d_name;
            char p[PATH_MAX];
            struct stat st;
            if (strcmp(name, ".") && strcmp(name, "..") &&
                snprintf(p, sizeof p, "%s/%s", in->template_dir, name) < (int)sizeof p &&
                lstat(p, &st) == 0) {
                int64_t sz = st.st_size, sec = st.st_mtim.tv_sec, ns = st.st_mtim.tv_nsec;
                h = ut_hash_str(h, name);
                h = ut_hash(h, &sz, sizeof sz);
                h = ut_hash(h, &sec, sizeof sec);
                h = ut_hash(h, &ns, sizeof ns);
            }
            free(names[i]);
        }
        free(names);
    }
    r->part[RUN_RECIPE_TEMPLATE] = h;

    /* what changes what runs */
    const sched_request *q = in->req;
    int opts[] = {q->ntasks, q->cores_per_task, q->gpus_per_task, q->nodes, q->exclusive};
    h = ut_hash(UT_HASH_INIT, opts, sizeof opts);
    h = ut_hash_str(h, in->mpi ? in->mpi : "auto");
    r->part[RUN_RECIPE_OPTIONS] = h;

    r->all = ut_hash(UT_HASH_INIT, r->part, sizeof r->part);
    return 0;
}

json_t *run_recipe_json(const run_recipe *r)
{
    static const char *const keys[RUN_RECIPE_NPARTS] = {"command", "program", "template",
                                                        "options"};
    char hex[17];
    run_recipe_hex(r->all, hex);
    json_t *j = json_pack("{s:s}", "all", hex);
    for (int i = 0; i < RUN_RECIPE_NPARTS; i++) {
        run_recipe_hex(r->part[i], hex);
        json_object_set_new(j, keys[i], json_string(hex));
    }
    json_object_set(j, "files", r->files);
    return j;
}

int run_recipe_from_json(run_recipe *r, const json_t *j)
{
    static const char *const keys[RUN_RECIPE_NPARTS] = {"command", "program", "template",
                                                        "options"};
    memset(r, 0, sizeof *r);
    if (!json_is_object(j) || parse_hex(json_object_get(j, "all"), &r->all) < 0)
        return -1;
    for (int i = 0; i < RUN_RECIPE_NPARTS; i++)
        if (parse_hex(json_object_get(j, keys[i]), &r->part[i]) < 0)
            return -1;
    r->files = json_incref(json_object_get(j, "files"));
    return 0;
}

unsigned run_recipe_diff(const run_recipe *a, const run_recipe *b)
{
    unsigned d = 0;
    for (int i = 0; i < RUN_RECIPE_NPARTS; i++)
        if (a->part[i] != b->part[i])
            d |= 1u << i;
    return d;
}

void run_recipe_free(run_recipe *r)
{
    json_decref(r->files);
    r->files = NULL;
}

#define _GNU_SOURCE
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

dak_results *run_results_read(const char *path, const dak_params *p, size_t max, char *why,
                              size_t whysz)
{
    ut_map m;
    if (ut_file_read_bounded(path, max ? max : RUN_RESULTS_MAX_DEFAULT, &m) < 0) {
        if (errno == ENOENT)
            snprintf(why, whysz, "missing results file");
        else if (errno == EFBIG)
            snprintf(why, whysz, "results file larger than %zu bytes (--max-results-size)",
                     max ? max : (size_t)RUN_RESULTS_MAX_DEFAULT);
        else if (errno == EINVAL)
            snprintf(why, whysz, "results file is not a regular file");
        else
            snprintf(why, whysz, "cannot read results file: %s", strerror(errno));
        return NULL;
    }
    long bad = ut_text_bad_byte(m.data, m.len, NULL);
    if (bad >= 0) {
        snprintf(why, whysz, "invalid results: byte 0x%02x at offset %ld is not text",
                 (unsigned char)m.data[bad], bad);
        ut_file_unmap(&m);
        return NULL;
    }
    size_t i = 0;
    while (i < m.len && (m.data[i] == ' ' || m.data[i] == '\t' || m.data[i] == '\n' ||
                         m.data[i] == '\r'))
        i++;
    dak_format fmt = (i < m.len && m.data[i] == '{') ? DAK_FMT_JSON : DAK_FMT_STANDARD;
    dak_error err;
    dak_results *r = dak_results_parse(m.data, m.len, fmt, p, path, &err);
    int empty = i == m.len;
    ut_file_unmap(&m);
    if (!r) {
        if (empty)
            snprintf(why, whysz, "empty results file");
        else if (err.line)
            snprintf(why, whysz, "invalid results, line %zu: %s", err.line, err.msg);
        else
            snprintf(why, whysz, "invalid results: %s", err.msg);
        return NULL;
    }
    if (r->failed) {
        dak_results_free(r);
        snprintf(why, whysz, "results say FAIL");
        return NULL;
    }
    return r;
}

char *run_results_render(dak_format fmt, const dak_params *p, const dak_results *r)
{
    dak_buf b = DAK_BUF_INIT;
    if (dak_results_write(&b, r, p, fmt) < 0) {
        dak_buf_free(&b);
        return NULL;
    }
    if (!b.data)
        return calloc(1, 1);
    return b.data; /* the buffer's memory is the string */
}

int run_results_write_stream(const char *path, dak_format fmt, size_t n, int single,
                             const char *(*text)(void *arg, size_t i, int *err), void *arg)
{
    ut_atomic a;
    if (ut_atomic_begin(&a, path) < 0)
        return -1;
    dak_buf out = DAK_BUF_INIT;
    int e = 0;
    if (single && n == 1) {
        const char *t = text(arg, 0, &e);
        if (!e && dak_batchout_single(&out, fmt, t) < 0)
            e = ENOMEM;
    } else {
        for (size_t i = 0; i < n && !e; i++) {
            const char *t = text(arg, i, &e);
            if (!e && dak_batchout_add_text(&out, fmt, i, t) < 0)
                e = ENOMEM;
            /* written as it grows: memory does not grow with the batch */
            if (!e && out.len >= (1u << 20)) {
                if (ut_atomic_write(&a, out.data, out.len) < 0)
                    e = errno;
                dak_buf_reset(&out);
            }
        }
        if (!e && dak_batchout_finish(&out, fmt, n) < 0)
            e = ENOMEM;
    }
    if (!e && out.len && ut_atomic_write(&a, out.data, out.len) < 0)
        e = errno;
    dak_buf_free(&out);
    if (e) {
        ut_atomic_abort(&a);
        errno = e;
        return -1;
    }
    return ut_atomic_commit(&a);
}

static const char *text_of_array(void *arg, size_t i, int *err)
{
    (void)err;
    return ((char *const *)arg)[i];
}

int run_results_write_batch(const char *path, dak_format fmt, char *const *texts, size_t n,
                            int single)
{
    return run_results_write_stream(path, fmt, n, single, text_of_array, (void *)texts);
}

int run_results_prepare(const char *path, char *msg, size_t msgsz)
{
    char dir[PATH_MAX], base[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, ".");
        snprintf(base, sizeof base, "%s", path);
    }
    /* what an interrupted atomic write left: BASE.tmp.XXXXXX */
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(msg, msgsz, "%s: cannot write the batch results file there: %s", dir,
                 strerror(errno));
        return -1;
    }
    size_t bl = strlen(base);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, base, bl) == 0 && strncmp(de->d_name + bl, ".tmp.", 5) == 0 &&
            strlen(de->d_name + bl + 5) == 6)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    /* and that the file can be written there, before anything runs */
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(probe, O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msgsz, "%s: cannot write the batch results file there: %s", dir,
                 strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

char *run_results_filled(dak_format fmt, const dak_params *p, double v)
{
    dak_results *r = dak_results_new(p);
    if (!r)
        return NULL;
    size_t nd = r->ndvv;
    for (size_t i = 0; i < r->nfns; i++)
        r->fn[i] = v;
    for (size_t i = 0; i < r->nfns * nd; i++)
        r->grad[i] = v;
    for (size_t i = 0; i < r->nfns * nd * nd; i++)
        r->hess[i] = v;
    for (size_t i = 0; i < r->nmeta; i++)
        r->meta[i] = v;
    char *text = run_results_render(fmt, p, r);
    dak_results_free(r);
    return text;
}

#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "internal.h"

dak_params *dak_params_load(const char *path, dak_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dak_seterr(err, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    dak_buf b = DAK_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (dak_buf_add(&b, chunk, n) < 0) {
            fclose(f);
            dak_buf_free(&b);
            dak_seterr(err, path, 0, "out of memory");
            return NULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        dak_buf_free(&b);
        dak_seterr(err, path, 0, "read error");
        return NULL;
    }
    const char *data = b.data ? b.data : "";
    dak_params *p = dak_params_parse(data, b.len, dak_format_detect(data, b.len), path, 1, err);
    dak_buf_free(&b);
    return p;
}

int dak_results_save(const char *path, const dak_results *r, const dak_params *p,
                     dak_format fmt, dak_error *err)
{
    dak_buf b = DAK_BUF_INIT;
    if (dak_results_write(&b, r, p, fmt) < 0) {
        dak_buf_free(&b);
        dak_seterr(err, path, 0, "out of memory");
        return -1;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    if (!tmp) {
        dak_buf_free(&b);
        dak_seterr(err, path, 0, "out of memory");
        return -1;
    }
    snprintf(tmp, plen + 8, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = -1;
    if (!f) {
        dak_seterr(err, path, 0, "cannot write: %s", strerror(errno));
    } else if ((b.len && fwrite(b.data, 1, b.len, f) != b.len) | (fclose(f) != 0)) {
        dak_seterr(err, path, 0, "cannot write: %s", strerror(errno));
        remove(tmp);
    } else if (rename(tmp, path) != 0) {
        dak_seterr(err, path, 0, "cannot rename into place: %s", strerror(errno));
        remove(tmp);
    } else {
        rc = 0;
    }
    free(tmp);
    dak_buf_free(&b);
    return rc;
}

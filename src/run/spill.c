#define _GNU_SOURCE
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SPILL_BUF = 1 << 20 };

int run_spill_open(run_spill *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        /* a filesystem without O_TMPFILE: a named file, unlinked at once */
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s/.batchtile-spill.XXXXXX", dir);
        s->fd = mkostemp(tmp, O_CLOEXEC);
        if (s->fd < 0)
            return -1;
        unlink(tmp);
    }
    s->buf = malloc(SPILL_BUF);
    if (!s->buf) {
        close(s->fd);
        errno = ENOMEM;
        return -1;
    }
    s->bcap = SPILL_BUF;
    return 0;
}

static int write_at(int fd, const char *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int flush(run_spill *s)
{
    if (s->blen && write_at(s->fd, s->buf, s->blen, s->flushed) < 0)
        return -1;
    s->flushed += s->blen;
    s->blen = 0;
    return 0;
}

int run_spill_add(run_spill *s, const char *text, size_t len, uint64_t *off)
{
    if (s->blen + len > s->bcap && flush(s) < 0)
        return -1;
    *off = s->flushed + s->blen;
    if (len > s->bcap) {
        if (write_at(s->fd, text, len, s->flushed) < 0)
            return -1;
        s->flushed += len;
        return 0;
    }
    memcpy(s->buf + s->blen, text, len);
    s->blen += len;
    return 0;
}

int run_spill_read(run_spill *s, uint64_t off, size_t len, char *out)
{
    if (off >= s->flushed) {
        memcpy(out, s->buf + (off - s->flushed), len);
    } else {
        size_t got = 0;
        while (got < len) {
            ssize_t r = pread(s->fd, out + got, len - got, (off_t)(off + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -1;
            got += (size_t)r;
        }
    }
    out[len] = '\0';
    return 0;
}

void run_spill_close(run_spill *s)
{
    if (s->buf)
        close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

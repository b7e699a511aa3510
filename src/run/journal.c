#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/file.h"

struct run_journal {
    int fd;
    int dirty;
};

run_journal *run_journal_open(const char *path, char *msg, size_t msgsz)
{
    run_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        snprintf(msg, msgsz, "%s: cannot open the journal: %s", path, strerror(errno));
        free(j);
        return NULL;
    }
    /* a torn last line from a killed run must not glue onto our first record */
    off_t end = lseek(j->fd, 0, SEEK_END);
    if (end > 0) {
        char last;
        if (pread(j->fd, &last, 1, end - 1) == 1 && last != '\n')
            (void)!write(j->fd, "\n", 1);
    }
    return j;
}

int run_journal_append(run_journal *j, const char *json)
{
    size_t n = strlen(json);
    char small[1024], *line = n + 2 <= sizeof small ? small : malloc(n + 2);
    if (!line)
        return -1;
    memcpy(line, json, n);
    line[n] = '\n';
    /* one write: with O_APPEND a record lands whole or (if we die) torn last */
    ssize_t w = write(j->fd, line, n + 1);
    if (line != small)
        free(line);
    if (w != (ssize_t)(n + 1))
        return -1;
    j->dirty = 1;
    return 0;
}

int run_journal_sync(run_journal *j)
{
    if (!j->dirty)
        return 0;
    j->dirty = 0;
    return fdatasync(j->fd);
}

int run_journal_dirty(const run_journal *j)
{
    return j->dirty;
}

int run_journal_close(run_journal *j)
{
    if (!j)
        return 0;
    int rc = run_journal_sync(j);
    if (close(j->fd) < 0)
        rc = -1;
    free(j);
    return rc;
}

long run_journal_read(const char *path, void (*fn)(void *arg, const void *record), void *arg)
{
    ut_map m;
    if (ut_file_map(path, &m) < 0)
        return errno == ENOENT ? 0 : -1;
    long count = 0;
    const char *p = m.data, *end = m.data + m.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break; /* a last line without its newline is torn: not durable */
        json_t *rec = json_loadb(p, (size_t)(nl - p), 0, NULL);
        if (json_is_object(rec)) {
            fn(arg, rec);
            count++;
        }
        json_decref(rec);
        p = nl + 1;
    }
    ut_file_unmap(&m);
    return count;
}

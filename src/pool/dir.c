/* The pool's directory: checks, paths, whole-file JSON, the log, liveness. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dir.h"
#include "util/clock.h"
#include "util/file.h"

double pool_period(void)
{
    const char *v = getenv("BATCHTILE_POOL_PERIOD");
    double p = v ? strtod(v, NULL) : 0;
    return p >= 0.05 && p <= 600 ? p : 1.0;
}

static const char *const subdirs[] = {"requests", "replies", "batches", "bad", NULL};

static int check_one(const char *path, int create, char *msg, size_t msgsz, int *status)
{
    struct stat st;
    if (lstat(path, &st) < 0 && errno == ENOENT && create) {
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            snprintf(msg, msgsz, "%s: cannot create the pool's directory: %s", path,
                     strerror(errno));
            *status = 3;
            return -1;
        }
    }
    if (lstat(path, &st) < 0) {
        snprintf(msg, msgsz, "%s: %s%s", path, strerror(errno),
                 errno == ENOENT ? " (no pool here: 'batchtile pool start' or 'pool serve' "
                                   "makes it)" : "");
        *status = errno == ENOENT ? 1 : 3;
        return -1;
    }
    *status = 1;
    if (!S_ISDIR(st.st_mode)) {
        snprintf(msg, msgsz, "%s: not a directory (a symbolic link or a file is refused)", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(msg, msgsz, "%s: owned by uid %u, not by us (uid %u): the pool's directory "
                 "must be ours alone", path, (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(msg, msgsz, "%s: mode %04o is writable by %s: the pool's directory must be "
                 "ours alone (chmod go-w, e.g. 0700)", path, (unsigned)(st.st_mode & 07777),
                 (st.st_mode & S_IWOTH) ? "others" : "the group");
        return -1;
    }
    return 0;
}

int pool_dir_check(const char *dir, int create, char *msg, size_t msgsz, int *status)
{
    if (create && ut_mkdirs(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(msg, msgsz, "%s: cannot create the pool's directory: %s", dir, strerror(errno));
        *status = 3;
        return -1;
    }
    if (check_one(dir, 0, msg, msgsz, status) < 0)
        return -1;
    for (int i = 0; subdirs[i]; i++) {
        char p[4096];
        if (pool_path(p, sizeof p, dir, subdirs[i], NULL) < 0) {
            snprintf(msg, msgsz, "%s: path too long", dir);
            *status = 1;
            return -1;
        }
        if (check_one(p, 1, msg, msgsz, status) < 0)
            return -1;
    }
    return 0;
}

int pool_path(char *out, size_t outsz, const char *dir, const char *sub, const char *name)
{
    int n;
    if (sub && name)
        n = snprintf(out, outsz, "%s/%s/%s", dir, sub, name);
    else if (sub)
        n = snprintf(out, outsz, "%s/%s", dir, sub);
    else
        n = snprintf(out, outsz, "%s/%s", dir, name ? name : "");
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int pool_json_write(const char *path, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    size_t len = strlen(s);
    char *line = malloc(len + 2);
    if (!line) {
        free(s);
        errno = ENOMEM;
        return -1;
    }
    memcpy(line, s, len);
    line[len] = '\n';
    free(s);
    int r = ut_write_atomic(path, line, len + 1);
    int e = errno;
    free(line);
    errno = e;
    return r;
}

json_t *pool_json_read(const char *path, char *why, size_t whysz)
{
    ut_map m;
    if (ut_file_read_bounded(path, 1 << 20, &m) < 0) {
        int e = errno;
        snprintf(why, whysz, "%s", e == ENOENT ? "missing" : strerror(e));
        errno = e;
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(m.data, m.len, 0, &err);
    ut_file_unmap(&m);
    if (!j) {
        snprintf(why, whysz, "line %d: %s", err.line, err.text);
        errno = EINVAL;
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(why, whysz, "line 1: expected a JSON object");
        errno = EINVAL;
        return NULL;
    }
    return j;
}

double pool_now(void)
{
    return ut_clock_mono();
}

double pool_wall(void)
{
    return ut_clock_wall();
}

void pool_hostname(char *out, size_t outsz)
{
    if (gethostname(out, outsz) < 0 || !out[0])
        snprintf(out, outsz, "localhost");
    out[outsz - 1] = '\0';
}

void pool_log(const char *dir, int echo, const char *fmt, ...)
{
    char msg[2048], host[256], stamp[64], path[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pool_hostname(host, sizeof host);
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (echo)
        fprintf(stderr, "batchtile pool: %s\n", msg);
    if (pool_path(path, sizeof path, dir, NULL, "pool.log") < 0)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    dprintf(fd, "%s %s[%ld]: %s\n", stamp, host, (long)getpid(), msg);
    close(fd);
}

int pool_watch_feed(pool_watch *w, long long seq, double now)
{
    if (!w->seen || seq != w->seq) {
        w->changed = now;
        w->seen = 1;
        w->seq = seq;
    }
    return seq >= 0 && now - w->changed < POOL_DEAD_PERIODS * pool_period();
}

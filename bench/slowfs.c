/* slowfs: a slow shared filesystem for the benchmarks, as an LD_PRELOAD
 * library. Every mkdir/mkdirat, open/openat (and their 64-bit names) and
 * fsync/fdatasync of the process and of its children sleeps first, as long
 * as SLOWFS says, then does what it was asked:
 *
 *   SLOWFS="mkdir=2000,open=2000,fdatasync=20000" SLOWFS_ROOT=/scratch/run \
 *       LD_PRELOAD=libslowfs.so cmd...
 *
 * (microseconds; "open" covers open and openat, "mkdir" mkdir and mkdirat,
 * "fdatasync" fdatasync and fsync). With SLOWFS_ROOT, only what lies under
 * that directory is slow (the shared filesystem; /proc, /usr and the like
 * stay local), judged by the path, the directory descriptor's or the
 * working directory's. Calls glibc makes internally (posix_spawn's
 * file actions, fopen) are not delayed: the same for every driver compared.
 * The same measurement as strace -f -e inject=SYSCALL:delay_enter=US, without
 * the cost of stopping every process at every fork and exec under ptrace. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long delay_of(const char *what)
{
    const char *s = getenv("SLOWFS");
    size_t n = strlen(what);
    for (const char *p = s; p && *p;) {
        if (strncmp(p, what, n) == 0 && p[n] == '=')
            return atol(p + n + 1);
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return 0;
}

/* Is this path (relative to dfd) on the slow filesystem? */
static int slow_path(int dfd, const char *path)
{
    const char *root = getenv("SLOWFS_ROOT");
    if (!root || !*root)
        return 1;
    char base[4096];
    if (path && path[0] == '/') {
        snprintf(base, sizeof base, "%s", path);
    } else if (dfd == AT_FDCWD) {
        if (!getcwd(base, sizeof base))
            return 0;
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dfd);
        ssize_t n = readlink(link, base, sizeof base - 1);
        if (n < 0)
            return 0;
        base[n] = '\0';
    }
    return strncmp(base, root, strlen(root)) == 0;
}

static void wait_for_at(const char *what, int dfd, const char *path)
{
    long us = delay_of(what);
    if (us <= 0 || !slow_path(dfd, path))
        return;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}



typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*mkdir_fn)(const char *, mode_t);
typedef int (*mkdirat_fn)(int, const char *, mode_t);
typedef int (*sync_fn)(int);

/* the next definition of name (libc's), looked up once */
#define REAL(name, type)                                                                           \
    static type real_##name;                                                                       \
    if (!real_##name)                                                                              \
    real_##name = (type)dlsym(RTLD_NEXT, #name)

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* open, open64 (relative to the working directory) and openat, openat64 */
#define SLOW_OPEN(name)                                                                            \
    int name(const char *path, int flags, ...)                                                     \
    {                                                                                              \
        REAL(name, open_fn);                                                                       \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t m = mode_arg(flags, ap);                                                            \
        va_end(ap);                                                                                \
        wait_for_at("open", AT_FDCWD, path);                                                       \
        return real_##name(path, flags, m);                                                        \
    }
#define SLOW_OPENAT(name)                                                                          \
    int name(int dfd, const char *path, int flags, ...)                                            \
    {                                                                                              \
        REAL(name, openat_fn);                                                                     \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t m = mode_arg(flags, ap);                                                            \
        va_end(ap);                                                                                \
        wait_for_at("open", dfd, path);                                                            \
        return real_##name(dfd, path, flags, m);                                                   \
    }
SLOW_OPEN(open)
SLOW_OPEN(open64)
SLOW_OPENAT(openat)
SLOW_OPENAT(openat64)

int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir, mkdir_fn);
    wait_for_at("mkdir", AT_FDCWD, path);
    return real_mkdir(path, mode);
}

int mkdirat(int dfd, const char *path, mode_t mode)
{
    REAL(mkdirat, mkdirat_fn);
    wait_for_at("mkdir", dfd, path);
    return real_mkdirat(dfd, path, mode);
}

int fdatasync(int fd)
{
    REAL(fdatasync, sync_fn);
    wait_for_at("fdatasync", fd, "");
    return real_fdatasync(fd);
}

int fsync(int fd)
{
    REAL(fsync, sync_fn);
    wait_for_at("fdatasync", fd, "");
    return real_fsync(fd);
}

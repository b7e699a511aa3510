#define _GNU_SOURCE
#define _XOPEN_SOURCE 700
#include "file.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read fd to its end into m (NUL-terminated), at most max bytes (EFBIG
 * beyond), starting with room for hint; fd is closed. 0, or -1 with errno. */
static int read_fd(int fd, size_t hint, size_t max, ut_map *m)
{
    size_t cap = hint > 0 ? hint : 1, len = 0;
    char *buf = malloc(cap + 1);
    int e = 0;
    if (!buf) {
        e = ENOMEM;
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                e = EFBIG;
                goto fail;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                e = ENOMEM;
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        e = EFBIG;
        goto fail;
    }
    close(fd);
    buf[len] = '\0';
    m->data = buf;
    m->len = len;
    return 0;
fail:
    free(buf);
    close(fd);
    errno = e;
    return -1;
}

/* The mapped files' guard. A mapped file truncated underneath raises
 * SIGBUS on the next touch of a page past its new end: the handler puts
 * zeroed anonymous pages in place of the rest of that mapping (the read
 * then sees NULs, which no caller trusts: they compare what they read with
 * what they hashed) and counts the fault; a SIGBUS elsewhere is the
 * previous handler's, or kills as it would have. */
enum { GUARD_SLOTS = 16 };
static struct guard_slot {
    _Atomic uintptr_t base, end; /* 0: free */
    atomic_int faults;
} guard[GUARD_SLOTS];
static struct sigaction guard_prev;
static atomic_int guard_installed;

static void guard_on_sigbus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        uintptr_t b = atomic_load(&guard[i].base), e = atomic_load(&guard[i].end);
        if (b && a >= b && a < e) {
            uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), from = a / page * page;
            if (mmap((void *)from, e - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                     -1, 0) == MAP_FAILED)
                break;
            atomic_fetch_add(&guard[i].faults, 1);
            return; /* the read is retried, on zeros */
        }
    }
    /* not ours: as before we were installed (the fault recurs on return) */
    if (guard_prev.sa_flags & SA_SIGINFO) {
        guard_prev.sa_sigaction(sig, si, uc);
        return;
    }
    if (guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
        guard_prev.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);
}

static void guard_add(const void *p, size_t len)
{
    if (!atomic_exchange(&guard_installed, 1)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = guard_on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, &guard_prev);
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < GUARD_SLOTS; i++) {
        uintptr_t zero = 0;
        if (atomic_compare_exchange_strong(&guard[i].base, &zero, (uintptr_t)1)) {
            atomic_store(&guard[i].faults, 0);
            atomic_store(&guard[i].end, (uintptr_t)p + (len + page - 1) / page * page);
            atomic_store(&guard[i].base, (uintptr_t)p);
            return;
        }
    }
}

static struct guard_slot *guard_find(const void *p)
{
    for (int i = 0; i < GUARD_SLOTS; i++)
        if (atomic_load(&guard[i].base) == (uintptr_t)p)
            return &guard[i];
    return NULL;
}

int ut_map_faulted(const ut_map *m)
{
    const struct guard_slot *g = m->mapped ? guard_find(m->data) : NULL;
    return g && atomic_load(&g->faults) > 0;
}

int ut_file_map(const char *path, ut_map *m)
{
    m->data = NULL;
    m->len = 0;
    m->mapped = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 65536 &&
        (st.st_size % sysconf(_SC_PAGESIZE)) != 0) {
        /* mapping a file whose size is not a page multiple leaves a zeroed
         * tail: the data are NUL-terminated for free */
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            m->data = p;
            m->len = (size_t)st.st_size;
            m->mapped = 1;
            guard_add(p, m->len);
            return 0;
        }
    }
    /* small files (results, journals of small runs) are cheaper to read */
    size_t hint = (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                      ? (size_t)st.st_size + 1
                      : 65536;
    return read_fd(fd, hint, (size_t)-1 / 2, m);
}

void ut_file_unmap(ut_map *m)
{
    if (m->mapped) {
        struct guard_slot *g = guard_find(m->data);
        if (g) {
            atomic_store(&g->end, 0);
            atomic_store(&g->base, 0);
        }
        munmap(m->data, m->len);
    }
    else
        free(m->data);
    m->data = NULL;
    m->len = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ut_open_nofollow(int dirfd, const char *name, int flags, mode_t mode)
{
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == ELOOP && (flags & O_CREAT)) {
        /* a link where we write: replace the link, never its target */
        if (unlinkat(dirfd, name, 0) < 0)
            return -1;
        fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    return fd;
}

int ut_write_file(const char *path, const void *data, size_t len)
{
    return ut_write_file_at(AT_FDCWD, path, data, len);
}

int ut_write_file_at(int dirfd, const char *name, const void *data, size_t len)
{
    int fd = ut_open_nofollow(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

int ut_atomic_begin(ut_atomic *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    size_t plen = strlen(path);
    a->path = strdup(path);
    a->tmp = malloc(plen + 16);
    if (!a->path || !a->tmp) {
        ut_atomic_abort(a);
        errno = ENOMEM;
        return -1;
    }
    /* the temporary name sits in the same directory, so rename is atomic */
    snprintf(a->tmp, plen + 16, "%s.tmp.XXXXXX", path);
    a->fd = mkostemp(a->tmp, O_CLOEXEC);
    if (a->fd < 0 || fchmod(a->fd, 0644) < 0) {
        int e = errno;
        ut_atomic_abort(a);
        errno = e;
        return -1;
    }
    return 0;
}

int ut_atomic_write(ut_atomic *a, const void *data, size_t len)
{
    return write_all(a->fd, data, len);
}

int ut_atomic_commit(ut_atomic *a)
{
    int e = 0;
    if (fsync(a->fd) < 0)
        e = errno;
    if (close(a->fd) < 0 && !e)
        e = errno;
    a->fd = -1;
    if (!e && rename(a->tmp, a->path) < 0)
        e = errno;
    if (e) {
        ut_atomic_abort(a);
        errno = e;
        return -1;
    }
    int dfd = open(dirname(a->path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    return 0;
}

void ut_atomic_abort(ut_atomic *a)
{
    if (a->fd >= 0) {
        close(a->fd);
        unlink(a->tmp);
    }
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    a->fd = -1;
}

int ut_write_atomic(const char *path, const void *data, size_t len)
{
    ut_atomic a;
    if (ut_atomic_begin(&a, path) < 0)
        return -1;
    if (ut_atomic_write(&a, data, len) < 0) {
        int e = errno;
        ut_atomic_abort(&a);
        errno = e;
        return -1;
    }
    return ut_atomic_commit(&a);
}

int ut_fs_full(const char *path)
{
    struct statvfs sv;
    return statvfs(path, &sv) == 0 && sv.f_blocks > 0 &&
           (sv.f_bavail == 0 || (sv.f_favail == 0 && sv.f_files > 0));
}

void ut_map_release(ut_map *m, size_t upto)
{
    if (!m->mapped || !m->data)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t n = (upto > m->len ? m->len : upto) / page * page;
    if (n)
        (void)madvise((void *)m->data, n, MADV_DONTNEED);
}

int ut_copy_tree(const char *src, const char *dst)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return -1;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0)
            return -1;
        target[n] = '\0';
        return symlink(target, dst);
    }
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, st.st_mode & 07777) < 0)
            return -1;
        DIR *d = opendir(src);
        if (!d)
            return -1;
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char s[PATH_MAX], t[PATH_MAX];
            if (ut_path_join(s, sizeof s, src, e->d_name) < 0 ||
                ut_path_join(t, sizeof t, dst, e->d_name) < 0) {
                errno = ENAMETOOLONG;
                rc = -1;
            } else {
                rc = ut_copy_tree(s, t);
            }
        }
        int e2 = errno;
        closedir(d);
        errno = e2;
        return rc;
    }
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write_all(out, buf, (size_t)n) < 0) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    int e = errno;
    close(in);
    if (close(out) < 0)
        rc = -1;
    errno = e;
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int ut_remove_tree(const char *path)
{
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int ut_mkdirs(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    char *copy = strdup(path);
    if (!copy)
        return -1;
    char *slash = strrchr(copy, '/');
    while (slash && slash > copy && slash[-1] == '/')
        slash--;
    int rc = -1;
    if (slash && slash != copy) {
        *slash = '\0';
        if (ut_mkdirs(copy, mode) == 0)
            rc = (mkdir(path, mode) == 0 || errno == EEXIST) ? 0 : -1;
    }
    free(copy);
    return rc;
}

int ut_path_join(char *out, size_t outsz, const char *dir, const char *name)
{
    int n = (name[0] == '/' || !dir[0]) ? snprintf(out, outsz, "%s", name)
                                        : snprintf(out, outsz, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

int ut_file_last_line(const char *path, char *out, size_t outsz, size_t maxchars)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    char buf[4096];
    ssize_t n = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t from = st.st_size > (off_t)sizeof buf ? st.st_size - (off_t)sizeof buf : 0;
        n = pread(fd, buf, sizeof buf, from);
    }
    close(fd);
    if (n <= 0)
        return 0;
    /* the last line with something printable on it */
    ssize_t end = n;
    for (;;) {
        while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' || buf[end - 1] == ' ' ||
                           buf[end - 1] == '\t'))
            end--;
        if (end == 0)
            return 0;
        ssize_t start = end;
        while (start > 0 && buf[start - 1] != '\n')
            start--;
        size_t w = 0, len = (size_t)(end - start);
        int cut = len > maxchars;
        if (cut)
            len = maxchars;
        for (size_t i = 0; i < len && w + 4 < outsz; i++) {
            unsigned char ch = (unsigned char)buf[start + (ssize_t)i];
            out[w++] = ch >= 0x20 && ch != 0x7f ? (char)ch : ch == '\t' ? ' ' : '?';
        }
        if (cut && w + 4 < outsz) {
            memcpy(out + w, "...", 3);
            w += 3;
        }
        out[w] = '\0';
        if (w > 0)
            return 1;
        end = start;
    }
}

int ut_file_read_bounded(const char *path, size_t max, ut_map *m)
{
    m->data = NULL;
    m->len = 0;
    m->mapped = 0;
    /* never mapped: a file another process truncates under us must not
     * raise SIGBUS; never a FIFO or device that would block */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    int e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL
                                      : (unsigned long long)st.st_size > max ? EFBIG : 0;
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    /* it may grow while we read: at most max bytes, one more to tell */
    return read_fd(fd, (size_t)st.st_size + 1, max, m);
}

long ut_read_small_at(int dirfd, const char *name, char *buf, size_t bufsz)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, bufsz - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return (long)n;
}

long ut_text_bad_byte(const char *s, size_t n, size_t *line)
{
    size_t ln = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            ln++;
        else if ((c < 0x20 && c != '\t' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f) {
            if (line)
                *line = ln;
            return (long)i;
        }
    }
    return -1;
}

#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "record/frame.h"
#include "record/record.h"
#include "util/file.h"
#include "util/log.h"
#include "util/thread.h"

struct run_journal {
    int fd;
    off_t size; /* what the file holds: every record whole */
    /* durability: a thread of its own syncs what the loop appended, one
     * fdatasync for every record written since the last (group commit) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, synced;
    pthread_cond_t urgent; /* ends the pause between two syncs: a caller waits */
    int waiting;           /* callers of run_journal_sync waiting */
    uint64_t appended; /* records written */
    uint64_t durable;  /* records a completed fdatasync covers */
    uint64_t syncs;    /* fdatasync calls */
    int stop;
    int err;           /* errno of a failed fdatasync; what followed it is not durable */
};

/* the pause between two syncs (see sync_thread) */
#define JOURNAL_PAUSE_NS (5 * 1000 * 1000L)

static void *sync_thread(void *arg)
{
    run_journal *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->stop && j->appended == j->durable)
            pthread_cond_wait(&j->more, &j->mu);
        if (j->appended == j->durable)
            break; /* stopping, and everything is durable */
        uint64_t target = j->appended;
        pthread_mutex_unlock(&j->mu);
        int r = fdatasync(j->fd);
        int e = errno;
        pthread_mutex_lock(&j->mu);
        j->syncs++;
        if (r < 0) {
            if (!j->err)
                j->err = e;
            pthread_cond_broadcast(&j->synced);
            break; /* nothing written after a failed sync counts as durable */
        }
        j->durable = target;
        pthread_cond_broadcast(&j->synced);
        /* a pause before the next sync gathers what is appended meanwhile:
         * the loop's appends find no waiter to wake (one wake-up per pause,
         * not one per record; a record waits at most this long plus a sync
         * to be durable), and a caller of run_journal_sync ends it */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += JOURNAL_PAUSE_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!j->stop && !j->waiting &&
               pthread_cond_timedwait(&j->urgent, &j->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- writing ------------------------------------------------------------ */

/* The pid of the last run record in path, or 0. */
static void last_run_pid(void *arg, const rec_run *r)
{
    if (r->pid)
        *(long *)arg = r->pid;
}

/* Cut a torn or garbled tail back to the end of the last whole record. */
static int cut_torn_tail(int fd, off_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    off_t end = st.st_size;
    while (end > 0) {
        /* the last line: from after the previous newline to end */
        size_t chunk = end > (off_t)(1 << 20) ? (size_t)1 << 20 : (size_t)end;
        char *buf = malloc(chunk);
        if (!buf)
            return -1;
        ssize_t n = pread(fd, buf, chunk, end - (off_t)chunk);
        if (n != (ssize_t)chunk) {
            free(buf);
            return -1;
        }
        size_t stop = chunk;
        int whole = buf[chunk - 1] == '\n';
        if (whole)
            stop--;
        size_t start = stop;
        while (start > 0 && buf[start - 1] != '\n')
            start--;
        int good = whole && (start > 0 || (off_t)chunk == end) && rec_frame_ok(buf + start, stop - start);
        free(buf);
        if (good)
            break;
        if (start == 0 && (off_t)chunk != end)
            break; /* a line longer than the chunk: leave it to the reader */
        end -= (off_t)(chunk - start);
    }
    if (end != st.st_size && ftruncate(fd, end) < 0)
        return -1;
    *size = end;
    return 0;
}

/* The pid that took the flock on fd's file (/proc/locks keeps it, the
 * lock's first owner, even when only a child that inherited the open file
 * still holds it); 0 when that process is gone (the kernel shows 0 then),
 * -1 when the lock is not found there. */
static long lock_owner(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return 0;
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return 0;
    char line[512];
    long owner = -1;
    while (owner < 0 && fgets(line, sizeof line, f)) {
        char type[16];
        long pid;
        unsigned maj, min;
        unsigned long ino;
        if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%lu", type, &pid, &maj, &min, &ino) == 5 &&
            strcmp(type, "FLOCK") == 0 && ino == (unsigned long)st.st_ino &&
            maj == major(st.st_dev) && min == minor(st.st_dev))
            owner = pid > 0 ? pid : 0;
    }
    fclose(f);
    return owner;
}

/* Whether pid runs (a zombie, killed and not yet reaped, does not). */
static int pid_alive(long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return kill((pid_t)pid, 0) == 0 || errno == EPERM;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

/* The journal's lock, taken; or, where the run that took it has died and
 * only what it left (its watchdog killing its evaluations) holds it still,
 * taken once that cleanup is over: waited for up to 60 s, said once. 0, or
 * -1 with errno (EWOULDBLOCK: a live run holds it; *holder its pid). */
static int lock_journal(int fd, const char *path, FILE *log, long *holder)
{
    *holder = 0;
    int said = 0;
    for (int i = 0;; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (said)
                ut_log(log, "the earlier run's cleanup is over");
            return 0;
        }
        if (errno != EWOULDBLOCK)
            return -1;
        long pid = lock_owner(fd);
        if (pid < 0) /* no /proc/locks: the pid the journal names */
            rec_read(path, &(rec_reader){.run = last_run_pid}, &pid);
        *holder = pid;
        if (pid < 0 || (pid > 0 && pid_alive(pid)) || i >= 60 * 20) {
            errno = EWOULDBLOCK;
            return -1;
        }
        if (!said) {
            char who[48] = "";
            if (pid > 0)
                snprintf(who, sizeof who, " (pid %ld)", pid);
            ut_log(log, "%s: the run that held it%s has died and its evaluations are being killed; "
                   "waiting for that cleanup (at most 60 s)", path, who);
            said = 1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

run_journal *run_journal_open(const char *path, FILE *log, char *msg, size_t msgsz)
{
    run_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (j->fd < 0) {
        snprintf(msg, msgsz, "%s: cannot open the journal: %s", path, strerror(errno));
        free(j);
        return NULL;
    }
    /* one run per journal: the lock goes with the open file, held until exit */
    long pid = 0;
    if (lock_journal(j->fd, path, log, &pid) < 0) {
        int e = errno;
        if (e == EWOULDBLOCK && pid <= 0)
            rec_read(path, &(rec_reader){.run = last_run_pid}, &pid);
        if (e == EWOULDBLOCK && pid > 0)
            snprintf(msg, msgsz, "another batchtile (pid %ld) is running in this directory: "
                                 "%s is in use; nothing was done", pid, path);
        else if (e == EWOULDBLOCK)
            snprintf(msg, msgsz, "another batchtile is running in this directory: %s is in "
                                 "use; nothing was done", path);
        else
            snprintf(msg, msgsz, "%s: cannot lock the journal: %s", path, strerror(e));
        close(j->fd);
        free(j);
        errno = e;
        return NULL;
    }
    if (cut_torn_tail(j->fd, &j->size) < 0) {
        snprintf(msg, msgsz, "%s: cannot read back the journal: %s", path, strerror(errno));
        close(j->fd);
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->more, NULL);
    pthread_cond_init(&j->synced, NULL);
    pthread_condattr_t mono; /* the pause is not stretched by a change of the wall clock */
    pthread_condattr_init(&mono);
    pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
    pthread_cond_init(&j->urgent, &mono);
    pthread_condattr_destroy(&mono);
    int e = ut_thread_start(&j->thread, sync_thread, j);
    if (e != 0) {
        snprintf(msg, msgsz, "%s: cannot start the journal's sync thread: %s", path, strerror(e));
        close(j->fd);
        free(j);
        return NULL;
    }
    return j;
}

int run_journal_append(run_journal *j, const char *json)
{
    size_t n = strlen(json);
    char frame[64];
    int fl = rec_frame_trailer(json, n, frame, sizeof frame);
    if (fl < 0) {
        errno = EINVAL;
        return -1;
    }
    size_t body = n - 1; /* the trailer replaces the closing brace */
    size_t total = body + (size_t)fl;
    char small[2048], *line = total <= sizeof small ? small : malloc(total);
    if (!line)
        return -1;
    memcpy(line, json, body);
    memcpy(line + body, frame, (size_t)fl);
    /* one write: with O_APPEND and the lock a record lands whole, or is cut
     * back so that the next one does not glue onto a torn one */
    size_t done = 0;
    int e = 0;
    while (done < total) {
        ssize_t w = write(j->fd, line + done, total - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (line != small)
        free(line);
    if (done < total) {
        if (done > 0)
            (void)!ftruncate(j->fd, j->size);
        errno = e;
        return -1;
    }
    j->size += (off_t)total;
    pthread_mutex_lock(&j->mu);
    j->appended++;
    pthread_cond_signal(&j->more);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

int run_journal_sync(run_journal *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t target = j->appended;
    pthread_cond_signal(&j->more);
    j->waiting++;
    pthread_cond_signal(&j->urgent);
    while (j->durable < target && !j->err)
        pthread_cond_wait(&j->synced, &j->mu);
    j->waiting--;
    int e = j->err;
    pthread_mutex_unlock(&j->mu);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

int run_journal_error(run_journal *j)
{
    pthread_mutex_lock(&j->mu);
    int e = j->err;
    pthread_mutex_unlock(&j->mu);
    return e;
}

void run_journal_stats(run_journal *j, unsigned long long *appended, unsigned long long *durable,
                       unsigned long long *syncs)
{
    pthread_mutex_lock(&j->mu);
    *appended = j->appended;
    *durable = j->durable;
    *syncs = j->syncs;
    pthread_mutex_unlock(&j->mu);
}

int run_journal_close(run_journal *j)
{
    if (!j)
        return 0;
    int rc = run_journal_sync(j);
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_signal(&j->more);
    pthread_cond_signal(&j->urgent);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->more);
    pthread_cond_destroy(&j->synced);
    pthread_cond_destroy(&j->urgent);
    if (close(j->fd) < 0)
        rc = -1;
    free(j);
    return rc;
}

#define _GNU_SOURCE
#include "tree.h"

#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/file.h"

/* Does process pid's environment hold the string want ("NAME=value")? */
static int environ_has(pid_t pid, const char *want, const char *also)
{
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    ssize_t n = 0;
    /* a process in the middle of an exec shows no environment for a moment */
    for (int tries = 0; tries < 5 && n <= 0; tries++) {
        if (tries) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    int a = 0, b = also == NULL;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        a |= strcmp(p, want) == 0;
        b |= also && strcmp(p, also) == 0;
    }
    return a && b;
}

static void kill_proc(pid_t pid, int sig)
{
    pid_t g = getpgid(pid);
    if (g > 1 && g != getpgrp())
        kill(-g, sig);
    kill(pid, sig);
}

int launch_tree_kill_run(const char *token)
{
    char want[128];
    snprintf(want, sizeof want, "BATCHTILE_RUN=%s", token);
    int total = launch_cg_kill_run(token);
    for (int round = 0; round < 20; round++) {
        DIR *d = opendir("/proc");
        if (!d)
            return total;
        int found = 0;
        struct dirent *e;
        pid_t self = getpid();
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 1 || pid == self)
                continue;
            if (environ_has((pid_t)pid, want, NULL)) {
                kill_proc((pid_t)pid, SIGKILL);
                found++;
            }
        }
        closedir(d);
        total += found;
        if (!found && round > 0)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL); /* they may have forked meanwhile */
    }
    return total;
}

int launch_tree_init(launch_tree *t, char *out, size_t outsz)
{
    t->watchdog = -1;
    t->watchdog_fd = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, outsz, "%d.%lld%09ld", (int)getpid(), (long long)ts.tv_sec, ts.tv_nsec);
    setenv("BATCHTILE_RUN", out, 1);
    launch_cg_init(&t->cg, out); /* where it cannot, the sub-reaper sweep remains */
    /* the watchdog: waits for our end (its pipe closes however we die),
     * then kills what still carries our token; in its own session, so
     * that a kill of our process group does not take it along */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[1]);
        setsid();
        sigset_t all;
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigprocmask(SIG_SETMASK, &all, NULL);
        unsetenv("BATCHTILE_RUN");
        char c;
        ssize_t n;
        while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR)
            ;
        if (n == 0) /* the driver died without saying goodbye */
            launch_tree_kill_run(out);
        _exit(0);
    }
    close(fds[0]);
    t->watchdog = pid;
    t->watchdog_fd = fds[1];
    return 0;
}

void launch_tree_free(launch_tree *t)
{
    launch_tree_sweep(t);
    launch_cg_free(&t->cg);
    if (t->watchdog_fd >= 0) {
        (void)!write(t->watchdog_fd, "q", 1);
        close(t->watchdog_fd);
        t->watchdog_fd = -1;
    }
    if (t->watchdog > 0) {
        while (waitpid(t->watchdog, NULL, 0) < 0 && errno == EINTR)
            ;
        t->watchdog = -1;
    }
}

/* Append pid to *v (n used of *cap, doubled when full). 0, or -1 on memory. */
static int push_pid(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
    if (*n == *cap) {
        pid_t *nv = realloc(*v, *cap * 2 * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap *= 2;
    }
    (*v)[(*n)++] = pid;
    return 0;
}

/* Append the pids listed in a /proc/<pid>/task/<tid>/children file to *v.
 * 0, or -1 when the kernel has no such file. */
static int read_children(const char *path, pid_t **v, size_t *n, size_t *cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096], part[16];
    size_t plen = 0;
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < k; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                if (plen < sizeof part - 1)
                    part[plen++] = buf[i];
                continue;
            }
            if (plen) {
                part[plen] = '\0';
                plen = 0;
                if (push_pid(v, n, cap, (pid_t)atol(part)) < 0)
                    goto out;
            }
        }
    }
    if (plen) {
        part[plen] = '\0';
        push_pid(v, n, cap, (pid_t)atol(part));
    }
out:
    close(fd);
    return 0;
}

/* The children of process pid: /proc/<pid>/task/<tid>/children of each of
 * its threads (leader_only: of its thread-group leader alone, where
 * orphans are handed), where the kernel has it; else
 * a scan of /proc for that parentage. n set; malloc'd (NULL on memory). */
static pid_t *children_of(pid_t pid, int leader_only, size_t *n)
{
    *n = 0;
    size_t cap = 64;
    pid_t *v = malloc(cap * sizeof *v);
    if (!v)
        return NULL;
    char path[64];
    struct dirent *e;
    int have = 0;
    if (leader_only) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        have = read_children(path, &v, n, &cap) == 0;
    } else {
        snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
        DIR *t = opendir(path);
        while (t && (e = readdir(t))) {
            if (e->d_name[0] == '.')
                continue;
            char cp[320];
            snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", (int)pid, e->d_name);
            if (read_children(cp, &v, n, &cap) == 0)
                have = 1;
        }
        if (t)
            closedir(t);
    }
    if (have)
        return v;
    DIR *d = opendir("/proc");
    while (d && (e = readdir(d))) {
        char *end, stat[64], buf[512];
        long q = strtol(e->d_name, &end, 10);
        if (*end || q <= 1)
            continue;
        snprintf(stat, sizeof stat, "/proc/%ld/stat", q);
        int fd = open(stat, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t k = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k <= 0)
            continue;
        buf[k] = '\0';
        char *rp = strrchr(buf, ')');
        long ppid;
        if (rp && sscanf(rp + 1, " %*c %ld", &ppid) == 1 && ppid == pid) {
            if (push_pid(&v, n, &cap, (pid_t)q) < 0)
                break;
        }
    }
    if (d)
        closedir(d);
    return v;
}

/* Send sig to pid, its process group and, for SIGKILL, every descendant:
 * each is stopped first, so that none forks while its tree is walked;
 * a descendant with no trace of the run in its environment goes too. */
static void kill_tree(pid_t pid, int sig, int depth)
{
    if (sig != SIGKILL || depth > 64) {
        kill_proc(pid, sig);
        return;
    }
    kill(pid, SIGSTOP);
    size_t n;
    pid_t *kids = children_of(pid, 0, &n);
    for (size_t i = 0; kids && i < n; i++)
        kill_tree(kids[i], sig, depth + 1);
    free(kids);
    kill_proc(pid, SIGKILL);
}

/* Has pid ended (gone, or a zombie)? */
static int ended(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (ut_read_small_at(AT_FDCWD, path, buf, sizeof buf) < 0)
        return 1;
    char *rp = strrchr(buf, ')');
    return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
}

/* Reap the zombies among our children in v (not the watchdog). */
static void reap_listed(pid_t watchdog, const pid_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != watchdog)
            waitpid(v[i], NULL, WNOHANG);
}

int launch_tree_kill_eval(const launch_tree *t, long eval, int sig, const pid_t *skip,
                          size_t nskip)
{
    pid_t watchdog = t ? t->watchdog : -1;
    char want[64];
    snprintf(want, sizeof want, "BATCHTILE_EVAL=%ld", eval);
    const char *run = getenv("BATCHTILE_RUN");
    char also[128];
    if (run)
        snprintf(also, sizeof also, "BATCHTILE_RUN=%s", run);
    int total = 0;
    /* a daemon whose parent we kill is ours next (we are the sub-reaper):
     * again until a round finds none */
    for (int round = 0; round < 50; round++) {
        size_t n;
        /* an orphan is handed to a live thread of the sub-reaper, the
         * first in its thread list: the leader (kernel/exit.c,
         * find_new_reaper); the helper threads' children are not orphans */
        pid_t *kids = children_of(getpid(), 1, &n);
        if (!kids)
            return total;
        /* nothing but the evaluations we track (and the watchdog): no orphan */
        if (n <= nskip + (watchdog > 0)) {
            free(kids);
            return total;
        }
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            int tracked = kids[i] == watchdog;
            for (size_t k = 0; !tracked && k < nskip; k++)
                tracked = kids[i] == skip[k];
            if (tracked || !environ_has(kids[i], want, run ? also : NULL))
                continue;
            kill_tree(kids[i], sig, 0);
            found++;
        }
        free(kids);
        total += found;
        if (!found || sig != SIGKILL)
            break;
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL); /* the killed ones' orphans come to us */
    }
    return total;
}

int launch_tree_sweep(const launch_tree *t)
{
    pid_t watchdog = t ? t->watchdog : -1;
    int total = 0;
    for (int round = 0; round < 200; round++) {
        size_t n;
        pid_t *kids = children_of(getpid(), 0, &n);
        if (!kids)
            return total;
        reap_listed(watchdog, kids, n);
        free(kids);
        kids = children_of(getpid(), 0, &n);
        if (!kids)
            return total;
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            if (kids[i] == watchdog || ended(kids[i]))
                continue;
            kill_tree(kids[i], SIGKILL, 0);
            found++;
        }
        free(kids);
        if (!found)
            break;
        total += found;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return total;
}

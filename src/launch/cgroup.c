/* Per-evaluation cgroups (v2): see cgroup.h. */
#define _GNU_SOURCE
#include "cgroup.h"

#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* The cgroup v2 directory this process is in ("" when there is none). */
static int own_cgroup(char *out, size_t outsz)
{
    char line[4096], mnt[4096] = "", rel[4096] = "";
    FILE *f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f)) {
        /* id parent maj:min root mount opts... - fstype source superopts */
        char *dash = strstr(line, " - cgroup2 ");
        char m[4096];
        if (dash && sscanf(line, "%*s %*s %*s %*s %4095s", m) == 1) {
            memcpy(mnt, m, strlen(m) + 1);
            break;
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            memcpy(rel, line + 3, strlen(line + 3) + 1);
            break;
        }
    }
    if (f)
        fclose(f);
    if (!mnt[0] || !rel[0] || strstr(rel, "(deleted)"))
        return -1;
    int w = snprintf(out, outsz, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
    return w < 0 || (size_t)w >= outsz ? -1 : 0;
}

static int write_at(int dfd, const char *file, const char *s)
{
    int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* 1 when the cgroup at dfd (or a cgroup below it) holds a live process. */
static int populated(int dfd)
{
    char buf[256];
    return ut_read_small_at(dfd, "cgroup.events", buf, sizeof buf) > 0 &&
           strstr(buf, "populated 1") != NULL;
}

/* populated() of a slot, through its open cgroup.events. */
static int slot_populated(const launch_cg_slot *s)
{
    char buf[256];
    ssize_t n = pread(s->events_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return populated(s->dfd);
    buf[n] = '\0';
    return strstr(buf, "populated 1") != NULL;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Kill everything in the cgroup tree at path, wait (at most about 2 s) for
 * it to empty, and remove it. 1 when something ran there, else 0. */
static int kill_tree(const char *path)
{
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    int was = populated(dfd);
    write_at(dfd, "cgroup.kill", "1");
    for (int i = 0; i < 400 && populated(dfd); i++)
        pause_ms(5);
    int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.')
            unlinkat(dfd, e->d_name, AT_REMOVEDIR);
    }
    if (d)
        closedir(d);
    close(dfd);
    rmdir(path);
    return was;
}

int launch_cg_init(launch_cg *cg, const char *token)
{
    memset(cg, 0, sizeof *cg);
    cg->run_dfd = -1;
    char base[4096];
    const char *off = getenv("BATCHTILE_CGROUP");
    if ((off && strcmp(off, "off") == 0) || own_cgroup(base, sizeof base) < 0)
        return -1;
    char path[4096 + 64];
    if (snprintf(path, sizeof path, "%s/batchtile-%s", base, token) >= (int)sizeof cg->run_dir)
        return -1;
    if (mkdir(path, 0755) < 0)
        return -1;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || faccessat(dfd, "cgroup.kill", W_OK, 0) < 0) {
        if (dfd >= 0)
            close(dfd);
        rmdir(path); /* a kernel older than 5.14: no cgroup.kill */
        return -1;
    }
    memcpy(cg->run_dir, path, strlen(path) + 1); /* its length checked above */
    cg->run_dfd = dfd;
    return 0;
}

const char *launch_cg_dir(const launch_cg *cg)
{
    return cg && cg->run_dir[0] ? cg->run_dir : NULL;
}

/* A free slot (made when none is), or -1. */
static int free_slot(launch_cg *cg)
{
    int k;
    for (k = 0; k < cg->nslots; k++)
        if (!cg->slots[k].busy &&
            (!cg->slots[k].dirty || !(cg->slots[k].dirty = slot_populated(&cg->slots[k]))))
            return k;
    if (cg->nslots == cg->capslots) {
        int cap = cg->capslots ? cg->capslots * 2 : 16;
        launch_cg_slot *ns = realloc(cg->slots, (size_t)cap * sizeof *ns);
        if (!ns)
            return -1;
        cg->slots = ns;
        cg->capslots = cap;
    }
    char name[32];
    snprintf(name, sizeof name, "e%d", cg->nslots);
    if (mkdirat(cg->run_dfd, name, 0755) < 0 && errno != EEXIST)
        return -1;
    int dfd = openat(cg->run_dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int efd = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
    int pfd = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (efd < 0 || pfd < 0) {
        if (efd >= 0)
            close(efd);
        if (pfd >= 0)
            close(pfd);
        close(dfd);
        return -1;
    }
    cg->slots[cg->nslots] = (launch_cg_slot){dfd, efd, pfd, 0, 0};
    return cg->nslots++;
}

/* A join refused: for want of rights (a delegation that stops
 * above us), give cgroups up (the sub-reaper sweep remains); a process
 * already gone is its own affair. */
static void refused(launch_cg *cg, int slot, int e)
{
    cg->slots[slot].busy = 0;
    if (!cg->moved_once && e != ESRCH)
        launch_cg_free(cg);
}

int launch_cg_claim(launch_cg *cg, int *procs_fd)
{
    *procs_fd = -1;
    if (!cg || cg->run_dfd < 0)
        return -1;
    int k = free_slot(cg);
    if (k < 0)
        return -1;
    cg->slots[k].busy = 1;
    *procs_fd = cg->slots[k].procs_fd;
    return k;
}

int launch_cg_joined(launch_cg *cg, int slot, int err)
{
    if (!cg || slot < 0 || slot >= cg->nslots)
        return -1;
    if (err) {
        refused(cg, slot, err);
        return -1;
    }
    cg->moved_once = 1;
    return slot;
}

void launch_cg_signal(launch_cg *cg, int slot, int sig)
{
    if (!cg)
        return;
    if (slot < 0 || slot >= cg->nslots)
        return;
    if (sig == SIGKILL) {
        write_at(cg->slots[slot].dfd, "cgroup.kill", "1");
        return;
    }
    int fd = openat(cg->slots[slot].dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    long p;
    while (f && fscanf(f, "%ld", &p) == 1)
        kill((pid_t)p, sig);
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
}

int launch_cg_release(launch_cg *cg, int slot)
{
    if (!cg)
        return 0;
    if (slot < 0 || slot >= cg->nslots)
        return 0;
    launch_cg_slot *s = &cg->slots[slot];
    s->busy = 0;
    if (!slot_populated(s))
        return 0;
    /* gone before the cores go to the next evaluation: a killed process
     * takes a moment to exit (at most about 0.2 s waited here; one stuck
     * in the kernel longer keeps its slot, reused once empty) */
    write_at(s->dfd, "cgroup.kill", "1");
    for (int i = 0; i < 200 && (s->dirty = slot_populated(s)); i++)
        pause_ms(1);
    return 1;
}

void launch_cg_free(launch_cg *cg)
{
    if (!cg)
        return;
    if (!cg->run_dir[0])
        return;
    for (int k = 0; k < cg->nslots; k++) {
        close(cg->slots[k].dfd);
        close(cg->slots[k].events_fd);
        close(cg->slots[k].procs_fd);
    }
    free(cg->slots);
    cg->slots = NULL;
    cg->nslots = cg->capslots = 0;
    close(cg->run_dfd);
    cg->run_dfd = -1;
    kill_tree(cg->run_dir);
    cg->run_dir[0] = '\0';
}

int launch_cg_kill_run(const char *token)
{
    char base[4096], path[4096 + 64];
    if (own_cgroup(base, sizeof base) < 0)
        return 0;
    snprintf(path, sizeof path, "%s/batchtile-%s", base, token);
    return kill_tree(path);
}

#include "proc.h"

#include "cgroup.h"
#include "tree.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Track a started job (job->pid set) in cgroup slot cg (-1: none). 0, or
 * -1 on memory. */
static int track(launch_proc_table *t, launch_job *job, int cg)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        launch_job **nj = realloc(t->jobs, cap * sizeof *nj);
        if (!nj)
            return -1;
        t->jobs = nj;
        int *ncg = realloc(t->cg, cap * sizeof *ncg);
        if (!ncg)
            return -1;
        t->cg = ncg;
        t->cap = cap;
    }
    t->cg[t->n] = cg;
    t->jobs[t->n++] = job;
    return 0;
}

/* Send sig to what evaluation eval left outside its process group. */
static void kill_orphans(const launch_proc_table *t, long eval, int sig)
{
    pid_t small[256] = {0}, *skip = t->n <= 256 ? small : malloc(t->n * sizeof *skip);
    if (!skip)
        return;
    for (size_t k = 0; k < t->n; k++)
        skip[k] = t->jobs[k]->pid;
    launch_tree_kill_eval(t->tree, eval, sig, skip, t->n);
    if (skip != small)
        free(skip);
}

void launch_proc_signal_tree(launch_backend *b, launch_job *j, int sig)
{
    launch_proc_table *t = &((launch_proc_backend *)b)->procs;
    int cg = -1;
    for (size_t i = 0; i < t->n; i++)
        if (t->jobs[i] == j)
            cg = t->cg[i];
    launch_cg *cgs = t->tree ? &t->tree->cg : NULL;
    if (cg >= 0) {
        /* its cgroup holds every process it started (it joined before its
         * exec): each gets sig once, SIGKILL through cgroup.kill */
        launch_cg_signal(cgs, cg, sig);
        return;
    }
    kill(-j->pid, sig);
    kill_orphans(t, j->eval, sig);
}

void launch_proc_reap(launch_proc_table *t, launch_backend *b)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            break;
        for (size_t i = 0; i < t->n; i++) {
            launch_job *j = t->jobs[i];
            if (j->pid != pid)
                continue;
            int cg = t->cg[i];
            t->n--;
            t->jobs[i] = t->jobs[t->n];
            t->cg[i] = t->cg[t->n];
            /* whatever the evaluation left behind goes too, before its cores
             * are handed to the next one: its cgroup, which holds all of it
             * (joined before its exec), or else its process group and the
             * daemons that left the group (adopted by us, the subreaper) */
            if (cg >= 0) {
                launch_cg_release(t->tree ? &t->tree->cg : NULL, cg);
            } else {
                kill(-pid, SIGKILL);
                kill_orphans(t, j->eval, SIGKILL);
            }
            launch_status s = {0};
            if (WIFEXITED(st)) {
                s.exited = 1;
                s.code = WEXITSTATUS(st);
            } else if (WIFSIGNALED(st)) {
                s.signo = WTERMSIG(st);
            }
            b->done(b->done_arg, j, &s);
            break;
        }
    }
}

void launch_proc_table_free(launch_proc_table *t)
{
    free(t->jobs);
    free(t->cg);
    t->jobs = NULL;
    t->cg = NULL;
    t->n = t->cap = 0;
}

void *launch_proc_backend_new(size_t size, const launch_ops *ops, const alloc_resources *res,
                              char *msg, size_t msgsz)
{
    launch_proc_backend *pb = calloc(1, size);
    if (!pb) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    pb->base.ops = ops;
    pb->base.res = res;
    ut_proc_adopt_orphans();
    return pb;
}

int launch_proc_spawn(launch_backend *b, launch_job *j, ut_spawn *sp, char *msg, size_t msgsz)
{
    launch_proc_table *t = &((launch_proc_backend *)b)->procs;
    launch_cg *cgs = t->tree ? &t->tree->cg : NULL;
    /* in a cgroup of its own where the machine allows (cgroup.h), joined
     * by the child itself before exec */
    int procs_fd, cg_err = 0;
    int slot = launch_cg_claim(cgs, &procs_fd);
    sp->cgroup_fd = slot >= 0 ? procs_fd : -1;
    sp->cgroup_err = &cg_err;
    pid_t pid = ut_proc_spawn(sp);
    if (pid < 0) {
        int e = errno;
        launch_cg_release(cgs, slot);
        snprintf(msg, msgsz, "cannot start %s in %s: %s", j->argv[0], j->cwd, strerror(e));
        errno = e;
        return -1;
    }
    slot = launch_cg_joined(cgs, slot, cg_err);
    j->pid = pid;
    if (track(t, j, slot) < 0) {
        kill(-pid, SIGKILL);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    return 0;
}

int launch_proc_fd(launch_backend *b)
{
    (void)b;
    return -1;
}

void launch_proc_process(launch_backend *b)
{
    launch_proc_reap(&((launch_proc_backend *)b)->procs, b);
}

void launch_proc_free(launch_backend *b)
{
    launch_proc_table_free(&((launch_proc_backend *)b)->procs);
    free(b);
}

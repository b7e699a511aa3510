/* Processes: spawn one in its own process group (cwd, output files,
 * affinity, environment), and reap them. Shared by the process-based
 * backends (local, slurm). */
#ifndef BATCHTILE_LAUNCH_PROC_H
#define BATCHTILE_LAUNCH_PROC_H
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <sys/types.h>

#include "backend.h"
#include "util/proc.h"

/* Send sig to job's process group and to the daemons it left outside it
 * (see tree.h). */
void launch_proc_signal_tree(launch_backend *b, launch_job *j, int sig);

/* The running jobs of a process-based backend, by pid. */
struct launch_job;
struct launch_tree;
typedef struct launch_proc_table {
    struct launch_tree *tree; /* the run's (tree.h), NULL for none */
    struct launch_job **jobs;
    int *cg; /* each one's cgroup slot (cgroup.h), -1 for none */
    size_t n, cap;
} launch_proc_table;

/* Reap every child that has exited; for each tracked job, kill what is left
 * of its process group and report it through the backend's done callback. */
void launch_proc_reap(launch_proc_table *t, struct launch_backend *b);
void launch_proc_table_free(launch_proc_table *t);

/* What every process-based backend shares; its struct starts with this. */
typedef struct launch_proc_backend {
    struct launch_backend base;
    launch_proc_table procs;
} launch_proc_backend;

/* Allocate a process-based backend of size bytes (its struct starting with
 * launch_proc_backend), zeroed, with ops and res set, adopting orphans.
 * NULL with msg set when out of memory. */
void *launch_proc_backend_new(size_t size, const launch_ops *ops, const alloc_resources *res,
                              char *msg, size_t msgsz);
/* Start job j as sp says, in a cgroup of its own where the machine allows,
 * and track it. 0, or -1 with msg and errno set (the job did not start). */
int launch_proc_spawn(struct launch_backend *b, struct launch_job *j, ut_spawn *sp, char *msg,
                      size_t msgsz);
/* The shared ops: no fd (completions come with SIGCHLD), reap, free. */
int launch_proc_fd(struct launch_backend *b);
void launch_proc_process(struct launch_backend *b);
void launch_proc_free(struct launch_backend *b);

#endif

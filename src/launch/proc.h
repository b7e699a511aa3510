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

typedef struct launch_spawn {
    char *const *argv;
    char *const *envp;
    const char *cwd;      /* NULL: ours */
    const char *out_path; /* stdout, truncated; relative to cwd; NULL: ours */
    const char *err_path;
    const cpu_set_t *cpus; /* CPU affinity, NULL: ours */
    int same_group;        /* stay in our process group (a terminal's ^C reaches it) */
    int outputs_ready;     /* out_path and err_path exist, fresh: the child opens them
                              (in parallel with others: a shared filesystem's latency) */
} launch_spawn;

/* Start s in a new process group unless s->same_group (signals reset, stdin
 * from /dev/null).
 * Returns its pid, or -1 with errno. */
pid_t launch_proc_spawn(const launch_spawn *s);

/* Send sig to job's process group and to the daemons it left outside it
 * (see tree.h). */
void launch_proc_signal_tree(launch_backend *b, launch_job *j, int sig);

/* Make orphans of our children ours (a child subreaper), so that what an
 * evaluation leaves behind is reaped and never lingers as a zombie. */
void launch_proc_adopt_orphans(void);

/* An environment: ours with some variables set. */
typedef struct launch_env {
    char **envp;   /* NULL-terminated, for spawn */
    char **owned;  /* strings allocated here */
    size_t nowned;
} launch_env;

/* Build ours plus "NAME=value" for each pair in sets (NULL-terminated list
 * of name, value, name, value...). 0, or -1 on memory. */
int launch_env_build(launch_env *e, const char *const *sets);
void launch_env_free(launch_env *e);

/* A growing NULL-terminated argv of malloc'd words. */
typedef struct launch_argv {
    char **v; /* NULL until the first word */
    size_t n, cap;
} launch_argv;

/* Append a printf-formatted word; 0, or -1 when out of memory. */
int launch_argv_add(launch_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Free a NULL-terminated array of malloc'd words (NULL is fine). */
void launch_argv_free(char **v);

/* Resolve a command as execvp would (PATH), falling back to the current
 * directory, and make it absolute. 0, or -1 if not found / not executable. */
int launch_resolve_command(const char *cmd, char *out, size_t outsz);
/* The same, but a relative path with a slash (../driver.sh) is taken from
 * directory base (relative to the current one), where the program will run,
 * as Dakota runs a driver inside its work directory. */
int launch_resolve_command_in(const char *cmd, const char *base, char *out, size_t outsz);

/* Run argv and capture up to outsz-1 bytes of its stdout+stderr (for probing
 * tool versions). Returns its exit status, or -1. */
int launch_capture(char *const *argv, char *out, size_t outsz);
/* The same with the environment envp. */
int launch_capture_env(char *const *argv, char *const *envp, char *out, size_t outsz);

/* The running jobs of a process-based backend, by pid. */
struct launch_job;
typedef struct launch_proc_table {
    struct launch_job **jobs;
    size_t n, cap;
} launch_proc_table;

/* Track a started job (job->pid set). 0, or -1 on memory. */
int launch_proc_track(launch_proc_table *t, struct launch_job *job);
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
/* After a spawn: track the job (pid, or -1 when the spawn failed with errno
 * e). 0, or -1 with msg set (the job did not start). */
int launch_proc_started(struct launch_backend *b, struct launch_job *j, pid_t pid, int e,
                        char *msg, size_t msgsz);
/* The shared ops: no fd (completions come with SIGCHLD), reap, free. */
int launch_proc_fd(struct launch_backend *b);
void launch_proc_process(struct launch_backend *b);
void launch_proc_destroy(struct launch_backend *b);

#endif

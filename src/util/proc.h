/* Processes and commands, below every layer: spawn one in its own process
 * group, argv and environment builders, command resolution, and capturing
 * a short command's output (tool versions, scheduler queries). */
#ifndef BATCHTILE_UTIL_PROC_H
#define BATCHTILE_UTIL_PROC_H
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct ut_spawn {
    char *const *argv;
    char *const *envp;
    const char *cwd;      /* NULL: ours */
    const char *out_path; /* stdout, truncated; relative to cwd; NULL: ours */
    const char *err_path;
    const cpu_set_t *cpus; /* CPU affinity, NULL: ours */
    int same_group;        /* stay in our process group (a terminal's ^C reaches it) */
    int outputs_ready;     /* out_path and err_path exist, fresh: the child opens them
                              (in parallel with others: a shared filesystem's latency) */
    int in_fd, out_fd;     /* > 2: the child's stdin, stdout (a pipe's ends); else
                              /dev/null and out_path (or ours) */
    int cgroup_fd;         /* > 0: a cgroup.procs open for writing: the child joins
                              that cgroup before exec, before it can start anything */
    int *cgroup_err;       /* where given: 0 when it joined, else why not */
} ut_spawn;

/* Start s in a new process group unless s->same_group (handled signals and
 * SIGPIPE reset, none blocked, stdin from /dev/null unless s->in_fd), on
 * its cores and in its cgroup from its first instruction. Returns its pid
 * once it has exec'd, or -1 with errno (the exec's own). */
pid_t ut_proc_spawn(const ut_spawn *s);

/* Make orphans of our children ours (a child subreaper), so that what an
 * evaluation leaves behind is reaped and never lingers as a zombie. */
void ut_proc_adopt_orphans(void);

/* An environment: ours with some variables set. */
typedef struct ut_env {
    char **envp;   /* NULL-terminated, for spawn */
    char **owned;  /* strings allocated here */
    size_t nowned;
} ut_env;

/* Build ours plus "NAME=value" for each pair in sets (NULL-terminated list
 * of name, value, name, value...). 0, or -1 on memory. */
int ut_env_build(ut_env *e, const char *const *sets);
void ut_env_free(ut_env *e);

/* A growing NULL-terminated argv of malloc'd words. */
typedef struct ut_argv {
    char **v; /* NULL until the first word */
    size_t n, cap;
} ut_argv;

/* Append a printf-formatted word; 0, or -1 when out of memory. */
int ut_argv_add(ut_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Free a NULL-terminated array of malloc'd words (NULL is fine). */
void ut_argv_free(char **v);

/* Resolve a command as execvp would (PATH), falling back to the current
 * directory, and make it absolute. 0, or -1 if not found / not executable. */
int ut_resolve_command(const char *cmd, char *out, size_t outsz);
/* The same, but a relative path with a slash (../driver.sh) is taken from
 * directory base (relative to the current one), where the program will run,
 * as Dakota runs a driver inside its work directory. */
int ut_resolve_command_in(const char *cmd, const char *base, char *out, size_t outsz);

/* Write w to f as one word for sh, in single quotes (job scripts). */
void ut_sh_quote(FILE *f, const char *w);

/* Run argv and capture up to outsz-1 bytes of its stdout+stderr (for probing
 * tool versions). Returns its exit status, or -1. */
int ut_capture(char *const *argv, char *out, size_t outsz);
/* The same with the environment envp. */
int ut_capture_env(char *const *argv, char *const *envp, char *out, size_t outsz);

#endif

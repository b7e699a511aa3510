/* The pool's directory on the shared filesystem: its layout, the check that
 * it is ours alone, and the small JSON files written whole (temporary name,
 * rename) through which server and clients talk. No socket, no ssh.
 *
 *   DIR/server.json         the server's heartbeat (seq, host, pid, job, batches)
 *   DIR/server.lock         flock'd by the serving server
 *   DIR/start.json          how the pool is started (pool start), its latest job
 *   DIR/stop                "drain" or "now" (pool stop)
 *   DIR/pool.log            the servers' own lines
 *   DIR/requests/ID.json    a client's batch (argv, cwd, uid)
 *   DIR/requests/ID.hb      the client's heartbeat (seq)
 *   DIR/requests/ID.cancel  the client was stopped by a signal (its number)
 *   DIR/replies/ID.json     the batch's exit status
 *   DIR/batches/ID.log      the batch's stderr lines, ID.out its stdout
 *   DIR/bad/ID.json         a malformed request moved aside, ID.why the reason */
#ifndef BATCHTILE_POOL_DIR_H
#define BATCHTILE_POOL_DIR_H
#include <jansson.h>
#include <stddef.h>

/* The heartbeat period (seconds; BATCHTILE_POOL_PERIOD overrides it), and
 * how many periods without a change make a peer dead. */
double pool_period(void);
#define POOL_DEAD_PERIODS 4

/* Check (and with create, make: mode 0700) DIR and its subdirectories:
 * owned by us, not writable by group or others. 0, or -1 with msg naming
 * the mode; *status the exit status (1 refused, 3 system error). */
int pool_dir_check(const char *dir, int create, char *msg, size_t msgsz, int *status);

/* DIR/sub/name into out. 0, or -1 when too long. */
int pool_path(char *out, size_t outsz, const char *dir, const char *sub, const char *name);

/* Write j to path whole (temporary name, fsync, rename). 0, or -1 with errno. */
int pool_json_write(const char *path, json_t *j);
/* Read a JSON object of at most 1 MiB; NULL with why set (missing: errno
 * ENOENT and why "missing"). */
json_t *pool_json_read(const char *path, char *why, size_t whysz);

/* Seconds on a monotonic clock, and the wall clock. */
double pool_now(void);
double pool_wall(void);
/* This host's name into out. */
void pool_hostname(char *out, size_t outsz);

/* Append one line "TIME HOST[PID]: MSG" to DIR/pool.log (and to stderr when
 * echo). */
void pool_log(const char *dir, int echo, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A peer's liveness through its heartbeat's seq: dead once seq has not
 * changed for POOL_DEAD_PERIODS periods of our own clock (no clock of the
 * other node is ever compared with ours). */
typedef struct pool_watch {
    long long seq;
    double changed; /* pool_now() when seq last changed (or was first seen) */
    int seen;
} pool_watch;
/* Feed the seq read now (-1: no heartbeat file). 1 live, 0 dead. */
int pool_watch_feed(pool_watch *w, long long seq, double now);

#endif

/* batchtile pool serve: requests in, batches run, replies and heartbeats
 * out, all through DIR (pool/dir.h). One engine (engine/engine.h) runs
 * every batch; this file lives on the engine's loop through a timer: the
 * directory polled with a backoff (20 ms to 200 ms), heartbeats once a
 * period. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc/slurm.h"
#include "dir.h"
#include "engine/engine.h"
#include "server.h"
#include "start.h"
#include "util/file.h"
#include "util/log.h"

enum { B_QUEUED, B_RUNNING };
enum { S_SERVING = 0, S_DRAIN, S_NOW, S_HANDOVER, S_IDLE };

typedef struct srv_batch {
    char id[160];
    json_t *req;
    char **argv;          /* "run" and the request's words: cfg points into them */
    run_config cfg;
    engine_batch *eb;     /* NULL while queued */
    FILE *log;            /* DIR/batches/ID.log */
    int finished, status; /* its done callback came: free it at the next timer */
    int state;
    double started, restart_at; /* pool_now() */
    int inherited;              /* found when the server started: a predecessor's */
    int lock_tries;
    int cancel_sig, client_dead;
    pool_watch hb;
    struct srv_batch *next;
} srv_batch;

typedef struct srv {
    const pool_serve_opts *o;
    engine *e;
    int timer;
    double next_scan, next_tick, backoff;
    const char *dir, *backend;
    char host[256], job[128], successor[128];
    double started_wall, ends_at, period, last_active, renew_lead;
    long long seq;
    int stopping, exit_sig, first_scan;
    srv_batch *batches;
    char **ignored; /* request ids not ours (another uid), said once */
    size_t nignored;
} srv;

static int valid_id(const char *id)
{
    if (!id[0] || strlen(id) >= 150)
        return 0;
    for (const char *p = id; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return 0;
    return id[0] != '.';
}

static srv_batch *find(srv *s, const char *id)
{
    for (srv_batch *b = s->batches; b; b = b->next)
        if (strcmp(b->id, id) == 0)
            return b;
    return NULL;
}

static int ignored(srv *s, const char *id)
{
    for (size_t i = 0; i < s->nignored; i++)
        if (strcmp(s->ignored[i], id) == 0)
            return 1;
    return 0;
}

static void ignore(srv *s, const char *id)
{
    char **v = realloc(s->ignored, (s->nignored + 1) * sizeof *v);
    if (!v)
        return;
    s->ignored = v;
    s->ignored[s->nignored++] = strdup(id);
}

static void reply(srv *s, const char *id, int status, const char *message)
{
    char path[4096], name[200];
    snprintf(name, sizeof name, "%s.json", id);
    if (pool_path(path, sizeof path, s->dir, "replies", name) < 0)
        return;
    json_t *j = json_pack("{s:i, s:s, s:i}", "version", 1, "id", id, "status", status);
    if (message)
        json_object_set_new(j, "message", json_string(message));
    if (pool_json_write(path, j) < 0)
        pool_log(s->dir, 1, "%s: cannot write the reply: %s", path, strerror(errno));
    json_decref(j);
}

static void unlink_req(srv *s, const char *id, const char *ext)
{
    char path[4096], name[200];
    snprintf(name, sizeof name, "%s.%s", id, ext);
    if (pool_path(path, sizeof path, s->dir, "requests", name) == 0)
        unlink(path);
}

/* A malformed request: moved aside with its reason, the client told. */
static void reject(srv *s, const char *id, const char *why)
{
    char from[4096], to[4096], name[200], msg[9000];
    snprintf(name, sizeof name, "%s.json", id);
    pool_path(from, sizeof from, s->dir, "requests", name);
    pool_path(to, sizeof to, s->dir, "bad", name);
    snprintf(msg, sizeof msg, "%s: malformed request: %s (moved to %s)", from, why, to);
    pool_log(s->dir, 1, "%s", msg);
    rename(from, to);
    snprintf(name, sizeof name, "%s.why", id);
    pool_path(to, sizeof to, s->dir, "bad", name);
    char line[9100];
    int n = snprintf(line, sizeof line, "%s\n", msg);
    if (n > 0)
        ut_write_atomic(to, line, (size_t)n);
    reply(s, id, 2, msg);
}

/* The request's fields, checked: version 1, argv (strings), cwd (absolute),
 * uid (ours and the file's). NULL, or why. */
static const char *check_request(json_t *r, uid_t owner)
{
    json_t *argv = json_object_get(r, "argv");
    const char *cwd = json_string_value(json_object_get(r, "cwd"));
    json_t *uid = json_object_get(r, "uid");
    if (json_integer_value(json_object_get(r, "version")) != 1)
        return "expected \"version\": 1";
    if (!json_is_array(argv) || json_array_size(argv) < 3)
        return "expected \"argv\": the batchtile run arguments (at least COMMAND, "
               "BATCH_PARAMS, BATCH_RESULTS)";
    for (size_t i = 0; i < json_array_size(argv); i++)
        if (!json_is_string(json_array_get(argv, i)))
            return "expected \"argv\" to hold strings only";
    if (!cwd || cwd[0] != '/')
        return "expected \"cwd\": an absolute directory";
    if (!json_is_integer(uid) || (uid_t)json_integer_value(uid) != owner)
        return "expected \"uid\": the request file's owner";
    return NULL;
}

static void ended(srv *s, srv_batch *b, int st);

static void batch_done(engine_batch *eb, int status, void *arg)
{
    (void)eb;
    srv_batch *b = arg;
    b->finished = 1;
    b->status = status;
}

/* Parse the request's argv as `batchtile run` does and add the batch to
 * the engine, in the client's directory, its lines into DIR/batches/ID.log. */
static int start_batch(srv *s, srv_batch *b)
{
    char logp[4096], name[200];
    snprintf(name, sizeof name, "%s.log", b->id);
    pool_path(logp, sizeof logp, s->dir, "batches", name);
    json_t *argv = json_object_get(b->req, "argv");
    size_t n = json_array_size(argv);
    if (!b->argv) {
        if (!(b->argv = calloc(n + 2, sizeof *b->argv)))
            return -1;
        b->argv[0] = "run";
        for (size_t i = 0; i < n; i++)
            b->argv[i + 1] = (char *)json_string_value(json_array_get(argv, i));
        memset(&b->cfg, 0, sizeof b->cfg);
        int r = s->o->parse((int)n + 1, b->argv, &b->cfg);
        b->cfg.progress = 0; /* the client draws it, from our counts */
        if (r >= 0) {
            reply(s, b->id, r, "the pool refused the batch's arguments (see the pool's log)");
            b->finished = 2; /* replied: only to be freed */
            return 0;
        }
    }
    if (!b->log) {
        b->log = fopen(logp, "a");
        if (!b->log)
            return -1;
        setvbuf(b->log, NULL, _IOLBF, 0);
    }
    const char *cwd = json_string_value(json_object_get(b->req, "cwd"));
    int st = 0;
    b->started = pool_now();
    b->eb = engine_batch_add(s->e, &b->cfg, cwd, b->log, batch_done, b, &st);
    if (!b->eb) {
        ended(s, b, st);
        return 0;
    }
    b->state = B_RUNNING;
    pool_log(s->dir, 0, "batch %s started in %s", b->id, cwd);
    return 0;
}

/* Take the new requests in DIR/requests. 1 when one was taken. */
static int scan(srv *s)
{
    /* ending (the allocation, idle): what comes now is the next pool's */
    if (s->stopping == S_HANDOVER || s->stopping == S_IDLE)
        return 0;
    char rdir[4096];
    pool_path(rdir, sizeof rdir, s->dir, "requests", NULL);
    DIR *d = opendir(rdir);
    if (!d)
        return 0;
    int took = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char id[200];
        snprintf(id, sizeof id, "%.*s", (int)(len - 5), e->d_name);
        if (!valid_id(id) || find(s, id) || ignored(s, id))
            continue;
        char path[4096], rp[4096], name[220];
        pool_path(path, sizeof path, s->dir, "requests", e->d_name);
        snprintf(name, sizeof name, "%s.json", id);
        pool_path(rp, sizeof rp, s->dir, "replies", name);
        if (access(rp, F_OK) == 0) /* answered, not yet collected */
            continue;
        struct stat st;
        if (lstat(path, &st) < 0)
            continue;
        if (st.st_uid != geteuid()) {
            pool_log(s->dir, 1, "%s: ignored: owned by uid %u, not by the pool's (uid %u)", path,
                     (unsigned)st.st_uid, (unsigned)geteuid());
            ignore(s, id);
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            reject(s, id, "not a regular file");
            continue;
        }
        if (s->stopping) {
            reply(s, id, 75, "the pool is stopping ('batchtile pool stop'): run the same "
                             "command again to finish the batch");
            continue;
        }
        char why[512];
        json_t *r = pool_json_read(path, why, sizeof why);
        const char *bad = r ? check_request(r, st.st_uid) : why;
        if (bad) {
            reject(s, id, bad);
            json_decref(r);
            continue;
        }
        srv_batch *b = calloc(1, sizeof *b);
        if (!b) {
            json_decref(r);
            break;
        }
        snprintf(b->id, sizeof b->id, "%s", id);
        b->req = r;
        b->inherited = s->first_scan;
        b->next = s->batches;
        s->batches = b;
        pool_watch_feed(&b->hb, -1, pool_now());
        b->hb.seen = 0;
        if (start_batch(s, b) < 0) {
            pool_log(s->dir, 1, "batch %s: cannot start: %s", id, strerror(errno));
            reply(s, id, 3, "the pool could not start the batch (see the pool's log)");
            b->finished = 2;
        }
        took = 1;
    }
    closedir(d);
    s->first_scan = 0;
    return took;
}

static void drop(srv *s, srv_batch *b)
{
    for (srv_batch **p = &s->batches; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
    if (b->eb)
        engine_batch_free(b->eb);
    if (b->log)
        fclose(b->log);
    free(b->argv);
    json_decref(b->req);
    free(b);
    s->last_active = pool_now();
}

/* Batch b ended (or was refused) with status st: its reply, or, when the
 * allocation ends under it, nothing: the next pool takes its request. */
static void ended(srv *s, srv_batch *b, int st)
{
    double now = pool_now(), wall = pool_wall();
    engine_info info;
    engine_get_info(s->e, &info);
    pool_log(s->dir, 0, "batch %s ended: exit %d after %.2fs", b->id, st, now - b->started);
    if (b->eb) {
        engine_batch_free(b->eb);
        b->eb = NULL;
    }
    /* a predecessor's batch whose journal is still locked (its evaluations
     * being stopped by the watchdog): again in a second */
    if (st == 4 && b->inherited && b->lock_tries < 60 && !s->stopping && !info.stopping) {
        b->lock_tries++;
        b->state = B_QUEUED;
        b->restart_at = now + 1;
        return;
    }
    int near_end = s->ends_at > 0 && wall >= s->ends_at - 90;
    if (!b->cancel_sig && s->stopping != S_NOW &&
        (s->stopping == S_HANDOVER || info.stopping || (st == 75 && near_end))) {
        pool_log(s->dir, 0, "batch %s: left for the next pool (this one ends)", b->id);
        if (!s->stopping)
            s->stopping = S_HANDOVER;
        drop(s, b);
        return;
    }
    if (s->stopping == S_NOW && !b->cancel_sig && (st == 75 || st == 128 + SIGTERM))
        reply(s, b->id, 75, "the pool was stopped ('batchtile pool stop --now'): run the same "
                            "command again to finish the batch");
    else
        reply(s, b->id, st, NULL);
    if (b->client_dead) { /* nobody collects it */
        unlink_req(s, b->id, "json");
        unlink_req(s, b->id, "hb");
        unlink_req(s, b->id, "cancel");
        char path[4096], name[200];
        snprintf(name, sizeof name, "%s.json", b->id);
        pool_path(path, sizeof path, s->dir, "replies", name);
        unlink(path);
    }
    drop(s, b);
}

static void heartbeat(srv *s, const char *state)
{
    char path[4096];
    pool_path(path, sizeof path, s->dir, NULL, "server.json");
    json_t *bs = json_array();
    for (srv_batch *b = s->batches; b; b = b->next) {
        engine_counts c;
        memset(&c, 0, sizeof c);
        if (b->eb)
            engine_batch_counts(b->eb, &c);
        json_t *j = json_pack("{s:s, s:s, s:O, s:f, s:I, s:I, s:I, s:I, s:I, s:i, s:i}", "id",
                              b->id, "state", b->state == B_RUNNING ? "running" : "queued",
                              "cwd", json_object_get(b->req, "cwd"), "running_s",
                              b->state == B_RUNNING ? pool_now() - b->started : 0.0, "total",
                              (json_int_t)c.total, "done", (json_int_t)c.done, "failed",
                              (json_int_t)c.failed, "running", (json_int_t)c.running, "waiting",
                              (json_int_t)c.waiting, "cores_busy", c.cores_busy, "gpus_busy",
                              c.gpus_busy);
        if (j)
            json_array_append_new(bs, j);
    }
    engine_info in;
    engine_get_info(s->e, &in);
    json_t *j = json_pack("{s:i, s:I, s:s, s:I, s:s, s:f, s:f, s:f, s:s, s:o, s:{s:i, s:i, s:i, "
                          "s:i, s:i, s:i}}", "version", 1, "seq", (json_int_t)++s->seq, "host",
                          s->host, "pid", (json_int_t)getpid(), "job", s->job, "started",
                          s->started_wall, "ends_at", in.ends_at > 0 ? in.ends_at : s->ends_at,
                          "period", s->period, "state", state, "batches", bs, "allocation",
                          "cores", in.cores, "cores_busy", in.cores_busy, "gpus", in.gpus,
                          "gpus_busy", in.gpus_busy, "nodes", in.nodes, "nodes_up", in.nodes_up);
    if (j && s->successor[0])
        json_object_set_new(j, "successor", json_string(s->successor));
    if (!j || pool_json_write(path, j) < 0)
        pool_log(s->dir, 1, "%s: cannot write the heartbeat: %s", path, strerror(errno));
    json_decref(j);
}

/* Read an integer file DIR/requests/ID.EXT holding {"seq": N} or a signal
 * number; -1 when absent. */
static long long read_req_num(srv *s, const char *id, const char *ext, const char *key)
{
    char path[4096], name[220], why[128];
    snprintf(name, sizeof name, "%s.%s", id, ext);
    if (pool_path(path, sizeof path, s->dir, "requests", name) < 0)
        return -1;
    json_t *j = pool_json_read(path, why, sizeof why);
    if (!j)
        return -1;
    json_t *v = json_object_get(j, key);
    long long r = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
    json_decref(j);
    return r;
}

static void stop_all(srv *s, int sig)
{
    for (srv_batch *b = s->batches; b; b = b->next)
        if (b->eb && !b->finished)
            engine_batch_cancel(b->eb, sig);
}

/* Once a period: heartbeats both ways, stop, idle, the clock, renewal. */
static void tick(srv *s)
{
    double now = pool_now(), wall = pool_wall();
    for (srv_batch *b = s->batches; b; b = b->next) {
        long long sig = read_req_num(s, b->id, "cancel", "signal");
        if (sig > 0 && sig < 65 && !b->cancel_sig) {
            b->cancel_sig = (int)sig;
            pool_log(s->dir, 0, "batch %s: its client was stopped by signal %lld", b->id, sig);
            if (b->eb && !b->finished)
                engine_batch_cancel(b->eb, (int)sig);
        }
        long long seq = read_req_num(s, b->id, "hb", "seq");
        if (!pool_watch_feed(&b->hb, seq, now) && !b->client_dead) {
            b->client_dead = 1;
            pool_log(s->dir, 1, "batch %s: its client stopped heartbeating (%s): stopping the "
                     "batch as SIGTERM does (running the same client again resumes it)", b->id,
                     seq < 0 ? "no heartbeat file" : "no change for a while");
            if (b->eb && !b->finished) {
                b->cancel_sig = SIGTERM;
                engine_batch_cancel(b->eb, SIGTERM);
            } else if (!b->eb && !b->finished) {
                ended(s, b, 143);
                break; /* the list changed */
            }
        }
    }
    char path[4096], word[16] = "";
    pool_path(path, sizeof path, s->dir, NULL, "stop");
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(word, sizeof word, f))
            word[0] = '\0';
        fclose(f);
        unlink(path);
        int now_ = strncmp(word, "now", 3) == 0;
        if (now_ && s->stopping != S_NOW) {
            pool_log(s->dir, 1, "pool stop --now: stopping every batch as SIGTERM does");
            s->stopping = S_NOW;
            stop_all(s, SIGTERM);
        } else if (!s->stopping) {
            pool_log(s->dir, 1, "pool stop: finishing the running batches, accepting none");
            s->stopping = S_DRAIN;
        }
    }
    if (!s->stopping && !s->batches && s->o->idle_exit > 0 &&
        now - s->last_active >= s->o->idle_exit) {
        pool_log(s->dir, 1, "idle for %.0fs (--idle-exit): ending", now - s->last_active);
        s->stopping = S_IDLE;
    }
    if (!s->stopping && s->ends_at > 0 && wall >= s->ends_at - 10) {
        pool_log(s->dir, 1, "the allocation ends in %.0fs: accepting no more batches",
                 s->ends_at - wall);
        s->stopping = S_HANDOVER;
    }
    if (s->o->renew && s->ends_at > 0 && !s->successor[0] && s->batches &&
        wall >= s->ends_at - s->renew_lead && s->stopping != S_DRAIN && s->stopping != S_NOW) {
        char msg[1024];
        if (pool_start_submit(s->dir, 1, s->successor, sizeof s->successor, msg, sizeof msg) == 0)
            pool_log(s->dir, 1, "--renew: the successor is job %s (it starts when this one "
                     "ends)", s->successor);
        else {
            pool_log(s->dir, 1, "--renew: cannot queue the successor: %s", msg);
            snprintf(s->successor, sizeof s->successor, "-");
        }
    }
    static const char *const names[] = {"serving", "draining", "stopping", "ending", "idle"};
    heartbeat(s, names[s->stopping]);
}

static int take_lock(srv *s, int *fd_out)
{
    char path[4096], why[256];
    pool_path(path, sizeof path, s->dir, NULL, "server.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        pool_log(s->dir, 1, "%s: %s", path, strerror(errno));
        return 3;
    }
    char spath[4096];
    pool_path(spath, sizeof spath, s->dir, NULL, "server.json");
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        json_t *j = pool_json_read(spath, why, sizeof why);
        pool_log(s->dir, 1, "a pool already serves %s (host %s, pid %lld%s%s)", s->dir,
                 j ? json_string_value(json_object_get(j, "host")) : "?",
                 j ? (long long)json_integer_value(json_object_get(j, "pid")) : -1LL,
                 j && json_string_value(json_object_get(j, "job"))[0] ? ", job " : "",
                 j ? json_string_value(json_object_get(j, "job")) : "");
        json_decref(j);
        close(fd);
        return 4;
    }
    /* a server on another node (flock may not reach across): its heartbeat */
    json_t *j = pool_json_read(spath, why, sizeof why);
    const char *h = j ? json_string_value(json_object_get(j, "host")) : NULL;
    const char *st = j ? json_string_value(json_object_get(j, "state")) : NULL;
    if (h && st && strcmp(st, "ended") != 0 && strcmp(h, s->host) != 0) {
        pool_watch w = {0};
        long long seq = json_integer_value(json_object_get(j, "seq"));
        pool_watch_feed(&w, seq, pool_now());
        for (;;) {
            usleep((useconds_t)(pool_period() * 5e5));
            json_t *k = pool_json_read(spath, why, sizeof why);
            long long q = k ? json_integer_value(json_object_get(k, "seq")) : -1;
            const char *kst = k ? json_string_value(json_object_get(k, "state")) : "ended";
            int ended_ = kst && strcmp(kst, "ended") == 0;
            json_decref(k);
            if (ended_ || !pool_watch_feed(&w, q, pool_now()))
                break;
            if (q != seq) {
                pool_log(s->dir, 1, "a pool on host %s already serves %s (its heartbeat goes "
                         "on)", h, s->dir);
                json_decref(j);
                close(fd);
                return 4;
            }
        }
    }
    json_decref(j);
    *fd_out = fd;
    return 0;
}

/* The engine's timer: finished batches, restarts, the directory, the
 * period's work, the end. */
static void on_timer(engine *e, void *arg)
{
    srv *s = arg;
    double now = pool_now();
    for (srv_batch *b = s->batches, *next; b; b = next) {
        next = b->next;
        if (b->finished == 1)
            ended(s, b, b->status);
        else if (b->finished == 2)
            drop(s, b);
        else if (b->state == B_QUEUED && !b->eb && now >= b->restart_at && !s->stopping)
            start_batch(s, b);
    }
    engine_info info;
    engine_get_info(e, &info);
    if (info.stopping && !s->stopping) {
        pool_log(s->dir, 1, "the allocation stops (a signal or its clock): the batches are left "
                 "for the next pool");
        s->stopping = S_HANDOVER;
    }
    if (s->stopping == S_HANDOVER || s->stopping == S_NOW)
        for (srv_batch *b = s->batches, *next; b; b = next) {
            next = b->next;
            if (b->state == B_QUEUED && !b->eb) /* not started: left for the next pool */
                drop(s, b);
        }
    if (now >= s->next_scan) {
        if (scan(s))
            s->backoff = 0.02;
        else
            s->backoff = s->backoff * 2 > 0.2 ? 0.2 : s->backoff * 2;
        s->next_scan = now + s->backoff;
    }
    if (now >= s->next_tick) {
        tick(s);
        s->next_tick = now + s->period;
    }
    if (s->stopping && !s->batches) {
        engine_timer_remove(e, s->timer);
        engine_quit(e);
    }
}

int pool_serve(const pool_serve_opts *o)
{
    srv S;
    memset(&S, 0, sizeof S);
    srv *s = &S;
    s->o = o;
    s->dir = o->dir;
    s->period = pool_period();
    s->first_scan = 1;
    pool_hostname(s->host, sizeof s->host);
    const char *job = getenv("SLURM_JOB_ID");
    if (!job)
        job = getenv("FLUX_JOB_ID");
    snprintf(s->job, sizeof s->job, "%s", job ? job : "");
    int lockfd = -1, r = take_lock(s, &lockfd);
    if (r)
        return r;
    s->started_wall = pool_wall();
    s->ends_at = getenv("SLURM_JOB_ID") ? alloc_slurm_ends_at() : 0;
    double len = s->ends_at > 0 ? s->ends_at - s->started_wall : 0;
    s->renew_lead = len * 0.5 < 30 ? 30 : len * 0.5 > 1800 ? 1800 : len * 0.5;
    s->last_active = pool_now();
    /* a one-node Slurm pool runs its evaluations with the local backend
     * (no step per evaluation), the clock from squeue as its deadline */
    const char *nn = getenv("SLURM_JOB_NUM_NODES");
    s->backend = o->backend ? o->backend
                 : getenv("SLURM_JOB_ID") && nn && strcmp(nn, "1") == 0 ? "local" : "auto";
    engine_config ec = {.backend = s->backend,
                        .mpi = "auto",
                        .cores = o->cores,
                        .gpus = o->gpus,
                        .ntasks_max = 1,
                        .grace = 5,
                        .deadline = strcmp(s->backend, "local") == 0 ? s->ends_at : 0,
                        .end_margin = -1,
                        .signals = 1};
    char msg[2048];
    int status;
    ut_log_set_cmd("run"); /* the batches' lines are run's, as run prints them */
    s->e = engine_new(&ec, &status, msg, sizeof msg);
    if (!s->e) {
        pool_log(s->dir, 1, "%s", msg);
        close(lockfd);
        return status;
    }
    engine_info info;
    engine_get_info(s->e, &info);
    pool_log(s->dir, 1, "serving %s (host %s, pid %ld%s%s, %d node%s, %d cores, %d GPUs%s)",
             s->dir, s->host, (long)getpid(), s->job[0] ? ", job " : "", s->job, info.nodes,
             info.nodes == 1 ? "" : "s", info.cores, info.gpus, o->renew ? ", --renew" : "");
    heartbeat(s, "serving");
    s->backoff = 0.02;
    s->next_scan = s->next_tick = pool_now();
    s->timer = engine_timer_add(s->e, 0.02, 0.02, on_timer, s);
    if (s->timer < 0) {
        pool_log(s->dir, 1, "cannot add the pool's timer");
        engine_free(s->e);
        close(lockfd);
        return 3;
    }
    int st = engine_run(s->e);
    while (s->batches) /* the engine ended them (a machine failure) */
        ended(s, s->batches, s->batches->finished == 1 ? s->batches->status : 3);
    if (s->stopping == S_IDLE && s->successor[0] && strcmp(s->successor, "-") != 0) {
        pool_start_cancel(s->dir, s->successor);
        pool_log(s->dir, 0, "idle: cancelled the successor job %s", s->successor);
    }
    heartbeat(s, "ended");
    engine_free(s->e);
    pool_log(s->dir, 1, "ended");
    for (size_t i = 0; i < s->nignored; i++)
        free(s->ignored[i]);
    free(s->ignored);
    close(lockfd);
    return st;
}

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
#include "server_int.h"
#include "start.h"
#include "util/file.h"
#include "util/log.h"

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
        long long sig = pool_srv_req_num(s, b->id, "cancel", "signal");
        if (sig > 0 && sig < 65 && !b->cancel_sig) {
            b->cancel_sig = (int)sig;
            pool_log(s->dir, 0, "batch %s: its client was stopped by signal %lld", b->id, sig);
            if (b->eb && !b->finished)
                engine_batch_cancel(b->eb, (int)sig);
        }
        long long seq = pool_srv_req_num(s, b->id, "hb", "seq");
        if (!pool_watch_feed(&b->hb, seq, now) && !b->client_dead) {
            b->client_dead = 1;
            pool_log(s->dir, 1, "batch %s: its client stopped heartbeating (%s): stopping the "
                     "batch as SIGTERM does (running the same client again resumes it)", b->id,
                     seq < 0 ? "no heartbeat file" : "no change for a while");
            if (b->eb && !b->finished) {
                b->cancel_sig = SIGTERM;
                engine_batch_cancel(b->eb, SIGTERM);
            } else if (!b->eb && !b->finished) {
                pool_srv_ended(s, b, 143);
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
            pool_srv_ended(s, b, b->status);
        else if (b->finished == 2)
            pool_srv_drop(s, b);
        else if (b->state == B_QUEUED && !b->eb && now >= b->restart_at && !s->stopping)
            pool_srv_start_batch(s, b);
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
                pool_srv_drop(s, b);
        }
    if (now >= s->next_scan) {
        if (pool_srv_scan(s))
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
        pool_srv_ended(s, s->batches, s->batches->finished == 1 ? s->batches->status : 3);
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

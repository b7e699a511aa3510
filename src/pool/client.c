/* The pool's client: request, heartbeat, the batch's lines, the reply. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client.h"
#include "dir.h"
#include "run/progress.h"
#include "start.h"

typedef struct cli {
    const char *dir;
    char id[160], host[256];
    char req[4096], hb[4096], cancel[4096], reply[4096], log[4096], out[4096];
    off_t log_off, out_off;
    long long seq;
    run_progress progress; /* the batch's progress line, from the server's counts */
} cli;

/* Copy what was added to path since *off to fd (the progress line erased
 * first). */
static void tail(cli *c, const char *path, off_t *off, int fd)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return;
    char buf[65536];
    ssize_t n;
    while ((n = pread(in, buf, sizeof buf, *off)) > 0) {
        if (c->progress.drawn)
            run_progress_clear(&c->progress);
        ssize_t w = 0;
        while (w < n) {
            ssize_t k = write(fd, buf + w, (size_t)(n - w));
            if (k <= 0)
                break;
            w += k;
        }
        *off += n;
    }
    close(in);
}

static void beat(cli *c)
{
    json_t *j = json_pack("{s:I, s:I}", "seq", (json_int_t)++c->seq, "pid", (json_int_t)getpid());
    if (j)
        pool_json_write(c->hb, j);
    json_decref(j);
}

int pool_client_live_now(const char *dir, char *what, size_t whatsz)
{
    char path[4096], why[256], host[256];
    what[0] = '\0';
    if (pool_path(path, sizeof path, dir, NULL, "server.json") < 0)
        return 0;
    json_t *j = pool_json_read(path, why, sizeof why);
    if (!j)
        return 0;
    const char *st = json_string_value(json_object_get(j, "state"));
    const char *h = json_string_value(json_object_get(j, "host"));
    const char *job = json_string_value(json_object_get(j, "job"));
    long long pid = json_integer_value(json_object_get(j, "pid"));
    pool_hostname(host, sizeof host);
    int r = -1;
    if (!st || !h || strcmp(st, "ended") == 0)
        r = 0;
    else if (strcmp(h, host) == 0)
        r = pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) ? 1 : 0;
    snprintf(what, whatsz, "host %s, pid %lld%s%s, %s", h ? h : "?", pid,
             job && job[0] ? ", job " : "", job ? job : "", st ? st : "?");
    json_decref(j);
    return r;
}

/* No live server: wait for the pool's job, or start one where DIR records
 * how; say so when what we wait for changes. */
static void find_pool(cli *c, char *said, size_t saidsz)
{
    char id[128], sched[16], state[256], line[8192];
    int r = pool_start_latest(c->dir, id, sizeof id, sched, sizeof sched, state, sizeof state);
    if (r < 0)
        snprintf(line, sizeof line, "no pool serves %s: waiting for one ('batchtile pool start "
                 "%s', or 'batchtile pool serve %s' inside an allocation)", c->dir, c->dir, c->dir);
    else if (r > 0)
        snprintf(line, sizeof line, "waiting for the pool's allocation: %s job %s %s", sched, id,
                 state);
    else {
        char lpath[4096], msg[1024], nid[128];
        pool_path(lpath, sizeof lpath, c->dir, NULL, "start.lock");
        int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0 && flock(fd, LOCK_EX) == 0) {
            /* again under the lock: another client may have just started one */
            r = pool_start_latest(c->dir, id, sizeof id, sched, sizeof sched, state,
                                  sizeof state);
            if (r == 0) {
                if (pool_start_submit(c->dir, 0, nid, sizeof nid, msg, sizeof msg) == 0) {
                    pool_start_latest(c->dir, id, sizeof id, sched, sizeof sched, state,
                                      sizeof state);
                    snprintf(line, sizeof line, "no live pool serves %s: started one, %s job %s; "
                             "waiting for the pool's allocation: %s job %s %s", c->dir, sched,
                             nid, sched, nid, state[0] ? state : "submitted");
                }
                else
                    snprintf(line, sizeof line, "no live pool serves %s, and starting one "
                             "failed (trying again): %s", c->dir, msg);
            } else
                snprintf(line, sizeof line, "waiting for the pool's allocation: %s job %s %s",
                         sched, id, state);
        } else
            snprintf(line, sizeof line, "%s: %s", lpath, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (strcmp(line, said) != 0) {
        run_progress_clear(&c->progress);
        fprintf(stderr, "batchtile run: %s\n", line);
        snprintf(said, saidsz, "%s", line);
    }
}

static void cleanup(cli *c)
{
    unlink(c->req);
    unlink(c->hb);
    unlink(c->cancel);
    unlink(c->reply);
    unlink(c->log);
    unlink(c->out);
}

/* The batch's counts in the server's heartbeat j, drawn as run draws them. */
static void draw(cli *c, json_t *j, double elapsed)
{
    json_t *bs = json_object_get(j, "batches");
    for (size_t i = 0; i < json_array_size(bs); i++) {
        json_t *b = json_array_get(bs, i);
        const char *id = json_string_value(json_object_get(b, "id"));
        if (!id || strcmp(id, c->id) != 0)
            continue;
#define N(k) (size_t)json_integer_value(json_object_get(b, k))
        size_t done = N("done"), failed = N("failed");
        if (N("total") > 0)
            run_progress_update(&c->progress, done >= failed ? done - failed : 0, N("running"),
                                failed, N("total"), 0, elapsed, 0);
#undef N
    }
}

int pool_client_run(const char *dir, int argc, char **argv, int progress)
{
    char msg[1024];
    int status;
    if (pool_dir_check(dir, 0, msg, sizeof msg, &status) < 0) {
        fprintf(stderr, "batchtile run: --pool %s\n", msg);
        return status;
    }
    cli C;
    memset(&C, 0, sizeof C);
    cli *c = &C;
    c->dir = dir;
    pool_hostname(c->host, sizeof c->host);
    char hostw[64];
    snprintf(hostw, sizeof hostw, "%.40s", c->host);
    for (char *p = hostw; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    unsigned rnd = 0;
    int ufd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (ufd >= 0) {
        if (read(ufd, &rnd, sizeof rnd) != (ssize_t)sizeof rnd)
            rnd = 0;
        close(ufd);
    }
    snprintf(c->id, sizeof c->id, "%s-%ld-%.0f-%08x", hostw, (long)getpid(), pool_wall(), rnd);
    char name[200];
#define P(field, sub, ext)                                                                     \
    snprintf(name, sizeof name, "%.160s.%s", c->id, ext);                                        \
    pool_path(c->field, sizeof c->field, dir, sub, name)
    P(req, "requests", "json");
    P(hb, "requests", "hb");
    P(cancel, "requests", "cancel");
    P(reply, "replies", "json");
    P(log, "batches", "log");
    P(out, "batches", "out");
#undef P
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "batchtile run: the current directory: %s\n", strerror(errno));
        return 3;
    }
    json_t *av = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(av, json_string(argv[i]));
    json_t *req = json_pack("{s:i, s:s, s:I, s:s, s:o, s:s, s:I, s:f}", "version", 1, "id", c->id,
                            "uid", (json_int_t)geteuid(), "cwd", cwd, "argv", av, "host", c->host,
                            "pid", (json_int_t)getpid(), "created", pool_wall());
    beat(c);
    if (!req || pool_json_write(c->req, req) < 0) {
        fprintf(stderr, "batchtile run: --pool: %s: %s\n", c->req, strerror(errno));
        json_decref(req);
        unlink(c->hb);
        return 3;
    }
    json_decref(req);
    sigset_t mask;
    sigemptyset(&mask);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGXCPU};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&mask, sigs[i]);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    double period = pool_period(), backoff = 0.01, next = pool_now(), stopped_at = 0;
    char last_who[512] = "";
    double t0 = pool_now();
    run_progress_init(&c->progress, progress);
    int got_sig = 0, was_live = 0;
    pool_watch w = {0};
    char said[8192] = "", spath[4096];
    pool_path(spath, sizeof spath, dir, NULL, "server.json");
    for (;;) {
        tail(c, c->log, &c->log_off, 2);
        tail(c, c->out, &c->out_off, 1);
        if (access(c->reply, F_OK) == 0) {
            char why[256];
            json_t *r = pool_json_read(c->reply, why, sizeof why);
            if (r) {
                run_progress_clear(&c->progress);
                tail(c, c->log, &c->log_off, 2);
                tail(c, c->out, &c->out_off, 1);
                status = (int)json_integer_value(json_object_get(r, "status"));
                const char *m = json_string_value(json_object_get(r, "message"));
                if (m)
                    fprintf(stderr, "batchtile run: %s\n", m);
                json_decref(r);
                break;
            }
        }
        double now = pool_now();
        if (now >= next) {
            next = now + period;
            beat(c);
            char what[512], why[128];
            int live = pool_client_live_now(dir, what, sizeof what);
            json_t *j = pool_json_read(spath, why, sizeof why);
            long long seq = j ? (long long)json_integer_value(json_object_get(j, "seq")) : -1;
            if (j && c->progress.enabled)
                draw(c, j, now - t0);
            json_decref(j);
            int watch = pool_watch_feed(&w, seq, now);
            if (live < 0)
                live = watch;
            /* who serves (host, pid, job; the state aside): a successor that
             * took over between two looks is a stop of the one before too */
            char who[512];
            snprintf(who, sizeof who, "%s", what);
            char *st = strrchr(who, ',');
            if (st)
                *st = '\0';
            if (live && was_live && last_who[0] && strcmp(who, last_who) != 0) {
                run_progress_clear(&c->progress);
                fprintf(stderr, "batchtile run: the pool serving %s stopped (%s): the batch "
                        "continues in the next one (%s)\n", dir, last_who, who);
            }
            if (live) {
                was_live = 1;
                said[0] = '\0';
                snprintf(last_who, sizeof last_who, "%s", who);
            } else {
                if (was_live) {
                    run_progress_clear(&c->progress);
                    fprintf(stderr, "batchtile run: the pool serving %s stopped (%s): the batch "
                            "continues in the next one\n", dir, what[0] ? what : "no heartbeat");
                    was_live = 0;
                }
                if (got_sig) { /* nobody to stop the batch: what ran is in its journal */
                    if (now - stopped_at > POOL_DEAD_PERIODS * period) {
                        status = 128 + got_sig;
                        break;
                    }
                } else
                    find_pool(c, said, sizeof said);
            }
        }
        double wait = next - pool_now();
        if (wait > backoff)
            wait = backoff;
        struct pollfd pfd = {.fd = sfd, .events = POLLIN};
        if (poll(&pfd, sfd >= 0 ? 1 : 0, wait > 0 ? (int)(wait * 1000) + 1 : 0) > 0) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (!got_sig) {
                    got_sig = (int)si.ssi_signo;
                    stopped_at = pool_now();
                    json_t *j = json_pack("{s:i}", "signal", got_sig);
                    if (j)
                        pool_json_write(c->cancel, j);
                    json_decref(j);
                }
            }
        }
        backoff = backoff * 1.5 > 0.25 ? 0.25 : backoff * 1.5;
    }
    run_progress_clear(&c->progress);
    if (sfd >= 0)
        close(sfd);
    cleanup(c);
    return status;
}

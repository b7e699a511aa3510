/* A pool request's life: found in DIR/requests, its owner and form
 * checked (another uid's ignored with a line, a malformed one moved aside
 * with its reason), its batch added to the engine with the client's
 * directory and DIR/batches/ID.log, and its reply written whole when the
 * batch ends. Nothing in a request reaches a shell: its words are parsed
 * as `batchtile run`'s. */
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

static void batch_done(engine_batch *eb, int status, void *arg)
{
    (void)eb;
    srv_batch *b = arg;
    b->finished = 1;
    b->status = status;
}

/* Parse the request's argv as `batchtile run` does and add the batch to
 * the engine, in the client's directory, its lines into DIR/batches/ID.log. */
int pool_srv_start_batch(srv *s, srv_batch *b)
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
        pool_srv_ended(s, b, st);
        return 0;
    }
    b->state = B_RUNNING;
    pool_log(s->dir, 0, "batch %s started in %s", b->id, cwd);
    return 0;
}

/* Take the new requests in DIR/requests. 1 when one was taken. */
int pool_srv_scan(srv *s)
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
        if (pool_srv_start_batch(s, b) < 0) {
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

void pool_srv_drop(srv *s, srv_batch *b)
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
void pool_srv_ended(srv *s, srv_batch *b, int st)
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
        pool_srv_drop(s, b);
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
    pool_srv_drop(s, b);
}

long long pool_srv_req_num(srv *s, const char *id, const char *ext, const char *key)
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


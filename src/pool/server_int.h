/* The pool server's state, shared by its two files (internal to pool/):
 * server.c the loop (the engine's timer, heartbeats, the pool's own end),
 * requests.c a request's life (taken, checked, run, replied to). */
#ifndef BATCHTILE_POOL_SERVER_INT_H
#define BATCHTILE_POOL_SERVER_INT_H
#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

#include "dir.h"
#include "engine/engine.h"
#include "server.h"


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

/* Take the new requests in DIR/requests: each checked (owner, form),
 * queued, or moved aside with its reason. 1 when one was taken. */
int pool_srv_scan(srv *s);
/* Parse queued batch b's words as `batchtile run` does and add it to the
 * engine, in the client's directory, its lines into DIR/batches/ID.log. */
int pool_srv_start_batch(srv *s, srv_batch *b);
/* Forget batch b: off the list, its engine batch and log freed. */
void pool_srv_drop(srv *s, srv_batch *b);
/* Batch b ended (or was refused) with status st: its reply, or, when the
 * allocation ends under it, nothing: the next pool takes its request. */
void pool_srv_ended(srv *s, srv_batch *b, int st);
/* A number (key) in request id's file of kind ext (its heartbeat, its
 * cancel), or -1. */
long long pool_srv_req_num(srv *s, const char *id, const char *ext, const char *key);

#endif

/* batchtile pool serve: the server. It takes each request in DIR/requests
 * (a client's `batchtile run` argv, cwd, uid), runs that batch in this
 * allocation, copies its lines into DIR/batches/ID.log and writes its exit
 * status to DIR/replies/ID.json; it heartbeats into DIR/server.json and
 * watches each client's heartbeat (a dead client's batch is stopped as
 * SIGTERM stops a run).
 *
 * Every batch runs in one engine (engine/engine.h): the allocation's cores
 * and GPUs shared between them by the engine's policy (fewest cores held
 * first), never more than the allocation has. The request's argv is
 * parsed by the parser `batchtile run` uses (given as parse: cli/ is
 * above this layer); the allocation's own options in it (--backend,
 * --cores, --gpus, --mpi, --deadline, --end-margin, --grace) are the
 * pool's, not the batch's. */
#ifndef BATCHTILE_POOL_SERVER_H
#define BATCHTILE_POOL_SERVER_H
#include "run/orch.h"

typedef struct pool_serve_opts {
    const char *dir;
    const char *backend; /* given to batches that name none; NULL: theirs */
    double idle_exit;    /* end after this long with no batch; 0 never */
    int renew;           /* queue the successor before the clock ends */
    int cores, gpus;     /* the engine's (0 / -1: detected) */
    /* `batchtile run`'s parser: argv[0] "run"; -1 parsed, else the exit
     * status (its message printed) */
    int (*parse)(int argc, char **argv, run_config *cfg);
} pool_serve_opts;

/* Serve until stopped, idle or the allocation's end. The exit status: 0,
 * 1 refused (a live pool serves DIR, a bad DIR), 3 system error, 128+sig. */
int pool_serve(const pool_serve_opts *o);

#endif

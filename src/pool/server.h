/* batchtile pool serve: the server. It takes each request in DIR/requests
 * (a client's `batchtile run` argv, cwd, uid), runs that batch in this
 * allocation, copies its lines into DIR/batches/ID.log and writes its exit
 * status to DIR/replies/ID.json; it heartbeats into DIR/server.json and
 * watches each client's heartbeat (a dead client's batch is stopped as
 * SIGTERM stops a run).
 *
 * Each batch is, until the engine (issue 21) lands, one `batchtile run`
 * child with the request's argv (execv, no shell) in the request's cwd:
 * local-backend batches share the node's cores through alloc/registry (a
 * batch takes the free cores, waits while none is free), Slurm and Flux
 * batches through their scheduler's steps and jobs. The children get
 * SIGTERM when the server dies (PR_SET_PDEATHSIG): their journals are
 * written, and the successor resumes them. */
#ifndef BATCHTILE_POOL_SERVER_H
#define BATCHTILE_POOL_SERVER_H

typedef struct pool_serve_opts {
    const char *dir;
    const char *self;    /* the batchtile executable, absolute */
    const char *backend; /* given to batches that name none; NULL: theirs */
    double idle_exit;    /* end after this long with no batch; 0 never */
    int renew;           /* queue the successor before the clock ends */
} pool_serve_opts;

/* Serve until stopped, idle or the allocation's end. The exit status: 0,
 * 1 refused (a live pool serves DIR, a bad DIR), 3 system error, 128+sig. */
int pool_serve(const pool_serve_opts *o);

#endif

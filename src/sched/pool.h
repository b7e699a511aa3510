/* The resource pool: nodes x cores x GPUs of an allocation. Placements are
 * exact core and GPU ids; two placements never share one. */
#ifndef BATCHTILE_SCHED_POOL_H
#define BATCHTILE_SCHED_POOL_H
#include <stddef.h>

#include "alloc/resources.h"

typedef struct pool pool;

/* What one evaluation needs. */
typedef struct pool_request {
    int ntasks;         /* -n */
    int cores_per_task; /* -c */
    int gpus_per_task;  /* -g */
    int nodes;          /* -N, 0 = as the pool sees fit */
    int exclusive;      /* whole nodes */
} pool_request;

/* The part of a placement on one node. */
typedef struct pool_slice {
    int node;   /* index into the allocation's nodes */
    int ntasks; /* tasks placed on this node */
    int ncores;
    int *cores; /* core indices on that node */
    int ngpus;
    int *gpus;  /* GPU indices on that node */
} pool_slice;

typedef struct pool_placement {
    int nslices;
    pool_slice *slices;
} pool_placement;

/* A pool over r (which must outlive it). */
pool *pool_new(const alloc_resources *r);
void pool_destroy(pool *p);
/* Whether req fits the allocation at all, even empty; if not, 0 and msg
 * says why ("needs 8 cores, this allocation has 2"). */
int pool_feasible(const pool *p, const pool_request *req, char *msg, size_t msgsz);
/* Take resources for req now: 0 with *out filled, or -1 if it does not fit
 * at the moment. */
int pool_alloc(pool *p, const pool_request *req, pool_placement *out);
/* Give a placement's resources back and free its arrays. */
void pool_release(pool *p, pool_placement *pl);
/* Free a placement's arrays without giving anything back (for copies). */
void pool_placement_free(pool_placement *pl);
/* Mark a node as failed: nothing more is placed on it (what runs there is
 * released as usual). 1 when it was up. */
int pool_node_down(pool *p, int node);
/* How many nodes are not down. */
int pool_nodes_up(const pool *p);
/* Cores and GPUs free now, over all nodes. */
int pool_free_cores(const pool *p);
int pool_free_gpus(const pool *p);

#endif

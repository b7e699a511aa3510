/* The resource pool: nodes x cores x GPUs of an allocation. Placements are
 * exact core and GPU ids; two placements never share one. */
#ifndef BATCHTILE_SCHED_POOL_H
#define BATCHTILE_SCHED_POOL_H
#include <stddef.h>

#include "alloc/resources.h"

typedef struct sched_pool sched_pool;

/* What one evaluation needs. */
typedef struct sched_request {
    int ntasks;         /* -n */
    int cores_per_task; /* -c */
    int gpus_per_task;  /* -g */
    int nodes;          /* -N, 0 = as the pool sees fit */
    int exclusive;      /* whole nodes */
} sched_request;

/* The part of a placement on one node. */
typedef struct sched_slice {
    int node;   /* index into the allocation's nodes */
    int ntasks; /* tasks placed on this node */
    int ncores;
    int *cores; /* core indices on that node */
    int ngpus;
    int *gpus;  /* GPU indices on that node */
} sched_slice;

typedef struct sched_placement {
    int nslices;
    sched_slice *slices;
} sched_placement;

/* A pool over r (which must outlive it). */
sched_pool *sched_pool_new(const alloc_resources *r);
void sched_pool_free(sched_pool *p);
/* Whether req fits the allocation at all, even empty; if not, 0 and msg
 * says why ("needs 8 cores, this allocation has 2"). */
int sched_pool_feasible(const sched_pool *p, const sched_request *req, char *msg, size_t msgsz);
/* Take resources for req now: 0 with *out filled, or -1 if it does not fit
 * at the moment. */
int sched_pool_alloc(sched_pool *p, const sched_request *req, sched_placement *out);
/* Give a placement's resources back and free its arrays. */
void sched_pool_release(sched_pool *p, sched_placement *pl);
/* Free a placement's arrays without giving anything back (for copies). */
void sched_placement_free(sched_placement *pl);
/* Mark a node as failed: nothing more is placed on it (what runs there is
 * released as usual). 1 when it was up. */
int sched_pool_node_down(sched_pool *p, int node);
/* How many nodes are not down. */
int sched_pool_nodes_up(const sched_pool *p);
/* Cores and GPUs free now, over all nodes. */
int sched_pool_free_cores(const sched_pool *p);
int sched_pool_free_gpus(const sched_pool *p);

#endif

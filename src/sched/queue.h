/* The queue policy: first come, first served, with backfill: when the head
 * does not fit, a later entry with a different (smaller) request may start. */
#ifndef BATCHTILE_SCHED_QUEUE_H
#define BATCHTILE_SCHED_QUEUE_H
#include <stddef.h>

#include "pool.h"

typedef struct sched_entry {
    size_t id;                /* the caller's */
    const pool_request *req;
} sched_entry;

typedef struct sched_queue {
    sched_entry *e;
    size_t head, tail, cap; /* live entries are e[head..tail) */
} sched_queue;

/* Append an entry. 0, or -1 on memory. */
int sched_queue_push(sched_queue *q, size_t id, const pool_request *req);
/* Entries waiting. */
size_t sched_queue_len(const sched_queue *q);
/* Find the first entry, in queue order, that the pool can place now: take
 * it out, place it (*out) and return 1 with *id set; 0 when none fits. Only
 * entries whose request differs from every one tried before are tried, so an
 * evaluation-sized queue of identical requests costs one attempt. */
int sched_queue_next(sched_queue *q, pool *p, size_t *id, pool_placement *out);
/* Take the head entry regardless of resources (a backend that places jobs
 * itself); 1 with *id set, 0 when empty. */
int sched_queue_pop(sched_queue *q, size_t *id);
void sched_queue_free(sched_queue *q);

#endif

/* The queue policy: first come, first served, with backfill: when the head
 * does not fit, a later entry with a different (smaller) request may start.
 * Entries are kept in one FIFO per distinct request (a batch has a few: the
 * command line's and its rules'), so that finding the first entry that fits
 * costs one placement attempt per distinct request, whatever the length of
 * the queue. */
#ifndef BATCHTILE_SCHED_QUEUE_H
#define BATCHTILE_SCHED_QUEUE_H
#include <stddef.h>

#include "pool.h"

/* The entries of one request, in queue order. */
typedef struct sched_fifo {
    const sched_request *req;
    size_t *id;               /* the caller's ids */
    unsigned long long *seq;  /* their places in the whole queue */
    size_t head, tail, cap;   /* live entries are [head, tail) */
} sched_fifo;

typedef struct sched_queue {
    sched_fifo *fifo;
    size_t nfifo;
    size_t len;               /* entries waiting, in all */
    unsigned long long seq;   /* the next entry's place */
} sched_queue;

/* Append an entry. 0, or -1 on memory. */
int sched_queue_push(sched_queue *q, size_t id, const sched_request *req);
/* Entries waiting. */
size_t sched_queue_len(const sched_queue *q);
/* Find the first entry, in queue order, that the pool can place now: take
 * it out, place it (*out) and return 1 with *id set; 0 when none fits.
 * Only the first entry of each distinct request is tried: the others need
 * the same and would not fit either. */
int sched_queue_next(sched_queue *q, sched_pool *p, size_t *id, sched_placement *out);
/* Take the head entry regardless of resources (a backend that places jobs
 * itself); 1 with *id set, 0 when empty. */
int sched_queue_pop(sched_queue *q, size_t *id);
void sched_queue_free(sched_queue *q);

#endif

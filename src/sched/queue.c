#include "queue.h"

#include <stdlib.h>
#include <string.h>

int sched_queue_push(sched_queue *q, size_t id, const pool_request *req)
{
    if (q->tail == q->cap) {
        if (q->head > 0 && q->head >= q->cap / 2) {
            /* reuse the consumed front */
            memmove(q->e, q->e + q->head, (q->tail - q->head) * sizeof *q->e);
            q->tail -= q->head;
            q->head = 0;
        } else {
            size_t cap = q->cap ? q->cap * 2 : 256;
            sched_entry *ne = realloc(q->e, cap * sizeof *ne);
            if (!ne)
                return -1;
            q->e = ne;
            q->cap = cap;
        }
    }
    q->e[q->tail].id = id;
    q->e[q->tail].req = req;
    q->tail++;
    return 0;
}

size_t sched_queue_len(const sched_queue *q)
{
    return q->tail - q->head;
}

static int same(const pool_request *a, const pool_request *b)
{
    return a == b || memcmp(a, b, sizeof *a) == 0;
}

int sched_queue_next(sched_queue *q, pool *p, size_t *id, pool_placement *out)
{
    enum { DISTINCT_MAX = 16 };
    const pool_request *tried[DISTINCT_MAX];
    int ntried = 0;
    for (size_t i = q->head; i < q->tail; i++) {
        const pool_request *r = q->e[i].req;
        int seen = 0;
        for (int k = 0; k < ntried && !seen; k++)
            seen = same(tried[k], r);
        if (seen)
            continue; /* the same request did not fit a moment ago */
        if (pool_alloc(p, r, out) == 0) {
            *id = q->e[i].id;
            /* keep the order of the others */
            memmove(q->e + q->head + 1, q->e + q->head, (i - q->head) * sizeof *q->e);
            q->head++;
            return 1;
        }
        if (ntried == DISTINCT_MAX)
            break;
        tried[ntried++] = r;
    }
    return 0;
}

int sched_queue_pop(sched_queue *q, size_t *id)
{
    if (q->head == q->tail)
        return 0;
    *id = q->e[q->head++].id;
    return 1;
}

void sched_queue_free(sched_queue *q)
{
    free(q->e);
    memset(q, 0, sizeof *q);
}

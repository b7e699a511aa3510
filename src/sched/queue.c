#include "queue.h"

#include <stdlib.h>
#include <string.h>

static int same(const sched_request *a, const sched_request *b)
{
    return a == b || memcmp(a, b, sizeof *a) == 0;
}

static int fifo_push(sched_fifo *f, size_t id, unsigned long long seq)
{
    if (f->tail == f->cap) {
        if (f->head > 0 && f->head >= f->cap / 2) {
            /* reuse the consumed front */
            size_t n = f->tail - f->head;
            memmove(f->id, f->id + f->head, n * sizeof *f->id);
            memmove(f->seq, f->seq + f->head, n * sizeof *f->seq);
            f->tail = n;
            f->head = 0;
        } else {
            size_t cap = f->cap ? f->cap * 2 : 256;
            size_t *ni = realloc(f->id, cap * sizeof *ni);
            if (!ni)
                return -1;
            f->id = ni;
            unsigned long long *ns = realloc(f->seq, cap * sizeof *ns);
            if (!ns)
                return -1;
            f->seq = ns;
            f->cap = cap;
        }
    }
    f->id[f->tail] = id;
    f->seq[f->tail] = seq;
    f->tail++;
    return 0;
}

int sched_queue_push(sched_queue *q, size_t id, const sched_request *req)
{
    size_t k;
    for (k = 0; k < q->nfifo; k++)
        if (same(q->fifo[k].req, req))
            break;
    if (k == q->nfifo) {
        sched_fifo *nf = realloc(q->fifo, (q->nfifo + 1) * sizeof *nf);
        if (!nf)
            return -1;
        q->fifo = nf;
        memset(&q->fifo[k], 0, sizeof q->fifo[k]);
        q->fifo[k].req = req;
        q->nfifo++;
    }
    if (fifo_push(&q->fifo[k], id, q->seq) < 0)
        return -1;
    q->seq++;
    q->len++;
    return 0;
}

size_t sched_queue_len(const sched_queue *q)
{
    return q->len;
}

static size_t take(sched_queue *q, sched_fifo *f)
{
    q->len--;
    return f->id[f->head++];
}

int sched_queue_next(sched_queue *q, sched_pool *p, size_t *id, sched_placement *out)
{
    /* the heads, tried in queue order: the first that fits is the first
     * entry of the whole queue that fits */
    enum { TRIED_MAX = 64 };
    unsigned char tried_small[TRIED_MAX] = {0};
    unsigned char *tried = q->nfifo <= TRIED_MAX ? tried_small : calloc(q->nfifo, 1);
    if (!tried)
        return 0;
    int found = 0;
    for (;;) {
        sched_fifo *best = NULL;
        size_t bk = 0;
        for (size_t k = 0; k < q->nfifo; k++) {
            sched_fifo *f = &q->fifo[k];
            if (tried[k] || f->head == f->tail)
                continue;
            if (!best || f->seq[f->head] < best->seq[best->head]) {
                best = f;
                bk = k;
            }
        }
        if (!best)
            break;
        tried[bk] = 1;
        if (sched_pool_alloc(p, best->req, out) == 0) {
            *id = take(q, best);
            found = 1;
            break;
        }
    }
    if (tried != tried_small)
        free(tried);
    return found;
}

int sched_queue_pop(sched_queue *q, size_t *id)
{
    sched_fifo *best = NULL;
    for (size_t k = 0; k < q->nfifo; k++) {
        sched_fifo *f = &q->fifo[k];
        if (f->head < f->tail && (!best || f->seq[f->head] < best->seq[best->head]))
            best = f;
    }
    if (!best)
        return 0;
    *id = take(q, best);
    return 1;
}

void sched_queue_free(sched_queue *q)
{
    for (size_t k = 0; k < q->nfifo; k++) {
        free(q->fifo[k].id);
        free(q->fifo[k].seq);
    }
    free(q->fifo);
    memset(q, 0, sizeof *q);
}

/* The start policy: what starts next, over every batch of the engine.
 *
 * First each batch's submit route: those jobs wait in the scheduler's
 * queue, outside this allocation, so every one waiting is submitted.
 * Then the pool: among the batches that have a waiting evaluation that
 * fits now (not stopping, under their --max-running), the one that holds
 * the fewest cores starts its next (ties: the batch added first); again,
 * until none fits. Within a batch the queue decides (sched/queue.h: its
 * order, first come first served with backfill). So a batch is never
 * starved while it has evaluations that fit, and one batch alone runs
 * exactly as `batchtile run` always has. A batch that did not fit does
 * not fit later in the same round either (starting only takes cores), so
 * each start costs one look at each batch.
 *
 * Nothing starts that its time limit would carry past the allocation's
 * end (minus the margin): the batch whose shortest time limit would is
 * stopped by the clock instead (exit 75). */
#define _GNU_SOURCE
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static void submit_waiting(engine_batch *b)
{
    size_t k = 0;
    while (!b->stopping && k < b->nto_submit)
        engine_submit_eval(b, &b->ev[b->to_submit[k++]]);
    memmove(b->to_submit, b->to_submit + k, (b->nto_submit - k) * sizeof *b->to_submit);
    b->nto_submit -= k;
}

/* May b start one more now (resources aside)? */
static int may_start(const engine_batch *b)
{
    size_t cap = (size_t)b->cfg->max_running;
    return !b->stopping && !b->complete && sched_queue_len(&b->queue) > 0 &&
           (cap == 0 || b->nrunning < cap);
}

/* Start b's next evaluation that fits. 1 when one was taken from its
 * queue (started, or ended at once), 0 when none fits. */
static int start_one(engine_batch *b)
{
    engine *e = b->eng;
    double tl = b->min_tl;
    if (e->stop_at > 0 && tl > 0 && engine_mono() + tl > e->stop_at) {
        char why[200], lim[32];
        engine_fmt_seconds(tl, lim, sizeof lim);
        snprintf(why, sizeof why, "the allocation ends in %.0f s, before -t %s would",
                 e->ends_at - engine_wall(), lim);
        engine_clock_stop(b, 0, why);
        return 0;
    }
    size_t id;
    sched_placement pl = {0, NULL};
    if (e->be->places_itself) {
        /* the scheduler under us places: hand it everything at once */
        if (!sched_queue_pop(&b->queue, &id))
            return 0;
    } else if (!sched_queue_next(&b->queue, e->pool, &id, &pl)) {
        return 0;
    }
    engine_start_eval(b, &b->ev[id], &pl);
    return 1;
}

void engine_schedule(engine *e)
{
    for (size_t i = 0; i < e->nbatches; i++)
        if (!e->batches[i]->stopping)
            submit_waiting(e->batches[i]);
    size_t n = e->nbatches;
    if (n == 1) { /* `batchtile run`: no choice to make */
        while (may_start(e->batches[0]) && start_one(e->batches[0]))
            ;
        return;
    }
    char small[64], *tried = n <= sizeof small ? small : calloc(n, 1);
    if (!tried)
        return;
    memset(tried, 0, n);
    for (;;) {
        engine_batch *best = NULL;
        size_t bi = 0;
        for (size_t i = 0; i < n && i < e->nbatches; i++) {
            engine_batch *b = e->batches[i];
            if (tried[i] || !may_start(b))
                continue;
            if (!best || b->cores_busy < best->cores_busy) {
                best = b;
                bi = i;
            }
        }
        if (!best)
            break;
        if (!start_one(best))
            tried[bi] = 1;
    }
    if (tried != small)
        free(tried);
}

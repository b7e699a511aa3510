#define _GNU_SOURCE
#include "prestage.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/tmpl.h"

/* an item's state */
enum { PS_NONE, PS_BUSY, PS_READY, PS_FAILED, PS_CLAIMED };

struct run_prestage {
    const run_batch *b;
    const run_layout *l;
    const run_template *t;
    int follow;
    const size_t *order;
    size_t n, window;
    _Atomic uint8_t *state; /* per item */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the helper waits for room; the loop for a busy item */
    size_t ready_untaken;   /* prepared and not taken yet: at most window */
    size_t prepared, taken;
    int stop;
};

static int prepare(run_prestage *p, const run_item *it)
{
    char msg[PATH_MAX + 256], rpath[PATH_MAX];
    if (run_workdir_write_params(p->l, it->eval, it->text, it->len, p->t, p->follow, msg,
                                 sizeof msg) < 0)
        return -1;
    if (run_workdir_file(p->l, it->eval, p->l->results_file, rpath, sizeof rpath) < 0)
        return -1;
    /* a results file from an earlier attempt or run must not pass for this one's */
    if (unlink(rpath) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

static void *helper(void *arg)
{
    run_prestage *p = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the loop's */
    for (size_t k = 0; k < p->n; k++) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->ready_untaken >= p->window)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        size_t i = p->order[k];
        uint8_t expect = PS_NONE;
        if (!atomic_compare_exchange_strong(&p->state[i], &expect, PS_BUSY))
            continue; /* the loop got there first */
        int ok = prepare(p, &p->b->items[i]) == 0;
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->state[i], ok ? PS_READY : PS_FAILED);
        if (ok) {
            p->ready_untaken++;
            p->prepared++;
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

run_prestage *run_prestage_new(const run_batch *b, const run_layout *l, const run_template *t,
                               int follow_links, const size_t *order, size_t n, size_t window)
{
    run_prestage *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->state = calloc(b->n ? b->n : 1, sizeof *p->state);
    if (!p->state) {
        free(p);
        return NULL;
    }
    p->b = b;
    p->l = l;
    p->t = t;
    p->follow = follow_links;
    p->order = order;
    p->n = n;
    p->window = window ? window : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, helper, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p->state);
        free(p);
        return NULL;
    }
    return p;
}

int run_prestage_take(run_prestage *p, size_t i)
{
    if (!p)
        return 0;
    uint8_t expect = PS_NONE;
    if (atomic_compare_exchange_strong(&p->state[i], &expect, PS_CLAIMED))
        return 0; /* not reached: the caller prepares it, the helper skips it */
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->state[i]) == PS_BUSY)
        pthread_cond_wait(&p->cv, &p->mu);
    int ready = atomic_load(&p->state[i]) == PS_READY;
    atomic_store(&p->state[i], PS_CLAIMED); /* a retry is prepared by the caller */
    if (ready) {
        p->ready_untaken--;
        p->taken++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return ready;
}

void run_prestage_stats(run_prestage *p, size_t *prepared, size_t *taken)
{
    *prepared = *taken = 0;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    *prepared = p->prepared;
    *taken = p->taken;
    pthread_mutex_unlock(&p->mu);
}

void run_prestage_free(run_prestage *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->state);
    free(p);
}

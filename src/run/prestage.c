#define _GNU_SOURCE
#include "prestage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/file.h"
#include "util/thread.h"
#include "util/tmpl.h"

/* an item's state */
enum { PS_NONE, PS_BUSY, PS_READY, PS_FAILED, PS_CLAIMED };

struct run_prestage {
    const run_batch *b;
    const run_layout *l;
    const run_template *t;
    const char *out_name, *err_name; /* --stdout, --stderr ({eval}) */
    int follow;
    const size_t *order;
    size_t n, window;
    _Atomic uint8_t *state; /* per item */
    pthread_t *threads;     /* helpers: a filesystem's latency overlaps across them */
    struct helper_arg *args;
    int nthreads;
    int active;             /* helpers at work; the others parked (see helpers_needed) */
    double latency;         /* seconds one item takes to prepare, a moving average */
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the loop waits for a busy item */
    pthread_cond_t room;    /* a helper waits for room (called at half the window) */
    pthread_cond_t park;    /* a helper beyond active waits for the latency to call it */
    size_t next;            /* the next position in order to prepare */
    size_t ready_untaken;   /* prepared (or being prepared) and not taken yet: at most window */
    size_t prepared, taken;
    int stop;
};

static int prepare(run_prestage *p, const run_item *it)
{
    char msg[PATH_MAX + 256], rpath[PATH_MAX], dir[PATH_MAX], name[PATH_MAX];
    if (run_item_write_params(p->b, it, p->l, p->t, p->follow, msg, sizeof msg) < 0)
        return -1;
    if (run_workdir_file(p->l, it->eval, p->l->results_file, rpath, sizeof rpath) < 0)
        return -1;
    /* a results file from an earlier attempt or run must not pass for this one's */
    if (unlink(rpath) < 0 && errno != ENOENT)
        return -1;
    /* stdout and stderr, fresh (a link there replaced, never followed): the
     * child opens them itself (absolute names are the loop's to open) */
    if (p->out_name[0] == '/' || p->err_name[0] == '/')
        return 0;
    if (run_workdir_path(p->l, it->eval, dir, sizeof dir) < 0)
        return -1;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (p->follow ? 0 : O_NOFOLLOW));
    if (dfd < 0)
        return -1;
    const char *names[] = {p->out_name, p->err_name};
    for (int k = 0; k < 2; k++) {
        int fd = -1;
        if (ut_tmpl_expand(names[k], it->eval, name, sizeof name) < 0 ||
            (fd = ut_open_nofollow(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
            close(dfd);
            return -1;
        }
        close(fd);
    }
    close(dfd);
    return 0;
}

typedef struct helper_arg {
    run_prestage *p;
    int k; /* which helper: at work while k < active */
} helper_arg;

/* How many helpers the measured latency needs: one helper prepares 1/L
 * items a second, and the loop starts at most about PRESTAGE_RATE a second
 * (a bare posix_spawn loop on a small node); so L x PRESTAGE_RATE of them
 * keep up. On a local filesystem (L of tens of microseconds) that is one:
 * more would only contend with the loop for the cores (and be woken for
 * nothing); with a 20 ms mkdir, every helper there is. */
#define PRESTAGE_RATE 2000.0
static int helpers_needed(const run_prestage *p)
{
    double want = p->latency * PRESTAGE_RATE;
    if (!(want < (double)p->nthreads))
        return p->nthreads;
    int n = (int)want + 1;
    return n < 1 ? 1 : n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *helper(void *arg)
{
    helper_arg *ha = arg;
    run_prestage *p = ha->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->stop || p->next >= p->n)
            break;
        if (ha->k >= p->active) { /* parked until the latency calls for it */
            pthread_cond_wait(&p->park, &p->mu);
            continue;
        }
        if (p->ready_untaken >= p->window) { /* no room */
            pthread_cond_wait(&p->room, &p->mu);
            continue;
        }
        size_t i = p->order[p->next++];
        uint8_t expect = PS_NONE;
        if (!atomic_compare_exchange_strong(&p->state[i], &expect, PS_BUSY))
            continue; /* the loop got there first */
        p->ready_untaken++; /* its room is taken while it is prepared */
        pthread_mutex_unlock(&p->mu);
        double t0 = now_s();
        int ok = prepare(p, &p->b->items[i]) == 0;
        double dt = now_s() - t0;
        pthread_mutex_lock(&p->mu);
        p->latency = p->latency > 0 ? 0.8 * p->latency + 0.2 * dt : dt;
        int want = helpers_needed(p);
        if (want > p->active) {
            p->active = want; /* never fewer: a slow filesystem stays slow */
            pthread_cond_broadcast(&p->park);
        }
        atomic_store(&p->state[i], ok ? PS_READY : PS_FAILED);
        if (ok)
            p->prepared++;
        else
            p->ready_untaken--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

run_prestage *run_prestage_new(const run_batch *b, const run_layout *l, const run_template *t,
                               const char *out_name, const char *err_name, int follow_links,
                               const size_t *order, size_t n, size_t window, int nthreads)
{
    run_prestage *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->state = calloc(b->n ? b->n : 1, sizeof *p->state);
    p->threads = calloc(nthreads > 0 ? (size_t)nthreads : 1, sizeof *p->threads);
    p->args = calloc(nthreads > 0 ? (size_t)nthreads : 1, sizeof *p->args);
    if (!p->state || !p->threads || !p->args) {
        free(p->state);
        free(p->threads);
        free(p->args);
        free(p);
        return NULL;
    }
    p->b = b;
    p->l = l;
    p->t = t;
    p->out_name = out_name;
    p->err_name = err_name;
    p->follow = follow_links;
    p->order = order;
    p->n = n;
    p->window = window ? window : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->room, NULL);
    pthread_cond_init(&p->park, NULL);
    p->active = 1; /* until a prepared item says how long one takes */
    pthread_mutex_lock(&p->mu);
    for (int k = 0; k < (nthreads > 0 ? nthreads : 1); k++) {
        p->args[k] = (helper_arg){p, k};
        if (ut_thread_start(&p->threads[k], helper, &p->args[k]) != 0)
            break;
        p->nthreads++;
    }
    pthread_mutex_unlock(&p->mu);
    if (p->nthreads == 0) {
        run_prestage_free(p);
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
    if (atomic_load(&p->state[i]) == PS_CLAIMED) {
        pthread_mutex_unlock(&p->mu); /* taken before: a retry */
        return 0;
    }
    atomic_store(&p->state[i], PS_CLAIMED); /* a retry is prepared by the caller */
    if (ready) {
        p->ready_untaken--;
        p->taken++;
        /* the helpers are called back when half the window is free, not at
         * every take: one wake-up prepares half a window */
        if (p->ready_untaken <= p->window / 2)
            pthread_cond_broadcast(&p->room);
    }
    pthread_mutex_unlock(&p->mu);
    return ready;
}

void run_prestage_stats(run_prestage *p, size_t *prepared, size_t *taken, int *active)
{
    *prepared = *taken = 0;
    *active = 0;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    *prepared = p->prepared;
    *taken = p->taken;
    *active = p->active;
    pthread_mutex_unlock(&p->mu);
}

void run_prestage_free(run_prestage *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_cond_broadcast(&p->room);
    pthread_cond_broadcast(&p->park);
    pthread_mutex_unlock(&p->mu);
    for (int k = 0; k < p->nthreads; k++)
        pthread_join(p->threads[k], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->park);
    free(p->threads);
    free(p->args);
    free(p->state);
    free(p);
}

/* The allocation: what it offers (probed, or given by a test), the cores
 * it claims in the registry, the pool, the backend, the watchdog and the
 * clock (its end, the margin before it), the running set every batch
 * shares, placements cooling before they go back, timers; its public
 * accessors. Nothing here decides what starts or stops. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc/detect.h"
#include "alloc/registry.h"
#include "launch/tree.h"
#include "util/clock.h"
#include "util/log.h"

double engine_mono(void)
{
    return ut_clock_mono();
}

double engine_wall(void)
{
    return ut_clock_wall();
}

void engine_fmt_seconds(double s, char *out, size_t outsz)
{
    if (s == floor(s))
        snprintf(out, outsz, "%.0fs", s);
    else
        snprintf(out, outsz, "%.3gs", s);
}

const char *engine_signame(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

engine *engine_open(const engine_config *cfg, int claim, int *status, char *msg, size_t msgsz)
{
    engine *e = calloc(1, sizeof *e);
    *status = 3;
    if (!e) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->log = cfg->log;
    e->bfd = -1;
    e->stop_sig = -1;
    if (cfg->res) {
        e->res = *cfg->res; /* the test's: not ours to free */
        e->backend = e->res.backend ? e->res.backend : "local";
    } else {
        e->backend = alloc_backend_choose(cfg->backend ? cfg->backend : "auto");
        if (alloc_detect(e->backend, cfg->cores, cfg->gpus, &e->res, msg, msgsz) < 0) {
            free(e);
            return NULL;
        }
        e->have_res = 1;
    }
    /* block the signals the loop reads from its signalfd, before any child
     * and before a wait for another driver's cores, which they end */
    sigset_t mask;
    run_signal_mask(&mask);
    sigprocmask(SIG_BLOCK, &mask, &e->oldmask);
    e->have_oldmask = 1;
    signal(SIGPIPE, SIG_IGN);
    /* another driver of this allocation on this node: only its free cores */
    if (claim && !cfg->res && cfg->cores <= 0 && strcmp(e->backend, "local") == 0) {
        if (alloc_registry_claim(&e->reg, &e->res, &mask, msg, msgsz) < 0) {
            engine_free(e);
            return NULL;
        }
        e->claimed = 1;
    }
    if (e->res.oversubscribed && claim)
        ut_log(e->log, "--cores %d: more than the %d cores this process may use; they will be "
               "shared", cfg->cores, e->res.oversubscribed);
    if (!(e->pool = sched_pool_new(&e->res))) {
        snprintf(msg, msgsz, "out of memory");
        engine_free(e);
        return NULL;
    }
    if (!(e->rx = engine_reactor_new())) {
        snprintf(msg, msgsz, "cannot set up the event loop: %s", strerror(errno));
        engine_free(e);
        return NULL;
    }
    *status = 0;
    return e;
}

int engine_start(engine *e, const engine_shape *need, char *msg, size_t msgsz)
{
    const engine_config *c = &e->cfg;
    if (e->started) {
        /* a later batch (a pool's) of more tasks than the backend was made
         * for: its MPI launcher checked now, the batch refused as run would
         * refuse it when there is none */
        if (need->ntasks <= e->ntasks_ready)
            return 0;
        launch_options lo = {c->mpi ? c->mpi : "auto", need->ntasks, c->grace, need->nodes,
                             need->cores, e->have_tree ? &e->tree : NULL};
        if (e->be->ops->prepare && e->be->ops->prepare(e->be, &lo, msg, msgsz) < 0) {
            errno = 0;
            return -1;
        }
        e->ntasks_ready = need->ntasks;
        return 0;
    }
    /* every process of this run carries its token; the watchdog kills them
     * all should we die */
    if (!c->backend_new) {
        e->have_tree = 1;
        if (launch_tree_init(&e->tree, e->token, sizeof e->token) < 0)
            ut_log(e->log, "no watchdog (%s): should batchtile be killed, its evaluations may "
                   "survive it", strerror(errno));
    }
    launch_options lo = {c->mpi ? c->mpi : "auto",
                         need->ntasks > c->ntasks_max ? need->ntasks : c->ntasks_max,
                         c->grace,
                         need->nodes,
                         need->cores,
                         e->have_tree ? &e->tree : NULL};
    if (lo.ntasks < 1)
        lo.ntasks = 1;
    e->ntasks_ready = lo.ntasks;
    /* --launch: one agent per node for what fits on one (the default), or a
     * step / Flux job each */
    const char *how = c->launch ? c->launch : "auto";
    errno = 0;
    if (c->backend_new)
        e->be = c->backend_new(&e->res, c->backend_arg);
    else if (strcmp(e->backend, "local") == 0)
        e->be = launch_local_new(&e->res, &lo, msg, msgsz);
    else if (strcmp(how, "steps") != 0)
        e->be = launch_agent_new(&e->res, &lo, strcmp(how, "agents") == 0, msg, msgsz);
    else if (strcmp(e->backend, "slurm") == 0)
        e->be = launch_slurm_new(&e->res, &lo, msg, msgsz);
    else if (strcmp(e->backend, "flux") == 0)
        e->be = launch_flux_new(&e->res, &lo, msg, msgsz);
    if (!e->be) {
        if (c->backend_new)
            snprintf(msg, msgsz, "the backend could not be made");
        return -1;
    }
    e->be->done = engine_on_done;
    e->be->done_arg = e;
    /* the allocation's clock: its end from the scheduler, or --deadline */
    e->ends_at = e->res.ends_at;
    if (c->deadline > 0 && (e->ends_at <= 0 || c->deadline < e->ends_at))
        e->ends_at = c->deadline;
    if (e->ends_at > 0) {
        double left = e->ends_at - engine_wall();
        e->margin = c->end_margin >= 0 ? c->end_margin : fmin(60, fmax(10, 0.05 * left));
        e->stop_at = engine_mono() + left - e->margin;
        if (e->stop_at <= engine_mono() + 0.001)
            e->stop_at = engine_mono() + 0.001;
    }
    e->started = 1;
    return 0;
}

engine *engine_new(const engine_config *cfg, int *status, char *msg, size_t msgsz)
{
    engine *e = engine_open(cfg, 1, status, msg, msgsz);
    engine_shape need = {cfg->ntasks_max, 0, 0};
    if (e && engine_start(e, &need, msg, msgsz) < 0) {
        *status = 3;
        engine_free(e);
        return NULL;
    }
    return e;
}

void engine_free(engine *e)
{
    if (!e)
        return;
    if (e->nbatches && e->started) {
        /* what still runs stops as on SIGTERM, and its batch ends */
        engine_stop(e, SIGTERM);
        engine_run(e);
    }
    while (e->nbatches) {
        /* never started: ended as refused */
        engine_batch *b = e->batches[0];
        engine_batch_detach(e, b);
    }
    free(e->batches);
    free(e->running);
    for (size_t i = 0; i < e->ncooling; i++)
        sched_placement_free(&e->cooling[i].place);
    free(e->cooling);
    free(e->timers);
    if (e->be)
        e->be->ops->destroy(e->be);
    if (e->have_tree)
        launch_tree_free(&e->tree);
    if (e->claimed)
        alloc_registry_release(&e->reg);
    sched_pool_free(e->pool);
    if (e->have_res)
        alloc_resources_free(&e->res);
    engine_reactor_free(e->rx);
    if (e->have_oldmask)
        sigprocmask(SIG_SETMASK, &e->oldmask, NULL);
    free(e);
}

int engine_running_add(engine *e, ev_state *ev)
{
    if (e->nrunning == e->caprunning) {
        size_t cap = e->caprunning ? e->caprunning * 2 : 64;
        ev_state **nr = realloc(e->running, cap * sizeof *nr);
        if (!nr)
            return -1;
        e->running = nr;
        e->caprunning = cap;
    }
    ev->run->slot = e->nrunning;
    e->running[e->nrunning++] = ev;
    engine_batch *b = ev->run->b;
    b->nrunning++;
    for (int i = 0; i < ev->run->place.nslices; i++) {
        b->cores_busy += ev->run->place.slices[i].ncores;
        b->gpus_busy += ev->run->place.slices[i].ngpus;
    }
    return 0;
}

void engine_running_remove(engine *e, ev_state *ev)
{
    size_t k = ev->run->slot;
    if (k >= e->nrunning || e->running[k] != ev)
        return;
    e->running[k] = e->running[--e->nrunning];
    e->running[k]->run->slot = k;
    engine_batch *b = ev->run->b;
    b->nrunning--;
    for (int i = 0; i < ev->run->place.nslices; i++) {
        b->cores_busy -= ev->run->place.slices[i].ncores;
        b->gpus_busy -= ev->run->place.slices[i].ngpus;
    }
}

void engine_release_later(engine *e, sched_placement *pl)
{
    double delay = e->be ? e->be->release_delay : 0;
    if (delay <= 0 || pl->nslices == 0) {
        sched_pool_release(e->pool, pl);
        return;
    }
    if (e->ncooling == e->capcooling) {
        size_t cap = e->capcooling ? e->capcooling * 2 : 64;
        engine_cooling *nc = realloc(e->cooling, cap * sizeof *nc);
        if (!nc) {
            sched_pool_release(e->pool, pl);
            return;
        }
        e->cooling = nc;
        e->capcooling = cap;
    }
    e->cooling[e->ncooling].place = *pl;
    e->cooling[e->ncooling].due = engine_mono() + delay;
    e->ncooling++;
    pl->slices = NULL;
    pl->nslices = 0;
}

void engine_release_due(engine *e, double now)
{
    for (size_t i = 0; i < e->ncooling;) {
        if (e->cooling[i].due <= now) {
            sched_pool_release(e->pool, &e->cooling[i].place);
            e->cooling[i] = e->cooling[--e->ncooling];
        } else {
            i++;
        }
    }
}

void engine_get_info(const engine *e, engine_info *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < e->res.nnodes; i++) {
        out->cores += e->res.nodes[i].ncores;
        out->gpus += e->res.nodes[i].ngpus;
    }
    for (size_t i = 0; i < e->nrunning; i++) {
        const sched_placement *pl = &e->running[i]->run->place;
        for (int k = 0; k < pl->nslices; k++) {
            out->cores_busy += pl->slices[k].ncores;
            out->gpus_busy += pl->slices[k].ngpus;
        }
    }
    out->nodes = e->res.nnodes;
    out->nodes_up = e->pool ? sched_pool_nodes_up(e->pool) : 0;
    out->ends_at = e->ends_at;
    out->stopping = e->stopping;
}

const alloc_resources *engine_resources(const engine *e)
{
    return &e->res;
}

/* A caller's timer is due: its function, and gone when it was once. */
static void timer_fire(engine_reactor *r, int id, void *arg)
{
    (void)r;
    engine *e = arg;
    for (size_t i = 0; i < e->ntimers; i++) {
        if (e->timers[i].id != id)
            continue;
        engine_timer t = e->timers[i];
        if (t.once) {
            memmove(&e->timers[i], &e->timers[i + 1], (e->ntimers - i - 1) * sizeof *e->timers);
            e->ntimers--;
        }
        t.fn(e, t.arg); /* may add or remove timers */
        return;
    }
}

int engine_timer_add(engine *e, double after, double every, engine_timer_fn fn, void *arg)
{
    if (!fn)
        return -1;
    if (e->ntimers == e->captimers) {
        size_t cap = e->captimers ? e->captimers * 2 : 8;
        engine_timer *nt = realloc(e->timers, cap * sizeof *nt);
        if (!nt)
            return -1;
        e->timers = nt;
        e->captimers = cap;
    }
    int id = engine_reactor_timer_add(e->rx, after > 0 ? after : 0, every > 0 ? every : 0,
                                      timer_fire, e);
    if (id < 0)
        return -1;
    e->timers[e->ntimers++] = (engine_timer){id, !(every > 0), fn, arg};
    return id;
}

void engine_timer_remove(engine *e, int id)
{
    for (size_t i = 0; i < e->ntimers; i++)
        if (e->timers[i].id == id) {
            engine_reactor_timer_remove(e->rx, id);
            memmove(&e->timers[i], &e->timers[i + 1], (e->ntimers - i - 1) * sizeof *e->timers);
            e->ntimers--;
            return;
        }
}

void engine_quit(engine *e)
{
    e->quit = 1;
}

void engine_stop(engine *e, int sig)
{
    e->stopping = 1;
    if (sig > 0)
        e->stop_sig = sig; /* applied by the loop */
}

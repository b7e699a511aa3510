/* The loop: waits (the reactor: the signals, the backend's fd, the
 * caller's timers; at most until the engine's next deadline) and
 * dispatches (signals, completions, time limits, submitted jobs, the
 * clock), then lets the start policy start what
 * fits and applies the stops asked for; a batch that is idle is ended
 * here. No policy of its own. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void engine_draw_progress(engine_batch *b, int force)
{
    double mean = b->runtime_n ? b->runtime_sum / (double)b->runtime_n : 0;
    run_progress_update(&b->progress, b->ndone - b->nfailed, b->nrunning + b->nsubs, b->nfailed,
                        b->in.n, mean, engine_mono() - b->t_start_mono, force);
}

/* Seconds until the engine's next deadline (time limits, kills, submitted
 * jobs' poll, the clock, cooling placements, progress); the reactor adds
 * the caller's timers. */
static double next_timeout(engine *e, double now)
{
    double next = now + 3600;
    for (size_t i = 0; i < e->nrunning; i++) {
        const ev_run *r = e->running[i]->run;
        if (r->kill_stage == 0 && r->deadline > 0 && r->deadline < next)
            next = r->deadline;
        if (r->kill_stage == 1 && r->kill_at < next)
            next = r->kill_at;
    }
    int clock = 0;
    for (size_t i = 0; i < e->nbatches; i++) {
        const engine_batch *b = e->batches[i];
        clock |= !b->clock_killed;
        if (b->nsubs && b->next_poll < next)
            next = b->next_poll;
        double pr = run_progress_next(&b->progress);
        if (pr > 0 && pr < next)
            next = pr;
    }
    if (e->stop_at > 0 && clock && e->stop_at < next)
        next = e->stop_at;
    for (size_t i = 0; i < e->ncooling; i++)
        if (e->cooling[i].due < next)
            next = e->cooling[i].due;
    double t = next - now;
    return t < 0 ? 0 : t > 3600 ? 3600 : t;
}

/* A signal read from the reactor's signalfd. */
static void on_signal(engine_reactor *r, const struct signalfd_siginfo *si, void *arg)
{
    (void)r;
    engine *e = arg;
    int sig = (int)si->ssi_signo;
    if (sig == SIGCHLD) {
        e->chld = 1; /* reaped once, after the dispatch */
    } else if (sig == SIGWINCH) {
        for (size_t i = 0; i < e->nbatches; i++)
            engine_draw_progress(e->batches[i], 1);
    } else {
        engine_on_signal(e, sig);
    }
}

/* The backend's fd is ready: read after the dispatch (as on every turn). */
static void on_backend_fd(engine_reactor *r, int fd, int revents, void *arg)
{
    (void)r, (void)fd, (void)revents, (void)arg;
}

static int loop_setup(engine *e)
{
    if (e->loop_ready && (e->bfd >= 0 || !e->be || e->be->ops->fd(e->be) < 0))
        return 0;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGWINCH);
    if (e->cfg.signals)
        run_signal_mask(&mask);
    if (engine_reactor_signals(e->rx, &mask, on_signal, e) < 0)
        return -1;
    e->loop_ready = 1;
    int fd = e->be ? e->be->ops->fd(e->be) : -1;
    if (fd >= 0 && engine_reactor_fd_add(e->rx, fd, ENGINE_REACTOR_READ, on_backend_fd, e) < 0)
        return -1;
    e->bfd = fd;
    return 0;
}

/* Wait for the next event (at most timeout seconds) and dispatch it: the
 * reactor's watchers, then what the backend has to report. */
static int wait_and_dispatch(engine *e, double timeout)
{
    int n = engine_reactor_run_once(e->rx, timeout);
    if (n < 0 && errno != EDEADLK)
        return -1;
    if (e->be && (e->chld || e->bfd >= 0)) {
        e->chld = 0;
        e->be->ops->process(e->be);
    }
    return 0;
}

/* End every batch that is idle (its done callback may add or cancel). */
static void end_idle(engine *e)
{
    for (size_t i = 0; i < e->nbatches;) {
        engine_batch *b = e->batches[i];
        if (engine_batch_idle(b)) {
            engine_batch_end(b); /* detaches it */
            i = 0;
            continue;
        }
        /* cannot happen after sched_pool_feasible; never wait forever on it */
        if (e->nrunning == 0 && e->ncooling == 0 && b->nsubs == 0 && !b->stopping) {
            engine_log(b, "internal error: %zu evaluations wait and none can start",
                       sched_queue_len(&b->queue));
            b->stopping = SIGABRT;
            continue;
        }
        i++;
    }
}

int engine_run(engine *e)
{
    if (loop_setup(e) < 0) {
        ut_log(e->log, "cannot set up the event loop: %s", strerror(errno));
        for (size_t i = 0; i < e->nbatches; i++)
            if (!e->batches[i]->stopping)
                e->batches[i]->stopping = SIGABRT;
        while (e->nbatches)
            engine_batch_end(e->batches[0]);
        return 3;
    }
    /* a signal that came while we set up (they are blocked from main on)
     * is acted on before anything starts */
    int status = wait_and_dispatch(e, 0) < 0 ? 3 : 0;
    while (!status) {
        engine_apply_stops(e);
        engine_release_due(e, engine_mono());
        engine_schedule(e);
        engine_apply_stops(e);
        end_idle(e);
        if (e->nbatches == 0 && (e->quit || e->ntimers == 0))
            break;
        double timeout = next_timeout(e, engine_mono());
        if (e->bfd >= 0 && e->nrunning > 0 && timeout > 0.1)
            timeout = 0.1; /* an edge-triggered fd: look again now and then */
        if (wait_and_dispatch(e, timeout) < 0) {
            ut_log(e->log, "epoll_wait: %s", strerror(errno));
            status = 3;
            break;
        }
        engine_apply_stops(e);
        double now = engine_mono();
        engine_check_timers(e, now);
        for (size_t i = 0; i < e->nbatches; i++)
            engine_poll_submitted(e->batches[i], now);
        engine_check_clock(e, now);
        for (size_t i = 0; i < e->nbatches; i++)
            if (run_journal_error(e->batches[i]->journal))
                engine_journal_fault(e->batches[i]);
        for (size_t i = 0; i < e->nbatches; i++)
            engine_draw_progress(e->batches[i], 0);
    }
    e->quit = 0;
    return status ? status : e->sys_error ? 3 : 0;
}

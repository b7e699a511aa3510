/* The loop: waits (the signalfd, the backend's fd, the next timer) and
 * dispatches (signals, completions, time limits, submitted jobs, the
 * clock, the caller's timers), then lets the start policy start what
 * fits and applies the stops asked for; a batch that is idle is ended
 * here. No policy of its own. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/log.h"

void engine_draw_progress(engine_batch *b, int force)
{
    double mean = b->runtime_n ? b->runtime_sum / (double)b->runtime_n : 0;
    run_progress_update(&b->progress, b->ndone - b->nfailed, b->nrunning + b->nsubs, b->nfailed,
                        b->in.n, mean, engine_mono() - b->t_start_mono, force);
}

/* Milliseconds until the next timer (deadline, kill, submitted jobs'
 * poll, the clock, cooling placements, progress, the caller's timers). */
static int next_timeout(engine *e, double now)
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
    for (size_t i = 0; i < e->ntimers; i++)
        if (e->timers[i].due < next)
            next = e->timers[i].due;
    double ms = (next - now) * 1000.0;
    return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ceil(ms);
}

/* Act on the signals waiting in the signalfd. */
static void read_signals(engine *e)
{
    struct signalfd_siginfo si;
    int chld = 0;
    while (read(e->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            chld = 1;
        } else if (sig == SIGWINCH) {
            for (size_t i = 0; i < e->nbatches; i++)
                engine_draw_progress(e->batches[i], 1);
        } else {
            engine_on_signal(e, sig);
        }
    }
    if (chld && e->be)
        e->be->ops->process(e->be);
}

/* The caller's timers that are due, each once. */
static void fire_timers(engine *e, double now)
{
    int due[16];
    size_t n = 0;
    for (size_t i = 0; i < e->ntimers && n < sizeof due / sizeof due[0]; i++)
        if (e->timers[i].due <= now)
            due[n++] = e->timers[i].id;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < e->ntimers; i++) {
            engine_timer *t = &e->timers[i];
            if (t->id != due[k])
                continue;
            engine_timer_fn fn = t->fn;
            void *arg = t->arg;
            if (t->every > 0)
                t->due = now + t->every;
            else
                engine_timer_remove(e, t->id);
            fn(e, arg); /* may add or remove timers */
            break;
        }
    }
}

static int loop_setup(engine *e)
{
    if (e->sfd >= 0)
        return 0;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGWINCH);
    if (e->cfg.signals)
        run_signal_mask(&mask);
    e->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    e->ep = epoll_create1(EPOLL_CLOEXEC);
    if (e->sfd < 0 || e->ep < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->sfd};
    epoll_ctl(e->ep, EPOLL_CTL_ADD, e->sfd, &ev);
    e->bfd = e->be ? e->be->ops->fd(e->be) : -1;
    if (e->bfd >= 0) {
        ev.data.fd = e->bfd;
        epoll_ctl(e->ep, EPOLL_CTL_ADD, e->bfd, &ev);
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
    read_signals(e);
    int status = 0;
    for (;;) {
        engine_apply_stops(e);
        engine_release_due(e, engine_mono());
        engine_schedule(e);
        engine_apply_stops(e);
        end_idle(e);
        if (e->nbatches == 0 && (e->quit || e->ntimers == 0))
            break;
        double now = engine_mono();
        struct epoll_event evs[8];
        int timeout = next_timeout(e, now);
        if (e->bfd >= 0 && e->nrunning > 0 && timeout > 100)
            timeout = 100; /* an edge-triggered fd: look again now and then */
        int n = epoll_wait(e->ep, evs, 8, timeout);
        if (n < 0 && errno != EINTR) {
            ut_log(e->log, "epoll_wait: %s", strerror(errno));
            status = 3;
            break;
        }
        for (int i = 0; i < n; i++)
            if (evs[i].data.fd == e->sfd)
                read_signals(e);
        if (e->bfd >= 0)
            e->be->ops->process(e->be);
        engine_apply_stops(e);
        now = engine_mono();
        engine_check_timers(e, now);
        for (size_t i = 0; i < e->nbatches; i++)
            engine_poll_submitted(e->batches[i], now);
        engine_check_clock(e, now);
        for (size_t i = 0; i < e->nbatches; i++)
            if (run_journal_error(e->batches[i]->journal))
                engine_journal_fault(e->batches[i]);
        fire_timers(e, now);
        for (size_t i = 0; i < e->nbatches; i++)
            engine_draw_progress(e->batches[i], 0);
    }
    e->quit = 0;
    return status ? status : e->sys_error ? 3 : 0;
}

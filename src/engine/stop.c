/* Stops. A stop is *requested* anywhere (a completion callback that finds
 * the machine at fault or --halt reached, Slurm refusing steps, a caller's
 * engine_batch_cancel or engine_stop): the request decides at once (the
 * batch starts nothing new, its cause and the words for what did not
 * finish are set, the first cause wins), and it is *applied* by the loop
 * only (engine_apply_stops: TERM to the batch's running evaluations, the
 * submitted jobs cancelled or left), never from inside a backend callback.
 * Here too: the signals (the first stops, the second kills), the
 * allocation's clock (every batch, exit 75), and the per-evaluation time
 * limits and TERM-to-KILL grace. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* sig (stage 1 TERM, 2 KILL) to every running evaluation of b not yet sent it. */
static void signal_all(engine_batch *b, int sig, int stage, double now)
{
    engine *e = b->eng;
    for (size_t i = 0; i < e->nrunning; i++) {
        ev_state *ev = e->running[i];
        if (ev->run->b != b || ev->run->kill_stage >= stage)
            continue;
        e->be->ops->signal(e->be, &ev->run->job, sig);
        ev->run->kill_stage = stage;
        ev->run->kill_at = now + b->grace;
    }
}

void engine_request_stop(engine_batch *b, int cause, int kill, const char *why)
{
    if (b->stopping)
        return;
    b->stopping = cause;
    snprintf(b->stop_why, sizeof b->stop_why, "%s", why);
    run_progress_clear(&b->progress);
    if (kill)
        b->kill_pending = 1;
}

void engine_clock_stop(engine_batch *b, int kill, const char *why)
{
    if (b->stopping && b->stopping != STOP_CLOCK)
        return;
    if (!b->stopping) {
        char w[300];
        snprintf(w, sizeof w, "%s", why);
        engine_request_stop(b, STOP_CLOCK, 0, w);
    }
    if (kill && !b->clock_killed) {
        b->clock_killed = 1;
        double margin = b->eng->margin;
        if (margin > 0 && b->grace > margin / 2)
            b->grace = margin / 2;
        b->kill_pending = 1;
    }
}

void engine_machine_fault(engine_batch *b, const char *what)
{
    if (b->stopping == STOP_FAULT)
        return;
    b->sys_error = 1;
    run_progress_clear(&b->progress);
    engine_log(b, "%s: stopping: nothing new is started, %zu running evaluation%s stopped", what,
               b->nrunning, b->nrunning == 1 ? "" : "s");
    char why[256];
    snprintf(why, sizeof why, "stopped by a fault of the machine (%.200s)", what);
    engine_request_stop(b, STOP_FAULT, 1, why);
}

void engine_check_halt(engine_batch *b)
{
    const run_halt *h = &b->cfg->halt;
    if (!h->when || b->stopping)
        return;
    b->nfailed_own++;
    int reached = h->fails > 0 ? b->nfailed_own >= (size_t)h->fails
                               : 100.0 * (double)b->nfailed_own >= h->percent * (double)b->in.n;
    if (!reached)
        return;
    char why[160];
    if (h->fails > 0)
        snprintf(why, sizeof why, "--halt %s,fail=%ld: %zu evaluations failed",
                 h->when == 2 ? "now" : "soon", h->fails, b->nfailed_own);
    else
        snprintf(why, sizeof why, "--halt %s,fail=%g%%: %zu of %zu evaluations failed",
                 h->when == 2 ? "now" : "soon", h->percent, b->nfailed_own, b->in.n);
    engine_log(b, "%s: starting nothing new%s", why,
               h->when == 2 ? ", stopping what runs" : ", letting what runs finish");
    char stop[200];
    snprintf(stop, sizeof stop, "stopped by %s", why);
    engine_request_stop(b, STOP_HALT, h->when == 2, stop);
}

/* A stop signal for b: the first stops it, the second kills what runs. */
static void stop_signal(engine_batch *b, int sig)
{
    if (!b->stopping) {
        engine_batch_cancel(b, sig);
    } else if (!b->second_signal) {
        b->second_signal = 1;
        engine_log(b, "SIG%s again: killing what still runs", engine_signame(sig));
        signal_all(b, SIGKILL, 2, engine_mono());
    }
}

void engine_apply_stops(engine *e)
{
    if (e->stop_sig > 0) {
        int sig = e->stop_sig;
        e->stop_sig = -1;
        for (size_t i = 0; i < e->nbatches; i++)
            stop_signal(e->batches[i], sig);
    }
    for (size_t i = 0; i < e->nbatches; i++) {
        engine_batch *b = e->batches[i];
        if (!b->kill_pending)
            continue;
        b->kill_pending = 0;
        for (size_t k = 0; k < e->nrunning; k++)
            if (e->running[k]->run->b == b)
                e->running[k]->run->interrupted = 1;
        signal_all(b, SIGTERM, 1, engine_mono());
        engine_stop_submitted(b);
    }
}

void engine_on_signal(engine *e, int sig)
{
    if (sig == SIGUSR1 || sig == SIGUSR2) {
        char why[128];
        snprintf(why, sizeof why, "SIG%s: the scheduler says the allocation ends soon",
                 engine_signame(sig));
        e->stopping = 1;
        for (size_t i = 0; i < e->nbatches; i++)
            engine_clock_stop(e->batches[i], 1, why);
    } else {
        e->stopping = 1;
        for (size_t i = 0; i < e->nbatches; i++)
            stop_signal(e->batches[i], sig);
    }
    engine_apply_stops(e);
}

void engine_check_timers(engine *e, double now)
{
    for (size_t i = 0; i < e->nrunning; i++) {
        ev_state *ev = e->running[i];
        ev_run *r = ev->run;
        if (r->kill_stage == 0 && r->deadline > 0 && now >= r->deadline) {
            r->timed_out = 1;
            e->be->ops->signal(e->be, &r->job, SIGTERM);
            r->kill_stage = 1;
            r->kill_at = now + r->b->grace;
        } else if (r->kill_stage == 1 && now >= r->kill_at) {
            e->be->ops->signal(e->be, &r->job, SIGKILL);
            r->kill_stage = 2;
        }
    }
}

void engine_check_clock(engine *e, double now)
{
    if (e->stop_at <= 0 || now < e->stop_at)
        return;
    e->stopping = 1; /* the allocation ends: no new batch */
    for (size_t i = 0; i < e->nbatches; i++) {
        engine_batch *b = e->batches[i];
        if (b->clock_killed || (b->stopping && b->stopping != STOP_CLOCK))
            continue;
        char why[160];
        snprintf(why, sizeof why, "the allocation ends in %.0f s (--end-margin %.0f s)",
                 e->ends_at - engine_wall(), e->margin);
        engine_clock_stop(b, 1, why);
    }
    engine_apply_stops(e);
}

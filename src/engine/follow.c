/* Following submissions: evaluations a submit rule sends to the
 * scheduler's queue as jobs of their own (outside this allocation), each
 * durable in the journal before anything else happens; the jobs asked
 * about (soon after a change, less often while nothing changes, 30 s at
 * most) and ended as any evaluation; at a stop that kills, cancelled
 * (--cancel-submitted) or left running for the next run to collect. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"


/* Follow ev as the scheduler's job id (submitted now or by an earlier run). */
int engine_attach_job(engine_batch *b, ev_state *ev, const char *id)
{
    if (!engine_ev_run(b, ev))
        return -1;
    free(ev->run->job_id);
    if (!(ev->run->job_id = strdup(id)))
        return -1;
    ev->run->submitted = 1;
    ev->state = ST_RUNNING;
    ev->run->job.owner = ev;
    if (ev->run->t0_mono == 0) { /* followed again after a restart */
        ev->run->t0_mono = engine_mono();
        ev->run->t0_wall = engine_wall();
    }
    if (!ev->run->cwd) {
        char dir[PATH_MAX];
        if (run_workdir_path(&b->cfg->layout, ev->item->eval, dir, sizeof dir) == 0)
            ev->run->cwd = strdup(dir);
    }
    if (!ev->run->err_name)
        ev->run->err_name = engine_expand_name(b->cfg->stderr_name, ev->item->eval);
    b->subs[b->nsubs++] = ev;
    b->poll_interval = 1;
    b->next_poll = engine_mono() + b->poll_interval;
    return 0;
}

/* An absolute path for name, relative to the work directory dir. */
static int abs_in(const char *dir, const char *name, char *out, size_t outsz)
{
    char cwd[PATH_MAX], d[PATH_MAX];
    if (name[0] == '/')
        return snprintf(out, outsz, "%s", name) < (int)outsz ? 0 : -1;
    if (dir[0] == '/')
        return ut_path_join(out, outsz, dir, name);
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    if (!dir[0])
        return ut_path_join(out, outsz, cwd, name);
    if (ut_path_join(d, sizeof d, cwd, dir) < 0)
        return -1;
    return ut_path_join(out, outsz, d, name);
}

/* What the scheduler is given for ev (after stage_eval). */
int engine_submit_spec(const engine_batch *b, const ev_state *ev, submit_spec *sp, char *wd,
                     char *out, char *err, char *origin, size_t sz)
{
    const run_plan *plan = &b->plans[ev->plan];
    memset(sp, 0, sizeof *sp);
    if (abs_in("", ev->run->cwd, wd, sz) < 0 || abs_in(wd, ev->run->out_name, out, sz) < 0 ||
        abs_in(wd, ev->run->err_name, err, sz) < 0)
        return -1;
    snprintf(origin, sz, "%s:%d", b->rules.path, plan->rule->line);
    sp->eval = ev->item->eval;
    sp->workdir = wd;
    sp->argv = ev->run->job.argv;
    sp->out_path = out;
    sp->err_path = err;
    sp->req = &plan->req;
    sp->time_limit = plan->time_limit;
    sp->sched = plan->rule->sched;
    sp->sched_args = plan->rule->sched_args;
    sp->nsched_args = plan->rule->nsched_args;
    sp->origin = origin;
    return 0;
}

/* Submit ev as its own job; the submission is durable in the journal before
 * anything else happens, so that no restart submits it twice. */
void engine_submit_eval(engine_batch *b, ev_state *ev)
{
    char msg[PATH_MAX + 1024], id[128];
    if (engine_stage(b, ev) < 0)
        return;
    char *wd = b->spec_paths.wd, *out = b->spec_paths.out, *err = b->spec_paths.err,
         *origin = b->spec_paths.origin;
    submit_spec sp;
    if (engine_submit_spec(b, ev, &sp, wd, out, err, origin, PATH_MAX) < 0) {
        engine_finish(b, ev, NULL, "work directory or file name too long", NULL);
        return;
    }
    if (submit_job(b->sub, &sp, id, sizeof id, msg, sizeof msg) < 0) {
        engine_finish(b, ev, NULL, msg, NULL);
        return;
    }
    if (engine_attach_job(b, ev, id) < 0) {
        submit_cancel(b->sub, id);
        engine_finish(b, ev, NULL, "out of memory", NULL);
        return;
    }
    engine_journal_submit(b, ev, id);
}

static void subs_remove(engine_batch *b, ev_state *ev)
{
    for (size_t i = 0; i < b->nsubs; i++)
        if (b->subs[i] == ev) {
            b->subs[i] = b->subs[--b->nsubs];
            return;
        }
}

/* Ask the scheduler about the submitted jobs; those that ended end here as
 * any evaluation does. Asked again soon after a change, less often while
 * nothing changes (30 s at most). */
void engine_poll_submitted(engine_batch *b, double now)
{
    if (b->nsubs == 0 || now < b->next_poll)
        return;
    size_t n = b->nsubs;
    char **ids = malloc(n * sizeof *ids);
    submit_state *st = calloc(n, sizeof *st);
    ev_state **es = malloc(n * sizeof *es);
    int changed = 0;
    if (ids && st && es) {
        for (size_t i = 0; i < n; i++) {
            es[i] = b->subs[i];
            ids[i] = es[i]->run->job_id;
        }
        if (submit_query(b->sub, ids, n, st) == 0) {
            for (size_t i = 0; i < n; i++) {
                ev_state *ev = es[i];
                if (st[i].known && !st[i].ended)
                    continue;
                /* ended; or forgotten by a scheduler without accounting:
                 * its results file tells */
                launch_status ls = {0};
                ls.exited = st[i].known ? st[i].exited : 1;
                ls.code = st[i].code;
                ls.signo = st[i].signo;
                ls.timed_out = st[i].timed_out;
                ls.infra = st[i].infra;
                ls.t_start = st[i].t_start;
                ls.t_end = st[i].t_end;
                char why[800];
                if (st[i].infra || (st[i].known && strcmp(st[i].state, "CANCELLED") == 0 &&
                                    !ev->run->interrupted)) {
                    snprintf(why, sizeof why, "%s job %s ended %s%s%s", submit_name(b->sub),
                             ev->run->job_id, st[i].state, st[i].why[0] ? ": " : "", st[i].why);
                    ls.reason = why;
                    ls.exited = 0;
                    ls.signo = ls.signo ? ls.signo : SIGTERM;
                } else if (st[i].known && st[i].why[0] && !st[i].timed_out) {
                    /* the scheduler's words, with the status the tasks left */
                    if (ls.exited)
                        snprintf(why, sizeof why, "exit status %d; %s", ls.code, st[i].why);
                    else
                        snprintf(why, sizeof why, "killed by signal %d; %s", ls.signo, st[i].why);
                    ls.reason = why;
                }
                subs_remove(b, ev);
                changed = 1;
                engine_on_done(b->eng, &ev->run->job, &ls);
            }
        }
    }
    free(ids);
    free(st);
    free(es);
    b->poll_interval = changed ? 1 : fmin(30, b->poll_interval * 1.5);
    b->next_poll = engine_mono() + b->poll_interval;
}

/* A stop that kills: the submitted jobs are not this allocation's. With
 * --cancel-submitted they are cancelled (and end as interrupted); else
 * they are left to run, and the next run follows them. */
void engine_stop_submitted(engine_batch *b)
{
    if (b->nsubs == 0)
        return;
    if (b->cfg->cancel_submitted) {
        for (size_t i = 0; i < b->nsubs; i++) {
            b->subs[i]->run->interrupted = 1;
            submit_cancel(b->sub, b->subs[i]->run->job_id);
        }
        b->poll_interval = 1;
        b->next_poll = engine_mono() + 1;
        return;
    }
    char ids[512] = "";
    size_t w = 0;
    for (size_t i = 0; i < b->nsubs; i++) {
        ev_state *ev = b->subs[i];
        if (w < sizeof ids)
            w += (size_t)snprintf(ids + w, sizeof ids - w, "%s%s", i ? " " : "", ev->run->job_id);
        char why[400];
        snprintf(why, sizeof why, "left running as %s job %s: run the same command again to "
                 "collect it", submit_name(b->sub), ev->run->job_id);
        free(ev->reason);
        ev->reason = strdup(why);
        ev->state = ST_DONE;
        ev->not_run = 1;
        engine_ev_drop(ev);
        b->ndone++;
        b->nfailed++;
        b->nnotrun++;
        b->nleft++;
    }
    run_progress_clear(&b->progress);
    engine_log(b, "%zu submitted evaluation%s left running as %s job%s %s: the same command collects "
           "them (--cancel-submitted cancels them instead)", b->nsubs, b->nsubs == 1 ? "" : "s",
           submit_name(b->sub), b->nsubs == 1 ? "" : "s", ids);
    b->nsubs = 0;
}
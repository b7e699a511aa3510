/* The orchestrator: one event loop over the backend's completions, signals
 * and timers; evaluations flow queue -> placement -> process -> results. */
#define _GNU_SOURCE
#include "orch.h"
#include "orch_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc/detect.h"
#include "alloc/registry.h"
#include "batch.h"
#include "cmdline.h"
#include "collect.h"
#include "journal.h"
#include "launch/backend.h"
#include "launch/proc.h"
#include "launch/tree.h"
#include "plan/rules.h"
#include "order.h"
#include "prestage.h"
#include "progress.h"
#include "recipe.h"
#include "record/record.h"
#include "resend.h"
#include "spill.h"
#include "report/joblog.h"
#include "sched/queue.h"
#include "submit/submit.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/tmpl.h"


static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fmt_seconds(double s, char *out, size_t outsz)
{
    if (s == floor(s))
        snprintf(out, outsz, "%.0fs", s);
    else
        snprintf(out, outsz, "%.3gs", s);
}

/* ---- journal records ------------------------------------------------ */

/* A placement as its record says it: slices of node names (malloc'd array;
 * NULL when there is none or out of memory). */
static rec_slice *placement_slices(const orch *o, const sched_placement *pl, int *n)
{
    *n = 0;
    rec_slice *v = pl && pl->nslices > 0 ? calloc((size_t)pl->nslices, sizeof *v) : NULL;
    for (int i = 0; v && i < pl->nslices; i++) {
        const sched_slice *s = &pl->slices[i];
        v[i] = (rec_slice){o->res.nodes[s->node].name, s->ntasks, s->ncores, s->ngpus,
                           s->cores, s->gpus};
        (*n)++;
    }
    return v;
}

static void begin_stop(orch *o, int cause, int kill, const char *why);
static void begin_clock_stop(orch *o, int kill, const char *why);

/* A fault of the machine (a full disk, an I/O error): said once, and the
 * batch stops as on SIGTERM; the results file is still written if at all
 * possible, and the exit status is 3. */
static void machine_fault(orch *o, const char *what)
{
    if (o->stopping == STOP_FAULT)
        return;
    o->sys_error = 1;
    run_progress_clear(&o->progress);
    ut_err("%s: stopping: nothing new is started, %zu running evaluation%s stopped", what,
           o->nrunning, o->nrunning == 1 ? "" : "s");
    char why[256];
    snprintf(why, sizeof why, "stopped by a fault of the machine (%.200s)", what);
    begin_stop(o, STOP_FAULT, 1, why);
}

/* A sync of the journal failed: what follows it may not be durable. */
static void journal_fault(orch *o)
{
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "%s: cannot make the journal durable: %s", o->cfg->journal_path,
             strerror(run_journal_error(o->journal)));
    machine_fault(o, what);
}

/* Append an encoded record (rec_encode_*; NULL: out of memory). */
static void journal_write(orch *o, char *s)
{
    if (!s || run_journal_append(o->journal, s) < 0) {
        char what[PATH_MAX + 128];
        snprintf(what, sizeof what, "%s: cannot append to the journal: %s", o->cfg->journal_path,
                 s ? strerror(errno) : "out of memory");
        machine_fault(o, what);
    }
    free(s);
}

uint64_t orch_recipe_of(const orch *o, const ev_state *e)
{
    return e->plan ? o->plans[e->plan].recipe.all : o->recipe.all;
}

/* What an evaluation's records say of its plan: the rule (its line) and the
 * plan's key, and the scheduler's job id of a submitted one. */
static void journal_plan(const orch *o, const ev_state *e, const char **plan, int *rule,
                         const char **job)
{
    if (!o->have_rules)
        return;
    const run_plan *pl = &o->plans[e->plan];
    *plan = pl->key;
    if (pl->rule)
        *rule = pl->rule->line;
    if (job && e->run && e->run->job_id)
        *job = e->run->job_id;
}

static void journal_eval(orch *o, ev_state *e, const launch_status *st, int ok, int final,
                         double t_end)
{
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", e->item->hash);
    char recipe[17];
    run_recipe_hex(orch_recipe_of(o, e), recipe);
    const ev_run *r = e->run; /* NULL for one that never started */
    rec_eval rec = {.eval = e->item->eval,
                    .hash = hash,
                    .recipe = recipe,
                    .outcome = ok ? REC_OK : e->not_run ? REC_NOT_RUN : REC_FAILED,
                    .final = final,
                    .attempt = (int)e->attempt,
                    .start = r ? r->t0_wall : t_end,
                    .end = t_end,
                    .workdir = r && r->cwd ? r->cwd : "",
                    .has_exit = st && st->exited,
                    .code = st ? st->code : 0,
                    .has_signal = st && !st->exited,
                    .signo = st ? st->signo : 0,
                    .reason = !ok ? e->reason : NULL,
                    .evidence = !ok && r ? r->evidence : NULL,
                    /* the scheduler's own id (Flux) */
                    .backend_job = r && !r->submitted && r->job.ext_id[0] ? r->job.ext_id : NULL};
    rec_slice *sl = placement_slices(o, r ? &r->place : NULL, &rec.nslices);
    rec.slices = sl;
    journal_plan(o, e, &rec.plan, &rec.rule, &rec.job);
    journal_write(o, rec_encode_eval(&rec));
    free(sl);
}

static void journal_run_start(orch *o)
{
    rec_node *nodes = calloc((size_t)o->res.nnodes + 1, sizeof *nodes);
    for (int i = 0; nodes && i < o->res.nnodes; i++)
        nodes[i] = (rec_node){o->res.nodes[i].name, o->res.nodes[i].ncores,
                              o->res.nodes[i].ngpus};
    const sched_request *q = &o->cfg->req;
    json_t *recipe = run_recipe_json(&o->recipe), *resend = run_resend_json(&o->resend);
    rec_run rec = {.start = o->t_start_wall,
                   .backend = o->res.backend,
                   .batch = o->cfg->params_path,
                   .token = o->token,
                   .evaluations = (long)o->batch.n,
                   .nnodes = nodes ? o->res.nnodes : 0,
                   .nodes = nodes,
                   .ncmd = o->cfg->ncmd,
                   .cmd = (const char *const *)o->cfg->cmd,
                   .ntasks = q->ntasks,
                   .cores_per_task = q->cores_per_task,
                   .gpus_per_task = q->gpus_per_task,
                   .req_nodes = q->nodes,
                   .exclusive = q->exclusive,
                   .pid = (int)getpid(),
                   .recipe = recipe,
                   .resend = resend};
    journal_write(o, nodes ? rec_encode_run(&rec) : NULL);
    json_decref(recipe);
    json_decref(resend);
    free(nodes);
}

/* ---- per-evaluation state ------------------------------------------------ */

/* The attempt state of e, allocated when it is first needed; NULL when out
 * of memory. */
ev_run *orch_ev_run(ev_state *e)
{
    if (!e->run)
        e->run = calloc(1, sizeof *e->run);
    return e->run;
}

/* Release e's attempt state (its placement must have been given back). */
void orch_ev_drop(ev_state *e)
{
    ev_run *r = e->run;
    if (!r)
        return;
    free(r->cwd);
    free(r->out_name);
    free(r->err_name);
    free(r->job_id);
    free(r->evidence);
    ut_argv_free(r->job.argv);
    sched_placement_free(&r->place);
    free(r);
    e->run = NULL;
}

/* Keep text (malloc'd, taken) as e's rendered results, in the spill file.
 * 0, or -1 (NULL text, or the spill file cannot grow: a fault of the
 * machine). */
int orch_set_text(orch *o, ev_state *e, char *text)
{
    if (!text)
        return -1;
    size_t len = strlen(text);
    uint64_t off;
    int rc = len <= UINT32_MAX ? run_spill_add(&o->spill, text, len, &off) : -1;
    int err = errno;
    free(text);
    if (rc < 0) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "cannot keep the results aside: %s", strerror(err));
        machine_fault(o, what);
        return -1;
    }
    e->has_text = 1;
    e->text_off = off;
    e->text_len = (uint32_t)len;
    return 0;
}

/* The text of evaluation i for the batch results file (NULL: FAIL; *err
 * set when it cannot be read back). */
static const char *text_of(void *arg, size_t i, int *err)
{
    orch *o = arg;
    const ev_state *e = &o->ev[i];
    if (!e->has_text)
        return NULL;
    if (e->text_len + 1 > o->textbufsz) {
        char *nb = realloc(o->textbuf, e->text_len + 1);
        if (!nb) {
            *err = ENOMEM;
            return NULL;
        }
        o->textbuf = nb;
        o->textbufsz = e->text_len + 1;
    }
    if (run_spill_read(&o->spill, e->text_off, e->text_len, o->textbuf) < 0) {
        *err = errno ? errno : EIO;
        return NULL;
    }
    return o->textbuf;
}

int orch_results_path(const orch *o, long eval, char *out, size_t outsz)
{
    return run_workdir_file(&o->cfg->layout, eval, o->cfg->layout.results_file, out, outsz);
}

/* ---- starting and ending evaluations --------------------------------- */

static void finish_eval(orch *o, ev_state *e, char *text, const char *reason,
                        const launch_status *st);

char *orch_expand_name(const char *tmpl, long eval)
{
    char buf[PATH_MAX];
    if (ut_tmpl_expand(tmpl, eval, buf, sizeof buf) < 0)
        return NULL;
    return strdup(buf);
}

static void running_remove(orch *o, ev_state *e)
{
    for (size_t i = 0; i < o->nrunning; i++)
        if (o->running[i] == e) {
            o->running[i] = o->running[--o->nrunning];
            return;
        }
}

/* errno values that are the machine's fault, never the evaluation's */
static int is_machine_fault(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS;
}

/* e could not start through no fault of its own: back to pending (the
 * stop that follows reports it as not run), its placement given back. */
static void not_started(orch *o, ev_state *e)
{
    e->attempt--;
    e->state = ST_PENDING;
    if (e->run && e->run->place.slices)
        sched_pool_release(o->pool, &e->run->place);
    orch_ev_drop(e);
}

/* Prepare an attempt of e: its work directory, parameters file, output
 * names and argv (into e->run->job). 0, or -1 when it ended already (finished
 * as failed, or back to pending on a fault of the machine). */
static int stage_eval(orch *o, ev_state *e)
{
    const run_config *c = o->cfg;
    const run_plan *plan = &o->plans[e->plan];
    long eval = e->item->eval;
    char msg[PATH_MAX + 1024], params[PATH_MAX], results[PATH_MAX], rpath[PATH_MAX];
    e->attempt++;
    e->not_run = 0;
    if (!orch_ev_run(e)) {
        finish_eval(o, e, NULL, "out of memory", NULL);
        return -1;
    }
    e->run->timed_out = e->run->interrupted = 0;
    e->run->kill_stage = 0;
    e->run->t0_mono = mono();
    e->run->t0_wall = wall();
    free(e->run->cwd);
    e->run->cwd = NULL;
    char dir[PATH_MAX];
    if (run_workdir_path(&c->layout, eval, dir, sizeof dir) < 0 || !(e->run->cwd = strdup(dir)) ||
        ut_tmpl_expand(c->layout.params_file, eval, params, sizeof params) < 0 ||
        ut_tmpl_expand(c->layout.results_file, eval, results, sizeof results) < 0 ||
        orch_results_path(o, eval, rpath, sizeof rpath) < 0) {
        finish_eval(o, e, NULL, "work directory or file name too long", NULL);
        return -1;
    }
    /* ready when the helper made it ahead (a first attempt only) */
    int ready = e->attempt == 1 && run_prestage_take(o->prestage, (size_t)(e - o->ev));
    /* every attempt starts from its parameters as Dakota wrote them (a
     * retry is re-staged: the failed attempt may have changed them) */
    if (!ready && run_item_write_params(&o->batch, e->item, &c->layout,
                                        o->have_tmpl ? &o->tmpl : NULL,
                                        c->follow_workdir_links, msg, sizeof msg) < 0) {
        if (is_machine_fault(errno) || errno == ESTALE) {
            not_started(o, e);
            machine_fault(o, msg);
            return -1;
        }
        finish_eval(o, e, NULL, msg, NULL);
        return -1;
    }
    /* a results file from an earlier attempt or run must not pass for this one's */
    if (!ready && unlink(rpath) < 0 && errno != ENOENT) {
        snprintf(msg, sizeof msg, "cannot remove the old %s: %s", rpath, strerror(errno));
        finish_eval(o, e, NULL, msg, NULL);
        return -1;
    }
    free(e->run->out_name);
    free(e->run->err_name);
    e->run->out_name = orch_expand_name(c->stdout_name, eval);
    e->run->err_name = orch_expand_name(c->stderr_name, eval);
    char **argv = run_cmdline_argv(&plan->cmd, eval, params, results);
    if (!argv || !e->run->out_name || !e->run->err_name) {
        ut_argv_free(argv);
        finish_eval(o, e, NULL, "out of memory", NULL);
        return -1;
    }
    memset(&e->run->job, 0, sizeof e->run->job);
    e->run->job.eval = eval;
    e->run->job.argv = argv;
    e->run->job.cwd = e->run->cwd;
    e->run->job.out_path = e->run->out_name;
    e->run->job.err_path = e->run->err_name;
    e->run->job.req = &plan->req;
    e->run->job.place = &e->run->place;
    e->run->job.time_limit = plan->time_limit;
    e->run->job.outputs_ready = ready && c->stdout_name[0] != '/' && c->stderr_name[0] != '/';
    e->run->job.owner = e;
    return 0;
}

/* Start e on placement pl (taken from the pool). */
static void start_eval(orch *o, ev_state *e, sched_placement *pl)
{
    char msg[PATH_MAX + 1024];
    if (!orch_ev_run(e)) {
        sched_pool_release(o->pool, pl);
        e->attempt++;
        finish_eval(o, e, NULL, "out of memory", NULL);
        return;
    }
    e->run->place = *pl;
    if (stage_eval(o, e) < 0)
        return;
    if (o->be->ops->start(o->be, &e->run->job, msg, sizeof msg) < 0) {
        int err = errno;
        ut_argv_free(e->run->job.argv);
        e->run->job.argv = NULL;
        if (is_machine_fault(err)) {
            not_started(o, e);
            machine_fault(o, msg);
            return;
        }
        finish_eval(o, e, NULL, msg, NULL);
        return;
    }
    e->state = ST_RUNNING;
    double tl = o->plans[e->plan].time_limit;
    e->run->deadline = tl > 0 && !o->be->enforces_time_limit ? e->run->t0_mono + tl : 0;
    o->running[o->nrunning++] = e;
}

/* ---- the submit route ---------------------------------------------------- */

/* Follow e as the scheduler's job id (submitted now or by an earlier run). */
int orch_attach(orch *o, ev_state *e, const char *id)
{
    if (!orch_ev_run(e))
        return -1;
    free(e->run->job_id);
    if (!(e->run->job_id = strdup(id)))
        return -1;
    e->run->submitted = 1;
    e->state = ST_RUNNING;
    e->run->job.owner = e;
    if (e->run->t0_mono == 0) { /* followed again after a restart */
        e->run->t0_mono = mono();
        e->run->t0_wall = wall();
    }
    if (!e->run->cwd) {
        char dir[PATH_MAX];
        if (run_workdir_path(&o->cfg->layout, e->item->eval, dir, sizeof dir) == 0)
            e->run->cwd = strdup(dir);
    }
    if (!e->run->err_name)
        e->run->err_name = orch_expand_name(o->cfg->stderr_name, e->item->eval);
    o->subs[o->nsubs++] = e;
    o->poll_interval = 1;
    o->next_poll = mono() + o->poll_interval;
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

/* What the scheduler is given for e (after stage_eval). */
int orch_submit_spec(const orch *o, const ev_state *e, submit_spec *sp, char *wd,
                     char *out, char *err, char *origin, size_t sz)
{
    const run_plan *plan = &o->plans[e->plan];
    memset(sp, 0, sizeof *sp);
    if (abs_in("", e->run->cwd, wd, sz) < 0 || abs_in(wd, e->run->out_name, out, sz) < 0 ||
        abs_in(wd, e->run->err_name, err, sz) < 0)
        return -1;
    snprintf(origin, sz, "%s:%d", o->rules.path, plan->rule->line);
    sp->eval = e->item->eval;
    sp->workdir = wd;
    sp->argv = e->run->job.argv;
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

/* Submit e as its own job; the submission is durable in the journal before
 * anything else happens, so that no restart submits it twice. */
static void submit_eval(orch *o, ev_state *e)
{
    char msg[PATH_MAX + 1024], id[128];
    if (stage_eval(o, e) < 0)
        return;
    char *wd = o->spec_paths.wd, *out = o->spec_paths.out, *err = o->spec_paths.err,
         *origin = o->spec_paths.origin;
    submit_spec sp;
    if (orch_submit_spec(o, e, &sp, wd, out, err, origin, PATH_MAX) < 0) {
        finish_eval(o, e, NULL, "work directory or file name too long", NULL);
        return;
    }
    if (submit_job(o->sub, &sp, id, sizeof id, msg, sizeof msg) < 0) {
        finish_eval(o, e, NULL, msg, NULL);
        return;
    }
    char hash[17], recipe[17];
    snprintf(hash, sizeof hash, "%016llx", e->item->hash);
    run_recipe_hex(orch_recipe_of(o, e), recipe);
    if (orch_attach(o, e, id) < 0) {
        submit_cancel(o->sub, id);
        finish_eval(o, e, NULL, "out of memory", NULL);
        return;
    }
    rec_submit rec = {.eval = e->item->eval,
                      .hash = hash,
                      .recipe = recipe,
                      .attempt = e->attempt,
                      .time = wall(),
                      .scheduler = submit_name(o->sub),
                      .job = id,
                      .workdir = e->run->cwd};
    journal_plan(o, e, &rec.plan, &rec.rule, NULL);
    journal_write(o, rec_encode_submit(&rec));
    /* durable before anything else: a restart must find the job id */
    if (run_journal_sync(o->journal) < 0)
        journal_fault(o);
}

static void subs_remove(orch *o, ev_state *e)
{
    for (size_t i = 0; i < o->nsubs; i++)
        if (o->subs[i] == e) {
            o->subs[i] = o->subs[--o->nsubs];
            return;
        }
}

static void on_done(void *arg, launch_job *job, const launch_status *st);

/* Ask the scheduler about the submitted jobs; those that ended end here as
 * any evaluation does. Asked again soon after a change, less often while
 * nothing changes (30 s at most). */
static void poll_submitted(orch *o, double now)
{
    if (o->nsubs == 0 || now < o->next_poll)
        return;
    size_t n = o->nsubs;
    char **ids = malloc(n * sizeof *ids);
    submit_state *st = calloc(n, sizeof *st);
    ev_state **es = malloc(n * sizeof *es);
    int changed = 0;
    if (ids && st && es) {
        for (size_t i = 0; i < n; i++) {
            es[i] = o->subs[i];
            ids[i] = es[i]->run->job_id;
        }
        if (submit_query(o->sub, ids, n, st) == 0) {
            for (size_t i = 0; i < n; i++) {
                ev_state *e = es[i];
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
                                    !e->run->interrupted)) {
                    snprintf(why, sizeof why, "%s job %s ended %s%s%s", submit_name(o->sub),
                             e->run->job_id, st[i].state, st[i].why[0] ? ": " : "", st[i].why);
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
                subs_remove(o, e);
                changed = 1;
                on_done(o, &e->run->job, &ls);
            }
        }
    }
    free(ids);
    free(st);
    free(es);
    o->poll_interval = changed ? 1 : fmin(30, o->poll_interval * 1.5);
    o->next_poll = mono() + o->poll_interval;
}

/* A stop that kills: the submitted jobs are not this allocation's. With
 * --cancel-submitted they are cancelled (and end as interrupted); else
 * they are left to run, and the next run follows them. */
static void stop_submitted(orch *o)
{
    if (o->nsubs == 0)
        return;
    if (o->cfg->cancel_submitted) {
        for (size_t i = 0; i < o->nsubs; i++) {
            o->subs[i]->run->interrupted = 1;
            submit_cancel(o->sub, o->subs[i]->run->job_id);
        }
        o->poll_interval = 1;
        o->next_poll = mono() + 1;
        return;
    }
    char ids[512] = "";
    size_t w = 0;
    for (size_t i = 0; i < o->nsubs; i++) {
        ev_state *e = o->subs[i];
        if (w < sizeof ids)
            w += (size_t)snprintf(ids + w, sizeof ids - w, "%s%s", i ? " " : "", e->run->job_id);
        char why[400];
        snprintf(why, sizeof why, "left running as %s job %s: run the same command again to "
                 "collect it", submit_name(o->sub), e->run->job_id);
        free(e->reason);
        e->reason = strdup(why);
        e->state = ST_DONE;
        e->not_run = 1;
        orch_ev_drop(e);
        o->ndone++;
        o->nfailed++;
        o->nnotrun++;
        o->nleft++;
    }
    run_progress_clear(&o->progress);
    ut_err("%zu submitted evaluation%s left running as %s job%s %s: the same command collects "
           "them (--cancel-submitted cancels them instead)", o->nsubs, o->nsubs == 1 ? "" : "s",
           submit_name(o->sub), o->nsubs == 1 ? "" : "s", ids);
    o->nsubs = 0;
}

/* Put e (pending) where it waits: the submissions, or the queue. */
static int enqueue(orch *o, ev_state *e)
{
    size_t id = (size_t)(e - o->ev);
    if (o->plans[e->plan].submit) {
        o->to_submit[o->nto_submit++] = id;
        return 0;
    }
    return sched_queue_push(&o->queue, id, &o->plans[e->plan].req);
}

static void requeue(orch *o, ev_state *e)
{
    e->state = ST_PENDING;
    if (enqueue(o, e) < 0) {
        e->reason = strdup("out of memory");
        e->state = ST_DONE;
        o->ndone++;
        o->nfailed++;
    }
}

/* One line in GNU parallel's joblog format for a finished evaluation. */
static void joblog_eval(orch *o, ev_state *e, const launch_status *st, double t_end)
{
    char host[1024] = "", cmd[8192] = "";
    size_t w = 0;
    if (e->run->job_id)
        snprintf(host, sizeof host, "%s:%s", submit_name(o->sub), e->run->job_id);
    for (int i = 0; i < e->run->place.nslices && w < sizeof host; i++)
        w += (size_t)snprintf(host + w, sizeof host - w, "%s%s", i ? "," : "",
                              o->res.nodes[e->run->place.slices[i].node].name);
    if (!e->run->job_id && e->run->job.ext_id[0])
        snprintf(host, sizeof host, "%s", e->run->job.ext_id);
    if (!host[0])
        snprintf(host, sizeof host, ":");
    if (e->run->job.argv)
        run_cmdline_format(e->run->job.argv, cmd, sizeof cmd);
    int exitval = st && st->exited ? st->code : -1, sig = st && !st->exited ? st->signo : 0;
    /* an evaluation batchtile failed (invalid results, its time limit) is
     * never logged as a success: 1 where it exited 0 */
    if (e->reason && exitval == 0)
        exitval = 1;
    if (report_joblog_add(o->joblog, e->item->eval, host, e->run->t0_wall, t_end - e->run->t0_wall, exitval,
                          sig, cmd) < 0 &&
        !o->sys_error) {
        ut_err("%s: cannot append to the joblog: %s", o->cfg->joblog_path, strerror(errno));
        o->sys_error = 1;
    }
}

/* Give a placement back to the pool, now or after the backend's release
 * delay. */
static void release_later(orch *o, sched_placement *pl)
{
    double delay = o->be ? o->be->release_delay : 0;
    if (delay <= 0 || pl->nslices == 0) {
        sched_pool_release(o->pool, pl);
        return;
    }
    if (o->ncooling == o->capcooling) {
        size_t cap = o->capcooling ? o->capcooling * 2 : 64;
        struct cooling *nc = realloc(o->cooling, cap * sizeof *nc);
        if (!nc) {
            sched_pool_release(o->pool, pl);
            return;
        }
        o->cooling = nc;
        o->capcooling = cap;
    }
    o->cooling[o->ncooling].place = *pl;
    o->cooling[o->ncooling].due = mono() + delay;
    o->ncooling++;
    pl->slices = NULL;
    pl->nslices = 0;
}

/* Give back the placements whose release delay has passed. */
static void release_due(orch *o, double now)
{
    for (size_t i = 0; i < o->ncooling;) {
        if (o->cooling[i].due <= now) {
            sched_pool_release(o->pool, &o->cooling[i].place);
            o->cooling[i] = o->cooling[--o->ncooling];
        } else {
            i++;
        }
    }
}

/* --halt: enough evaluations have failed to stop the batch? */
static void check_halt(orch *o)
{
    const run_halt *h = &o->cfg->halt;
    if (!h->when || o->stopping)
        return;
    o->nfailed_own++;
    int reached = h->fails > 0 ? o->nfailed_own >= (size_t)h->fails
                               : 100.0 * (double)o->nfailed_own >= h->percent * (double)o->batch.n;
    if (!reached)
        return;
    char why[160];
    if (h->fails > 0)
        snprintf(why, sizeof why, "--halt %s,fail=%ld: %zu evaluations failed",
                 h->when == 2 ? "now" : "soon", h->fails, o->nfailed_own);
    else
        snprintf(why, sizeof why, "--halt %s,fail=%g%%: %zu of %zu evaluations failed",
                 h->when == 2 ? "now" : "soon", h->percent, o->nfailed_own, o->batch.n);
    ut_err("%s: starting nothing new%s", why,
           h->when == 2 ? ", stopping what runs" : ", letting what runs finish");
    char stop[200];
    snprintf(stop, sizeof stop, "stopped by %s", why);
    begin_stop(o, STOP_HALT, h->when == 2, stop);
}

/* An attempt ended: text is its rendered results, or NULL with reason. */
static void finish_eval(orch *o, ev_state *e, char *text, const char *reason,
                        const launch_status *st)
{
    ev_run *r = e->run; /* NULL when it failed before its attempt state existed */
    double t_end = st && st->t_end > 0 ? st->t_end : wall();
    if (r && st && st->t_start > 0)
        r->t0_wall = st->t_start; /* when it ran, not when it was handed over */
    int ok = text != NULL;
    /* the infrastructure's failures do not use the evaluation's --retries:
     * they have their own bound, and then the evaluation is not run */
    int retry = !ok && !o->stopping &&
                (e->not_run ? e->infra_tries > 0 && e->infra_tries <= o->cfg->infra_retries
                            : e->attempt - e->infra_tries <= o->cfg->retries);
    free(e->reason);
    e->reason = ok ? NULL : strdup(reason ? reason : "failed");
    journal_eval(o, e, st, ok, !retry, t_end);
    /* GNU parallel's joblog has no line for a job that did not run */
    if (!retry && o->joblog && !e->not_run)
        joblog_eval(o, e, st, t_end);
    if (!retry && st && r)
        o->runtime_sum += mono() - r->t0_mono, o->runtime_n++;
    if (r && r->place.slices)
        release_later(o, &r->place);
    if (retry) {
        orch_ev_drop(e);
        requeue(o, e);
        return;
    }
    e->state = ST_DONE;
    o->ndone++;
    if (ok)
        orch_set_text(o, e, text);
    if (o->ndone % 4096 == 0)
        run_batch_release(&o->batch); /* the pages staging and checking read */
    const char *cwd = r && r->cwd ? r->cwd : "?";
    if (!ok && e->not_run) {
        /* not the simulation's failure: said once for all at the end when
         * the allocation ended, here when the infrastructure gave up */
        o->nfailed++;
        o->nnotrun++;
        if (r && r->interrupted && o->stopping != STOP_CLOCK) {
            run_progress_clear(&o->progress);
            ut_err("evaluation %ld (%s): %s", e->item->eval, cwd, e->reason);
        } else if (e->infra_tries > 0 && o->stopping != STOP_CLOCK) {
            run_progress_clear(&o->progress);
            ut_err("evaluation %ld (%s): not run: %s (%d attempt%s spoiled by the "
                   "infrastructure)", e->item->eval, cwd, e->reason, e->infra_tries,
                   e->infra_tries == 1 ? "" : "s");
        }
    } else if (!ok) {
        o->nfailed++;
        run_progress_clear(&o->progress);
        char tries[48] = "";
        if (e->attempt > 1)
            snprintf(tries, sizeof tries, " (%d attempts)", e->attempt);
        const char *ev = r && r->evidence ? r->evidence : NULL;
        ut_err("evaluation %ld (%s): FAIL: %s%s%s%s", e->item->eval, cwd, e->reason,
               ev ? "; " : "", ev ? ev : "", tries);
        if (!(r && r->interrupted))
            check_halt(o);
    }
    /* a finished evaluation keeps only where its results are, and why it
     * failed: a million of them must fit in little memory */
    orch_ev_drop(e);
}

static const char *signame(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

/* Where the attempt's stderr went: its name, relative to the work
 * directory unless absolute. 0, or -1 (none, or too long). */
static int stderr_path(const ev_state *e, char *out, size_t outsz)
{
    if (!e->run->err_name || !e->run->cwd)
        return -1;
    if (e->run->err_name[0] == '/')
        return snprintf(out, outsz, "%s", e->run->err_name) < (int)outsz ? 0 : -1;
    return ut_path_join(out, outsz, e->run->cwd, e->run->err_name);
}

/* A failure's evidence, after its reason: the file to read and the last
 * line the evaluation wrote to its stderr. */
static int add_evidence(const ev_state *e, char *out, size_t outsz)
{
    char path[PATH_MAX], line[256];
    if (stderr_path(e, path, sizeof path) < 0)
        return 0;
    int r = ut_file_last_line(path, line, sizeof line, 200);
    if (r > 0)
        snprintf(out, outsz, "%.1000s ends: %s", path, line);
    else if (r == 0)
        snprintf(out, outsz, "%.1000s is empty", path);
    return r >= 0;
}

/* Was this failed attempt the infrastructure's (a step Slurm would not
 * create, a node failure, a Flux exception the program did not raise)? Then
 * it is marked not run, why says so, and a failed node takes no more work. */
static void classify_infra(orch *o, ev_state *e, const launch_status *st, char *why,
                           size_t whysz)
{
    char iwhy[600] = "", node[256] = "", path[PATH_MAX];
    int r = st->infra;
    if (r) {
        snprintf(iwhy, sizeof iwhy, "%.590s", st->reason ? st->reason : why);
        if (st->node)
            snprintf(node, sizeof node, "%s", st->node);
    }
    if (!r && !e->run->submitted && o->be->ops->infra && stderr_path(e, path, sizeof path) == 0)
        r = o->be->ops->infra(o->be, &e->run->job, path, iwhy, sizeof iwhy, node, sizeof node);
    if (!r)
        return;
    e->not_run = 1;
    e->infra_tries++;
    snprintf(why, whysz, "the infrastructure: %s", iwhy);
    if (r == 2 || r == 3) {
        /* the allocation itself is ending (2), or starts no more jobs (3, a
         * step limit: what runs may finish): what remains is for the next one */
        begin_clock_stop(o, r == 2, r == 2 ? "the allocation is ending (Slurm creates no more steps)"
                                           : iwhy);
        return;
    }
    for (int i = 0; node[0] && i < o->res.nnodes; i++)
        if (strcmp(o->res.nodes[i].name, node) == 0 && sched_pool_node_down(o->pool, i)) {
            run_progress_clear(&o->progress);
            ut_err("node %s failed (%s): no more evaluations are placed there; %d node%s left",
                   node, iwhy, sched_pool_nodes_up(o->pool), sched_pool_nodes_up(o->pool) == 1 ? "" : "s");
        }
}

/* The backend says a job ended. */
static void on_done(void *arg, launch_job *job, const launch_status *st)
{
    orch *o = arg;
    ev_state *e = job->owner;
    running_remove(o, e);
    if (st->timed_out)
        e->run->timed_out = 1;
    char why[2048], lim[32];
    char *text = NULL;
    const char *reason = why;
    if (e->run->timed_out) {
        fmt_seconds(o->plans[e->plan].time_limit, lim, sizeof lim);
        snprintf(why, sizeof why, "time limit %s exceeded (killed)", lim);
    } else if (e->run->interrupted && !(st->exited && st->code == 0)) {
        snprintf(why, sizeof why, "%s", o->stop_why);
    } else if (st->reason) {
        snprintf(why, sizeof why, "%s", st->reason);
    } else if (!st->exited) {
        snprintf(why, sizeof why, "killed by signal %d (SIG%s)", st->signo, signame(st->signo));
    } else if (st->code != 0) {
        snprintf(why, sizeof why, "exit status %d", st->code);
    } else {
        char rpath[PATH_MAX];
        int owned = 0;
        dak_params *p = NULL;
        if (orch_results_path(o, e->item->eval, rpath, sizeof rpath) < 0) {
            snprintf(why, sizeof why, "results file name too long");
        } else if (!(p = run_item_params(&o->batch, e->item, &owned))) {
            if (errno == ESTALE) {
                /* the batch file changed underneath: the machine's fault */
                char what[PATH_MAX + 256];
                run_batch_changed_msg(&o->batch, e->item, what, sizeof what);
                e->not_run = 1;
                snprintf(why, sizeof why, "not run: %.2000s", what);
                machine_fault(o, what);
            } else {
                snprintf(why, sizeof why, "out of memory");
            }
        } else {
            dak_results *r = run_results_read(rpath, p, o->cfg->max_results_size, why, sizeof why);
            if (r) {
                text = run_results_render(o->rfmt, p, r);
                if (!text)
                    snprintf(why, sizeof why, "out of memory");
                dak_results_free(r);
            }
        }
        if (owned)
            dak_params_free(p);
    }
    free(e->run->evidence);
    e->run->evidence = NULL;
    if (!text && !e->run->interrupted) {
        char evid[1400];
        if (add_evidence(e, evid, sizeof evid) > 0)
            e->run->evidence = strdup(evid);
    }
    if (!text && e->run->interrupted && o->stopping && !e->run->timed_out) {
        /* stopped (a signal, a fault of the machine, --halt now, the
         * allocation's end): not the evaluation's failure, and not run */
        e->not_run = 1;
        snprintf(why, sizeof why, "not run: %s", o->stop_why);
    } else if (!text && !e->run->interrupted && !e->run->timed_out) {
        classify_infra(o, e, st, why, sizeof why);
        /* a full filesystem is the machine's fault: what failed on it was
         * not run, and the batch stops as when staging meets it */
        if (!e->not_run && !e->run->submitted && e->run->cwd && ut_fs_full(e->run->cwd)) {
            char what[PATH_MAX + 64];
            snprintf(what, sizeof what, "%s: No space left on device", e->run->cwd);
            e->not_run = 1;
            snprintf(why, sizeof why, "not run: the filesystem of %.1000s is full", e->run->cwd);
            machine_fault(o, what);
        }
    }
    finish_eval(o, e, text, text ? NULL : reason, st);
}

/* Start what fits, in queue order. */
static void schedule(orch *o)
{
    /* the submit route first: those jobs wait in the scheduler's queue,
     * outside this allocation */
    size_t k = 0;
    while (!o->stopping && k < o->nto_submit)
        submit_eval(o, &o->ev[o->to_submit[k++]]);
    memmove(o->to_submit, o->to_submit + k, (o->nto_submit - k) * sizeof *o->to_submit);
    o->nto_submit -= k;
    size_t cap = (size_t)o->cfg->max_running;
    /* the shortest time limit of a tiled plan (0 when one has none: it
     * might still finish in time) */
    double tl = -1;
    for (int i = 0; i < o->nplans; i++)
        if (!o->plans[i].submit && o->plans[i].nused && (tl < 0 || o->plans[i].time_limit < tl))
            tl = o->plans[i].time_limit;
    while (!o->stopping && sched_queue_len(&o->queue) > 0 && (cap == 0 || o->nrunning < cap)) {
        /* nothing starts that its time limit would carry past the
         * allocation's end (minus the margin) */
        if (o->stop_at > 0 && tl > 0 && mono() + tl > o->stop_at) {
            char why[200], lim[32];
            fmt_seconds(tl, lim, sizeof lim);
            snprintf(why, sizeof why, "the allocation ends in %.0f s, before -t %s would",
                     o->ends_at - wall(), lim);
            begin_clock_stop(o, 0, why);
            break;
        }
        size_t id;
        sched_placement pl = {0, NULL};
        if (o->be->places_itself) {
            /* the scheduler under us places: hand it everything at once */
            if (!sched_queue_pop(&o->queue, &id))
                break;
        } else if (!sched_queue_next(&o->queue, o->pool, &id, &pl)) {
            break;
        }
        start_eval(o, &o->ev[id], &pl);
    }
}

/* ---- signals and time limits ------------------------------------------ */

static void signal_all(orch *o, int sig, int stage, double now)
{
    for (size_t i = 0; i < o->nrunning; i++) {
        ev_state *e = o->running[i];
        if (e->run->kill_stage >= stage)
            continue;
        o->be->ops->signal(o->be, &e->run->job, sig);
        e->run->kill_stage = stage;
        e->run->kill_at = now + o->grace;
    }
}

/* Stop the batch: start nothing new and, when kill, stop what runs (TERM,
 * then KILL after the grace period). cause: a signal number, STOP_FAULT or
 * STOP_HALT; why: how the evaluations that did not finish are described. */
static void begin_stop(orch *o, int cause, int kill, const char *why)
{
    if (o->stopping)
        return;
    o->stopping = cause;
    snprintf(o->stop_why, sizeof o->stop_why, "%s", why);
    run_progress_clear(&o->progress);
    if (!kill)
        return;
    for (size_t i = 0; i < o->nrunning; i++)
        o->running[i]->run->interrupted = 1;
    signal_all(o, SIGTERM, 1, mono());
    stop_submitted(o);
}

/* The allocation's end is near (the clock reached the margin, the
 * scheduler's warning signal, or Slurm refusing steps): start nothing more;
 * with kill, stop what runs too, within the margin. What did not finish is
 * not run, and the exit status says so (75). */
static void begin_clock_stop(orch *o, int kill, const char *why)
{
    if (o->stopping && o->stopping != STOP_CLOCK)
        return;
    if (!o->stopping) {
        char w[300];
        snprintf(w, sizeof w, "%s", why);
        begin_stop(o, STOP_CLOCK, 0, w);
    }
    if (kill && !o->clock_killed) {
        o->clock_killed = 1;
        if (o->margin > 0 && o->grace > o->margin / 2)
            o->grace = o->margin / 2;
        for (size_t i = 0; i < o->nrunning; i++)
            o->running[i]->run->interrupted = 1;
        signal_all(o, SIGTERM, 1, mono());
        stop_submitted(o);
    }
}

static void on_stop_signal(orch *o, int sig)
{
    double now = mono();
    if (!o->stopping) {
        char why[64];
        snprintf(why, sizeof why, "interrupted by SIG%s", signame(sig));
        run_progress_clear(&o->progress);
        ut_err("SIG%s: starting nothing new, stopping %zu running evaluation%s", signame(sig),
               o->nrunning, o->nrunning == 1 ? "" : "s");
        begin_stop(o, sig, 1, why);
    } else if (!o->second_signal) {
        o->second_signal = 1;
        ut_err("SIG%s again: killing what still runs", signame(sig));
        signal_all(o, SIGKILL, 2, now);
    }
}

static void check_timers(orch *o, double now)
{
    for (size_t i = 0; i < o->nrunning; i++) {
        ev_state *e = o->running[i];
        if (e->run->kill_stage == 0 && e->run->deadline > 0 && now >= e->run->deadline) {
            e->run->timed_out = 1;
            o->be->ops->signal(o->be, &e->run->job, SIGTERM);
            e->run->kill_stage = 1;
            e->run->kill_at = now + o->grace;
        } else if (e->run->kill_stage == 1 && now >= e->run->kill_at) {
            o->be->ops->signal(o->be, &e->run->job, SIGKILL);
            e->run->kill_stage = 2;
        }
    }
}

/* Milliseconds until the next timer (deadline, kill, journal sync, progress). */
static int next_timeout(orch *o, double now)
{
    double next = now + 3600;
    for (size_t i = 0; i < o->nrunning; i++) {
        const ev_state *e = o->running[i];
        if (e->run->kill_stage == 0 && e->run->deadline > 0 && e->run->deadline < next)
            next = e->run->deadline;
        if (e->run->kill_stage == 1 && e->run->kill_at < next)
            next = e->run->kill_at;
    }
    if (o->stop_at > 0 && !o->clock_killed && o->stop_at < next)
        next = o->stop_at;
    if (o->nsubs && o->next_poll < next)
        next = o->next_poll;
    for (size_t i = 0; i < o->ncooling; i++)
        if (o->cooling[i].due < next)
            next = o->cooling[i].due;
    double pr = run_progress_next(&o->progress);
    if (pr > 0 && pr < next)
        next = pr;
    double ms = (next - now) * 1000.0;
    return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ceil(ms);
}

static void draw_progress(orch *o, int force)
{
    double mean = o->runtime_n ? o->runtime_sum / (double)o->runtime_n : 0;
    run_progress_update(&o->progress, o->ndone - o->nfailed, o->nrunning + o->nsubs, o->nfailed,
                        o->batch.n, mean, mono() - o->t_start_mono, force);
}

/* ---- the loop ------------------------------------------------------------ */

void run_signal_mask(sigset_t *mask)
{
    sigemptyset(mask);
    static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(mask, sigs[i]);
}

/* Act on the signals waiting in the signalfd. */
static void read_signals(orch *o, int sfd)
{
    struct signalfd_siginfo si;
    int chld = 0;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            chld = 1;
        } else if (sig == SIGWINCH) {
            draw_progress(o, 1);
        } else if (sig == SIGUSR1 || sig == SIGUSR2) {
            char why[128];
            snprintf(why, sizeof why, "SIG%s: the scheduler says the allocation ends soon",
                     signame(sig));
            begin_clock_stop(o, 1, why);
        } else {
            on_stop_signal(o, sig);
        }
    }
    if (chld)
        o->be->ops->process(o->be);
}

static int event_loop(orch *o)
{
    sigset_t mask;
    run_signal_mask(&mask);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || ep < 0) {
        ut_err("cannot set up the event loop: %s", strerror(errno));
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    int bfd = o->be->ops->fd(o->be);
    if (bfd >= 0) {
        ev.data.fd = bfd;
        epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &ev);
    }
    /* a signal that came while we set up (they are blocked from main on)
     * is acted on before anything starts */
    read_signals(o, sfd);
    for (;;) {
        release_due(o, mono());
        if (!o->stopping)
            schedule(o);
        if (o->nrunning == 0 && o->nsubs == 0 &&
            (o->stopping || (sched_queue_len(&o->queue) == 0 && o->nto_submit == 0)))
            break;
        if (o->nrunning == 0 && o->ncooling == 0 && o->nsubs == 0) {
            /* cannot happen after sched_pool_feasible; never wait forever on it */
            ut_err("internal error: %zu evaluations wait and none can start",
                   sched_queue_len(&o->queue));
            o->stopping = SIGABRT;
            break;
        }
        double now = mono();
        struct epoll_event evs[8];
        int timeout = next_timeout(o, now);
        if (bfd >= 0 && o->nrunning > 0 && timeout > 100)
            timeout = 100; /* an edge-triggered fd: look again now and then */
        int n = epoll_wait(ep, evs, 8, timeout);
        if (n < 0 && errno != EINTR) {
            ut_err("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++)
            if (evs[i].data.fd == sfd)
                read_signals(o, sfd);
        if (bfd >= 0)
            o->be->ops->process(o->be);
        now = mono();
        check_timers(o, now);
        poll_submitted(o, now);
        if (o->stop_at > 0 && now >= o->stop_at && !o->clock_killed &&
            (!o->stopping || o->stopping == STOP_CLOCK)) {
            char why[160];
            snprintf(why, sizeof why, "the allocation ends in %.0f s (--end-margin %.0f s)",
                     o->ends_at - wall(), o->margin);
            begin_clock_stop(o, 1, why);
        }
        if (run_journal_error(o->journal))
            journal_fault(o);
        draw_progress(o, 0);
    }
    close(ep);
    close(sfd);
    return 0;
}

/* ---- plans and order ------------------------------------------------------ */

static void feasible_hint(const orch *o, const sched_request *q);

/* How long each plan's evaluations ran (--order longest-first), from every
 * batch the journal holds. */
static void history_record(void *arg, const rec_eval *r)
{
    orch *o = arg;
    if (!r->plan || r->outcome != REC_OK)
        return;
    for (int k = 0; k < o->nplans; k++)
        if (strcmp(o->plans[k].key, r->plan) == 0) {
            double t0 = r->start, t1 = r->end;
            if (t1 >= t0 && t0 > 0) {
                o->plans[k].hist_sum += t1 - t0;
                o->plans[k].hist_n++;
            }
        }
}

/* The order evaluations start in: the batch's, or largest first (cores x
 * time limit, where known), or longest first (the mean runtime the journal
 * recorded for the plan, else its time limit); ties keep batch order. */
static int compute_order(orch *o)
{
    size_t n = o->batch.n;
    o->start_order = malloc((n ? n : 1) * sizeof *o->start_order);
    double *key = calloc(n ? n : 1, sizeof *key);
    if (!o->start_order || !key) {
        free(key);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        o->start_order[i] = i;
    int rc = 0;
    if (o->cfg->order == RUN_ORDER_LONGEST)
        rec_read(o->cfg->journal_path, &(rec_reader){.eval = history_record}, o);
    if (o->cfg->order != RUN_ORDER_BATCH) {
        for (size_t i = 0; i < n; i++) {
            const run_plan *pl = &o->plans[o->ev[i].plan];
            double cores = (double)pl->req.ntasks * pl->req.cores_per_task;
            double t = pl->time_limit > 0 ? pl->time_limit : 1;
            if (o->cfg->order == RUN_ORDER_LARGEST)
                key[i] = cores * t;
            else /* seconds, then cores among equals (a tiny tie-break) */
                key[i] = (pl->hist_n ? pl->hist_sum / (double)pl->hist_n : pl->time_limit) +
                         cores * 1e-9;
        }
        rc = run_order_by_key(o->start_order, key, n);
    }
    free(key);
    return rc;
}

/* The plans: the command line's, and one per rule of --rules; each
 * evaluation matched to its plan, every plan in use checked against the
 * allocation (tile) or the scheduler (submit) before anything runs. The
 * exit status: 0, 1 (a rule cannot be used), 2 (bad rules file), 3. */
static int setup_plans(orch *o)
{
    const run_config *c = o->cfg;
    char msg[8192];
    if (c->rules_path) {
        if (plan_rules_load(&o->rules, c->rules_path, &c->req, c->time_limit, msg,
                            sizeof msg) < 0) {
            ut_err("%s", msg);
            return 1;
        }
        o->have_rules = 1;
    }
    o->nplans = 1 + o->rules.n;
    o->plans = calloc((size_t)o->nplans, sizeof *o->plans);
    o->to_submit = malloc((o->batch.n ? o->batch.n : 1) * sizeof *o->to_submit);
    o->subs = malloc((o->batch.n ? o->batch.n : 1) * sizeof *o->subs);
    if (!o->plans || !o->to_submit || !o->subs) {
        ut_err("out of memory");
        return 3;
    }
    o->plans[0].req = c->req;
    o->plans[0].time_limit = c->time_limit;
    o->plans[0].cmd = o->cmd;
    snprintf(o->plans[0].key, sizeof o->plans[0].key, "command-line");
    for (int k = 1; k < o->nplans; k++) {
        run_plan *pl = &o->plans[k];
        const plan_rule *r = &o->rules.rules[k - 1];
        pl->rule = r;
        pl->req = r->req;
        pl->time_limit = r->time_limit;
        pl->submit = r->route == PLAN_SUBMIT;
        run_recipe_hex(r->hash, pl->key);
        if (plan_rule_check(&o->rules, k - 1, msg, sizeof msg) < 0) {
            ut_err("%s: nothing was run", msg);
            return 1;
        }
        if (r->ncmd) {
            char m2[4096];
            if (run_cmdline_init(&pl->cmd, r->cmd, r->ncmd, m2, sizeof m2) < 0) {
                ut_err("%s:%d: %s", o->rules.path, r->line, m2);
                return 1;
            }
            pl->own_cmd = 1;
        } else {
            pl->cmd = o->cmd;
        }
    }
    for (size_t i = 0; i < o->batch.n; i++) {
        ev_state *e = &o->ev[i];
        if (o->have_rules) {
            int owned;
            dak_params *p = run_item_params(&o->batch, e->item, &owned);
            if (!p) {
                if (errno == ESTALE)
                    run_batch_changed_msg(&o->batch, e->item, msg, sizeof msg);
                ut_err("%s", errno == ESTALE ? msg : "out of memory");
                return 3;
            }
            int m = plan_rules_match(&o->rules, p, e->item->eval, msg, sizeof msg);
            if (owned)
                dak_params_free(p);
            if (m == -2) {
                ut_err("%s: nothing was run", msg);
                return 1;
            }
            e->plan = m + 1;
        }
        o->plans[e->plan].nused++;
    }
    for (int k = 0; k < o->nplans; k++) {
        run_plan *pl = &o->plans[k];
        char where[PATH_MAX + 32] = "";
        if (pl->rule)
            snprintf(where, sizeof where, "%s:%d: ", o->rules.path, pl->rule->line);
        if (!pl->nused)
            continue;
        if (!pl->submit && !sched_pool_feasible(o->pool, &pl->req, msg, sizeof msg)) {
            ut_err("%san evaluation %s: nothing was run%s", where, msg,
                   pl->rule ? " (a submit rule sends it to the queue as its own job)" : "");
            feasible_hint(o, &pl->req);
            return 1;
        }
        if (!pl->submit)
            continue;
        if (!o->sub && !(o->sub = submit_new(o->res.backend, c->submit_uri, c->mpi, msg,
                                             sizeof msg))) {
            ut_err("%s%s: nothing was run", where, msg);
            return 1;
        }
        submit_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.req = &pl->req;
        sp.time_limit = pl->time_limit;
        sp.sched = pl->rule->sched;
        sp.sched_args = pl->rule->sched_args;
        sp.nsched_args = pl->rule->nsched_args;
        if (submit_check(o->sub, &sp, msg, sizeof msg) < 0) {
            ut_err("%s%s: nothing was run", where, msg);
            return 1;
        }
    }
    if (compute_order(o) < 0) {
        ut_err("out of memory");
        return 3;
    }
    return 0;
}

/* ---- run_execute ------------------------------------------------------- */

static void orch_free(orch *o)
{
    run_prestage_free(o->prestage); /* it reads the batch and the template */
    free(o->prestage_order);
    if (o->ev) {
        for (size_t i = 0; i < o->batch.n; i++) {
            free(o->ev[i].reason);
            orch_ev_drop(&o->ev[i]);
        }
    }
    free(o->ev);
    free(o->running);
    for (size_t i = 0; i < o->ncooling; i++)
        sched_placement_free(&o->cooling[i].place);
    free(o->cooling);
    if (o->be)
        o->be->ops->destroy(o->be);
    launch_tree_fini();
    alloc_registry_release();
    run_journal_close(o->journal);
    sched_queue_free(&o->queue);
    sched_pool_free(o->pool);
    alloc_resources_free(&o->res);
    run_cmdline_free(&o->cmd);
    run_recipe_free(&o->recipe);
    for (int k = 1; o->plans && k < o->nplans; k++) {
        if (o->plans[k].own_cmd)
            run_cmdline_free(&o->plans[k].cmd);
        run_recipe_free(&o->plans[k].recipe);
    }
    free(o->plans);
    if (o->have_rules)
        plan_rules_free(&o->rules);
    submit_free(o->sub);
    free(o->subs);
    free(o->to_submit);
    free(o->start_order);
    if (o->have_tmpl)
        run_template_free(&o->tmpl);
    run_batch_free(&o->batch);
    run_spill_close(&o->spill);
    free(o->textbuf);
}

/* After "an evaluation needs ...": how to get what it needs. */
static void feasible_hint(const orch *o, const sched_request *q)
{
    long cores = (long)q->ntasks * q->cores_per_task;
    char gpus[64] = "";
    if (q->gpus_per_task > 0)
        snprintf(gpus, sizeof gpus, " --gpus-per-task=%d", q->gpus_per_task);
    if (strcmp(o->res.backend, "slurm") == 0)
        ut_err("Slurm gives an allocation only the CPUs it was asked for (one per task by "
               "default): ask for whole nodes (salloc/sbatch --exclusive -N ...) or for the "
               "evaluation's shape (salloc/sbatch --ntasks=%d --cpus-per-task=%d%s)",
               q->ntasks, q->cores_per_task, gpus);
    else if (strcmp(o->res.backend, "flux") == 0)
        ut_err("ask Flux for more when you allocate (flux alloc -N NODES --exclusive, or "
               "flux alloc -n %d -c %d%s)", q->ntasks, q->cores_per_task,
               q->gpus_per_task > 0 ? " -g ..." : "");
    else if ((long)q->ntasks * q->gpus_per_task > alloc_total_gpus(&o->res))
        /* the GPUs are what is missing: more cores would not help */
        ut_err("this machine offers %d GPU%s to batchtile (%s); --gpus N says how many it "
               "has, or ask for fewer with -n/-g", alloc_total_gpus(&o->res),
               alloc_total_gpus(&o->res) == 1 ? "" : "s",
               "CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES or hwloc");
    else
        ut_err("this machine offers %d cores to batchtile (its affinity mask and cgroup); "
               "--cores %ld lets the evaluation share them, or ask for fewer with -n/-c",
               alloc_total_cores(&o->res), cores);
}

static void summary(orch *o, int wrote)
{
    char el[64];
    double t = mono() - o->t_start_mono;
    snprintf(el, sizeof el, "%d:%02d", (int)(t / 60), (int)t % 60);
    char extra[128] = "";
    size_t w = 0;
    if (o->nnotrun)
        w += (size_t)snprintf(extra + w, sizeof extra - w, ", %zu not run", o->nnotrun);
    if (o->nresumed)
        snprintf(extra + w, sizeof extra - w, ", %zu taken from the journal", o->nresumed);
    ut_err("%zu evaluation%s: %zu ok, %zu failed%s; %s elapsed; %s %s", o->batch.n,
           o->batch.n == 1 ? "" : "s", o->ndone - o->nfailed, o->nfailed - o->nnotrun, extra, el,
           wrote ? "wrote" : "could not write", o->cfg->results_path);
}

int run_execute(const run_config *c)
{
    orch O, *o = &O;
    memset(o, 0, sizeof *o);
    o->cfg = c;
    char msg[2048];
    int status = 0;

    int rc = run_batch_load(&o->batch, c->params_path, 0, msg, sizeof msg);
    if (rc != RUN_LOAD_OK) {
        ut_err("%s", msg);
        return rc == RUN_LOAD_INPUT ? 2 : 3;
    }
    /* one run per journal (and so per directory), before anything is touched
     * and before the machine is probed: a second run says so at once */
    struct stat jst;
    int journal_new = stat(c->journal_path, &jst) < 0;
    if (!c->dry_run && !(o->journal = run_journal_open(c->journal_path, msg, sizeof msg))) {
        ut_err("%s", msg);
        status = errno == EWOULDBLOCK ? 4 : 3;
        goto out;
    }
    /* Dakota's results format is its own setting (results_format), standard
     * unless asked: never guessed from the parameters' format */
    o->rfmt = c->results_format >= 0 ? (dak_format)c->results_format : DAK_FMT_STANDARD;
    const char *backend = alloc_backend_choose(c->backend);
    if (alloc_detect(backend, c->cores, c->gpus, &o->res, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        status = 3;
        goto out;
    }
    /* block the signals the loop reads from its signalfd, before any child
     * and before a wait for another driver's cores, which they end */
    sigset_t mask, old;
    run_signal_mask(&mask);
    sigprocmask(SIG_BLOCK, &mask, &old);
    signal(SIGPIPE, SIG_IGN);
    /* another driver of this allocation on this node: only its free cores */
    if (!c->dry_run && c->cores <= 0 && strcmp(backend, "local") == 0 &&
        alloc_registry_claim(&o->res, &mask, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        status = 3;
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto out;
    }
    if (o->res.oversubscribed && !c->dry_run)
        ut_err("--cores %d: more than the %d cores this process may use; they will be shared",
               c->cores, o->res.oversubscribed);
    o->pool = sched_pool_new(&o->res);
    if (!o->pool) {
        ut_err("out of memory");
        status = 3;
        goto out;
    }
    o->ev = calloc(o->batch.n, sizeof *o->ev);
    o->running = calloc(o->batch.n, sizeof *o->running);
    if (!o->ev || !o->running) {
        ut_err("out of memory");
        status = 3;
        goto out;
    }
    for (size_t i = 0; i < o->batch.n; i++)
        o->ev[i].item = &o->batch.items[i];
    if (run_cmdline_init(&o->cmd, c->cmd, c->ncmd, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        status = 1;
        goto out;
    }
    if ((status = setup_plans(o)) != 0)
        goto out;
    if (c->template_dir) {
        if (run_template_init(&o->tmpl, c->template_dir, c->copy_files, msg, sizeof msg) < 0) {
            ut_err("%s", msg);
            status = 1;
            goto out;
        }
        o->have_tmpl = 1;
        const char *written[] = {c->layout.params_file, c->layout.results_file, c->stdout_name,
                                 c->stderr_name, NULL};
        if (run_template_check(&o->tmpl, written, msg, sizeof msg) < 0) {
            ut_err("%s", msg);
            status = 1;
            goto out;
        }
    }
    /* a work directory that is a link would lead batchtile's writes elsewhere */
    for (size_t i = 0; !c->follow_workdir_links && i < o->batch.n; i++)
        if (run_workdir_check_link(&c->layout, o->batch.items[i].eval, msg, sizeof msg) < 0) {
            ut_err("%s: nothing was run", msg);
            status = 1;
            goto out;
        }
    if (c->dry_run) {
        status = orch_dry_run(o);
        goto out;
    }
    if (run_results_prepare(c->results_path, msg, sizeof msg) < 0) {
        ut_err("%s: nothing was run", msg);
        status = 3;
        goto out;
    }
    {
        /* the finished evaluations' results wait beside the results file */
        char dir[PATH_MAX];
        const char *slash = strrchr(c->results_path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->results_path) + (slash == c->results_path) : 1,
                 slash ? c->results_path : ".");
        if (run_spill_open(&o->spill, dir) < 0) {
            ut_err("%s: cannot keep results aside there: %s: nothing was run", dir,
                   strerror(errno));
            status = 3;
            goto out;
        }
    }
    /* every process of this run carries its token; the watchdog kills them
     * all should we die */
    if (launch_tree_init(o->token, sizeof o->token) < 0)
        ut_err("no watchdog (%s): should batchtile be killed, its evaluations may survive it",
               strerror(errno));
    launch_options lo = {c->mpi, 1, c->grace, 0, 0};
    for (int k = 0; k < o->nplans; k++) {
        const sched_request *q = &o->plans[k].req;
        if (!o->plans[k].nused || o->plans[k].submit)
            continue;
        lo.ntasks = q->ntasks > lo.ntasks ? q->ntasks : lo.ntasks;
        lo.max_nodes = q->nodes > lo.max_nodes ? q->nodes : lo.max_nodes;
        int cores = q->exclusive ? 1 : q->ntasks * q->cores_per_task;
        lo.max_cores = cores > lo.max_cores ? cores : lo.max_cores;
    }
    const char *how = c->launch ? c->launch : "auto";
    errno = 0;
    if (strcmp(backend, "local") == 0)
        o->be = launch_local_new(&o->res, &lo, msg, sizeof msg);
    else if (strcmp(how, "steps") != 0)
        o->be = launch_agent_new(&o->res, &lo, strcmp(how, "agents") == 0, msg, sizeof msg);
    else if (strcmp(backend, "slurm") == 0)
        o->be = launch_slurm_new(&o->res, &lo, msg, sizeof msg);
    else if (strcmp(backend, "flux") == 0)
        o->be = launch_flux_new(&o->res, &lo, msg, sizeof msg);
    if (!o->be) {
        ut_err("%s", msg);
        status = errno == EINVAL ? 1 : 3; /* --launch agents for a multi-node batch: usage */
        goto out;
    }
    o->be->done = on_done;
    o->be->done_arg = o;
    /* the allocation's clock: its end from the scheduler, or --deadline */
    o->grace = c->grace;
    o->ends_at = o->res.ends_at;
    if (c->deadline > 0 && (o->ends_at <= 0 || c->deadline < o->ends_at))
        o->ends_at = c->deadline;
    if (o->ends_at > 0) {
        double left = o->ends_at - wall();
        o->margin = c->end_margin >= 0 ? c->end_margin : fmin(60, fmax(10, 0.05 * left));
        o->stop_at = mono() + left - o->margin;
        if (o->stop_at <= mono() + 0.001)
            o->stop_at = mono() + 0.001;
    }


    o->t_start_mono = mono();
    o->t_start_wall = wall();
    if (orch_resume(o, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        status = 3;
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto out;
    }
    /* Dakota re-sending failed work for ever: stop it here (resend.h) */
    run_resend_init(&o->resend, &o->batch);
    if (run_resend_check(&o->resend, c->journal_path, c->resend_limit, msg, sizeof msg)) {
        ut_err("%s", msg);
        unlink(c->results_path); /* a stale one would be read as this batch's */
        status = RUN_RESEND_STATUS;
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto out;
    }
    journal_run_start(o);
    if (c->joblog_path && !(o->joblog = report_joblog_open(c->joblog_path, msg, sizeof msg))) {
        ut_err("%s", msg);
        status = 3;
        sigprocmask(SIG_SETMASK, &old, NULL);
        goto out;
    }
    for (size_t i = 0; i < o->batch.n; i++) {
        ev_state *e = &o->ev[o->start_order[i]];
        if (e->state == ST_PENDING && enqueue(o, e) < 0) {
            ut_err("out of memory");
            status = 3;
            goto out;
        }
    }
    /* the work directories of what will start next, made ahead by helper
     * threads (BATCHTILE_PRESTAGE=N: at most N of them, as many as their
     * measured latency calls for; 0 none; default 8) */
    const char *ps = getenv("BATCHTILE_PRESTAGE");
    int nhelpers = ps && *ps ? atoi(ps) : 8;
    if (nhelpers > 64)
        nhelpers = 64;
    if (nhelpers > 0 && (o->prestage_order = malloc((o->batch.n ? o->batch.n : 1) *
                                                                     sizeof *o->prestage_order))) {
        size_t n = 0;
        for (size_t i = 0; i < o->batch.n; i++) {
            const ev_state *e = &o->ev[o->start_order[i]];
            if (e->state == ST_PENDING && !o->plans[e->plan].submit)
                o->prestage_order[n++] = o->start_order[i];
        }
        size_t window = 2 * (size_t)alloc_total_cores(&o->res) + 16;
        o->prestage = run_prestage_new(&o->batch, &c->layout, o->have_tmpl ? &o->tmpl : NULL,
                                       c->stdout_name, c->stderr_name, c->follow_workdir_links,
                                       o->prestage_order, n, window, nhelpers);
    }
    run_progress_init(&o->progress, c->progress);

    event_loop(o);
    run_prestage_free(o->prestage); /* nothing more starts */
    o->prestage = NULL;

    /* what never ran: FAIL in the results (Dakota needs a section for each),
     * recorded in the journal as not run, never as the simulation's failure */
    size_t not_run = 0, stopped = o->nnotrun;
    for (size_t i = 0; i < o->batch.n; i++) {
        ev_state *e = &o->ev[i];
        if (e->state == ST_PENDING) {
            not_run++;
            char why[330];
            snprintf(why, sizeof why, "not run: %.300s", o->stop_why);
            free(e->reason);
            e->reason = strdup(why);
            e->not_run = 1;
            e->state = ST_DONE;
            journal_eval(o, e, NULL, 0, 1, wall());
            o->ndone++;
            o->nfailed++;
            o->nnotrun++;
        }
    }
    run_progress_clear(&o->progress);
    if (o->stopping == STOP_CLOCK)
        ut_err("%s: %zu evaluation%s not started, %zu stopped; run the same command in a new "
               "allocation to finish them", o->stop_why, not_run, not_run == 1 ? "" : "s",
               stopped);
    else if (not_run)
        ut_err("%zu evaluation%s not started: FAIL (%s)", not_run, not_run == 1 ? "" : "s",
               o->stop_why);

    /* --on-fail nan / value:X: a failed evaluation's section holds values
     * (Dakota 6.21 crashes on FAIL in batch results); it is still a failure
     * in the messages above, the journal and the report */
    size_t filled = 0;
    for (size_t i = 0; c->on_fail != RUN_ON_FAIL_FAIL && i < o->batch.n; i++) {
        ev_state *e = &o->ev[i];
        if (e->has_text)
            continue;
        int owned;
        dak_params *p = run_item_params(&o->batch, e->item, &owned);
        if (p)
            filled += orch_set_text(o, e, run_results_filled(o->rfmt, p, c->on_fail == RUN_ON_FAIL_NAN
                                                                     ? NAN : c->on_fail_value)) == 0;
        if (owned)
            dak_params_free(p);
    }
    if (filled)
        ut_err("--on-fail %s: %zu failed evaluation%s written as %s for what %s asked for",
               c->on_fail == RUN_ON_FAIL_NAN ? "nan" : "value", filled, filled == 1 ? "" : "s",
               c->on_fail == RUN_ON_FAIL_NAN ? "NaN" : "the value", filled == 1 ? "it" : "they");
    /* the end record first: its sync overlaps the results file's */
    journal_write(o, rec_encode_end(&(rec_end){.end = wall(),
                                                .ok = (long)(o->ndone - o->nfailed),
                                                .failed = (long)o->nfailed,
                                                .resumed = (long)o->nresumed,
                                                .interrupted = o->stopping != 0}));
    /* streamed from the spill file, in batch order */
    int wrote = run_results_write_stream(c->results_path, o->rfmt, o->batch.n, o->batch.single,
                                         text_of, o) == 0;
    if (!wrote)
        ut_err("%s: cannot write: %s", c->results_path, strerror(errno));
    if (run_journal_close(o->journal) < 0)
        o->sys_error = 1;
    o->journal = NULL;
    report_joblog_close(o->joblog);
    summary(o, wrote);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (!wrote || o->stopping == STOP_FAULT || o->sys_error)
        status = 3;
    else if (o->stopping == STOP_CLOCK)
        status = 75; /* EX_TEMPFAIL: the allocation ended; run again to finish */
    else if (o->stopping > 0)
        status = 128 + o->stopping;
    else if (o->nnotrun)
        status = 75; /* what did not run (the infrastructure, --halt): run again */
out:
    /* a run refused before it began leaves no journal it created */
    if (o->journal && journal_new && stat(c->journal_path, &jst) == 0 && jst.st_size == 0)
        unlink(c->journal_path);
    orch_free(o);
    return status;
}

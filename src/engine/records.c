/* The batch's journal records: what it writes of its run, its attempts,
 * its submissions and its end (encoded by record/), and what a journal
 * that cannot grow or be made durable means (a fault of the machine). */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "record/record.h"

/* A placement as its record says it: slices of node names (malloc'd array;
 * NULL when there is none or out of memory). */
static rec_slice *placement_slices(const engine_batch *b, const sched_placement *pl, int *n)
{
    const alloc_resources *res = &b->eng->res;
    *n = 0;
    rec_slice *v = pl && pl->nslices > 0 ? calloc((size_t)pl->nslices, sizeof *v) : NULL;
    for (int i = 0; v && i < pl->nslices; i++) {
        const sched_slice *s = &pl->slices[i];
        v[i] = (rec_slice){res->nodes[s->node].name, s->ntasks, s->ncores, s->ngpus, s->cores,
                           s->gpus};
        (*n)++;
    }
    return v;
}

/* A sync of the journal failed: what follows it may not be durable. */
void engine_journal_fault(engine_batch *b)
{
    char what[PATH_MAX + 128];
    snprintf(what, sizeof what, "%s: cannot make the journal durable: %s", b->cfg->journal_path,
             strerror(run_journal_error(b->journal)));
    engine_machine_fault(b, what);
}

/* Append an encoded record (rec_encode_*; NULL: out of memory). */
void engine_journal_write(engine_batch *b, char *s)
{
    if (!s || run_journal_append(b->journal, s) < 0) {
        char what[PATH_MAX + 128];
        snprintf(what, sizeof what, "%s: cannot append to the journal: %s", b->cfg->journal_path,
                 s ? strerror(errno) : "out of memory");
        engine_machine_fault(b, what);
    }
    free(s);
}

/* What an evaluation's records say of its plan: the rule (its line) and the
 * plan's key, and the scheduler's job id of a submitted one. */
static void journal_plan(const engine_batch *b, const ev_state *ev, const char **plan,
                         int *rule, const char **job)
{
    if (!b->have_rules)
        return;
    const run_plan *pl = &b->plans[ev->plan];
    *plan = pl->key;
    if (pl->rule)
        *rule = pl->rule->line;
    if (job && ev->run && ev->run->job_id)
        *job = ev->run->job_id;
}

void engine_journal_eval(engine_batch *b, ev_state *ev, const launch_status *st, int ok,
                         int final, double t_end)
{
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", ev->item->hash);
    char recipe[17];
    run_recipe_hex(engine_recipe_of(b, ev), recipe);
    const ev_run *r = ev->run; /* NULL for one that never started */
    rec_eval rec = {.eval = ev->item->eval,
                    .hash = hash,
                    .recipe = recipe,
                    .outcome = ok ? REC_OK : ev->not_run ? REC_NOT_RUN : REC_FAILED,
                    .final = final,
                    .attempt = (int)ev->attempt,
                    .start = r ? r->t0_wall : t_end,
                    .end = t_end,
                    .workdir = r && r->cwd ? r->cwd : "",
                    .has_exit = st && st->exited,
                    .code = st ? st->code : 0,
                    .has_signal = st && !st->exited,
                    .signo = st ? st->signo : 0,
                    .reason = !ok ? ev->reason : NULL,
                    .evidence = !ok && r ? r->evidence : NULL,
                    /* the scheduler's own id (Flux) */
                    .backend_job = r && !r->submitted && r->job.ext_id[0] ? r->job.ext_id : NULL};
    rec_slice *sl = placement_slices(b, r ? &r->place : NULL, &rec.nslices);
    rec.slices = sl;
    journal_plan(b, ev, &rec.plan, &rec.rule, &rec.job);
    engine_journal_write(b, rec_encode_eval(&rec));
    free(sl);
}

void engine_journal_run_start(engine_batch *b)
{
    const alloc_resources *res = &b->eng->res;
    rec_node *nodes = calloc((size_t)res->nnodes + 1, sizeof *nodes);
    for (int i = 0; nodes && i < res->nnodes; i++)
        nodes[i] = (rec_node){res->nodes[i].name, res->nodes[i].ncores, res->nodes[i].ngpus};
    const sched_request *q = &b->cfg->req;
    json_t *recipe = run_recipe_json(&b->recipe), *resend = run_resend_json(&b->resend);
    rec_run rec = {.start = b->t_start_wall,
                   .backend = res->backend,
                   .batch = b->cfg->params_path,
                   .token = b->eng->token,
                   .evaluations = (long)b->in.n,
                   .nnodes = nodes ? res->nnodes : 0,
                   .nodes = nodes,
                   .ncmd = b->cfg->ncmd,
                   .cmd = (const char *const *)b->cfg->cmd,
                   .ntasks = q->ntasks,
                   .cores_per_task = q->cores_per_task,
                   .gpus_per_task = q->gpus_per_task,
                   .req_nodes = q->nodes,
                   .exclusive = q->exclusive,
                   .pid = (int)getpid(),
                   .recipe = recipe,
                   .resend = resend};
    engine_journal_write(b, nodes ? rec_encode_run(&rec) : NULL);
    json_decref(recipe);
    json_decref(resend);
    free(nodes);
}

/* The submission is durable in the journal before anything else happens,
 * so that no restart submits it twice. */
void engine_journal_submit(engine_batch *b, ev_state *ev, const char *id)
{
    char hash[17], recipe[17];
    snprintf(hash, sizeof hash, "%016llx", ev->item->hash);
    run_recipe_hex(engine_recipe_of(b, ev), recipe);
    rec_submit rec = {.eval = ev->item->eval,
                      .hash = hash,
                      .recipe = recipe,
                      .attempt = ev->attempt,
                      .time = engine_wall(),
                      .scheduler = submit_name(b->sub),
                      .job = id,
                      .workdir = ev->run->cwd};
    journal_plan(b, ev, &rec.plan, &rec.rule, NULL);
    engine_journal_write(b, rec_encode_submit(&rec));
    /* durable before anything else: a restart must find the job id */
    if (run_journal_sync(b->journal) < 0)
        engine_journal_fault(b);
}

void engine_journal_end(engine_batch *b)
{
    engine_journal_write(b, rec_encode_end(&(rec_end){.end = engine_wall(),
                                                       .ok = (long)(b->ndone - b->nfailed),
                                                       .failed = (long)b->nfailed,
                                                       .resumed = (long)b->nresumed,
                                                       .interrupted = b->stopping != 0}));
}

uint64_t engine_recipe_of(const engine_batch *b, const ev_state *ev)
{
    return ev->plan ? b->plans[ev->plan].recipe.all : b->recipe.all;
}

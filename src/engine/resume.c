/* Resume: what the journal says finished, with the same parameters (and by
 * default the same recipe) and still valid results in its work directory,
 * is taken and not run again; a submitted job not heard of since is
 * followed again; what a killed run left running is killed first. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch/tree.h"
#include "run/order.h"
#include "record/record.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/log.h"

typedef struct resume_ctx {
    engine_batch *b;
    size_t *order; /* item indices sorted by evaluation number */
    uint64_t *recipe;   /* per item: the recipe of its latest ok record, 0 if none */
    int *run_of;        /* per item: which run record wrote that record */
    run_recipe *runs;   /* the run records' recipes (all 0 when a run had none) */
    size_t nruns;
    char last_token[64]; /* of the last run record, "" once that run's end record came */
    char **job;          /* per item: the job id when its latest record is a submission */
    uint64_t *job_recipe; /* and that submission's recipe */
    int *job_attempt;
} resume_ctx;

static long find_eval(const resume_ctx *rc, long eval)
{
    size_t lo = 0, hi = rc->b->in.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        long v = rc->b->in.items[rc->order[mid]].eval;
        if (v == eval)
            return (long)rc->order[mid];
        if (v < eval)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void resume_run(void *arg, const rec_run *r)
{
    resume_ctx *rc = arg;
    run_recipe *nr = realloc(rc->runs, (rc->nruns + 1) * sizeof *nr);
    if (!nr)
        return;
    rc->runs = nr;
    if (run_recipe_from_json(&rc->runs[rc->nruns], r->recipe) < 0)
        memset(&rc->runs[rc->nruns], 0, sizeof rc->runs[rc->nruns]);
    rc->nruns++;
    snprintf(rc->last_token, sizeof rc->last_token, "%s", r->token ? r->token : "");
}

static void resume_end(void *arg, const rec_end *ev)
{
    (void)ev;
    ((resume_ctx *)arg)->last_token[0] = '\0';
}

/* The latest record of an evaluation decides: what an earlier one said is
 * forgotten. Its item, or -1 when not in this batch or its parameters
 * changed (they never match). */
static long resume_latest(resume_ctx *rc, long eval, const char *hash)
{
    long idx = find_eval(rc, eval);
    if (idx < 0)
        return -1;
    char want[17];
    snprintf(want, sizeof want, "%016llx", rc->b->in.items[idx].hash);
    rc->recipe[idx] = 0;
    free(rc->job[idx]);
    rc->job[idx] = NULL;
    return strcmp(hash, want) == 0 ? idx : -1;
}

static void resume_eval(void *arg, const rec_eval *ev)
{
    resume_ctx *rc = arg;
    if (!ev->eval_is_int || !ev->hash || !ev->status)
        return;
    long idx = resume_latest(rc, ev->eval, ev->hash);
    if (idx < 0 || ev->outcome != REC_OK)
        return;
    uint64_t rh = ev->recipe ? strtoull(ev->recipe, NULL, 16) : 0;
    rc->recipe[idx] = rh ? rh : 1; /* 1: ok, but from a journal without recipes */
    rc->run_of[idx] = (int)rc->nruns - 1;
}

/* submitted and not heard of since: its job may still run */
static void resume_submit(void *arg, const rec_submit *s)
{
    resume_ctx *rc = arg;
    if (!s->eval_is_int || !s->hash)
        return;
    long idx = resume_latest(rc, s->eval, s->hash);
    if (idx < 0)
        return;
    rc->job[idx] = s->job ? strdup(s->job) : NULL;
    rc->job_recipe[idx] = s->recipe ? strtoull(s->recipe, NULL, 16) : 0;
    rc->job_attempt[idx] = s->attempt;
}

/* The work directory's parameters file is the current one, whatever it
 * was left as: rewritten when its bytes differ. */
static void params_current(engine_batch *b, const run_item *it)
{
    char path[PATH_MAX];
    if (run_workdir_file(&b->cfg->layout, it->eval, b->cfg->layout.params_file, path,
                         sizeof path) < 0)
        return;
    ut_map m;
    char *text = run_item_copy(&b->in, it);
    int same = !text || (ut_file_read_bounded(path, it->len, &m) == 0 && m.len == it->len &&
                         memcmp(m.data, text, it->len) == 0);
    if (text && m.data)
        ut_file_unmap(&m);
    if (!same) {
        char msg[PATH_MAX + 256];
        run_workdir_write_params(&b->cfg->layout, it->eval, text, it->len, NULL,
                                 b->cfg->follow_workdir_links, msg,
                                 sizeof msg);
    }
    free(text);
}

/* Take from the journal what finished with the same parameters (and, by
 * default, the same recipe) and still has valid results in its work
 * directory; say once why the others run again. Computes b->recipe, with
 * the last run's program hashes as a cache. */
int engine_resume(engine_batch *b, char *msg, size_t msgsz)
{
    const run_config *c = b->cfg;
    resume_ctx rc = {b, malloc(b->in.n * sizeof(size_t)), calloc(b->in.n, sizeof(uint64_t)),
                     calloc(b->in.n, sizeof(int)), NULL, 0, "",
                     calloc(b->in.n, sizeof(char *)), calloc(b->in.n, sizeof(uint64_t)),
                     calloc(b->in.n, sizeof(int))};
    int status = 0;
    if (!rc.order || !rc.recipe || !rc.run_of || !rc.job || !rc.job_recipe || !rc.job_attempt) {
        snprintf(msg, msgsz, "out of memory");
        status = -1;
        goto out;
    }
    if (run_order_by_eval(rc.order, &b->in) < 0) {
        snprintf(msg, msgsz, "out of memory");
        status = -1;
        goto out;
    }
    rec_read(c->journal_path,
             &(rec_reader){.run = resume_run, .eval = resume_eval, .submit = resume_submit,
                           .end = resume_end},
             &rc);
    /* a run that did not end (killed, its machine lost) may have left
     * evaluations running: none may run beside its own re-run */
    if (rc.last_token[0]) {
        int n = launch_tree_kill_run(rc.last_token);
        if (n > 0)
            engine_log(b, "killed %d process%s left running by an interrupted earlier run", n,
                   n == 1 ? "" : "es");
    }
    run_recipe_input in = {b->cmd.words, b->cmd.nwords, &c->layout, b->in.items[0].eval,
                           b->have_tmpl ? b->tmpl.dir : NULL, c->copy_files, &c->req, c->mpi};
    if (run_recipe_compute(&b->recipe, &in, rc.nruns ? rc.runs[rc.nruns - 1].files : NULL, msg,
                           msgsz) < 0) {
        status = -1;
        goto out;
    }
    for (int k = 1; k < b->nplans; k++) {
        /* a rule's plan: its own command and options, and the rule itself */
        run_plan *pl = &b->plans[k];
        run_recipe_input pin = in;
        pin.words = pl->cmd.words;
        pin.nwords = pl->cmd.nwords;
        pin.req = &pl->req;
        if (run_recipe_compute(&pl->recipe, &pin, b->recipe.files, msg, msgsz) < 0) {
            status = -1;
            goto out;
        }
        pl->recipe.all = ut_hash(pl->recipe.all, &pl->rule->hash, sizeof pl->rule->hash);
    }
    if (c->resume == RUN_RESUME_NONE)
        goto out;
    size_t changed = 0;
    unsigned parts = 0;
    for (size_t i = 0; i < b->in.n; i++) {
        if (!rc.recipe[i])
            continue;
        if (c->resume == RUN_RESUME_RECIPE && rc.recipe[i] != engine_recipe_of(b, &b->ev[i])) {
            changed++;
            const run_recipe *was = rc.run_of[i] >= 0 && (size_t)rc.run_of[i] < rc.nruns
                                        ? &rc.runs[rc.run_of[i]] : NULL;
            parts |= was && was->all ? run_recipe_diff(was, &b->recipe) : 0;
            continue;
        }
        ev_state *ev = &b->ev[i];
        char path[PATH_MAX], why[512];
        if (engine_results_path(b, ev->item->eval, path, sizeof path) < 0)
            continue;
        int owned;
        dak_params *p = run_item_params(&b->in, ev->item, &owned);
        if (!p)
            continue;
        dak_results *r = run_results_read(path, p, c->max_results_size, why, sizeof why);
        if (r) {
            if (engine_set_text(b, ev, run_results_render(b->rfmt, p, r)) == 0) {
                ev->state = ST_DONE;
                ev->from_journal = 1;
                b->ndone++;
                b->nresumed++;
                params_current(b, ev->item);
            }
            dak_results_free(r);
        }
        if (owned)
            dak_params_free(p);
    }
    /* a submitted job of this evaluation that may still run: followed
     * again, never submitted twice */
    for (size_t i = 0; i < b->in.n; i++) {
        ev_state *ev = &b->ev[i];
        if (!rc.job[i] || ev->state != ST_PENDING || !b->plans[ev->plan].submit)
            continue;
        if (c->resume == RUN_RESUME_RECIPE && rc.job_recipe[i] != engine_recipe_of(b, ev)) {
            engine_log(b, "evaluation %ld: %s job %s was submitted with another recipe: submitting "
                   "it again (cancel %s if it still runs)", ev->item->eval,
                   b->sub ? submit_name(b->sub) : "scheduler", rc.job[i], rc.job[i]);
            continue;
        }
        ev->attempt = rc.job_attempt[i] > 0 ? rc.job_attempt[i] : 1;
        if (engine_attach_job(b, ev, rc.job[i]) < 0) {
            snprintf(msg, msgsz, "out of memory");
            status = -1;
            goto out;
        }
    }
    if (b->nsubs) {
        char ids[256] = "";
        size_t w = 0;
        for (size_t i = 0; i < b->nsubs && w < sizeof ids; i++)
            w += (size_t)snprintf(ids + w, sizeof ids - w, "%s%s (evaluation %ld)",
                                  i ? ", " : "", b->subs[i]->run->job_id, b->subs[i]->item->eval);
        engine_log(b, "following %s job%s %s, submitted by an earlier run, instead of submitting "
               "again", submit_name(b->sub), b->nsubs == 1 ? "" : "s", ids);
    }
    if (changed) {
        char what[256] = "";
        size_t w = 0;
        for (int k = 0; k < RUN_RECIPE_NPARTS; k++)
            if (parts & (1u << k))
                w += (size_t)snprintf(what + w, sizeof what - w, "%s%s", w ? ", " : "",
                                      run_recipe_part_names[k]);
        engine_log(b, "%s changed since the journal: %zu evaluation%s run again "
               "(--resume=params reuses them)",
               w ? what : "the recipe (journal of an earlier version)", changed,
               changed == 1 ? "" : "s");
    }
out:
    for (size_t i = 0; i < rc.nruns; i++)
        run_recipe_free(&rc.runs[i]);
    free(rc.runs);
    free(rc.order);
    free(rc.recipe);
    free(rc.run_of);
    for (size_t i = 0; rc.job && i < b->in.n; i++)
        free(rc.job[i]);
    free(rc.job);
    free(rc.job_recipe);
    free(rc.job_attempt);
    return status;
}


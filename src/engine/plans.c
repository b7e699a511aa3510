/* Plans and order: the command line's plan and one per rule of --rules,
 * each evaluation matched to its plan, every plan in use checked against
 * the allocation (tile) or the scheduler (submit) before anything runs;
 * and the order evaluations start in (--order). */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "run/order.h"

static void feasible_hint(const engine_batch *b, const sched_request *q);

/* How long each plan's evaluations ran (--order longest-first), from every
 * batch the journal holds. */
static void history_record(void *arg, const rec_eval *r)
{
    engine_batch *b = arg;
    if (!r->plan || r->outcome != REC_OK)
        return;
    for (int k = 0; k < b->nplans; k++)
        if (strcmp(b->plans[k].key, r->plan) == 0) {
            double t0 = r->start, t1 = r->end;
            if (t1 >= t0 && t0 > 0) {
                b->plans[k].hist_sum += t1 - t0;
                b->plans[k].hist_n++;
            }
        }
}

/* The order evaluations start in: the batch's, or largest first (cores x
 * time limit, where known), or longest first (the mean runtime the journal
 * recorded for the plan, else its time limit); ties keep batch order. */
static int compute_order(engine_batch *b)
{
    size_t n = b->in.n;
    b->start_order = malloc((n ? n : 1) * sizeof *b->start_order);
    double *key = calloc(n ? n : 1, sizeof *key);
    if (!b->start_order || !key) {
        free(key);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        b->start_order[i] = i;
    int rc = 0;
    if (b->cfg->order == RUN_ORDER_LONGEST)
        rec_read(b->cfg->journal_path, &(rec_reader){.eval = history_record}, b);
    if (b->cfg->order != RUN_ORDER_BATCH) {
        for (size_t i = 0; i < n; i++) {
            const run_plan *pl = &b->plans[b->ev[i].plan];
            double cores = (double)pl->req.ntasks * pl->req.cores_per_task;
            double t = pl->time_limit > 0 ? pl->time_limit : 1;
            if (b->cfg->order == RUN_ORDER_LARGEST)
                key[i] = cores * t;
            else /* seconds, then cores among equals (a tiny tie-break) */
                key[i] = (pl->hist_n ? pl->hist_sum / (double)pl->hist_n : pl->time_limit) +
                         cores * 1e-9;
        }
        rc = run_order_by_key(b->start_order, key, n);
    }
    free(key);
    return rc;
}

/* The plans: the command line's, and one per rule of --rules; each
 * evaluation matched to its plan, every plan in use checked against the
 * allocation (tile) or the scheduler (submit) before anything runs. The
 * exit status: 0, 1 (a rule cannot be used), 2 (bad rules file), 3. */
int engine_setup_plans(engine_batch *b)
{
    const run_config *c = b->cfg;
    char msg[8192];
    if (c->rules_path) {
        if (plan_rules_load(&b->rules, c->rules_path, &c->req, c->time_limit, msg,
                            sizeof msg) < 0) {
            engine_log(b, "%s", msg);
            return 1;
        }
        b->have_rules = 1;
    }
    b->nplans = 1 + b->rules.n;
    b->plans = calloc((size_t)b->nplans, sizeof *b->plans);
    b->to_submit = malloc((b->in.n ? b->in.n : 1) * sizeof *b->to_submit);
    b->subs = malloc((b->in.n ? b->in.n : 1) * sizeof *b->subs);
    if (!b->plans || !b->to_submit || !b->subs) {
        engine_log(b, "out of memory");
        return 3;
    }
    b->plans[0].req = c->req;
    b->plans[0].time_limit = c->time_limit;
    b->plans[0].cmd = b->cmd;
    snprintf(b->plans[0].key, sizeof b->plans[0].key, "command-line");
    for (int k = 1; k < b->nplans; k++) {
        run_plan *pl = &b->plans[k];
        const plan_rule *r = &b->rules.rules[k - 1];
        pl->rule = r;
        pl->req = r->req;
        pl->time_limit = r->time_limit;
        pl->submit = r->route == PLAN_SUBMIT;
        run_recipe_hex(r->hash, pl->key);
        if (plan_rule_check(&b->rules, k - 1, msg, sizeof msg) < 0) {
            engine_log(b, "%s: nothing was run", msg);
            return 1;
        }
        if (r->ncmd) {
            char m2[4096];
            if (run_cmdline_init(&pl->cmd, r->cmd, r->ncmd, m2, sizeof m2) < 0) {
                engine_log(b, "%s:%d: %s", b->rules.path, r->line, m2);
                return 1;
            }
            pl->own_cmd = 1;
        } else {
            pl->cmd = b->cmd;
        }
    }
    for (size_t i = 0; i < b->in.n; i++) {
        ev_state *ev = &b->ev[i];
        if (b->have_rules) {
            int owned;
            dak_params *p = run_item_params(&b->in, ev->item, &owned);
            if (!p) {
                if (errno == ESTALE)
                    run_batch_changed_msg(&b->in, ev->item, msg, sizeof msg);
                engine_log(b, "%s", errno == ESTALE ? msg : "out of memory");
                return 3;
            }
            int m = plan_rules_match(&b->rules, p, ev->item->eval, msg, sizeof msg);
            if (owned)
                dak_params_free(p);
            if (m == -2) {
                engine_log(b, "%s: nothing was run", msg);
                return 1;
            }
            ev->plan = m + 1;
        }
        b->plans[ev->plan].nused++;
    }
    for (int k = 0; k < b->nplans; k++) {
        run_plan *pl = &b->plans[k];
        char where[PATH_MAX + 32] = "";
        if (pl->rule)
            snprintf(where, sizeof where, "%s:%d: ", b->rules.path, pl->rule->line);
        if (!pl->nused)
            continue;
        if (!pl->submit && !sched_pool_feasible(b->eng->pool, &pl->req, msg, sizeof msg)) {
            engine_log(b, "%san evaluation %s: nothing was run%s", where, msg,
                   pl->rule ? " (a submit rule sends it to the queue as its own job)" : "");
            feasible_hint(b, &pl->req);
            return 1;
        }
        if (!pl->submit)
            continue;
        if (!b->sub && !(b->sub = submit_new(b->eng->res.backend, c->submit_uri, c->mpi, msg,
                                             sizeof msg))) {
            engine_log(b, "%s%s: nothing was run", where, msg);
            return 1;
        }
        submit_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.req = &pl->req;
        sp.time_limit = pl->time_limit;
        sp.sched = pl->rule->sched;
        sp.sched_args = pl->rule->sched_args;
        sp.nsched_args = pl->rule->nsched_args;
        if (submit_check(b->sub, &sp, msg, sizeof msg) < 0) {
            engine_log(b, "%s%s: nothing was run", where, msg);
            return 1;
        }
    }
    b->min_tl = -1; /* the shortest time limit of a tiled plan (0: one has none) */
    for (int i = 0; i < b->nplans; i++)
        if (!b->plans[i].submit && b->plans[i].nused &&
            (b->min_tl < 0 || b->plans[i].time_limit < b->min_tl))
            b->min_tl = b->plans[i].time_limit;
    if (compute_order(b) < 0) {
        engine_log(b, "out of memory");
        return 3;
    }
    return 0;
}


/* After "an evaluation needs ...": how to get what it needs. */
static void feasible_hint(const engine_batch *b, const sched_request *q)
{
    long cores = (long)q->ntasks * q->cores_per_task;
    char gpus[64] = "";
    if (q->gpus_per_task > 0)
        snprintf(gpus, sizeof gpus, " --gpus-per-task=%d", q->gpus_per_task);
    if (strcmp(b->eng->res.backend, "slurm") == 0)
        engine_log(b, "Slurm gives an allocation only the CPUs it was asked for (one per task by "
               "default): ask for whole nodes (salloc/sbatch --exclusive -N ...) or for the "
               "evaluation's shape (salloc/sbatch --ntasks=%d --cpus-per-task=%d%s)",
               q->ntasks, q->cores_per_task, gpus);
    else if (strcmp(b->eng->res.backend, "flux") == 0)
        engine_log(b, "ask Flux for more when you allocate (flux alloc -N NODES --exclusive, or "
               "flux alloc -n %d -c %d%s)", q->ntasks, q->cores_per_task,
               q->gpus_per_task > 0 ? " -g ..." : "");
    else if ((long)q->ntasks * q->gpus_per_task > alloc_total_gpus(&b->eng->res))
        /* the GPUs are what is missing: more cores would not help */
        engine_log(b, "this machine offers %d GPU%s to batchtile (%s); --gpus N says how many it "
               "has, or ask for fewer with -n/-g", alloc_total_gpus(&b->eng->res),
               alloc_total_gpus(&b->eng->res) == 1 ? "" : "s",
               "CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES or hwloc");
    else
        engine_log(b, "this machine offers %d cores to batchtile (its affinity mask and cgroup); "
               "--cores %ld lets the evaluation share them, or ask for fewer with -n/-c",
               alloc_total_cores(&b->eng->res), cores);
}

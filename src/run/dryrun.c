/* --dry-run: where each evaluation would run, and its command, as the pool
 * would place them all at once (and a submitted one's scheduler command);
 * nothing is run. */
#define _GNU_SOURCE
#include "orch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/proc.h"
#include "util/tmpl.h"

static void print_placement(const orch *o, const sched_placement *pl, char *out, size_t outsz)
{
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < pl->nslices && w < outsz; i++) {
        const sched_slice *s = &pl->slices[i];
        w += (size_t)snprintf(out + w, outsz - w, "%s%s: cores ", i ? "; " : "",
                              o->res.nodes[s->node].name);
        for (int k = 0; k < s->ncores && w < outsz; k++)
            w += (size_t)snprintf(out + w, outsz - w, "%s%d", k ? "," : "", s->cores[k]);
        if (s->ngpus && w < outsz) {
            w += (size_t)snprintf(out + w, outsz - w, " gpus ");
            for (int k = 0; k < s->ngpus && w < outsz; k++)
                w += (size_t)snprintf(out + w, outsz - w, "%s%s", k ? "," : "",
                                      o->res.nodes[s->node].gpu_ids[s->gpus[k]]);
        }
    }
}

int orch_dry_run(orch *o)
{
    const run_config *c = o->cfg;
    /* as if each evaluation ran until the pool was full, then the oldest
     * ended (in the order it would start: --order) */
    sched_placement *held = calloc(o->batch.n, sizeof *held);
    size_t oldest = 0, nheld = 0;
    if (!held) {
        ut_err("out of memory");
        return 3;
    }
    for (size_t i = 0; i < o->batch.n; i++) {
        ev_state *e = &o->ev[o->start_order[i]];
        const run_plan *plan = &o->plans[e->plan];
        long eval = e->item->eval;
        char params[PATH_MAX], results[PATH_MAX], dir[PATH_MAX], where[2048], line[8192];
        char rule[PATH_MAX + 64] = "";
        run_workdir_path(&c->layout, eval, dir, sizeof dir);
        ut_tmpl_expand(c->layout.params_file, eval, params, sizeof params);
        ut_tmpl_expand(c->layout.results_file, eval, results, sizeof results);
        char **argv = run_cmdline_argv(&plan->cmd, eval, params, results);
        if (o->have_rules && plan->rule)
            snprintf(rule, sizeof rule, "  rule %s:%d (%s)", o->rules.path, plan->rule->line,
                     plan->submit ? "submit" : "tile");
        else if (o->have_rules)
            snprintf(rule, sizeof rule, "  no rule (the command line's options)");
        if (plan->submit) {
            char *wd = o->spec_paths.wd, *out = o->spec_paths.out, *err = o->spec_paths.err,
                 *origin = o->spec_paths.origin;
            char *on = orch_expand_name(c->stdout_name, eval), *en = orch_expand_name(c->stderr_name, eval);
            submit_spec sp;
            if (!orch_ev_run(e)) {
                ut_argv_free(argv);
                continue;
            }
            e->run->cwd = strdup(dir);
            e->run->out_name = on;
            e->run->err_name = en;
            e->run->job.argv = argv;
            line[0] = '\0';
            if (e->run->cwd && on && en && orch_submit_spec(o, e, &sp, wd, out, err, origin, PATH_MAX) == 0)
                submit_describe(o->sub, &sp, line, sizeof line);
            e->run->job.argv = NULL;
            orch_ev_drop(e);
            run_cmdline_format(argv, where, sizeof where);
            printf("eval %ld%s  as its own %s job: %s  (running: %s)\n", eval, rule,
                   submit_name(o->sub), line, where);
            ut_argv_free(argv);
            continue;
        }
        held[nheld] = (sched_placement){0, NULL};
        while (sched_pool_alloc(o->pool, &plan->req, &held[nheld]) < 0 ||
               (c->max_running > 0 && nheld - oldest >= (size_t)c->max_running)) {
            if (held[nheld].slices)
                sched_pool_release(o->pool, &held[nheld]);
            if (oldest == nheld)
                break; /* cannot happen after the feasibility check */
            sched_pool_release(o->pool, &held[oldest++]);
        }
        print_placement(o, &held[nheld], where, sizeof where);
        nheld++;
        run_cmdline_format(argv, line, sizeof line);
        const char *via = strcmp(o->res.backend, "slurm") == 0 ? "(srun) "
                          : plan->req.ntasks > 1 && strcmp(c->mpi, "none") != 0 ? "(mpiexec) "
                                                                                 : "";
        printf("eval %ld%s  [%s]  in %s: %s%s\n", eval, rule, where, dir, via, line);
        ut_argv_free(argv);
    }
    for (size_t i = oldest; i < nheld; i++)
        sched_placement_free(&held[i]);
    free(held);
    return 0;
}


/* --dry-run: where each evaluation would run, and its command, as the pool
 * would place them all at once (and a submitted one's scheduler command);
 * nothing is run. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/proc.h"
#include "util/tmpl.h"

static void print_placement(const engine_batch *b, const sched_placement *pl, char *out, size_t outsz)
{
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < pl->nslices && w < outsz; i++) {
        const sched_slice *s = &pl->slices[i];
        w += (size_t)snprintf(out + w, outsz - w, "%s%s: cores ", i ? "; " : "",
                              b->eng->res.nodes[s->node].name);
        for (int k = 0; k < s->ncores && w < outsz; k++)
            w += (size_t)snprintf(out + w, outsz - w, "%s%d", k ? "," : "", s->cores[k]);
        if (s->ngpus && w < outsz) {
            w += (size_t)snprintf(out + w, outsz - w, " gpus ");
            for (int k = 0; k < s->ngpus && w < outsz; k++)
                w += (size_t)snprintf(out + w, outsz - w, "%s%s", k ? "," : "",
                                      b->eng->res.nodes[s->node].gpu_ids[s->gpus[k]]);
        }
    }
}

/* How the evaluation would start, as the backend chosen for the run would
 * start it: under Slurm or Flux with --launch auto|agents, an evaluation on
 * one node goes to that node's agent (through mpiexec when it has several
 * tasks), except, with auto, a multi-task one under an srun MPI plugin or
 * --mpi none (launch/agent.c: agent_start); the rest, and every one with
 * --launch steps, is a step (srun) or a Flux job. */
static const char *dry_via(const engine_batch *b, const sched_request *q, const sched_placement *pl)
{
    const run_config *c = b->cfg;
    const char *be = b->eng->backend;
    const char *mpi = c->mpi ? c->mpi : "auto";
    int tasks = q->ntasks > 1 && strcmp(mpi, "none") != 0;
    int slurm = strcmp(be, "slurm") == 0, flux = strcmp(be, "flux") == 0;
    if (!slurm && !flux)
        return tasks ? "(mpiexec) " : "";
    const char *how = c->launch ? c->launch : "auto";
    int std_mpi = strcmp(mpi, "auto") == 0 || strcmp(mpi, "mpiexec") == 0;
    if (strcmp(how, "steps") != 0 && pl->nslices == 1 &&
        (strcmp(how, "agents") == 0 || std_mpi || q->ntasks <= 1))
        return tasks ? "(agent, mpiexec) " : "(agent) ";
    return slurm ? "(srun) " : "(Flux job) ";
}

int engine_dry_run(engine_batch *b)
{
    const run_config *c = b->cfg;
    /* as if each evaluation ran until the pool was full, then the oldest
     * ended (in the order it would start: --order) */
    sched_placement *held = calloc(b->in.n, sizeof *held);
    size_t oldest = 0, nheld = 0;
    if (!held) {
        engine_log(b, "out of memory");
        return 3;
    }
    for (size_t i = 0; i < b->in.n; i++) {
        ev_state *ev = &b->ev[b->start_order[i]];
        const run_plan *plan = &b->plans[ev->plan];
        long eval = ev->item->eval;
        char params[PATH_MAX], results[PATH_MAX], dir[PATH_MAX], where[2048], line[8192];
        char rule[PATH_MAX + 64] = "";
        run_workdir_path(&c->layout, eval, dir, sizeof dir);
        ut_tmpl_expand(c->layout.params_file, eval, params, sizeof params);
        ut_tmpl_expand(c->layout.results_file, eval, results, sizeof results);
        char **argv = run_cmdline_argv(&plan->cmd, eval, params, results);
        if (b->have_rules && plan->rule)
            snprintf(rule, sizeof rule, "  rule %s:%d (%s)", b->rules.path, plan->rule->line,
                     plan->submit ? "submit" : "tile");
        else if (b->have_rules)
            snprintf(rule, sizeof rule, "  no rule (the command line's options)");
        if (plan->submit) {
            char *wd = b->spec_paths.wd, *out = b->spec_paths.out, *err = b->spec_paths.err,
                 *origin = b->spec_paths.origin;
            char *on = engine_expand_name(c->stdout_name, eval), *en = engine_expand_name(c->stderr_name, eval);
            submit_spec sp;
            if (!engine_ev_run(b, ev)) {
                ut_argv_free(argv);
                continue;
            }
            ev->run->cwd = strdup(dir);
            ev->run->out_name = on;
            ev->run->err_name = en;
            ev->run->job.argv = argv;
            line[0] = '\0';
            if (ev->run->cwd && on && en && engine_submit_spec(b, ev, &sp, wd, out, err, origin, PATH_MAX) == 0)
                submit_describe(b->sub, &sp, line, sizeof line);
            ev->run->job.argv = NULL;
            engine_ev_drop(ev);
            run_cmdline_format(argv, where, sizeof where);
            printf("eval %ld%s  as its own %s job: %s  (running: %s)\n", eval, rule,
                   submit_name(b->sub), line, where);
            ut_argv_free(argv);
            continue;
        }
        held[nheld] = (sched_placement){0, NULL};
        while (sched_pool_alloc(b->eng->pool, &plan->req, &held[nheld]) < 0 ||
               (c->max_running > 0 && nheld - oldest >= (size_t)c->max_running)) {
            if (held[nheld].slices)
                sched_pool_release(b->eng->pool, &held[nheld]);
            if (oldest == nheld)
                break; /* cannot happen after the feasibility check */
            sched_pool_release(b->eng->pool, &held[oldest++]);
        }
        print_placement(b, &held[nheld], where, sizeof where);
        nheld++;
        run_cmdline_format(argv, line, sizeof line);
        const char *via = dry_via(b, &plan->req, &held[nheld - 1]);
        printf("eval %ld%s  [%s]  in %s: %s%s\n", eval, rule, where, dir, via, line);
        ut_argv_free(argv);
    }
    for (size_t i = oldest; i < nheld; i++)
        sched_placement_free(&held[i]);
    free(held);
    return 0;
}


/* A batch's life on the engine: loaded and its journal locked (before the
 * machine is probed), set up against the allocation (commands, plans,
 * templates, checks, the results spill), begun (resume, the run record,
 * the queue, the look-ahead), and ended once idle (what did not run, the
 * results file, the summary, its exit status). Every line it prints goes
 * to its own log, prefixed as ut_err prefixes. Every relative path of its
 * options is taken against its directory. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"

void engine_log(const engine_batch *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ut_vlog(b->log, fmt, ap);
    va_end(ap);
}

/* path against dir (NULL: as it is); kept among what b frees. */
static const char *in_dir(engine_batch *b, const char *dir, const char *path)
{
    if (!dir || !path || path[0] == '/')
        return path;
    char **no = realloc(b->owned, (b->nowned + 1) * sizeof *no);
    if (!no)
        return path;
    b->owned = no;
    size_t n = strlen(dir) + strlen(path) + 2;
    char *s = malloc(n);
    if (!s)
        return path;
    snprintf(s, n, "%s/%s", dir, path);
    b->owned[b->nowned++] = s;
    return s;
}

engine_batch *engine_batch_open(const run_config *cfg, const char *cfg_dir, FILE *log,
                                int *status)
{
    engine_batch *b = calloc(1, sizeof *b);
    if (!b) {
        ut_log(log, "out of memory");
        *status = 3;
        return NULL;
    }
    b->log = log;
    b->cfgc = *cfg;
    b->cfg = &b->cfgc;
    run_config *c = &b->cfgc;
    if (cfg_dir) {
        c->params_path = in_dir(b, cfg_dir, c->params_path);
        c->results_path = in_dir(b, cfg_dir, c->results_path);
        c->journal_path = in_dir(b, cfg_dir, c->journal_path);
        c->joblog_path = in_dir(b, cfg_dir, c->joblog_path);
        c->rules_path = in_dir(b, cfg_dir, c->rules_path);
        c->template_dir = in_dir(b, cfg_dir, c->template_dir);
        c->layout.workdir = in_dir(b, cfg_dir, c->layout.workdir);
        if (c->ncmd > 0 && strchr(c->cmd[0], '/') && c->cmd[0][0] != '/') {
            /* a command named by a path: from the batch's directory */
            char **cmd = malloc((size_t)(c->ncmd + 1) * sizeof *cmd);
            char **no = cmd ? realloc(b->owned, (b->nowned + 1) * sizeof *no) : NULL;
            if (no) {
                b->owned = no;
                b->owned[b->nowned++] = (char *)cmd;
                memcpy(cmd, c->cmd, (size_t)c->ncmd * sizeof *cmd);
                cmd[c->ncmd] = NULL;
                cmd[0] = (char *)in_dir(b, cfg_dir, c->cmd[0]);
                c->cmd = cmd;
            } else {
                free(cmd);
            }
        }
    }
    char msg[2048];
    int rc = run_batch_load(&b->in, c->params_path, 0, msg, sizeof msg);
    if (rc != RUN_LOAD_OK) {
        engine_log(b, "%s", msg);
        *status = rc == RUN_LOAD_INPUT ? 2 : 3;
        engine_batch_release(b);
        return NULL;
    }
    /* one run per journal (and so per directory), before anything is touched
     * and before the machine is probed: a second run says so at once */
    struct stat jst;
    b->journal_new = stat(c->journal_path, &jst) < 0;
    if (!c->dry_run && !(b->journal = run_journal_open(c->journal_path, b->log, msg, sizeof msg))) {
        engine_log(b, "%s", msg);
        *status = errno == EWOULDBLOCK ? 4 : 3;
        engine_batch_release(b);
        return NULL;
    }
    /* Dakota's results format is its own setting (results_format), standard
     * unless asked: never guessed from the parameters' format */
    b->rfmt = c->results_format >= 0 ? (dak_format)c->results_format : DAK_FMT_STANDARD;
    *status = 0;
    return b;
}

int engine_batch_setup(engine_batch *b, engine *e)
{
    const run_config *c = b->cfg;
    char msg[2048];
    b->eng = e;
    b->grace = c->grace;
    b->ev = calloc(b->in.n ? b->in.n : 1, sizeof *b->ev);
    if (!b->ev) {
        engine_log(b, "out of memory");
        return 3;
    }
    for (size_t i = 0; i < b->in.n; i++)
        b->ev[i].item = &b->in.items[i];
    if (run_cmdline_init(&b->cmd, c->cmd, c->ncmd, msg, sizeof msg) < 0) {
        engine_log(b, "%s", msg);
        return 1;
    }
    int status = engine_setup_plans(b);
    if (status != 0)
        return status;
    if (c->template_dir) {
        if (run_template_init(&b->tmpl, c->template_dir, c->copy_files, msg, sizeof msg) < 0) {
            engine_log(b, "%s", msg);
            return 1;
        }
        b->have_tmpl = 1;
        const char *written[] = {c->layout.params_file, c->layout.results_file, c->stdout_name,
                                 c->stderr_name, NULL};
        if (run_template_check(&b->tmpl, written, msg, sizeof msg) < 0) {
            engine_log(b, "%s", msg);
            return 1;
        }
    }
    /* a work directory that is a link would lead batchtile's writes elsewhere */
    for (size_t i = 0; !c->follow_workdir_links && i < b->in.n; i++)
        if (run_workdir_check_link(&c->layout, b->in.items[i].eval, msg, sizeof msg) < 0) {
            engine_log(b, "%s: nothing was run", msg);
            return 1;
        }
    if (c->dry_run)
        return engine_dry_run(b);
    if (run_results_prepare(c->results_path, msg, sizeof msg) < 0) {
        engine_log(b, "%s: nothing was run", msg);
        return 3;
    }
    /* the finished evaluations' results wait beside the results file */
    char dir[PATH_MAX];
    const char *slash = strrchr(c->results_path, '/');
    snprintf(dir, sizeof dir, "%.*s",
             slash ? (int)(slash - c->results_path) + (slash == c->results_path) : 1,
             slash ? c->results_path : ".");
    if (run_spill_open(&b->spill, dir) < 0) {
        engine_log(b, "%s: cannot keep results aside there: %s: nothing was run", dir,
                   strerror(errno));
        return 3;
    }
    return 0;
}

void engine_batch_shape(const engine_batch *b, engine_shape *out)
{
    *out = (engine_shape){1, 0, 0};
    for (int k = 0; k < b->nplans; k++) {
        const sched_request *q = &b->plans[k].req;
        if (!b->plans[k].nused || b->plans[k].submit)
            continue;
        int cores = q->exclusive ? 1 : q->ntasks * q->cores_per_task;
        out->ntasks = q->ntasks > out->ntasks ? q->ntasks : out->ntasks;
        out->nodes = q->nodes > out->nodes ? q->nodes : out->nodes;
        out->cores = cores > out->cores ? cores : out->cores;
    }
}

int engine_batch_begin(engine_batch *b)
{
    const run_config *c = b->cfg;
    char msg[2048];
    b->t_start_mono = engine_mono();
    b->t_start_wall = engine_wall();
    if (engine_resume(b, msg, sizeof msg) < 0) {
        engine_log(b, "%s", msg);
        return 3;
    }
    /* Dakota re-sending failed work for ever: stop it here (resend.h) */
    run_resend_init(&b->resend, &b->in);
    if (run_resend_check(&b->resend, c->journal_path, c->resend_limit, msg, sizeof msg)) {
        engine_log(b, "%s", msg);
        unlink(c->results_path); /* a stale one would be read as this batch's */
        return RUN_RESEND_STATUS;
    }
    engine_journal_run_start(b);
    if (c->joblog_path && !(b->joblog = report_joblog_open(c->joblog_path, msg, sizeof msg))) {
        engine_log(b, "%s", msg);
        return 3;
    }
    for (size_t i = 0; i < b->in.n; i++) {
        ev_state *ev = &b->ev[b->start_order[i]];
        if (ev->state == ST_PENDING && engine_enqueue(b, ev) < 0) {
            engine_log(b, "out of memory");
            return 3;
        }
    }
    /* the work directories of what will start next, made ahead by helper
     * threads (BATCHTILE_PRESTAGE=N: at most N of them, as many as their
     * measured latency calls for; 0 none; default 8) */
    const char *ps = getenv("BATCHTILE_PRESTAGE");
    int nhelpers = ps && *ps ? atoi(ps) : 8;
    if (nhelpers > 64)
        nhelpers = 64;
    if (nhelpers > 0 &&
        (b->prestage_order = malloc((b->in.n ? b->in.n : 1) * sizeof *b->prestage_order))) {
        size_t n = 0;
        for (size_t i = 0; i < b->in.n; i++) {
            const ev_state *ev = &b->ev[b->start_order[i]];
            if (ev->state == ST_PENDING && !b->plans[ev->plan].submit)
                b->prestage_order[n++] = b->start_order[i];
        }
        size_t window = 2 * (size_t)alloc_total_cores(&b->eng->res) + 16;
        b->prestage = run_prestage_new(&b->in, &c->layout, b->have_tmpl ? &b->tmpl : NULL,
                                       c->stdout_name, c->stderr_name, c->follow_workdir_links,
                                       b->prestage_order, n, window, nhelpers);
    }
    run_progress_init(&b->progress, c->progress);
    return 0;
}

int engine_batch_idle(const engine_batch *b)
{
    return b->nrunning == 0 && b->nsubs == 0 &&
           (b->stopping || (sched_queue_len(&b->queue) == 0 && b->nto_submit == 0));
}

static void summary(engine_batch *b, int wrote)
{
    char el[64];
    double t = engine_mono() - b->t_start_mono;
    snprintf(el, sizeof el, "%d:%02d", (int)(t / 60), (int)t % 60);
    char extra[128] = "";
    size_t w = 0;
    if (b->nnotrun)
        w += (size_t)snprintf(extra + w, sizeof extra - w, ", %zu not run", b->nnotrun);
    if (b->nresumed)
        snprintf(extra + w, sizeof extra - w, ", %zu taken from the journal", b->nresumed);
    engine_log(b, "%zu evaluation%s: %zu ok, %zu failed%s; %s elapsed; %s %s", b->in.n,
               b->in.n == 1 ? "" : "s", b->ndone - b->nfailed, b->nfailed - b->nnotrun, extra,
               el, wrote ? "wrote" : "could not write", b->cfg->results_path);
}

/* --on-fail nan / value:X: a failed evaluation's section holds values
 * (Dakota 6.21 crashes on FAIL in batch results); it is still a failure
 * in the messages, the journal and the report */
static void fill_failed(engine_batch *b)
{
    const run_config *c = b->cfg;
    size_t filled = 0;
    for (size_t i = 0; c->on_fail != RUN_ON_FAIL_FAIL && i < b->in.n; i++) {
        ev_state *ev = &b->ev[i];
        if (ev->has_text)
            continue;
        int owned;
        dak_params *p = run_item_params(&b->in, ev->item, &owned);
        if (p)
            filled += engine_set_text(b, ev, run_results_filled(b->rfmt, p,
                                                                c->on_fail == RUN_ON_FAIL_NAN
                                                                    ? NAN
                                                                    : c->on_fail_value)) == 0;
        if (owned)
            dak_params_free(p);
    }
    if (filled)
        engine_log(b, "--on-fail %s: %zu failed evaluation%s written as %s for what %s asked for",
                   c->on_fail == RUN_ON_FAIL_NAN ? "nan" : "value", filled,
                   filled == 1 ? "" : "s", c->on_fail == RUN_ON_FAIL_NAN ? "NaN" : "the value",
                   filled == 1 ? "it" : "they");
}

void engine_batch_end(engine_batch *b)
{
    const run_config *c = b->cfg;
    run_prestage_free(b->prestage); /* nothing more starts */
    b->prestage = NULL;
    /* what never ran: FAIL in the results (Dakota needs a section for each),
     * recorded in the journal as not run, never as the simulation's failure */
    size_t not_run = 0, stopped = b->nnotrun;
    for (size_t i = 0; i < b->in.n; i++) {
        ev_state *ev = &b->ev[i];
        if (ev->state == ST_PENDING) {
            not_run++;
            char why[330];
            snprintf(why, sizeof why, "not run: %.300s", b->stop_why);
            free(ev->reason);
            ev->reason = strdup(why);
            ev->not_run = 1;
            ev->state = ST_DONE;
            engine_journal_eval(b, ev, NULL, 0, 1, engine_wall());
            b->ndone++;
            b->nfailed++;
            b->nnotrun++;
        }
    }
    run_progress_clear(&b->progress);
    if (b->stopping == STOP_CLOCK)
        engine_log(b, "%s: %zu evaluation%s not started, %zu stopped; run the same command in a "
                   "new allocation to finish them", b->stop_why, not_run,
                   not_run == 1 ? "" : "s", stopped);
    else if (not_run)
        engine_log(b, "%zu evaluation%s not started: FAIL (%s)", not_run,
                   not_run == 1 ? "" : "s", b->stop_why);
    fill_failed(b);
    /* the end record first: its sync overlaps the results file's */
    engine_journal_end(b);
    /* streamed from the spill file, in batch order */
    int wrote = run_results_write_stream(c->results_path, b->rfmt, b->in.n, b->in.single,
                                         engine_text_of, b) == 0;
    if (!wrote)
        engine_log(b, "%s: cannot write: %s", c->results_path, strerror(errno));
    if (run_journal_close(b->journal) < 0)
        b->sys_error = 1;
    b->journal = NULL;
    report_joblog_close(b->joblog);
    b->joblog = NULL;
    summary(b, wrote);
    int status = 0;
    if (!wrote || b->stopping == STOP_FAULT || b->sys_error)
        status = 3;
    else if (b->stopping == STOP_CLOCK)
        status = 75; /* EX_TEMPFAIL: the allocation ended; run again to finish */
    else if (b->stopping > 0)
        status = 128 + b->stopping;
    else if (b->nnotrun)
        status = 75; /* what did not run (the infrastructure, --halt): run again */
    b->status = status;
    b->complete = 1;
    if (b->eng)
        engine_batch_detach(b->eng, b);
    if (b->done)
        b->done(b, status, b->done_arg);
}

void engine_batch_release(engine_batch *b)
{
    if (!b)
        return;
    run_prestage_free(b->prestage); /* it reads the batch and the template */
    free(b->prestage_order);
    if (b->ev) {
        for (size_t i = 0; i < b->in.n; i++) {
            free(b->ev[i].reason);
            engine_ev_drop(&b->ev[i]);
        }
    }
    free(b->ev);
    /* a run refused before it began leaves no journal it created */
    struct stat jst;
    if (b->journal && b->journal_new && stat(b->cfg->journal_path, &jst) == 0 &&
        jst.st_size == 0)
        unlink(b->cfg->journal_path);
    run_journal_close(b->journal);
    report_joblog_close(b->joblog);
    sched_queue_free(&b->queue);
    run_cmdline_free(&b->cmd);
    run_recipe_free(&b->recipe);
    for (int k = 1; b->plans && k < b->nplans; k++) {
        if (b->plans[k].own_cmd)
            run_cmdline_free(&b->plans[k].cmd);
        run_recipe_free(&b->plans[k].recipe);
    }
    free(b->plans);
    if (b->have_rules)
        plan_rules_free(&b->rules);
    submit_free(b->sub);
    free(b->subs);
    free(b->to_submit);
    free(b->start_order);
    if (b->have_tmpl)
        run_template_free(&b->tmpl);
    run_batch_free(&b->in);
    run_spill_close(&b->spill);
    free(b->textbuf);
    for (size_t i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->owned);
    free(b);
}

int engine_batch_attach(engine *e, engine_batch *b)
{
    if (e->nbatches == e->capbatches) {
        size_t cap = e->capbatches ? e->capbatches * 2 : 4;
        engine_batch **nb = realloc(e->batches, cap * sizeof *nb);
        if (!nb)
            return -1;
        e->batches = nb;
        e->capbatches = cap;
    }
    b->eng = e;
    b->seq = e->nadded++;
    e->batches[e->nbatches++] = b;
    return 0;
}

void engine_batch_detach(engine *e, engine_batch *b)
{
    for (size_t i = 0; i < e->nbatches; i++)
        if (e->batches[i] == b) {
            memmove(&e->batches[i], &e->batches[i + 1], (e->nbatches - i - 1) * sizeof *e->batches);
            e->nbatches--;
            return;
        }
}

engine_batch *engine_batch_add(engine *e, const run_config *cfg, const char *cfg_dir, FILE *log,
                               engine_done_fn done, void *arg, int *status)
{
    if (e->stopping) {
        ut_log(log, "the allocation is stopping: the batch %s was not started", cfg->params_path);
        *status = 75;
        return NULL;
    }
    engine_batch *b = engine_batch_open(cfg, cfg_dir, log, status);
    if (!b)
        return NULL;
    char msg[2048];
    if ((*status = engine_batch_setup(b, e)) != 0 || cfg->dry_run) {
        engine_batch_release(b);
        return NULL;
    }
    engine_shape need;
    engine_batch_shape(b, &need);
    if (engine_start(e, &need, msg, sizeof msg) < 0) {
        engine_log(b, "%s", msg);
        *status = errno == EINVAL ? 1 : 3; /* --launch agents, a multi-node batch */
        engine_batch_release(b);
        return NULL;
    }
    if ((*status = engine_batch_begin(b)) != 0 || engine_batch_attach(e, b) < 0) {
        if (!*status) {
            engine_log(b, "out of memory");
            *status = 3;
        }
        engine_batch_release(b);
        return NULL;
    }
    b->done = done;
    b->done_arg = arg;
    return b;
}

void engine_batch_cancel(engine_batch *b, int sig)
{
    if (b->complete || b->stopping)
        return;
    char why[64];
    snprintf(why, sizeof why, "interrupted by SIG%s", engine_signame(sig));
    run_progress_clear(&b->progress);
    engine_log(b, "SIG%s: starting nothing new, stopping %zu running evaluation%s",
               engine_signame(sig), b->nrunning, b->nrunning == 1 ? "" : "s");
    engine_request_stop(b, sig, 1, why);
}

void engine_batch_free(engine_batch *b)
{
    if (b && b->eng && !b->complete)
        engine_batch_detach(b->eng, b);
    engine_batch_release(b);
}

void engine_batch_counts(const engine_batch *b, engine_counts *out)
{
    memset(out, 0, sizeof *out);
    out->total = b->in.n;
    out->done = b->ndone;
    out->failed = b->nfailed;
    out->running = b->nrunning + b->nsubs;
    out->waiting = sched_queue_len(&b->queue) + b->nto_submit;
    out->cores_busy = b->cores_busy;
    out->gpus_busy = b->gpus_busy;
}

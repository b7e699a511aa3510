/* One attempt's life: staged (work directory, parameters, argv; the
 * look-ahead's when it made them), started on its placement, ended (its
 * results read, checked and rendered, or why it failed: its time limit, a
 * stop, the infrastructure, a full disk), then retried, or final: its
 * journal record, joblog line, counters and message. A completion only
 * asks for the stops it calls for (stop.c); the loop applies them. */
#define _GNU_SOURCE
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"
#include "util/proc.h"
#include "util/tmpl.h"

/* ---- per-evaluation state ------------------------------------------------ */

/* The attempt state of ev, allocated when it is first needed; NULL when out
 * of memory. */
ev_run *engine_ev_run(engine_batch *b, ev_state *ev)
{
    if (!ev->run && (ev->run = calloc(1, sizeof *ev->run)))
        ev->run->b = b;
    return ev->run;
}

/* Release ev's attempt state (its placement must have been given back). */
void engine_ev_drop(ev_state *ev)
{
    ev_run *r = ev->run;
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
    ev->run = NULL;
}

/* Keep text (malloc'd, taken) as ev's rendered results, in the spill file.
 * 0, or -1 (NULL text, or the spill file cannot grow: a fault of the
 * machine). */
int engine_set_text(engine_batch *b, ev_state *ev, char *text)
{
    if (!text)
        return -1;
    size_t len = strlen(text);
    uint64_t off;
    int rc = len <= UINT32_MAX ? run_spill_add(&b->spill, text, len, &off) : -1;
    int err = errno;
    free(text);
    if (rc < 0) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "cannot keep the results aside: %s", strerror(err));
        engine_machine_fault(b, what);
        return -1;
    }
    ev->has_text = 1;
    ev->text_off = off;
    ev->text_len = (uint32_t)len;
    return 0;
}

/* The text of evaluation i for the batch results file (NULL: FAIL; *err
 * set when it cannot be read back). */
const char *engine_text_of(void *arg, size_t i, int *err)
{
    engine_batch *b = arg;
    const ev_state *ev = &b->ev[i];
    if (!ev->has_text)
        return NULL;
    if (ev->text_len + 1 > b->textbufsz) {
        char *nb = realloc(b->textbuf, ev->text_len + 1);
        if (!nb) {
            *err = ENOMEM;
            return NULL;
        }
        b->textbuf = nb;
        b->textbufsz = ev->text_len + 1;
    }
    if (run_spill_read(&b->spill, ev->text_off, ev->text_len, b->textbuf) < 0) {
        *err = errno ? errno : EIO;
        return NULL;
    }
    return b->textbuf;
}

int engine_results_path(const engine_batch *b, long eval, char *out, size_t outsz)
{
    return run_workdir_file(&b->cfg->layout, eval, b->cfg->layout.results_file, out, outsz);
}

char *engine_expand_name(const char *tmpl, long eval)
{
    char buf[PATH_MAX];
    if (ut_tmpl_expand(tmpl, eval, buf, sizeof buf) < 0)
        return NULL;
    return strdup(buf);
}

/* errno values that are the machine's fault, never the evaluation's */
static int is_machine_fault(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS;
}

/* ev could not start through no fault of its own: back to pending (the
 * stop that follows reports it as not run), its placement given back. */
static void not_started(engine_batch *b, ev_state *ev)
{
    ev->attempt--;
    ev->state = ST_PENDING;
    if (ev->run && ev->run->place.slices)
        sched_pool_release(b->eng->pool, &ev->run->place);
    engine_ev_drop(ev);
}

/* Prepare an attempt of ev: its work directory, parameters file, output
 * names and argv (into ev->run->job). 0, or -1 when it ended already (finished
 * as failed, or back to pending on a fault of the machine). */
int engine_stage(engine_batch *b, ev_state *ev)
{
    const run_config *c = b->cfg;
    const run_plan *plan = &b->plans[ev->plan];
    long eval = ev->item->eval;
    char msg[PATH_MAX + 1024], params[PATH_MAX], results[PATH_MAX], rpath[PATH_MAX];
    ev->attempt++;
    ev->not_run = 0;
    if (!engine_ev_run(b, ev)) {
        engine_finish(b, ev, NULL, "out of memory", NULL);
        return -1;
    }
    ev->run->timed_out = ev->run->interrupted = 0;
    ev->run->kill_stage = 0;
    ev->run->t0_mono = engine_mono();
    ev->run->t0_wall = engine_wall();
    free(ev->run->cwd);
    ev->run->cwd = NULL;
    char dir[PATH_MAX];
    if (run_workdir_path(&c->layout, eval, dir, sizeof dir) < 0 || !(ev->run->cwd = strdup(dir)) ||
        ut_tmpl_expand(c->layout.params_file, eval, params, sizeof params) < 0 ||
        ut_tmpl_expand(c->layout.results_file, eval, results, sizeof results) < 0 ||
        engine_results_path(b, eval, rpath, sizeof rpath) < 0) {
        engine_finish(b, ev, NULL, "work directory or file name too long", NULL);
        return -1;
    }
    /* ready when the helper made it ahead (a first attempt only) */
    int ready = ev->attempt == 1 && run_prestage_take(b->prestage, (size_t)(ev - b->ev));
    /* every attempt starts from its parameters as Dakota wrote them (a
     * retry is re-staged: the failed attempt may have changed them) */
    if (!ready && run_item_write_params(&b->in, ev->item, &c->layout,
                                        b->have_tmpl ? &b->tmpl : NULL,
                                        c->follow_workdir_links, msg, sizeof msg) < 0) {
        if (is_machine_fault(errno) || errno == ESTALE) {
            not_started(b, ev);
            engine_machine_fault(b, msg);
            return -1;
        }
        engine_finish(b, ev, NULL, msg, NULL);
        return -1;
    }
    /* a results file from an earlier attempt or run must not pass for this one's */
    if (!ready && unlink(rpath) < 0 && errno != ENOENT) {
        snprintf(msg, sizeof msg, "cannot remove the old %s: %s", rpath, strerror(errno));
        engine_finish(b, ev, NULL, msg, NULL);
        return -1;
    }
    free(ev->run->out_name);
    free(ev->run->err_name);
    ev->run->out_name = engine_expand_name(c->stdout_name, eval);
    ev->run->err_name = engine_expand_name(c->stderr_name, eval);
    char **argv = run_cmdline_argv(&plan->cmd, eval, params, results);
    if (!argv || !ev->run->out_name || !ev->run->err_name) {
        ut_argv_free(argv);
        engine_finish(b, ev, NULL, "out of memory", NULL);
        return -1;
    }
    memset(&ev->run->job, 0, sizeof ev->run->job);
    ev->run->job.eval = eval;
    ev->run->job.argv = argv;
    ev->run->job.cwd = ev->run->cwd;
    ev->run->job.out_path = ev->run->out_name;
    ev->run->job.err_path = ev->run->err_name;
    ev->run->job.req = &plan->req;
    ev->run->job.place = &ev->run->place;
    ev->run->job.time_limit = plan->time_limit;
    ev->run->job.outputs_ready = ready && c->stdout_name[0] != '/' && c->stderr_name[0] != '/';
    ev->run->job.owner = ev;
    return 0;
}

/* Start ev on placement pl (taken from the pool). */
void engine_start_eval(engine_batch *b, ev_state *ev, sched_placement *pl)
{
    char msg[PATH_MAX + 1024];
    if (!engine_ev_run(b, ev)) {
        sched_pool_release(b->eng->pool, pl);
        ev->attempt++;
        engine_finish(b, ev, NULL, "out of memory", NULL);
        return;
    }
    ev->run->place = *pl;
    if (engine_stage(b, ev) < 0)
        return;
    if (b->eng->be->ops->start(b->eng->be, &ev->run->job, msg, sizeof msg) < 0) {
        int err = errno;
        ut_argv_free(ev->run->job.argv);
        ev->run->job.argv = NULL;
        if (is_machine_fault(err)) {
            not_started(b, ev);
            engine_machine_fault(b, msg);
            return;
        }
        engine_finish(b, ev, NULL, msg, NULL);
        return;
    }
    ev->state = ST_RUNNING;
    double tl = b->plans[ev->plan].time_limit;
    /* counted from the start itself: never early for the process */
    ev->run->deadline = tl > 0 && !b->eng->be->enforces_time_limit ? engine_mono() + tl : 0;
    if (engine_running_add(b->eng, ev) < 0) {
        /* it runs, untracked: stop it, and say why */
        b->eng->be->ops->signal(b->eng->be, &ev->run->job, SIGKILL);
        engine_machine_fault(b, "out of memory");
    }
}

/* Put ev (pending) where it waits: the submissions, or the queue. */
int engine_enqueue(engine_batch *b, ev_state *ev)
{
    size_t id = (size_t)(ev - b->ev);
    if (b->plans[ev->plan].submit) {
        b->to_submit[b->nto_submit++] = id;
        return 0;
    }
    return sched_queue_push(&b->queue, id, &b->plans[ev->plan].req);
}

static void requeue(engine_batch *b, ev_state *ev)
{
    ev->state = ST_PENDING;
    if (engine_enqueue(b, ev) < 0) {
        ev->reason = strdup("out of memory");
        ev->state = ST_DONE;
        b->ndone++;
        b->nfailed++;
    }
}

/* One line in GNU parallel's joblog format for a finished evaluation. */
static void joblog_eval(engine_batch *b, ev_state *ev, const launch_status *st, double t_end)
{
    char host[1024] = "", cmd[8192] = "";
    size_t w = 0;
    if (ev->run->job_id)
        snprintf(host, sizeof host, "%s:%s", submit_name(b->sub), ev->run->job_id);
    for (int i = 0; i < ev->run->place.nslices && w < sizeof host; i++)
        w += (size_t)snprintf(host + w, sizeof host - w, "%s%s", i ? "," : "",
                              b->eng->res.nodes[ev->run->place.slices[i].node].name);
    if (!ev->run->job_id && ev->run->job.ext_id[0])
        snprintf(host, sizeof host, "%s", ev->run->job.ext_id);
    if (!host[0])
        snprintf(host, sizeof host, ":");
    if (ev->run->job.argv)
        run_cmdline_format(ev->run->job.argv, cmd, sizeof cmd);
    int exitval = st && st->exited ? st->code : -1, sig = st && !st->exited ? st->signo : 0;
    /* an evaluation batchtile failed (invalid results, its time limit) is
     * never logged as a success: 1 where it exited 0 */
    if (ev->reason && exitval == 0)
        exitval = 1;
    if (report_joblog_add(b->joblog, ev->item->eval, host, ev->run->t0_wall, t_end - ev->run->t0_wall, exitval,
                          sig, cmd) < 0 &&
        !b->sys_error) {
        engine_log(b, "%s: cannot append to the joblog: %s", b->cfg->joblog_path, strerror(errno));
        b->sys_error = 1;
    }
}

/* An attempt ended: text is its rendered results, or NULL with reason. */
void engine_finish(engine_batch *b, ev_state *ev, char *text, const char *reason,
                        const launch_status *st)
{
    ev_run *r = ev->run; /* NULL when it failed before its attempt state existed */
    double t_end = st && st->t_end > 0 ? st->t_end : engine_wall();
    if (r && st && st->t_start > 0)
        r->t0_wall = st->t_start; /* when it ran, not when it was handed over */
    int ok = text != NULL;
    /* the infrastructure's failures do not use the evaluation's --retries:
     * they have their own bound, and then the evaluation is not run */
    int retry = !ok && !b->stopping &&
                (ev->not_run ? ev->infra_tries > 0 && ev->infra_tries <= b->cfg->infra_retries
                            : ev->attempt - ev->infra_tries <= b->cfg->retries);
    free(ev->reason);
    ev->reason = ok ? NULL : strdup(reason ? reason : "failed");
    engine_journal_eval(b, ev, st, ok, !retry, t_end);
    /* GNU parallel's joblog has no line for a job that did not run */
    if (!retry && b->joblog && !ev->not_run)
        joblog_eval(b, ev, st, t_end);
    if (!retry && st && r)
        b->runtime_sum += engine_mono() - r->t0_mono, b->runtime_n++;
    if (r && r->place.slices)
        engine_release_later(b->eng, &r->place);
    if (retry) {
        engine_ev_drop(ev);
        requeue(b, ev);
        return;
    }
    ev->state = ST_DONE;
    b->ndone++;
    if (ok)
        engine_set_text(b, ev, text);
    if (b->ndone % 4096 == 0)
        run_batch_release(&b->in); /* the pages staging and checking read */
    const char *cwd = r && r->cwd ? r->cwd : "?";
    if (!ok && ev->not_run) {
        /* not the simulation's failure: said once for all at the end when
         * the allocation ended, here when the infrastructure gave up */
        b->nfailed++;
        b->nnotrun++;
        if (r && r->interrupted && b->stopping != STOP_CLOCK) {
            run_progress_clear(&b->progress);
            engine_log(b, "evaluation %ld (%s): %s", ev->item->eval, cwd, ev->reason);
        } else if (ev->infra_tries > 0 && b->stopping != STOP_CLOCK) {
            run_progress_clear(&b->progress);
            engine_log(b, "evaluation %ld (%s): not run: %s (%d attempt%s spoiled by the "
                   "infrastructure)", ev->item->eval, cwd, ev->reason, ev->infra_tries,
                   ev->infra_tries == 1 ? "" : "s");
        }
    } else if (!ok) {
        b->nfailed++;
        run_progress_clear(&b->progress);
        char tries[48] = "";
        if (ev->attempt > 1)
            snprintf(tries, sizeof tries, " (%d attempts)", ev->attempt);
        const char *evid = r && r->evidence ? r->evidence : NULL;
        engine_log(b, "evaluation %ld (%s): FAIL: %s%s%s%s", ev->item->eval, cwd, ev->reason,
                   evid ? "; " : "", evid ? evid : "", tries);
        if (!(r && r->interrupted))
            engine_check_halt(b);
    }
    /* a finished evaluation keeps only where its results are, and why it
     * failed: a million of them must fit in little memory */
    engine_ev_drop(ev);
}

/* Where the attempt's stderr went: its name, relative to the work
 * directory unless absolute. 0, or -1 (none, or too long). */
static int stderr_path(const ev_state *ev, char *out, size_t outsz)
{
    if (!ev->run->err_name || !ev->run->cwd)
        return -1;
    if (ev->run->err_name[0] == '/')
        return snprintf(out, outsz, "%s", ev->run->err_name) < (int)outsz ? 0 : -1;
    return ut_path_join(out, outsz, ev->run->cwd, ev->run->err_name);
}

/* A failure's evidence, after its reason: the file to read and the last
 * line the evaluation wrote to its stderr. */
static int add_evidence(const ev_state *ev, char *out, size_t outsz)
{
    char path[PATH_MAX], line[256];
    if (stderr_path(ev, path, sizeof path) < 0)
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
static void classify_infra(engine_batch *b, ev_state *ev, const launch_status *st, char *why,
                           size_t whysz)
{
    char iwhy[600] = "", node[256] = "", path[PATH_MAX];
    int r = st->infra;
    if (r) {
        snprintf(iwhy, sizeof iwhy, "%.590s", st->reason ? st->reason : why);
        if (st->node)
            snprintf(node, sizeof node, "%s", st->node);
    }
    if (!r && !ev->run->submitted && b->eng->be->ops->infra && stderr_path(ev, path, sizeof path) == 0)
        r = b->eng->be->ops->infra(b->eng->be, &ev->run->job, path, iwhy, sizeof iwhy, node, sizeof node);
    if (!r)
        return;
    ev->not_run = 1;
    ev->infra_tries++;
    snprintf(why, whysz, "the infrastructure: %s", iwhy);
    if (r == 2 || r == 3) {
        /* the allocation itself is ending (2), or starts no more jobs (3, a
         * step limit: what runs may finish): what remains is for the next one */
        engine_clock_stop(b, r == 2,
                          r == 2 ? "the allocation is ending (Slurm creates no more steps)" : iwhy);
        return;
    }
    for (int i = 0; node[0] && i < b->eng->res.nnodes; i++)
        if (strcmp(b->eng->res.nodes[i].name, node) == 0 && sched_pool_node_down(b->eng->pool, i)) {
            run_progress_clear(&b->progress);
            engine_log(b, "node %s failed (%s): no more evaluations are placed there; %d node%s left",
                   node, iwhy, sched_pool_nodes_up(b->eng->pool), sched_pool_nodes_up(b->eng->pool) == 1 ? "" : "s");
        }
}

/* The backend says a job ended. */
void engine_on_done(void *arg, launch_job *job, const launch_status *st)
{
    ev_state *ev = job->owner;
    engine_batch *b = ev->run->b;
    engine_running_remove(arg, ev);
    if (st->timed_out)
        ev->run->timed_out = 1;
    char why[2048], lim[32];
    char *text = NULL;
    const char *reason = why;
    if (ev->run->timed_out) {
        engine_fmt_seconds(b->plans[ev->plan].time_limit, lim, sizeof lim);
        snprintf(why, sizeof why, "time limit %s exceeded (killed)", lim);
    } else if (ev->run->interrupted && !(st->exited && st->code == 0)) {
        snprintf(why, sizeof why, "%s", b->stop_why);
    } else if (st->reason) {
        snprintf(why, sizeof why, "%s", st->reason);
    } else if (!st->exited) {
        snprintf(why, sizeof why, "killed by signal %d (SIG%s)", st->signo, engine_signame(st->signo));
    } else if (st->code != 0) {
        snprintf(why, sizeof why, "exit status %d", st->code);
    } else {
        char rpath[PATH_MAX];
        int owned = 0;
        dak_params *p = NULL;
        if (engine_results_path(b, ev->item->eval, rpath, sizeof rpath) < 0) {
            snprintf(why, sizeof why, "results file name too long");
        } else if (!(p = run_item_params(&b->in, ev->item, &owned))) {
            if (errno == ESTALE) {
                /* the batch file changed underneath: the machine's fault */
                char what[PATH_MAX + 256];
                run_batch_changed_msg(&b->in, ev->item, what, sizeof what);
                ev->not_run = 1;
                snprintf(why, sizeof why, "not run: %.2000s", what);
                engine_machine_fault(b, what);
            } else {
                snprintf(why, sizeof why, "out of memory");
            }
        } else {
            dak_results *r = run_results_read(rpath, p, b->cfg->max_results_size, why, sizeof why);
            if (r) {
                text = run_results_render(b->rfmt, p, r);
                if (!text)
                    snprintf(why, sizeof why, "out of memory");
                dak_results_free(r);
            }
        }
        if (owned)
            dak_params_free(p);
    }
    free(ev->run->evidence);
    ev->run->evidence = NULL;
    if (!text && !ev->run->interrupted) {
        char evid[1400];
        if (add_evidence(ev, evid, sizeof evid) > 0)
            ev->run->evidence = strdup(evid);
    }
    if (!text && ev->run->interrupted && b->stopping && !ev->run->timed_out) {
        /* stopped (a signal, a fault of the machine, --halt now, the
         * allocation's end): not the evaluation's failure, and not run */
        ev->not_run = 1;
        snprintf(why, sizeof why, "not run: %s", b->stop_why);
    } else if (!text && !ev->run->interrupted && !ev->run->timed_out) {
        classify_infra(b, ev, st, why, sizeof why);
        /* a full filesystem is the machine's fault: what failed on it was
         * not run, and the batch stops as when staging meets it */
        if (!ev->not_run && !ev->run->submitted && ev->run->cwd && ut_fs_full(ev->run->cwd)) {
            char what[PATH_MAX + 64];
            snprintf(what, sizeof what, "%s: No space left on device", ev->run->cwd);
            ev->not_run = 1;
            snprintf(why, sizeof why, "not run: the filesystem of %.1000s is full", ev->run->cwd);
            engine_machine_fault(b, what);
        }
    }
    engine_finish(b, ev, text, text ? NULL : reason, st);
}

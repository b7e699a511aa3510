/* The Flux backend: each evaluation is a Flux job confined to the broker
 * ranks the pool chose (jobspec constraints, RFC 31 "ranks"), submitted
 * through libflux-core's C API once the pool has room for it, and followed
 * to its end through futures on the Flux reactor, which the orchestrator's
 * event loop drives through the handle's poll fd. The orchestrator keeps the
 * time limits (TERM, then KILL after --grace), as for Slurm steps. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"

#ifdef BT_HAVE_FLUX
#include <flux/core.h>
#include <jansson.h>

#include "alloc/flux.h"

extern char **environ;

typedef struct flux_be {
    launch_backend base;
    flux_t *h;
    double grace; /* --grace: the backstop duration's allowance past -t */
    char cwd[PATH_MAX];
} flux_be;

typedef struct fjob {
    flux_be *be;
    launch_job *job;
    flux_jobid_t id;
    int have_id;
    int pending_sig; /* a signal asked for before the id came back */
} fjob;

/* A signal on its way to a job (the job's record may be gone when Flux answers). */
typedef struct fsig {
    flux_t *h;
    flux_jobid_t id;
} fsig;

static void finish(fjob *fj, const launch_status *st)
{
    launch_job *j = fj->job;
    flux_be *F = fj->be;
    j->priv = NULL;
    free(fj);
    F->base.done(F->base.done_arg, j, st);
}

static void fire_and_forget(flux_future_t *f, void *arg)
{
    (void)arg;
    flux_future_destroy(f);
}

/* A job that is not running yet (Flux has not started it) cannot take a
 * signal: cancel it instead, so that it never starts. */
static void on_kill(flux_future_t *f, void *arg)
{
    fsig *s = arg;
    if (flux_future_get(f, NULL) < 0 && errno != ENOENT) {
        flux_future_t *c = flux_job_cancel(s->h, s->id, "batchtile: stopped");
        if (c && flux_future_then(c, -1., fire_and_forget, NULL) < 0)
            flux_future_destroy(c);
    }
    flux_future_destroy(f);
    free(s);
}

/* TERM, KILL, or another signal to every task of the job (flux job kill):
 * the program sees the signal the orchestrator chose, as under Slurm. */
static void send_signal(fjob *fj, int sig)
{
    fsig *s = malloc(sizeof *s);
    flux_future_t *f = s ? flux_job_kill(fj->be->h, fj->id, sig) : NULL;
    if (!f || flux_future_then(f, -1., on_kill, s) < 0) {
        flux_future_destroy(f);
        free(s);
        return;
    }
    s->h = fj->be->h;
    s->id = fj->id;
}

/* The broker rank in an exception note "node failure on HOST (rank N)", or -1. */
static int note_rank(const char *note)
{
    const char *p = note ? strstr(note, "(rank ") : NULL;
    char *end;
    long r = p ? strtol(p + 6, &end, 10) : -1;
    return p && end != p + 6 && *end == ')' ? (int)r : -1;
}

/* Was Flux's exception the infrastructure's? The node to blame into
 * *node (a rank), or -1. Flux raises a lost broker as type "exec" with
 * "node failure on HOST (rank N)" (job-exec, for a critical shell), or
 * "lost contact with job shell"; a lost non-critical shell as type
 * "node-failure". A request Flux cannot satisfy is the evaluation's (its
 * shape was checked before anything ran), unless the ranks it was
 * confined to went down under it. */
static int exception_infra(flux_be *F, const fjob *fj, const char *type, const char *note,
                           int *node)
{
    *node = -1;
    if (strcmp(type, "exec") == 0 || strcmp(type, "node-failure") == 0) {
        if (note && (strncmp(note, "node failure on ", 16) == 0 ||
                     strstr(note, "lost contact with job shell"))) {
            *node = note_rank(note);
            return 1;
        }
        return strcmp(type, "node-failure") == 0;
    }
    if (strcmp(type, "alloc") == 0) {
        if (!note || !strstr(note, "unsatisfiable"))
            return 1; /* the scheduler's own trouble */
        const sched_placement *pl = fj->job->place;
        for (int i = 0; pl && i < pl->nslices; i++)
            if (alloc_flux_rank_down(F->h, pl->slices[i].node) == 1) {
                *node = pl->slices[i].node;
                return 1;
            }
        return 0;
    }
    return strcmp(type, "lost") == 0 || strcmp(type, "start") == 0 ||
           strcmp(type, "shutdown") == 0;
}

static void on_result(flux_future_t *f, void *arg)
{
    fjob *fj = arg;
    int result = 0, waitstatus = -1, exc = 0;
    const char *etype = NULL, *enote = NULL;
    double t_run = 0, t_cleanup = 0;
    launch_status st = {0};
    char why[1024];
    if (flux_job_result_get_unpack(f, "{s:i s?i s:b s?s s?s s?f s?f}", "result", &result,
                                   "waitstatus", &waitstatus, "exception_occurred", &exc,
                                   "exception_type", &etype, "exception_note", &enote, "t_run",
                                   &t_run, "t_cleanup", &t_cleanup) < 0) {
        snprintf(why, sizeof why, "flux: cannot read the job's result: %s",
                 future_strerror(f, errno));
        st.reason = why;
    } else {
        st.t_start = t_run;
        st.t_end = t_cleanup;
        char code[64] = "";
        if (waitstatus >= 0 && WIFEXITED(waitstatus) && WEXITSTATUS(waitstatus) > 128 &&
            WEXITSTATUS(waitstatus) < 128 + 65) {
            /* the job shell reports a task killed by signal N as 128+N
             * (flux jobs' returncode reads it the same way) */
            st.signo = WEXITSTATUS(waitstatus) - 128;
            snprintf(code, sizeof code, "killed by signal %d; ", st.signo);
        } else if (waitstatus >= 0 && WIFEXITED(waitstatus)) {
            st.exited = 1;
            st.code = WEXITSTATUS(waitstatus);
            snprintf(code, sizeof code, "exit status %d; ", st.code);
        } else if (waitstatus >= 0 && WIFSIGNALED(waitstatus)) {
            st.signo = WTERMSIG(waitstatus);
            snprintf(code, sizeof code, "killed by signal %d; ", st.signo);
        }
        if (result == FLUX_JOB_RESULT_TIMEOUT) {
            st.timed_out = 1;
        } else if (exc && result != FLUX_JOB_RESULT_COMPLETED) {
            /* Flux's own account, whether or not the tasks left a status */
            int canceled = result == FLUX_JOB_RESULT_CANCELED;
            snprintf(why, sizeof why, "%sFlux job %s %s: %s%s%s", code, fj->job->ext_id + 5,
                     canceled ? "canceled" : "exception", etype ? etype : "?",
                     enote && *enote ? ": " : "", enote ? enote : "");
            st.reason = why;
            int node = -1;
            if (!canceled && etype && exception_infra(fj->be, fj, etype, enote, &node)) {
                st.infra = 1;
                if (node >= 0 && node < fj->be->base.res->nnodes)
                    st.node = fj->be->base.res->nodes[node].name;
            }
        }
    }
    flux_future_destroy(f);
    finish(fj, &st);
}

static void on_submit(flux_future_t *f, void *arg)
{
    fjob *fj = arg;
    if (flux_job_submit_get_id(f, &fj->id) < 0) {
        char why[512];
        snprintf(why, sizeof why, "flux: submit failed: %s", future_strerror(f, errno));
        flux_future_destroy(f);
        launch_status st = {0};
        st.reason = why;
        finish(fj, &st);
        return;
    }
    flux_future_destroy(f);
    fj->have_id = 1;
    char f58[48];
    if (flux_job_id_encode(fj->id, "f58", f58, sizeof f58) < 0)
        snprintf(f58, sizeof f58, "%ju", (uintmax_t)fj->id);
    snprintf(fj->job->ext_id, sizeof fj->job->ext_id, "Flux:%s", f58);
    if (fj->pending_sig)
        send_signal(fj, fj->pending_sig);
    flux_future_t *r = flux_job_result(fj->be->h, fj->id, 0);
    if (!r || flux_future_then(r, -1., on_result, fj) < 0) {
        flux_future_destroy(r);
        launch_status st = {0};
        st.reason = "flux: cannot follow the job";
        finish(fj, &st);
    }
}

/* One slot (a task's cores and GPUs), count of them. */
static json_t *slot_json(int count, int cores, int gpus)
{
    json_t *with = json_pack("[{s:s s:i}]", "type", "core", "count", cores);
    if (gpus > 0)
        json_array_append_new(with, json_pack("{s:s s:i}", "type", "gpu", "count", gpus));
    return json_pack("{s:s s:i s:o s:s}", "type", "slot", "count", count, "with", with, "label",
                     "task");
}

/* The jobspec's resources for the pool's placement: as `flux run -N n -n t
 * [--exclusive]` would ask (n nodes, t/n task slots on each), on the ranks
 * the pool chose. A placement with uneven counts per rank asks for its
 * slots over those ranks, without a node level (jobspec v1 has no uneven
 * form): Flux then spreads them over those ranks as it sees fit. */
static json_t *resources_json(const launch_job *j)
{
    const sched_request *q = j->req;
    const sched_placement *pl = j->place;
    int uniform = 1;
    for (int i = 0; i < pl->nslices; i++)
        uniform &= pl->slices[i].ntasks == pl->slices[0].ntasks;
    if (!uniform && !q->exclusive)
        return json_pack("[o]", slot_json(q->ntasks, q->cores_per_task, q->gpus_per_task));
    int per = pl->slices[0].ntasks > 0 ? pl->slices[0].ntasks : 1;
    json_t *node = json_pack("{s:s s:i s:[o]}", "type", "node", "count", pl->nslices, "with",
                             slot_json(per, q->cores_per_task, q->gpus_per_task));
    if (node && q->exclusive)
        json_object_set_new(node, "exclusive", json_true());
    return json_pack("[o]", node);
}

/* The placement's ranks as an idset ("0,2"), into out. */
static int ranks_idset(const sched_placement *pl, char *out, size_t outsz)
{
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < pl->nslices; i++) {
        int n = snprintf(out + w, outsz - w, "%s%d", i ? "," : "", pl->slices[i].node);
        if (n < 0 || (size_t)n >= outsz - w)
            return -1;
        w += (size_t)n;
    }
    return 0;
}

/* Past the time limit and the grace, Flux's own duration is a backstop
 * only: batchtile sends TERM, then KILL, itself; Flux's SIGALRM comes only
 * where batchtile could not (killed with kill -9, say). */
enum { BACKSTOP_SECONDS = 60 };

/* The job's jobspec (malloc'd JSON), or NULL with errno set. */
static char *jobspec(const flux_be *F, const launch_job *j, const char *dir, const char *out,
                     const char *err)
{
    int argc = 0;
    while (j->argv[argc])
        argc++;
    char name[64], ranks[8192];
    snprintf(name, sizeof name, "batchtile.eval.%ld", j->eval);
    if (ranks_idset(j->place, ranks, sizeof ranks) < 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    double backstop = j->time_limit > 0 ? j->time_limit + F->grace + BACKSTOP_SECONDS : 0.;
    flux_jobspec1_t *js =
        flux_jobspec1_from_command(argc, j->argv, environ, 1, 1, 0, 0, backstop);
    if (!js || flux_jobspec1_set_cwd(js, dir) < 0 || flux_jobspec1_set_stdout(js, out) < 0 ||
        flux_jobspec1_set_stderr(js, err) < 0 ||
        flux_jobspec1_attr_pack(js, "system.job.name", "s", name) < 0 ||
        flux_jobspec1_attr_pack(js, "system.constraints", "{s:[s]}", "ranks", ranks) < 0) {
        flux_jobspec1_destroy(js);
        return NULL;
    }
    char *s = flux_jobspec1_encode(js, 0);
    flux_jobspec1_destroy(js);
    json_t *o = s ? json_loads(s, 0, NULL) : NULL;
    free(s);
    json_t *res = o ? resources_json(j) : NULL;
    s = res && json_object_set_new(o, "resources", res) == 0 ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        errno = ENOMEM;
    return s;
}

static int flux_start(launch_backend *b, launch_job *j, char *msg, size_t msgsz)
{
    flux_be *F = (flux_be *)b;
    char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
    /* a job's paths are its own: make them absolute */
    if ((j->cwd[0] == '/' ? snprintf(dir, sizeof dir, "%s", j->cwd)
                          : snprintf(dir, sizeof dir, "%s/%s", F->cwd, j->cwd)) >= (int)sizeof dir ||
        snprintf(out, sizeof out, "%s/%s", dir, j->out_path) >= (int)sizeof out ||
        snprintf(err, sizeof err, "%s/%s", dir, j->err_path) >= (int)sizeof err) {
        snprintf(msg, msgsz, "work directory path too long");
        return -1;
    }
    char *spec = jobspec(F, j, dir, j->out_path[0] == '/' ? j->out_path : out,
                         j->err_path[0] == '/' ? j->err_path : err);
    if (!spec) {
        snprintf(msg, msgsz, "flux: cannot build the jobspec: %s", strerror(errno));
        return -1;
    }
    fjob *fj = calloc(1, sizeof *fj);
    flux_future_t *f = fj ? flux_job_submit(F->h, spec, FLUX_JOB_URGENCY_DEFAULT, 0) : NULL;
    free(spec);
    if (!f || flux_future_then(f, -1., on_submit, fj) < 0) {
        flux_future_destroy(f);
        free(fj);
        snprintf(msg, msgsz, "flux: cannot submit: %s", strerror(errno));
        return -1;
    }
    fj->be = F;
    fj->job = j;
    j->priv = fj;
    j->pid = 0;
    j->ext_id[0] = '\0';
    return 0;
}

static int flux_signal(launch_backend *b, launch_job *j, int sig)
{
    (void)b;
    fjob *fj = j->priv;
    if (!fj)
        return 0;
    if (!fj->have_id) {
        fj->pending_sig = sig;
        return 0;
    }
    send_signal(fj, sig);
    return 0;
}

static int flux_fd(launch_backend *b)
{
    return flux_pollfd(((flux_be *)b)->h);
}

static void flux_process(launch_backend *b)
{
    flux_be *F = (flux_be *)b;
    flux_reactor_t *r = flux_get_reactor(F->h);
    /* the poll fd is edge-triggered: run the reactor until nothing is left */
    for (int i = 0; i < 1000; i++) {
        if (flux_reactor_run(r, FLUX_REACTOR_NOWAIT) < 0)
            break;
        int ev = flux_pollevents(F->h);
        if (ev < 0 || !(ev & FLUX_POLLIN))
            break;
    }
}

static void flux_destroy(launch_backend *b)
{
    flux_be *F = (flux_be *)b;
    /* let the futures' own clean-up (event watches being cancelled) finish */
    for (int i = 0; i < 10; i++)
        flux_reactor_run(flux_get_reactor(F->h), FLUX_REACTOR_NOWAIT);
    flux_close(F->h);
    free(F);
}

static const launch_ops flux_ops = {
    "flux", flux_start, flux_signal, flux_fd, flux_process, flux_destroy, NULL, NULL,
};

launch_backend *launch_flux_new(const alloc_resources *res, const launch_options *opt, char *msg,
                                size_t msgsz)
{
    if (strcmp(opt->mpi, "auto") != 0 && strcmp(opt->mpi, "flux") != 0 &&
        strcmp(opt->mpi, "none") != 0) {
        snprintf(msg, msgsz, "--mpi %s: the flux backend starts tasks through Flux (--mpi flux)",
                 opt->mpi);
        return NULL;
    }
    flux_be *F = calloc(1, sizeof *F);
    if (!F || !getcwd(F->cwd, sizeof F->cwd) || !(F->h = flux_open(NULL, 0))) {
        snprintf(msg, msgsz, "cannot connect to the Flux instance: %s", strerror(errno));
        free(F);
        return NULL;
    }
    F->base.ops = &flux_ops;
    F->base.res = res;
    F->grace = opt->grace;
    /* the pool places, the orchestrator keeps the time limits */
    F->base.places_itself = 0;
    F->base.enforces_time_limit = 0;
    return &F->base;
}
#else
launch_backend *launch_flux_new(const alloc_resources *res, const launch_options *opt, char *msg,
                                size_t msgsz)
{
    (void)res;
    (void)opt;
    snprintf(msg, msgsz, "this batchtile was built without flux-core");
    return NULL;
}
#endif

/* The Flux backend: each evaluation is a Flux job, submitted through
 * libflux-core's C API without waiting for the one before (Flux places it),
 * and followed to its end through futures on the Flux reactor, which the
 * orchestrator's event loop drives through the handle's poll fd. */
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

extern char **environ;

typedef struct flux_be {
    launch_backend base;
    flux_t *h;
    char cwd[PATH_MAX];
} flux_be;

typedef struct fjob {
    flux_be *be;
    launch_job *job;
    flux_jobid_t id;
    int have_id;
    int pending_sig; /* a signal asked for before the id came back */
} fjob;

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

static void send_signal(fjob *fj, int sig)
{
    flux_future_t *f = sig == SIGKILL ? flux_job_kill(fj->be->h, fj->id, SIGKILL)
                                      : flux_job_cancel(fj->be->h, fj->id, "batchtile: stopped");
    if (f && flux_future_then(f, -1., fire_and_forget, NULL) < 0)
        flux_future_destroy(f);
}

static void on_result(flux_future_t *f, void *arg)
{
    fjob *fj = arg;
    int result = 0, waitstatus = -1, exc = 0;
    const char *etype = NULL, *enote = NULL;
    double t_run = 0, t_cleanup = 0;
    launch_status st = {0};
    char why[512];
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
        if (waitstatus >= 0 && WIFEXITED(waitstatus)) {
            st.exited = 1;
            st.code = WEXITSTATUS(waitstatus);
        } else if (waitstatus >= 0 && WIFSIGNALED(waitstatus)) {
            st.signo = WTERMSIG(waitstatus);
        }
        if (result == FLUX_JOB_RESULT_TIMEOUT) {
            st.timed_out = 1;
        } else if (exc && (result != FLUX_JOB_RESULT_COMPLETED)) {
            snprintf(why, sizeof why, "flux job %s: %s%s%s",
                     result == FLUX_JOB_RESULT_CANCELED ? "canceled" : "exception",
                     etype ? etype : "?", enote && *enote ? ": " : "", enote ? enote : "");
            if (waitstatus < 0 || result == FLUX_JOB_RESULT_CANCELED)
                st.reason = why;
            /* an exception the program did not raise (a node lost, the
             * scheduler, the instance) is the infrastructure's */
            if (result != FLUX_JOB_RESULT_CANCELED && etype &&
                (strcmp(etype, "node-failure") == 0 || strcmp(etype, "lost") == 0 ||
                 strcmp(etype, "alloc") == 0 || strcmp(etype, "start") == 0 ||
                 strcmp(etype, "shutdown") == 0))
                st.infra = 1;
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
    int argc = 0;
    while (j->argv[argc])
        argc++;
    flux_jobspec1_t *js = flux_jobspec1_from_command(
        argc, j->argv, environ, j->req->ntasks, j->req->cores_per_task, j->req->gpus_per_task,
        j->req->nodes, j->time_limit > 0 ? j->time_limit : 0.);
    if (!js || flux_jobspec1_set_cwd(js, dir) < 0 || flux_jobspec1_set_stdout(js, out) < 0 ||
        flux_jobspec1_set_stderr(js, err) < 0 ||
        flux_jobspec1_attr_pack(js, "system.job.name", "s", "batchtile") < 0) {
        flux_jobspec1_destroy(js);
        snprintf(msg, msgsz, "flux: cannot build the jobspec: %s", strerror(errno));
        return -1;
    }
    char *spec = flux_jobspec1_encode(js, 0);
    flux_jobspec1_destroy(js);
    fjob *fj = calloc(1, sizeof *fj);
    flux_future_t *f = spec && fj ? flux_job_submit(F->h, spec, FLUX_JOB_URGENCY_DEFAULT, 0) : NULL;
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
    "flux", flux_start, flux_signal, flux_fd, flux_process, flux_destroy, NULL,
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
    F->base.places_itself = 1;
    F->base.enforces_time_limit = 1;
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

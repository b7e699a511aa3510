#define _GNU_SOURCE
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch/backend.h"

extern char **environ;

/* Our environment for the scheduler's commands, less what ties a process
 * to this run (its token: the watchdog and the next run would kill the job)
 * and to this allocation (SLURM_JOB_ID and the like would leak into the new
 * job), keeping SLURM_CONF. */
static int build_env(ut_env *e, const char *uri)
{
    memset(e, 0, sizeof *e);
    size_t n = 0;
    while (environ[n])
        n++;
    e->envp = calloc(n + 2, sizeof *e->envp);
    e->owned = calloc(1, sizeof *e->owned);
    if (!e->envp || !e->owned)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = environ[i];
        if (strncmp(v, "BATCHTILE_RUN=", 14) == 0 || strncmp(v, "BATCHTILE_EVAL=", 15) == 0)
            continue;
        if (strncmp(v, "SLURM_", 6) == 0 && strncmp(v, "SLURM_CONF=", 11) != 0)
            continue;
        if (uri && uri[0] && strncmp(v, "FLUX_URI=", 9) == 0)
            continue;
        e->envp[o++] = environ[i];
    }
    if (uri && uri[0]) {
        if (asprintf(&e->owned[0], "FLUX_URI=%s", uri) < 0)
            return -1;
        e->nowned = 1;
        e->envp[o++] = e->owned[0];
    }
    e->envp[o] = NULL;
    return 0;
}

submitter *submit_new(const char *backend, const char *uri, const char *mpi, char *msg,
                      size_t msgsz)
{
    submitter *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    char path[4096];
    if (strcmp(backend, "flux") == 0 || (uri && uri[0])) {
        s->ops = &submit_flux_ops;
        if (ut_resolve_command("flux", path, sizeof path) < 0) {
            snprintf(msg, msgsz, "the submit route under Flux needs the flux command on PATH");
            free(s);
            return NULL;
        }
        snprintf(s->uri, sizeof s->uri, "%s", uri ? uri : "");
        s->parent = !(uri && uri[0]);
    } else if (strcmp(backend, "slurm") == 0 ||
               ut_resolve_command("sbatch", path, sizeof path) == 0) {
        s->ops = &submit_slurm_ops;
        if (ut_resolve_command("sbatch", path, sizeof path) < 0) {
            snprintf(msg, msgsz, "the submit route under Slurm needs sbatch on PATH");
            free(s);
            return NULL;
        }
        /* how ranks start matters only to a multi-task job: resolved (and
         * refused where there is no PMI) by the first one (submit/slurm.c) */
        snprintf(s->mpi_req, sizeof s->mpi_req, "%s", mpi ? mpi : "auto");
    } else {
        snprintf(msg, msgsz, "the submit route needs a scheduler to submit to, and there is "
                             "none here (no Slurm allocation or sbatch, no Flux instance)");
        free(s);
        return NULL;
    }
    if (build_env(&s->env, s->uri) < 0) {
        snprintf(msg, msgsz, "out of memory");
        submit_free(s);
        return NULL;
    }
    return s;
}

const char *submit_name(const submitter *s)
{
    return s->ops->name;
}

int submit_check(submitter *s, const submit_spec *spec, char *msg, size_t msgsz)
{
    return s->ops->check(s, spec, msg, msgsz);
}

void submit_describe(submitter *s, const submit_spec *spec, char *out, size_t outsz)
{
    ut_argv a = {0};
    out[0] = '\0';
    if (s->ops->argv(s, spec, &a) < 0 || !a.v) {
        ut_argv_free(a.v);
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < a.n && w < outsz; i++)
        w += (size_t)snprintf(out + w, outsz - w, "%s%s", i ? " " : "", a.v[i]);
    ut_argv_free(a.v);
}

int submit_capture(submitter *s, char *const *argv, char *out, size_t outsz)
{
    return ut_capture_env(argv, s->env.envp, out, outsz);
}

void submit_last_line(const char *out, char *line, size_t linesz)
{
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\r'))
        n--;
    size_t b = n;
    while (b > 0 && out[b - 1] != '\n')
        b--;
    snprintf(line, linesz, "%.*s", (int)(n - b), out + b);
}

char *submit_join_ids(char *const *ids, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", ids[i]);
    *p = '\0';
    return s;
}

int submit_job(submitter *s, const submit_spec *spec, char *id, size_t idsz, char *msg,
               size_t msgsz)
{
    ut_argv a = {0};
    msg[0] = '\0';
    if (s->ops->prepare && s->ops->prepare(s, spec, msg, msgsz) < 0)
        return -1;
    if (s->ops->argv(s, spec, &a) < 0 || !a.v) {
        ut_argv_free(a.v);
        snprintf(msg, msgsz, "cannot prepare the job for %s: %s", s->ops->name,
                 msg[0] ? msg : "out of memory");
        return -1;
    }
    int rc;
    char *out = submit_run(s, a.v, &rc);
    if (!out) {
        ut_argv_free(a.v);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    char line[512];
    submit_last_line(out, line, sizeof line);
    if (rc != 0 || s->ops->parse_id(out, id, idsz) < 0) {
        snprintf(msg, msgsz, "%s refused the job (%s exited with %d): %s", s->ops->name, a.v[0],
                 rc, line[0] ? line : "no output");
        ut_argv_free(a.v);
        return -1;
    }
    ut_argv_free(a.v);
    return 0;
}

int submit_query(submitter *s, char *const *ids, size_t n, submit_state *out)
{
    memset(out, 0, n * sizeof *out);
    return n ? s->ops->query(s, ids, n, out) : 0;
}

int submit_cancel(submitter *s, const char *id)
{
    return s->ops->cancel(s, id);
}

void submit_free(submitter *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->env.owned && i < s->env.nowned; i++)
        free(s->env.owned[i]);
    free(s->env.owned);
    free(s->env.envp);
    free(s->out);
    free(s);
}

char *submit_run(submitter *s, char *const *argv, int *rc)
{
    if (!s->out && !(s->out = malloc(SUBMIT_OUT_SIZE)))
        return NULL;
    s->out[0] = '\0';
    *rc = submit_capture(s, argv, s->out, SUBMIT_OUT_SIZE);
    return s->out;
}

/* Submitting to Flux: a job of the enclosing instance (flux --parent
 * submit), or of the instance at --submit-uri, followed with flux jobs.
 * Before anything runs, a rule's job is shown to Flux: flux submit
 * --dry-run judges its options, the scheduler's feasibility.check its
 * shape. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef BT_HAVE_FLUX
#include <flux/core.h>
#include <jansson.h>
#endif

static int flux_head(submitter *s, ut_argv *a, const char *sub)
{
    int bad = ut_argv_add(a, "flux");
    if (s->parent)
        bad |= ut_argv_add(a, "--parent");
    return bad | ut_argv_add(a, "%s", sub);
}

static int flux_options(const submit_spec *sp, ut_argv *a)
{
    const sched_request *q = sp->req;
    int bad = ut_argv_add(a, "--ntasks=%d", q->ntasks) |
              ut_argv_add(a, "--cores-per-task=%d", q->cores_per_task);
    if (q->nodes > 0)
        bad |= ut_argv_add(a, "--nodes=%d", q->nodes);
    if (q->gpus_per_task > 0)
        bad |= ut_argv_add(a, "--gpus-per-task=%d", q->gpus_per_task);
    if (sp->time_limit > 0)
        bad |= ut_argv_add(a, "--time-limit=%lds", (long)ceil(sp->time_limit));
    if (q->exclusive)
        bad |= ut_argv_add(a, "--exclusive");
    if (sp->sched && sp->sched[SUBMIT_PARTITION])
        bad |= ut_argv_add(a, "--queue=%s", sp->sched[SUBMIT_PARTITION]);
    if (sp->sched && sp->sched[SUBMIT_ACCOUNT])
        bad |= ut_argv_add(a, "--setattr=system.bank=%s", sp->sched[SUBMIT_ACCOUNT]);
    if (sp->sched && sp->sched[SUBMIT_CONSTRAINT])
        bad |= ut_argv_add(a, "--requires=%s", sp->sched[SUBMIT_CONSTRAINT]);
    for (int i = 0; i < sp->nsched_args; i++)
        bad |= ut_argv_add(a, "%s", sp->sched_args[i]);
    return bad ? -1 : 0;
}

static int flux_argv(submitter *s, const submit_spec *sp, ut_argv *a)
{
    int bad = flux_head(s, a, "submit") |
              ut_argv_add(a, "--job-name=batchtile.eval.%ld", sp->eval) |
              ut_argv_add(a, "--cwd=%s", sp->workdir) |
              ut_argv_add(a, "--output=%s", sp->out_path) |
              ut_argv_add(a, "--error=%s", sp->err_path);
    if (bad || flux_options(sp, a) < 0)
        return -1;
    /* Flux starts every task of the command itself (with its PMI) */
    for (int i = 0; sp->argv[i]; i++)
        if (ut_argv_add(a, "%s", sp->argv[i]) < 0)
            return -1;
    return 0;
}

#ifdef BT_HAVE_FLUX
/* Would the scheduler of the instance the jobs go to ever run jobspec (a
 * flux submit --dry-run output)? 0, or -1 with msg set. Where the instance
 * cannot be reached or has no feasibility service, the submission tells. */
static int flux_feasible(submitter *s, const char *jobspec, char *msg, size_t msgsz)
{
    json_t *js = jobspec ? json_loads(jobspec, 0, NULL) : NULL;
    if (!js)
        return 0;
    flux_t *h = s->uri[0] ? flux_open(s->uri, 0) : flux_open(NULL, 0);
    if (h && !s->uri[0] && s->parent) {
        const char *puri = flux_attr_get(h, "parent-uri");
        flux_t *ph = puri ? flux_open(puri, 0) : NULL;
        if (ph) {
            flux_close(h);
            h = ph;
        }
    }
    int rc = 0;
    flux_future_t *f =
        h ? flux_rpc_pack(h, "feasibility.check", FLUX_NODEID_ANY, 0, "{s:O}", "jobspec", js)
          : NULL;
    if (f && flux_rpc_get(f, NULL) < 0 && errno != ENOSYS) {
        snprintf(msg, msgsz, "Flux can never run a job of this rule: %s",
                 future_strerror(f, errno));
        rc = -1;
    }
    flux_future_destroy(f);
    if (h)
        flux_close(h);
    json_decref(js);
    return rc;
}
#endif

static int flux_check(submitter *s, const submit_spec *sp, char *msg, size_t msgsz)
{
    if (sp->sched && (sp->sched[SUBMIT_QOS] || sp->sched[SUBMIT_RESERVATION])) {
        snprintf(msg, msgsz, "Flux has no %s: pass what your Flux system uses with "
                             "--sched-arg=...", sp->sched[SUBMIT_QOS] ? "--qos" : "--reservation");
        return -1;
    }
    /* flux submit itself judges the options (a bad --sched-arg) */
    ut_argv a = {0};
    if (flux_head(s, &a, "submit") | ut_argv_add(&a, "--dry-run") ||
        flux_options(sp, &a) < 0 || ut_argv_add(&a, "true") < 0) {
        ut_argv_free(a.v);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    int rc;
    char *out = submit_run(s, a.v, &rc);
    ut_argv_free(a.v);
    if (!out) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    if (rc != 0) {
        char line[512];
        submit_last_line(out, line, sizeof line);
        snprintf(msg, msgsz, "Flux refuses a job of this rule (flux submit: %s)",
                 line[0] ? line : "failed");
        return -1;
    }
#ifdef BT_HAVE_FLUX
    return flux_feasible(s, strchr(out, '{'), msg, msgsz);
#else
    return 0;
#endif
}

static int flux_parse_id(const char *out, char *id, size_t idsz)
{
    char line[256];
    submit_last_line(out, line, sizeof line);
    if (!line[0] || strchr(line, ' ') || strlen(line) >= idsz)
        return -1;
    snprintf(id, idsz, "%s", line);
    return 0;
}

static int flux_query(submitter *s, char *const *ids, size_t n, submit_state *out)
{
    ut_argv a = {0};
    int bad = flux_head(s, &a, "jobs") | ut_argv_add(&a, "-n") | ut_argv_add(&a, "-a") |
              ut_argv_add(&a, "-o") |
              ut_argv_add(&a, "{id.f58}|{state}|{result}|{returncode}|{t_run}|"
                                  "{t_inactive}|{exception.type}|{exception.note}");
    for (size_t i = 0; i < n; i++)
        bad |= ut_argv_add(&a, "%s", ids[i]);
    if (bad) {
        ut_argv_free(a.v);
        return -1;
    }
    int rc;
    char *buf = submit_run(s, a.v, &rc);
    ut_argv_free(a.v);
    if (!buf || rc != 0)
        return -1;
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        char *f[8] = {0};
        int nf = 0;
        for (char *p = l; p && nf < 8; nf++) {
            f[nf] = p;
            char *bar = nf < 7 ? strchr(p, '|') : NULL; /* the note is last, bars and all */
            if (bar)
                *bar = '\0';
            p = bar ? bar + 1 : NULL;
        }
        if (nf < 4)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ids[i], f[0]) != 0)
                continue;
            submit_state *st = &out[i];
            st->known = 1;
            st->ended = strcmp(f[1], "INACTIVE") == 0;
            snprintf(st->state, sizeof st->state, "%s", st->ended && f[2][0] ? f[2] : f[1]);
            st->timed_out = strcmp(f[2], "TIMEOUT") == 0;
            int rcode = atoi(f[3]);
            st->exited = rcode < 128;
            st->code = rcode;
            st->signo = rcode >= 128 ? rcode - 128 : 0;
            st->t_start = nf > 4 ? atof(f[4]) : 0;
            st->t_end = nf > 5 ? atof(f[5]) : 0;
            /* a lost broker: "exec" with "node failure on HOST (rank N)"
             * (or "lost contact with job shell"), "node-failure" for a
             * shell that was not critical */
            const char *type = nf > 6 ? f[6] : "", *note = nf > 7 ? f[7] : "";
            st->infra = strcmp(type, "node-failure") == 0 ||
                        (strcmp(type, "exec") == 0 &&
                         (strncmp(note, "node failure on ", 16) == 0 ||
                          strstr(note, "lost contact with job shell")));
            st->why[0] = '\0';
            if (type[0] && strcmp(f[2], "COMPLETED") != 0)
                snprintf(st->why, sizeof st->why, "Flux job %s exception: %s%s%s", f[0], type,
                         note[0] ? ": " : "", note);
        }
    }
    return 0;
}

static int flux_cancel(submitter *s, const char *id)
{
    ut_argv a = {0};
    if (flux_head(s, &a, "cancel") | ut_argv_add(&a, "%s", id)) {
        ut_argv_free(a.v);
        return -1;
    }
    char out[1024];
    int rc = submit_capture(s, a.v, out, sizeof out);
    ut_argv_free(a.v);
    return rc == 0 ? 0 : -1;
}

const submit_ops submit_flux_ops = {
    "Flux", flux_check, flux_argv, NULL, flux_parse_id, flux_query, flux_cancel,
};

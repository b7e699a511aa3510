#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

typedef struct reason_count {
    char *reason;
    long n;
} reason_count;

typedef struct stats {
    long ok, failed, not_run, attempts, submitted;
    double makespan;
    double rt_min, rt_med, rt_p90, rt_max; /* final attempts' runtimes */
    double util;                           /* core-seconds used / available */
    double *node_util;                     /* per node */
    reason_count *reasons;
    size_t nreasons;
} stats;

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Reasons grouped: numbers kept for exit statuses and signals; the rest cut
 * at the first ':' or ',' (so "invalid results, line 3: ..." groups). */
static char *reason_key(const char *reason)
{
    if (!reason)
        return strdup("failed");
    size_t n = strcspn(reason, ":,(");
    while (n && reason[n - 1] == ' ')
        n--;
    return strndup(reason, n);
}

static void add_reason(stats *s, const char *reason)
{
    char *k = reason_key(reason);
    for (size_t i = 0; i < s->nreasons; i++)
        if (strcmp(s->reasons[i].reason, k) == 0) {
            s->reasons[i].n++;
            free(k);
            return;
        }
    reason_count *nr = realloc(s->reasons, (s->nreasons + 1) * sizeof *nr);
    if (!nr) {
        free(k);
        return;
    }
    s->reasons = nr;
    s->reasons[s->nreasons].reason = k;
    s->reasons[s->nreasons++].n = 1;
}

static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double f = pos - (double)i;
    return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

static void compute(const report_run *r, stats *s)
{
    memset(s, 0, sizeof *s);
    s->node_util = calloc((size_t)(r->nnodes > 0 ? r->nnodes : 1), sizeof *s->node_util);
    double *rt = malloc((r->n ? r->n : 1) * sizeof *rt);
    size_t nrt = 0;
    double first = r->start, last = r->start;
    for (size_t i = 0; i < r->n; i++) {
        const report_eval *e = &r->evals[i];
        s->attempts++;
        if (e->end > last)
            last = e->end;
        for (int k = 0; k < e->nslices; k++)
            s->node_util[e->slices[k].node] += e->slices[k].ncores * (e->end - e->start);
        if (!e->final)
            continue;
        s->submitted += e->submitted;
        if (e->ok)
            s->ok++;
        else if (e->not_run)
            s->not_run++;
        else {
            s->failed++;
            add_reason(s, e->reason);
        }
        if (rt)
            rt[nrt++] = e->end - e->start;
    }
    s->makespan = last - first;
    if (rt) {
        qsort(rt, nrt, sizeof *rt, by_double);
        s->rt_min = nrt ? rt[0] : NAN;
        s->rt_max = nrt ? rt[nrt - 1] : NAN;
        s->rt_med = quantile(rt, nrt, 0.5);
        s->rt_p90 = quantile(rt, nrt, 0.9);
        free(rt);
    }
    double used = 0;
    for (int i = 0; i < r->nnodes; i++) {
        used += s->node_util[i];
        double avail = r->nodes[i].cores * s->makespan;
        s->node_util[i] = avail > 0 ? s->node_util[i] / avail : NAN;
    }
    double avail = report_total_cores(r) * s->makespan;
    s->util = avail > 0 ? used / avail : NAN;
}

static void free_stats(stats *s)
{
    for (size_t i = 0; i < s->nreasons; i++)
        free(s->reasons[i].reason);
    free(s->reasons);
    free(s->node_util);
}

static void hms(double t, char *out, size_t outsz)
{
    if (!isfinite(t)) {
        snprintf(out, outsz, "-");
        return;
    }
    if (t < 60)
        snprintf(out, outsz, "%.3fs", t);
    else if (t < 3600)
        snprintf(out, outsz, "%dm%06.3fs", (int)(t / 60), fmod(t, 60));
    else
        snprintf(out, outsz, "%dh%02dm%02ds", (int)(t / 3600), (int)fmod(t / 60, 60),
                 (int)fmod(t, 60));
}

void report_print(const report_run *r, const char *journal, FILE *out)
{
    stats s;
    compute(r, &s);
    char a[32], b[32], c[32], d[32];
    fprintf(out, "batchtile report: %s (backend %s, %d node%s, %d cores)\n", journal, r->backend,
            r->nnodes, r->nnodes == 1 ? "" : "s", report_total_cores(r));
    fprintf(out, "  evaluations   %ld in the batch: %ld ok, %ld failed", r->evaluations, s.ok,
            s.failed);
    if (s.not_run)
        fprintf(out, ", %ld not run (stopped: a signal, a fault of the machine, the "
                "allocation's end, or the infrastructure)", s.not_run);
    if (r->resumed)
        fprintf(out, ", %ld taken from the journal", r->resumed);
    if (s.submitted)
        fprintf(out, "; %ld ran as jobs of their own, outside the allocation", s.submitted);
    if (s.attempts > s.ok + s.failed + s.not_run)
        fprintf(out, " (%ld attempts with retries)", s.attempts);
    if (r->interrupted)
        fprintf(out, "; the run was interrupted");
    fputc('\n', out);
    for (size_t i = 0; i < s.nreasons; i++)
        fprintf(out, "    %6ld  %s\n", s.reasons[i].n, s.reasons[i].reason);
    hms(s.makespan, a, sizeof a);
    fprintf(out, "  makespan      %s\n", a);
    hms(s.rt_min, a, sizeof a);
    hms(s.rt_med, b, sizeof b);
    hms(s.rt_p90, c, sizeof c);
    hms(s.rt_max, d, sizeof d);
    fprintf(out, "  runtime       min %s  median %s  p90 %s  max %s\n", a, b, c, d);
    fprintf(out, "  utilisation   %.1f%% of %d cores over the makespan\n", 100 * s.util,
            report_total_cores(r));
    if (r->nnodes > 1)
        for (int i = 0; i < r->nnodes; i++)
            fprintf(out, "    %-16s %5.1f%% of %d cores\n", r->nodes[i].name,
                    100 * s.node_util[i], r->nodes[i].cores);
    if (s.failed) {
        enum { SHOWN = 20 };
        long listed = 0;
        fprintf(out, "  failed evaluations:\n");
        for (size_t i = 0; i < r->n && listed < SHOWN; i++) {
            const report_eval *e = &r->evals[i];
            if (e->final && !e->ok && !e->not_run) {
                fprintf(out, "    %-8ld %-24s %s\n", e->eval, e->workdir ? e->workdir : "",
                        e->reason ? e->reason : "failed");
                listed++;
            }
        }
        if (s.failed > listed)
            fprintf(out, "    ... and %ld more (--json lists them all)\n", s.failed - listed);
    }
    free_stats(&s);
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int report_print_json(const report_run *r, const char *journal, FILE *out)
{
    stats s;
    compute(r, &s);
    json_t *o = json_object(), *reasons = json_object(), *nodes = json_array(),
           *failed = json_array();
    for (size_t i = 0; i < s.nreasons; i++)
        json_object_set_new(reasons, s.reasons[i].reason, json_integer(s.reasons[i].n));
    for (int i = 0; i < r->nnodes; i++)
        json_array_append_new(nodes, json_pack("{s:s,s:i,s:i,s:o}", "name", r->nodes[i].name,
                                               "cores", r->nodes[i].cores, "gpus",
                                               r->nodes[i].gpus, "utilisation",
                                               jnum(s.node_util[i])));
    for (size_t i = 0; i < r->n; i++) {
        const report_eval *e = &r->evals[i];
        if (!e->final || e->ok || e->not_run)
            continue;
        json_t *f = json_pack("{s:I,s:s,s:s}", "eval", (json_int_t)e->eval, "workdir",
                              e->workdir ? e->workdir : "", "reason",
                              e->reason ? e->reason : "failed");
        if (e->evidence)
            json_object_set_new(f, "evidence", json_string(e->evidence));
        json_array_append_new(failed, f);
    }
    json_object_set_new(o, "journal", json_string(journal));
    json_object_set_new(o, "backend", json_string(r->backend));
    json_object_set_new(o, "evaluations", json_integer(r->evaluations));
    json_object_set_new(o, "ok", json_integer(s.ok));
    json_object_set_new(o, "failed", json_integer(s.failed));
    json_object_set_new(o, "not_run", json_integer(s.not_run));
    json_object_set_new(o, "resumed", json_integer(r->resumed));
    json_object_set_new(o, "submitted", json_integer(s.submitted));
    json_object_set_new(o, "attempts", json_integer(s.attempts));
    json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
    json_object_set_new(o, "failed_by_reason", reasons);
    json_object_set_new(o, "makespan", jnum(s.makespan));
    json_object_set_new(o, "runtime", json_pack("{s:o,s:o,s:o,s:o}", "min", jnum(s.rt_min),
                                                "median", jnum(s.rt_med), "p90", jnum(s.rt_p90),
                                                "max", jnum(s.rt_max)));
    json_object_set_new(o, "cores", json_integer(report_total_cores(r)));
    json_object_set_new(o, "utilisation", jnum(s.util));
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "failed_evaluations", failed);
    int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    fputc('\n', out);
    json_decref(o);
    free_stats(&s);
    return rc;
}

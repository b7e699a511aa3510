#include "journal_load.h"

#include <limits.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "run/journal.h"

typedef struct ctx {
    report_run *r;
    size_t cap;
} ctx;

static char *dupstr(json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static double num(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* A whole number field, clamped to [lo, hi] (a journal is input: a huge
 * or non-finite number must not be an undefined conversion). */
static long whole(json_t *v, long lo, long hi)
{
    double d = num(v);
    if (!(d >= (double)lo))
        return lo;
    if (d > (double)hi)
        return hi;
    return (long)d;
}

static void clear_run(report_run *r)
{
    report_run_free(r);
    memset(r, 0, sizeof *r);
}

static int node_index(report_run *r, const char *name)
{
    for (int i = 0; i < r->nnodes; i++)
        if (strcmp(r->nodes[i].name, name) == 0)
            return i;
    /* a node the run record did not list: add it */
    report_node *nn = realloc(r->nodes, (size_t)(r->nnodes + 1) * sizeof *nn);
    if (!nn)
        return -1;
    r->nodes = nn;
    r->nodes[r->nnodes].name = strdup(name);
    r->nodes[r->nnodes].cores = r->nodes[r->nnodes].gpus = 0;
    return r->nnodes++;
}

static int *ints(json_t *a, int *n)
{
    *n = (int)json_array_size(a);
    int *v = calloc((size_t)(*n > 0 ? *n : 1), sizeof *v);
    for (int i = 0; v && i < *n; i++)
        v[i] = (int)json_integer_value(json_array_get(a, (size_t)i));
    return v;
}

static void on_record(void *arg, const void *record)
{
    ctx *c = arg;
    report_run *r = c->r;
    json_t *o = (json_t *)record;
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type)
        return;
    if (strcmp(type, "run") == 0) {
        clear_run(r);
        c->cap = 0;
        r->start = num(json_object_get(o, "start"));
        r->backend = dupstr(json_object_get(o, "backend"));
        r->evaluations = whole(json_object_get(o, "evaluations"), 0, LONG_MAX / 2);
        json_t *nodes = json_object_get(o, "nodes"), *nd;
        size_t i;
        r->nodes = calloc(json_array_size(nodes) + 1, sizeof *r->nodes);
        json_array_foreach(nodes, i, nd) {
            r->nodes[i].name = dupstr(json_object_get(nd, "name"));
            if (!r->nodes[i].name)
                r->nodes[i].name = strdup("?");
            r->nodes[i].cores = (int)whole(json_object_get(nd, "cores"), 0, 1 << 20);
            r->nodes[i].gpus = (int)whole(json_object_get(nd, "gpus"), 0, 1 << 20);
            r->nnodes++;
        }
    } else if (strcmp(type, "end") == 0) {
        r->end = num(json_object_get(o, "end"));
        r->resumed = whole(json_object_get(o, "resumed"), 0, LONG_MAX / 2);
        r->interrupted = json_is_true(json_object_get(o, "interrupted"));
        r->finished = 1;
    } else if (strcmp(type, "eval") == 0) {
        if (r->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 256;
            report_eval *ne = realloc(r->evals, cap * sizeof *ne);
            if (!ne)
                return;
            r->evals = ne;
            c->cap = cap;
        }
        report_eval *e = &r->evals[r->n];
        memset(e, 0, sizeof *e);
        e->eval = whole(json_object_get(o, "eval"), LONG_MIN / 2, LONG_MAX / 2);
        e->attempt = (int)whole(json_object_get(o, "attempt"), 0, INT_MAX);
        e->final = json_is_true(json_object_get(o, "final"));
        const char *st = json_string_value(json_object_get(o, "status"));
        e->ok = st && strcmp(st, "ok") == 0;
        e->not_run = st && strcmp(st, "not_run") == 0;
        e->start = num(json_object_get(o, "start"));
        e->end = num(json_object_get(o, "end"));
        json_t *ex = json_object_get(o, "exit"), *sg = json_object_get(o, "signal");
        e->exited = json_is_integer(ex);
        e->code = (int)whole(ex, INT_MIN, INT_MAX);
        e->signo = (int)whole(sg, 0, INT_MAX);
        e->reason = dupstr(json_object_get(o, "reason"));
        e->evidence = dupstr(json_object_get(o, "evidence"));
        e->workdir = dupstr(json_object_get(o, "workdir"));
        e->submitted = json_is_string(json_object_get(o, "job"));
        json_t *pl = json_object_get(o, "placement"), *s;
        size_t i;
        e->slices = calloc(json_array_size(pl) + 1, sizeof *e->slices);
        json_array_foreach(pl, i, s) {
            const char *name = json_string_value(json_object_get(s, "node"));
            report_slice *sl = &e->slices[e->nslices];
            sl->node = node_index(r, name ? name : "?");
            if (sl->node < 0)
                continue;
            sl->cores = ints(json_object_get(s, "cores"), &sl->ncores);
            sl->gpus = ints(json_object_get(s, "gpus"), &sl->ngpus);
            e->nslices++;
        }
        if (e->end > r->end && !r->finished)
            r->end = e->end;
        r->n++;
    }
}

int report_load(const char *path, report_run *r, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    ctx c = {r, 0};
    long n = run_journal_read(path, on_record, &c);
    if (n < 0) {
        snprintf(msg, msgsz, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (n == 0 || !r->backend) {
        snprintf(msg, msgsz, "%s: no batchtile run recorded (expected a journal written by "
                             "'batchtile run')", path);
        report_run_free(r);
        return -1;
    }
    return 0;
}

void report_run_free(report_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        report_eval *e = &r->evals[i];
        free(e->reason);
        free(e->evidence);
        free(e->workdir);
        for (int k = 0; k < e->nslices; k++) {
            free(e->slices[k].cores);
            free(e->slices[k].gpus);
        }
        free(e->slices);
    }
    free(r->evals);
    for (int i = 0; i < r->nnodes; i++)
        free(r->nodes[i].name);
    free(r->nodes);
    free(r->backend);
    memset(r, 0, sizeof *r);
}

int report_total_cores(const report_run *r)
{
    int t = 0;
    for (int i = 0; i < r->nnodes; i++)
        t += r->nodes[i].cores;
    return t;
}

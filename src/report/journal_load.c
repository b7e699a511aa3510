/* A run as its journal tells it (journal_load.h), from the decoded records. */
#include "journal_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"

typedef struct ctx {
    report_run *r;
    size_t cap;
} ctx;

static char *dupstr(const char *v)
{
    return v ? strdup(v) : NULL;
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

static int *ints(const int *v, int n)
{
    int *c = calloc((size_t)(n > 0 ? n : 1), sizeof *c);
    if (c && n > 0)
        memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

static void on_run(void *arg, const rec_run *o)
{
    ctx *c = arg;
    report_run *r = c->r;
    clear_run(r);
    c->cap = 0;
    r->start = o->start;
    r->backend = dupstr(o->backend);
    r->evaluations = o->evaluations;
    r->nodes = calloc((size_t)o->nnodes + 1, sizeof *r->nodes);
    for (int i = 0; r->nodes && i < o->nnodes; i++) {
        r->nodes[i].name = strdup(o->nodes[i].name);
        r->nodes[i].cores = o->nodes[i].cores;
        r->nodes[i].gpus = o->nodes[i].gpus;
        r->nnodes++;
    }
}

static void on_end(void *arg, const rec_end *o)
{
    report_run *r = ((ctx *)arg)->r;
    r->end = o->end;
    r->resumed = o->resumed;
    r->interrupted = o->interrupted;
    r->finished = 1;
}

static void on_eval(void *arg, const rec_eval *o)
{
    ctx *c = arg;
    report_run *r = c->r;
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
    e->eval = o->eval;
    e->attempt = o->attempt;
    e->final = o->final;
    e->ok = o->outcome == REC_OK;
    e->not_run = o->outcome == REC_NOT_RUN;
    e->start = o->start;
    e->end = o->end;
    e->exited = o->has_exit;
    e->code = o->code;
    e->signo = o->signo;
    e->reason = dupstr(o->reason);
    e->evidence = dupstr(o->evidence);
    e->workdir = dupstr(o->workdir);
    e->submitted = o->job != NULL;
    e->slices = calloc((size_t)o->nslices + 1, sizeof *e->slices);
    for (int i = 0; e->slices && i < o->nslices; i++) {
        const rec_slice *s = &o->slices[i];
        report_slice *sl = &e->slices[e->nslices];
        sl->node = node_index(r, s->node);
        if (sl->node < 0)
            continue;
        sl->ncores = s->ncores;
        sl->ngpus = s->ngpus;
        sl->cores = ints(s->cores, s->ncores);
        sl->gpus = ints(s->gpus, s->ngpus);
        e->nslices++;
    }
    if (e->end > r->end && !r->finished)
        r->end = e->end;
    r->n++;
}

int report_load(const char *path, report_run *r, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    ctx c = {r, 0};
    long n = rec_read(path, &(rec_reader){.run = on_run, .eval = on_eval, .end = on_end}, &c);
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

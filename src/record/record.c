/* Journal records (record.h): their JSON, written and read in one place. */
#include "record.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "frame.h"

/* ---- decoding: a journal is input, every field of any type ------------- */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static double num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* A whole number field, clamped to [lo, hi] (a huge or non-finite number
 * must not be an undefined conversion). */
static long whole(const json_t *v, long lo, long hi)
{
    double d = num(v);
    if (!(d >= (double)lo))
        return lo;
    if (d > (double)hi)
        return hi;
    return (long)d;
}

static long integer(const json_t *v)
{
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static void eval_number(const json_t *o, long *eval, int *is_int)
{
    const json_t *v = json_object_get(o, "eval");
    *is_int = json_is_integer(v);
    *eval = *is_int ? (long)json_integer_value(v) : whole(v, LONG_MIN / 2, LONG_MAX / 2);
}

static int *ints(const json_t *a, int *n)
{
    *n = (int)json_array_size(a);
    int *v = calloc((size_t)(*n > 0 ? *n : 1), sizeof *v);
    for (int i = 0; v && i < *n; i++)
        v[i] = (int)json_integer_value(json_array_get(a, (size_t)i));
    if (!v)
        *n = 0;
    return v;
}

static void decode_run(const rec_reader *rd, void *arg, const json_t *o)
{
    rec_run r = {0};
    r.start = num(json_object_get(o, "start"));
    r.backend = str(o, "backend");
    r.batch = str(o, "batch");
    r.token = str(o, "token");
    r.evaluations = whole(json_object_get(o, "evaluations"), 0, LONG_MAX / 2);
    r.pid = (int)integer(json_object_get(o, "pid"));
    r.recipe = json_object_get(o, "recipe");
    r.resend = json_object_get(o, "resend");
    r.resend_key = str(r.resend, "key");
    const json_t *rb = json_object_get(r.resend, "batch");
    r.resend_batch = json_is_integer(rb) ? (long)json_integer_value(rb) : -1;
    const json_t *nodes = json_object_get(o, "nodes"), *nd;
    size_t i;
    rec_node *nv = calloc(json_array_size(nodes) + 1, sizeof *nv);
    if (!nv)
        return;
    json_array_foreach(nodes, i, nd) {
        nv[i].name = str(nd, "name") ? str(nd, "name") : "?";
        nv[i].cores = (int)whole(json_object_get(nd, "cores"), 0, 1 << 20);
        nv[i].gpus = (int)whole(json_object_get(nd, "gpus"), 0, 1 << 20);
        r.nnodes++;
    }
    r.nodes = nv;
    rd->run(arg, &r);
    free(nv);
}

static void decode_eval(const rec_reader *rd, void *arg, const json_t *o)
{
    rec_eval e = {0};
    eval_number(o, &e.eval, &e.eval_is_int);
    e.hash = str(o, "hash");
    e.recipe = str(o, "recipe");
    e.status = str(o, "status");
    e.outcome = !e.status                           ? REC_OTHER
                : strcmp(e.status, "ok") == 0      ? REC_OK
                : strcmp(e.status, "not_run") == 0 ? REC_NOT_RUN
                : strcmp(e.status, "failed") == 0  ? REC_FAILED
                                                   : REC_OTHER;
    e.final = json_is_true(json_object_get(o, "final"));
    e.attempt = (int)whole(json_object_get(o, "attempt"), 0, INT_MAX);
    e.start = num(json_object_get(o, "start"));
    e.end = num(json_object_get(o, "end"));
    e.workdir = str(o, "workdir");
    const json_t *ex = json_object_get(o, "exit"), *sg = json_object_get(o, "signal");
    e.has_exit = json_is_integer(ex);
    e.code = (int)whole(ex, INT_MIN, INT_MAX);
    e.has_signal = json_is_integer(sg);
    e.signo = (int)whole(sg, 0, INT_MAX);
    e.reason = str(o, "reason");
    e.evidence = str(o, "evidence");
    e.backend_job = str(o, "backend_job");
    e.plan = str(o, "plan");
    e.job = str(o, "job");
    e.rule = (int)whole(json_object_get(o, "rule"), 0, INT_MAX);
    const json_t *pl = json_object_get(o, "placement"), *s;
    size_t i;
    rec_slice *sv = calloc(json_array_size(pl) + 1, sizeof *sv);
    if (!sv)
        return;
    json_array_foreach(pl, i, s) {
        rec_slice *sl = &sv[e.nslices++];
        sl->node = str(s, "node") ? str(s, "node") : "?";
        sl->ntasks = (int)whole(json_object_get(s, "tasks"), 0, INT_MAX);
        sl->cores = ints(json_object_get(s, "cores"), &sl->ncores);
        sl->gpus = ints(json_object_get(s, "gpus"), &sl->ngpus);
    }
    e.slices = sv;
    rd->eval(arg, &e);
    for (int k = 0; k < e.nslices; k++) {
        free((void *)sv[k].cores);
        free((void *)sv[k].gpus);
    }
    free(sv);
}

static void decode_submit(const rec_reader *rd, void *arg, const json_t *o)
{
    rec_submit s = {0};
    eval_number(o, &s.eval, &s.eval_is_int);
    s.hash = str(o, "hash");
    s.recipe = str(o, "recipe");
    s.attempt = (int)whole(json_object_get(o, "attempt"), 0, INT_MAX);
    s.time = num(json_object_get(o, "time"));
    s.scheduler = str(o, "scheduler");
    s.job = str(o, "job");
    s.workdir = str(o, "workdir");
    s.plan = str(o, "plan");
    s.rule = (int)whole(json_object_get(o, "rule"), 0, INT_MAX);
    rd->submit(arg, &s);
}

static void decode_end(const rec_reader *rd, void *arg, const json_t *o)
{
    rec_end e = {0};
    e.end = num(json_object_get(o, "end"));
    e.ok = integer(json_object_get(o, "ok"));
    e.failed = integer(json_object_get(o, "failed"));
    e.resumed = whole(json_object_get(o, "resumed"), 0, LONG_MAX / 2);
    e.interrupted = json_is_true(json_object_get(o, "interrupted"));
    rd->end(arg, &e);
}

typedef struct read_ctx {
    const rec_reader *rd;
    void *arg;
} read_ctx;

static int on_line(void *arg, const char *line, size_t n)
{
    read_ctx *c = arg;
    json_t *o = json_loadb(line, n, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    const char *type = str(o, "type");
    const rec_reader *rd = c->rd;
    if (!type)
        ;
    else if (strcmp(type, "run") == 0 && rd->run)
        decode_run(rd, c->arg, o);
    else if (strcmp(type, "eval") == 0 && rd->eval)
        decode_eval(rd, c->arg, o);
    else if (strcmp(type, "submit") == 0 && rd->submit)
        decode_submit(rd, c->arg, o);
    else if (strcmp(type, "end") == 0 && rd->end)
        decode_end(rd, c->arg, o);
    json_decref(o);
    return 1;
}

long rec_read(const char *path, const rec_reader *rd, void *arg)
{
    read_ctx c = {rd, arg};
    return rec_frame_read(path, on_line, &c);
}

/* ---- encoding ---------------------------------------------------------- */

static char *dump(json_t *rec)
{
    if (!rec)
        return NULL;
    char *s = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(rec);
    return s;
}

static json_t *int_array(const int *v, int n)
{
    json_t *a = json_array();
    for (int k = 0; a && k < n; k++)
        json_array_append_new(a, json_integer(v[k]));
    return a;
}

/* the fields of --rules an evaluation's records carry */
static void set_plan(json_t *rec, const char *plan, int rule, const char *job)
{
    if (!rec)
        return;
    if (plan)
        json_object_set_new(rec, "plan", json_string(plan));
    if (rule > 0)
        json_object_set_new(rec, "rule", json_integer(rule));
    if (job)
        json_object_set_new(rec, "job", json_string(job));
}

char *rec_encode_run(const rec_run *r)
{
    json_t *nodes = json_array(), *cmd = json_array();
    for (int i = 0; nodes && i < r->nnodes; i++)
        json_array_append_new(nodes, json_pack("{s:s,s:i,s:i}", "name", r->nodes[i].name,
                                               "cores", r->nodes[i].cores, "gpus",
                                               r->nodes[i].gpus));
    for (int i = 0; cmd && i < r->ncmd; i++)
        json_array_append_new(cmd, json_string(r->cmd[i]));
    return dump(json_pack(
        "{s:s,s:f,s:s,s:s,s:I,s:o,s:o,s:{s:i,s:i,s:i,s:i,s:b},s:i,s:O,s:s,s:O}", "type", "run",
        "start", r->start, "backend", r->backend, "batch", r->batch, "evaluations",
        (json_int_t)r->evaluations, "nodes", nodes, "command", cmd, "request", "ntasks",
        r->ntasks, "cores_per_task", r->cores_per_task, "gpus_per_task", r->gpus_per_task,
        "nodes", r->req_nodes, "exclusive", r->exclusive, "pid", r->pid, "recipe",
        (json_t *)r->recipe, "token", r->token, "resend", (json_t *)r->resend));
}

char *rec_encode_eval(const rec_eval *e)
{
    json_t *pl = json_array();
    for (int i = 0; pl && i < e->nslices; i++) {
        const rec_slice *s = &e->slices[i];
        json_array_append_new(pl, json_pack("{s:s,s:i,s:o,s:o}", "node", s->node, "tasks",
                                            s->ntasks, "cores", int_array(s->cores, s->ncores),
                                            "gpus", int_array(s->gpus, s->ngpus)));
    }
    const char *status = e->outcome == REC_OK ? "ok" : e->outcome == REC_NOT_RUN ? "not_run"
                                                                                : "failed";
    json_t *rec = json_pack("{s:s,s:I,s:s,s:s,s:s,s:b,s:i,s:f,s:f,s:s,s:o}", "type", "eval",
                            "eval", (json_int_t)e->eval, "hash", e->hash, "recipe", e->recipe,
                            "status", status, "final", e->final, "attempt", e->attempt, "start",
                            e->start, "end", e->end, "workdir", e->workdir ? e->workdir : "",
                            "placement", pl);
    if (rec && e->has_exit)
        json_object_set_new(rec, "exit", json_integer(e->code));
    if (rec && e->has_signal)
        json_object_set_new(rec, "signal", json_integer(e->signo));
    if (rec && e->reason)
        json_object_set_new(rec, "reason", json_string(e->reason));
    if (rec && e->evidence)
        json_object_set_new(rec, "evidence", json_string(e->evidence));
    if (rec && e->backend_job)
        json_object_set_new(rec, "backend_job", json_string(e->backend_job));
    set_plan(rec, e->plan, e->rule, e->job);
    return dump(rec);
}

char *rec_encode_submit(const rec_submit *s)
{
    json_t *rec = json_pack("{s:s,s:I,s:s,s:s,s:i,s:f,s:s,s:s,s:s}", "type", "submit", "eval",
                            (json_int_t)s->eval, "hash", s->hash, "recipe", s->recipe, "attempt",
                            s->attempt, "time", s->time, "scheduler", s->scheduler, "job",
                            s->job, "workdir", s->workdir);
    set_plan(rec, s->plan, s->rule, s->job);
    return dump(rec);
}

char *rec_encode_end(const rec_end *e)
{
    return dump(json_pack("{s:s,s:f,s:I,s:I,s:I,s:b}", "type", "end", "end", e->end, "ok",
                          (json_int_t)e->ok, "failed", (json_int_t)e->failed, "resumed",
                          (json_int_t)e->resumed, "interrupted", e->interrupted));
}

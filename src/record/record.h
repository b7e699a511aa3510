/* Journal records: the one place that encodes and decodes them (below run/,
 * which writes and resumes from them, and report/, which draws them). A
 * journal is one framed JSON line per record (frame.h); a record is a run's
 * start ("run"), one finished attempt ("eval"), one submission ("submit")
 * or a run's end ("end"). Decoded records borrow their strings from the
 * line being read: valid during the callback only. */
#ifndef BATCHTILE_RECORD_RECORD_H
#define BATCHTILE_RECORD_RECORD_H
#include <stddef.h>

typedef struct rec_node {
    const char *name;
    int cores, gpus;
} rec_node;

/* Where an attempt ran: one slice per node. */
typedef struct rec_slice {
    const char *node;
    int ntasks;
    int ncores, ngpus;
    const int *cores, *gpus;
} rec_slice;

typedef struct rec_run {
    double start;
    const char *backend, *batch, *token;
    long evaluations;
    int nnodes;
    const rec_node *nodes;
    int ncmd;
    const char *const *cmd;
    int ntasks, cores_per_task, gpus_per_task, req_nodes, exclusive; /* the request */
    int pid;
    const void *recipe;     /* the run's recipe (a json_t *, run/recipe.h), or NULL */
    const void *resend;     /* {"key","batch"} (a json_t *, run/resend.h), or NULL */
    const char *resend_key; /* decoded from resend: NULL when absent */
    long resend_batch;      /* -1 when absent */
} rec_run;

enum { REC_OTHER = 0, REC_OK, REC_FAILED, REC_NOT_RUN };

typedef struct rec_eval {
    long eval;
    int eval_is_int;      /* the number is a JSON integer (else eval is clamped) */
    const char *hash;     /* the parameters' hash, hex; NULL when absent */
    const char *recipe;   /* hex, NULL when absent */
    const char *status;   /* "ok", "failed", "not_run"; NULL when absent */
    int outcome;          /* REC_OK, REC_FAILED, REC_NOT_RUN or REC_OTHER */
    int final, attempt;
    double start, end;
    const char *workdir;
    int has_exit, code, has_signal, signo;
    const char *reason, *evidence, *backend_job;
    const char *plan, *job; /* --rules: the plan's key, a submitted one's scheduler id */
    int rule;               /* the rule's line, 0 when none */
    int nslices;
    const rec_slice *slices;
} rec_eval;

typedef struct rec_submit {
    long eval;
    int eval_is_int;
    const char *hash, *recipe;
    int attempt;
    double time;
    const char *scheduler, *job, *workdir;
    const char *plan;
    int rule;
} rec_submit;

typedef struct rec_end {
    double end;
    long ok, failed, resumed;
    int interrupted;
} rec_end;

/* What a reader wants; NULL callbacks are skipped. */
typedef struct rec_reader {
    void (*run)(void *arg, const rec_run *r);
    void (*eval)(void *arg, const rec_eval *e);
    void (*submit)(void *arg, const rec_submit *s);
    void (*end)(void *arg, const rec_end *e);
} rec_reader;

/* Read the journal at path and decode each whole record to its callback
 * (torn or garbled lines, and records of other types, are skipped).
 * Returns the number of whole records, or -1 when the file cannot be read
 * (0 when it does not exist). */
long rec_read(const char *path, const rec_reader *rd, void *arg);

/* Encode one record as a compact JSON object (no framing, no newline);
 * malloc'd, NULL when out of memory. */
char *rec_encode_run(const rec_run *r);
char *rec_encode_eval(const rec_eval *e);
char *rec_encode_submit(const rec_submit *s);
char *rec_encode_end(const rec_end *e);

#endif

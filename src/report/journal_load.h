/* A run as its journal tells it: the last "run" record and the evaluation
 * attempts that followed it. What `batchtile report` reads. */
#ifndef BATCHTILE_REPORT_JOURNAL_LOAD_H
#define BATCHTILE_REPORT_JOURNAL_LOAD_H
#include <stddef.h>

typedef struct report_slice {
    int node;  /* index into the run's nodes */
    int ncores, ngpus;
    int *cores, *gpus;
} report_slice;

typedef struct report_eval {
    long eval;
    int attempt, final, ok;
    double start, end;   /* seconds since the epoch */
    int exited, code, signo;
    char *reason, *workdir;
    char *evidence; /* the stderr file and its last line, when it failed */
    int not_run;    /* not the simulation's failure: the allocation ended, the infrastructure */
    int submitted;  /* ran as its own scheduler job, outside the allocation (--rules) */
    int nslices;
    report_slice *slices;
} report_eval;

typedef struct report_node {
    char *name;
    int cores, gpus;
} report_node;

typedef struct report_run {
    double start, end;   /* end: the end record's time, or the last attempt's */
    char *backend;
    int nnodes;
    report_node *nodes;
    size_t n;            /* attempts */
    report_eval *evals;
    long evaluations;    /* in the batch */
    long resumed;        /* taken from the journal */
    int interrupted, finished; /* an end record was seen */
} report_run;

/* Load the last run of the journal at path. 0, or -1 with msg set. */
int report_load(const char *path, report_run *r, char *msg, size_t msgsz);
void report_run_free(report_run *r);
/* Total cores of the run's nodes. */
int report_total_cores(const report_run *r);

#endif

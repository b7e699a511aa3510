/* What the schedulers' submitters share (submit/slurm.c, submit/flux.c). */
#ifndef BATCHTILE_SUBMIT_INTERNAL_H
#define BATCHTILE_SUBMIT_INTERNAL_H
#include "launch/backend.h"
#include "util/proc.h"
#include "submit.h"

typedef struct submit_ops {
    const char *name;
    /* could a job of spec's shape ever run there? 0, or -1 with msg */
    int (*check)(submitter *s, const submit_spec *spec, char *msg, size_t msgsz);
    /* the submitting command's argv for spec (malloc'd words) */
    int (*argv)(submitter *s, const submit_spec *spec, ut_argv *a);
    /* write what the job needs in its work directory (a job script), or
     * NULL; 0, or -1 with msg */
    int (*prepare)(submitter *s, const submit_spec *spec, char *msg, size_t msgsz);
    /* the job id from the submitting command's output; 0, or -1 */
    int (*parse_id)(const char *out, char *id, size_t idsz);
    int (*query)(submitter *s, char *const *ids, size_t n, submit_state *out);
    int (*cancel)(submitter *s, const char *id);
} submit_ops;

struct submitter {
    const submit_ops *ops;
    ut_env env;    /* ours without this run's token and allocation */
    char mpi[64];      /* srun --mpi=... for a multi-task Slurm job; "" the default */
    char mpi_req[64];  /* --mpi as asked; resolved into mpi at the first multi-task job */
    int mpi_ready;     /* mpi resolved */
    char uri[1024];    /* Flux: the instance to submit to ("" the parent) */
    int parent;        /* Flux: flux --parent */
    char *out;         /* its commands' captured output, one at a time (SUBMIT_OUT_SIZE) */
};

#define SUBMIT_OUT_SIZE (1 << 20)

extern const submit_ops submit_slurm_ops, submit_flux_ops;

/* Run argv with the submitter's environment, capturing stdout+stderr. */
int submit_capture(submitter *s, char *const *argv, char *out, size_t outsz);
/* submit_capture into the submitter's own buffer (SUBMIT_OUT_SIZE bytes,
 * made at the first use, emptied first): the buffer, *rc the exit status;
 * NULL when out of memory (argv not run). */
char *submit_run(submitter *s, char *const *argv, int *rc);
/* The last line of out (trimmed), into line. */
void submit_last_line(const char *out, char *line, size_t linesz);
/* A comma-separated list of ids (malloc'd). */
char *submit_join_ids(char *const *ids, size_t n);

#endif

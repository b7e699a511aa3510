/* The submit route of --rules: an evaluation sent to the scheduler as its
 * own job, outside this allocation (sbatch on Slurm, a job of the enclosing
 * Flux instance), then followed until it ends. Everything goes through the
 * scheduler's own commands, so that a user can read and repeat it. */
#ifndef BATCHTILE_SUBMIT_SUBMIT_H
#define BATCHTILE_SUBMIT_SUBMIT_H
#include <stddef.h>

#include "sched/pool.h"

/* The scheduler options a submitted job may carry (--account=... in a
 * rule), by name. */
enum { SUBMIT_ACCOUNT, SUBMIT_PARTITION, SUBMIT_QOS, SUBMIT_RESERVATION, SUBMIT_CONSTRAINT,
       SUBMIT_NSCHED };
extern const char *const submit_sched_names[SUBMIT_NSCHED]; /* "account", "partition", ... */

/* One evaluation to submit. */
typedef struct submit_spec {
    long eval;
    const char *workdir;   /* absolute */
    char *const *argv;     /* the command, argv[0] absolute; relative names from workdir */
    const char *out_path;  /* stdout and stderr files, absolute */
    const char *err_path;
    const sched_request *req;
    double time_limit;     /* seconds, 0 for the scheduler's default */
    char *const *sched;    /* SUBMIT_NSCHED values, NULL when not given */
    char *const *sched_args; /* passed verbatim */
    int nsched_args;
    const char *origin;    /* "rules.txt:3", for the job script's comment */
} submit_spec;

/* What the scheduler says of a job. */
typedef struct submit_state {
    int known;     /* the scheduler (queue or accounting) knows the job */
    int ended;
    char state[32]; /* PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, ... */
    int exited, code, signo;
    int timed_out; /* its time limit ran out */
    int infra;     /* the machine's failure (a node), not the program's */
    char why[400]; /* the scheduler's own account of a failure (Flux's exception), or "" */
    double t_start, t_end; /* epoch seconds, 0 unknown */
} submit_state;

typedef struct submitter submitter;

/* A submitter for the scheduler under this run: Slurm (sbatch) when backend
 * is "slurm", or when sbatch is on PATH outside any allocation; Flux when
 * "flux" (the enclosing instance, or uri). mpi as --mpi (how a multi-task
 * job starts its ranks). NULL with msg set when there is no scheduler. */
submitter *submit_new(const char *backend, const char *uri, const char *mpi, char *msg,
                      size_t msgsz);
/* "Slurm" or "Flux". */
const char *submit_name(const submitter *s);
/* Whether a job of spec's shape (its request, time limit and scheduler
 * options; the rest unused) could ever run there, as the scheduler itself
 * judges it (sbatch --test-only); 0, or -1 with msg saying why not. */
int submit_check(submitter *s, const submit_spec *spec, char *msg, size_t msgsz);
/* The command line that submits spec (for --dry-run), into out. */
void submit_describe(submitter *s, const submit_spec *spec, char *out, size_t outsz);
/* Submit: the job's id into id. 0, or -1 with msg set (the scheduler's words). */
int submit_job(submitter *s, const submit_spec *spec, char *id, size_t idsz, char *msg,
               size_t msgsz);
/* Ask about n jobs at once: out[i] for ids[i]. 0, or -1 when the scheduler
 * could not be asked at all (try again later). */
int submit_query(submitter *s, char *const *ids, size_t n, submit_state *out);
/* Cancel a job. 0, or -1. */
int submit_cancel(submitter *s, const char *id);
void submit_free(submitter *s);

#endif

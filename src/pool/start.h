/* Starting a pool as a scheduler job (pool start, a client that finds no
 * live pool, a pool's --renew) and asking the scheduler about it: sbatch /
 * squeue / scancel under Slurm, flux batch / flux jobs / flux cancel under
 * Flux. DIR/start.json records how (the scheduler and the submitting
 * command) and every job it made; the job script is DIR/pool-job.sh. */
#ifndef BATCHTILE_POOL_START_H
#define BATCHTILE_POOL_START_H
#include <stddef.h>

typedef struct pool_start_opts {
    const char *scheduler; /* "slurm", "flux", NULL: Flux where FLUX_URI is set, else Slurm */
    const char *nodes, *time, *account, *partition, *qos; /* NULL: the scheduler's default */
    char **sched_args; /* verbatim */
    int nsched_args;
    int renew;
    const char *idle_exit; /* as given, NULL the default */
    const char *cores, *gpus; /* pool serve --cores/--gpus, NULL detected */
    const char *self;      /* the batchtile executable, absolute */
} pool_start_opts;

/* Write DIR/pool-job.sh and DIR/start.json from o (DIR already checked). 0,
 * or -1 with msg. */
int pool_start_record(const char *dir, const pool_start_opts *o, char *msg, size_t msgsz);

/* Submit a pool job from DIR/start.json; singleton: after the jobs of the
 * same pool end (--renew's successor). The job id into id, recorded as the
 * latest. 0, or -1 with msg (the scheduler's words). */
int pool_start_submit(const char *dir, int singleton, char *id, size_t idsz, char *msg,
                      size_t msgsz);

/* The latest recorded job and what the scheduler says of it: 1 when it is
 * pending or running (state such as "PENDING (Priority)" into state, the
 * scheduler's name "Slurm"/"Flux" into sched), 0 when it ended or is
 * unknown, -1 when DIR records no start. */
int pool_start_latest(const char *dir, char *id, size_t idsz, char *sched, size_t schedsz,
                      char *state, size_t statesz);

/* Cancel job id of DIR's scheduler. 0, or -1. */
int pool_start_cancel(const char *dir, const char *id);

/* Every job DIR/start.json recorded, oldest first (malloc'd, NULL-terminated). */
char **pool_start_jobs(const char *dir);

#endif

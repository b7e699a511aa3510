/* The engine: one allocation (its resources, the pool, the backend, the
 * clock, signals, the run token and watchdog) serving any number of batches
 * at once. `batchtile run` is the engine with one batch; `batchtile pool
 * serve` keeps one engine and adds the batches its clients send.
 *
 * CONTRACT (issue 21, agreed by the engine, agent and pool work): the
 * functions below are what the layers above (cli/, pool/) may call. */
#ifndef BATCHTILE_ENGINE_ENGINE_H
#define BATCHTILE_ENGINE_ENGINE_H
#include <stddef.h>
#include <stdio.h>

#include "alloc/resources.h"
#include "launch/backend.h"
#include "run/orch.h" /* run_config: one batch's options (moves with the batch) */

typedef struct engine engine;
typedef struct engine_batch engine_batch;

/* What belongs to the allocation, not to any one batch. */
typedef struct engine_config {
    const char *backend; /* "auto", "local", "slurm", "flux" */
    const char *launch;  /* "auto", "agents", "steps" (issue 22), NULL = "auto" */
    const char *mpi;     /* "auto", "none", "mpiexec", "srun", "flux", or an srun plugin */
    int cores;           /* --cores, 0 = detected */
    int gpus;            /* --gpus, -1 = detected */
    int ntasks_max;      /* the most tasks one evaluation may have (backends check their
                            MPI launcher for it); 1 when unknown */
    double grace;        /* TERM to KILL (--grace), seconds */
    double deadline;     /* --deadline: wall clock, 0 none */
    double end_margin;   /* --end-margin, < 0 default */
    int signals;         /* 1: the engine reads SIGINT/TERM/HUP/USR1/USR2/XCPU (the
                            scheduler's warning) from its signalfd and stops every
                            batch as run does; 0: the caller's (engine_stop) */
    FILE *log;           /* the engine's own lines (stderr when NULL) */
    /* tests only: resources and a backend given, nothing detected */
    const alloc_resources *res;
    launch_backend *(*backend_new)(const alloc_resources *res, void *arg);
    void *backend_arg;
} engine_config;

/* Probe the allocation, claim its cores (alloc/registry), set up the pool,
 * the backend, the watchdog and the clock. NULL with msg set; *status is
 * then the exit status (DESIGN.md: 3 system error, 4 locked, 1 usage). */
engine *engine_new(const engine_config *cfg, int *status, char *msg, size_t msgsz);
/* Stop what still runs (as SIGTERM), wait for it, release everything. */
void engine_free(engine *e);

/* Called once when batch b is complete: its results file written (or not),
 * its journal closed. status is what `batchtile run` would exit with. */
typedef void (*engine_done_fn)(engine_batch *b, int status, void *arg);

/* Add a batch: cfg is one `batchtile run`'s options (its params, results,
 * journal, work directory names, rules, limits), every relative path taken
 * against cfg_dir (NULL: the current directory). Loads the batch, takes its
 * journal lock, resumes from it and queues what is left. Every line the
 * batch prints (warnings, errors, the summary) goes to log (stderr when
 * NULL), exactly as `batchtile run` prints them. NULL when refused, with
 * *status the exit status run would have had and its lines already in
 * log (done is then not called). cfg and cfg_dir must outlive the batch. */
engine_batch *engine_batch_add(engine *e, const run_config *cfg, const char *cfg_dir, FILE *log,
                               engine_done_fn done, void *arg, int *status);
/* Stop batch b as signal sig would stop a run (TERM then KILL of its running
 * evaluations, the rest not run, results and journal written, status
 * 128+sig); the other batches go on. done is called from the loop. */
void engine_batch_cancel(engine_batch *b, int sig);
/* Free a batch that is complete (after its done callback). */
void engine_batch_free(engine_batch *b);

/* A batch's counts now (pool status, a client's progress line). */
typedef struct engine_counts {
    size_t total, done, failed, running, waiting;
    int cores_busy, gpus_busy; /* held by this batch's running evaluations */
} engine_counts;
void engine_batch_counts(const engine_batch *b, engine_counts *out);

/* The allocation now: cores and GPUs in all and busy, nodes up, the end of
 * the allocation (wall clock, 0 unknown). */
typedef struct engine_info {
    int cores, cores_busy, gpus, gpus_busy, nodes, nodes_up;
    double ends_at;
    int stopping; /* the engine itself stops (a signal, the clock): no new batch */
} engine_info;
void engine_get_info(const engine *e, engine_info *out);

/* The allocation's resources (names of nodes for reports). */
const alloc_resources *engine_resources(const engine *e);

/* Run the loop until engine_quit, or, with no timer left and every batch
 * complete, return. The exit status of the engine itself (0, or 3 when the
 * machine failed). */
int engine_run(engine *e);
/* Make engine_run return once every batch now running is complete. */
void engine_quit(engine *e);
/* Stop every batch as signal sig (SIGTERM: a pool stopped --now), or drain
 * (sig 0: accept no batch, finish the running ones). */
void engine_stop(engine *e, int sig);

/* A timer on the engine's loop (the pool's look for new requests, its
 * heartbeat): fn runs after `after` seconds, then every `every` seconds
 * when every > 0. An id > 0, or -1. */
typedef void (*engine_timer_fn)(engine *e, void *arg);
int engine_timer_add(engine *e, double after, double every, engine_timer_fn fn, void *arg);
void engine_timer_remove(engine *e, int id);

/* `batchtile run`: the engine with one batch, the allocation's options
 * taken from cfg; the exit status run_config's header lists. */
int engine_execute(const run_config *cfg);

#endif

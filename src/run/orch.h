/* One batch's options (what `batchtile run` is given), and the signals a
 * run reads. */
#ifndef BATCHTILE_RUN_ORCH_H
#define BATCHTILE_RUN_ORCH_H

#include <signal.h>

#include "sched/pool.h"
#include "workdir.h"

/* --resume: none (--no-resume), the whole recipe (the default), or the
 * parameters alone (--resume=params, the behaviour of version 0.1). */
enum { RUN_RESUME_NONE = 0, RUN_RESUME_RECIPE = 1, RUN_RESUME_PARAMS = 2 };

/* --halt soon|now,fail=N|P%: after that many failures start nothing new
 * (soon) or also stop what runs (now). */
typedef struct run_halt {
    int when;       /* 0 never, 1 soon, 2 now */
    long fails;     /* a count, or */
    double percent; /* a percentage of the batch (> 0) */
} run_halt;

/* --on-fail: FAIL (Dakota's failure channel), NaN, or a value, for every
 * value a failed evaluation's active set asks for. */
enum { RUN_ON_FAIL_FAIL = 0, RUN_ON_FAIL_NAN, RUN_ON_FAIL_VALUE };

/* --order: batch order, largest first (cores x time limit), or longest
 * first (the runtimes the journal recorded for the same rule). */
enum { RUN_ORDER_BATCH = 0, RUN_ORDER_LARGEST, RUN_ORDER_LONGEST };

typedef struct run_config {
    char **cmd; /* COMMAND ARG... */
    int ncmd;
    const char *params_path;  /* BATCH_PARAMS */
    const char *results_path; /* BATCH_RESULTS */
    run_layout layout;
    const char *stdout_name, *stderr_name;
    const char *template_dir;
    int copy_files;
    sched_request req;
    double time_limit;  /* seconds per evaluation, 0 for none */
    double grace;       /* seconds between TERM and KILL */
    int retries;
    int resume;         /* RUN_RESUME_* */
    int max_running;    /* 0: unlimited */
    int results_format; /* -1 auto, else a dak_format */
    int progress;       /* -1 auto (stderr is a terminal), 0, 1 */
    int dry_run;
    const char *journal_path;
    const char *joblog_path; /* --joblog, NULL for none */
    const char *backend; /* "auto", "local", "slurm", "flux" */
    const char *mpi;     /* "auto", "none", "mpiexec", "srun", "flux" */
    const char *launch;  /* --launch: "auto", "agents", "steps" (NULL: auto) */
    int cores;           /* --cores, 0 = detected */
    int gpus;            /* --gpus, -1 = detected */
    size_t max_results_size; /* --max-results-size, 0 = RUN_RESULTS_MAX_DEFAULT */
    int follow_workdir_links; /* --follow-workdir-links */
    run_halt halt;       /* --halt */
    int on_fail;         /* RUN_ON_FAIL_*: how a failed evaluation is written */
    double deadline;     /* --deadline: wall clock (s since the epoch), 0 none */
    double end_margin;   /* --end-margin: seconds before the end to stop, < 0 default */
    int infra_retries;   /* --infra-retries: attempts the infrastructure may spoil */
    double on_fail_value; /* --on-fail value:X */
    const char *rules_path; /* --rules FILE: a plan per evaluation, NULL none */
    int order;           /* RUN_ORDER_* */
    const char *submit_uri; /* --submit-uri: the Flux instance submit rules go to */
    int cancel_submitted; /* --cancel-submitted: a stop cancels submitted jobs */
    int resend_limit;    /* --resend-limit: Dakota's re-sends served (run/resend.h), 0 off */
} run_config;

/* The signals a run reads from its signalfd (children, stop, resize, the
 * scheduler's warnings): blocked from the first line of main on. */
void run_signal_mask(sigset_t *mask);

/* The batch is run by the engine (engine/engine.h: engine_execute, or
 * engine_batch_add); its exit status (DESIGN.md): 0 results written,
 * 1 usage (the request cannot fit), 2 bad batch file, 3 system error,
 * 4 the journal is locked, 75 not all ran (the allocation ended),
 * 128+signal when interrupted (results still written). */

#endif

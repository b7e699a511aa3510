/* The engine's state, shared by the files of engine/ that each take one
 * concern: engine.c (the allocation), loop.c (waits and dispatches),
 * policy.c (what starts next), stop.c (stops requested and applied),
 * attempt.c (one attempt's life), follow.c (submitted jobs), records.c
 * (journal records), plans.c (plans and order), batch.c (a batch's start
 * and end), resume.c, dryrun.c, exec.c (`batchtile run`).
 * Internal to engine/. */
#ifndef BATCHTILE_ENGINE_ENGINE_INT_H
#define BATCHTILE_ENGINE_ENGINE_INT_H
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alloc/registry.h"
#include "engine.h"
#include "launch/backend.h"
#include "launch/tree.h"
#include "plan/rules.h"
#include "reactor.h"
#include "report/joblog.h"
#include "run/batch.h"
#include "run/cmdline.h"
#include "run/collect.h"
#include "run/journal.h"
#include "run/orch.h"
#include "run/prestage.h"
#include "run/progress.h"
#include "run/recipe.h"
#include "run/resend.h"
#include "run/spill.h"
#include "sched/queue.h"
#include "submit/submit.h"

enum { ST_PENDING, ST_RUNNING, ST_DONE };
/* why a batch stopped early, besides a signal (their numbers are positive) */
enum { STOP_FAULT = -1, STOP_HALT = -2, STOP_CLOCK = -3 };

/* How an evaluation runs: the command line's plan (0), or a rule's. */
typedef struct run_plan {
    const plan_rule *rule; /* NULL: the command line's options */
    sched_request req;
    double time_limit;
    run_cmdline cmd;       /* the rule's own command (own_cmd), else a copy of the default */
    int own_cmd;
    int submit;            /* the submit route */
    run_recipe recipe;     /* what its results depend on */
    char key[17];          /* names the plan across runs (longest-first) */
    double hist_sum;       /* runtimes the journal recorded for it */
    long hist_n;
    size_t nused;          /* evaluations of this batch that follow it */
} run_plan;

/* What an attempt needs while it is staged, runs, and ends: allocated
 * then, freed when it has ended, so that a finished or waiting evaluation
 * costs only its ev_state. */
typedef struct ev_run {
    launch_job job;
    engine_batch *b;    /* the batch it belongs to */
    size_t slot;        /* its place in the engine's running set */
    sched_placement place;
    char *cwd;
    char *out_name, *err_name;
    double t0_mono, t0_wall;
    double deadline;    /* monotonic; 0 = none */
    double kill_at;     /* monotonic; when TERM turns into KILL */
    int kill_stage;     /* 0 none, 1 TERM sent, 2 KILL sent */
    int timed_out, interrupted;
    int submitted;      /* runs as its own scheduler job, job_id */
    char *job_id;
    char *evidence;     /* where to look: "workdir.3/stderr.txt ends: ..." */
} ev_run;

/* One evaluation of the batch, for the whole run: small, since a batch may
 * hold a million. */
typedef struct ev_state {
    run_item *item;
    ev_run *run;        /* while an attempt is staged or runs, else NULL */
    char *reason;       /* why it failed (final attempt) */
    uint64_t text_off;  /* its rendered results in the spill file (has_text) */
    uint32_t text_len;
    uint16_t plan;      /* index into the batch's plans */
    uint16_t attempt;   /* 1-based, of the current or last attempt */
    uint16_t infra_tries; /* attempts the infrastructure spoiled */
    uint8_t state;
    uint8_t from_journal : 1, has_text : 1;
    uint8_t not_run : 1; /* ended without a result through no fault of its own */
} ev_state;

struct engine_batch {
    engine *eng;
    size_t seq;          /* the order batches were added in (the start policy's ties) */
    FILE *log;           /* every line it prints */
    engine_done_fn done;
    void *done_arg;
    int complete;        /* its end is written; done was called */
    int status;          /* its exit status, once complete */
    run_config cfgc;     /* its options, paths taken against its directory */
    const run_config *cfg; /* &cfgc */
    char **owned;        /* the paths cfgc holds that it made */
    size_t nowned;
    int journal_new;     /* the journal did not exist before it */
    /* a submission's paths, built for submit_job (too large for the stack) */
    struct {
        char wd[PATH_MAX], out[PATH_MAX], err[PATH_MAX], origin[PATH_MAX];
    } spec_paths;
    run_batch in;        /* the evaluations as Dakota wrote them */
    run_resend resend;   /* the batch's identity for the re-send check */
    ev_state *ev;
    sched_queue queue;   /* its evaluations waiting for cores, in order */
    run_cmdline cmd;
    run_template tmpl;
    int have_tmpl;
    run_journal *journal;
    run_recipe recipe;   /* the command line's plan's (plans[0].recipe) */
    plan_rules rules;
    int have_rules;
    run_plan *plans;     /* [0] the command line's, then one per rule */
    int nplans;
    double min_tl;       /* the shortest time limit of a tiled plan in use (-1 none, 0 unbounded) */
    submitter *sub;      /* where submit rules go; NULL without any */
    ev_state **subs;     /* submitted jobs not ended */
    size_t nsubs;
    size_t *to_submit;   /* evaluations waiting to be submitted, in order */
    size_t nto_submit;
    double next_poll, poll_interval;
    size_t nleft;        /* submitted jobs left running at a stop */
    size_t *start_order; /* evaluations in the order they start (--order) */
    run_spill spill;     /* the finished evaluations' rendered results */
    run_prestage *prestage; /* work directories made ahead, NULL for none */
    size_t *prestage_order;
    char *textbuf;       /* one of them, read back */
    size_t textbufsz;
    report_joblog *joblog;
    run_progress progress;
    dak_format rfmt;
    size_t nrunning;     /* its evaluations in the engine's running set */
    int cores_busy, gpus_busy;
    uint64_t last_start; /* the engine's start count when it last started one (0 never):
                            the start policy's ties go to the one that waited longest */
    size_t ndone, nfailed, nresumed;
    size_t nfailed_own;  /* final failures of evaluations that ran (for --halt) */
    size_t nnotrun;      /* of the failed: not run (the allocation ended, the infrastructure) */
    double grace;        /* TERM to KILL: --grace, shorter near the allocation's end */
    int clock_killed;    /* the running evaluations were stopped for the clock */
    int stopping;        /* the cause that stopped it (a signal, STOP_*), or 0 */
    int kill_pending;    /* its running evaluations are to be stopped: asked for
                            anywhere, done by the loop (stop.c) */
    char stop_why[320];  /* "interrupted by SIGTERM", "stopped: ..." */
    int second_signal;
    double t_start_mono, t_start_wall;
    double runtime_sum;  /* of the evaluations finished in this run, for the ETA */
    size_t runtime_n;
    int sys_error;
};

/* A finished placement not yet given back (the backend's release delay). */
typedef struct engine_cooling {
    sched_placement place;
    double due; /* monotonic */
} engine_cooling;

/* A caller's timer (engine_timer_add), one of the reactor's. */
typedef struct engine_timer {
    int id;   /* the reactor's */
    int once;
    engine_timer_fn fn;
    void *arg;
} engine_timer;

struct engine {
    engine_config cfg;
    FILE *log;
    alloc_resources res;
    int have_res;
    sched_pool *pool;
    launch_backend *be;
    const char *backend; /* "local", "slurm", "flux" (chosen) */
    int started;         /* the watchdog, the backend and the clock are set up */
    int ntasks_ready;    /* the most tasks per evaluation the backend is ready for */
    int claimed;         /* cores taken in the registry */
    alloc_registry reg;  /* where (alloc/registry.h) */
    launch_tree tree;    /* the run's process tree: watchdog, cgroups */
    int have_tree;       /* launch_tree_init was called */
    char token[64];      /* this run's (launch/tree.h) */
    sigset_t oldmask;
    int have_oldmask;
    engine_reactor *rx; /* the loop's waits: signals, the backend's fd, the caller's timers */
    int loop_ready;      /* the reactor watches the signals (and the backend's fd) */
    int bfd;             /* the backend's fd, or -1 */
    int chld;            /* SIGCHLD came: the backend has children to reap */
    ev_state **running;  /* every batch's running evaluations */
    size_t nrunning, caprunning;
    engine_cooling *cooling;
    size_t ncooling, capcooling;
    engine_batch **batches; /* not complete, in the order added */
    size_t nbatches, capbatches, nadded;
    uint64_t nstarts;    /* evaluations started, over every batch (the start policy's ties) */
    engine_timer *timers;
    size_t ntimers, captimers;
    double stop_at;      /* monotonic: the allocation's end minus the margin; 0 none */
    double ends_at;      /* wall clock: the allocation's end; 0 unknown */
    double margin;
    int clock_stopped;   /* the clock's stop was applied to every batch */
    int stopping;        /* no new batch: a signal, the clock, engine_stop */
    int quit;            /* engine_quit: return once the batches are complete */
    int stop_sig;        /* engine_stop(sig) asked, applied by the loop; -1 none */
    int sys_error;       /* the machine failed (engine_run returns 3) */
};

/* ---- engine.c: the allocation ---- */
double engine_mono(void);
double engine_wall(void);
void engine_fmt_seconds(double s, char *out, size_t outsz);
const char *engine_signame(int sig);
/* Probe the allocation (claim: take its cores in the registry), block the
 * run's signals; the watchdog, backend and clock come with engine_start. */
engine *engine_open(const engine_config *cfg, int claim, int *status, char *msg, size_t msgsz);
/* The watchdog, the backend (for evaluations of up to ntasks tasks) and
 * the clock. 0, or -1 with msg set. */
/* What the evaluations ask for at most (the backends check their launcher,
 * --launch agents its nodes): ntasks 1 and nodes 0 when unknown. */
typedef struct engine_shape {
    int ntasks, nodes, cores;
} engine_shape;
int engine_start(engine *e, const engine_shape *need, char *msg, size_t msgsz);
/* Add to / take from the running set. */
int engine_running_add(engine *e, ev_state *ev);
void engine_running_remove(engine *e, ev_state *ev);
/* Give a placement back now, or after the backend's release delay. */
void engine_release_later(engine *e, sched_placement *pl);
void engine_release_due(engine *e, double now);

/* ---- batch.c: a batch's life ---- */
/* One line on the batch's log, prefixed as ut_err does. */
void engine_log(const engine_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load the batch and take its journal's lock (before the machine is
 * probed). NULL with *status and the lines already logged. */
engine_batch *engine_batch_open(const run_config *cfg, const char *cfg_dir, FILE *log,
                                int *status);
/* What needs the allocation: commands, plans, templates, checks, the
 * results spill (dry: --dry-run, printed instead). 0, or the exit status. */
int engine_batch_setup(engine_batch *b, engine *e);
/* The most tasks one evaluation of b's tiled plans has. */
void engine_batch_shape(const engine_batch *b, engine_shape *out);
/* Resume, the journal's run record, the queue: ready to start. 0, or the
 * exit status. */
int engine_batch_begin(engine_batch *b);
/* Is b done (nothing runs, nothing more will start)? */
int engine_batch_idle(const engine_batch *b);
/* Write what did not run, the results file, the summary; call done. */
void engine_batch_end(engine_batch *b);
/* Release what b holds (engine_batch_free's body, also for refused ones). */
void engine_batch_release(engine_batch *b);
/* Join / leave the engine's list of batches. */
int engine_batch_attach(engine *e, engine_batch *b);
void engine_batch_detach(engine *e, engine_batch *b);

/* ---- attempt.c: one attempt's life ---- */
ev_run *engine_ev_run(engine_batch *b, ev_state *ev);
void engine_ev_drop(ev_state *ev);
char *engine_expand_name(const char *tmpl, long eval);
int engine_results_path(const engine_batch *b, long eval, char *out, size_t outsz);
uint64_t engine_recipe_of(const engine_batch *b, const ev_state *ev);
int engine_set_text(engine_batch *b, ev_state *ev, char *text);
const char *engine_text_of(void *arg, size_t i, int *err);
/* Prepare an attempt (work directory, parameters, argv). 0, or -1 when it
 * ended already. */
int engine_stage(engine_batch *b, ev_state *ev);
/* Start ev on placement pl (taken from the pool). */
void engine_start_eval(engine_batch *b, ev_state *ev, sched_placement *pl);
/* The backend's completion callback (backend->done). */
void engine_on_done(void *arg, launch_job *job, const launch_status *st);
/* An attempt ended: text its rendered results, or NULL with reason. */
void engine_finish(engine_batch *b, ev_state *ev, char *text, const char *reason,
                   const launch_status *st);
/* Put a pending ev where it waits: the submissions, or the queue. */
int engine_enqueue(engine_batch *b, ev_state *ev);

/* ---- follow.c: the submit route ---- */
int engine_attach_job(engine_batch *b, ev_state *ev, const char *id);
int engine_submit_spec(const engine_batch *b, const ev_state *ev, submit_spec *sp, char *wd,
                       char *out, char *err, char *origin, size_t sz);
void engine_submit_eval(engine_batch *b, ev_state *ev);
void engine_poll_submitted(engine_batch *b, double now);
void engine_stop_submitted(engine_batch *b);

/* ---- records.c: journal records ---- */
void engine_journal_eval(engine_batch *b, ev_state *ev, const launch_status *st, int ok,
                         int final, double t_end);
void engine_journal_run_start(engine_batch *b);
void engine_journal_submit(engine_batch *b, ev_state *ev, const char *id);
void engine_journal_end(engine_batch *b);
void engine_journal_write(engine_batch *b, char *s);
void engine_journal_fault(engine_batch *b);

/* ---- stop.c: stops, requested anywhere, applied by the loop ---- */
/* A fault of the machine: said once; the batch stops as on SIGTERM, exit 3. */
void engine_machine_fault(engine_batch *b, const char *what);
/* Ask b to stop: start nothing new, and with kill stop what runs. */
void engine_request_stop(engine_batch *b, int cause, int kill, const char *why);
/* The allocation's end is near: start nothing more in b; with kill, stop
 * what runs too, within the margin (exit 75). */
void engine_clock_stop(engine_batch *b, int kill, const char *why);
/* Apply what was asked, to every batch (the loop, outside any callback). */
void engine_apply_stops(engine *e);
/* --halt: count a failure, ask for the stop once reached. */
void engine_check_halt(engine_batch *b);
/* The stop signals and the scheduler's warning, for every batch. */
void engine_on_signal(engine *e, int sig);
/* Time limits and the TERM-to-KILL grace. */
void engine_check_timers(engine *e, double now);
/* The allocation's clock. */
void engine_check_clock(engine *e, double now);

/* ---- policy.c: what starts next ---- */
void engine_schedule(engine *e);

/* ---- plans.c ---- */
int engine_setup_plans(engine_batch *b);

/* ---- resume.c, dryrun.c ---- */
int engine_resume(engine_batch *b, char *msg, size_t msgsz);
int engine_dry_run(engine_batch *b);

/* ---- loop.c ---- */
void engine_draw_progress(engine_batch *b, int force);

#endif

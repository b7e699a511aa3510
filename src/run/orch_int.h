/* The orchestrator's state, shared by the files of run/ that each take one
 * concern of a run (orch.c: the loop and its policies; resume.c: what the
 * journal says is done; dryrun.c: --dry-run).
 * Internal to run/. */
#ifndef BATCHTILE_RUN_ORCH_INT_H
#define BATCHTILE_RUN_ORCH_INT_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "cmdline.h"
#include "collect.h"
#include "journal.h"
#include "launch/backend.h"
#include "orch.h"
#include "plan/rules.h"
#include "prestage.h"
#include "progress.h"
#include "recipe.h"
#include "report/joblog.h"
#include "resend.h"
#include "sched/queue.h"
#include "spill.h"
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
    uint16_t plan;      /* index into orch.plans */
    uint16_t attempt;   /* 1-based, of the current or last attempt */
    uint16_t infra_tries; /* attempts the infrastructure spoiled */
    uint8_t state;
    uint8_t from_journal : 1, has_text : 1;
    uint8_t not_run : 1; /* ended without a result through no fault of its own */
} ev_state;

typedef struct orch {
    /* a submission's paths, built for submit_job (too large for the stack) */
    struct {
        char wd[PATH_MAX], out[PATH_MAX], err[PATH_MAX], origin[PATH_MAX];
    } spec_paths;
    const run_config *cfg;
    run_batch batch;
    run_resend resend; /* the batch's identity for the re-send check */
    ev_state *ev;
    alloc_resources res;
    sched_pool *pool;
    sched_queue queue;
    launch_backend *be;
    run_cmdline cmd;
    run_template tmpl;
    int have_tmpl;
    run_journal *journal;
    run_recipe recipe; /* the command line's plan's (plans[0].recipe) */
    plan_rules rules;
    int have_rules;
    run_plan *plans;    /* [0] the command line's, then one per rule */
    int nplans;
    submitter *sub;     /* where submit rules go; NULL without any */
    ev_state **subs;    /* submitted jobs not ended */
    size_t nsubs;
    size_t *to_submit;  /* evaluations waiting to be submitted, in order */
    size_t nto_submit;
    double next_poll, poll_interval;
    size_t nleft;       /* submitted jobs left running at a stop */
    size_t *start_order; /* evaluations in the order they start (--order) */
    run_spill spill;    /* the finished evaluations' rendered results */
    run_prestage *prestage; /* work directories made ahead, NULL for none */
    size_t *prestage_order;
    char *textbuf;      /* one of them, read back */
    size_t textbufsz;
    char token[64]; /* this run's (launch/tree.h) */
    report_joblog *joblog;
    run_progress progress;
    dak_format rfmt;
    ev_state **running;
    size_t nrunning;
    struct cooling {
        sched_placement place;
        double due; /* monotonic */
    } *cooling;      /* finished placements not yet given back (release_delay) */
    size_t ncooling, capcooling;
    size_t ndone, nfailed, nresumed;
    size_t nfailed_own; /* final failures of evaluations that ran (for --halt) */
    size_t nnotrun;     /* of the failed: not run (the allocation ended, the infrastructure) */
    double stop_at;     /* monotonic: the allocation's end minus the margin; 0 none */
    double ends_at;     /* wall clock: the allocation's end; 0 unknown */
    double margin;
    double grace;       /* TERM to KILL: --grace, shorter near the allocation's end */
    int clock_killed;   /* the running evaluations were stopped for the clock */
    int stopping; /* the signal that stopped us, or STOP_FAULT / STOP_HALT */
    char stop_why[320]; /* "interrupted by SIGTERM", "stopped: ..." */
    int second_signal;
    double t_start_mono, t_start_wall;
    double runtime_sum; /* of the evaluations finished in this run, for the ETA */
    size_t runtime_n;
    int sys_error;
} orch;

/* The attempt state of e, allocated when it is first needed; NULL when out
 * of memory. */
ev_run *orch_ev_run(ev_state *e);
/* Free e's attempt state. */
void orch_ev_drop(ev_state *e);
/* tmpl with {eval} expanded, malloc'd; NULL when out of memory. */
char *orch_expand_name(const char *tmpl, long eval);
/* The submission of e: spec sp, with its paths built in wd, out, err and
 * origin (each of size sz). 0, or -1 when a name is too long. */
int orch_submit_spec(const orch *o, const ev_state *e, submit_spec *sp, char *wd, char *out,
                     char *err, char *origin, size_t sz);
/* The recipe e runs under (its plan's, or the command line's). */
uint64_t orch_recipe_of(const orch *o, const ev_state *e);
/* Follow e as the scheduler's job id (submitted now or by an earlier run).
 * 0, or -1 when out of memory. */
int orch_attach(orch *o, ev_state *e, const char *id);
/* Keep text (malloc'd, taken) as e's rendered results, in the spill file.
 * 0, or -1 (NULL text, or the spill file cannot grow). */
int orch_set_text(orch *o, ev_state *e, char *text);
/* The path of evaluation eval's results file. 0, or -1 when too long. */
int orch_results_path(const orch *o, long eval, char *out, size_t outsz);
/* Take from the journal what finished (resume.c). 0, or -1 with msg set. */
int orch_resume(orch *o, char *msg, size_t msgsz);
/* --dry-run: print where each evaluation would run, and its command. The
 * exit status. */
int orch_dry_run(orch *o);

#endif

/* The engine (engine/engine.h) with a fake backend: a launch_ops whose jobs
 * run nothing and complete when the test's script says, counted in ticks
 * of the backend's own timerfd (2 ms), so that the tests bound work, not
 * wall time. Each test runs real batches in a temporary directory (their
 * parameters, results, journal and work directories) and asserts what a
 * user sees: the results file, the exit status, the journal and the lines
 * of the log. Every test also asserts what the backend saw: never more
 * cores busy than the pool has, no core given twice, and no signal sent
 * from inside a completion (a stop is applied by the loop). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "record/record.h"

/* ---- the fake backend ------------------------------------------------------ */

enum { NB = 3, NE = 64, NRUN = 64, NSIG_LOG = 256 };
enum { OUT_OK = 0, OUT_FAIL, OUT_INFRA, OUT_HANG }; /* OUT_FAIL with words: the launcher's */

typedef struct fjob {
    launch_job *job;
    int batch;  /* 0 A, 1 B, 2 C: from the work directory's name */
    long eval;
    int attempt; /* 1 for its first start */
    int ticks;   /* ticks until it completes (with OUT_HANG: never, until signalled) */
    int outcome;
    const char *words; /* OUT_FAIL: the last line of its stderr, when not the default */
    int ignore_term; /* only SIGKILL ends it */
    int killed;      /* the signal that will end it at the next tick */
    int node;        /* its first slice's node */
    double t_start, t_term; /* monotonic: its start, its first SIGTERM */
} fjob;

typedef struct fake fake;
/* The test's script: what job j does (ticks, outcome, ignore_term). */
typedef void (*fake_script)(fake *f, fjob *j);
/* Called at every tick, before the completions (the test's hand). */
typedef void (*fake_hook)(fake *f);

typedef struct sig_rec {
    int batch;
    long eval;
    int sig;
} sig_rec;

struct fake {
    launch_backend b;
    int tfd;
    fake_script script;
    fake_hook hook;
    void *arg; /* the test's */
    fjob run[NRUN];
    int nrun;
    int cores, cores_busy, peak;
    int starts[NB][NE];         /* per batch and evaluation */
    int nstarts[NB];            /* per batch */
    int running_of[NB];         /* per batch, now */
    int ticks;
    int in_process;             /* inside a completion callback */
    int signalled_in_done;      /* signals sent from inside one: must stay 0 */
    int signalled_unknown;      /* to a job not running: must stay 0 */
    int started_in_done;
    int core_clash;             /* a core given twice: must stay 0 */
    int over;                   /* cores busy above the pool: must stay 0 */
    int started_on_node[4];     /* starts per node */
    int down_node;              /* >= 0: the node the test took out, and the starts after */
    int started_on_down;
    sig_rec sigs[NSIG_LOG];
    int nsigs;
    int destroyed;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The batch of a work directory named "X.<eval>" (A, B or C). */
static int batch_of(const char *cwd)
{
    const char *b = strrchr(cwd, '/');
    b = b ? b + 1 : cwd;
    return b[0] >= 'A' && b[0] < 'A' + NB && b[1] == '.' ? b[0] - 'A' : -1;
}

static int fake_start(launch_backend *b, launch_job *job, char *msg, size_t msgsz)
{
    fake *f = (fake *)b;
    (void)msg;
    (void)msgsz;
    assert_true(f->nrun < NRUN);
    if (f->in_process)
        f->started_in_done++;
    fjob *j = &f->run[f->nrun++];
    memset(j, 0, sizeof *j);
    j->job = job;
    j->batch = batch_of(job->cwd);
    assert_true(j->batch >= 0);
    j->eval = job->eval;
    assert_true(j->eval >= 1 && j->eval < NE);
    j->attempt = ++f->starts[j->batch][j->eval];
    f->nstarts[j->batch]++;
    f->running_of[j->batch]++;
    j->ticks = 1;
    j->t_start = mono();
    /* the cores it holds: never above the pool, never one held twice */
    assert_non_null(job->place);
    assert_true(job->place->nslices > 0);
    j->node = job->place->slices[0].node;
    for (int s = 0; s < job->place->nslices; s++) {
        const sched_slice *sl = &job->place->slices[s];
        f->cores_busy += sl->ncores;
        f->started_on_node[sl->node]++;
        if (sl->node == f->down_node)
            f->started_on_down++;
        for (int k = 0; k < f->nrun - 1; k++) {
            const sched_placement *o = f->run[k].job->place;
            for (int t = 0; t < o->nslices; t++)
                if (o->slices[t].node == sl->node)
                    for (int c = 0; c < sl->ncores; c++)
                        for (int d = 0; d < o->slices[t].ncores; d++)
                            f->core_clash += sl->cores[c] == o->slices[t].cores[d];
        }
    }
    if (f->cores_busy > f->peak)
        f->peak = f->cores_busy;
    if (f->cores_busy > f->cores)
        f->over++;
    if (f->script)
        f->script(f, j);
    job->pid = 0;
    snprintf(job->ext_id, sizeof job->ext_id, "fake:%c%ld.%d", 'A' + j->batch, j->eval,
             j->attempt);
    return 0;
}

static fjob *fake_find(fake *f, const launch_job *job)
{
    for (int k = 0; k < f->nrun; k++)
        if (f->run[k].job == job)
            return &f->run[k];
    return NULL;
}

static int fake_signal(launch_backend *b, launch_job *job, int sig)
{
    fake *f = (fake *)b;
    if (f->in_process)
        f->signalled_in_done++;
    fjob *j = fake_find(f, job);
    if (!j) { /* never a job whose end was reported */
        f->signalled_unknown++;
        return -1;
    }
    if (f->nsigs < NSIG_LOG)
        f->sigs[f->nsigs++] = (sig_rec){j->batch, j->eval, sig};
    if (sig == SIGTERM && !j->t_term)
        j->t_term = mono();
    if (sig == SIGKILL || (sig == SIGTERM && !j->ignore_term))
        if (!j->killed)
            j->killed = sig;
    return 0;
}

static int fake_fd(launch_backend *b)
{
    return ((fake *)b)->tfd;
}

/* What the evaluation leaves in its work directory: its results file (ok),
 * or a line on its stderr (failed). */
static void fake_write(const fjob *j, int ok)
{
    const launch_job *job = j->job;
    int argc = 0;
    while (job->argv[argc])
        argc++;
    char path[4096];
    if (ok)
        snprintf(path, sizeof path, "%s/%s", job->cwd, job->argv[argc - 1]);
    else
        snprintf(path, sizeof path, "%s/%s", job->cwd, job->err_path);
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    if (ok)
        fprintf(o, "%ld f\n", 10 * j->eval + j->batch);
    else if (j->words)
        fprintf(o, "%s\n", j->words);
    else
        fprintf(o, "fake: failure of %c.%ld\n", 'A' + j->batch, j->eval);
    fclose(o);
}

static void fake_process(launch_backend *b)
{
    fake *f = (fake *)b;
    uint64_t n;
    if (read(f->tfd, &n, sizeof n) != (ssize_t)sizeof n)
        return; /* no tick yet */
    f->ticks++;
    /* no test needs a thousand ticks: an engine that never ends one
     * fails it (here, at least 30 s on) rather than hanging the suite */
    if (f->ticks > 15000)
        fail_msg("15000 ticks and the batches are not complete: %d running", f->nrun);
    /* the test's hand, inside the backend's callback as a completion is */
    f->in_process = 1;
    if (f->hook)
        f->hook(f);
    f->in_process = 0;
    /* the jobs that end at this tick, taken out before any callback (which
     * may start others) */
    fjob ending[NRUN];
    int nend = 0;
    for (int k = 0; k < f->nrun;) {
        fjob *j = &f->run[k];
        int ends = j->killed || (j->outcome != OUT_HANG && --j->ticks <= 0);
        if (!ends) {
            k++;
            continue;
        }
        ending[nend++] = *j;
        for (int s = 0; s < j->job->place->nslices; s++)
            f->cores_busy -= j->job->place->slices[s].ncores;
        f->running_of[j->batch]--;
        f->run[k] = f->run[--f->nrun];
    }
    f->in_process = 1;
    for (int k = 0; k < nend; k++) {
        fjob *j = &ending[k];
        launch_status st = {0};
        if (j->killed) {
            st.signo = j->killed;
        } else if (j->outcome == OUT_OK) {
            fake_write(j, 1);
            st.exited = 1;
        } else if (j->outcome == OUT_FAIL) {
            fake_write(j, 0);
            st.exited = 1;
            st.code = 1;
        } else { /* OUT_INFRA */
            st.signo = SIGKILL;
            st.infra = 1;
            const char *node = f->b.res->nodes[j->node].name;
            st.reason = j->node == f->down_node ? "node failure on the node" : "lost contact";
            st.node = j->node == f->down_node ? node : NULL;
        }
        f->b.done(f->b.done_arg, j->job, &st);
    }
    f->in_process = 0;
}

static void fake_destroy(launch_backend *b)
{
    fake *f = (fake *)b;
    close(f->tfd);
    f->tfd = -1;
    f->destroyed = 1;
}

/* The launcher's own words on a failed attempt's stderr: "launcher: step
 * refused" is the infrastructure's (1), "launcher: no more steps" says the
 * allocation ends (2), anything else is the program's (0). */
static int fake_infra(launch_backend *b, const launch_job *job, const char *err_path, char *why,
                      size_t whysz, char *node, size_t nodesz)
{
    (void)b;
    (void)job;
    (void)nodesz;
    FILE *f = fopen(err_path, "r");
    if (!f)
        return 0;
    char line[256] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = 0;
    fclose(f);
    node[0] = 0;
    if (strstr(line, "launcher: no more steps")) {
        snprintf(why, whysz, "no more steps");
        return 2;
    }
    if (strstr(line, "launcher: step refused")) {
        snprintf(why, whysz, "step refused");
        return 1;
    }
    return 0;
}

static const launch_ops fake_ops = {
    .name = "fake",
    .start = fake_start,
    .signal = fake_signal,
    .fd = fake_fd,
    .process = fake_process,
    .destroy = fake_destroy,
    .infra = fake_infra,
};

static launch_backend *fake_new(const alloc_resources *res, void *arg)
{
    fake *f = arg;
    f->b.ops = &fake_ops;
    f->b.res = res;
    f->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    assert_true(f->tfd >= 0);
    struct itimerspec it = {{0, 2000000}, {0, 2000000}};
    assert_int_equal(timerfd_settime(f->tfd, 0, &it, NULL), 0);
    return &f->b;
}

/* ---- the fixture: a directory, resources, batches --------------------------- */

typedef struct tbatch {
    char params[32], results[32], journal[32], workdir[32];
    char *cmd[2];
    run_config cfg;
    FILE *log;
    char logpath[4200];
    engine_batch *b;
    int done, status;
} tbatch;

typedef struct tenv {
    char dir[256];
    alloc_node nodes[2];
    alloc_resources res;
    fake f;
    engine_config ec;
    FILE *elog;
    char elogpath[300];
    engine *e;
    tbatch tb[NB];
    int ndone;
} tenv;

static tenv T;

static void path_in(char *out, size_t outsz, const char *name)
{
    char dir[sizeof T.dir];
    memcpy(dir, T.dir, sizeof dir); /* out may be in T too */
    snprintf(out, outsz, "%s/%s", dir, name);
}

/* nnodes nodes of cores/nnodes cores each. */
static void env_init(int nnodes, int cores)
{
    memset(&T, 0, sizeof T);
    snprintf(T.dir, sizeof T.dir, "/tmp/bt_engine_XXXXXX");
    assert_non_null(mkdtemp(T.dir));
    setenv("XDG_RUNTIME_DIR", T.dir, 1); /* the core registry: our own */
    static char *names[] = {"n1", "n2"};
    for (int i = 0; i < nnodes; i++)
        T.nodes[i] = (alloc_node){.name = names[i], .ncores = cores / nnodes};
    T.res = (alloc_resources){.backend = "local", .nnodes = nnodes, .nodes = T.nodes};
    T.f.cores = cores;
    T.f.down_node = -1;
    T.f.tfd = -1;
    path_in(T.elogpath, sizeof T.elogpath, "engine.log");
    T.elog = fopen(T.elogpath, "w+");
    assert_non_null(T.elog);
    T.ec = (engine_config){.backend = "local", .launch = "auto", .mpi = "none", .cores = 0,
                           .gpus = -1, .ntasks_max = 1, .grace = 0.2, .end_margin = -1,
                           .signals = 0, .log = T.elog, .res = &T.res, .backend_new = fake_new,
                           .backend_arg = &T.f};
}

static void engine_up(void)
{
    int status = -1;
    char msg[512] = "";
    T.e = engine_new(&T.ec, &status, msg, sizeof msg);
    if (!T.e)
        fail_msg("engine_new: %s (status %d)", msg, status);
}

static int rm_entry(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(p);
}

static void env_fini(void)
{
    if (T.e)
        engine_free(T.e);
    T.e = NULL;
    assert_int_equal(T.f.destroyed, 1);
    for (int i = 0; i < NB; i++)
        if (T.tb[i].log)
            fclose(T.tb[i].log);
    fclose(T.elog);
    /* what every test asserts of the backend's view */
    assert_int_equal(T.f.over, 0);
    assert_int_equal(T.f.core_clash, 0);
    assert_int_equal(T.f.signalled_in_done, 0);
    assert_int_equal(T.f.signalled_unknown, 0);
    nftw(T.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Batch X (index i): n evaluations, x1 = eval, in X.in; results X.out,
 * journal X.journal, work directories X.{eval}; a run's defaults. */
static run_config *batch_files(int i, int n)
{
    tbatch *t = &T.tb[i];
    char X = (char)('A' + i);
    snprintf(t->params, sizeof t->params, "%c.in", X);
    snprintf(t->results, sizeof t->results, "%c.out", X);
    snprintf(t->journal, sizeof t->journal, "%c.journal", X);
    snprintf(t->workdir, sizeof t->workdir, "%c.{eval}", X);
    char p[4200];
    path_in(p, sizeof p, t->params);
    FILE *o = fopen(p, "w");
    assert_non_null(o);
    for (int k = 1; k <= n; k++)
        fprintf(o,
                "%42d variables\n%42d x1\n%42d functions\n%42d ASV_1:f\n"
                "%42d derivative_variables\n%42d DVV_1:x1\n%42d analysis_components\n"
                "%40s:%d eval_id\n",
                1, k, 1, 1, 1, 1, 0, "1", k);
    fclose(o);
    t->cmd[0] = "/bin/true";
    t->cmd[1] = NULL;
    run_config *c = &t->cfg;
    memset(c, 0, sizeof *c);
    c->cmd = t->cmd;
    c->ncmd = 1;
    c->params_path = t->params;
    c->results_path = t->results;
    c->layout = (run_layout)RUN_LAYOUT_DEFAULT;
    c->layout.workdir = t->workdir;
    c->stdout_name = "stdout.txt";
    c->stderr_name = "stderr.txt";
    c->req.ntasks = 1;
    c->req.cores_per_task = 1;
    c->grace = 0.2;
    c->end_margin = -1;
    c->infra_retries = 3;
    c->resume = RUN_RESUME_RECIPE;
    c->results_format = -1;
    c->progress = 0;
    c->journal_path = t->journal;
    c->backend = "local";
    c->mpi = "none";
    c->gpus = -1;
    char name[8] = {X, '.', 'l', 'o', 'g', 0};
    path_in(t->logpath, sizeof t->logpath, name);
    t->log = fopen(t->logpath, "w+");
    assert_non_null(t->log);
    return c;
}

static void on_batch_done(engine_batch *b, int status, void *arg)
{
    tbatch *t = arg;
    assert_ptr_equal(b, t->b);
    assert_int_equal(t->done, 0); /* once */
    t->done = 1;
    t->status = status;
    T.ndone++;
}

static void batch_add(int i)
{
    tbatch *t = &T.tb[i];
    int status = -1;
    t->b = engine_batch_add(T.e, &t->cfg, T.dir, t->log, on_batch_done, t, &status);
    if (!t->b) {
        fflush(t->log);
        fail_msg("engine_batch_add %c: refused, status %d", 'A' + i, status);
    }
}

/* Run the engine until every batch is complete; its exit status. */
static int run_all(void)
{
    int rc = engine_run(T.e);
    for (int i = 0; i < NB; i++)
        if (T.tb[i].b) {
            assert_int_equal(T.tb[i].done, 1);
            engine_batch_free(T.tb[i].b);
            T.tb[i].b = NULL;
        }
    return rc;
}

/* A file's whole text (malloc'd, "" when absent). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* The lines batch i printed, and the engine's own (malloc'd). */
static char *log_of(int i)
{
    fflush(T.tb[i].log);
    fflush(T.elog);
    char *a = slurp(T.tb[i].logpath), *b = slurp(T.elogpath);
    char *s = malloc(strlen(a) + strlen(b) + 1);
    strcpy(s, a);
    strcat(s, b);
    free(a);
    free(b);
    return s;
}

static void assert_log_has(int i, const char *want)
{
    char *s = log_of(i);
    if (!strstr(s, want))
        fail_msg("batch %c: the log has no \"%s\"; it says:\n%s", 'A' + i, want, s);
    free(s);
}

static int log_count(int i, const char *want)
{
    char *s = log_of(i);
    int n = 0;
    for (const char *p = s; (p = strstr(p, want)); p += strlen(want))
        n++;
    free(s);
    return n;
}

/* The sections of batch i's results file: value[k] for evaluation k+1, NAN
 * for FAIL; their number. */
static int results_of(int i, double *value, int max)
{
    char p[4200];
    path_in(p, sizeof p, T.tb[i].results);
    char *s = slurp(p);
    int n = 0;
    char *save = NULL;
    int fresh = 1;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strcmp(line, "#") == 0) {
            fresh = 1;
            continue;
        }
        if (!fresh)
            continue;
        fresh = 0;
        assert_true(n < max);
        value[n++] = strncmp(line, "FAIL", 4) == 0 ? NAN : strtod(line, NULL);
    }
    free(s);
    return n;
}

/* Evaluation k of batch i has its value (ok) or is FAIL. */
static void assert_results(int i, int n, const int *ok)
{
    double v[NE];
    assert_int_equal(results_of(i, v, NE), n);
    for (int k = 0; k < n; k++) {
        if (ok[k]) {
            if (v[k] != 10.0 * (k + 1) + i)
                fail_msg("batch %c evaluation %d: %g, expected %d", 'A' + i, k + 1, v[k],
                         10 * (k + 1) + i);
        } else if (!isnan(v[k])) {
            fail_msg("batch %c evaluation %d: %g, expected FAIL", 'A' + i, k + 1, v[k]);
        }
    }
}

/* The journal's attempt records of batch i. */
typedef struct jrec {
    long eval;
    int attempt, final, outcome;
    char reason[256];
} jrec;
typedef struct jlog {
    jrec r[256];
    int n, ends, interrupted;
} jlog;

static void on_rec_eval(void *arg, const rec_eval *e)
{
    jlog *j = arg;
    assert_true(j->n < 256);
    jrec *r = &j->r[j->n++];
    r->eval = e->eval;
    r->attempt = e->attempt;
    r->final = e->final;
    r->outcome = e->outcome;
    snprintf(r->reason, sizeof r->reason, "%s", e->reason ? e->reason : "");
}

static void on_rec_end(void *arg, const rec_end *e)
{
    jlog *j = arg;
    j->ends++;
    j->interrupted = e->interrupted;
}

static void journal_of(int i, jlog *j)
{
    memset(j, 0, sizeof *j);
    char p[4200];
    path_in(p, sizeof p, T.tb[i].journal);
    assert_true(rec_read(p, &(rec_reader){.eval = on_rec_eval, .end = on_rec_end}, j) > 0);
    assert_int_equal(j->ends, 1);
}

/* The final record of evaluation eval (its outcome), and how many records
 * it has. */
static const jrec *final_of(const jlog *j, long eval, int *nrec)
{
    const jrec *f = NULL;
    *nrec = 0;
    for (int k = 0; k < j->n; k++)
        if (j->r[k].eval == eval) {
            (*nrec)++;
            if (j->r[k].final) {
                assert_null(f); /* one final record */
                f = &j->r[k];
            }
        }
    assert_non_null(f);
    return f;
}

static int signals_to(int batch, long eval, int sig)
{
    int n = 0;
    for (int k = 0; k < T.f.nsigs; k++)
        n += T.f.sigs[k].batch == batch && T.f.sigs[k].eval == eval && T.f.sigs[k].sig == sig;
    return n;
}

/* ---- retries ------------------------------------------------------------------ */

/* Evaluation 2 fails twice then succeeds; 3 always fails. */
static void script_retries(fake *f, fjob *j)
{
    (void)f;
    j->ticks = 1 + (int)(j->eval % 3);
    if (j->eval == 2 && j->attempt <= 2)
        j->outcome = OUT_FAIL;
    if (j->eval == 3)
        j->outcome = OUT_FAIL;
}

static void retries(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_retries;
    engine_up();
    run_config *c = batch_files(0, 5);
    c->retries = 2;
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_results(0, 5, (int[]){1, 1, 0, 1, 1});
    /* --retries 2: three attempts at most, and none after a success */
    assert_int_equal(T.f.starts[0][1], 1);
    assert_int_equal(T.f.starts[0][2], 3);
    assert_int_equal(T.f.starts[0][3], 3);
    assert_log_has(0, "evaluation 3 (");
    assert_log_has(0, "A.3): FAIL: exit status 1; ");
    assert_log_has(0, "A.3/stderr.txt ends: fake: failure of A.3 (3 attempts)");
    assert_int_equal(log_count(0, ": FAIL: "), 1);
    assert_log_has(0, "5 evaluations: 4 ok, 1 failed");
    jlog j;
    journal_of(0, &j);
    int nrec;
    const jrec *r = final_of(&j, 2, &nrec);
    assert_int_equal(nrec, 3);
    assert_int_equal(r->attempt, 3);
    assert_int_equal(r->outcome, REC_OK);
    r = final_of(&j, 3, &nrec);
    assert_int_equal(nrec, 3);
    assert_int_equal(r->outcome, REC_FAILED);
    /* the attempts retried are failed, not final */
    for (int k = 0; k < j.n; k++)
        if (!j.r[k].final)
            assert_int_equal(j.r[k].outcome, REC_FAILED);
    assert_int_equal(j.interrupted, 0);
    env_fini();
}

/* ---- infrastructure retries, a node taken out -------------------------------- */

/* The first attempt that lands on n2 meets its node failing, and so does
 * every other attempt there at that tick. */
static void hook_node_fails(fake *f)
{
    if (f->down_node >= 0)
        return;
    for (int k = 0; k < f->nrun; k++)
        if (f->run[k].node == 1) {
            f->down_node = 1;
            break;
        }
    for (int k = 0; f->down_node == 1 && k < f->nrun; k++)
        if (f->run[k].node == 1) {
            f->run[k].outcome = OUT_INFRA;
            f->run[k].ticks = 1;
        }
    /* starts counted from here on (those before were there already) */
    if (f->down_node == 1)
        f->started_on_down = 0;
}

static void script_slow(fake *f, fjob *j)
{
    (void)f;
    j->ticks = 3;
}

static void infra_node_taken_out(void **state)
{
    (void)state;
    env_init(2, 4); /* n1 and n2, 2 cores each */
    T.f.script = script_slow;
    T.f.hook = hook_node_fails;
    engine_up();
    run_config *c = batch_files(0, 8);
    c->retries = 0; /* the infrastructure's failures are not the evaluation's */
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_int_equal(T.f.down_node, 1);
    /* nothing placed on n2 after it failed, every evaluation done on n1 */
    assert_int_equal(T.f.started_on_down, 0);
    assert_results(0, 8, (int[]){1, 1, 1, 1, 1, 1, 1, 1});
    assert_log_has(0, "node n2 failed (node failure on the node");
    assert_log_has(0, "no more evaluations are placed there; 1 node left");
    assert_int_equal(log_count(0, "node n2 failed"), 1);
    assert_int_equal(log_count(0, ": FAIL: "), 0);
    jlog j;
    journal_of(0, &j);
    int spoiled = 0;
    for (int k = 0; k < j.n; k++)
        if (!j.r[k].final) {
            spoiled++;
            assert_non_null(strstr(j.r[k].reason, "node failure on the node"));
        }
    assert_true(spoiled >= 1);
    for (long e = 1; e <= 8; e++) {
        int nrec;
        assert_int_equal(final_of(&j, e, &nrec)->outcome, REC_OK);
    }
    env_fini();
}

/* Evaluation 1 loses its contact at every attempt: 1 + --infra-retries
 * attempts, then not run (not FAIL of the simulation), exit 75. */
static void script_lost(fake *f, fjob *j)
{
    (void)f;
    j->ticks = 1;
    if (j->eval == 1)
        j->outcome = OUT_INFRA;
}

static void infra_retries_exhausted(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_lost;
    engine_up();
    run_config *c = batch_files(0, 3);
    c->infra_retries = 2;
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 75);
    assert_int_equal(T.f.starts[0][1], 3);
    assert_int_equal(T.f.starts[0][2], 1);
    assert_results(0, 3, (int[]){0, 1, 1});
    assert_log_has(0, "A.1): not run: the infrastructure: lost contact (3 attempts spoiled by "
                      "the infrastructure)");
    assert_int_equal(log_count(0, ": FAIL: "), 0);
    assert_log_has(0, "3 evaluations: 2 ok, 0 failed, 1 not run");
    jlog j;
    journal_of(0, &j);
    int nrec;
    assert_int_equal(final_of(&j, 1, &nrec)->outcome, REC_NOT_RUN);
    assert_int_equal(nrec, 3);
    env_fini();
}

/* The backend's reading of the launcher's words (ops->infra): 2's first
 * attempt was refused a step (the infrastructure's: run again, no FAIL,
 * --retries untouched); 3 meets a real failure (the program's: FAIL). */
static void script_words(fake *f, fjob *j)
{
    (void)f;
    if (j->eval == 2 && j->attempt == 1) {
        j->outcome = OUT_FAIL;
        j->words = "launcher: step refused";
    }
    if (j->eval == 3) {
        j->outcome = OUT_FAIL;
        j->words = "sim: diverged";
    }
}

static void infra_from_the_launchers_words(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_words;
    engine_up();
    batch_files(0, 4);
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_results(0, 4, (int[]){1, 1, 0, 1});
    assert_int_equal(T.f.starts[0][2], 2);
    assert_int_equal(T.f.starts[0][3], 1);
    assert_int_equal(log_count(0, ": FAIL: "), 1);
    assert_log_has(0, "A.3): FAIL: exit status 1; ");
    assert_log_has(0, "stderr.txt ends: sim: diverged");
    jlog j;
    journal_of(0, &j);
    int nrec;
    assert_int_equal(final_of(&j, 2, &nrec)->outcome, REC_OK);
    assert_int_equal(nrec, 2);
    for (int k = 0; k < j.n; k++)
        if (j.r[k].eval == 2 && !j.r[k].final)
            assert_non_null(strstr(j.r[k].reason, "step refused"));
    env_fini();
}

/* The launcher says the allocation ends (ops->infra 2) at 3's end: the
 * clock's stop, what runs stopped and what waits not started, exit 75. */
static void script_ending(fake *f, fjob *j)
{
    (void)f;
    j->outcome = OUT_HANG;
    if (j->eval <= 2)
        j->outcome = OUT_OK;
    if (j->eval == 3) {
        j->ticks = 3;
        j->outcome = OUT_FAIL;
        j->words = "launcher: no more steps";
    }
}

static void infra_allocation_ending(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_ending;
    engine_up();
    batch_files(0, 8);
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 75);
    assert_results(0, 8, (int[]){1, 1, 0, 0, 0, 0, 0, 0});
    assert_int_equal(T.f.starts[0][3], 1); /* not run again in this allocation */
    assert_log_has(0, "the allocation is ending (Slurm creates no more steps)");
    assert_log_has(0, "run the same command in a new allocation to finish them");
    assert_int_equal(log_count(0, ": FAIL: "), 0);
    jlog j;
    journal_of(0, &j);
    int nrec;
    for (long e = 3; e <= 8; e++)
        assert_int_equal(final_of(&j, e, &nrec)->outcome, REC_NOT_RUN);
    env_fini();
}

/* ---- --halt soon and now; a stop requested inside a completion ------------------ */

/* Evaluations 1 and 2 fail at the first tick, together; the others take
 * long (soon) or hang until stopped (now). */
static void script_halt(fake *f, fjob *j)
{
    int now = *(int *)f->arg;
    j->ticks = j->eval <= 2 ? 1 : 20;
    if (j->eval <= 2)
        j->outcome = OUT_FAIL;
    else if (now)
        j->outcome = OUT_HANG;
}

static void halt_soon(void **state)
{
    (void)state;
    env_init(1, 4);
    int now = 0;
    T.f.arg = &now;
    T.f.script = script_halt;
    engine_up();
    run_config *c = batch_files(0, 12);
    c->halt = (run_halt){.when = 1, .fails = 2};
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 75);
    /* nothing started after the halt; what ran finished, unsignalled */
    assert_int_equal(T.f.nstarts[0], 4);
    assert_int_equal(T.f.nsigs, 0);
    assert_results(0, 12, (int[]){0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0});
    assert_log_has(0, "--halt soon,fail=2: 2 evaluations failed: starting nothing new, letting "
                      "what runs finish");
    assert_int_equal(log_count(0, "--halt soon,fail=2: 2 evaluations failed: starting"), 1);
    assert_log_has(0, "8 evaluations not started: FAIL (stopped by --halt soon,fail=2");
    jlog j;
    journal_of(0, &j);
    int nrec;
    for (long e = 5; e <= 12; e++)
        assert_int_equal(final_of(&j, e, &nrec)->outcome, REC_NOT_RUN);
    assert_int_equal(final_of(&j, 3, &nrec)->outcome, REC_OK);
    assert_int_equal(final_of(&j, 1, &nrec)->outcome, REC_FAILED);
    env_fini();
}

/* --halt now,fail=1 with two failures in one completion batch: the stop is
 * requested twice, applied once, by the loop: each running evaluation
 * gets SIGTERM once, none from inside a completion, one line says so. */
static void halt_now_applied_once_by_the_loop(void **state)
{
    (void)state;
    env_init(1, 4);
    int now = 1;
    T.f.arg = &now;
    T.f.script = script_halt;
    engine_up();
    run_config *c = batch_files(0, 6);
    c->halt = (run_halt){.when = 2, .fails = 1};
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 75);
    assert_int_equal(T.f.nstarts[0], 4);
    assert_int_equal(T.f.signalled_in_done, 0);
    assert_int_equal(T.f.started_in_done, 0);
    for (long e = 3; e <= 4; e++)
        assert_int_equal(signals_to(0, e, SIGTERM), 1);
    assert_int_equal(T.f.nsigs, 2);
    assert_results(0, 6, (int[]){0, 0, 0, 0, 0, 0});
    assert_int_equal(log_count(0, "--halt now,fail=1: 1 evaluations failed: starting"), 1);
    assert_log_has(0, "--halt now,fail=1: 1 evaluations failed: starting nothing new, stopping "
                      "what runs");
    assert_int_equal(log_count(0, ": FAIL: "), 2); /* 1 and 2; the stopped ones are not run */
    jlog j;
    journal_of(0, &j);
    int nrec;
    for (long e = 3; e <= 6; e++) {
        const jrec *r = final_of(&j, e, &nrec);
        assert_int_equal(r->outcome, REC_NOT_RUN);
        assert_non_null(strstr(r->reason, "stopped by --halt now,fail=1"));
    }
    env_fini();
}

/* ---- time limits ---------------------------------------------------------------- */

/* 1 finishes at once; 2 hangs and dies on TERM; 3 hangs and ignores TERM. */
static void script_limits(fake *f, fjob *j)
{
    (void)f;
    if (j->eval >= 2)
        j->outcome = OUT_HANG;
    j->ignore_term = j->eval == 3;
}

static void time_limits(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_limits;
    engine_up();
    run_config *c = batch_files(0, 3);
    c->time_limit = 0.3;
    c->grace = 0.2;
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_results(0, 3, (int[]){1, 0, 0});
    /* TERM at the limit (never before), KILL only for the one that stayed */
    assert_int_equal(signals_to(0, 1, SIGTERM), 0);
    assert_int_equal(signals_to(0, 2, SIGTERM), 1);
    assert_int_equal(signals_to(0, 2, SIGKILL), 0);
    assert_int_equal(signals_to(0, 3, SIGTERM), 1);
    assert_int_equal(signals_to(0, 3, SIGKILL), 1);
    assert_log_has(0, "A.2): FAIL: time limit 0.3s exceeded (killed)");
    assert_log_has(0, "A.3): FAIL: time limit 0.3s exceeded (killed)");
    assert_log_has(0, "3 evaluations: 1 ok, 2 failed");
    jlog j;
    journal_of(0, &j);
    int nrec;
    assert_int_equal(final_of(&j, 2, &nrec)->outcome, REC_FAILED);
    assert_int_equal(nrec, 1); /* a time limit is no reason to retry (--retries 0) */
    env_fini();
}

/* The limit counts from the start: the fake's own clock says TERM came at
 * least the limit after it (kept out of the script to read its times). */
static fjob last_term_seen;
static void hook_limit_times(fake *f)
{
    for (int k = 0; k < f->nrun; k++)
        if (f->run[k].t_term > 0 && f->run[k].eval == 2)
            last_term_seen = f->run[k];
}

static void time_limit_never_early(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_limits;
    T.f.hook = hook_limit_times;
    memset(&last_term_seen, 0, sizeof last_term_seen);
    engine_up();
    run_config *c = batch_files(0, 2);
    c->time_limit = 0.25;
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_true(last_term_seen.t_term > 0);
    double ran = last_term_seen.t_term - last_term_seen.t_start;
    if (ran < 0.25)
        fail_msg("SIGTERM %.6f s after the start, before -t 0.25s", ran);
    env_fini();
}

/* ---- the clock: the allocation's end, not run -------------------------------------- */

/* 1 and 2 end at once; the others hang until stopped. */
static void script_clock(fake *f, fjob *j)
{
    (void)f;
    if (j->eval > 2)
        j->outcome = OUT_HANG;
}

static void clock_stop_not_run(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_clock;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* the end 2.5 s away, the margin 1 s: the stop at 1.5 s */
    T.res.ends_at = (double)now.tv_sec + (double)now.tv_nsec * 1e-9 + 2.5;
    T.res.ends_source = "the test";
    T.ec.end_margin = 1;
    engine_up();
    engine_info info;
    engine_get_info(T.e, &info);
    assert_true(fabs(info.ends_at - T.res.ends_at) < 1e-3);
    assert_int_equal(info.cores, 4);
    batch_files(0, 8);
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 75);
    /* 1, 2 ok; 3-6 running at the stop (TERM), 7 and 8 never started */
    assert_int_equal(T.f.nstarts[0], 6);
    for (long e = 3; e <= 6; e++)
        assert_int_equal(signals_to(0, e, SIGTERM), 1);
    assert_results(0, 8, (int[]){1, 1, 0, 0, 0, 0, 0, 0});
    assert_log_has(0, "the allocation ends in ");
    assert_log_has(0, "(--end-margin 1 s): 2 evaluations not started, 4 stopped; run the same "
                      "command in a new allocation to finish them");
    assert_int_equal(log_count(0, ": FAIL: "), 0);
    assert_log_has(0, "8 evaluations: 2 ok, 0 failed, 6 not run");
    jlog j;
    journal_of(0, &j);
    int nrec;
    for (long e = 3; e <= 8; e++)
        assert_int_equal(final_of(&j, e, &nrec)->outcome, REC_NOT_RUN);
    engine_get_info(T.e, &info);
    assert_true(info.stopping); /* no new batch after the clock's stop */
    env_fini();
}

/* ---- two batches over one pool --------------------------------------------------- */

/* A's evaluations take 1 core, B's 2; each runs 3 ticks. At each tick,
 * count the ticks where one batch has evaluations left to start and none
 * running while the other runs. */
typedef struct fairness {
    int total[2];
    int starved[2], worst[2], run_len[2];
} fairness;

static void hook_fairness(fake *f)
{
    fairness *fr = f->arg;
    for (int b = 0; b < 2; b++) {
        int left = fr->total[b] - f->nstarts[b];
        if (left > 0 && f->running_of[b] == 0 && f->running_of[1 - b] > 0) {
            fr->starved[b]++;
            if (++fr->run_len[b] > fr->worst[b])
                fr->worst[b] = fr->run_len[b];
        } else {
            fr->run_len[b] = 0;
        }
    }
}

static void two_batches_share_the_pool(void **state)
{
    (void)state;
    env_init(1, 4);
    fairness fr = {.total = {12, 6}};
    T.f.arg = &fr;
    T.f.script = script_slow;
    T.f.hook = hook_fairness;
    engine_up();
    batch_files(0, 12);
    run_config *cb = batch_files(1, 6);
    cb->req.cores_per_task = 2;
    batch_add(0);
    batch_add(1);
    engine_counts n;
    engine_batch_counts(T.tb[0].b, &n);
    assert_int_equal(n.total, 12);
    assert_int_equal(n.done, 0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_int_equal(T.tb[1].status, 0);
    assert_results(0, 12, (int[]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    assert_results(1, 6, (int[]){1, 1, 1, 1, 1, 1});
    /* never above the 4 cores (env_fini), and the pool used */
    assert_true(T.f.peak == 4);
    /* neither waits for the other to finish: its evaluations fit, so at
     * most one evaluation's time (3 ticks, and the tick of its start)
     * without any of its own running while the other runs */
    if (fr.worst[0] > 4 || fr.worst[1] > 4)
        fail_msg("starved: A %d ticks in a row (%d in all), B %d (%d)", fr.worst[0],
                 fr.starved[0], fr.worst[1], fr.starved[1]);
    assert_log_has(0, "12 evaluations: 12 ok");
    assert_log_has(1, "6 evaluations: 6 ok");
    env_fini();
}

/* The same where A's evaluations end one at a time (2 to 5 ticks): a core
 * freed alone fits A's next, never B's; B must still get two in turn, not
 * wait until A has nothing left to start. */
static void script_staggered(fake *f, fjob *j)
{
    (void)f;
    j->ticks = j->batch == 0 ? 2 + (int)(j->eval % 4) : 3;
}

static void two_batches_staggered_not_starved(void **state)
{
    (void)state;
    env_init(1, 4);
    fairness fr = {.total = {24, 6}};
    T.f.arg = &fr;
    T.f.script = script_staggered;
    T.f.hook = hook_fairness;
    engine_up();
    batch_files(0, 24);
    run_config *cb = batch_files(1, 6);
    cb->req.cores_per_task = 2;
    batch_add(0);
    batch_add(1);
    assert_int_equal(run_all(), 0);
    assert_int_equal(T.tb[0].status, 0);
    assert_int_equal(T.tb[1].status, 0);
    assert_results(1, 6, (int[]){1, 1, 1, 1, 1, 1});
    /* at most A's longest evaluation (5 ticks) and a tick to start */
    if (fr.worst[0] > 6 || fr.worst[1] > 6)
        fail_msg("starved: A %d ticks in a row (%d in all), B %d (%d)", fr.worst[0],
                 fr.starved[0], fr.worst[1], fr.starved[1]);
    env_fini();
}

/* ---- cancelling one batch ----------------------------------------------------------- */

/* Once A runs, cancel it (from the backend's tick: a request from anywhere,
 * applied by the loop); everything runs 3 ticks, A's hang until stopped. */
static void hook_cancel(fake *f)
{
    int *cancelled = f->arg;
    if (!*cancelled && f->running_of[0] >= 1) {
        *cancelled = 1;
        engine_batch_cancel(T.tb[0].b, SIGTERM);
    }
}

static void script_cancel(fake *f, fjob *j)
{
    (void)f;
    j->ticks = 3;
    if (j->batch == 0)
        j->outcome = OUT_HANG;
}

static void cancel_one_batch(void **state)
{
    (void)state;
    env_init(1, 4);
    int cancelled = 0;
    T.f.arg = &cancelled;
    T.f.script = script_cancel;
    T.f.hook = hook_cancel;
    engine_up();
    batch_files(0, 6);
    batch_files(1, 8);
    batch_add(0);
    batch_add(1);
    assert_int_equal(run_all(), 0);
    assert_int_equal(cancelled, 1);
    assert_int_equal(T.tb[0].status, 128 + SIGTERM);
    assert_int_equal(T.tb[1].status, 0);
    /* B untouched: every evaluation ran once, none signalled */
    assert_results(1, 8, (int[]){1, 1, 1, 1, 1, 1, 1, 1});
    for (long e = 1; e <= 8; e++) {
        assert_int_equal(T.f.starts[1][e], 1);
        assert_int_equal(signals_to(1, e, SIGTERM) + signals_to(1, e, SIGKILL), 0);
    }
    assert_log_has(1, "8 evaluations: 8 ok");
    /* A: what ran stopped (TERM once each), the rest not started, every
     * section FAIL, the journal closed as interrupted */
    int started = 0;
    for (long e = 1; e <= 6; e++)
        if (T.f.starts[0][e]) {
            started++;
            assert_int_equal(signals_to(0, e, SIGTERM), 1);
        }
    assert_true(started >= 1 && started < 6);
    assert_results(0, 6, (int[]){0, 0, 0, 0, 0, 0});
    assert_log_has(0, "not run: interrupted by SIGTERM");
    assert_log_has(0, "not started: FAIL (interrupted by SIGTERM)");
    char *la = slurp(T.tb[0].logpath), *lb = slurp(T.tb[1].logpath);
    assert_null(strstr(lb, "SIGTERM")); /* A's lines are A's */
    assert_null(strstr(la, "8 evaluations"));
    free(la);
    free(lb);
    jlog j;
    journal_of(0, &j);
    assert_int_equal(j.interrupted, 1);
    journal_of(1, &j);
    assert_int_equal(j.interrupted, 0);
    env_fini();
}

/* ---- the engine's own stops, timers and signals ------------------------------ */

/* engine_stop(e, 0) once A runs: A finishes every evaluation, and no
 * batch is taken after it. */
static void hook_drain(fake *f)
{
    int *stopped = f->arg;
    if (!*stopped && f->running_of[0] >= 1) {
        *stopped = 1;
        engine_stop(T.e, 0);
    }
}

static void engine_drains(void **state)
{
    (void)state;
    env_init(1, 4);
    int stopped = 0;
    T.f.arg = &stopped;
    T.f.script = script_slow;
    T.f.hook = hook_drain;
    engine_up();
    batch_files(0, 9);
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(stopped, 1);
    assert_int_equal(T.tb[0].status, 0);
    assert_results(0, 9, (int[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    assert_int_equal(T.f.nsigs, 0);
    engine_info info;
    engine_get_info(T.e, &info);
    assert_true(info.stopping);
    /* a batch after the drain: refused, said, exit 75 */
    tbatch *t = &T.tb[1];
    batch_files(1, 2);
    int status = -1;
    assert_null(engine_batch_add(T.e, &t->cfg, T.dir, t->log, on_batch_done, t, &status));
    assert_int_equal(status, 75);
    assert_log_has(1, "the allocation is stopping: the batch B.in was not started");
    assert_int_equal(T.f.nstarts[1], 0);
    env_fini();
}

/* engine_stop(e, SIGTERM) once both batches run: both stop as a run on
 * SIGTERM does (143), each running evaluation signalled once, by the loop. */
static void hook_stop_term(fake *f)
{
    int *stopped = f->arg;
    if (!*stopped && f->running_of[0] >= 1 && f->running_of[1] >= 1) {
        *stopped = 1;
        engine_stop(T.e, SIGTERM);
    }
}

static void script_hang(fake *f, fjob *j)
{
    (void)f;
    j->outcome = OUT_HANG;
}

static void engine_stops_every_batch(void **state)
{
    (void)state;
    env_init(1, 4);
    int stopped = 0;
    T.f.arg = &stopped;
    T.f.script = script_hang;
    T.f.hook = hook_stop_term;
    engine_up();
    batch_files(0, 5);
    batch_files(1, 5);
    batch_add(0);
    batch_add(1);
    assert_int_equal(run_all(), 0);
    assert_int_equal(stopped, 1);
    for (int b = 0; b < 2; b++) {
        assert_int_equal(T.tb[b].status, 128 + SIGTERM);
        assert_results(b, 5, (int[]){0, 0, 0, 0, 0});
        for (long e = 1; e <= 5; e++)
            if (T.f.starts[b][e])
                assert_int_equal(signals_to(b, e, SIGTERM), 1);
        assert_log_has(b, "not run: interrupted by SIGTERM");
        jlog j;
        journal_of(b, &j);
        assert_int_equal(j.interrupted, 1);
    }
    assert_int_equal(T.f.nstarts[0] + T.f.nstarts[1], 4);
    env_fini();
}

/* The caller's timers: a repeating one runs until removed, a one-shot one
 * once, a removed one never; engine_quit ends engine_run though a timer
 * is left, and with none left engine_run returns at once. */
typedef struct tcount {
    int every, once, removed, repeat_id;
} tcount;

static void on_every(engine *e, void *arg)
{
    (void)e;
    ((tcount *)arg)->every++;
}
static void on_once(engine *e, void *arg)
{
    (void)e;
    ((tcount *)arg)->once++;
}
static void on_removed(engine *e, void *arg)
{
    (void)e;
    ((tcount *)arg)->removed++;
}

static void quit_when_done(engine_batch *b, int status, void *arg)
{
    on_batch_done(b, status, arg);
    engine_quit(T.e);
}

static void timers_and_quit(void **state)
{
    (void)state;
    env_init(1, 4);
    T.f.script = script_slow;
    engine_up();
    tcount n = {0};
    n.repeat_id = engine_timer_add(T.e, 0.001, 0.001, on_every, &n);
    int once = engine_timer_add(T.e, 0, 0, on_once, &n);
    int gone = engine_timer_add(T.e, 0, 0, on_removed, &n);
    assert_true(n.repeat_id > 0 && once > 0 && gone > 0);
    assert_true(n.repeat_id != once && once != gone);
    engine_timer_remove(T.e, gone);
    batch_files(0, 8);
    tbatch *t = &T.tb[0];
    int status = -1;
    t->b = engine_batch_add(T.e, &t->cfg, T.dir, t->log, quit_when_done, t, &status);
    assert_non_null(t->b);
    assert_int_equal(run_all(), 0); /* returns: engine_quit, the repeating timer left */
    assert_int_equal(t->status, 0);
    assert_true(n.every >= 1);
    assert_int_equal(n.once, 1);
    assert_int_equal(n.removed, 0);
    engine_timer_remove(T.e, n.repeat_id);
    int every = n.every;
    assert_int_equal(engine_run(T.e), 0); /* nothing left: at once */
    assert_int_equal(n.every, every);
    env_fini();
}

/* signals 1: the scheduler's warning (SIGUSR1) stops every batch as the
 * clock does: what runs stopped, the rest not started, exit 75. */
static void hook_warning(fake *f)
{
    int *raised = f->arg;
    if (!*raised && f->nstarts[0] >= 6) {
        *raised = 1;
        raise(SIGUSR1); /* blocked: read from the engine's signalfd */
    }
}

static void scheduler_warning(void **state)
{
    (void)state;
    env_init(1, 4);
    int raised = 0;
    T.f.arg = &raised;
    T.f.script = script_clock;
    T.f.hook = hook_warning;
    T.ec.signals = 1;
    engine_up();
    batch_files(0, 8);
    batch_add(0);
    assert_int_equal(run_all(), 0);
    assert_int_equal(raised, 1);
    assert_int_equal(T.tb[0].status, 75);
    assert_int_equal(T.f.nstarts[0], 6);
    for (long e = 3; e <= 6; e++)
        assert_int_equal(signals_to(0, e, SIGTERM), 1);
    assert_results(0, 8, (int[]){1, 1, 0, 0, 0, 0, 0, 0});
    assert_log_has(0, "SIGUSR1: the scheduler says the allocation ends soon: 2 evaluations not "
                      "started, 4 stopped; run the same command in a new allocation");
    assert_int_equal(log_count(0, ": FAIL: "), 0);
    env_fini();
}

int main(void)
{
    alarm(600); /* a loop that never ends fails the test instead of hanging it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retries),
        cmocka_unit_test(infra_node_taken_out),
        cmocka_unit_test(infra_retries_exhausted),
        cmocka_unit_test(infra_from_the_launchers_words),
        cmocka_unit_test(infra_allocation_ending),
        cmocka_unit_test(halt_soon),
        cmocka_unit_test(halt_now_applied_once_by_the_loop),
        cmocka_unit_test(time_limits),
        cmocka_unit_test(time_limit_never_early),
        cmocka_unit_test(clock_stop_not_run),
        cmocka_unit_test(two_batches_share_the_pool),
        cmocka_unit_test(two_batches_staggered_not_starved),
        cmocka_unit_test(cancel_one_batch),
        cmocka_unit_test(engine_drains),
        cmocka_unit_test(engine_stops_every_batch),
        cmocka_unit_test(timers_and_quit),
        cmocka_unit_test(scheduler_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

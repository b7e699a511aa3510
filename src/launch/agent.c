/* The agent backend: one `batchtile agent` per node, started once with the
 * allocation's own launcher (an srun step per node under Slurm, flux_rexec
 * on each broker rank under Flux), whose stdin and stdout carry the
 * protocol (proto/proto.h). An evaluation on one node is a "start" line to
 * that node's agent, its end an "end" line back: no scheduler object per
 * evaluation, so neither srun's start-up nor Slurm's step limit nor Flux's
 * job pipeline is paid per evaluation. Requests are buffered and written
 * once per turn of the event loop (a timerfd in our epoll fd wakes it).
 * Evaluations over several nodes go to the inner backend (Slurm steps,
 * Flux jobs), which gives MPI its PMI. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "proto/proto.h"
#include "util/log.h"
#include "util/proc.h"

#ifdef BT_HAVE_FLUX
#include <flux/core.h>
#endif

extern char **environ;

#define TAG_TIMER UINT32_MAX
#define TAG_INNER (UINT32_MAX - 1)
#define TAG_FLUX (UINT32_MAX - 2)

typedef struct agent_conn {
    int node;      /* index into res->nodes */
    pid_t pid;     /* srun, or 0 */
    int wfd, rfd;  /* its stdin, its stdout (Slurm), -1 */
    void *sub;     /* its flux_subprocess_t (Flux), or NULL */
    proto_out out;
    proto_in in;
    int up;        /* said hello and not gone */
    int hello;     /* its hello came */
    int eof;       /* its output ended */
    int dead;      /* ended before its hello: its node takes no work */
    char version[64];
} agent_conn;

typedef struct agent_slot {
    launch_job *job; /* NULL: free */
    int agent;
} agent_slot;

typedef struct agent_be {
    launch_backend base;
    launch_backend *inner; /* steps or Flux jobs: multi-node evaluations */
    int agents_only;
    int tasks_inner; /* multi-task evaluations are the inner backend's (--mpi none, pmi2...) */
    agent_conn *a;
    int n;
    int ep, tfd, armed;
    agent_slot *slots;
    long nslots;
    long *free_ids;
    long nfree;
    launch_job **lost; /* started on a gone agent: reported at the next process() */
    size_t nlost, caplost;
#ifdef BT_HAVE_FLUX
    flux_t *h;
#endif
} agent_be;

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- sending -------------------------------------------------------------- */

static void arm(agent_be *A, long ns)
{
    if (A->armed)
        return;
    struct itimerspec it = {{0, 0}, {0, ns}};
    timerfd_settime(A->tfd, 0, &it, NULL);
    A->armed = 1;
}

/* Write what waits for agent c; -1 when it is gone. */
static int send_out(agent_be *A, agent_conn *c, int block)
{
    (void)A;
    if (!c->up && !c->hello)
        return -1;
    if (c->out.n == 0)
        return 0;
#ifdef BT_HAVE_FLUX
    if (c->sub) {
        int w = flux_subprocess_write(c->sub, "stdin", c->out.d, c->out.n);
        if (w < 0)
            return -1;
        memmove(c->out.d, c->out.d + w, c->out.n - (size_t)w);
        c->out.n -= (size_t)w;
        return 0;
    }
#endif
    return proto_flush(&c->out, c->wfd, block);
}

static void flush_all(agent_be *A)
{
    int left = 0;
    for (int i = 0; i < A->n; i++) {
        agent_conn *c = &A->a[i];
        if (c->up && send_out(A, c, 0) == 0 && c->out.n)
            left = 1; /* its pipe is full: again in a moment */
    }
    if (left)
        arm(A, 1000000);
}

/* ---- the jobs ------------------------------------------------------------- */

static long slot_new(agent_be *A, launch_job *j, int agent)
{
    long id;
    if (A->nfree > 0) {
        id = A->free_ids[--A->nfree];
    } else {
        if ((A->nslots & (A->nslots - 1)) == 0) {
            size_t cap = A->nslots ? (size_t)A->nslots * 2 : 64;
            agent_slot *ns = realloc(A->slots, cap * sizeof *ns);
            long *nf = ns ? realloc(A->free_ids, cap * sizeof *nf) : NULL;
            if (ns)
                A->slots = ns;
            if (!nf)
                return -1;
            A->free_ids = nf;
        }
        id = A->nslots++;
    }
    A->slots[id].job = j;
    A->slots[id].agent = agent;
    return id;
}

static void slot_free(agent_be *A, long id)
{
    A->slots[id].job = NULL;
    A->free_ids[A->nfree++] = id;
}

static long slot_of(const agent_be *A, const launch_job *j)
{
    for (long i = 0; i < A->nslots; i++)
        if (A->slots[i].job == j)
            return i;
    return -1;
}

static void report_lost(agent_be *A, launch_job *j, int node)
{
    char why[512];
    snprintf(why, sizeof why, "the agent on %s is gone", A->base.res->nodes[node].name);
    launch_status st = {0};
    st.reason = why;
    st.infra = 1;
    st.node = A->base.res->nodes[node].name;
    A->base.done(A->base.done_arg, j, &st);
}

/* Agent c is gone: its evaluations are the infrastructure's failures on its node. */
static void agent_gone(agent_be *A, agent_conn *c)
{
    if (!c->up)
        return;
    c->up = 0;
    if (c->rfd >= 0) {
        epoll_ctl(A->ep, EPOLL_CTL_DEL, c->rfd, NULL);
        close(c->rfd);
        c->rfd = -1;
    }
    if (c->wfd >= 0) {
        close(c->wfd);
        c->wfd = -1;
    }
    int idx = (int)(c - A->a);
    for (long i = 0; i < A->nslots; i++)
        if (A->slots[i].job && A->slots[i].agent == idx) {
            launch_job *j = A->slots[i].job;
            slot_free(A, i);
            report_lost(A, j, c->node);
        }
}

/* One event line from agent c. */
static void on_event(agent_be *A, agent_conn *c, json_t *m)
{
    json_int_t id = -1;
    const char *ev = NULL, *error = NULL;
    int exited = 0, code = 0, signo = 0;
    double t0 = 0, t1 = 0;
    if (json_unpack(m, "{s:s, s:I, s?b, s?i, s?i, s?F, s?F, s?s}", "ev", &ev, "id", &id, "exited",
                    &exited, "code", &code, "signo", &signo, "t_start", &t0, "t_end", &t1,
                    "error", &error) < 0 ||
        strcmp(ev, "end") != 0 || id < 0 || id >= A->nslots || !A->slots[id].job ||
        A->slots[id].agent != (int)(c - A->a))
        return;
    launch_job *j = A->slots[id].job;
    slot_free(A, (long)id);
    launch_status st = {0};
    st.exited = exited;
    st.code = code;
    st.signo = signo;
    st.t_start = t0;
    st.t_end = t1;
    if (error) {
        st.exited = 0;
        st.reason = error;
    }
    A->base.done(A->base.done_arg, j, &st);
}

static void drain_lines(agent_be *A, agent_conn *c)
{
    json_t *m;
    int bad = 0;
    while ((m = proto_next(&c->in, &bad)) || bad) {
        if (m)
            on_event(A, c, m);
        json_decref(m);
    }
}

/* ---- the backend's ops ---------------------------------------------------- */

static int agent_start(launch_backend *b, launch_job *j, char *msg, size_t msgsz)
{
    agent_be *A = (agent_be *)b;
    const sched_placement *pl = j->place;
    if (pl->nslices != 1 || (A->tasks_inner && j->req->ntasks > 1)) {
        if (A->agents_only || !A->inner) {
            snprintf(msg, msgsz, "--launch agents: evaluation %ld spans %d nodes", j->eval,
                     pl->nslices);
            return -1;
        }
        return A->inner->ops->start(A->inner, j, msg, msgsz);
    }
    const sched_slice *s = &pl->slices[0];
    int ai = -1;
    for (int i = 0; i < A->n; i++)
        if (A->a[i].node == s->node)
            ai = i;
    j->pid = 0;
    if (ai < 0 || !A->a[ai].up) {
        /* its agent is gone: the infrastructure's failure, told at once */
        if (A->nlost == A->caplost) {
            size_t cap = A->caplost ? A->caplost * 2 : 16;
            launch_job **nl = realloc(A->lost, cap * sizeof *nl);
            if (!nl) {
                snprintf(msg, msgsz, "out of memory");
                return -1;
            }
            A->lost = nl;
            A->caplost = cap;
        }
        A->lost[A->nlost++] = j;
        arm(A, 1);
        return 0;
    }
    agent_conn *c = &A->a[ai];
    long id = slot_new(A, j, ai);
    json_t *argv = json_array(), *cores = json_array(), *gpus = json_array();
    for (size_t i = 0; j->argv[i]; i++)
        json_array_append_new(argv, json_string(j->argv[i]));
    for (int k = 0; k < s->ncores; k++)
        json_array_append_new(cores, json_integer(s->cores[k]));
    for (int k = 0; k < s->ngpus; k++)
        json_array_append_new(gpus, json_integer(s->gpus[k]));
    int cpt = j->req->cores_per_task;
    if (j->req->exclusive && s->ntasks > 0)
        cpt = s->ncores / s->ntasks;
    json_t *m = json_pack("{s:s, s:I, s:I, s:o, s:s, s:s, s:s, s:b, s:i, s:i, s:o, s:o}", "op",
                          "start", "id", (json_int_t)id, "eval", (json_int_t)j->eval, "argv", argv,
                          "cwd", j->cwd, "out", j->out_path, "err", j->err_path, "ready",
                          j->outputs_ready, "ntasks", j->req->ntasks, "cpt", cpt, "cores", cores,
                          "gpus", gpus);
    if (id < 0 || proto_put(&c->out, m) < 0) {
        if (id >= 0)
            slot_free(A, id);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    if (c->out.n > (1u << 18))
        send_out(A, c, 0);
    arm(A, 1);
    return 0;
}

static int agent_signal(launch_backend *b, launch_job *j, int sig)
{
    agent_be *A = (agent_be *)b;
    long id = slot_of(A, j);
    if (id < 0) {
        for (size_t i = 0; i < A->nlost; i++)
            if (A->lost[i] == j)
                return 0;
        return A->inner ? A->inner->ops->signal(A->inner, j, sig) : -1;
    }
    agent_conn *c = &A->a[A->slots[id].agent];
    if (proto_put(&c->out, json_pack("{s:s, s:I, s:i}", "op", "signal", "id", (json_int_t)id,
                                     "sig", sig)) < 0)
        return -1;
    arm(A, 1);
    return 0;
}

static int agent_fd(launch_backend *b)
{
    return ((agent_be *)b)->ep;
}

static void read_agent(agent_be *A, agent_conn *c)
{
    int r = proto_read(&c->in, c->rfd);
    drain_lines(A, c);
    if (r <= 0)
        agent_gone(A, c);
}

static void agent_process(launch_backend *b)
{
    agent_be *A = (agent_be *)b;
    /* the inner backend's children (steps) and our sruns are reaped there */
    if (A->inner)
        A->inner->ops->process(A->inner);
    else
        for (int i = 0; i < A->n; i++) /* our sruns, once they end */
            if (A->a[i].pid > 0 && waitpid(A->a[i].pid, NULL, WNOHANG) == A->a[i].pid)
                A->a[i].pid = 0;
    for (int round = 0; round < 64; round++) {
        struct epoll_event evs[64];
        int n = epoll_wait(A->ep, evs, 64, 0);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            uint32_t tag = evs[i].data.u32;
            if (tag == TAG_TIMER) {
                uint64_t x;
                (void)!read(A->tfd, &x, sizeof x);
                A->armed = 0;
            } else if (tag == TAG_INNER) {
                A->inner->ops->process(A->inner);
#ifdef BT_HAVE_FLUX
            } else if (tag == TAG_FLUX) {
                flux_reactor_run(flux_get_reactor(A->h), FLUX_REACTOR_NOWAIT);
#endif
            } else if (tag < (uint32_t)A->n) {
                read_agent(A, &A->a[tag]);
            }
        }
    }
#ifdef BT_HAVE_FLUX
    if (A->h) {
        for (int i = 0; i < 1000; i++) {
            if (flux_reactor_run(flux_get_reactor(A->h), FLUX_REACTOR_NOWAIT) < 0)
                break;
            int ev = flux_pollevents(A->h);
            if (ev < 0 || !(ev & FLUX_POLLIN))
                break;
        }
    }
#endif
    while (A->nlost > 0) {
        launch_job *j = A->lost[--A->nlost];
        report_lost(A, j, j->place->slices[0].node);
    }
    flush_all(A);
}

static void agent_destroy(launch_backend *b)
{
    agent_be *A = (agent_be *)b;
    /* bye: each agent ends; the sruns end with them */
    for (int i = 0; i < A->n; i++) {
        agent_conn *c = &A->a[i];
        if (c->up) {
            proto_put(&c->out, json_pack("{s:s}", "op", "bye"));
            send_out(A, c, 1);
        }
        if (c->wfd >= 0)
            close(c->wfd);
        c->wfd = -1;
#ifdef BT_HAVE_FLUX
        if (c->sub)
            flux_subprocess_close(c->sub, "stdin");
#endif
    }
    for (int i = 0; i < A->n; i++) {
        agent_conn *c = &A->a[i];
        for (int k = 0; c->pid > 0 && k < 300; k++) {
            pid_t p = waitpid(c->pid, NULL, WNOHANG);
            if (p == c->pid || (p < 0 && errno == ECHILD))
                break;
            usleep(10000);
        }
        if (c->rfd >= 0)
            close(c->rfd);
        proto_out_free(&c->out);
        proto_in_free(&c->in);
#ifdef BT_HAVE_FLUX
        if (c->sub)
            flux_subprocess_destroy(c->sub);
#endif
    }
#ifdef BT_HAVE_FLUX
    if (A->h)
        flux_close(A->h);
#endif
    if (A->inner)
        A->inner->ops->destroy(A->inner);
    free(A->a);
    free(A->slots);
    free(A->free_ids);
    free(A->lost);
    close(A->ep);
    close(A->tfd);
    free(A);
}

/* More tasks than the backend was made for (a pool's later batch): the
 * steps' or Flux jobs' backend gets ready; each agent finds its mpiexec at
 * its first evaluation of that many tasks (agent/agent.c). */
static int agent_prepare(launch_backend *b, const launch_options *opt, char *msg, size_t msgsz)
{
    agent_be *A = (agent_be *)b;
    if (A->inner && A->inner->ops->prepare)
        return A->inner->ops->prepare(A->inner, opt, msg, msgsz);
    return 0;
}

static const launch_ops agent_ops = {
    "agent", agent_start, agent_signal, agent_fd, agent_process, agent_destroy, NULL,
    agent_prepare,
};

/* The inner backend reports to whoever we report to. */
static void inner_done(void *arg, launch_job *job, const launch_status *st)
{
    agent_be *A = arg;
    A->base.done(A->base.done_arg, job, st);
}

static int inner_infra(launch_backend *b, const launch_job *job, const char *err_path, char *why,
                       size_t whysz, char *node, size_t nodesz)
{
    agent_be *A = (agent_be *)b;
    if (!A->inner || !A->inner->ops->infra || job->place->nslices == 1)
        return 0;
    return A->inner->ops->infra(A->inner, job, err_path, why, whysz, node, nodesz);
}

static const launch_ops agent_ops_infra = {
    "agent", agent_start, agent_signal, agent_fd, agent_process, agent_destroy, inner_infra,
    agent_prepare,
};

/* ---- starting the agents ------------------------------------------------- */

/* Start an srun step running `batchtile agent` on node i. 0, or -1 with msg. */
static int start_srun(agent_be *A, agent_conn *c, const char *self, char *msg, size_t msgsz)
{
    const alloc_node *nd = &A->base.res->nodes[c->node];
    char srun[4096];
    if (ut_resolve_command("srun", srun, sizeof srun) < 0) {
        snprintf(msg, msgsz, "the agents need srun, and none is on PATH");
        return -1;
    }
    ut_argv a = {NULL, 0, 0};
    int bad = ut_argv_add(&a, "%s", srun) | ut_argv_add(&a, "--nodelist=%s", nd->name) |
              ut_argv_add(&a, "%s", "--nodes=1") | ut_argv_add(&a, "%s", "--ntasks=1") |
              ut_argv_add(&a, "%s", "--overlap") |
              ut_argv_add(&a, "--cpus-per-task=%d", nd->ncores > 0 ? nd->ncores : 1) |
              ut_argv_add(&a, "%s", "--mem=0") | ut_argv_add(&a, "%s", "--mpi=none") |
              ut_argv_add(&a, "%s", "--unbuffered") | ut_argv_add(&a, "%s", "--kill-on-bad-exit=0") |
              ut_argv_add(&a, "%s", "--job-name=batchtile.agent") | ut_argv_add(&a, "%s", self) |
              ut_argv_add(&a, "%s", "agent");
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (bad || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        snprintf(msg, msgsz, "cannot start the agent on %s: %s", nd->name, strerror(errno));
        ut_argv_free(a.v);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defaults);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    /* without the run's token: the driver's watchdog leaves srun and the
     * agent alone, and a dead driver's agent sees its input end */
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 1, sizeof *env);
    int rc = ENOMEM;
    if (env) {
        for (size_t i = 0, k = 0; i < ne; i++)
            if (strncmp(environ[i], "BATCHTILE_RUN=", 14) != 0)
                env[k++] = environ[i];
        rc = posix_spawn(&c->pid, srun, &fa, &at, a.v, env);
        free(env);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    ut_argv_free(a.v);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        snprintf(msg, msgsz, "cannot start %s: %s", srun, strerror(rc));
        return -1;
    }
    c->wfd = in[1];
    c->rfd = out[0];
    fcntl(c->rfd, F_SETFL, fcntl(c->rfd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* The driver's hello to agent c. */
static json_t *driver_hello(const agent_be *A, const agent_conn *c, const launch_options *opt)
{
    const alloc_node *nd = &A->base.res->nodes[c->node];
    json_t *gpus = json_array();
    for (int g = 0; g < nd->ngpus; g++)
        json_array_append_new(gpus, json_string(nd->gpu_ids ? nd->gpu_ids[g] : ""));
    const char *mpi = strcmp(opt->mpi, "none") == 0 ? "none" : "auto";
    return proto_hello("driver", nd->name,
                       json_pack("{s:i, s:o, s:s, s:s, s:i, s:f}", "cores", nd->ncores, "gpus",
                                 gpus, "gpu_var",
                                 A->base.res->gpu_var ? A->base.res->gpu_var
                                                      : "CUDA_VISIBLE_DEVICES",
                                 "mpi", mpi, "ntasks", opt->ntasks, "grace", opt->grace));
}

/* Agent c's hello, once its first line came: 0, or -1 with msg. */
static int take_hello(agent_be *A, agent_conn *c, char *msg, size_t msgsz)
{
    const char *name = A->base.res->nodes[c->node].name;
    int bad = 0;
    json_t *h = proto_next(&c->in, &bad);
    if (!h && !bad)
        return 1; /* not yet */
    char where[300];
    snprintf(where, sizeof where, "the agent on %s", name);
    int r = proto_hello_check(h, "driver", where, msg, msgsz);
    const char *err = h ? json_string_value(json_object_get(h, "error")) : NULL;
    const char *v = h ? json_string_value(json_object_get(h, "version")) : NULL;
    if (r == 0 && err) {
        snprintf(msg, msgsz, "the agent on %s cannot run evaluations: %s", name, err);
        r = -1;
    }
    if (v)
        snprintf(c->version, sizeof c->version, "%s", v);
    json_decref(h);
    if (r == 0) {
        c->hello = 1;
        c->up = 1;
    }
    return r;
}

#ifdef BT_HAVE_FLUX
static void flux_on_output(flux_subprocess_t *p, const char *stream)
{
    agent_conn *c = flux_subprocess_aux_get(p, "bt_conn");
    agent_be *A = flux_subprocess_aux_get(p, "bt_be");
    const char *buf;
    int len = flux_subprocess_read(p, stream, &buf);
    if (strcmp(stream, "stdout") != 0) {
        if (len > 0)
            (void)!write(2, buf, (size_t)len);
        return;
    }
    if (len > 0) {
        if (c->in.n + (size_t)len + 1 > c->in.cap) {
            size_t cap = c->in.cap ? c->in.cap : 65536;
            while (cap < c->in.n + (size_t)len + 1)
                cap *= 2;
            char *nd = realloc(c->in.d, cap);
            if (!nd)
                return;
            c->in.d = nd;
            c->in.cap = cap;
        }
        memcpy(c->in.d + c->in.n, buf, (size_t)len);
        c->in.n += (size_t)len;
        if (c->up)
            drain_lines(A, c);
    } else if (len == 0) {
        c->eof = 1;
        if (c->up)
            agent_gone(A, c);
    }
}

static void flux_on_state(flux_subprocess_t *p, flux_subprocess_state_t state)
{
    agent_conn *c = flux_subprocess_aux_get(p, "bt_conn");
    agent_be *A = flux_subprocess_aux_get(p, "bt_be");
    if (state == FLUX_SUBPROCESS_FAILED || state == FLUX_SUBPROCESS_EXITED) {
        c->eof = 1;
        if (c->up)
            agent_gone(A, c);
    }
}

static int start_rexec(agent_be *A, agent_conn *c, const char *self, char *msg, size_t msgsz)
{
    const char *name = A->base.res->nodes[c->node].name;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "/");
    flux_cmd_t *cmd = flux_cmd_create(0, NULL, environ);
    if (!cmd || flux_cmd_argv_append(cmd, self) < 0 || flux_cmd_argv_append(cmd, "agent") < 0 ||
        flux_cmd_setcwd(cmd, cwd) < 0) {
        flux_cmd_destroy(cmd);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    flux_cmd_unsetenv(cmd, "BATCHTILE_RUN"); /* as for srun above */
    flux_subprocess_ops_t ops = {0};
    ops.on_state_change = flux_on_state;
    ops.on_stdout = flux_on_output;
    ops.on_stderr = flux_on_output;
    int rank = c->node;
    flux_subprocess_t *p = flux_rexec(A->h, rank, 0, cmd, &ops);
    flux_cmd_destroy(cmd);
    if (!p) {
        snprintf(msg, msgsz, "cannot start the agent on %s (rank %d): %s", name, rank,
                 strerror(errno));
        return -1;
    }
    flux_subprocess_aux_set(p, "bt_conn", c, NULL);
    flux_subprocess_aux_set(p, "bt_be", A, NULL);
    c->sub = p;
    return 0;
}
#endif

static int use_flux(const alloc_resources *res)
{
    return strcmp(res->backend, "flux") == 0;
}

/* Wait for every agent's hello (or its end). 0, or -1 with msg. */
static int await_hellos(agent_be *A, char *msg, size_t msgsz)
{
    double until = now_wall() + 300;
    for (;;) {
        int waiting = 0;
        for (int i = 0; i < A->n; i++) {
            agent_conn *c = &A->a[i];
            if (c->hello || c->dead)
                continue;
            if (c->rfd >= 0) {
                int r = proto_read(&c->in, c->rfd);
                if (r <= 0)
                    c->eof = 1;
            }
            int h = take_hello(A, c, msg, msgsz);
            if (h < 0)
                return -1;
            if (h == 1 && c->eof) {
                /* its node takes no work: the first evaluation placed there
                 * fails as the infrastructure's, and the node is marked down */
                ut_err("the agent on %s ended before it said hello (see the launcher's words "
                       "above; is this batchtile installed there?): no evaluations run there",
                       A->base.res->nodes[c->node].name);
                c->dead = 1;
                if (c->rfd >= 0) {
                    epoll_ctl(A->ep, EPOLL_CTL_DEL, c->rfd, NULL);
                    close(c->rfd);
                    c->rfd = -1;
                }
                continue;
            }
            waiting += h == 1;
        }
        if (!waiting) {
            for (int i = 0; i < A->n; i++)
                if (A->a[i].up)
                    return 0;
            snprintf(msg, msgsz, "no agent started (is this batchtile installed on the nodes?)");
            return -1;
        }
        if (now_wall() > until) {
            snprintf(msg, msgsz, "the agents did not answer in 300 s");
            return -1;
        }
#ifdef BT_HAVE_FLUX
        if (A->h) {
            flux_reactor_run(flux_get_reactor(A->h), FLUX_REACTOR_ONCE);
            continue;
        }
#endif
        struct epoll_event evs[16];
        epoll_wait(A->ep, evs, 16, 200);
    }
}

launch_backend *launch_agent_new(const alloc_resources *res, const launch_options *opt,
                                 int agents_only, char *msg, size_t msgsz)
{
    int maxcores = 0;
    for (int i = 0; i < res->nnodes; i++)
        if (res->nodes[i].ncores > maxcores)
            maxcores = res->nodes[i].ncores;
    if (agents_only && (opt->max_nodes > 1 || opt->max_cores > maxcores)) {
        snprintf(msg, msgsz, "--launch agents: an evaluation of %d cores%s would span nodes "
                             "(the largest has %d cores), and agents run one-node evaluations: "
                             "use --launch auto or steps",
                 opt->max_cores, opt->max_nodes > 1 ? " over several nodes (-N)" : "", maxcores);
        errno = EINVAL;
        return NULL;
    }
    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        snprintf(msg, msgsz, "cannot find this batchtile's own path: %s", strerror(errno));
        return NULL;
    }
    self[sl] = '\0';
    agent_be *A = calloc(1, sizeof *A);
    if (!A || !(A->a = calloc((size_t)res->nnodes, sizeof *A->a))) {
        free(A);
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    A->base.ops = &agent_ops;
    A->base.res = res;
    A->agents_only = agents_only;
    /* --mpi none (copies) or an srun plugin: srun starts a multi-task one,
     * as with steps; under agents, mpiexec does */
    A->tasks_inner = !agents_only && strcmp(opt->mpi, "auto") != 0 && strcmp(opt->mpi, "mpiexec") != 0;
    A->ep = epoll_create1(EPOLL_CLOEXEC);
    A->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u32 = TAG_TIMER;
    epoll_ctl(A->ep, EPOLL_CTL_ADD, A->tfd, &ev);
    int flux = use_flux(res);
    if (!agents_only) {
        A->inner = flux ? launch_flux_new(res, opt, msg, msgsz) : launch_slurm_new(res, opt, msg, msgsz);
        if (!A->inner)
            goto fail;
        A->inner->done = inner_done;
        A->inner->done_arg = A;
        /* no hold of a finished evaluation's cores (the inner backend's
         * release_delay): an agent's evaluation frees them at once, and a
         * step that comes too early waits in srun, it does not fail */
        A->base.ops = &agent_ops_infra;
        int ifd = A->inner->ops->fd(A->inner);
        if (ifd >= 0) {
            ev.data.u32 = TAG_INNER;
            epoll_ctl(A->ep, EPOLL_CTL_ADD, ifd, &ev);
        }
    }
#ifdef BT_HAVE_FLUX
    if (flux) {
        if (!(A->h = flux_open(NULL, 0))) {
            snprintf(msg, msgsz, "cannot connect to the Flux instance: %s", strerror(errno));
            goto fail;
        }
        ev.data.u32 = TAG_FLUX;
        epoll_ctl(A->ep, EPOLL_CTL_ADD, flux_pollfd(A->h), &ev);
    }
#else
    if (flux) {
        snprintf(msg, msgsz, "this batchtile was built without flux-core");
        goto fail;
    }
#endif
    for (int i = 0; i < res->nnodes; i++) {
        if (res->nodes[i].ncores <= 0)
            continue; /* down (a Flux rank drained or offline): takes no work */
        agent_conn *c = &A->a[A->n++];
        c->node = i;
        c->wfd = c->rfd = -1;
        int r;
#ifdef BT_HAVE_FLUX
        r = flux ? start_rexec(A, c, self, msg, msgsz) : start_srun(A, c, self, msg, msgsz);
#else
        r = start_srun(A, c, self, msg, msgsz);
#endif
        if (r < 0)
            goto fail;
        if (c->rfd >= 0) {
            ev.data.u32 = (uint32_t)(A->n - 1);
            epoll_ctl(A->ep, EPOLL_CTL_ADD, c->rfd, &ev);
        }
        c->hello = 1; /* for the write of our hello */
        proto_put(&c->out, driver_hello(A, c, opt));
        send_out(A, c, 1);
        c->hello = 0;
    }
    if (await_hellos(A, msg, msgsz) < 0)
        goto fail;
    return &A->base;
fail:
    for (int i = 0; i < A->n; i++)
        if (A->a[i].pid > 0)
            kill(A->a[i].pid, SIGTERM);
    for (int i = 0; i < A->n; i++)
        A->a[i].up = 0;
    {
        int e = errno;
        if (A->base.done == NULL)
            A->base.done = inner_done; /* never called: nothing runs */
        agent_destroy(&A->base);
        errno = e == EINVAL ? 0 : e;
    }
    return NULL;
}

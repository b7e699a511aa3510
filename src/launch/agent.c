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


extern char **environ;

#include "agent_int.h"

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
void launch_agent_gone(agent_be *A, agent_conn *c)
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

void launch_agent_drain(agent_be *A, agent_conn *c)
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
    launch_agent_drain(A, c);
    if (r <= 0)
        launch_agent_gone(A, c);
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
    int flux = launch_agent_use_flux(res);
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
        r = flux ? launch_agent_spawn_rexec(A, c, self, msg, msgsz) : launch_agent_spawn_srun(A, c, self, msg, msgsz);
#else
        r = launch_agent_spawn_srun(A, c, self, msg, msgsz);
#endif
        if (r < 0)
            goto fail;
        if (c->rfd >= 0) {
            ev.data.u32 = (uint32_t)(A->n - 1);
            epoll_ctl(A->ep, EPOLL_CTL_ADD, c->rfd, &ev);
        }
        c->hello = 1; /* for the write of our hello */
        proto_put(&c->out, launch_agent_hello(A, c, opt));
        send_out(A, c, 1);
        c->hello = 0;
    }
    if (launch_agent_await(A, msg, msgsz) < 0)
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

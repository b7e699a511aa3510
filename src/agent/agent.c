/* `batchtile agent`: see agent.h. The requests:
 *   {"op":"start","id":I,"eval":E,"argv":[...],"cwd":D,"out":F,"err":F,
 *    "ready":0|1,"ntasks":N,"cpt":C,"cores":[k...],"gpus":[k...]}
 *   {"op":"signal","id":I,"sig":S}      {"op":"bye"}
 * the events (after the hello):
 *   {"ev":"end","id":I,"exited":0|1,"code":C,"signo":S,"t_start":T,"t_end":T,
 *    "utime":s,"stime":s,"maxrss":kB}   with "error":M when it did not start */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alloc/local.h"
#include "launch/backend.h"
#include "launch/tree.h"
#include "proto/proto.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/proc.h"

typedef struct ajob {
    launch_job job;
    long id;
    sched_request req;
    sched_slice slice;
    sched_placement place;
    char *cwd, *out, *err;
    double t_start;
    struct ajob *next; /* the running ones */
} ajob;

typedef struct agent {
    char node[256];
    alloc_resources res;
    launch_backend *be;
    proto_out out;
    proto_in in;
    ajob *running;
    int nrunning;
    struct rusage ru; /* the children's so far */
    launch_tree tree; /* the evaluations' watchdog and cgroups */
    launch_options lo; /* what the backend was made for (its tasks grow with a
                          pool's later batches: do_start) */
} agent;


static double tv(const struct timeval *t)
{
    return (double)t->tv_sec + t->tv_usec / 1e6;
}

static void ajob_free(ajob *a)
{
    if (!a)
        return;
    ut_argv_free(a->job.argv);
    free(a->slice.cores);
    free(a->slice.gpus);
    free(a->cwd);
    free(a->out);
    free(a->err);
    free(a);
}

static void unlink_job(agent *A, ajob *a)
{
    for (ajob **p = &A->running; *p; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            A->nrunning--;
            return;
        }
}

/* The local backend says an evaluation ended: queue its end event. The
 * resource usage is the children's growth since the last end: exact when
 * one ends at a time, shared out otherwise. */
static void on_done(void *arg, launch_job *job, const launch_status *st)
{
    agent *A = arg;
    ajob *a = (ajob *)job;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double ut = tv(&ru.ru_utime) - tv(&A->ru.ru_utime), sy = tv(&ru.ru_stime) - tv(&A->ru.ru_stime);
    A->ru = ru;
    proto_put(&A->out, json_pack("{s:s, s:I, s:b, s:i, s:i, s:f, s:f, s:f, s:f, s:I}", "ev", "end",
                                 "id", (json_int_t)a->id, "exited", st->exited, "code", st->code,
                                 "signo", st->signo, "t_start", a->t_start, "t_end", ut_clock_wall(),
                                 "utime", ut, "stime", sy, "maxrss", (json_int_t)ru.ru_maxrss));
    unlink_job(A, a);
    ajob_free(a);
}

static char **json_argv(const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return NULL;
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !(v[i] = strdup(s))) {
            ut_argv_free(v);
            return NULL;
        }
    }
    return v;
}

static int *json_ints(const json_t *arr, int *n, int max)
{
    *n = (int)json_array_size(arr);
    int *v = malloc(((size_t)*n + 1) * sizeof *v);
    for (int i = 0; v && i < *n; i++) {
        json_t *x = json_array_get(arr, (size_t)i);
        v[i] = json_is_integer(x) ? (int)json_integer_value(x) : -1;
        if (v[i] < 0 || v[i] >= max) {
            free(v);
            return NULL;
        }
    }
    return v;
}

static void start_failed(agent *A, long id, const char *why)
{
    proto_put(&A->out, json_pack("{s:s, s:I, s:s}", "ev", "end", "id", (json_int_t)id, "error", why));
}

static void do_start(agent *A, json_t *m)
{
    json_int_t id = -1, eval = 0;
    int ready = 0, ntasks = 1, cpt = 1;
    json_t *argv = NULL, *cores = NULL, *gpus = NULL;
    const char *cwd = NULL, *out = NULL, *err = NULL;
    if (json_unpack(m, "{s:I, s:I, s:o, s:s, s:s, s:s, s?b, s?i, s?i, s:o, s?o}", "id", &id, "eval",
                    &eval, "argv", &argv, "cwd", &cwd, "out", &out, "err", &err, "ready", &ready,
                    "ntasks", &ntasks, "cpt", &cpt, "cores", &cores, "gpus", &gpus) < 0) {
        start_failed(A, (long)id, "a malformed start request (install the same batchtile on "
                                  "every node)");
        return;
    }
    const alloc_node *node = &A->res.nodes[0];
    ajob *a = calloc(1, sizeof *a);
    if (!a) {
        start_failed(A, (long)id, "out of memory");
        return;
    }
    a->id = (long)id;
    a->job.eval = (long)eval;
    a->job.argv = json_argv(argv);
    a->cwd = strdup(cwd);
    a->out = strdup(out);
    a->err = strdup(err);
    a->slice.cores = json_ints(cores, &a->slice.ncores, node->ncores);
    a->slice.gpus = json_ints(gpus, &a->slice.ngpus, node->ngpus);
    if (!a->job.argv || !a->cwd || !a->out || !a->err || !a->slice.cores || !a->slice.gpus) {
        start_failed(A, a->id, "a start request with cores or GPUs this node does not have");
        ajob_free(a);
        return;
    }
    a->slice.ntasks = ntasks;
    a->req.ntasks = ntasks;
    a->req.cores_per_task = cpt;
    a->req.gpus_per_task = ntasks > 0 ? a->slice.ngpus / ntasks : 0;
    a->req.nodes = 1;
    a->place.nslices = 1;
    a->place.slices = &a->slice;
    a->job.cwd = a->cwd;
    a->job.out_path = a->out;
    a->job.err_path = a->err;
    a->job.req = &a->req;
    a->job.place = &a->place;
    a->job.outputs_ready = ready;
    a->t_start = ut_clock_wall();
    char msg[8192];
    if (ntasks > A->lo.ntasks && A->be->ops->prepare) {
        /* more tasks than the hello said (a pool's later batch): its mpiexec now */
        launch_options lo = A->lo;
        lo.ntasks = ntasks;
        if (A->be->ops->prepare(A->be, &lo, msg, sizeof msg) < 0) {
            start_failed(A, a->id, msg);
            ajob_free(a);
            return;
        }
        A->lo.ntasks = ntasks;
    }
    if (A->be->ops->start(A->be, &a->job, msg, sizeof msg) < 0) {
        start_failed(A, a->id, msg);
        ajob_free(a);
        return;
    }
    a->next = A->running;
    A->running = a;
    A->nrunning++;
}

static void do_signal(agent *A, json_t *m)
{
    json_int_t id = -1;
    int sig = 0;
    if (json_unpack(m, "{s:I, s:i}", "id", &id, "sig", &sig) < 0)
        return;
    for (ajob *a = A->running; a; a = a->next)
        if (a->id == id)
            A->be->ops->signal(A->be, &a->job, sig);
}

/* Kill every evaluation's process tree and whatever they left. */
static void kill_all(agent *A)
{
    for (ajob *a = A->running; a; a = a->next)
        A->be->ops->signal(A->be, &a->job, SIGKILL);
    launch_tree_sweep(&A->tree);
    /* reaped within a second (a process in uninterruptible sleep aside) */
    for (int i = 0; i < 100 && A->running; i++) {
        A->be->ops->process(A->be);
        if (A->running)
            usleep(10000);
    }
}

/* Set up from the driver's hello: this node's cores (as many as the driver
 * counts, the placement's indices being the driver's), its GPU ids, the
 * MPI launcher. 0, or -1 with msg. */
static int setup(agent *A, json_t *hello, char *msg, size_t msgsz)
{
    int cores = 0, ntasks = 1;
    double grace = 10;
    const char *mpi = "auto", *gpu_var = NULL;
    json_t *gpus = NULL;
    json_unpack(hello, "{s?i, s?i, s?s, s?f, s?s, s?o}", "cores", &cores, "ntasks", &ntasks, "mpi",
                &mpi, "grace", &grace, "gpu_var", &gpu_var, "gpus", &gpus);
    if (alloc_local_detect(&A->res, cores, 0, msg, msgsz) < 0)
        return -1;
    alloc_node *n = &A->res.nodes[0];
    size_t ng = json_array_size(gpus);
    if (ng > 0) {
        for (int g = 0; g < n->ngpus; g++)
            free(n->gpu_ids[g]);
        free(n->gpu_ids);
        n->ngpus = 0;
        n->gpu_ids = calloc(ng, sizeof *n->gpu_ids);
        for (size_t i = 0; n->gpu_ids && i < ng; i++) {
            const char *s = json_string_value(json_array_get(gpus, i));
            n->gpu_ids[i] = strdup(s ? s : "");
            n->ngpus++;
        }
    }
    /* the visibility variable is the driver's (a static string there) */
    static char var[64];
    snprintf(var, sizeof var, "%s", gpu_var ? gpu_var : "CUDA_VISIBLE_DEVICES");
    A->res.gpu_var = var;
    static char mpi_s[64];
    snprintf(mpi_s, sizeof mpi_s, "%s", mpi);
    A->lo = (launch_options){mpi_s, ntasks, grace, 0, 0, &A->tree};
    A->be = launch_local_new(&A->res, &A->lo, msg, msgsz);
    if (!A->be)
        return -1;
    A->be->done = on_done;
    A->be->done_arg = A;
    return 0;
}

/* Read the driver's hello (blocking), answer with ours. 0, or the exit status. */
static int handshake(agent *A)
{
    json_t *hello = NULL;
    int bad = 0;
    while (!(hello = proto_next(&A->in, &bad)) && !bad) {
        int r = proto_read(&A->in, 0);
        if (r <= 0) {
            if (r < 0)
                ut_err("agent on %s: reading the driver: %s", A->node, strerror(errno));
            return r < 0 ? 3 : 0; /* the driver went before saying anything */
        }
    }
    char msg[8192] = "", where[300];
    snprintf(where, sizeof where, "batchtile agent on %s", A->node);
    int rc = proto_hello_check(hello, "agent", where, msg, sizeof msg) < 0 ? 1 : 0;
    const char *name = json_string_value(json_object_get(hello, "node"));
    if (rc == 0 && name && name[0]) /* the allocation's name for this node */
        snprintf(A->node, sizeof A->node, "%s", name);
    if (rc == 0 && setup(A, hello, msg, sizeof msg) < 0)
        rc = 3;
    json_decref(hello);
    json_t *extra = json_pack("{s:i}", "pid", (int)getpid());
    if (rc)
        json_object_set_new(extra, "error", json_string(msg));
    proto_put(&A->out, proto_hello("agent", A->node, extra));
    proto_flush(&A->out, 1, 1);
    if (rc)
        ut_err("%s", msg);
    return rc;
}

/* Act on every whole request read so far. 1 when the driver said bye. */
static int serve_lines(agent *A)
{
    json_t *m;
    int bad = 0, bye = 0;
    while ((m = proto_next(&A->in, &bad)) || bad) {
        if (bad) {
            ut_err("agent on %s: a request that is not JSON: ignored", A->node);
            continue;
        }
        const char *op = json_string_value(json_object_get(m, "op"));
        if (op && strcmp(op, "start") == 0)
            do_start(A, m);
        else if (op && strcmp(op, "signal") == 0)
            do_signal(A, m);
        else if (op && strcmp(op, "bye") == 0)
            bye = 1;
        json_decref(m);
    }
    return bye;
}

int agent_serve(void)
{
    agent A;
    memset(&A, 0, sizeof A);
    gethostname(A.node, sizeof A.node - 1);
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    /* the evaluations carry this agent's token; its watchdog kills them
     * should the agent itself be killed */
    char token[128];
    launch_tree_init(&A.tree, token, sizeof token);
    int rc = handshake(&A);
    if (rc || !A.be) {
        launch_tree_free(&A.tree);
        alloc_resources_free(&A.res);
        proto_out_free(&A.out);
        proto_in_free(&A.in);
        return rc;
    }
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = 0};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    ev.data.fd = sfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    int open = 1, bye = serve_lines(&A); /* what came with the hello */
    while (open && !bye) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == sfd) {
                struct signalfd_siginfo si;
                int chld = 0;
                while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                    if (si.ssi_signo == SIGCHLD)
                        chld = 1;
                    else
                        open = 0; /* told to stop: as when the driver goes */
                }
                if (chld)
                    A.be->ops->process(A.be);
                continue;
            }
            int r = proto_read(&A.in, 0);
            bye |= serve_lines(&A);
            if (r <= 0)
                open = 0;
        }
        /* every event of this round in one write */
        if (A.out.n && proto_flush(&A.out, 1, 1) < 0)
            open = 0; /* the driver is gone */
    }
    if (!bye && A.nrunning > 0)
        ut_err("agent on %s: the driver is gone: killing %d evaluation%s", A.node, A.nrunning,
               A.nrunning == 1 ? "" : "s");
    kill_all(&A);
    while (A.running) { /* reported to no one */
        ajob *a = A.running;
        A.running = a->next;
        ajob_free(a);
    }
    launch_tree_free(&A.tree);
    A.be->ops->destroy(A.be);
    alloc_resources_free(&A.res);
    proto_out_free(&A.out);
    proto_in_free(&A.in);
    close(ep);
    close(sfd);
    return 0;
}

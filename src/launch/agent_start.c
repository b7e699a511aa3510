/* Starting the node agents: one `batchtile agent` per node with the
 * allocation's own launcher (an srun step per node, or flux_rexec on each
 * broker rank), without the run's token (the driver's watchdog leaves them
 * alone; a dead driver's agent sees its input end), and the hellos that
 * open the protocol (proto/proto.h) both ways. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "agent_int.h"
#include "util/log.h"
#include "util/proc.h"

extern char **environ;

/* Start an srun step running `batchtile agent` on node i. 0, or -1 with msg. */
int launch_agent_spawn_srun(agent_be *A, agent_conn *c, const char *self, char *msg, size_t msgsz)
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
        ut_spawn s = {.argv = a.v, .envp = env, .in_fd = in[0], .out_fd = out[1]};
        c->pid = ut_proc_spawn(&s);
        rc = c->pid < 0 ? errno : 0;
        free(env);
    }
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
json_t *launch_agent_hello(const agent_be *A, const agent_conn *c, const launch_options *opt)
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
            launch_agent_drain(A, c);
    } else if (len == 0) {
        c->eof = 1;
        if (c->up)
            launch_agent_gone(A, c);
    }
}

static void flux_on_state(flux_subprocess_t *p, flux_subprocess_state_t state)
{
    agent_conn *c = flux_subprocess_aux_get(p, "bt_conn");
    agent_be *A = flux_subprocess_aux_get(p, "bt_be");
    if (state == FLUX_SUBPROCESS_FAILED || state == FLUX_SUBPROCESS_EXITED) {
        c->eof = 1;
        if (c->up)
            launch_agent_gone(A, c);
    }
}

int launch_agent_spawn_rexec(agent_be *A, agent_conn *c, const char *self, char *msg, size_t msgsz)
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

int launch_agent_use_flux(const alloc_resources *res)
{
    return strcmp(res->backend, "flux") == 0;
}

/* Wait for every agent's hello (or its end). 0, or -1 with msg. */
int launch_agent_await(agent_be *A, char *msg, size_t msgsz)
{
    double until = launch_agent_now() + 300;
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
        if (launch_agent_now() > until) {
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


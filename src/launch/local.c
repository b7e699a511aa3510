/* The local backend: evaluations are processes on this machine, each
 * confined to its placement's cores (affinity) and GPUs (visibility
 * variable); multi-task evaluations start through mpiexec. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "mpi.h"
#include "proc.h"

typedef struct local_be {
    launch_proc_backend pb; /* first: the shared process plumbing */
    int use_mpi;
    launch_mpi mpi;
} local_be;

static int join_ids(char *out, size_t outsz, int n, const int *idx, char *const *names)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + o, outsz - o, "%s%s", i ? "," : "", names[idx[i]]);
        if (w < 0 || (size_t)w >= outsz - o)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

static int local_start(launch_backend *b, launch_job *j, char *msg, size_t msgsz)
{
    local_be *L = (local_be *)b;
    const alloc_node *node = &b->res->nodes[0];
    const sched_slice *s = &j->place->slices[0];
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    for (int k = 0; k < s->ncores; k++)
        for (const int *pu = node->core_pus[s->cores[k]]; *pu >= 0; pu++)
            CPU_SET(*pu, &cpus);

    char gpus[4096], evalnum[32];
    const char *sets[5] = {NULL, NULL, NULL, NULL, NULL};
    /* every process of the evaluation carries its number (tree.h) */
    snprintf(evalnum, sizeof evalnum, "%ld", j->eval);
    sets[0] = "BATCHTILE_EVAL";
    sets[1] = evalnum;
    if (node->ngpus > 0) {
        /* the evaluation sees its GPUs only; none when it asked for none */
        if (join_ids(gpus, sizeof gpus, s->ngpus, s->gpus, node->gpu_ids) < 0) {
            snprintf(msg, msgsz, "GPU list too long");
            return -1;
        }
        sets[2] = b->res->gpu_var;
        sets[3] = gpus;
    }
    ut_env env;
    if (ut_env_build(&env, sets) < 0) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }

    char **argv = j->argv, **mpi_argv = NULL, **rank_cpus = NULL;
    int ntasks = j->req->ntasks;
    if (L->use_mpi && ntasks > 1) {
        /* rank i gets cores i*c .. i*c+c-1 of the placement, as "pu+pu" */
        int cpt = j->req->cores_per_task;
        rank_cpus = calloc((size_t)ntasks, sizeof *rank_cpus);
        for (int r = 0; rank_cpus && r < ntasks; r++) {
            char list[1024];
            size_t o = 0;
            list[0] = '\0';
            for (int k = r * cpt; k < (r + 1) * cpt && k < s->ncores; k++)
                for (const int *pu = node->core_pus[s->cores[k]]; *pu >= 0; pu++) {
                    int w = snprintf(list + o, sizeof list - o, "%s%d", o ? "+" : "", *pu);
                    if (w > 0 && (size_t)w < sizeof list - o)
                        o += (size_t)w;
                }
            rank_cpus[r] = strdup(list);
        }
        mpi_argv = rank_cpus ? launch_mpi_argv(&L->mpi, ntasks, rank_cpus, j->argv) : NULL;
        for (int r = 0; rank_cpus && r < ntasks; r++)
            free(rank_cpus[r]);
        free(rank_cpus);
        if (!mpi_argv) {
            ut_env_free(&env);
            snprintf(msg, msgsz, "out of memory");
            return -1;
        }
        argv = mpi_argv;
    }

    ut_spawn sp = {.argv = argv, .envp = env.envp, .cwd = j->cwd, .out_path = j->out_path,
                   .err_path = j->err_path, .cpus = &cpus, .outputs_ready = j->outputs_ready};
    int rc = launch_proc_spawn(b, j, &sp, msg, msgsz);
    int e = errno;
    ut_env_free(&env);
    ut_argv_free(mpi_argv);
    errno = e;
    return rc;
}

static int local_signal(launch_backend *b, launch_job *j, int sig)
{
    launch_proc_signal_tree(b, j, sig);
    return 0;
}

/* mpiexec for evaluations of opt->ntasks tasks (none needed for one, or
 * with --mpi none); at the backend's making, and again for a pool's batch
 * of more tasks than it was made for. */
static int local_prepare(launch_backend *b, const launch_options *opt, char *msg, size_t msgsz)
{
    local_be *L = (local_be *)b;
    if (L->use_mpi || opt->ntasks <= 1 || strcmp(opt->mpi, "none") == 0)
        return 0;
    if (strcmp(opt->mpi, "auto") != 0 && strcmp(opt->mpi, "mpiexec") != 0) {
        snprintf(msg, msgsz, "--mpi %s: the local backend starts tasks with mpiexec or none",
                 opt->mpi);
        return -1;
    }
    if (launch_mpi_detect(&L->mpi, msg, msgsz) < 0)
        return -1;
    L->use_mpi = 1;
    return 0;
}

static const launch_ops local_ops = {
    "local", local_start, local_signal, launch_proc_fd, launch_proc_process, launch_proc_free,
    NULL, local_prepare,
};

launch_backend *launch_local_new(const alloc_resources *res, const launch_options *opt,
                                 char *msg, size_t msgsz)
{
    local_be *L = launch_proc_backend_new(sizeof *L, &local_ops, res, msg, msgsz);
    if (!L)
        return NULL;
    ((launch_proc_backend *)L)->procs.tree = opt->tree;
    if (local_prepare(&L->pb.base, opt, msg, msgsz) < 0) {
        free(L);
        return NULL;
    }
    return &L->pb.base;
}
